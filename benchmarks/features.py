"""Feature pipeline at national scale: 10,800 Gemeinden in 400 Kreise × 56 indicators × 16 years
(about 9.7 million observations), local engine and Spark local mode side by side in one run.

Each engine runs in a fresh process so that its peak memory is its own.

    .venv/bin/python benchmarks/features.py [--kreise 400] [--gemeinden-per-kreis 27] [--skip-spark]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

# This file is named like the project's ``features`` package: keep its folder off the import path and
# load the shared helpers by file.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
_spec = importlib.util.spec_from_file_location("benchmark_measure", _HERE / "measure.py")
_measure_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_measure_module)
TreeMemory, in_fresh_process, peak_mb = (_measure_module.TreeMemory, _measure_module.in_fresh_process,
                                         _measure_module.peak_mb)


def make_national(workdir: Path, n_kreise: int, per_kreis: int, years=range(2010, 2026), seed=11) -> tuple[Path, Path]:
    """A national-scale monitoring in the default catalog's 56 indicators (values only, no basis counts)."""
    from ml.catalog import load_catalog
    from ml.config import load_settings

    settings = load_settings(env={})
    catalog = load_catalog(settings.catalog.dimensions, settings.catalog.files())
    indicators = catalog.reported()
    rng = np.random.default_rng(seed)
    kreise = np.array([f"{10000 + k:05d}" for k in range(n_kreise)])
    gem = np.array([f"{kr}{g:03d}" for kr in kreise for g in range(per_kreis)])
    regions = pd.DataFrame({
        "region_id": np.concatenate([kreise, gem]),
        "name": np.concatenate([[f"Kreis {k}" for k in kreise], [f"Gemeinde {g}" for g in gem]]),
        "level": ["kreis"] * len(kreise) + ["gemeinde"] * len(gem),
        "parent_id": np.concatenate([[None] * len(kreise), np.repeat(kreise, per_kreis)]),
    })
    years = [str(y) for y in years]
    n_g, n_y = len(gem), len(years)
    latent = rng.normal(0, 1, n_g) + np.repeat(rng.normal(0, 0.5, n_kreise), per_kreis)
    population = np.exp(rng.normal(8.0, 1.2, n_g))
    frames = []
    t = np.tile(np.arange(n_y), n_g)
    lat = np.repeat(latent, n_y)
    pop = np.repeat(population, n_y) * (1 + 0.002 * t)
    for ind in indicators:
        noise = rng.normal(0, 0.3, n_g * n_y)
        sign = ind.polarity or 1
        if ind.indicator_id == "einwohner":
            v = np.round(pop)
        elif ind.kind == "count":
            v = np.round(pop / 2.1)
        elif ind.kind == "share":
            v = 100 / (1 + np.exp(-(-2 + 0.6 * sign * lat + noise + 0.01 * t)))
        elif ind.kind == "rate" and (ind.min is not None and ind.min < 0):
            v = -3 + 2 * sign * lat + 3 * noise
        elif ind.kind == "rate":
            v = 50 * np.exp(0.4 * sign * lat + noise)
        else:
            v = np.clip(40 + 5 * sign * lat + 3 * noise, 0, 100)
        frames.append(pd.DataFrame({"indicator_id": ind.indicator_id, "value": np.round(v, 2)}))
    values = pd.concat(frames, ignore_index=True)
    k = len(indicators)
    obs = pd.DataFrame({
        "region_id": pd.Series(np.tile(np.repeat(gem, n_y), k), dtype="str"),
        "indicator_id": values["indicator_id"].astype("str"),
        "period": pd.Series(np.tile(np.tile(years, n_g), k), dtype="str"),
        "value": values["value"],
        "numerator": np.nan, "denominator": np.nan,
        "flag": pd.Series("ok", index=values.index, dtype="str"),
    })
    obs_path, reg_path = workdir / "obs.parquet", workdir / "regions.parquet"
    obs.to_parquet(obs_path, index=False)
    regions.to_parquet(reg_path, index=False)
    return obs_path, reg_path


def _run(args, queue) -> None:
    engine, obs_path, reg_path = args
    from features.pipeline import run_pipeline
    from ml.catalog import load_catalog
    from ml.config import load_settings

    settings = load_settings(env={})
    catalog = load_catalog(settings.catalog.dimensions, settings.catalog.files())
    obs = pd.read_parquet(obs_path)
    regions = pd.read_parquet(reg_path)
    base = peak_mb()
    with TreeMemory() as tree:
        t0 = time.perf_counter()
        result = run_pipeline(obs, regions, catalog, settings, engine=engine)
        seconds = time.perf_counter() - t0
    numbers = result.profiles.select_dtypes("number").to_numpy(dtype=float)
    digest = float(np.nansum(np.abs(numbers)))
    queue.put((seconds, peak_mb(), tree.peak_mb, base, len(obs), len(result.profiles), digest))


def _measure(engine: str, obs_path: Path, reg_path: Path):
    return in_fresh_process(_run, (engine, str(obs_path), str(reg_path)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kreise", type=int, default=400)
    parser.add_argument("--gemeinden-per-kreis", type=int, default=27)
    parser.add_argument("--skip-spark", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        obs_path, reg_path = make_national(Path(tmp), args.kreise, args.gemeinden_per_kreis)
        print(f"generated in {time.perf_counter() - t0:.0f} s")
        local = _measure("local", obs_path, reg_path)
        spark = None if args.skip_spark else _measure("spark", obs_path, reg_path)
    print(f"input: {local[4]:,} observations; {local[5]:,} profile rows "
          f"({args.kreise} Kreise × {args.gemeinden_per_kreis} Gemeinden × 16 years)")
    if spark is not None:
        print(f"same profiles: sum of |numbers| local {local[6]:.6f}, spark {spark[6]:.6f}")
    print()
    print(f"| {'measure':<34} | {'local engine':>12} | {'Spark local[2]':>14} | {'ratio':>6} |")
    print(f"|{'-' * 36}|{'-' * 14}|{'-' * 16}|{'-' * 8}|")
    s_sec = f"{spark[0]:.1f}" if spark else "-"
    r_sec = f"{local[0] / spark[0]:.2f}" if spark else "-"
    print(f"| {'seconds':<34} | {local[0]:>12.1f} | {s_sec:>14} | {r_sec:>6} |")
    for label, k in (("peak memory, process (VmHWM, MB)", 1), ("peak memory, with JVM and workers", 2),
                     ("memory after loading input (MB)", 3)):
        sv = f"{spark[k]:.0f}" if spark else "-"
        rv = f"{local[k] / spark[k]:.2f}" if spark else "-"
        print(f"| {label:<34} | {local[k]:>12.0f} | {sv:>14} | {rv:>6} |")
    print("\nProcess tree memory is sampled every 0.25 s (the process, Spark's JVM and its Python workers).")


if __name__ == "__main__":
    main()

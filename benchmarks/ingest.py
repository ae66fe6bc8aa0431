"""Ingest benchmark: one million observations from a German-format CSV into the store, with full
validation, side by side with a bare ``pandas.read_csv`` of the same file in the same run.

Each measured task runs in a fresh process so that its peak memory (max RSS) is its own.

    .venv/bin/python benchmarks/ingest.py [--rows 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from measure import in_fresh_process, peak_mb


def make_input(workdir: Path, rows: int, seed: int = 7) -> tuple[Path, Path]:
    """A region list and a long CSV (';', decimal comma, UTF-8) with about 0.5 % bad rows."""
    from ml.catalog import load_catalog
    from ml.config import load_settings

    rng = np.random.default_rng(seed)
    settings = load_settings(env={})
    catalog = load_catalog(settings.catalog.dimensions, settings.catalog.files())
    indicators = [i for i in catalog if i.frequency == "annual" and i.kind in ("share", "rate", "mean")][:50]
    years = [str(y) for y in range(2010, 2026)]
    n_regions = max(1, rows // (len(indicators) * len(years)) + 1)
    region_ids = [f"14{k:06d}" for k in range(n_regions)]
    regions = pd.DataFrame({"region_id": region_ids, "name": [f"Gemeinde {k}" for k in range(n_regions)],
                            "level": "gemeinde", "parent_id": None})
    regions_path = workdir / "regions.csv"
    regions.to_csv(regions_path, index=False)
    ri = np.repeat(np.arange(n_regions), len(indicators) * len(years))[:rows]
    ii = np.tile(np.repeat(np.arange(len(indicators)), len(years)), n_regions)[:rows]
    yi = np.tile(np.arange(len(years)), n_regions * len(indicators))[:rows]
    values = rng.uniform(0, 90, rows).round(2)
    text = pd.Series(values).map(lambda v: f"{v:.2f}".replace(".", ","))
    bad = rng.choice(rows, size=rows // 200, replace=False)
    text.iloc[bad[: len(bad) // 2]] = "n/v"          # not a number
    text.iloc[bad[len(bad) // 2:]] = "123,5"          # share outside [0, 100] where the indicator is a share
    frame = pd.DataFrame({
        "region_id": np.asarray(region_ids)[ri],
        "indicator_id": np.asarray([i.indicator_id for i in indicators])[ii],
        "period": np.asarray(years)[yi],
        "value": text.to_numpy(),
        "flag": "ok",
    })
    path = workdir / "observations_1m.csv"
    frame.to_csv(path, sep=";", index=False, encoding="utf-8")
    return regions_path, path


def _bare_read(path: str, queue) -> None:
    t0 = time.perf_counter()
    frame = pd.read_csv(path, sep=";", decimal=",", dtype={"region_id": str})
    seconds = time.perf_counter() - t0
    queue.put((seconds, peak_mb(), len(frame), ""))


def _floor(paths: tuple[str, str], queue) -> None:
    """What any DuckDB store pays with no checks at all: read the CSV as text, cast the values, write the table."""
    import duckdb

    obs_path, store_path = paths
    Path(store_path).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(store_path, config={"threads": 2})
    t0 = time.perf_counter()
    con.execute(f"CREATE TABLE o AS SELECT region_id, indicator_id, period, "
                f"TRY_CAST(replace(value, ',', '.') AS DOUBLE) AS value, flag "
                f"FROM read_csv('{obs_path}', all_varchar = true, sep = ';', header = true)")
    n = con.execute("SELECT count(*) FROM o").fetchall()[0][0]
    con.close()
    queue.put((time.perf_counter() - t0, peak_mb(), n, ""))


def _ingest(paths: tuple[str, str, str], queue) -> None:
    from ml.config import load_settings
    from ml.importers import ingest_file
    from ml.store import Store

    regions_path, obs_path, store_path = paths
    settings = load_settings(env={"SOZIALRADAR_STORE__PATH": store_path,
                                  "SOZIALRADAR_INGEST__REPORT_DIR": str(Path(store_path).parent / "q")})
    with Store(settings.store.path, threads=settings.store.threads, memory_limit=settings.store.memory_limit) as store:
        ingest_file(regions_path, store, settings)
        t0 = time.perf_counter()
        rep = ingest_file(obs_path, store, settings)
        seconds = time.perf_counter() - t0
    stages = ", ".join(f"{k} {v:.2f} s" for k, v in rep.seconds.items())
    detail = (f"read {rep.rows_read:,}, accepted {rep.rows_accepted:,}, quarantined {rep.rows_quarantined:,}; "
              f"stages: {stages}")
    queue.put((seconds, peak_mb(), rep.rows_read, detail))


def _run(target, args) -> tuple[float, float, int, str]:
    return in_fresh_process(target, args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        regions_path, obs_path = make_input(workdir, args.rows)
        size_mb = obs_path.stat().st_size / 1e6
        ours, bare, floor = [], [], []
        for k in range(args.repeat):
            store_path = workdir / f"store_{k}" / "monitoring.duckdb"
            bare.append(_run(_bare_read, str(obs_path)))
            ours.append(_run(_ingest, (str(regions_path), str(obs_path), str(store_path))))
            floor.append(_run(_floor, (str(obs_path), str(workdir / f"floor_{k}" / "floor.duckdb"))))
        t_ours = statistics.median(r[0] for r in ours)
        t_bare = statistics.median(r[0] for r in bare)
        m_ours = max(r[1] for r in ours)
        m_bare = max(r[1] for r in bare)
        t_floor = statistics.median(r[0] for r in floor)
        print(f"input: {args.rows:,} observations, {size_mb:.1f} MB CSV (';', decimal comma); "
              f"median of {args.repeat} runs, each in a fresh process")
        print(f"ours: {ours[0][3]}")
        print()
        print(f"| {'measure':<28} | {'sozialradar ingest':>18} | {'pandas.read_csv':>15} | {'ratio':>6} |")
        print(f"|{'-' * 30}|{'-' * 20}|{'-' * 17}|{'-' * 8}|")
        print(f"| {'seconds':<28} | {t_ours:>18.2f} | {t_bare:>15.2f} | {t_ours / t_bare:>6.2f} |")
        print(f"| {'peak memory (VmHWM, MB)':<28} | {m_ours:>18.0f} | {m_bare:>15.0f} | {m_ours / m_bare:>6.2f} |")
        print(f"| {'rows per second':<28} | {args.rows / t_ours:>18,.0f} | {args.rows / t_bare:>15,.0f} | "
              f"{t_bare / t_ours:>6.2f} |")
        print(f"\nfloor of a DuckDB store (read_csv as text, cast the values, write the table; no checks): "
              f"{t_floor:.2f} s = {t_floor / t_bare:.2f}× the bare read")


if __name__ == "__main__":
    main()

"""Forecast throughput: series per second of the local engine (joblib) and the Spark engine (local mode),
side by side with a plain sequential Prophet loop, in one run, on N synthetic annual series (default 10,000).

All three do the same work per series — one Prophet fit (our annual settings) and a 3-year forecast, plus
the baselines for the engines — so the ratio is the engines' gain. ``--with-backtest`` adds the full
job's per-series work (three backtest origins with every candidate, then the final fits) on the local engine.

    .venv/bin/python benchmarks/forecast_scale.py [--series 10000] [--with-backtest]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.forecast_engines import run_local, run_spark  # noqa: E402
from models.forecast_models import prophet_forecast  # noqa: E402
from models.forecasting import SeriesSpec  # noqa: E402

YEARS = [str(y) for y in range(2005, 2025)]


def synthetic_series(n: int, seed: int = 0) -> pd.DataFrame:
    """n annual series of 20 years: level, trend with one break, noise; about 3 % of values missing."""
    rng = np.random.default_rng(seed)
    t = np.arange(len(YEARS))
    level = rng.uniform(2, 40, n)[:, None]
    slope = rng.normal(0, 0.4, n)[:, None]
    brk = rng.integers(5, 15, n)[:, None]
    change = rng.normal(0, 0.4, n)[:, None]
    y = level + slope * t + change * np.maximum(t - brk, 0) + rng.normal(0, 0.5, (n, len(t)))
    y[rng.random(y.shape) < 0.03] = np.nan
    y[:, -1] = np.where(np.isnan(y[:, -1]), level[:, 0], y[:, -1])
    return pd.DataFrame({"region_id": np.repeat([f"R{i:05d}" for i in range(n)], len(t)),
                         "indicator_id": "x", "period": np.tile(YEARS, n), "value": y.ravel()})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--with-backtest", action="store_true")
    args = parser.parse_args()
    frame = synthetic_series(args.series)
    n = args.series
    final_only = SeriesSpec("annual", horizon=3, origins=0, origin_step=1, min_train=5,
                            models=("naive", "drift", "prophet"))
    rows = []

    t0 = time.perf_counter()
    for _, g in frame.groupby("region_id", sort=True):
        prophet_forecast(YEARS, g["value"].to_numpy(), 3, "annual")
    loop = time.perf_counter() - t0
    rows.append(("plain sequential Prophet loop (anchor)", loop, n / loop))
    print(f"loop {loop:.1f} s", file=sys.stderr)

    t0 = time.perf_counter()
    local = run_local(frame, {"x": final_only}, n_jobs=args.jobs)
    s = time.perf_counter() - t0
    rows.append((f"local engine, joblib {args.jobs} workers", s, n / s))
    print(f"local {s:.1f} s", file=sys.stderr)

    t0 = time.perf_counter()
    spark = run_spark(frame, {"x": final_only}, master=f"local[{args.jobs}]")
    s = time.perf_counter() - t0
    rows.append((f"Spark engine, local[{args.jobs}] (incl. session start)", s, n / s))
    print(f"spark {s:.1f} s", file=sys.stderr)
    same = np.allclose(local["yhat"].to_numpy(), spark["yhat"].to_numpy(), rtol=1e-9, atol=1e-9)

    if args.with_backtest:
        full = SeriesSpec("annual", horizon=3, origins=3, origin_step=1, min_train=5, models=("naive", "drift", "prophet"))
        t0 = time.perf_counter()
        run_local(frame, {"x": full}, n_jobs=args.jobs)
        s = time.perf_counter() - t0
        rows.append((f"local engine with backtests (4 Prophet fits per series), {args.jobs} workers", s, n / s))

    print(f"\n{n:,} synthetic annual series (20 years, horizon 3); Spark and local results equal: {same}\n")
    print("| run | seconds | series/s | ratio to the loop |")
    print("|---|---|---|---|")
    for name, sec, rate in rows:
        print(f"| {name} | {sec:.1f} | {rate:.1f} | {rate / rows[0][2]:.2f}× |")


if __name__ == "__main__":
    main()

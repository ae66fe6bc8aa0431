"""One Prophet fit on an annual series as the forecasts make it: ``lean_prophet`` (the empty component table built
once per process) against Prophet itself (the anchor), both in turn on the same series in one process, with the
forecasts' annual settings; milliseconds per fit and the ratio.

    .venv/bin/python benchmarks/prophet_fit.py [--series 30] [--years 16] [--rounds 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.forecast_models import (  # noqa: E402
    _quiet, _quiet_import, lean_prophet, period_to_timestamp, prophet_options,
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--series", type=int, default=30)
    ap.add_argument("--years", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    _quiet_import()
    from prophet import Prophet

    _quiet()
    rng = np.random.default_rng(0)
    periods = [str(2010 + k) for k in range(args.years)]
    frames = [pd.DataFrame({"ds": period_to_timestamp(periods, "annual"),
                            "y": np.cumsum(rng.normal(0.1, 1, args.years)) + 20}) for _ in range(args.series)]
    options = dict(prophet_options("annual", args.years), uncertainty_samples=0)
    lean = lean_prophet()
    Prophet(**options).fit(frames[0])                 # the first fit loads the Stan model: not timed
    lean(**options).fit(frames[0])
    seconds = {"lean_prophet": 0.0, "Prophet": 0.0}
    for _ in range(args.rounds):
        for frame in frames:
            for name, cls in (("lean_prophet", lean), ("Prophet", Prophet)):
                t0 = time.perf_counter()
                cls(**options).fit(frame)
                seconds[name] += time.perf_counter() - t0
    n = args.series * args.rounds
    ours, anchor = 1000 * seconds["lean_prophet"] / n, 1000 * seconds["Prophet"] / n
    print(f"{n} fits each, annual series of {args.years} years")
    print("| | ms per fit |\n|---|---|")
    print(f"| ours (lean_prophet) | {ours:.1f} |\n| anchor (Prophet) | {anchor:.1f} |\n| ratio | {ours / anchor:.2f} |")


if __name__ == "__main__":
    main()

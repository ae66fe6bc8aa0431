"""Counts of a coarser level summed from its parts at national scale: Germany's ~10,800 Gemeinden summed to their
400 Kreise, with the checks that make a sum whole (every part of the period's tables has a value, no region's own
value replaced, the parts' level chosen), against a bare ``groupby(...).sum()`` of the same rows (the anchor: no
check at all). One run, median of ``--repeat``.

    .venv/bin/python benchmarks/level_sums.py [--gemeinden 10800] [--years 10] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from features.level_sums import ancestors_at, sum_up  # noqa: E402
from ml.catalog import effective_catalog  # noqa: E402
from ml.config import load_settings  # noqa: E402


def inputs(gemeinden: int, years: int, seed: int = 5):
    """Regions (Kreise and their Gemeinden) and every count of the catalog per Gemeinde and year, one in a thousand
    withheld."""
    rng = np.random.default_rng(seed)
    catalog = effective_catalog(load_settings(env={}))
    counts = [i.indicator_id for i in catalog if i.kind == "count"][:20]
    kreise = [f"{k:05d}" for k in range(400)]
    gem = [f"{kreise[k % 400]}{k:04d}" for k in range(gemeinden)]
    regions = pd.DataFrame({"region_id": kreise + gem, "name": kreise + gem,
                            "level": ["kreis"] * 400 + ["gemeinde"] * gemeinden,
                            "parent_id": [None] * 400 + [g[:5] for g in gem]})
    n = gemeinden * len(counts) * years
    value = rng.integers(0, 20_000, n).astype(float)
    withheld = rng.random(n) < 0.001
    value[withheld] = np.nan
    obs = pd.DataFrame({"region_id": np.repeat(gem, len(counts) * years),
                        "indicator_id": np.tile(np.repeat(counts, years), gemeinden),
                        "period": np.tile([str(2013 + y) for y in range(years)], gemeinden * len(counts)),
                        "value": value, "numerator": np.nan, "denominator": np.nan,
                        "flag": np.where(withheld, "suppressed", "ok")})
    return regions, obs, catalog


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gemeinden", type=int, default=10_800)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    regions, obs, catalog = inputs(args.gemeinden, args.years)
    ours, anchor = [], []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        out, notes = sum_up(obs, regions, catalog, "kreis")
        ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        up = ancestors_at(regions, pd.unique(obs["region_id"]), "kreis")
        bare = obs.assign(up=obs["region_id"].map(up)).groupby(["up", "indicator_id", "period"])["value"].sum()
        anchor.append(time.perf_counter() - t0)
    summed = out[out["region_id"].str.len() == 5]
    o, a = statistics.median(ours), statistics.median(anchor)
    print(f"\n{len(obs):,} observations of {args.gemeinden:,} Gemeinden in {args.years} years → 400 Kreise: "
          f"{len(summed):,} sums whole of {len(bare):,} groups (the others have a withheld part)\n")
    print("| | seconds (median) |\n|---|---|")
    print(f"| ours: `sum_up`, whole sums only | {o:.3f} |")
    print(f"| anchor: bare groupby sum | {a:.3f} |")
    print(f"| ratio | {o / a:.2f} |")
    print("\n" + "\n".join(notes))


if __name__ == "__main__":
    main()

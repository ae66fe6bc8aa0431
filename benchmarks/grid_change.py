"""The cost of the check for a change of grid (:mod:`ml.grid_change`) on a table of national size, beside its anchor:
the check for misplaced editions (:mod:`features.misplaced`), which the same step runs over the same rows. A
synthetic table like Germany's Gemeinden: 11,000 regions in 400 Kreise × 25 years × 35 indicators, about ten
million rows, one value in seven empty.

    .venv/bin/python benchmarks/grid_change.py [--indicators 35] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from features.misplaced import misplaced_editions  # noqa: E402
from measure import timed  # noqa: E402
from ml.grid_change import grid_changes, presence  # noqa: E402


def table(indicators: int, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """Observations of 11,000 regions over 25 years: each region a level per indicator and a slow trend; one value
    in seven empty. Also the regions' Kreise."""
    rng = np.random.default_rng(seed)
    regions = np.array([f"{i:08d}" for i in range(11_000)], dtype=object)
    years = [str(y) for y in range(2000, 2025)]
    r, y, i = (a.ravel() for a in np.meshgrid(np.arange(len(regions)), np.arange(len(years)),
                                                np.arange(indicators), indexing="ij"))
    level = rng.lognormal(4, 1, size=(len(regions), indicators))
    value = level[r, i] * (1 + 0.01 * y) * rng.normal(1, 0.02, size=len(r))
    value[::7] = np.nan
    obs = pd.DataFrame({"region_id": regions[r], "indicator_id": np.array([f"i{k}" for k in range(indicators)],
                                                                          dtype=object)[i],
                        "period": np.array(years, dtype=object)[y], "value": value})
    kreise = pd.Series([f"k{j % 400}" for j in range(len(regions))], index=regions)
    return obs, kreise


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--indicators", type=int, default=35)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    obs, kreise = table(args.indicators)
    ours, found = timed(lambda: grid_changes(presence(obs).assign(level="gemeinde")), args.repeat)
    anchor, misplaced = timed(lambda: misplaced_editions(obs, [kreise, pd.Series("alle", index=kreise.index)]),
                              args.repeat)
    print(f"{len(obs):,} rows; changes of grid found: {len(found)}; misplaced editions found: {len(misplaced)}")
    print("\n| check | seconds (median) |")
    print("|---|---|")
    print(f"| change of grid (ours) | {ours:.2f} |")
    print(f"| misplaced editions (anchor) | {anchor:.2f} |")
    print(f"| ratio | {ours / anchor:.2f} |")


if __name__ == "__main__":
    main()

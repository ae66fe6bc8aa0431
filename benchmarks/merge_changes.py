"""A second import over the first: the merge that tells changed values from equal ones, with values that agree to
ten significant digits counted as equal (``ml.store.SAME_DIGITS``), against the exact comparison it replaced.

A store of ``--rows`` observations, then a table of the same keys: a tenth of the values changed, a tenth written
with floating-point noise (another publisher's arithmetic: -0.711199999999998 for -0.7112), the rest equal. Each
merge runs on a fresh copy of the store, ``--repeat`` times in turn; the table gives the median seconds and what
each comparison counts as updated.

    .venv/bin/python benchmarks/merge_changes.py [--rows 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import ml.store as store_module  # noqa: E402
from ml.store import Store  # noqa: E402

OURS = store_module.differs


def _exact(new: str, old: str) -> str:
    """The comparison before: any difference of the binary numbers is a change."""
    return f"(({new}) IS DISTINCT FROM ({old}))"


def tables(rows: int, seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame, int, int]:
    """The first import, the second over it, and how many of the second's values changed or carry noise."""
    rng = np.random.default_rng(seed)
    n_regions = rows // 200 + 1
    first = pd.DataFrame({
        "region_id": np.repeat([f"{k:08d}" for k in range(n_regions)], 200)[:rows],
        "indicator_id": np.tile(np.repeat([f"i{k:02d}" for k in range(20)], 10), n_regions)[:rows],
        "period": np.tile([str(y) for y in range(2013, 2023)], 20 * n_regions)[:rows],
        "value": rng.uniform(-5, 90, rows).round(5), "numerator": np.nan, "denominator": np.nan, "flag": "ok"})
    second = first.copy()
    pick = rng.permutation(rows)
    changed, noisy = pick[: rows // 10], pick[rows // 10: rows // 5]
    second.loc[changed, "value"] = (second.loc[changed, "value"] + rng.choice([-1, 1], len(changed)) * 0.01).round(5)
    # the noise a sum or difference of decimals leaves in the last binary digits
    second.loc[noisy, "value"] = second.loc[noisy, "value"].to_numpy() * (1 + rng.uniform(-4e-16, 4e-16, len(noisy)))
    return first, second, len(changed), int((second.loc[noisy, "value"] != first.loc[noisy, "value"]).sum())


def _merge(base: Path, second: pd.DataFrame, comparison) -> tuple[float, int]:
    work = base.with_name("work.duckdb")
    shutil.copy(base, work)
    store_module.differs = comparison
    try:
        with Store(work) as store:
            t0 = time.perf_counter()
            result = store.merge_observations(second, 2)
            return time.perf_counter() - t0, result.updated
    finally:
        store_module.differs = OURS
        work.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    first, second, changed, noisy = tables(args.rows)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base.duckdb"
        with Store(base) as store:
            store.merge_observations(first, 1)
        times = {"ten digits (ours)": [], "exact (before)": []}
        updated = {}
        for _ in range(args.repeat):
            for name, comparison in (("ten digits (ours)", OURS), ("exact (before)", _exact)):
                seconds, updated[name] = _merge(base, second, comparison)
                times[name].append(seconds)
    ours, anchor = (statistics.median(times[k]) for k in times)
    print(f"\n{args.rows:,} observations again: {changed:,} changed, {noisy:,} written with floating-point noise\n")
    print("| comparison | seconds (median) | counted as updated | ratio to exact |")
    print("|---|---|---|---|")
    for name in times:
        print(f"| {name} | {statistics.median(times[name]):.3f} | {updated[name]:,} | "
              f"{statistics.median(times[name]) / anchor:.2f} |")
    print(f"\nours {ours:.3f} s, anchor {anchor:.3f} s, ratio {ours / anchor:.2f}")


if __name__ == "__main__":
    main()

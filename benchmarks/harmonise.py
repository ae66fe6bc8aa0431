"""Old areas onto new ones: ``features.steps.harmonise_boundaries`` on Berlin's MSS editions 2013–2019 (447
Planungsräume mapped onto the 542 of 2021 by the LOR crosswalk, 64,208 observations), today's code against the
same function at git revision ``--old-rev`` (the anchor, read from git into its own module), both on the same
inputs in one process; the outputs must be identical.

    .venv/bin/python benchmarks/harmonise.py [--old-rev 9b26d94] [--rounds 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from experiments import cases  # noqa: E402
from measure import module_at  # noqa: E402
from features import grid, steps  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"


def function_at(rev: str):
    """``harmonise_boundaries`` as ``features/steps.py`` held it at git revision ``rev``."""
    return module_at(rev, "features/steps.py", "steps_at_rev").harmonise_boundaries


def berlin_inputs() -> tuple:
    """The arguments the Berlin case passes to harmonise_boundaries (captured from the real pipeline run)."""
    captured = {}
    real = grid.harmonise_boundaries

    def capture(*args):
        captured["args"] = args
        return real(*args)

    grid.harmonise_boundaries = capture
    try:
        with tempfile.TemporaryDirectory() as tmp:
            cases.berlin_mss_profiles(SHARED, Path(tmp))
    finally:
        grid.harmonise_boundaries = real
    return captured["args"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old-rev", default="9b26d94", help="the anchor: the code at this git revision")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    if not SHARED.is_dir():
        sys.exit(f"real data not found: {SHARED}")
    anchor = function_at(args.old_rev)
    inputs = berlin_inputs()
    obs = inputs[0]
    times = {"ours": [], "anchor": []}
    for _ in range(args.rounds):
        for name, fn in (("ours", steps.harmonise_boundaries), ("anchor", anchor)):
            t0 = time.perf_counter()
            out = fn(*inputs)
            times[name].append(time.perf_counter() - t0)
            if name == "ours":
                ours_out = out
        pd.testing.assert_frame_equal(ours_out.reset_index(drop=True), out.reset_index(drop=True))
    best = {k: min(v) for k, v in times.items()}
    print(f"Berlin MSS 2013–2019 on the 2021 grid: {len(obs):,} observations in, {len(ours_out):,} out; "
          f"best of {args.rounds}; outputs identical")
    print("| | seconds |\n|---|---|")
    print(f"| ours | {best['ours']:.2f} |\n| anchor (revision {args.old_rev}) | {best['anchor']:.2f} |\n"
          f"| ratio | {best['ours'] / best['anchor']:.3f} |")


if __name__ == "__main__":
    main()

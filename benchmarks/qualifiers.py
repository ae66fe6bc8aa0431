"""What taking off the marks of official statistics ('92550 p', '(12,0)') costs the import: ``split_qualifiers`` on
a million values written as the ingest benchmark writes them (decimal comma), plain and with one value in a
hundred marked, against one vectorised pass over the same strings (Arrow's trim), the least any look at every
cell costs.

    .venv/bin/python benchmarks/qualifiers.py [--rows 1000000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def values(rows: int, marked: float, seed: int = 7) -> pa.Array:
    rng = np.random.default_rng(seed)
    text = np.char.replace(np.char.mod("%.2f", rng.uniform(0, 90, rows).round(2)), ".", ",").astype(object)
    picks = rng.choice(rows, size=int(rows * marked), replace=False)
    marks = np.array([" p", " s", "¹"], dtype=object)[rng.integers(0, 3, len(picks))]
    text[picks] = text[picks] + marks
    return pa.array(text, pa.string())


def timed(fn, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def main() -> None:
    from ml.qualifiers import split_qualifiers

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"{args.rows:,} values, median of {args.repeat} runs\n")
    print("| values | ours: split_qualifiers s | anchor: one Arrow pass (trim) s | ratio |")
    print("|---|---|---|---|")
    for label, share in (("plain", 0.0), ("1 in 100 marked", 0.01)):
        cells = values(args.rows, share)
        ours = timed(lambda: split_qualifiers(cells), args.repeat)
        anchor = timed(lambda: pc.utf8_trim_whitespace(cells), args.repeat)
        print(f"| {label} | {ours:.3f} | {anchor:.3f} | {ours / anchor:.1f} |")


if __name__ == "__main__":
    main()

"""Municipal mergers found from a Land's register alone: ``ml.mergers`` on Saxony's Gemeinden 2002–2024 (3,652 rows,
eight stands, the Kreis reform of 2008), today's code against the same module at git revision ``--old-rev`` (the
anchor: gone municipalities matched one by one by the nearest area gain, the largest first, anywhere in the Land
where their Kreis ended), both on the same table in one process.

What is counted, per version:
- units whose earlier areas do not add up to their latest area (a wrong link leaves two of them: the unit that got
  a stranger and the one that missed its part; a part moved between municipalities that go on leaves one);
- links by area into a Kreis that none of the gone municipality's Kreis's other municipalities went to (a match
  across the Land: an equal area far away);
- the share of each stand's residents that lands on a latest municipality whose areas add up (carried whole);
- seconds for the whole table (median of ``--rounds``).

    .venv/bin/python benchmarks/mergers.py [--old-rev 1a5207f] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from measure import module_at  # noqa: E402
from ml import mergers  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
SAXONY = SHARED / "saxony_gemeinden_population_gvisys" / "saxony_gemeinden_population_gvisys_long.csv"


def _frame() -> pd.DataFrame:
    d = pd.read_csv(SAXONY, dtype={"ags": str, "kreis": str})
    return pd.DataFrame({"period": d["stand_year"], "code": d["ags"], "name": d["name"], "area": d["area_km2"],
                         "district": d["kreis"], "value": d["pop_total"]})


def _far_links(frame: pd.DataFrame, successors: pd.DataFrame) -> int:
    """Links by area into a district none of the gone one's district's municipalities went to by code or name."""
    district = frame.set_index(["period", "code"])["district"]
    periods = sorted(frame["period"].unique())
    nxt = dict(zip(periods, periods[1:]))
    s = successors.assign(d_from=[district[(p, c)] for p, c in zip(successors["period"], successors["code"])],
                          d_to=[district[(nxt[p], c)] for p, c in zip(successors["period"], successors["successor"])])
    plain = s[s["how"].isin(["code", "name"])]
    heirs = plain.groupby(["period", "d_from"])["d_to"].agg(set)
    area = s[s["how"] == "area"]
    return int(sum(to not in heirs.get((p, d), set()) for p, d, to in zip(area["period"], area["d_from"],
                                                                          area["d_to"])))


def measure(module, frame: pd.DataFrame, rounds: int) -> dict:
    """The counts and the median time of ``module.harmonise`` on ``frame``."""
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        h = module.harmonise(frame)
        times.append(time.perf_counter() - t0)
    carried = h.values.groupby("period")["value"].sum() / frame.groupby("period")["value"].sum()
    return {"inconsistent": len(h.inconsistent), "lost": len(h.lost), "far": _far_links(frame, h.successors),
            "carried": carried.min(), "seconds": statistics.median(times)}


def main() -> None:
    """Both versions on the same table; prints the table recorded in docs/BENCHMARKS.md."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old-rev", default="1a5207f")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    if not SAXONY.is_file():
        sys.exit(f"needs {SAXONY}")
    frame = _frame()
    anchor = module_at(args.old_rev, "ml/mergers.py", "mergers_at_rev")
    ours, old = measure(mergers, frame, args.rounds), measure(anchor, frame, args.rounds)
    print(f"Saxony's Gemeinden, {len(frame):,} rows, {frame['period'].nunique()} stands; anchor: ml/mergers.py at "
          f"{args.old_rev}")
    print("| | ours | anchor | ratio |")
    print("|---|---|---|---|")
    for key, label in (("inconsistent", "units whose earlier areas do not add up"),
                       ("far", "links by area outside the Kreise the others went to"),
                       ("lost", "municipalities without successor")):
        ratio = f"{ours[key] / old[key]:.2f}" if old[key] else "–"
        print(f"| {label} | {ours[key]} | {old[key]} | {ratio} |")
    print(f"| residents carried whole, least of the stands | {ours['carried']:.1%} | {old['carried']:.1%} | "
          f"{ours['carried'] / old['carried']:.2f} |")
    print(f"| seconds (median of {args.rounds}) | {ours['seconds']:.2f} | {old['seconds']:.2f} | "
          f"{ours['seconds'] / old['seconds']:.2f} |")


if __name__ == "__main__":
    main()

"""Editions on another level than the others (:mod:`features.level_steps`) on the real tables of ``../shared/data``:
what the check names in each data set as published, and how many planted steps it finds: every region's value of one
edition (not the first) of one indicator multiplied by a factor, as another definition or another base would give it.

    .venv/bin/python benchmarks/level_steps.py [--plants 100] [--seed 0] [--keep DIR]

The expected finding is Berlin's MSS of 2007, whose `Status6` is another quantity than the `Status 6` of 2009 and 2011
(the typical Planungsraum: 8.3 in 2007, 37.1 in 2009), imported as an analyst reading the headers would: to one
indicator. Any other finding is a false alarm unless the table shows a change of that size. The data sets are those of
``benchmarks/misplaced.py`` and ``benchmarks/copied_cells.py``, imported as an analyst would, and the MSS of 2007–2011.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.copied_cells import flensburg  # noqa: E402
from benchmarks.misplaced import DATA_SETS, SHARED, arguments, cli, each_data_set, suggested  # noqa: E402
from features.level_steps import KINDS, level_steps  # noqa: E402

OLD_MSS_CATALOG = "indicator_id,name,dimension,unit,polarity,kind,numerator,denominator,frequency\n" + "".join(
    f"mss07_s{k},Status {k} (MSS 2007 bis 2011),arbeit,%,1,share,-,-,annual\n" for k in range(1, 7))
FACTORS = (1.5, 2.0, 3.0)
"""Planted steps: each factor, up or down."""


def berlin_mss_old(cwd: Path) -> None:
    """The MSS of 2007, 2009 and 2011 on the 447 Planungsräume, each table with its suggestion and its status
    columns mapped by their headers (`Status6` of 2007 to the same indicator as `Status 6` of 2009)."""
    key = SHARED / "berlin_bzr_kernindikatoren_tsb" / "preprocessed_lor_447plr_hierarchy.csv"
    (cwd / "mss_alt.csv").write_text(OLD_MSS_CATALOG, encoding="utf-8")
    (cwd / "sozialradar.yaml").write_text(
        "catalog:\n  indicators: [mss_alt.csv]\nfeatures:\n  level: planungsraum\n  reference_level: bezirk\n")
    cli(cwd, "ingest", str(key), "--mapping", suggested(cwd, key, "lor.yaml"))
    for year in (2007, 2009, 2011):
        table = SHARED / "berlin_mss_447plr_cschwab1" / f"{year}_MSS_cut.csv"
        header = table.read_text(encoding="utf-8-sig").splitlines()[0].split(",")
        status = {h.strip(): f"mss07_s{h.strip()[-1]}" for h in header if re.fullmatch(r"\s*Status ?\d\s*", h)}
        cli(cwd, "ingest", str(table), "--mapping", suggested(cwd, table, f"mss{year}.yaml", columns=status))


def plant(selected: pd.DataFrame, catalog, rng: np.random.Generator, factor: float, found: set):
    """One edition (not the first) of one indicator of a checked kind, every region's value times ``factor``; not an
    edition the check names as published (``found``: indicator, later edition), nor the one before it."""
    kinds = [i for i in selected["indicator_id"].unique() if i in catalog and catalog[i].kind in KINDS]
    rng.shuffle(kinds)
    for ind in kinds:
        periods = sorted(selected.loc[selected["indicator_id"] == ind, "period"].unique())
        if len(periods) < 3:
            continue
        k = int(rng.integers(1, len(periods)))
        period = periods[k]
        if (ind, period) in found or (k + 1 < len(periods) and (ind, periods[k + 1]) in found):
            continue
        hit = (selected["indicator_id"] == ind) & (selected["period"] == period)
        planted = selected.copy()
        planted.loc[hit, "value"] = planted.loc[hit, "value"] * factor
        return planted, (ind, period)
    return None, None


def main() -> None:
    args = arguments(__doc__, 100, "steps")
    data_sets = {"Berlin MSS 2007–2011 (older method), 447 PLR": berlin_mss_old,
                 "Flensburg Sozialatlas 2011–2022, 13 Stadtteile": flensburg, **DATA_SETS}
    rows, found_rows = [], []
    for label, (selected, _, (settings, catalog, obs, regions)) in each_data_set(args, data_sets):
        t0 = time.perf_counter()
        found = level_steps(selected, catalog)
        t_check = time.perf_counter() - t0
        found_rows += [(label, s) for s in found]
        real = {(s.indicator_id, s.later) for s in found}
        rng = np.random.default_rng(args.seed)
        seen = {}
        for factor in FACTORS:
            for direction in (factor, 1 / factor):
                hits = tried = alarms = 0
                for _ in range(args.plants // (2 * len(FACTORS))):
                    planted, where = plant(selected, catalog, rng, direction, real)
                    if planted is None:
                        break
                    got = {(s.indicator_id, s.later) for s in level_steps(planted, catalog)}
                    hits += where in got
                    tried += 1
                    alarms += len(got - real - {where} - {(where[0], p) for p in got_after(where, selected)})
                seen[direction] = (hits, tried, alarms)
        checked = selected[selected["indicator_id"].map(lambda i: i in catalog and catalog[i].kind in KINDS)]
        rows.append((label, len(checked), checked["indicator_id"].nunique(), len(found), seen, t_check))
        print(f"{label}: {len(found)} finding(s)", file=sys.stderr)
    print("\n| data set | values checked | indicators | findings as published | "
          + " | ".join(f"planted ×{f:g} / ÷{f:g} found" for f in FACTORS) + " | other findings | check (s) |")
    print("|---|---|---|---|" + "---|" * len(FACTORS) + "---|---|")
    for label, n, k, f, seen, tc in rows:
        cells = " | ".join(f"{seen[d][0]}/{seen[d][1]} · {seen[1 / d][0]}/{seen[1 / d][1]}" for d in FACTORS)
        print(f"| {label} | {n:,} | {k} | {f} | {cells} | {sum(a for _, _, a in seen.values())} | {tc:.2f} |")
    print("\n| data set | indicator | editions | factor in the typical region | other steps within | regions |")
    print("|---|---|---|---|---|---|")
    for label, s in found_rows:
        others = "–" if s.others is None else f"{s.others:.2f}×"
        print(f"| {label} | {s.indicator_id} | {s.earlier} → {s.later} | {s.factor:.2f}× "
              f"({s.earlier_median:g} → {s.later_median:g}) | {others} | {s.regions} |")


def got_after(where: tuple[str, str], selected: pd.DataFrame) -> list[str]:
    """The edition after a planted one: its step back down is the same plant seen from the other side."""
    periods = sorted(selected.loc[selected["indicator_id"] == where[0], "period"].unique())
    k = periods.index(where[1])
    return periods[k + 1:k + 2]


if __name__ == "__main__":
    main()

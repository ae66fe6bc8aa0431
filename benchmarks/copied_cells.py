"""Single counts another region's row gave (:mod:`features.copied_cells`) on the real tables of ``../shared/data``:
what the check names in each data set as published (the expected finding is Flensburg's housing benefit of
Nordstadt in 2018, Neustadt's 165 between its own 413 and 571; any other finding is a false alarm unless the table
shows the same), and how many planted copies it finds: one count of one region in an edition with editions on
both sides replaced by the value of the region before it in the table (the store's order of codes), as a row
slipped in one column would give it. Of those, the copies that leave the region's own course (a factor of 1.5 or
more from both neighbouring editions, which agree with each other) are the ones the check can see; among many
regions with small counts an equal value is no evidence, and the check stays silent by design.

    .venv/bin/python benchmarks/copied_cells.py [--plants 300] [--seed 0] [--keep DIR]

The data sets are those of ``benchmarks/misplaced.py`` (Berlin's register and MSS per Planungsraum, INKAR's Kreise,
Saxony's Gemeinden, the Musterkreis), imported as an analyst would, and Flensburg's Sozialatlas per Stadtteil
(residents, housing benefit, persons at risk of homelessness, children, births).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.misplaced import DATA_SETS, SHARED, arguments, cli, each_data_set, suggested  # noqa: E402
from features.copied_cells import MIN_JUMP, copied_cells  # noqa: E402

FLENSBURG_CATALOG = """indicator_id,name,dimension,unit,polarity,kind,numerator,denominator,scale,frequency,monitors,\
lenses,basis,persons,min,max,source
wl_bedroht,Von Wohnungslosigkeit bedrohte Personen,wohnen,Personen,0,count,,,,annual,,,true,,,,Sozialatlas Flensburg
"""


def flensburg(cwd: Path) -> None:
    d = SHARED / "flensburg_sozialatlas" / "csv"
    (cwd / "fl.csv").write_text(FLENSBURG_CATALOG, encoding="utf-8")
    (cwd / "sozialradar.yaml").write_text("catalog:\n  indicators: [fl.csv]\nfeatures:\n  level: stadtteil\n")
    regions = suggested(cwd, d / "fl_district.csv", "regions.yaml")
    with open(cwd / regions, "a", encoding="utf-8") as f:
        f.write("level: stadtteil\n")
    cli(cwd, "ingest", str(d / "fl_district.csv"), "--mapping", regions)
    for t in ("residents", "housing_benefit", "risk_homelessness", "children_age_under_18", "births"):
        table = d / f"fl_{t}_by_district.csv"
        cli(cwd, "ingest", str(table), "--mapping", suggested(cwd, table, f"{t}.yaml"))


def counts(selected: pd.DataFrame, catalog) -> pd.DataFrame:
    """The annual counts with a value, as the check reads them."""
    kinds = {i.indicator_id for i in catalog if i.kind == "count"}
    return selected[selected["indicator_id"].isin(kinds) & selected["value"].notna()
                    & selected["period"].astype(str).str.len().eq(4)]


def plant(rows: pd.DataFrame, rng: np.random.Generator):
    """One copy: a count of one region in an edition with editions on both sides given the value of the region
    before it (by code). Returns the indicator's planted rows, (indicator, period, region), and whether the copy
    leaves the region's course (see the module)."""
    indicators = sorted(rows["indicator_id"].unique())
    for _ in range(200 if indicators else 0):
        ind = indicators[rng.integers(len(indicators))]
        own = rows[rows["indicator_id"] == ind]
        periods = sorted(own["period"].unique())
        if len(periods) < 3:
            continue
        period = periods[1 + rng.integers(len(periods) - 2)]
        edition = own[own["period"] == period].sort_values("region_id")
        if len(edition) < 3:
            continue
        k = 1 + rng.integers(len(edition) - 1)
        region, value = edition["region_id"].iloc[k], edition["value"].iloc[k - 1]
        series = own[own["region_id"] == region].set_index("period")["value"]
        at = periods.index(period)
        before, after = series.get(periods[at - 1]), series.get(periods[at + 1])
        if before is None or after is None or value == edition["value"].iloc[k]:
            continue
        planted = own.copy()
        planted.loc[edition.index[k], "value"] = value
        logs = np.log(np.maximum([value, before, after], 1e-9))
        least = min(abs(logs[0] - logs[1]), abs(logs[0] - logs[2]))
        visible = bool((logs[0] - logs[1]) * (logs[0] - logs[2]) > 0 and least >= MIN_JUMP
                       and abs(logs[2] - logs[1]) < least and min(value, before, after) >= 20)
        return planted, (ind, str(period), str(region)), visible
    return None, None, False


def main() -> None:
    args = arguments(__doc__, 300, "copies")
    data_sets = {"Flensburg Sozialatlas 2011–2022, 13 Stadtteile": flensburg, **DATA_SETS}
    rows, found_rows = [], []
    for label, (selected, _, (settings, catalog, obs, regions)) in each_data_set(args, data_sets):
        checked = counts(selected, catalog)
        t0 = time.perf_counter()
        found = copied_cells(checked, catalog)
        t_check = time.perf_counter() - t0
        names = regions.set_index("region_id")["name"]
        for c in found:
            found_rows.append((label, c.indicator_id, c.period, f"{c.region_id} ({names.get(c.region_id, '')})",
                               c.value, c.before, c.after, ", ".join(c.twins[:3])))
        rng = np.random.default_rng(args.seed)
        seen = {"visible": [0, 0], "other": [0, 0]}
        for _ in range(args.plants):
            planted, where, visible = plant(checked, rng)
            if planted is None:
                break
            got = {(c.indicator_id, c.period, c.region_id) for c in copied_cells(planted, catalog)}
            kind = seen["visible" if visible else "other"]
            kind[0] += where in got
            kind[1] += 1
        rows.append((label, len(checked), checked["indicator_id"].nunique(), len(found), seen, t_check))
        print(f"{label}: {len(found)} finding(s)", file=sys.stderr)
    print("\n| data set | counts checked | count indicators | findings as published | planted copies found: "
          "leaving the course | the other copies | check (s) |")
    print("|---|---|---|---|---|---|---|")
    for label, n, k, f, seen, tc in rows:
        (vh, vn), (oh, on) = seen["visible"], seen["other"]
        print(f"| {label} | {n:,} | {k} | {f} | {vh} of {vn} ({vh / max(vn, 1):.0%}) | {oh} of {on} "
              f"({oh / max(on, 1):.0%}) | {tc:.2f} |")
    print("\n| data set | indicator | edition | region | value | before | after | equal to |")
    print("|---|---|---|---|---|---|---|---|")
    for label, ind, period, region, v, b, a, twins in found_rows:
        print(f"| {label} | {ind} | {period} | {region} | {v:g} | {b:g} | {a:g} | {twins} |")


if __name__ == "__main__":
    main()

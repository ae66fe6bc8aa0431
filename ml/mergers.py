"""Municipal mergers: a table of municipalities over several stands carried onto the latest stand's boundaries.

Municipalities merge (two Gemeinden become one, under one of their codes or a new one) and are renumbered (a
district reform changes every code of a Kreis). Official tables give each stand on its own boundaries; a time
series needs them on one. Without a crosswalk, the table itself tells the successor of each municipality:

1. the same code in the next stand;
2. else the same name (written the same after folding case, punctuation and the ', Stadt' suffix), where that
   name is unique in both stands;
3. else the municipality is gone, absorbed by one whose area grew: areas add up when municipalities merge, so a
   gone municipality goes to the next stand's municipality (in the same district where the district still
   exists) whose unexplained area gain best matches its area — the largest first, each gain used up as it is
   matched.

A latest municipality's value at an earlier stand is the sum over its predecessors then. Units whose summed area
differs from their latest area by more than ``tolerance`` (parts moved between municipalities, not whole ones)
are listed and left out, as are municipalities no successor was found for.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import pandas as pd


def _fold(name: str) -> str:
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode().lower()
    text = re.sub(r",\s*(stadt|landeshauptstadt|kreisfreie stadt|gemeinde|markt)\b.*$", "", text)
    return re.sub(r"[^a-z0-9]", "", text)


@dataclass
class Harmonised:
    """Values per latest unit and stand, and what could not be carried over."""
    values: pd.DataFrame            # unit, period, value (the latest stand's code as unit)
    successors: pd.DataFrame        # period, code, successor (in the next stand), how
    lost: list[tuple[str, str]]     # (period, code) without a successor
    inconsistent: list[str]         # units whose earlier areas do not add up to their latest area


def _successors(prev: pd.DataFrame, nxt: pd.DataFrame) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """Successor code in ``nxt`` for each code of ``prev``; how it was found; codes without one."""
    found: dict[str, str] = {}
    how: dict[str, str] = {}
    next_codes = set(nxt["code"])
    for code in prev["code"]:
        if code in next_codes:
            found[code], how[code] = code, "code"
    prev_names = prev.assign(key=prev["name"].map(_fold))
    next_names = nxt.assign(key=nxt["name"].map(_fold))
    unique_next = next_names.drop_duplicates("key", keep=False).set_index("key")["code"]
    unique_prev = set(prev_names.drop_duplicates("key", keep=False)["key"])
    for code, key in zip(prev_names["code"], prev_names["key"]):
        if code not in found and key in unique_prev and key in unique_next.index:
            found[code], how[code] = unique_next[key], "name"
    area_prev = prev.set_index("code")["area"]
    area_next = nxt.set_index("code")["area"]
    gain = area_next.copy()
    for code, succ in found.items():
        gain[succ] -= area_prev[code]
    district_next = nxt.set_index("code")["district"]
    districts = set(district_next)
    gone = prev[~prev["code"].isin(list(found))].sort_values("area", ascending=False)
    lost = []
    for code, area, district in zip(gone["code"], gone["area"], gone["district"]):
        pool = gain[gain >= 0.85 * area]
        if district in districts:
            pool = pool[district_next.reindex(pool.index).to_numpy() == district]
        if pool.empty:
            lost.append(code)
            continue
        best = (pool - area).abs().idxmin()
        found[code], how[code] = best, "area"
        gain[best] -= area
    return found, how, lost


def harmonise(frame: pd.DataFrame, tolerance: float = 0.02) -> Harmonised:
    """``frame`` with columns period, code, name, area, district, value (one row per municipality and stand) as
    values on the latest stand's municipalities."""
    periods = sorted(frame["period"].unique())
    by_period = {p: frame[frame["period"] == p] for p in periods}
    latest = periods[-1]
    unit_of = {latest: dict(zip(by_period[latest]["code"], by_period[latest]["code"]))}
    rows, lost = [], []
    for prev, nxt in zip(reversed(periods[:-1]), reversed(periods[1:])):
        found, how, missing = _successors(by_period[prev], by_period[nxt])
        unit_of[prev] = {c: unit_of[nxt][s] for c, s in found.items() if s in unit_of[nxt]}
        rows += [{"period": prev, "code": c, "successor": s, "how": how[c]} for c, s in found.items()]
        lost += [(prev, c) for c in missing]
    values = []
    for p in periods:
        f = by_period[p]
        unit = f["code"].map(unit_of[p])
        ok = unit.notna()
        values.append(pd.DataFrame({"unit": unit[ok], "period": p, "value": f.loc[ok, "value"],
                                    "area": f.loc[ok, "area"]}))
    long = pd.concat(values, ignore_index=True).groupby(["unit", "period"], as_index=False)[["value", "area"]].sum()
    final_area = long[long["period"] == latest].set_index("unit")["area"]
    off = (long["area"] - long["unit"].map(final_area)).abs() > tolerance * long["unit"].map(final_area)
    inconsistent = sorted(set(long.loc[off, "unit"]))
    # a unit that lost a predecessor without successor falls short of its area at that stand: inconsistent too
    keep = ~long["unit"].isin(inconsistent)
    return Harmonised(long.loc[keep, ["unit", "period", "value"]].reset_index(drop=True), pd.DataFrame(rows), lost,
                      inconsistent)

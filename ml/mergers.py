"""Municipal mergers: a table of municipalities over several stands carried onto the latest stand's boundaries.

Municipalities merge (two Gemeinden become one, under one of their codes or a new one) and are renumbered (a
district reform changes every code of a Kreis). Official tables give each stand on its own boundaries; a time
series needs them on one. Without a crosswalk, the table itself tells the successor of each municipality:

1. the same code in the next stand;
2. else the same name (written the same after folding case, punctuation and the ', Stadt' suffix), where that
   name is unique in both stands; else a new name of which the name is a part (Pausa and Mühltroff into
   Pausa-Mühltroff), where one municipality's name has it;
3. else the municipality is gone, absorbed by one whose area grew: areas add up when municipalities merge, so a
   gone municipality goes to a next stand's municipality whose area grew, so that the areas add up best over all
   of them at once (several may merge into one), in the same district, or, where a reform ended the district, in
   a district its other municipalities went to (never anywhere in the table).

A latest municipality's value at an earlier stand is the sum over its predecessors then. Units whose summed area
differs from their latest area by more than ``tolerance`` (parts moved between municipalities, not whole ones)
are listed and left out, as are municipalities no successor was found for.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np
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
    heirs = _district_heirs(prev, district_next, found)
    named = _named_in(prev[~prev["code"].isin(list(found))], nxt, set(prev_names["key"]), district_next, heirs)
    for code, succ in named.items():
        found[code], how[code] = succ, "part"
        gain[succ] -= area_prev[code]
    gone = prev[~prev["code"].isin(list(found))]
    absorbed, lost = _absorbed(gone, gain[gain > 0], district_next, heirs)
    for code, succ in absorbed.items():
        found[code], how[code] = succ, "area"
    return found, how, lost


def _name_parts(name: str) -> set[str]:
    """The parts of a municipality's name joined by a hyphen or slash (Aue-Bad Schlema: aue, badschlema)."""
    base = re.sub(r",.*$", "", str(name))
    return {_fold(part) for part in re.split(r"\s*[-/]\s*", base) if _fold(part)}


def _named_in(gone: pd.DataFrame, nxt: pd.DataFrame, earlier_names: set[str], district_next: pd.Series,
              heirs: dict[str, set]) -> dict[str, str]:
    """Gone municipalities whose name is a part of the name of exactly one next-stand municipality in a district
    they can have gone to, that did not exist under that name before: a merger named after its partners
    (Bobritzsch and Hilbersdorf into Bobritzsch-Hilbersdorf, Pausa and Mühltroff into Pausa-Mühltroff)."""
    parts = {code: _name_parts(name) for code, name in zip(nxt["code"], nxt["name"])
             if _fold(name) not in earlier_names}      # Annaberg-Buchholz of old took in no Buchholz
    out = {}
    for code, name, district in zip(gone["code"], gone["name"], gone["district"]):
        key = _fold(name)
        hits = [c for c, p in parts.items() if key in p and len(p) > 1
                and district_next.get(c) in heirs.get(district, set())]
        if len(hits) == 1:
            out[code] = hits[0]
    return out


def _absorbed(gone: pd.DataFrame, gain: pd.Series, district_next: pd.Series,
              heirs: dict[str, set]) -> tuple[dict[str, str], list[str]]:
    """The municipality each gone one merged into: the assignment under which the areas add up best (the sum over
    the next stand's municipalities of |area gain − areas assigned to it|, a gone municipality left without
    successor counting its whole area), solved as one integer programme (HiGHS through scipy). A municipality
    whose gain is less than half of a gone one's area is no candidate for it. Matching one by one, the largest
    first, gives a gain that two merged municipalities explain together to a third whose area is near it."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import lil_matrix

    pairs = [(i, j) for i, (area, district) in enumerate(zip(gone["area"], gone["district"]))
             for j, (succ, g) in enumerate(gain.items())
             if g >= 0.5 * area and district_next.get(succ) in heirs.get(district, set())]
    n_gone, n_succ, n_pairs = len(gone), len(gain), len(pairs)
    if n_gone == 0:
        return {}, []
    areas = gone["area"].to_numpy(float)
    # variables: one per pair (assigned), one per gone municipality (no successor), one per successor (|mismatch|)
    n = n_pairs + n_gone + n_succ
    cost = np.concatenate([np.zeros(n_pairs), areas, np.ones(n_succ)])
    rows = lil_matrix((n_gone + 2 * n_succ, n))
    for k, (i, j) in enumerate(pairs):
        rows[i, k] = 1
        rows[n_gone + j, k] = areas[i]              # t_j + assigned_j >= gain_j
        rows[n_gone + n_succ + j, k] = -areas[i]    # t_j - assigned_j >= -gain_j
    for i in range(n_gone):
        rows[i, n_pairs + i] = 1
    for j in range(n_succ):
        rows[n_gone + j, n_pairs + n_gone + j] = 1
        rows[n_gone + n_succ + j, n_pairs + n_gone + j] = 1
    g = gain.to_numpy(float)
    lower = np.concatenate([np.ones(n_gone), g, -g])
    upper = np.concatenate([np.ones(n_gone), np.full(2 * n_succ, np.inf)])
    integrality = np.concatenate([np.ones(n_pairs + n_gone), np.zeros(n_succ)])
    bounds = Bounds(np.zeros(n), np.concatenate([np.ones(n_pairs + n_gone), np.full(n_succ, np.inf)]))
    result = milp(cost, constraints=LinearConstraint(rows.tocsr(), lower, upper), integrality=integrality,
                  bounds=bounds)
    if result.x is None:
        raise ValueError(f"municipal mergers: no assignment found ({result.message})")
    codes, successors = gone["code"].to_numpy(), gain.index.to_numpy()
    absorbed = {codes[i]: successors[j] for k, (i, j) in enumerate(pairs) if result.x[k] > 0.5}
    return absorbed, [c for c in codes if c not in absorbed]


def _district_heirs(prev: pd.DataFrame, district_next: pd.Series, found: dict[str, str]) -> dict[str, set]:
    """Per district of ``prev``, the districts of the next stand a municipality of it can have gone to: the
    district itself where it goes on, else those its other municipalities went to (found by code or name: a
    district reform renumbers every code of a Kreis and merges Kreise). A municipality is never matched by its
    area across the whole table: an equal area far away is no successor."""
    going_on = set(district_next.dropna())
    heirs: dict[str, set] = {}
    for code, district in zip(prev["code"], prev["district"]):
        if district in going_on:
            heirs[district] = {district}
        elif code in found:
            heirs.setdefault(district, set()).add(district_next.get(found[code]))
    return heirs


def _chains(frame: pd.DataFrame) -> tuple[dict, pd.DataFrame, list[tuple[str, str]]]:
    """Per stand, each code's unit of the latest stand (following successors stand by stand); the successor
    table (period, code, successor, how); the (period, code) without successor."""
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
    return unit_of, pd.DataFrame(rows, columns=["period", "code", "successor", "how"]), lost


def _on_latest(frame: pd.DataFrame, unit_of: dict, tolerance: float) -> tuple[pd.DataFrame, pd.Series]:
    """Rows per latest unit and stand (value and area summed over the unit's predecessors), and per row whether
    its area is off the unit's latest area by more than ``tolerance`` (a part moved, not whole municipalities)."""
    unit = pd.Series([unit_of[p].get(c) for p, c in zip(frame["period"], frame["code"])], index=frame.index)
    ok = unit.notna()
    cols = [c for c in ("value", "area") if c in frame.columns]
    long = (frame.loc[ok, ["period", *cols]].assign(unit=unit[ok])
            .groupby(["unit", "period"], as_index=False)[cols].sum())
    latest = max(unit_of)
    final_area = long[long["period"] == latest].set_index("unit")["area"]
    off = (long["area"] - long["unit"].map(final_area)).abs() > tolerance * long["unit"].map(final_area)
    return long, off


def harmonise(frame: pd.DataFrame, tolerance: float = 0.02) -> Harmonised:
    """``frame`` with columns period, code, name, area, district, value (one row per municipality and stand) as
    values on the latest stand's municipalities."""
    unit_of, successors, lost = _chains(frame)
    long, off = _on_latest(frame, unit_of, tolerance)
    inconsistent = sorted(set(long.loc[off, "unit"]))
    # a unit that lost a predecessor without successor falls short of its area at that stand: inconsistent too
    keep = ~long["unit"].isin(inconsistent)
    return Harmonised(long.loc[keep, ["unit", "period", "value"]].reset_index(drop=True), successors, lost,
                      inconsistent)


@dataclass
class MergerCrosswalk:
    """A crosswalk of every earlier code onto the latest stand's municipality it became part of (weight 1: whole
    municipalities), with what the analyst has to check."""
    links: pd.DataFrame         # old_id, new_id, weight, note (German, how the link was found)
    lost: pd.DataFrame          # period, code, name, area: municipalities no successor was found for
    off: pd.DataFrame           # unit, name, period, area, latest_area: stands whose areas do not add up
    counts: dict[str, int]      # codes linked by code, name and area


HOW_DE = {"name": "Name", "part": "Namensteil", "area": "Fläche"}


def merger_crosswalk(frame: pd.DataFrame, tolerance: float = 0.02) -> MergerCrosswalk:
    """The crosswalk ``features --crosswalk`` reads, from a table of municipalities over several stands (columns
    period, code, name, area, district): each code of an earlier stand that is not a municipality of the latest
    stand, onto the one it became (renumbered or merged, followed over every stand), and each latest municipality
    that took in others onto itself, so that its own values and theirs are summed. Weights are 1: whole
    municipalities. Where a unit's earlier areas do not add up to its latest area, a part moved between
    municipalities that go on; the link is kept and the stands are listed in ``off``."""
    unit_of, successors, lost = _chains(frame)
    latest = max(unit_of)
    names = frame.sort_values("period").drop_duplicates("code", keep="last").set_index("code")["name"]
    how = successors.set_index(["period", "code"])["how"]
    successor = successors.set_index(["period", "code"])["successor"]
    later = {p: min((q for q in unit_of if q > p), default=None) for p in unit_of}
    links: dict[str, tuple[str, str]] = {}
    for period in sorted(unit_of, reverse=True):
        for code, unit in unit_of[period].items():
            if code == unit or code in links:
                continue
            steps, at, c = [], period, code
            while at != latest:
                step = how.get((at, c))
                steps.append(step)
                c = successor.get((at, c), c)
                at = later[at]
            merged = "area" in steps or "part" in steps
            kinds = ", ".join(dict.fromkeys(HOW_DE[s] for s in steps if s in HOW_DE))
            links[code] = (unit, f"{'aufgegangen in' if merged else 'neu geschlüsselt als'} {unit} {names[unit]} "
                                 f"(bis {period} als {names[code]}; gefunden über: {kinds})")
    receiving = {u for u, _ in links.values()}
    rows = [(code, unit, 1.0, note) for code, (unit, note) in links.items()]
    rows += [(u, u, 1.0, f"besteht fort: {names[u]}") for u in sorted(receiving) if u in unit_of[latest]]
    out = pd.DataFrame(rows, columns=["old_id", "new_id", "weight", "note"]).sort_values(["new_id", "old_id"])
    long, off = _on_latest(frame, unit_of, tolerance)
    final = long[long["period"] == latest].set_index("unit")["area"]
    bad = long.loc[off, ["unit", "period", "area"]].assign(name=lambda d: d["unit"].map(names),
                                                           latest_area=lambda d: d["unit"].map(final))
    gone = pd.DataFrame(lost, columns=["period", "code"])
    areas = frame.set_index(["period", "code"])["area"]
    gone = gone.assign(name=gone["code"].map(names),
                       area=[areas.get((p, c)) for p, c in zip(gone["period"], gone["code"])])
    counts = successors.loc[successors["code"] != successors["successor"], "how"].value_counts().to_dict()
    return MergerCrosswalk(out.reset_index(drop=True), gone, bad.reset_index(drop=True), counts)


def mergers_table(path, catalog, sheet: str | int | None = None, area: str | None = None,
                  district: str | None = None) -> tuple[pd.DataFrame, list[str]]:
    """A table of municipalities over several stands (a Land's register: code, name, stand year, area) read as
    the frame :func:`merger_crosswalk` takes, with the columns found as ``mapping suggest`` finds them: the region
    codes, names and stands of the region-list suggestion, the area of the column it matches to the catalog's area
    (``area`` names it otherwise), the district from ``district`` (a column of district codes) or from the code's
    first digits (an AGS's Kreis). Returns the frame and what was read from where."""
    from ml.importers.mapping import distinct_headers
    from ml.io import FileFormatError, read_table
    from ml.parsing import decide_decimal, parse_numbers
    from ml.suggest import suggest_mapping

    found = suggest_mapping(path, catalog, sheet=sheet, regions=True)
    table = read_table(path, header_line=found.header_line, sheet=found.sheet if sheet is None else sheet)
    header = distinct_headers(table.header)
    if area is None:
        matched = [m.column for m in suggest_mapping(path, catalog, sheet=sheet).matches
                   if (m.indicator_id or "").startswith("flaeche")]
        area = matched[0] if matched else None
    missing = [what for what, col in (("the region codes", found.region_column), ("the stands (a period column)",
               found.period_column), ("the area (name it with --area)", area)) if col is None]
    if missing:
        raise FileFormatError(f"{path}: a crosswalk of mergers needs {', '.join(missing)}: not found in the header "
                              f"({', '.join(header)})")
    for col in (area, district):
        if col is not None and col not in header:
            raise FileFormatError(f"{path}: no column {col!r}; the header is {', '.join(header)}")

    def cells(col: str) -> pd.Series:
        return table.column(header.index(col)).str.strip()

    codes = cells(found.region_column)
    area_text = cells(area)
    decimal = decide_decimal([area_text], table.delimiter)[0]
    frame = pd.DataFrame({
        "period": cells(found.period_column), "code": codes,
        "name": cells(found.name_column) if found.name_column else codes,
        "area": parse_numbers(area_text, decimal).values.astype(float),
        "district": (cells(district) if district else codes.str[:found.parent_code] if found.parent_code
                     else cells(found.parent_column) if found.parent_column else ""),
    })
    frame = frame[(frame["code"] != "") & (frame["period"] != "")]
    if frame["area"].isna().any():
        bad = frame[frame["area"].isna()].iloc[0]
        raise FileFormatError(f"{path}: the area {area!r} is no number in {int(frame['area'].isna().sum())} row(s) "
                              f"(e.g. {bad['code']} {bad['period']}): every municipality of every stand needs one")
    twice = frame.duplicated(["period", "code"], keep=False)
    if twice.any():
        dup = frame[twice].iloc[0]
        raise FileFormatError(f"{path}: {int(twice.sum())} rows repeat a code within a stand (e.g. {dup['code']} in "
                              f"{dup['period']}): one row per municipality and stand")
    if frame["period"].nunique() < 2:
        raise FileFormatError(f"{path}: one stand only ({', '.join(frame['period'].unique())}): mergers show between "
                              "two stands or more")
    said = [f"codes {found.region_column!r}, names {found.name_column!r}, stands {found.period_column!r}, area "
            f"{area!r}, districts " + (repr(district) if district else
                                        f"the first {found.parent_code} digits of the code" if found.parent_code
                                        else repr(found.parent_column) if found.parent_column else "none (one)")]
    return frame.reset_index(drop=True), said

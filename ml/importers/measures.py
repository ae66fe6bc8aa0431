"""A register of recommendations and measures: what the council was advised to do, what it decided and what runs.

One row per measure: id, title, field (a Lebenslage or dimension), the regions it covers (codes separated by
``,`` ``;`` or ``|``), start and end (a year or a date; no end: still running), cost per year, status
(vorgeschlagen, beschlossen, umgesetzt, abgelehnt), the indicators it aims at (by id or by the catalog's German
name, as the reports show it) and the direction it aims for (senken or steigern). Rows are checked one by one;
what fails goes to the quarantine with its reason, an unknown indicator with the catalog's closest one.

A measure may also take one row per region, as ``sozialradar export measures`` writes it: rows of one id that
agree in everything but the region are one measure of all their regions. Rows of one id that disagree are
quarantined together, naming the columns; where one of them fails, its measure's other rows go with it, so that a
measure is never stored with part of its regions.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ml.importers.common import cell_column, register_number, register_year, role_position, without_notes
from ml.importers.mapping import Mapping
from ml.io import FileFormatError, RawTable
from ml.parsing import MISSING_MARKERS
from ml.regions import name_key

STATUSES = ("vorgeschlagen", "beschlossen", "umgesetzt", "abgelehnt")
DIRECTIONS = {"senken": -1, "sinken": -1, "verringern": -1, "-": -1, "-1": -1, "down": -1,
              "steigern": 1, "erhoehen": 1, "erhöhen": 1, "+": 1, "1": 1, "+1": 1, "up": 1}

ROLES = {
    "measure_id": ("measure_id", "massnahme_id", "massnahme", "maßnahme", "empfehlung", "nr", "nummer", "id"),
    "title": ("title", "titel", "bezeichnung", "name"),
    "field": ("field", "feld", "handlungsfeld", "lebenslage", "dimension"),
    "regions": ("regions", "region_ids", "gebiete", "regionen", "region_id", "gebiet", "sozialraeume", "sozialraum"),
    "start": ("start", "beginn", "von", "seit"),
    "end": ("end", "ende", "bis"),
    "cost": ("cost", "cost_per_year", "kosten", "kosten_pro_jahr", "kosten_je_jahr", "jahreskosten"),
    "status": ("status", "stand"),
    "indicators": ("indicators", "target_indicators", "zielindikatoren", "indikatoren", "ziel"),
    "direction": ("direction", "richtung", "erwartete_richtung", "zielrichtung"),
}


REQUIRED = ("measure_id", "title", "status", "start", "regions")
"""The roles a register of measures cannot be read without."""


def _find(header: list[str], role: str) -> int | None:
    return role_position(header, ROLES[role])


def is_measure_register(header: list[str]) -> bool:
    """Whether a header looks like a register of measures: a status, a start and regions or target indicators."""
    return _find(header, "status") is not None and _find(header, "start") is not None and (
        _find(header, "regions") is not None or _find(header, "indicators") is not None)


def _region_codes(cell: str, known: frozenset[str], lookup, names: dict[str, str]) -> tuple[list[str], str]:
    """The region codes a cell of ``Gebiete`` names — codes, or names as the region list writes them (`;` or `|`
    between them; `,` too, where a name does not itself hold one: 'Kranichwalde, Stadt') —, and why not
    (``names``: the lookup's regions, code → name)."""
    def one(text: str) -> tuple[str | None, str | None]:
        if text in known:
            return text, None
        if lookup is None:
            return None, None
        code, why = lookup.resolve(text)
        if code is not None and "," in text and name_key(names[code]) != name_key(text):
            lookup.designations.pop(text, None)   # 'Neustadt, Altstadt' is two regions, not Neustadt with a
            lookup.abbreviations.pop(text, None)  # designation: no note of such a reading
            return None, None
        return code, why

    codes: list[str] = []
    for part in (p.strip() for p in re.split(r"[;|]", str(cell))):
        if not part or part in MISSING_MARKERS:
            continue
        code, why = one(part)
        if code is not None:
            codes.append(code)
            continue
        pieces = [p.strip() for p in part.split(",") if p.strip()]
        j = 0
        while j < len(pieces):
            joined = one(f"{pieces[j]}, {pieces[j + 1]}")[0] if j + 1 < len(pieces) else None
            code, why = (joined, None) if joined is not None else one(pieces[j])
            j += joined is not None
            if code is None:
                return [], why or f"unknown region '{pieces[j]}' (import the regions first)"
            codes.append(code)
            j += 1
    return list(dict.fromkeys(codes)), ""


def _list(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"[,;|]", str(text)) if p.strip() and p.strip() not in MISSING_MARKERS]


def indicator_lookup(catalog) -> dict[str, str]:
    """Indicator id by its id or its German name, both in lower case, for the target indicators of a register. A
    name with a note in brackets is found by its part before them too ('SGB-II-Quote' for 'SGB-II-Quote
    (Leistungsberechtigte je 100 Einwohner unter 65)'), where no other name begins so ('Hilfen zur Erziehung' is
    both 'Hilfen zur Erziehung (Fälle)' and 'Hilfen zur Erziehung je 1.000 Minderjährige': neither)."""
    out = {i.name.strip().lower(): i.indicator_id for i in catalog if i.name}
    for name, iid in list(out.items()):
        short = without_notes(name)
        if short != name and short and short not in out and \
                sum(k == short or k.startswith(short + " ") for k in out) == 1:
            out[short] = iid
    out.update({i.indicator_id.lower(): i.indicator_id for i in catalog})
    return out


def _unknown_indicator(names: list[str], lookup: dict[str, str], matcher=None) -> str:
    import difflib

    for name in names:
        if name.lower() not in lookup:
            # a name the text begins (the catalog's name with its source in brackets), else names holding every
            # word of it ('SGB II je 100 Einwohner' in 'Leistungsberechtigte nach SGB II je 100 Einwohner'), else
            # the best of the header matcher ('Jugendarbeitslosenquote': the rates of all and of those under 25),
            # else the most alike in spelling
            words = set(re.findall(r"\w+", name.lower()))
            close = sorted((k for k in lookup if k.startswith(name.lower())), key=len)[:3] or \
                sorted((k for k in lookup if words and words <= set(re.findall(r"\w+", k))), key=len)[:3]
            ids = [lookup[c] for c in close] or _matched(name, matcher) or \
                [lookup[c] for c in difflib.get_close_matches(name.lower(), list(lookup), n=1, cutoff=0.6)]
            hint = f"; closest: {', '.join(dict.fromkeys(ids))}" if ids else ""
            return f"unknown indicator '{name}' (not in the catalog: give its id or German name{hint})"
    return ""


def _matched(name: str, matcher, floor: float = 0.35) -> list[str]:
    """Up to three catalog indicators the header matcher (:class:`ml.suggest.Matcher`) scores highest for a name,
    those scoring at least ``floor``."""
    if matcher is None:
        return []
    from ml.suggest import words

    parsed = words(name)
    ranked = sorted(((matcher.score(parsed, c, None), c.indicator_id) for c in matcher.candidates),
                    key=lambda t: -t[0])
    return [iid for score, iid in ranked[:3] if score >= floor]


_SAME = {"title": "Titel", "field": "Handlungsfeld", "start": "Beginn", "end": "Ende", "cost_per_year": "Kosten",
         "status": "Status", "indicators": "Zielindikatoren", "direction": "Richtung"}


def _one_measure_per_id(frame: pd.DataFrame, regions: pd.Series, reason: np.ndarray, fail) -> None:
    """Rows of one measure id (one per region) become one measure of all their regions, in ``frame`` itself;
    rows that disagree, and the other rows of a measure with a failing row, fail."""
    ids = frame["measure_id"]
    repeated = ids.duplicated(keep=False).to_numpy() & ids.ne("").to_numpy()
    for mid, rows in frame[repeated].groupby("measure_id", sort=False):
        at = rows.index.to_numpy()
        differ = [label for col, label in _SAME.items() if rows[col].astype("str").nunique(dropna=False) > 1]
        if differ:
            fail(np.isin(frame.index, at), f"measure id appears more than once in the file with different "
                                           f"{', '.join(differ)}", "measure_id")
            continue
        failed = [i for i in at if reason[i] != ""]
        if failed:
            fail(np.isin(frame.index, at), f"another row of measure {mid} was quarantined; a measure's rows are "
                                           "imported together", "measure_id")
            continue
        joined = ",".join(dict.fromkeys(r for i in at for r in regions.iloc[i]))
        frame.loc[at, "regions"] = joined


def adapt_measures(table: RawTable, mapping: Mapping, known_regions: frozenset[str],
                   indicators_by_name: dict[str, str], lookup=None, matcher=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Validate a register of measures (``indicators_by_name``: :func:`indicator_lookup`; ``lookup``: the store's
    :class:`~ml.regions.RegionLookup`, for regions named rather than coded; ``matcher``: the catalog's
    :class:`ml.suggest.Matcher`, which proposes indicators for a name the catalog lacks); returns (accepted
    rows, one per row of the file — the rows of a measure written per region carry all its regions, and the store
    takes one of them —, and quarantined rows)."""
    h = table.header
    idx = {role: _find(h, role) for role in ROLES}
    missing = [r for r in REQUIRED if idx[r] is None]
    if missing:
        raise FileFormatError(f"{table.path}: a register of measures needs column(s) {', '.join(missing)} (e.g. "
                              f"Maßnahme, Titel, Status, Beginn, Gebiete); header is {', '.join(h)}")
    text = {role: cell_column(table, i).astype("str").str.strip() for role, i in idx.items()}
    start, bad_start = register_year(text["start"])
    end, bad_end = register_year(text["end"])
    cost = register_number(text["cost"])
    status = text["status"].str.lower()
    direction = text["direction"].str.lower().map(lambda d: DIRECTIONS.get(d, 0 if d in MISSING_MARKERS else None))
    names = {} if lookup is None else dict(zip(lookup.regions["region_id"].astype(str), lookup.regions["name"]))
    resolved = text["regions"].map(lambda t: _region_codes(t, known_regions, lookup, names))
    regions = resolved.str[0]   # codes, a region named twice once
    named = text["indicators"].map(_list)
    indicators = named.map(lambda xs: [indicators_by_name.get(x.lower(), x) for x in xs])
    frame = pd.DataFrame({
        "measure_id": text["measure_id"].to_numpy(), "title": text["title"].to_numpy(), "field": text["field"].to_numpy(),
        "regions": regions.map(",".join).to_numpy(), "start": start.to_numpy(), "end": end.to_numpy(),
        "cost_per_year": cost.to_numpy(), "status": status.to_numpy(), "indicators": indicators.map(",".join).to_numpy(),
        "direction": direction.to_numpy()})
    reason = np.full(len(frame), "", dtype=object)
    column = np.full(len(frame), "", dtype=object)

    def fail(mask, why, col):
        m = np.asarray(mask, bool) & (reason == "")
        reason[m], column[m] = why, col

    fail(frame["measure_id"].eq("").to_numpy(), "measure id missing", "measure_id")
    fail(frame["title"].eq("").to_numpy(), "title missing", "title")
    fail(~frame["status"].isin(STATUSES).to_numpy(), f"status must be one of {', '.join(STATUSES)}", "status")
    fail(frame["start"].isna().to_numpy() | bad_start, "start is not a year or date", "start")
    fail(bad_end, "end is not a year or date", "end")
    fail((frame["end"] < frame["start"]).to_numpy(), "ends before it starts", "end")
    has_cost = ~text["cost"].isin(MISSING_MARKERS).to_numpy()
    fail(has_cost & np.isnan(cost.to_numpy()), "cost is not a number", "cost")
    fail(has_cost & (cost.to_numpy() < 0), "cost below 0", "cost")
    problem = resolved.str[1]
    for why in problem[problem != ""].unique():
        fail((problem == why).to_numpy(), why, "regions")
    fail(regions.map(len).eq(0).to_numpy(), "no region", "regions")
    unknown = named.map(lambda xs: _unknown_indicator(xs, indicators_by_name, matcher))
    for why in unknown[unknown != ""].unique():
        fail((unknown == why).to_numpy(), why, "indicators")
    fail(frame["direction"].isna().to_numpy(), "direction must be senken or steigern", "direction")
    _one_measure_per_id(frame, regions, reason, fail)
    ok = reason == ""
    value = [text[c].iloc[i] if c in text else "" for i, c in enumerate(column)]
    accepted = frame[ok].reset_index(drop=True)
    accepted["direction"] = accepted["direction"].astype(int)
    quarantined = pd.DataFrame({"line": table.lines[~ok], "column": column[~ok],
                                "value": np.asarray(value, dtype=object)[~ok], "reason": reason[~ok]})
    return accepted, quarantined

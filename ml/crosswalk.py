"""Boundary crosswalks: a table that spreads each old area's values over the new areas it became (old code, new
code, weight), as a city publishes it when its small areas are redrawn, or a table of old and new codes alone (a
"Zuordnung" or "Umschlüsselung" without weights), whose weights ``features`` completes
(:mod:`features.crosswalk_weights`).

The columns are found by what their headers say, not by one publisher's names: a word for old and new
('alt'/'neu', 'old'/'new', 'von'/'nach', 'bisher', 'pre2021'), else two code columns that name different years
(the earlier is the old one: 'PLR_2006', 'PLR_2021'); the weight by a word for a share or weight ('weight',
'Gewicht', 'Flächenanteil', 'Anteil in %'). Weights written in percent (a '%' or 'Prozent' in the header) are
divided by 100; decimal commas are read as the importer reads them.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ml.io import FileFormatError, read_table
from ml.regions import header_words

OLD_WORDS = {"old", "alt", "alte", "alter", "altes", "from", "source", "von", "bisher", "bisherig", "bisherige",
             "vorher", "frueher", "pre", "before", "vor", "ursprung", "ursprungs", "quelle"}
NEW_WORDS = {"new", "neu", "neue", "neuer", "neues", "to", "target", "nach", "ziel", "post", "after", "aktuell",
             "aktuelle", "jetzt", "kuenftig"}
WEIGHT_WORDS = {"weight", "weights", "gewicht", "gewichte", "gewichtung", "share", "anteil", "faktor", "factor",
                "proportion", "fraction", "quote", "ratio"}
NAME_WORDS = {"name", "namen", "bezeichnung", "label", "titel", "bemerkung", "note", "notes", "hinweis"}
PERCENT = re.compile(r"%|prozent|percent|\bpct\b", re.IGNORECASE)


def _year(header: str) -> int | None:
    years = [int(w) for w in header_words(header, numbers=True) if re.fullmatch(r"(19|20)\d\d", w)]
    return years[0] if len(years) == 1 else None


def _weight(header: str) -> bool:
    return any(w in WEIGHT_WORDS or any(w.endswith(e) and len(w) > len(e) for e in ("anteil", "gewicht"))
               for w in header_words(header))


def crosswalk_roles(header: list[str], weighted: bool = True) -> dict[str, int | None] | str:
    """The positions of the old code, the new code and the weight in ``header``; or, where they cannot be told,
    a sentence saying what is missing. With ``weighted`` False a header without a weight is read too (its weight
    is None)."""
    weight = [i for i, h in enumerate(header) if _weight(h)]
    rest = [i for i in range(len(header)) if i not in weight]
    words = {i: set(header_words(header[i], numbers=True)) for i in rest}
    codes = [i for i in rest if not words[i] & NAME_WORDS] or rest      # 'Name neu' beside 'PLR neu' names it
    old = [i for i in codes if words[i] & OLD_WORDS and not words[i] & NEW_WORDS]
    new = [i for i in codes if words[i] & NEW_WORDS and not words[i] & OLD_WORDS]
    if len(old) != 1 or len(new) != 1:
        years = {i: _year(header[i]) for i in rest}
        years = {i: y for i, y in years.items() if y is not None}
        if len(years) == 2 and len(set(years.values())) == 2:
            first, second = sorted(years, key=years.get)
            old, new = [first], [second]
        elif len(old) == 1 and len(new) != 1:
            new = [i for i in rest if i != old[0] and i in years] or new
        elif len(new) == 1 and len(old) != 1:
            old = [i for i in rest if i != new[0] and i in years] or old
    missing = [what for what, found in (("the old areas' codes", old), ("the new areas' codes", new),
                                        ("the weight", weight)) if len(found) != 1]
    if missing == ["the weight"] and not weight and not weighted:
        return {"old_id": old[0], "new_id": new[0], "weight": None}
    if missing:
        return (f"{' and '.join(missing)} not told apart by the header; name the columns old_id, new_id and weight "
                "(or alt, neu and Gewicht)")
    return {"old_id": old[0], "new_id": new[0], "weight": weight[0]}


def _weights_unnamed(table, frame: pd.DataFrame, roles: dict) -> str | None:
    """Of a crosswalk read without a weight: the header of a column whose numbers add up to one whole (1 or 100)
    per old area wherever an area is split — weights under a header that does not say so."""
    from ml.parsing import decide_decimal, parse_numbers

    old = frame[f"c{roles['old_id']}"].str.strip()
    split = old.duplicated(keep=False)
    if split.sum() < 2:
        return None
    for i, header in enumerate(table.header):
        if i in (roles["old_id"], roles["new_id"]):
            continue
        column = frame[f"c{i}"]
        numbers = parse_numbers(column, decide_decimal([column], table.delimiter)[0])
        numbers = pd.Series(numbers.values, index=frame.index, dtype=float)
        if numbers.isna().mean() > 0.05:
            continue
        sums = numbers[split].groupby(old[split].to_numpy()).sum()
        if ((sums - 1).abs() <= 0.02).mean() >= 0.8 or ((sums - 100).abs() <= 2).mean() >= 0.8:
            return header
    return None


def read_crosswalk(path: Path) -> pd.DataFrame:
    """A boundary crosswalk (old_id, new_id, weight): codes as text, weights in (0, 1]. A table of old and new codes
    without a weight column is read with every weight empty (NaN), and so is an empty cell of a weight column:
    :func:`features.crosswalk_weights.complete_weights` fills them. A pair without weight is read once."""
    from ml.parsing import decide_decimal, parse_numbers

    path = Path(path)
    table = read_table(path)
    frame = table.frame()
    roles = crosswalk_roles(table.header, weighted=False)
    unnamed = None if isinstance(roles, str) or roles["weight"] is not None else _weights_unnamed(table, frame, roles)
    if unnamed:
        roles = (f"the weight not told apart by the header (the column {unnamed!r} adds up to one whole per split old "
                 "area, as weights do); name it weight, Gewicht or Anteil")
    if isinstance(roles, str):
        raise FileFormatError(f"{path}: not read as a crosswalk: {roles}; header is {', '.join(table.header)}")
    if roles["weight"] is None:
        return _unweighted(path, table, frame, roles)
    cols = {role: frame[f"c{i}"].str.strip() for role, i in roles.items()}
    decimal = decide_decimal([cols["weight"]], table.delimiter)[0]
    weight = pd.Series(parse_numbers(cols["weight"], decimal).values, index=frame.index, dtype=float)
    if PERCENT.search(table.header[roles["weight"]]):
        weight = weight / 100
    out = pd.DataFrame({"old_id": cols["old_id"], "new_id": cols["new_id"], "weight": weight})
    # an empty weight is left for features to complete (an old area whose parts the office did not weigh)
    bad = (out["weight"].isna() & (cols["weight"] != "")) | (out["weight"] <= 0) | (out["weight"] > 1 + 1e-6) | (
        out["old_id"] == "") | (out["new_id"] == "")
    if bad.any() or table.problems:
        first = _first_bad(table, bad)
        hint = ("; weights above 1 look like percent: write '%' in the weight's header" if (
            out["weight"] > 1 + 1e-6).any() and (out["weight"] <= 100).all() else "")
        raise FileFormatError(f"{path}:{first}: crosswalk rows need an old code ({table.header[roles['old_id']]!r}), "
                              f"a new code ({table.header[roles['new_id']]!r}) and a weight in (0, 1] "
                              f"({table.header[roles['weight']]!r}, or empty); "
                              f"{int(bad.sum()) + len(table.problems)} row(s) do not{hint}")
    return out


def _first_bad(table, bad: pd.Series) -> int:
    """The file line of the first bad row, else of the first row the reading could not parse."""
    return int(table.lines[np.flatnonzero(bad.to_numpy())[0]]) if bad.any() else table.problems[0].line


def _unweighted(path: Path, table, frame: pd.DataFrame, roles: dict) -> pd.DataFrame:
    """The pairs of a crosswalk without weights, each once, with an empty weight; rows lacking a code are named."""
    out = pd.DataFrame({"old_id": frame[f"c{roles['old_id']}"].str.strip(),
                        "new_id": frame[f"c{roles['new_id']}"].str.strip()})
    bad = (out["old_id"] == "") | (out["new_id"] == "")
    if bad.any() or table.problems:
        raise FileFormatError(f"{path}:{_first_bad(table, bad)}: crosswalk rows need an old code "
                              f"({table.header[roles['old_id']]!r}) and a new code "
                              f"({table.header[roles['new_id']]!r}); "
                              f"{int(bad.sum()) + len(table.problems)} row(s) do not")
    out = out.drop_duplicates(ignore_index=True)
    return out.assign(weight=np.nan)


def crosswalk_in(header: list[str], frame: pd.DataFrame, decimal: str) -> dict[str, int] | None:
    """The roles of a table that is a crosswalk (see :func:`crosswalk_roles`), or None: besides the headers, the
    weights of most old areas (four in five of those with more than one row) must add up to one whole (1 or
    100 %), which a table of values does not. A table of old and new codes without a weight is one whose headers say
    old and new in words and where no other column holds numbers (names or notes at most): its weight is None."""
    from ml.parsing import parse_numbers

    roles = crosswalk_roles(header)
    if isinstance(roles, str):
        roles = crosswalk_roles(header, weighted=False)
        if isinstance(roles, str) or not (set(header_words(header[roles["old_id"]])) & OLD_WORDS
                                          and set(header_words(header[roles["new_id"]])) & NEW_WORDS):
            return None     # two columns that name years ('Einwohner 2019', 'Einwohner 2021') are values
        # old and new codes, said in words, without weights: a crosswalk where no other column holds numbers
        others = [c for i, c in enumerate(frame.columns) if i not in (roles["old_id"], roles["new_id"])]
        numeric = [c for c in others if np.isfinite(parse_numbers(frame[c], decimal).values).mean() > 0.5]
        return None if numeric else roles
    weight = pd.Series(parse_numbers(frame[f"c{roles['weight']}"], decimal).values, index=frame.index)
    whole = 100.0 if PERCENT.search(header[roles["weight"]]) else 1.0
    groups = weight.groupby(frame[f"c{roles['old_id']}"].str.strip().to_numpy())
    sums, sizes = groups.sum(), groups.size()
    split = sums[sizes > 1]
    if weight.isna().mean() > 0.05 or len(split) < 2:
        return None
    return roles if (np.abs(split - whole) <= 0.02 * whole).mean() >= 0.8 else None


def refuse_crosswalk(table) -> None:
    """Raise ``FileFormatError`` where a table given to the import (a :class:`ml.io.RawTable`) is a crosswalk:
    it names it and says where it goes, instead of an error about its layout."""
    from ml.parsing import decide_decimal

    frame = table.frame()
    decimal = decide_decimal([frame[c] for c in frame.columns], table.delimiter)[0]
    if crosswalk_in(table.header, frame, decimal):
        raise FileFormatError(f"{table.path}: a crosswalk of old areas onto new ones, not a table of values: it is "
                              f"not imported; give it to 'sozialradar features --crosswalk {table.path}'")

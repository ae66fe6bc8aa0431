"""A region list whose codes nest: each level's code is its parent's followed by more digits.

The official municipal key (AGS) is built so: the Land ``14``, the Kreis ``14521``, the Gemeinde ``14521010``; a
Land office's Gemeindeverzeichnis or Statistischer Bericht lists all of them in one column, the Kreis's row (named
``Erzgebirgskreis``, without a level word) among its Gemeinden. Many cities number their areas the same way
(Bezirk ``1``, Stadtteil ``101``). With ``code_levels`` in the mapping (``{2: land, 5: kreis, 8: gemeinde}``) each
row's level is read from the length of its code, and its parent is the region whose code is the longest one its
own begins with — in the list or in the store. A row whose code has a length no level is given for (a
Regierungsbezirk's three digits, which the store has no level for) is quarantined with that reason.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

AGS_LEVELS = {2: "land", 5: "kreis", 8: "gemeinde"}
"""The levels of the official municipal key by its length (3: Regierungsbezirk, no level of the store)."""
WIDTHS_NAMED = {3: "the Regierungsbezirk of an AGS", 9: "a Gemeindeverband (ARS)", 12: "a Gemeinde's ARS"}
SHOWN = 3


def levels_by_code(frame: pd.DataFrame, code_levels: dict[int, str], known: frozenset[str],
                   notes: list[str] | None) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """``frame`` (region_id, name, level, parent_id, … line: rows with valid codes) with each row's level from the
    length of its code and its parent the longest code of the list or the store (``known``) that its own begins
    with (where no parent is given), without the rows whose code length names no level; which rows those were
    (a mask over ``frame``); and those rows as quarantine rows (line, column, value, reason)."""
    codes = frame["region_id"].astype(str).to_numpy()
    lengths = np.array([len(c) for c in codes])
    level = np.array([code_levels.get(int(n), "") for n in lengths], dtype=object)
    outside = level == ""
    quarantined = pd.DataFrame({
        "line": frame.loc[outside, "line"].to_numpy(), "column": "region_id", "value": codes[outside],
        "reason": [f"a code of {n} characters: code_levels names no level for it"
                   + (f" ({WIDTHS_NAMED[n]})" if n in WIDTHS_NAMED else "") for n in lengths[outside]]})
    frame = frame[~outside].assign(level=level[~outside])
    ours = set(frame["region_id"].astype(str))
    pool = ours | set(known)
    parents = frame["parent_id"].to_numpy(dtype=object).copy()
    found = 0
    for k, code in enumerate(frame["region_id"].astype(str)):
        if parents[k]:
            continue
        for cut in range(len(code) - 1, 0, -1):
            if code[:cut] in pool:
                parents[k] = code[:cut]
                found += 1
                break
    frame = frame.assign(parent_id=parents)
    if notes is not None:
        counts = frame["level"].value_counts()
        named = ", ".join(f"{counts[w]} {w}" for w in dict.fromkeys(code_levels[n] for n in sorted(code_levels))
                          if w in counts)
        below = int((lengths[~outside] > lengths[~outside].min()).sum()) if len(frame) else 0
        notes.append(f"code_levels: {named} by the length of their codes; each region's parent the longest code its "
                     f"own begins with ({found} of the {below} below the coarsest found one)")
        if len(quarantined):
            shown = ", ".join(repr(c) for c in quarantined["value"].head(SHOWN))
            notes.append(f"code_levels: {len(quarantined)} row(s) whose code length names no level quarantined "
                         f"({shown}{' …' if len(quarantined) > SHOWN else ''})")
    return frame.reset_index(drop=True), outside, quarantined


def nested_codes(codes: pd.Series) -> dict[int, str | None] | None:
    """For ``mapping suggest``: where a region column's codes (digits) have several lengths and most of the longer
    ones begin with a shorter code of the column, the lengths with the levels they likely stand for (the AGS's
    where the lengths are those of an AGS, else None for the analyst to name); None otherwise."""
    c = codes.dropna().astype(str).str.strip()
    c = c[c.str.fullmatch(r"\d+")]
    if len(c) < 3:
        return None
    lengths = sorted(c.str.len().unique())
    if len(lengths) < 2:
        return None
    numbers = c.astype(int)
    if numbers.nunique() >= 0.5 * (numbers.max() - numbers.min() + 1):
        return None                    # 1, 2 … 13: areas numbered in turn, whose '12' does not lie in '1'
    have = set(c)
    longer = [x for x in c if len(x) > lengths[0]]
    nested = sum(any(x[:n] in have for n in lengths if n < len(x)) for x in longer)
    if nested < 0.8 * len(longer):
        return None
    ags = set(lengths) <= set(AGS_LEVELS) | set(WIDTHS_NAMED) and c.str[:2].isin(
        [f"{k:02d}" for k in range(1, 17)]).all()
    return {int(n): (AGS_LEVELS.get(int(n)) if ags else None) for n in lengths}

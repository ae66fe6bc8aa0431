"""Empty cells that stand for small counts withheld for confidentiality, told from the counts a table writes.

Official and municipal statistics withhold a count of persons below a threshold (often 3, sometimes 4 or 5):
Destatis writes '.', a city's open data often an empty mark (Flensburg's Sozialatlas writes ``NULL`` and no count
below 4). Read as missing, such a cell says "no data" where it means "a few"; read as withheld, the report says
"gesperrt (von der Quelle nicht veröffentlicht)" and the shares built on it stay withheld. A table cannot say which
it means, but its written counts can make the first likely: none below a small number, and many just above it — the
distribution reaches down to a cut, and the empty cells lie below it. ``mapping suggest`` proposes the mapping's
``withheld`` then, with the evidence in a note; the analyst decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ml.parsing import DASHES, MISSING_MARKERS

LOWEST_CUT = 2
"""Below this no withholding is read: a table writing 0 or 1 shows its small counts."""
HIGHEST_CUT = 10
"""Above this the smallest count is no threshold of confidentiality (the least of a county's residents)."""
NEAR_CUT = 3
"""Counts of a column between the cut and twice the cut, at least: its values reach down to the cut."""


@dataclass(frozen=True)
class Withheld:
    """Empty cells that look withheld: their ``marks`` ('NULL'), the count ``columns`` whose values reach down to the
    table's ``smallest`` written count, how many such cells those columns hold in rows of a region, and how many of
    their values lie between the cut and twice it (``near``)."""

    marks: list[str]
    columns: list[str]
    smallest: int
    cells: int
    near: int

    def describe(self) -> str:
        """The evidence in one clause, for the suggestion's note."""
        marks = " and ".join(repr(m) for m in self.marks)
        return (f"no count below {self.smallest} is written, {self.near} of "
                f"{', '.join(repr(c) for c in self.columns)} lie between {self.smallest} and {2 * self.smallest - 1}, "
                f"and {self.cells} cell{'' if self.cells == 1 else 's'} of {'them' if len(self.columns) > 1 else 'it'} "
                f"hold {marks}: small counts withheld for confidentiality, it seems")


def withheld_among(text: dict[str, np.ndarray], numbers: dict[str, np.ndarray],
                   of_region: np.ndarray | None = None) -> Withheld | None:
    """The empty cells of a table's count columns that look withheld, or None.

    ``text``: each value column's cells as written (stripped); ``numbers``: the same as numbers (NaN where none);
    ``of_region``: the rows that belong to a region (a row of no region, 'NULL' in the key, says nothing about
    withholding). Counts are columns of whole non-negative numbers. None where a count column writes 0 or 1, where the
    smallest count lies outside [LOWEST_CUT, HIGHEST_CUT], or where no count column with empty cells has NEAR_CUT
    values between the smallest count and twice it."""
    rows = len(next(iter(text.values()))) if text else 0
    keep = np.ones(rows, bool) if of_region is None else np.asarray(of_region, bool)
    counts = {}
    for name, v in numbers.items():
        v = np.asarray(v, float)[keep]
        written = v[np.isfinite(v)]
        if len(written) >= NEAR_CUT and (written >= 0).all() and (written == np.round(written)).all():
            counts[name] = written
    if not counts:
        return None
    smallest = min(float(w.min()) for w in counts.values())
    if not LOWEST_CUT <= smallest <= HIGHEST_CUT:
        return None
    empty_marks = [m for m in MISSING_MARKERS if m not in DASHES]
    columns, marks, cells, near = [], [], 0, 0
    for name, written in counts.items():
        cell = np.asarray(text[name], dtype=str)[keep]
        empty = np.isin(cell, empty_marks)
        close = int(((written >= smallest) & (written < 2 * smallest)).sum())
        if empty.any() and close >= NEAR_CUT:
            columns.append(name)
            marks += [str(m) for m in dict.fromkeys(cell[empty]) if str(m) not in marks]
            cells += int(empty.sum())
            near += close
    if not columns:
        return None
    return Withheld(marks=marks, columns=columns, smallest=int(smallest), cells=cells, near=near)


_LEGEND = re.compile(r"^\s*[\u201e\u201a\u00bb\u00ab\"']?(?P<mark>[-–—])[\u201c\u2018\u00ab\u00bb\"']?\s*(?:=|:)?\s*"
                     r"(?P<meaning>[^\W\d_].*)$")
_LEGEND_WORD = re.compile(r"^\s*(?:zeichenerklärung|zeichenerklaerung|legende|zeichen)\s*:\s*", re.IGNORECASE)
_MEANINGS = (("withheld", re.compile(r"geheim|datenschutz|confidential", re.IGNORECASE)),
             ("missing", re.compile(r"unbekannt|keine\s+angabe|nicht\s+(verfügbar|vorhanden|erhoben|bekannt)|fehlt|"
                                    r"entfällt|unknown|not\s+available", re.IGNORECASE)),
             ("zero", re.compile(r"nichts\s+vorhanden|genau\s+null|\bnull\b|\bnil\b|\bzero\b", re.IGNORECASE)))


def dash_legend(lines) -> tuple[str, str] | None:
    """What a table's own legend (a footer line '– = Zahlenwert unbekannt oder geheimzuhalten', '- nichts
    vorhanden', '„–“ = keine Angabe', 'Zeichenerklärung: . = unbekannt; – = nichts vorhanden') says a lone dash
    means: ('withheld' | 'missing' | 'zero', the line), or None where no line of ``lines`` (the cells of the table's
    first column, footer included) defines the dash. Secrecy is read first: a value unknown *or* withheld is
    withheld."""
    for line in lines:
        for part in re.split(r"[;|]|\s{3,}", str(line)):    # several signs' legends on one line
            m = _LEGEND.match(_LEGEND_WORD.sub("", part))
            if m is None:
                continue
            for meaning, words in _MEANINGS:
                if words.search(m.group("meaning")):
                    return meaning, str(line).strip()
    return None

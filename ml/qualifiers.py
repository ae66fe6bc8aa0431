"""The marks German official statistics write beside a number (the "Zeichenerklärung"): ``92550 p``
(vorläufig), ``12,5 r`` (berichtigt), ``12,5 s`` (geschätzt), ``(12,0)`` (Aussagewert eingeschränkt), and footnote
marks (``12,5¹``, ``12,5 1)``).

:func:`split_qualifiers` takes them off a column of cells before the numbers are parsed, so the number is read and
the mark is kept beside it: the validation gives estimated values and those of limited reliability the flag
``estimated`` and counts every mark in the import report. Only cells whose last character can end such a mark are
looked at (a test on one character), so a column of plain numbers costs one vectorised pass.
"""

from __future__ import annotations

import re
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

QUALIFIERS: Final = {"p": "vorläufig", "r": "berichtigt", "s": "geschätzt", "()": "Aussagewert eingeschränkt",
                     "footnote": "mit Fußnotenzeichen"}
"""Each mark and its German meaning; ``s`` and ``()`` make a value ``estimated``."""

ESTIMATED: Final = ("s", "()")

_NUMBER = r"[+-]?[\d.,'\s\u00a0\u202f\u2009]*\d"
_SUPERSCRIPTS = "\u00b9\u00b2\u00b3\u2070\u2074\u2075\u2076\u2077\u2078\u2079"
_MARKED = re.compile(rf"(?P<n>{_NUMBER})\s*(?P<q>[prsPRS])|\((?P<b>{_NUMBER})\)|"
                     rf"(?P<f>{_NUMBER})(?:[{_SUPERSCRIPTS}]+|\s+\d{{1,2}}\))")
_ENDS = pa.array(list("prsPRS)") + list(_SUPERSCRIPTS))


def split_qualifiers(cells: pa.Array | pa.ChunkedArray) -> tuple[pa.Array | pa.ChunkedArray, pa.Array | None]:
    """(the cells with their marks taken off, the mark of each cell — '' for none), or (cells, None) where no cell
    carries one."""
    text = pc.utf8_trim_whitespace(cells)
    candidates = pc.fill_null(pc.is_in(pc.utf8_slice_codeunits(text, -1, 2 ** 31 - 1), value_set=_ENDS), False)
    if not pc.any(candidates).as_py():
        return cells, None
    rows = np.flatnonzero(candidates.to_numpy(zero_copy_only=False))
    values = pc.take(text, pa.array(rows)).to_pylist()
    found = [(i, m) for i, v in zip(rows, values) if (m := _MARKED.fullmatch(v))]
    if not found:
        return cells, None
    mask = np.zeros(len(cells), dtype=bool)
    marks = np.full(len(cells), "", dtype=object)
    numbers = []
    for i, m in found:
        number, mark = ((m.group("n"), m.group("q").lower()) if m.group("n") is not None else
                        (m.group("b"), "()") if m.group("b") is not None else (m.group("f"), "footnote"))
        mask[i], marks[i] = True, mark
        numbers.append(number.strip())
    whole = cells.combine_chunks() if isinstance(cells, pa.ChunkedArray) else cells
    cleaned = pc.replace_with_mask(whole.cast(pa.string()), pa.array(mask), pa.array(numbers, pa.string()))
    return cleaned, pa.array(marks, pa.string())


def qualifier_note(counts: dict[str, int]) -> str | None:
    """The import report's sentence on the marks read, or None."""
    counts = {q: n for q, n in counts.items() if q in QUALIFIERS and n}
    if not counts:
        return None
    parts = [f"{n:,} {QUALIFIERS[q]} ({'in Klammern' if q == '()' else q if q != 'footnote' else 'Fußnote'})"
             for q, n in sorted(counts.items(), key=lambda kv: list(QUALIFIERS).index(kv[0]))]
    estimated = sum(n for q, n in counts.items() if q in ESTIMATED)
    return ("values with the marks of official statistics read as numbers: " + ", ".join(parts)
            + (f"; the {estimated:,} estimated or of limited reliability are flagged 'estimated'" if estimated else ""))

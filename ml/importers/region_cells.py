"""Region cells read before an import: a code and a name in one cell, and a level column's own words.

**A code and a name in one cell** ('0011-Großmarkt', '14522 Mittelsachsen', '01 - Altstadt'). Older monitoring
tables and exports of statistical offices often write a region's number and its name in one cell.
Read as a code, '0011-Großmarkt' is no region of any list; read as a name, it is no name either. With
``code_and_name: true`` in a mapping, the region column's cells are read apart before anything else: the number is
the region's code, the rest its name, in a column of its own (``'<region column> (Name)'``) that serves as the
``name_column`` — the names of a region list, and beside the codes of a table of values, the names that find a
renumbered region. A cell that writes no number before a name (the city's total, 'Berlin') is both.
``mapping suggest`` proposes the key where nearly every cell of the region column is so written.

**A code behind letters** ('STGT03'). A municipal GIS writes its level's abbreviation before the number; where
every code of a key shares the letters, :func:`behind_letters` reads the numbers (a map's key, a region list's
parent codes).

**A level column's own words.** A table's level column may name its levels in words of its own ('Verkehrszellen',
'Statistische Gebiete'), which are no level of the store. ``levels:`` in a mapping names the level each stands for
(``{'Verkehrszellen': planungsraum}``); the cells are read so in a region list and in a table of values alike.
Plurals of the store's level words ('Bezirke', 'Planungsräume') are understood without it (:mod:`ml.regions`).
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pandas as pd
import pyarrow as pa

from ml.io import FileFormatError, RawTable
from ml.regions import canonical_level, name_key

# a number (digits, perhaps with dots: '1.1') and a name that starts with a letter, apart by a dash, colon or blank
CODE_AND_NAME = re.compile(r"^\s*(?P<code>\d+(?:\.\d+)*)\s*(?:[-–—:]\s*|\s+)(?P<name>[^\W\d_].*?)\s*$", re.S)
SHARE = 0.9
"""The share of a column's written cells that must be so written for ``mapping suggest`` to propose the key."""


PREFIXED = re.compile(r"^(?P<prefix>[^\W\d_]+)[-_ ]?(?P<code>\d+)$")
"""A code behind letters ('STGT03': a municipal GIS writes its level's abbreviation before the number)."""


def behind_letters(texts: list[str]) -> tuple[list[str], str] | None:
    """Codes written behind one prefix of letters that every written text shares ('STGT03', 'STGT10'), read
    without it ('03', '10'; an empty text stays empty), and the prefix; None where a text is written otherwise or
    two prefixes differ."""
    prefix = None
    for text in dict.fromkeys(t for t in texts if t):
        found = PREFIXED.match(text)
        if found is None or prefix not in (None, found["prefix"]):
            return None
        prefix = found["prefix"]
    if prefix is None:
        return None
    return [PREFIXED.match(t)["code"] if t else "" for t in texts], prefix


def split_cell(text: str) -> tuple[str, str] | None:
    """One cell's code and name where it writes a number before a name ('03 Nordstadt': '03', 'Nordstadt'; blanks
    in the name collapsed, as :func:`split_cells` writes them), else None."""
    found = CODE_AND_NAME.match(text)
    return (found["code"], " ".join(found["name"].split())) if found else None


def split_cells(cells: pd.Series) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """Each cell's code and name, and which cells were written so; the others keep their text as both (the city's
    total 'Berlin': a name, looked up or quarantined as any other)."""
    text = cells.astype("str").str.strip()
    parts = text.str.extract(CODE_AND_NAME)
    both = parts["code"].notna().to_numpy()
    codes = pd.Series(np.where(both, parts["code"].fillna(""), text), index=cells.index)
    names = pd.Series(np.where(both, parts["name"].fillna("").str.split().str.join(" "), text), index=cells.index)
    return codes, names, both


def written_together(cells: pd.Series) -> bool:
    """Whether a column writes codes and names together: at least three cells, and :data:`SHARE` of its written
    cells (or all but one, a total) a number before a name. A column of names alone or of codes alone is not."""
    written = cells.astype("str").str.strip()
    written = written[written.ne("")]
    if len(written) < 3:
        return False
    _, _, both = split_cells(written)
    return bool(both.sum() >= 3 and (both.mean() >= SHARE or len(written) - both.sum() <= 1))


def name_header(header: list[str], column: str) -> str:
    """The header of the names read from ``column``: ``'<column> (Name)'``, told apart from one the file has."""
    name, k = f"{column} (Name)", 2
    while name in header:
        name, k = f"{column} (Name {k})", k + 1
    return name


def split_region_cells(table: RawTable, mapping, notes: list[str]):
    """``table`` with its region column's cells read apart into codes and a column of names, and ``mapping`` with
    that column as its ``name_column`` (where it names none); ``notes`` says how many cells were."""
    from ml.importers.mapping import find_column

    r = find_column(table.header, "region_id", mapping.region_column)
    if r is None:
        raise FileFormatError(f"{table.path}: code_and_name reads each region's code and name from the region "
                              f"column, and the file has none that the mapping names (header: "
                              f"{', '.join(table.header[:12])}): name it with region_column")
    codes, names, both = split_cells(table.column(r))
    header = table.header[r]
    added = name_header(table.header, header)
    cells = table.cells.set_column(r, f"c{r}", pa.array(codes.tolist(), pa.string()))
    cells = cells.append_column(f"c{len(table.header)}", pa.array(names.tolist(), pa.string()))
    written = int(table.column(r).str.strip().ne("").sum())
    example = table.column(r)[both].iloc[0] if both.any() else ""
    notes.append(f"{int(both.sum())} of {written} cells of {header!r} read as a code and a name"
                 + (f" ({example.strip()!r}: {codes[both].iloc[0]!r}, {names[both].iloc[0]!r})" if both.any() else "")
                 + (f"; {written - int(both.sum())} without a number kept whole as code and name"
                    if written > both.sum() else ""))
    table = replace(table, header=[*table.header, added], cells=cells, _frame=None,
                    column_lines=None if table.column_lines is None else [*table.column_lines, table.column_lines[r]])
    if mapping.name_column is None:
        mapping = mapping.model_copy(update={"name_column": added})
    return table, mapping


def level_words(levels: dict[str, str]) -> dict[str, str]:
    """A mapping's ``levels`` keyed as compared with the cells (:func:`ml.regions.name_key`) -> the store's level."""
    return {name_key(k): canonical_level(v) or str(v).strip().lower() for k, v in levels.items()}


def translate_levels(table: RawTable, mapping, notes: list[str]) -> RawTable:
    """``table`` with the cells of its level column that ``mapping.levels`` names written as the store's level
    words; the other cells stay as they are (a word the store knows, or one quarantined with the allowed levels)."""
    from ml.importers.mapping import find_column

    lvl = find_column(table.header, "level")
    if lvl is None:
        raise FileFormatError(f"{table.path}: levels names the level of the words of a level column, and the file "
                              f"has none (a column 'Ebene' or 'level'; header: {', '.join(table.header[:12])}); give "
                              "the level of every region with level: instead")
    words = level_words(mapping.levels)
    cells = table.column(lvl)
    keys = cells.map(name_key)
    read = keys.map(words)
    hit = read.notna()
    held = set(keys)
    unused = [k for k in mapping.levels if name_key(k) not in held]
    notes.append(f"{int(hit.sum())} cells of {table.header[lvl]!r} read as the levels the mapping names ("
                 + ", ".join(f"{k!r}: {v}" for k, v in mapping.levels.items()) + ")"
                 + (f"; not in the file: {', '.join(map(repr, unused))}" if unused else ""))
    new = pd.Series(np.where(hit.to_numpy(), read.fillna("").to_numpy(), cells.to_numpy()), dtype=object)
    return replace(table, cells=table.cells.set_column(lvl, f"c{lvl}", pa.array(new.astype(str).tolist(), pa.string())),
                   _frame=None)

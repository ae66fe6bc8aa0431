"""A table whose regions stand in the header: read turned.

A Sozialbericht or a Statistisches Jahrbuch prints its key figures per Stadtteil with the regions across and the
indicators down::

    Merkmal;Einheit;Altstadt;Neustadt;…;Stadt insgesamt
    Einwohner;Anzahl;3.866;4.850;…;97.877
    Arbeitslose;Anzahl;226;383;…;4.403
    ;je 100 EW 15-64;8,1;11,4;…;6,9
    Bevölkerung nach Alter;;;;…;
    unter 18 Jahren;Anzahl;512;731;…;14.880

:func:`turn_table` makes it the wide table every other step reads: one row per region (the header's cells, in a
column named ``Gebiet``, or the level the corner cell names, ``Stadtteil``), one column per row of the printed
table. A header of years across (``Merkmal;2019;2020;2021``: the county's own key figures) gives a row per year, in
a column ``Jahr``, for a mapping that names the one region (``region:``); a header of regions each over several
years (``Altstadt`` over ``2021;2022``, a header of two rows joined into ``Altstadt 2021``) a row per region and
year, the year in the column ``Jahr`` (a region's column of no one year, a change between them, is left out). A
row's name is its label columns' cells joined (``Arbeitslose je 100 EW 15-64``, ``Einwohner 2021``): the leading
columns of words, and a column of years after them (a number column, ``Nr.``, ``lfd. Nr.``, is left out of the
name); a label written on the first row of its block only (merged cells) holds for the rows below it. A row of a
label and no value is a heading: it is put before the rows under it that begin in lower case, with a digit or a dash
(``Bevölkerung nach Alter unter 18 Jahren``), and is not a column itself; such rows after the last row of values are
the table's footer (the source, a legend) and are quoted in a note. :func:`label_columns` tells the suggestion which
columns label the rows.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from ml.io import RawTable
from ml.importers.common import without_footer_lines
from ml.importers.mapping import ALIASES, header_key, norm_header
from ml.parsing import MISSING_MARKERS, SECRECY_MARKERS
from ml.regions import canonical_level

REGION_HEADER = "Gebiet"
"""The name of the turned table's region column where the corner cell names no level."""

MAX_ROWS = 300
"""The most rows a table the suggestion reads turned has: a printed table of indicators down holds tens of them (a
table of more is one of regions down, and is not turned to find out); a mapping turns a table of any size."""

YEAR_HEADER = "Jahr"
"""The name of the turned table's first column where the header's cells are years: a table of one region (the
whole city or county, ``region:`` in the mapping) with the years across."""

ROW_NAME = "Zeile {}"
"""The name of a column made from a row without a label (its line)."""

CORNER_WORDS = {"merkmal", "merkmale", "indikator", "indikatoren", "kennzahl", "kennzahlen", "kennziffer",
                "kennziffern", "indicator", "indicators", "variable", "variablen"}
"""A corner cell (the header of the labels) that says the rows are indicators, folded as headers are."""

_NUMBER = re.compile(r"[-+]?[\d.,\s]*\d[\d.,\s]*%?")
_NUMBERING = {"nr", "lfdnr", "lfd", "nummer", "pos", "position", "zeile", "zeilennr", "no", "ndeg"}
"""Headers of a column that numbers the printed rows: left out of a row's name."""
_CONTINUED = re.compile(r"[a-zäöüß0-9\-–…(]")
"""How a row's label begins where it continues the heading above it ('unter 18 Jahren', '65 und älter', '- davon')."""


def _numbers(cells: pd.Series) -> float:
    """The share of a column's written cells (not empty, not a mark of a missing value) that are numbers; NaN
    where none is written."""
    held = cells.str.strip()
    held = held[held.ne("") & ~held.isin(MISSING_MARKERS) & ~held.isin(SECRECY_MARKERS)]
    return float(held.str.fullmatch(_NUMBER.pattern).mean()) if len(held) else float("nan")


_REGION_YEAR = (re.compile(r"(?P<name>.*\S)\s+(?P<year>(?:19|20)\d\d)"),
                re.compile(r"(?P<year>(?:19|20)\d\d)\s+(?P<name>\S.*)"))
"""A header's cell naming a region and a year ('Altstadt 2021', '2021 Altstadt')."""


def regions_and_years(shown: list[str]) -> tuple[list[str], list[str], list[int]] | None:
    """Where the header's cells (``shown``) name regions each over several years ('Altstadt 2021', 'Altstadt 2022',
    …): each kept cell's region and year, and the positions of the cells kept — a cell of a region that names no
    one year ('Altstadt Veränderung in %', a change the table computes) is left out. None where the cells are not
    so: fewer than two years, fewer than half the regions over several (a region of one year is one new or gone in
    the other, its year one of theirs), or a cell of no region read so."""
    found = [next((m for m in (rx.fullmatch(h) for rx in _REGION_YEAR) if m), None) for h in shown]
    pairs = [(m["name"], m["year"]) for m in found if m]
    per_name = Counter(n for n, _ in pairs)
    names, several = set(per_name), {name for name, k in per_name.items() if k >= 2}
    if len({y for _, y in pairs}) < 2 or 2 * len(several) < len(names):
        return None
    years = {y for n, y in pairs if n in several}
    if any(y not in years for n, y in pairs if n not in several):
        return None         # 'Neubaugebiet 2000' beside the years 2021 and 2022: a name, not a region's year
    kept = [i for i, m in enumerate(found) if m]
    if any(not any(shown[i].startswith(n + " ") for n in names) for i in range(len(shown)) if found[i] is None):
        return None
    return [n for n, _ in pairs], [y for _, y in pairs], kept


def label_columns(table: RawTable) -> tuple[int, list[int]]:
    """How many leading columns label the rows, and which of them name them (a column numbering the rows,
    ``Nr.``, labels without naming): the leading columns of words, and a numbering column among them."""
    frame = table.frame()
    k, named = 0, []
    periods = {norm_header(a) for a in ALIASES["period"]}
    for i, h in enumerate(table.header):
        share = _numbers(frame[f"c{i}"])
        if norm_header(h) in _NUMBERING and k == i:
            k += 1
            continue
        held = frame[f"c{i}"].str.strip()
        if k == i and named and (norm_header(h) in periods or (
                held.ne("").any() and held[held.ne("")].str.fullmatch(r"(19|20)\d\d").all())):
            named.append(i)         # the year of each row ('Einwohner', '2021'): a part of its name
            k += 1
            continue
        if share == share and share < 0.5:
            named.append(i)
            k += 1
            continue
        break
    return k, named


@dataclass
class _Row:
    line: int
    label: list[str]
    values: list[str]


def _rows(table: RawTable, k: int, named: list[int]) -> list[_Row]:
    """The printed rows in the order of their lines: the table's rows, and its lines of one field (a heading
    written without delimiters) among them."""
    frame = table.frame()
    width = len(table.header)
    rows = [_Row(int(line), [str(frame.iat[r, i]).strip() for i in named],
                 [str(frame.iat[r, i]).strip() for i in range(k, width)])
            for r, line in enumerate(table.lines)]
    for p in table.problems:
        if p.reason.endswith(", found 1") and re.search(r"[^\W\d_]", p.value):
            rows.append(_Row(int(p.line), [" ".join(str(p.value).split())] + [""] * (len(named) - 1),
                             [""] * (width - k)))
    return sorted(rows, key=lambda row: row.line)


def _names(rows: list[_Row]) -> tuple[list[str], list[bool], list[str]]:
    """Each row's name, whether it holds values, and the headings put before rows."""
    carried = [""] * max((len(r.label) for r in rows), default=0)
    heading, headings = "", []
    names, valued = [], []
    for row in rows:
        for j, cell in enumerate(row.label[:-1]):       # a label on its block's first row only: merged cells
            if cell:
                carried[j] = cell
            elif any(row.label[j + 1:]):
                row.label[j] = carried[j]
        name = " ".join(c for c in row.label if c)
        if not any(row.values):
            if name:
                heading = name
                headings.append(name)
            names.append(name)
            valued.append(False)
            continue
        if heading and name and _CONTINUED.match(name):
            name = f"{heading} {name.lstrip('-– ').strip()}"
        elif name and not _CONTINUED.match(name):
            heading = ""        # a row of its own ends the heading's block
        names.append(name or ROW_NAME.format(row.line))
        valued.append(True)
    return names, valued, headings


def turn_table(table: RawTable, header_line: int) -> RawTable:
    """``table``, whose regions stand in its header, turned: a row per region, a column per printed row (see the
    module text). The turned rows' line is the header's, where the regions are written; each column's printed line
    is kept (``column_lines``), so that a cell's quarantine names the line it stands on. Raises ValueError where
    the table has no column of labels before columns of values."""
    before = table.problems
    table, footer_note = without_footer_lines(table)
    under = [str(p.value) for p in before if p not in table.problems]
    k, named = label_columns(table)
    width = len(table.header)
    if not named or k >= width:
        raise ValueError("regions_in_columns: no column of the rows' labels (words) before the regions' columns "
                         f"(header: {', '.join(table.header[:8])}{' …' if width > 8 else ''})")
    rows = _rows(table, k, named)
    names, valued, headings = _names(rows)
    last = max((i for i, v in enumerate(valued) if v), default=-1)
    footer = [n for i, n in enumerate(names) if i > last and n]
    keep = [i for i, v in enumerate(valued) if v]
    regions = list(range(k, width))
    empty_columns = [j for j in regions if not header_key(table.header[j])
                     and not any(rows[i].values[j - k] for i in keep)]
    regions = [j for j in regions if j not in empty_columns]
    shown = [header_key(table.header[j]) for j in regions]
    years = all(re.fullmatch(r"(19|20)\d\d", h) for h in shown)     # a table of one region over the years
    corner = [table.header[i] for i in range(k) if canonical_level(table.header[i])]
    region_header = YEAR_HEADER if years else corner[0] if corner else REGION_HEADER
    notes = list(table.notes) + ([footer_note] if footer_note else [])
    split = None if years else regions_and_years(shown)
    if split is not None:
        places, periods, kept = split
        left = [shown[i] for i in range(len(shown)) if i not in kept]
        regions = [regions[i] for i in kept]
        cells = {"c0": places, "c1": periods}
        notes.append(f"read turned (regions_in_columns): the header's {len(regions)} cells name "
                     f"{len(dict.fromkeys(places))} regions over {len(set(periods))} years ("
                     f"{', '.join(map(repr, [shown[i] for i in kept[:3]]))} …): a row per region and year, the year "
                     f"in the column {YEAR_HEADER!r}; the {len(keep)} rows of values are the columns ("
                     f"{', '.join(repr(names[i]) for i in keep[:3])}{' …' if len(keep) > 3 else ''})")
        if left:
            notes.append(f"{len(left)} column{'s' if len(left) != 1 else ''} of a region but no one year left out "
                         f"(a change between the years, which the table computes): "
                         f"{', '.join(map(repr, left[:3]))}{' …' if len(left) > 3 else ''}")
    else:
        cells = {"c0": shown}
        what = "years" if years else "regions"
        notes.append(f"read turned (regions_in_columns): the {len(regions)} {what} of the header "
                     f"({', '.join(map(repr, shown[:3]))}{' …' if len(shown) > 3 else ''}) are the rows, the "
                     f"{len(keep)} rows of values the columns ({', '.join(repr(names[i]) for i in keep[:3])}"
                     f"{' …' if len(keep) > 3 else ''})")
    first = len(cells)
    for out, i in enumerate(keep, start=first):
        cells[f"c{out}"] = [rows[i].values[j - k] for j in regions]
    inner = [h for h in headings if h not in footer]
    if inner:
        notes.append(f"{len(inner)} heading row{'s' if len(inner) != 1 else ''} without values "
                     f"({', '.join(map(repr, inner[:3]))}{' …' if len(inner) > 3 else ''}) put before the rows under "
                     "them that begin in lower case, with a digit or a dash")
    if footer:
        notes.append(f"{len(footer)} line{'s' if len(footer) != 1 else ''} after the table (the source, notes, a "
                     f"legend of its signs) left out: {', '.join(repr(f[:50]) for f in footer[:3])}"
                     f"{' …' if len(footer) > 3 else ''}")
    read = set(table.lines.tolist())
    headings_of_one_field = {r.line for r in rows if r.line not in read}
    problems = [p for p in table.problems if int(p.line) not in headings_of_one_field]
    header = [region_header] + ([YEAR_HEADER] if split is not None else []) + [names[i] for i in keep]
    return RawTable(path=table.path, header=header, cells=pa.table(cells),
                    lines=np.full(len(regions), header_line, dtype=np.int64), problems=problems,
                    encoding=table.encoding, delimiter=table.delimiter, notes=notes, blank_lines=table.blank_lines,
                    sheet=table.sheet, footer=list(table.footer) + under + footer,
                    column_lines=[header_line] * (len(header) - len(keep)) + [rows[i].line for i in keep])

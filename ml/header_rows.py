"""Headers over several rows, and lines after the table, as statistical offices export them.

The Regionaldatenbank and the Länder's GENESIS databases write a table as title lines, a header of two or three
rows whose upper rows span several columns (``;;;Bevölkerung;;`` over ``;;;Insgesamt;männlich;weiblich``), key
columns without a name (the date, the code, the name), the data, and a footer (``__________``, the licence).
INKAR's CSV export names each indicator in one row and its year in the next.

:func:`combine_header_rows` joins such a header into one name per column: an upper row's label is carried over the
empty cells to its right, within the span of the label above it, and joined with the labels below ('Bevölkerung
Insgesamt', 'Arbeitslosenquote 2019'); a column without any label is named ``Spalte N`` (its position, from 1), so
that a mapping can name it. The footer is left out and counted. :func:`header_block` finds such a header in the
first lines of a file, for ``mapping suggest``; a mapping says ``header_rows: N``.
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa

from ml.io import RawTable

EMPTY_NAME = "Spalte {}"
"""The name of a column no header row labels (1-based position)."""

_YEAR = re.compile(r"(19|20)\d\d")
_NUMBER = re.compile(r"[-+]?[\d.,\s]*\d[\d.,\s]*%?")


def _filled(row: list[str]) -> list[int]:
    return [i for i, c in enumerate(row) if str(c).strip()]


def _continues(row: list[str]) -> bool:
    """A header row below the first: its first cell empty, some label, and no number but a year."""
    filled = _filled(row)
    return (bool(filled) and 0 not in filled
            and not any(_NUMBER.fullmatch(row[i].strip()) and not _YEAR.fullmatch(row[i].strip()) for i in filled))


def header_block(rows: list[list[str]], max_rows: int = 4) -> tuple[int, int] | None:
    """(the header's first line, 1-based; its number of rows) where the first lines of a file (``rows``, as split
    by the delimiter) hold a header of several rows or one whose key columns have no name; None for a plain
    header of one full row, which the usual search finds."""
    width = max((len(r) for r in rows), default=0)
    start = None
    for i, row in enumerate(rows):
        filled = _filled(row)
        if not filled or (filled == [0] and i + 1 < len(rows)):
            continue            # a blank or title line (text in the first cell alone)
        start = i
        break
    if start is None or width < 2:
        return None
    n = 1
    while start + n < len(rows) and n < max_rows and _continues(rows[start + n]):
        n += 1
    if start + n >= len(rows) or not _filled(rows[start + n]) or 0 not in _filled(rows[start + n]):
        return None             # no data row with a first cell below it: not this shape
    first = rows[start]
    unnamed = len(_filled(first)) < 0.6 * width and 0 not in _filled(first)
    if n == 1 and not unnamed:
        return None
    return start + 1, n


def combined_names(rows: list[list[str]]) -> list[str]:
    """One name per column from a header of several rows (see the module text)."""
    width = max(len(r) for r in rows)
    grid = [[str(r[i]).strip() if i < len(r) else "" for i in range(width)] for r in rows]
    for k in range(len(grid) - 1):              # every row but the last spans to the right
        above = grid[k - 1] if k > 0 else None
        label = ""
        for i in range(width):
            starts_span = above is not None and i > 0 and above[i] != above[i - 1]
            if grid[k][i]:
                label = grid[k][i]
            elif starts_span:
                label = ""
            else:
                grid[k][i] = label
    names = []
    for i in range(width):
        parts = []
        for k in range(len(grid)):
            if grid[k][i] and (not parts or parts[-1] != grid[k][i]):
                parts.append(grid[k][i])
        names.append(" ".join(parts) or EMPTY_NAME.format(i + 1))
    return names


def combine_header_rows(table: RawTable, rows: int) -> RawTable:
    """``table`` read at its header's first row, with the next ``rows - 1`` rows taken into the header, columns
    without a label named ``Spalte N``, and the lines after the table (a footer) left out with a note."""
    frame = table.frame()
    below = [[frame.iat[k, i] for i in range(frame.shape[1])] for k in range(min(rows - 1, len(frame)))]
    header = combined_names([table.header] + below)
    cells, lines = table.cells.slice(rows - 1), table.lines[rows - 1:]
    notes = list(table.notes)
    if rows > 1:
        notes.append(f"a header of {rows} rows (lines {int(table.lines[0]) - 1 if len(table.lines) else 1}–"
                     f"{int(lines[0]) - 1 if len(lines) else '?'}), joined into one name per column")
    unnamed = [h for h in header if re.fullmatch(EMPTY_NAME.format(r"\d+"), h)]
    if unnamed:
        notes.append(f"columns without a header named by their position: {', '.join(unnamed)}")
    printed = cells.num_rows
    cells, lines, footer, problems = _without_footer(cells, lines, table.problems)
    under = [" ".join(str(c).strip() for c in row.values() if str(c).strip())
             for row in table.cells.slice(rows - 1 + cells.num_rows, printed - cells.num_rows).to_pylist()]
    under += [str(p.value) for p in table.problems if p not in problems]
    if footer:
        notes.append(f"{footer} line(s) after the table (a footnote, the source, the licence) left out")
        if not problems:        # the footer alone sent the file down the row-by-row path
            notes = [n for n in notes if not n.startswith("parsed row by row")]
    return RawTable(path=table.path, header=header, cells=cells, lines=lines, problems=problems,
                    encoding=table.encoding, delimiter=table.delimiter, notes=notes, blank_lines=table.blank_lines,
                    sheet=table.sheet, footer=list(table.footer) + under)


def _without_footer(cells: pa.Table, lines: np.ndarray, problems: list) -> tuple[pa.Table, np.ndarray, int, list]:
    """The rows at the end that start with words, not a code, and hold no number ('__________', 'Datenlizenz …'),
    and the unreadable lines after the last data row, are a footer."""
    n = cells.num_rows
    keep = n
    if cells.num_columns >= 2:
        cols = [cells.column(i).to_pylist() for i in range(cells.num_columns)]
        while keep > 0:
            first = str(cols[0][keep - 1]).strip()
            numbers = any(_NUMBER.fullmatch(str(c[keep - 1]).strip()) for c in cols[1:])
            if numbers or not first or (re.fullmatch(r"[\w-]+", first) and re.search(r"[^\W_]", first)):
                break
            keep -= 1
    last = int(lines[keep - 1]) if keep else 0
    after = [p for p in problems if p.line > last] if keep else []
    kept = [p for p in problems if p not in after]
    return cells.slice(0, keep), lines[:keep], (n - keep) + len(after), kept


def first_rows(path, sheet: str | int | None = None, n: int = 25) -> list[list[str]]:
    """The first ``n`` lines of a file split into cells (title lines too), for :func:`header_block`."""
    import csv
    from pathlib import Path

    from ml.io import SPREADSHEET_SUFFIXES, read_excel, read_sheet
    from ml.parsing import detect_encoding

    path = Path(path)
    if path.suffix.lower() in SPREADSHEET_SUFFIXES:
        import pandas as pd

        try:       # the rows as read_excel numbers them, blank ones too; only the first n are read
            frame = read_sheet(path, sheet, n)
        except Exception:  # noqa: BLE001 - no workbook, a damaged one, an unknown sheet: the reader's own error
            read_excel(path, sheet=sheet)
            raise
        return [["" if pd.isna(v) else str(int(v)) if isinstance(v, float) and v.is_integer() else str(v).strip()
                 for v in row] for row in frame.itertuples(index=False)]
    from ml.json_tables import is_json

    if path.suffix.lower() in (".parquet", ".pq") or is_json(path):
        return []
    with path.open("rb") as handle:
        data = handle.read(1 << 16)
    try:
        enc = detect_encoding(data)
    except ValueError:
        return []
    text = data.decode("utf-16" if enc.name == "utf-16" else enc.name, errors="replace").lstrip("\ufeff")
    lines = text.splitlines()[:n]
    delimiter = max(";,\t|", key=lambda d: sum(line.count(d) for line in lines))
    return [row for row in csv.reader(lines, delimiter=delimiter)]

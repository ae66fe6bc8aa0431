"""What every layout adapter returns, and the pieces they share (cells by position, wide to long)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from ml.catalog import Indicator
from ml.header_rows import EMPTY_NAME
from ml.importers.mapping import Mapping, find_column, ignored_positions, norm_header
from ml.io import FileFormatError, Problem, RawTable
from ml.parsing import DASHES, MISSING_MARKERS

LONG_COLUMNS = ("line", "column", "region_id", "indicator_id", "period", "value", "numerator", "denominator", "flag")
"""The text columns every adapter produces (a ``region_level`` column may follow, for names on two levels)."""


@dataclass
class Adapted:
    """What a format adapter returns: long text cells (region_id, indicator_id, period, value, numerator,
    denominator, flag, line), the regions it found, a catalog extension and notes."""
    cells: pd.DataFrame | pa.Table
    regions: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    empty_cells: int = 0
    indicators: list[Indicator] = field(default_factory=list)
    """Catalog entries the file itself defines (the age groups of a table by age)."""


def empty_long() -> pd.DataFrame:
    """An empty frame with the columns of long text cells."""
    return pd.DataFrame({c: pd.Series([], dtype="int64" if c == "line" else "str") for c in LONG_COLUMNS})


FOOTER_START = re.compile(r"(quelle|stand|anmerkung|hinweis|fußnote|fussnote|zeichenerklärung|erläuterung|lizenz|"
                          r"datenlizenz|source|note)\b|[©*¹²³]|\d\)|[-–—.x/…]\s*(=|:)|_{3,}", re.IGNORECASE)
"""How a line after a table begins that is its source, a note or a legend of its signs, never a region."""


def without_footer_lines(table: RawTable) -> tuple[RawTable, str | None]:
    """``table`` without the lines of text under it that hold a single field (no delimiter) — the source, notes, a
    legend of the signs ('– = Zahlenwert unbekannt'), written under a CSV table by hand or by an export —, which the
    reader names as lines of the wrong width: after the table's last row of cells they are its footer, not rows
    that went wrong; the note quotes them. So is a line there that begins as a footer does (:data:`FOOTER_START`)
    whatever its fields ('Quelle: Stadt; Bundesagentur', its ';' a delimiter). A line of that kind among the rows,
    or one without words, stays named."""
    if not len(table.lines):
        return table, None      # no row read: its lines of the wrong width are no footer but the table itself
    last = int(table.lines[-1])
    footer = [p for p in table.problems if p.line > last and re.search(r"[^\W\d_]", p.value) and (
        p.reason.endswith(", found 1") or FOOTER_START.match(str(p.value).strip()))]
    if not footer:
        return table, None
    from dataclasses import replace

    lines = [" ".join(p.value.split()) for p in footer[:3]]
    quoted = "; ".join(f"'{t[:100]}{' …' if len(t) > 100 else ''}'" for t in lines)
    note = (f"{len(footer)} line{'' if len(footer) == 1 else 's'} of text under the table (the source, notes, a "
            f"legend of its signs) not read as rows: {quoted}{' …' if len(footer) > 3 else ''}")
    problems = [p for p in table.problems if p not in footer]
    # the footer alone sent the file down the row-by-row path: that note would send the analyst looking for faults
    notes = table.notes if problems else [n for n in table.notes if not n.startswith("parsed row by row")]
    return replace(table, problems=problems, notes=notes), note


def without_text_lines(table: RawTable, region: int, period: int | None,
                       values: list[int]) -> tuple[RawTable, str | None]:
    """``table`` without its lines of text outside the data: no region, no period, nothing in a column that is
    imported, but words in some cell — a note of the publisher below or among the rows (Berlin's register, 2016:
    'Berechnungsfehler: Korrektur am 18.05.2017'). Such a line holds no value, so nothing is lost by leaving it
    out; but its words may say something about the values, so the note returned quotes them (None where there are
    none). A row of no region that holds a value is kept, and validation names it."""
    frame = table.frame()
    text = np.ones(len(frame), dtype=bool)
    for i in [region, *([] if period is None else [period]), *values]:     # cheap: most rows end here
        if f"c{i}" in frame:
            text &= frame[f"c{i}"].str.strip().isin(MISSING_MARKERS).to_numpy()
    if text.any():
        words = frame[text].apply(lambda c: c.str.contains(r"[^\W\d_]", regex=True)).any(axis=1).to_numpy()
        text[np.flatnonzero(text)[~words]] = False
    if not text.any():
        return table, None
    rows = frame[text]
    quoted = []
    for line, (_, row) in zip(table.lines[text], rows.iterrows()):
        said = " | ".join(" ".join(str(v).split()) for v in row if str(v).strip() not in MISSING_MARKERS)
        quoted.append(f"line {int(line)}: '{said[:120]}{'…' if len(said) > 120 else ''}'")
    n = int(text.sum())
    note = (f"{n} line{'' if n == 1 else 's'} of text without a region or a value, not imported (a note of the "
            f"publisher on the values? read it): " + "; ".join(quoted[:3]) + (f" and {n - 3} more" if n > 3 else ""))
    keep = pa.array(~text)
    from dataclasses import replace

    return replace(table, cells=table.cells.filter(keep), lines=table.lines[~text], _frame=None), note


def period_position(table: RawTable, mapping: Mapping) -> int | None:
    """Where the periods are: the mapping's ``period_column``, else a column of a period's usual names (Jahr, year,
    Stichtag, ZEIT). Where the mapping also fixes ``period``, such a column is read only if every cell names that
    period ('2019', '31.12.2019', '2019-12' for 2019); a column listed under ``ignore_columns`` is not read; a
    column naming other periods contradicts the mapping, and the import is refused (FileFormatError) rather than
    one of the two silently preferred."""
    h = table.header
    p = find_column(h, "period", mapping.period_column)
    if p is None or mapping.period is None or mapping.period_column is not None:
        return p
    if p in ignored_positions(h, mapping.ignore_columns):
        return None
    held = sorted(set(cell_column(table, p).astype("str").str.strip()) - {"", *MISSING_MARKERS})
    other = [c for c in held if mapping.period not in c]
    if not other:
        return p
    raise FileFormatError(
        f"{table.path}: the mapping sets period {mapping.period!r}, but the column {h[p]!r} names "
        f"{', '.join(other[:5])}{' …' if len(other) > 5 else ''}: keep the one that is right (remove 'period' from the "
        f"mapping to read the column, or list {h[p]!r} under ignore_columns to use the mapping's period)")


def cell_column(table: RawTable, index: int | None, default: str = "") -> pd.Series:
    """The text cells of one column of a raw table (blank where the row is shorter)."""
    if index is None:
        return pd.Series(default, index=table.frame().index, dtype="str")
    return table.column(index)


def dashes_as_zero(frame: pd.DataFrame, positions, dash: str) -> tuple[pd.DataFrame, int]:
    """``frame`` (text cells ``c0``, ``c1`` …) with a lone dash in the columns at ``positions`` read as 0 where
    ``dash`` is 'zero' (``ingest.dash``: German official tables' 'nichts vorhanden'), and how many cells were."""
    return _cells_written(frame, positions, DASHES, "0") if dash == "zero" else (frame, 0)


def _cells_written(frame: pd.DataFrame, positions, cells, written: str) -> tuple[pd.DataFrame, int]:
    """``frame`` with the cells of the columns at ``positions`` that hold one of ``cells`` (stripped) written as
    ``written``, and how many were."""
    frame, n = frame.copy(), 0
    for i in positions:
        text = frame[f"c{i}"].astype("str")
        hit = text.str.strip().isin(cells)
        n += int(hit.sum())
        frame[f"c{i}"] = text.where(~hit, written)
    return frame, n


def dash_as_zero(column: pa.ChunkedArray | pa.Array) -> tuple[pa.ChunkedArray | pa.Array, int]:
    """The cells of a pyarrow text column with a lone dash (the official tables' 'nothing') replaced by '0', and
    how many were."""
    import pyarrow.compute as pc

    dash = pc.fill_null(pc.is_in(pc.utf8_trim_whitespace(column), value_set=pa.array(DASHES)), False)
    return pc.if_else(dash, "0", column), int(pc.sum(dash).as_py() or 0)


def dash_note(n: int) -> list[str]:
    """The report's word on cells read as 0 for a lone dash (none: no word)."""
    return [f"{n:,} cell{'s' if n != 1 else ''} holding only a dash ('–', '-') read as 0, 'nichts vorhanden' as "
            "German official tables write it ('dash: missing' in the mapping reads them as no value)"] if n else []


def withheld_in_frame(frame: pd.DataFrame, positions, marks: list[str]) -> tuple[pd.DataFrame, int]:
    """A table's text cells with the marks the mapping names under ``withheld`` (a Sozialatlas's ``NULL`` where it
    publishes no count below 4) written as ``x``, the mark of a withheld value (flag ``suppressed``), in the columns
    at ``positions``; and how many cells were. Unchanged without marks."""
    return _cells_written(frame, positions, marks, "x") if marks else (frame, 0)


def withheld_in_column(column: pa.ChunkedArray | pa.Array, marks: list[str]) -> tuple[pa.ChunkedArray | pa.Array, int]:
    """:func:`withheld_in_frame` for one pyarrow text column (a long table's values)."""
    import pyarrow.compute as pc

    if not marks:
        return column, 0
    hit = pc.fill_null(pc.is_in(pc.utf8_trim_whitespace(column), value_set=pa.array(marks)), False)
    return pc.if_else(hit, "x", column), int(pc.sum(pc.cast(hit, pa.int64())).as_py() or 0)


def withheld_note(marks: list[str], n: int) -> str:
    """The import report's line on the cells read as withheld."""
    said = ", ".join(repr(m) for m in marks)
    return (f"withheld ({said}, as the mapping's 'withheld' says): {n} cell{'' if n == 1 else 's'} kept as "
            "observations flagged suppressed, without a value")


def melt(table: RawTable, region: pd.Series, period: pd.Series, columns: dict[int, str],
          flag: pd.Series | None = None, cells: pd.DataFrame | None = None,
          level: pd.Series | None = None, names: pd.Series | None = None) -> tuple[pd.DataFrame, int]:
    """Wide -> long for the given column positions; empty cells are counted, not turned into rows. ``level`` and
    ``names`` give each row's level and the region's name written beside its code (``region_level``,
    ``region_name``)."""
    frames = []
    empty = 0
    cells = table.frame() if cells is None else cells
    for pos, indicator in columns.items():
        values = cells[f"c{pos}"].astype("str").str.strip()
        blank = values.isin(MISSING_MARKERS).to_numpy()
        empty += int(blank.sum())
        keep = ~blank
        if not keep.any():
            continue
        extra = {} if level is None else {"region_level": level.astype("str").to_numpy()[keep]}
        if names is not None:
            extra["region_name"] = names.astype("str").to_numpy()[keep]
        frames.append(pd.DataFrame({
            # a table read turned: the line its row of values is printed on, not its region's (the header)
            "line": table.lines[keep] if table.column_lines is None else np.full(int(keep.sum()),
                                                                                 table.column_lines[pos]),
            "column": table.header[pos] or EMPTY_NAME.format(pos + 1),
            "region_id": region.to_numpy()[keep],
            "indicator_id": indicator,
            "period": period.to_numpy()[keep],
            "value": values.to_numpy()[keep],
            "numerator": "",
            "denominator": "",
            "flag": "" if flag is None else flag.to_numpy()[keep],
            **extra,
        }))
    if not frames:
        return empty_long(), empty
    out = pd.concat(frames, ignore_index=True)
    for c in LONG_COLUMNS[1:]:
        out[c] = out[c].astype("str")
    return out, empty


def without_notes(text: str) -> str:
    """``text`` with its notes in brackets left out: 'Kosten pro Jahr (€)' → 'Kosten pro Jahr'."""
    return re.sub(r"\s*\([^()]*\)", "", str(text)).strip()


def role_position(header: list[str], aliases: tuple[str, ...]) -> int | None:
    """The first header matching one of ``aliases`` (compared as :func:`ml.importers.mapping.norm_header` folds
    them), else the first that does once a note in brackets is left out ('Gebiete (Sozialräume)'), or None."""
    wanted = {norm_header(a) for a in aliases}
    found = next((i for i, h in enumerate(header) if norm_header(h) in wanted), None)
    if found is None:
        found = next((i for i, h in enumerate(header)
                      if "(" in str(h) and norm_header(without_notes(h)) in wanted), None)
    return found


def register_number(text: pd.Series) -> pd.Series:
    """Numbers as German registers write them: decimal comma, '.' between thousands (80.000), or a decimal point."""
    t = text.str.strip().str.replace("\u00a0", "", regex=False).str.replace(" ", "", regex=False)
    thousands = t.str.fullmatch(r"-?\d{1,3}(\.\d{3})+")
    t = t.where(~thousands, t.str.replace(".", "", regex=False))
    comma = t.str.contains(",", regex=False)
    t = t.where(~comma, t.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
    return pd.to_numeric(t, errors="coerce")


def register_year(text: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """A year from 'YYYY', 'YYYY-MM-DD' or 'DD.MM.YYYY' (NaN when empty); and which non-empty cells are not one."""
    t = text.str.strip()
    empty = t.isin(MISSING_MARKERS).to_numpy()
    year = t.str.extract(r"^(\d{4})(?:-\d{2}-\d{2})?$", expand=False)
    dotted = t.str.extract(r"^\d{1,2}\.\d{1,2}\.(\d{4})$", expand=False)
    out = pd.to_numeric(pd.Series(np.where(year.notna(), year, dotted), index=t.index), errors="coerce")
    return out, (~empty) & out.isna().to_numpy()


YEAR_END = r"^(?:(\d{4})-?12|31\.12\.(\d{4}))$"
"""A stand at the end of a year: ``201812``, ``2018-12``, ``31.12.2018``."""


def year_end_stands(period: pd.Series) -> tuple[pd.Series, bool, str | None]:
    """A register's stands at the end of a year (``201812``, ``2018-12``, ``31.12.2018``) read as the year's count,
    unless the table also holds stands within a year (then every stand stays a month). Returns the periods, whether
    the table is monthly, and a note for the report when stands were read as years."""
    text = period.astype("str").str.strip()
    parts = text.str.extract(YEAR_END, expand=True).to_numpy(dtype=object)
    year_end = np.where(pd.notna(parts[:, 0]), parts[:, 0], parts[:, 1])
    within = text.str.fullmatch(r"\d{4}-?\d{2}|\d{1,2}\.\d{4}|\d{2}\.\d{2}\.\d{4}") & pd.isna(year_end)
    monthly = bool(within.any())
    if not pd.notna(year_end).any() or monthly:
        return period, monthly, None
    read = pd.Series(np.where(pd.notna(year_end), year_end, period.to_numpy()), index=period.index, dtype="str")
    first = int(np.flatnonzero(pd.notna(year_end))[0])
    return read, False, f"stands at 31 December read as the year's count ({text.iloc[first]} → {read.iloc[first]})"

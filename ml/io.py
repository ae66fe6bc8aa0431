"""Reading monitoring files into a table of text cells with their line numbers, and writing reports.

Every data line of a file ends up either as a row of ``RawTable.cells`` (with its physical line number in
``RawTable.lines``) or as a ``Problem`` in ``RawTable.problems``; blank lines are counted, nothing is
dropped. Number, code and period parsing happen later, in ``ml.validation``.

Longer than 450 lines because every file format's reading (CSV dialects and encodings, Excel, Parquet) and the
German exports share the one raw-table contract with line numbers; parsing of the cells lives in ``ml.parsing``.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ml.parsing import detect_encoding

DELIMITERS = (";", ",", "\t", "|")


class FileFormatError(ValueError):
    """The file as a whole cannot be read (empty, binary, no recognisable header or delimiter)."""


@dataclass(frozen=True)
class Problem:
    """One quarantined cell or line: where, what and why."""

    line: int
    column: str
    value: str
    reason: str


@dataclass
class RawTable:
    """The text cells of a file: ``cells`` has one string column per header field."""

    path: Path
    header: list[str]
    cells: pa.Table
    lines: np.ndarray
    problems: list[Problem] = field(default_factory=list)
    encoding: str = "utf-8"
    delimiter: str = ","
    notes: list[str] = field(default_factory=list)
    blank_lines: int = 0
    sheet: str | None = None
    column_lines: list[int] | None = None
    """Where the table was read turned (its rows are regions, its columns the printed rows): the printed line of
    each column, so that a cell's quarantine names the line it stands on; None for a table read as it stands."""
    footer: list[str] = field(default_factory=list)
    """Lines under the table left out as its footer where they are no longer among ``problems`` (a table read
    turned): the source, a legend of its signs, which the suggestion reads."""
    groups: list[str] | None = None
    """A JSON table's: the object each column is nested in within its record ('age_groups' for
    'age_groups.age_65_and_above'), '' for a record's own field; None for a table of another kind."""
    _frame: pd.DataFrame | None = field(default=None, repr=False)

    def frame(self) -> pd.DataFrame:
        """The cells as a pandas frame of strings (columns ``c0``, ``c1`` ...)."""
        if self._frame is None:
            self._frame = self.cells.to_pandas().astype("str")
        return self._frame

    def column(self, index: int) -> pd.Series:
        """The text cells of the column at position ``index`` (blank where a row is shorter)."""
        return self.frame()[f"c{index}"]


def file_hash(path: Path) -> str:
    """The SHA-256 of a file's bytes (an import's identity)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _decode_lines(data: bytes, encoding: str) -> tuple[bytes, list[Problem]]:
    """Re-encode to UTF-8; a line that does not decode becomes a problem and is blanked."""
    try:
        return data.decode(encoding).encode("utf-8"), []
    except UnicodeDecodeError:
        pass
    problems = []
    out = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            out.append(raw.decode(encoding).encode("utf-8"))
        except UnicodeDecodeError as exc:
            bad = raw[exc.start:exc.end]
            problems.append(
                Problem(number, "", raw.decode(encoding, errors="replace")[:200],
                        f"undecodable bytes {bad!r} at byte {exc.start} of the line for encoding {encoding}")
            )
            out.append(b"")
    return b"\n".join(out), problems


def _decode_utf16(data: bytes) -> tuple[bytes, list[Problem]]:
    """UTF-16 (with byte-order mark) to UTF-8; a line holding damaged code units (a lone surrogate, a
    trailing odd byte) becomes a problem and is blanked."""
    try:
        return data.decode("utf-16").encode("utf-8"), []
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-16", errors="replace")
    problems, out = [], []
    for number, line in enumerate(text.split("\n"), start=1):
        if "\ufffd" in line:
            problems.append(Problem(number, "", line[:200], "undecodable UTF-16 code units in the line "
                                                             "(damaged file?)"))
            out.append("")
        else:
            out.append(line)
    return "\n".join(out).encode("utf-8"), problems


def _nul_lines(buf: bytes) -> tuple[bytes, list[Problem]]:
    """Lines holding NUL bytes (a damaged file; the first 64 KiB were already checked for them) become
    problems and are blanked."""
    if b"\x00" not in buf:
        return buf, []
    problems, out = [], []
    for number, raw in enumerate(buf.split(b"\n"), start=1):
        if b"\x00" in raw:
            problems.append(Problem(number, "", raw.replace(b"\x00", b"").decode("utf-8", errors="replace")[:200],
                                    "NUL bytes in the line (damaged file?)"))
            out.append(b"")
        else:
            out.append(raw)
    return b"\n".join(out), problems


def _sniff_delimiter(header_line: str, declared: str) -> str:
    if declared != "auto":
        return declared
    counts = {d: _count_outside_quotes(header_line, d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    if counts[best] == 0:
        raise FileFormatError(
            f"cannot find a delimiter in the header line {header_line[:120]!r}: "
            "expected fields separated by ';', ',', tab or '|'"
        )
    return best


def _count_outside_quotes(line: str, delimiter: str) -> int:
    count, inside = 0, False
    for ch in line:
        if ch == '"':
            inside = not inside
        elif ch == delimiter and not inside:
            count += 1
    return count


def _header_position(buf: bytes, header_line: int, skip: int = 0) -> tuple[int, int, int]:
    """(0-based index of the header line, its start offset, offset where the data begins); ``skip`` bytes at
    the start (a byte-order mark) are not part of the first line."""
    pos, index = skip, 0
    while True:
        nl = buf.find(b"\n", pos)
        end = len(buf) if nl < 0 else nl
        if index >= header_line - 1 and buf[pos:end].strip():
            return index, pos, (len(buf) if nl < 0 else nl + 1)
        if nl < 0:
            raise FileFormatError("no header line found (the file holds only blank lines)")
        pos, index = nl + 1, index + 1


def _has_multiline_quotes(buf: bytes, start: int = 0) -> bool:
    """True if some line from ``start`` on has an odd number of quotes (a quoted line break, or an
    unterminated quote)."""
    if buf.find(b'"', start) < 0:
        return False
    arr = np.frombuffer(buf, dtype=np.uint8, offset=start)
    quotes = np.flatnonzero(arr == 34)
    newlines = np.flatnonzero(arr == 10)
    per_line = np.bincount(np.searchsorted(newlines, quotes), minlength=len(newlines) + 1)
    return bool((per_line % 2 == 1).any())


def read_delimited(path: Path, *, encoding: str = "auto", delimiter: str = "auto", header_line: int = 1) -> RawTable:
    """Read a CSV/TSV export: detect encoding and delimiter, keep every cell as text.

    ``header_line`` is the 1-based line of the header (title lines above it are skipped). Well-formed
    files take a fast multi-threaded path; a file with broken rows or quoted line breaks is read again
    with Python's csv module so that every row keeps its exact line number.
    """
    path = Path(path)
    data = path.read_bytes()
    blank = b" \t\r\n\x00\xef\xbb\xbf"
    if not data[:4096].strip(blank) and not data.strip(blank):   # the whole file is copied only when it looks empty
        raise FileFormatError(f"{path}: the file is empty")
    try:
        enc = detect_encoding(data, encoding)
    except ValueError as exc:
        raise FileFormatError(f"{path}: {exc}") from None
    skip = 0
    if enc.name == "utf-16":
        buf, problems = _decode_utf16(data)
    else:
        bom = 3 if enc.bom and enc.name == "utf-8" else 0
        if enc.name == "utf-8" and "undecodable" not in enc.note:
            buf, problems, skip = data, [], bom   # read in place: a large file is not copied
        else:
            buf, problems = _decode_lines(data[bom:], enc.name)
    buf, nul_problems = _nul_lines(buf)
    problems = sorted(problems + nul_problems, key=lambda p: p.line)
    n_lines = buf.count(b"\n") + 1
    if problems and len(problems) > 0.5 * n_lines:
        raise FileFormatError(
            f"{path}: not a readable text table: {len(problems)} of {n_lines} lines do not decode as {enc.name} "
            f"({problems[0].reason}); is it a binary file, or a text file in another encoding (set "
            "ingest.encoding or the mapping's encoding)?")
    try:
        h, h_start, data_start = _header_position(buf, header_line, skip)
    except FileFormatError as exc:
        raise FileFormatError(f"{path}: {exc}") from None
    header_text = buf[h_start:data_start].rstrip(b"\r\n").decode("utf-8", errors="replace")
    try:
        delim = _sniff_delimiter(header_text, delimiter)
    except FileFormatError as exc:
        raise FileFormatError(f"{path}: {exc}; a title line above the header? 'sozialradar mapping suggest "
                              f"{path}' finds the header (header_line)") from None
    header = [c.strip() for c in next(csv.reader([header_text], delimiter=delim))]
    notes = [f"encoding: {enc.note}", f"delimiter: {delim!r}"]
    table = None
    if not problems and not _has_multiline_quotes(buf, data_start):
        table = _read_fast(path, buf, data_start, delim, h, header)
    if table is None:
        table = _read_with_csv_module(path, buf, delim, h, header, problems)
    table.encoding, table.delimiter = enc.name, delim
    table.notes = notes + table.notes
    if len(header) == 1:
        table.notes.append("the header has a single column: is the delimiter right?")
    return table


def _drop_blank_rows(cells: pa.Table, lines: np.ndarray) -> tuple[pa.Table, np.ndarray, int]:
    """Rows whose cells are all empty (such as ';;;;') are blank lines, not data."""
    if cells.num_rows == 0:
        return cells, lines, 0
    blank = None
    for col in cells.columns:
        empty = pc.equal(pc.utf8_trim_whitespace(col), "")
        blank = empty if blank is None else pc.and_(blank, empty)
    mask = np.asarray(blank.to_numpy(zero_copy_only=False), dtype=bool)
    n_blank = int(mask.sum())
    if n_blank == 0:
        return cells, lines, 0
    keep = ~mask
    return cells.filter(pa.array(keep)), lines[keep], n_blank


def _read_fast(path: Path, buf: bytes, start: int, delim: str, h: int, header: list[str]) -> RawTable | None:
    """Parse the data lines (``buf`` from ``start``) with pyarrow, without copying them; None when the file needs
    the exact (slow) path."""
    end = len(buf)
    while end > start and buf[end - 1] in (10, 13):   # trailing line ends
        end -= 1
    trailing_blank = buf.count(b"\n", end) - (1 if buf.endswith(b"\n") else 0)
    names = _unique_names(header)
    if not buf[start:min(end, start + 4096)].strip() and not buf[start:end].strip():
        cells = pa.table({n: pa.array([], pa.string()) for n in names})
        return RawTable(path=path, header=header, cells=cells, lines=np.zeros(0, np.int64),
                        blank_lines=buf.count(b"\n", start))
    n_lines = buf.count(b"\n", start, end) + 1
    invalid: list[object] = []

    def on_invalid(row: object) -> str:
        invalid.append(row)
        return "skip"

    try:
        cells = pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(buf).slice(start, end - start)),   # zero-copy
            read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=delim, quote_char='"', newlines_in_values=False,
                                              ignore_empty_lines=False, invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False,
                                                 null_values=[]),
        )
    except pa.ArrowInvalid:
        return None
    if invalid or cells.num_rows != n_lines:
        return None
    lines = np.arange(h + 2, h + 2 + n_lines, dtype=np.int64)
    cells, lines, n_blank = _drop_blank_rows(cells, lines)
    return RawTable(path=path, header=header, cells=cells, lines=lines, blank_lines=n_blank + max(trailing_blank, 0))


def _read_with_csv_module(path, buf, delim, h, header, problems) -> RawTable:
    text = buf.decode("utf-8", errors="replace")
    n_fields = len(header)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, quotechar='"', strict=False)
    columns: list[list[str]] = [[] for _ in range(n_fields)]
    row_lines: list[int] = []
    problems = list(problems)
    bad_lines = {p.line for p in problems}
    blank = 0
    start_line = 1
    total_lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    for row in reader:
        line_no = start_line
        start_line = reader.line_num + 1
        if line_no <= h + 1 or line_no in bad_lines:
            continue
        if all(not c.strip() for c in row):
            blank += 1
            continue
        if len(row) != n_fields:
            joined = delim.join(row)
            at_end = reader.line_num >= total_lines and not text.endswith("\n")
            if reader.line_num > line_no and reader.line_num >= total_lines:
                reason = "truncated row: unterminated quoted value at the end of the file"
            elif len(row) < n_fields and at_end:
                reason = f"truncated row: {len(row)} of {n_fields} fields and no line end (file cut off?)"
            elif len(row) > n_fields:
                reason = (f"expected {n_fields} fields, found {len(row)}: wrong delimiter, or an unquoted "
                          f"{delim!r} inside a value (decimal comma?)")
            else:
                reason = f"expected {n_fields} fields, found {len(row)}"
            problems.append(Problem(line_no, "", joined[:200], reason))
            continue
        for target, cell in zip(columns, row):
            target.append(cell)
        row_lines.append(line_no)
    if text.count('"') % 2 == 1 and row_lines:
        # an opening quote that is never closed swallows everything to the end of the file
        last = row_lines.pop()
        value = delim.join([col.pop() for col in columns])
        problems.append(Problem(last, "", value[:200], "truncated row: unterminated quoted value at the end of the file"))
    names = _unique_names(header)
    cells = pa.table({n: pa.array(col, pa.string()) for n, col in zip(names, columns)})
    return RawTable(path=path, header=header, cells=cells, lines=np.asarray(row_lines, dtype=np.int64),
                    problems=sorted(problems, key=lambda p: p.line), blank_lines=blank,
                    notes=["parsed row by row (broken rows or quoted line breaks present)"])


def _unique_names(header: list[str]) -> list[str]:
    """Positional column names; header texts may repeat or be empty (as in the MSS tables)."""
    return [f"c{i}" for i in range(len(header))]


SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
"""Workbooks read sheet by sheet: Excel (2007 and later, and 97-2003) and OpenDocument (LibreOffice)."""

_KINDS = {"xlsx": "an Excel workbook", "xls": "an Excel 97-2003 workbook (.xls)",
          "ods": "an OpenDocument spreadsheet (.ods)"}


def spreadsheet_kind(path: Path) -> str:
    """What a workbook is by its first bytes, whatever its name: 'xlsx', 'xls' or 'ods';
    :class:`FileFormatError` naming what it is instead (a text table, a web page saved as .xls …)."""
    path = Path(path)
    with path.open("rb") as handle:
        magic = handle.read(512)
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if magic.startswith(b"PK\x03\x04"):
        # an OpenDocument file's first entry is its 'mimetype', stored uncompressed
        return "ods" if b"application/vnd.oasis.opendocument.spreadsheet" in magic else "xlsx"
    body = magic.lstrip(b"\xef\xbb\xbf").lstrip()
    if body[:1] == b"<":
        hint = ("a web page or XML saved under a spreadsheet's name (a portal's 'Excel' export is often one): open "
                "it in a spreadsheet and save it as .xlsx, or download the CSV")
    elif body and all(b >= 32 or b in (9, 10, 13) for b in magic.lstrip(b"\xef\xbb\xbf")[:64]):
        hint = "it looks like a text file (CSV?): rename it to .csv"
    else:
        hint = "it is neither an Excel nor an OpenDocument workbook, nor a text table"
    raise FileFormatError(f"{path}: not a spreadsheet (.xlsx and .ods files are zip archives, .xls files OLE "
                          f"documents); {hint}")


ENGINE = "calamine"
"""The reader of every workbook kind (Rust's calamine: .xlsx, .xls and .ods alike, several times faster than
openpyxl on a large sheet); openpyxl reads an .xlsx that calamine cannot."""


def read_sheet(path: Path, sheet: str | int | None = None, rows: int | None = None) -> pd.DataFrame:
    """A workbook's sheet (the first by default; its first ``rows`` only, where given) as cells, by :data:`ENGINE`;
    an .xlsx it cannot read (not a missing sheet: ValueError) is read by openpyxl, from a handle so that it reads
    the workbook whatever its suffix. :class:`FileFormatError` where the file is no workbook."""
    path = Path(path)
    kind = spreadsheet_kind(path)
    # a cell is its text: 'NULL', 'NA', 'n/a' are a table's marks (withheld, not applicable), not pandas' missing
    args = dict(sheet_name=sheet if sheet is not None else 0, header=None, dtype=object, nrows=rows,
                keep_default_na=False)
    try:
        frame = pd.read_excel(path, engine=ENGINE, **args)
    except ValueError:
        raise
    except Exception:  # noqa: BLE001 - the second reader's error is the one reported
        if kind != "xlsx":
            raise
        with path.open("rb") as handle:
            frame = pd.read_excel(handle, engine="openpyxl", **args)
    return frame.mask(frame.eq(""))


def _cell_as_text(v: object) -> str:
    """A workbook's cell as the text a CSV export writes: a whole number without '.0', a date as 2022-12-31."""
    if type(v) is str:
        return v
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, pd.Timestamp):
        return v.strftime("%Y-%m-%d")
    return str(v)


def _cells_as_text(column: pd.Series) -> np.ndarray:
    """:func:`_cell_as_text` of a column's cells, at once where they are all text or all numbers (most columns of a
    large sheet), else cell by cell."""
    values = column.to_numpy(dtype=object)
    kind = pd.api.types.infer_dtype(values, skipna=True)
    missing = pd.isna(values)
    if kind in ("string", "empty"):
        return np.where(missing, "", values).astype(object)
    if kind == "integer":
        text = pd.Series(values, dtype=object).astype(str).to_numpy(dtype=object)
    elif kind in ("floating", "mixed-integer-float"):
        numbers = np.where(missing, np.nan, values).astype(float)
        text = pd.Series(numbers).astype(str).to_numpy(dtype=object)
        whole = ~missing & np.isfinite(numbers) & (numbers == np.floor(numbers))
        small = whole & (np.abs(numbers) < 2.0 ** 62)
        text[small] = numbers[small].astype(np.int64).astype(str).astype(object)
        text[whole & ~small] = [str(int(v)) for v in numbers[whole & ~small]]
    else:
        return np.fromiter(map(_cell_as_text, values), dtype=object, count=len(values))
    text[missing] = ""
    return text


def read_excel(path: Path, *, sheet: str | int | None = None, header_line: int = 1) -> RawTable:
    """Read one sheet of a workbook (.xlsx, .xls, .ods: :func:`spreadsheet_kind`) as text cells; numbers keep a
    decimal point."""
    path = Path(path)
    kind = spreadsheet_kind(path)
    try:
        frame = read_sheet(path, sheet)
    except ValueError as exc:
        raise FileFormatError(f"{path}: {exc}") from None
    except Exception as exc:  # the readers raise several unrelated types for damaged workbooks
        raise FileFormatError(f"{path}: not a readable workbook ({_KINDS[kind]}; {type(exc).__name__}: "
                              f"{exc})") from None
    if frame.empty:
        raise FileFormatError(f"{path}: the sheet is empty")
    h = header_line - 1
    while h < len(frame) and frame.iloc[h].isna().all():
        h += 1
    if h >= len(frame):
        raise FileFormatError(f"{path}: no header row found")
    header = [("" if pd.isna(v) else str(v)).strip() for v in frame.iloc[h].tolist()]
    body = frame.iloc[h + 1:]

    texts = pd.DataFrame({c: _cells_as_text(body[c]) for c in body.columns}, index=body.index)
    # a row of blank cells only is no row (a header in the sheet's last row: no data below it)
    blank = np.ones(len(texts), dtype=bool)
    for column in texts.columns:        # each column's cells only on the rows still blank
        open_ = np.flatnonzero(blank)
        if not len(open_):
            break
        blank[open_] = [not cell.strip() for cell in texts[column].to_numpy()[open_]]
    kept = texts[~blank]
    names = _unique_names(header)
    kept.columns = names
    cells = pa.Table.from_pandas(kept.reset_index(drop=True).astype(object), preserve_index=False)
    cells = cells.cast(pa.schema([(n, pa.string()) for n in names]))
    lines = (np.flatnonzero(~blank) + h + 2).astype(np.int64)
    note = ("Excel workbook" if kind == "xlsx" else _KINDS[kind].split(" ", 1)[1] + (
        f", saved under the name {path.suffix}" if path.suffix.lower() != f".{kind}" else "")) + (
        ": numeric cells use a decimal point")
    return RawTable(path=path, header=header, cells=cells, lines=lines, blank_lines=int(blank.sum()),
                    encoding="xlsx", delimiter="", notes=[note], sheet=str(sheet) if sheet is not None else None)


def sheet_names(path: Path) -> list[str]:
    """The sheets of a workbook, in order ([] where it cannot be opened)."""
    try:
        spreadsheet_kind(path)
        with pd.ExcelFile(path, engine=ENGINE) as book:
            return [str(name) for name in book.sheet_names]
    except Exception:  # noqa: BLE001 - a damaged workbook is named by read_excel itself
        return []


def read_parquet(path: Path) -> RawTable:
    """Read a Parquet file; every cell becomes text so that one validator serves all formats."""
    path = Path(path)
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid and OSError for damaged files
        raise FileFormatError(f"{path}: not a readable Parquet file ({exc})") from None
    header = [str(c) for c in frame.columns]
    names = _unique_names(header)
    cells = pa.table({n: pa.array(_series_as_text(frame[c]).to_numpy(dtype=object), pa.string())
                      for n, c in zip(names, frame.columns)})
    # Parquet has no lines; the row number (header = line 1) plays that role in reports.
    return RawTable(path=path, header=header, cells=cells, lines=np.arange(2, len(frame) + 2, dtype=np.int64),
                    encoding="parquet", delimiter="", notes=["Parquet: row numbers stand for lines"])


def _text_cells(header: list[str], columns: list[list[str]]) -> pa.Table:
    """Columns of text cells (a JSON file's, a GIS layer's) as the raw table's cells, named by position."""
    return pa.table({n: pa.array(c, pa.string()) for n, c in zip(_unique_names(header), columns)})


def read_json_table(path: Path, sheet: str | int | None = None) -> RawTable:
    """The table of a JSON or JSON Lines file (:mod:`ml.json_tables`: records, nested objects flattened into
    columns named by their path), every cell as text; ``sheet``: the table's path in the file where it holds
    several. A line of a JSON Lines file that holds no record is a problem, nothing else is lost."""
    from ml.json_tables import JsonTableError, read_json

    path = Path(path)
    try:
        table = read_json(path, sheet)
    except JsonTableError as exc:
        raise FileFormatError(f"{exc}" if str(path) in str(exc) else f"{path}: {exc}") from None
    return RawTable(path=path, header=table.header, cells=_text_cells(table.header, table.columns),
                    lines=np.asarray(table.lines, dtype=np.int64),
                    problems=[Problem(line, "", text, reason) for line, text, reason in table.problems],
                    encoding="json", delimiter="", notes=["JSON: " + "; ".join(table.notes)],
                    sheet=None if sheet is None else str(sheet), groups=table.groups)


def read_gis_table(path: Path, layer: str | None = None) -> RawTable:
    """The table of a layer of a GIS file (:func:`ml.gis_files.gis_table`), every cell as text; the row numbers
    (header = line 1) stand for lines, as in a Parquet file."""
    from ml.geometry import GeometryError
    from ml.gis_files import gis_kind, gis_table

    kind = gis_kind(path) or "a GIS file"
    try:
        header, columns, notes = gis_table(path, layer)
    except GeometryError as exc:
        raise FileFormatError(f"{exc}" if str(path) in str(exc) else f"{path}: {exc}") from None
    rows = len(columns[0]) if columns else 0
    return RawTable(path=path, header=header, cells=_text_cells(header, columns),
                    lines=np.arange(2, rows + 2, dtype=np.int64),
                    encoding=kind, delimiter="", notes=[f"the table of {kind} (row numbers stand for lines)", *notes],
                    sheet=layer)


def _series_as_text(series: pd.Series) -> pd.Series:
    """A Parquet column's cells as text: a missing value empty, a text cell as written ('None', 'NA' and 'nan'
    too: a table's marks, not missing values)."""
    if pd.api.types.is_float_dtype(series):
        out = series.map(lambda v: "" if pd.isna(v) else repr(float(v)))
        return out.astype("str")
    return series.astype("str").where(~series.isna().to_numpy(), "")


def read_table(path: Path, *, encoding: str = "auto", delimiter: str = "auto", header_line: int = 1,
               sheet: str | int | None = None) -> RawTable:
    """Dispatch on the file ending: .csv/.txt/.tsv, a workbook (.xlsx/.xlsm, .xls, .ods), .parquet, JSON (.json,
    .geojson, JSON Lines; by its first bytes too; ``sheet`` names the table's path in it), and the table of a layer of
    a GIS file (a shapefile, zipped too, a GeoPackage …; ``sheet`` names the layer)."""
    path = Path(path)
    if not path.is_file():
        raise FileFormatError(f"file not found: {path}")
    suffix = path.suffix.lower()
    if suffix in SPREADSHEET_SUFFIXES:
        return read_excel(path, sheet=sheet, header_line=header_line)
    if suffix in (".parquet", ".pq"):
        return read_parquet(path)
    from ml.json_tables import is_json

    if is_json(path):
        return read_json_table(path, sheet)
    from ml.gis_files import gis_kind

    if gis_kind(path) is not None:
        return read_gis_table(path, None if sheet is None else str(sheet))
    return read_delimited(path, encoding=encoding, delimiter=delimiter, header_line=header_line)


QUARANTINE_REPORT_COLUMNS = ("file", "line", "column", "value", "reason")


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""A spreadsheet reads a text cell starting with one of these as a formula."""


def excel_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@`` …) get a leading
    apostrophe, so they open as text; numbers, and text that is a plain signed number, are not touched.
    Returns a copy."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            text = out[col]
            as_text = text.astype(str)
            # a plain signed number ("-12", "+3,5") is no formula and stays as it is
            # only text can be run as a formula: a number among text cells ("gesperrt") stays a number
            is_text = text.map(lambda v: isinstance(v, str)).astype(bool)
            risky = is_text & as_text.str.startswith(FORMULA_START) & ~as_text.str.fullmatch(r"[+-]?\d+([.,]\d+)?")
            if risky.any():
                out[col] = text.astype(object).where(~risky, "'" + text.astype(str))
    return out


def write_quarantine_report(frame: pd.DataFrame, path: Path) -> Path:
    """Write quarantined rows as CSV (UTF-8 with BOM and ';' so that German Excel opens it as is; text that
    Excel would run as a formula is written as text)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    excel_safe(frame.loc[:, list(QUARANTINE_REPORT_COLUMNS)]).to_csv(path, sep=";", index=False,
                                                                     encoding="utf-8-sig")
    return path


def german_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """The numbers inside text columns (a column of values with "gesperrt" among them) written with a decimal
    comma, as CSV writes the numeric columns; whole numbers (counts: 1071, not 1071,0) without one, in text and
    in float columns alike; other cells as they are. Returns a copy."""
    import numbers

    def whole(v) -> bool:
        return isinstance(v, numbers.Integral) or (float(v).is_integer() and abs(float(v)) < 1e15)

    out = frame.copy()
    for col in out.columns:
        cells = out[col]
        if pd.api.types.is_float_dtype(cells.dtype):
            finite = cells[np.isfinite(cells)]
            if len(finite) and (finite == finite.round()).all() and (finite.abs() < 1e15).all():
                out[col] = cells.where(np.isfinite(cells)).astype("Int64")
            continue
        if cells.dtype != object:
            continue
        number = cells.map(lambda v: isinstance(v, numbers.Real) and not isinstance(v, bool)
                           and not (isinstance(v, float) and v != v)).to_numpy(dtype=bool)
        if number.any():
            written = cells[number].map(lambda v: str(int(v)) if whole(v) else repr(float(v)).replace(".", ","))
            out[col] = cells.astype(object).where(~number, written)
    return out


def write_table(frame: pd.DataFrame, path: Path, sheet: str = "Daten") -> Path:
    """A table for planners: ``.csv`` as German Excel reads it (``;``, decimal comma, UTF-8 with BOM) or
    ``.xlsx``; text that a spreadsheet would run as a formula is written as text."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise FileFormatError(f"{path}: the export is written as .csv or .xlsx; got {suffix or 'no suffix'!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    safe = excel_safe(frame)
    if suffix == ".csv":
        german_numbers(safe).to_csv(path, sep=";", decimal=",", index=False, encoding="utf-8-sig")
    else:
        safe.to_excel(path, index=False, sheet_name=sheet)
    return path


def write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    """``frame`` as a Parquet file at ``path`` (its directory created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path, index=False)
    return path

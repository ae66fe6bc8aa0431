"""Parsing of the cells of German monitoring exports: numbers, region codes, periods, encodings.

Cell parsing is written once, as DuckDB macros (``install_macros``), so that a million rows are parsed
in parallel inside the store's engine; ``parse_numbers``, ``normalize_codes`` and ``parse_periods``
run the same macros on a pandas Series (for small inputs and for tests). Nothing is dropped: each cell
comes back parsed or with the reason it could not be.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Final

import duckdb
import numpy as np
import pandas as pd

MISSING_MARKERS: Final = ("", "-", "–", "NA", "N/A", "n.a.", "k.A.", "nan", "NaN", "NULL", "null", "...", "…", "/")
"""Cells meaning 'no value' (German statistics use '-' for 'nothing' and '...' for 'not yet available')."""

REMAINDER_PATTERN: Final = (r"^(?:(?:ohne|keine?|nicht|n\.)\s*(?:r(?:ä|ae)umliche\s+)?"
                             r"(?:zuordnung|zuordenbar|zuzuordnen|zugeordnet|angabe|adresse)"
                             r"|unbekannt|unassigned|unknown|o\.\s*a\.?$)")
"""A region cell that names no region but the rest no area takes ('ohne Zuordnung', 'nicht zuordenbar', 'ohne
Angabe', 'unbekannt'): the remainder an office could not place (a Jobcenter's cases without an address). Read on the
folded lowercase cell; Python's and DuckDB's regular expressions alike."""
REMAINDER: Final = re.compile(REMAINDER_PATTERN)


def names_no_region(cell: object) -> bool:
    """Whether a region cell is a remainder of no region (:data:`REMAINDER`) rather than a name."""
    return bool(REMAINDER.search(str(cell).strip().lower()))


DASHES: Final = ("-", "–", "—")
"""A dash alone in a cell: 'nichts vorhanden' — exactly zero — in German official tables (``ingest.dash``);
read as no value (a member of MISSING_MARKERS) where a source uses it that way."""

SECRECY_MARKERS: Final = (".", "x", "X", "*")
"""Cells meaning 'withheld for confidentiality' (Destatis '.' and 'x'): kept with flag ``suppressed``."""

SHEET_ERRORS: Final = {
    "#DIV/0!": "a division by zero: a share of a group that has nobody here?",
    "#NV": "a lookup found nothing", "#N/A": "a lookup found nothing",
    "#WERT!": "a formula met text", "#VALUE!": "a formula met text",
    "#BEZUG!": "a formula lost the cells it referred to: check the source",
    "#REF!": "a formula lost the cells it referred to: check the source",
    "#NAME?": "a formula names what the spreadsheet does not know",
    "#ZAHL!": "a number out of the spreadsheet's range", "#NUM!": "a number out of the spreadsheet's range",
    "#NULL!": "a formula's ranges do not meet",
}
"""A spreadsheet's errors in German and English (a formula that failed where the table was made), with what each
means: no value, and the quarantine says which error it was rather than 'not a number'."""

_GROUP_SPACES = " \u00a0\u202f\u2009'"
# German: 1.234.567,89 / 1 234,5 / 1234,5 ; English: 1,234,567.89 / 1234.5
DE_NUMBER: Final = r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d{1,3}(?:[ \x{00a0}\x{202f}\x{2009}']\d{3})+|\d+)(?:,\d+)?"
EN_NUMBER: Final = r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d{1,3}(?:[ \x{00a0}\x{202f}\x{2009}']\d{3})+|\d+)(?:\.\d+)?(?:[eE][+-]?\d+)?"
_CODE_FIRST, _CODE_NEXT = r"[0-9\p{L}]", r"[0-9\p{L}_.\-/]"
CODE: Final = _CODE_FIRST + _CODE_NEXT + "{0,59}"
"""A region code: letters (umlauts too), digits and ``_.-/``, up to 60 characters."""
NAME_ID: Final = r"[0-9\p{L}][0-9\p{L}_.\-/()]*(?: [0-9\p{L}_.\-/()]+)+"
"""A region name used as its id ('Westliche Höhe'): words with single spaces, at least one letter."""
INVALID_CODE: Final = ("invalid region code or name (letters, digits, _.-/() and single spaces inside a name; "
                       "at most 60 characters)")
PLAIN_COMMA: Final = r"[+-]?\d*,?\d+"
PLAIN_POINT: Final = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"


def _sheet_error_reason(error: str) -> str:
    """The quarantine reason for a cell that holds ``error`` (a key of :data:`SHEET_ERRORS`), quoted for SQL."""
    return f"a spreadsheet's error, {error} ({SHEET_ERRORS[error]}), not a value".replace("'", "''")


def _sql_list(values) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _macros() -> list[str]:
    missing, secret = _sql_list(MISSING_MARKERS), _sql_list(SECRECY_MARKERS)
    groups = "[" + _GROUP_SPACES.replace("'", "''") + "]"
    q = lambda pattern: pattern.replace("'", "''")  # noqa: E731 - a regex as an SQL string literal
    return [
        # cleaned text: trimmed, Unicode minus signs made ASCII
        "CREATE OR REPLACE TEMP MACRO sr_trimmed(s) AS CASE WHEN regexp_matches(coalesce(s, ''), '[\u2212\u2013]') "
        "THEN replace(replace(trim(s), '\u2212', '-'), '\u2013', '-') ELSE trim(coalesce(s, '')) END",
        # a sign set apart from its digits, as official tables pad it ('-  23'), is joined to them
        "CREATE OR REPLACE TEMP MACRO sr_signed(c) AS CASE WHEN (starts_with(c, '-') OR starts_with(c, '+')) "
        f"AND regexp_full_match(c, '[+-][{_GROUP_SPACES.replace(chr(39), chr(39) * 2)}]+\\d.*') "
        f"THEN left(c, 1) || ltrim(substr(c, 2), '{_GROUP_SPACES.replace(chr(39), chr(39) * 2)}') ELSE c END",
        "CREATE OR REPLACE TEMP MACRO sr_clean(s) AS sr_signed(sr_trimmed(s))",
        # 'missing' | 'secret' | 'text' (a candidate number)
        # (each macro's argument is copied wherever the macro names it: queries clean a cell once, in a subquery,
        # and give the cleaned text to the ``…_clean`` macros, or their planning takes ten times as long)
        f"CREATE OR REPLACE TEMP MACRO sr_cell_kind_clean(c) AS CASE WHEN c IN ({missing}) THEN 'missing' "
        f"WHEN c IN ({secret}) THEN 'secret' ELSE 'text' END",
        "CREATE OR REPLACE TEMP MACRO sr_cell_kind(s) AS sr_cell_kind_clean(sr_clean(s))",
        # the quarantine reason of a spreadsheet's error in a cleaned cell ('#DIV/0!'), NULL for any other cell
        "CREATE OR REPLACE TEMP MACRO sr_sheet_error_clean(c) AS CASE upper(c) "
        + " ".join(f"WHEN '{k}' THEN '{_sheet_error_reason(k)}'" for k in SHEET_ERRORS) + " ELSE NULL END",
        # the number in s, or NULL; d is the decimal separator ',' or '.'. The first branch is a cheap test
        # that admits most cells; the regular expressions only see the rest.
        "CREATE OR REPLACE TEMP MACRO sr_number_clean(c, d) AS (CASE "
        f"WHEN d = ',' AND regexp_full_match(c, '{PLAIN_COMMA}') THEN TRY_CAST(replace(c, ',', '.') AS DOUBLE) "
        f"WHEN d = '.' AND regexp_full_match(c, '{PLAIN_POINT}') THEN TRY_CAST(c AS DOUBLE) "
        f"WHEN d = ',' AND regexp_full_match(c, '{q(DE_NUMBER)}') "
        f"THEN TRY_CAST(replace(regexp_replace(c, '[.{groups[1:-1]}]', '', 'g'), ',', '.') AS DOUBLE) "
        f"WHEN d = '.' AND regexp_full_match(c, '{q(EN_NUMBER)}') "
        f"THEN TRY_CAST(regexp_replace(c, '[,{groups[1:-1]}]', '', 'g') AS DOUBLE) "
        "ELSE NULL END)",
        "CREATE OR REPLACE TEMP MACRO sr_number(s, d) AS sr_number_clean(sr_clean(s), d)",
        # a finite number or NULL
        "CREATE OR REPLACE TEMP MACRO sr_finite(x) AS CASE WHEN isfinite(x) THEN x ELSE NULL END",
        # a code or name as written: soft hyphens dropped, white space (no-break spaces too) collapsed, trimmed
        "CREATE OR REPLACE TEMP MACRO sr_code_text(s) AS "
        "trim(regexp_replace(replace(coalesce(s, ''), chr(173), ''), '[\\s\\x{00a0}\\x{202f}]+', ' ', 'g'))",
        # region codes as text: spreadsheet floats '1001.0' undone, optional left padding to w digits
        "CREATE OR REPLACE TEMP MACRO sr_code(s, w) AS (CASE "
        "WHEN w IS NOT NULL AND regexp_full_match(regexp_replace(sr_code_text(s), '^(\\d+)\\.0+$', '\\1'), '\\d+') "
        "THEN lpad(regexp_replace(sr_code_text(s), '^(\\d+)\\.0+$', '\\1'), "
        "CAST(greatest(w, length(regexp_replace(sr_code_text(s), '^(\\d+)\\.0+$', '\\1'))) AS INTEGER), '0') "
        "ELSE regexp_replace(sr_code_text(s), '^(\\d+)\\.0+$', '\\1') END)",
        # the length is checked on its own: CODE's bounded repetition of a Unicode class compiles to a regular
        # expression program about twenty times larger, paid on every query that checks codes
        f"CREATE OR REPLACE TEMP MACRO sr_code_ok(c) AS length(c) <= 60 AND "
        f"(regexp_full_match(c, '{_CODE_FIRST}{_CODE_NEXT}*') "
        f"OR regexp_full_match(c, '{q(NAME_ID)}') AND regexp_matches(c, '\\p{{L}}'))",
        # canonical period 'YYYY' or 'YYYY-MM', or NULL
        "CREATE OR REPLACE TEMP MACRO sr_period(s) AS (CASE "
        "WHEN regexp_full_match(trim(coalesce(s, '')), '\\d{4}') THEN trim(s) "
        "WHEN regexp_full_match(trim(s), '\\d{4}\\.0+') THEN left(trim(s), 4) "
        "WHEN regexp_full_match(trim(s), '\\d{4}[-/]\\d{1,2}') "
        "AND TRY_CAST(regexp_extract(trim(s), '[-/](\\d+)$', 1) AS INTEGER) BETWEEN 1 AND 12 "
        "THEN left(trim(s), 4) || '-' || lpad(regexp_extract(trim(s), '[-/](\\d+)$', 1), 2, '0') "
        "WHEN regexp_full_match(trim(s), '\\d{1,2}[./]\\d{4}') "
        "AND TRY_CAST(regexp_extract(trim(s), '^(\\d+)', 1) AS INTEGER) BETWEEN 1 AND 12 "
        "THEN right(trim(s), 4) || '-' || lpad(regexp_extract(trim(s), '^(\\d+)', 1), 2, '0') "
        "WHEN regexp_full_match(trim(s), '\\d{6}') AND TRY_CAST(right(trim(s), 2) AS INTEGER) BETWEEN 1 AND 12 "
        "THEN left(trim(s), 4) || '-' || right(trim(s), 2) "
        "ELSE NULL END)",
        "CREATE OR REPLACE TEMP MACRO sr_period_reason(s) AS (CASE "
        "WHEN trim(coalesce(s, '')) = '' THEN 'period missing' "
        "WHEN regexp_full_match(trim(s), '\\d{1,2}\\.\\d{1,2}\\.\\d{4}|\\d{4}-\\d{2}-\\d{2}') "
        "THEN 'period is a date; expected a year (YYYY) or a month (YYYY-MM)' "
        "WHEN regexp_full_match(trim(s), '\\d{4}/\\d{2}') "
        "AND TRY_CAST(right(trim(s), 2) AS INTEGER) = (TRY_CAST(substr(trim(s), 3, 2) AS INTEGER) + 1) % 100 "
        "OR regexp_full_match(trim(s), '\\d{4}[-/]\\d{4}') "
        "AND TRY_CAST(right(trim(s), 4) AS INTEGER) = TRY_CAST(left(trim(s), 4) AS INTEGER) + 1 "
        "THEN 'period spans two years (a school or budget year such as 2021/22); expected one year (YYYY) or a "
        "month (YYYY-MM): name the year it counts for, e.g. with period in the mapping' "
        "WHEN regexp_full_match(trim(s), '\\d{4}[-/]\\d{1,2}|\\d{1,2}[./]\\d{4}|\\d{6}') "
        "THEN 'month out of range 1..12' "
        "ELSE 'period must be a year (YYYY) or a month (YYYY-MM)' END)",
    ]


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Define the parsing macros (``sr_*``) on a DuckDB connection."""
    for sql in _macros():
        con.execute(sql)


_local = threading.local()


class _Scratch:
    """A per-thread in-memory DuckDB connection with the macros installed (created on first use)."""

    def __enter__(self) -> duckdb.DuckDBPyConnection:
        con = getattr(_local, "con", None)
        if con is None:
            con = duckdb.connect(config={"threads": 1})
            install_macros(con)
            _local.con = con
        return con

    def __exit__(self, *exc: object) -> None:
        _local.con.unregister("cells")


def _scratch() -> _Scratch:
    return _Scratch()


def _frame(series: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"s": series.astype("str").fillna("").to_numpy(dtype=object)})


@dataclass(frozen=True)
class ParsedNumbers:
    """Result of parsing a column: ``values`` (NaN where none), and per cell what happened."""

    values: np.ndarray
    missing: np.ndarray
    secret: np.ndarray
    invalid: np.ndarray


def parse_numbers(series: pd.Series, decimal: str) -> ParsedNumbers:
    """Parse numbers written with ``decimal`` ("," or ".") and optional thousands separators.

    With ``decimal=","``: ``1.234,5``, ``1 234,5`` and ``1234,5`` are 1234.5; ``1.5`` is invalid (a
    point can only group thousands). With ``decimal="."``: ``1,234.5`` and ``1234.5``; ``1,5`` is
    invalid. Missing and secrecy markers are reported separately; nothing raises.
    """
    if decimal not in (",", "."):
        raise ValueError(f"decimal must be ',' or '.'; got {decimal!r}")
    with _scratch() as con:
        con.register("cells", _frame(series))
        out = con.execute(
            "SELECT sr_finite(sr_number_clean(c, ?)) AS v, sr_cell_kind_clean(c) AS k "
            "FROM (SELECT sr_clean(s) AS c FROM cells)", [decimal]
        ).df()
    values = out["v"].to_numpy(dtype=float, na_value=np.nan)
    kind = out["k"].to_numpy(dtype=object)
    missing, secret = kind == "missing", kind == "secret"
    invalid = (kind == "text") & ~np.isfinite(values)
    return ParsedNumbers(values=values, missing=missing, secret=secret, invalid=invalid)


def normalize_codes(series: pd.Series, width: int | None = None) -> tuple[pd.Series, np.ndarray]:
    """Region codes as text: stripped, spreadsheet floats (``1001.0``) undone, padded to ``width``.

    Leading zeros are never removed. Returns the codes and a mask of invalid ones.
    """
    with _scratch() as con:
        con.register("cells", _frame(series))
        out = con.execute("SELECT c, sr_code_ok(c) AS ok FROM (SELECT sr_code(s, ?::INTEGER) AS c FROM cells)",
                          [width]).df()
    return pd.Series(out["c"].to_numpy(dtype=object), index=series.index, dtype="str"), ~out["ok"].to_numpy(dtype=bool)


def parse_periods(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Canonical periods ``YYYY`` or ``YYYY-MM`` and, per cell, why it is not one ('' when fine).

    Accepts ``2021``, ``2021.0`` (spreadsheets), ``2021-06``, ``2021/6``, ``06/2021``, ``06.2021`` and
    ``202106``; dates and anything else are rejected with a reason.
    """
    with _scratch() as con:
        con.register("cells", _frame(series))
        out = con.execute(
            "SELECT sr_period(s) AS p, CASE WHEN sr_period(s) IS NULL THEN sr_period_reason(s) ELSE '' END AS r "
            "FROM cells").df()
    return (pd.Series(out["p"].to_numpy(dtype=object), index=series.index, dtype="str"),
            pd.Series(out["r"].to_numpy(dtype=object), index=series.index, dtype="str"))


_COMMA_DECIMAL_EVIDENCE = re.compile(r"^[+-]?\d*,(?:\d{1,2}|\d{4,})$|^[+-]?\d{1,3}(?:\.\d{3})+,\d+$|^[+-]?0,\d+$")
_POINT_DECIMAL_EVIDENCE = re.compile(r"^[+-]?\d*\.(?:\d{1,2}|\d{4,})$|^[+-]?\d{1,3}(?:,\d{3})+\.\d+$|^[+-]?0\.\d+$")


def decimal_evidence(series: pd.Series, limit: int = 50_000) -> tuple[int, int, str | None, str | None]:
    """Count cells that prove a decimal comma and cells that prove a decimal point (in the first
    ``limit`` cells). ``1,5`` proves a comma, ``1.5`` a point; ``1.234`` or ``1,234`` prove nothing.
    Returns (comma, point, an example of each)."""
    text = series.iloc[:limit].astype("str").str.strip()
    text = text[~text.isin(MISSING_MARKERS) & ~text.isin(SECRECY_MARKERS)]
    comma = text.str.fullmatch(_COMMA_DECIMAL_EVIDENCE.pattern).fillna(False)
    point = text.str.fullmatch(_POINT_DECIMAL_EVIDENCE.pattern).fillna(False)
    return (
        int(comma.sum()), int(point.sum()),
        text[comma].iloc[0] if comma.any() else None,
        text[point].iloc[0] if point.any() else None,
    )


def decide_decimal(columns: list[pd.Series], delimiter: str, declared: str = "auto") -> tuple[str, str]:
    """Choose the decimal separator of a file and say why (the reason is logged, never silent)."""
    if declared in (",", "."):
        return declared, f"decimal separator {declared!r} as configured"
    comma = point = 0
    ex_c = ex_p = None
    for col in columns:
        c, p, ec, ep = decimal_evidence(col)
        comma, point = comma + c, point + p
        ex_c, ex_p = ex_c or ec, ex_p or ep
    if comma and not point:
        return ",", f"decimal comma detected (e.g. {ex_c!r})"
    if point and not comma:
        return ".", f"decimal point detected (e.g. {ex_p!r})"
    if comma and point:
        choice = "," if comma >= point else "."
        return choice, (
            f"mixed decimal separators: {comma} cells like {ex_c!r}, {point} like {ex_p!r}; using {choice!r}, "
            "cells in the other style are quarantined"
        )
    choice = "," if delimiter == ";" else "."
    if not delimiter:
        return choice, "decimal separator not evident from the values; assumed '.' (a file without delimiters: JSON, " \
                       "Parquet, a GIS layer)"
    return choice, f"decimal separator not evident from the values; assumed {choice!r} for a {delimiter!r}-separated file"


@dataclass(frozen=True)
class Encoding:
    """How a text file is decoded: the encoding and whether it starts with a byte-order mark."""
    name: str
    bom: bool
    note: str


_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")
_CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")
_CONTROL_BYTES = bytes(c for c in range(32) if c not in (9, 10, 13)) + b"\x7f"
"""Bytes a text table does not hold (tab, line feed and carriage return aside)."""


def detect_encoding(data: bytes, declared: str = "auto") -> Encoding:
    """Detect UTF-8 (with or without BOM), UTF-16 (BOM) or Windows-1252/Latin-1, and say how.

    Lines that do not decode are the caller's to quarantine. Raises ValueError for binary data.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return Encoding("utf-8", True, "UTF-8 with byte-order mark")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return Encoding("utf-16", True, "UTF-16 with byte-order mark")
    if declared != "auto":
        return Encoding(declared, False, f"{declared} as configured")
    head = data[:65536]
    if b"\x00" in head:
        raise ValueError("file contains NUL bytes: a binary file, or UTF-16 without byte-order mark")
    controls = sum(head.count(bytes([c])) for c in _CONTROL_BYTES)
    if head and controls > 0.01 * len(head):
        raise ValueError(f"not a text table: {controls} of the first {len(head)} bytes are control characters "
                         "(a binary file such as a workbook, an archive or an image?)")
    try:
        data.decode("utf-8")
        return Encoding("utf-8", False, "UTF-8")
    except UnicodeDecodeError:
        pass
    if _UTF8_MULTIBYTE.search(data):
        return Encoding("utf-8", False, "UTF-8 with undecodable bytes (their lines are quarantined)")
    high = {b for b in data if b >= 0x80}
    if high & _CP1252_UNDEFINED:
        return Encoding("cp1252", False, "Windows-1252 with undefined bytes (their lines are quarantined)")
    if any(0x80 <= b <= 0x9F for b in high):
        return Encoding("cp1252", False, "Windows-1252 (not valid UTF-8; bytes 0x80-0x9F are Windows characters)")
    return Encoding("cp1252", False, "Latin-1 / Windows-1252 (not valid UTF-8)")

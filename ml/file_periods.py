"""The reference period written in a file's name, a header or a title line.

``header_period`` finds the one year in a header or title ('(Dez 2013)', 'Stand 31.12.2021', 'census22').
``file_period`` reads a file's name against its folder, for ``mapping suggest``: a name ending in a part of a
year ('population-2015-01' beside 'population-2015-02') is a half-year, quarter or month, and only the year's
last part stands for the year. ``period_of_file`` is the same reading for an import whose mapping says
``period: file_name``, so that one mapping serves a series of editions; where the name gives no period it
raises ``ValueError`` with the reason. ``sheets_and_periods`` reads a workbook's sheets so, for ``period:
sheet_name`` (a sheet per edition); ``title_period`` reads the title lines above a table, for ``period: title``
(an edition sent each year under one name). :data:`CHANGE` tells a header of a change between periods.
"""

from __future__ import annotations

import glob
import re
from pathlib import Path

YEAR = re.compile(r"(?<!\d)(19[5-9]\d|20[0-4]\d)(?!\d)")
"""A year from 1950 to 2049 standing alone."""
_SHORT_DATE = re.compile(r"(?<![\d.])(\d{1,2})\.(\d{1,2})\.(\d{2})(?![\d.])")
"""A date with a year of two digits ('31.12.02', a stand in an older table's header)."""

_SCHOOL_YEAR = re.compile(r"(?<!\d)(19[5-9]\d|20[0-4]\d)\s*/\s*(\d{2}|\d{4})(?!\d)")
_PART_OF_YEAR = re.compile(r"(?<!\d)(19[5-9]\d|20[0-4]\d)[-_ .]?([HhQq][1-4]|\d{1,2})(?:$|(?=[-_ .][A-Za-z]))")
_PART_BEFORE_YEAR = re.compile(r"(?<![\dA-Za-z])([HhQq][1-4]|0[1-9]|1[0-2])[-_ .](19[5-9]\d|20[0-4]\d)(?!\d)")
"""A part of a year beside the year in a file's name: after it at the end or before a word ('…-2015-01',
'…_2022-06_plr'), or before it as a month of two digits, a half-year or a quarter ('einwohnerbestand_06-2022_plr',
'Q2_2021'; a single digit before a year is more often a table's number: 'Tabelle_3_2021')."""
_PART_NAMES = {"half": ("half-year", 2), "quarter": ("quarter", 4), "month": ("month", 12)}

FILE_NAME = "file_name"
"""``period: file_name`` in a mapping: each file's period is read from its name."""
SHEET_NAME = "sheet_name"
"""``period: sheet_name`` in a mapping: each sheet's period is read from its name (:func:`sheets_and_periods`)."""

TITLE = "title"
"""``period: title`` in a mapping: each file's (or sheet's) period is read from its title lines above the header
(:func:`title_period`): a county's edition sent each year under one name, its stand written in its title."""

STAND_DATE = re.compile(r"\b\d{1,2}\.\s?\d{1,2}\.\s?(19|20)\d\d\b")
"""A date written in a title line ('am 31.12.2022', 'Stand: 31. 12. 2022'): the table's stand."""

CHANGE = re.compile(r"ver(ä|ae|a)nd(erung|\.)|differenz|\bdiff\b|zu-?\s*(/|und|bzw\.?)?\s*abnahme|\bzunahme\b|"
                    r"\babnahme\b|gegen(ü|ue)ber\s+(dem\s+)?vorjahr|\bgg(ü|ue)?\.?\s*vj|\bchange\b|\+/-|±|Δ",
                    re.IGNORECASE)
"""A header of a change between periods ('Veränderung in %', 'Zu-/Abnahme', '+/-'): matched only to an indicator
that is a change itself (MSS's dynamics), never to the level it is a change of."""


def header_period(text: str) -> str | None:
    """The reference year written in a header or title ('(Dez 2013)', 'Stand 31.12.2021', 'am 31.12.02',
    'census22'), if exactly one."""
    census = re.search(r"(?i)(census|zensus)\s*_?(\d{2})(?!\d)", str(text))
    if census:
        return f"20{census.group(2)}"
    school = _SCHOOL_YEAR.search(str(text))
    if school:
        return None
    years = _years(str(text))
    return years.pop() if len(years) == 1 else None


def title_period(titles: list[str]) -> tuple[str | None, str]:
    """The period the title lines above a table give, and where from: the one year they name ('the title lines'),
    or, where they name several, the one written in a date ('Sozialbericht 2023' over '… am 31.12.2022': the stand,
    'the date in the title lines'); None where they name none, or several and not one of them in a date."""
    years = {y for t in titles for y in [header_period(t)] if y}
    dated = {header_period(t) for t in titles if STAND_DATE.search(t)} - {None}
    if len(years) > 1 and len(dated) == 1:
        return dated.pop(), "the date in the title lines"
    return (years.pop() if len(years) == 1 else None), "the title lines"


def _years(text: str) -> set[str]:
    """The years a text names: written out ('2004', '31.12.2004') or in a date of two digits ('31.12.02')."""
    short = {f"{20 if int(y) < 50 else 19}{y}" for d, m, y in _SHORT_DATE.findall(text)
             if 1 <= int(d) <= 31 and 1 <= int(m) <= 12}
    return set(YEAR.findall(text)) | short


def _number(part: str) -> int:
    return int(part[1:]) if part[:1] in "HQ" else int(part)


def _part_of_year(path: Path) -> tuple[str, str, int, str | None] | None:
    """(year, the part as written, its number, 'half'/'quarter'/'month' or None where the folder leaves it open)
    for a name ending in a part of a year; None for any other name."""
    stem = Path(path).stem
    found = _year_and_part(stem)
    if found is None or not 1 <= _number(found[2].upper()) <= 12:
        return None
    start, year, written = found
    part, prefix = written.upper(), stem[:start]
    this = _number(part)
    numbers = {_number(n[2].upper()) for other in Path(path).parent.glob(f"{glob.escape(prefix)}*")
               for n in [_year_and_part(other.stem)] if n and other.stem[: n[0]] == prefix
               and 1 <= _number(n[2].upper()) <= 12} | {this}
    kind = ("half" if part.startswith("H") else "quarter" if part.startswith("Q") else
            "half" if max(numbers) == 2 else "quarter" if max(numbers) == 4 else "month" if max(numbers) > 4 else None)
    return year, written, this, kind


def _year_and_part(stem: str) -> tuple[int, str, str] | None:
    """(where the year and its part begin, the year, the part as written) in a file's name, or None."""
    m = _PART_OF_YEAR.search(stem)
    if m:
        return m.start(), m.group(1), m.group(2)
    m = _PART_BEFORE_YEAR.search(stem)
    return (m.start(), m.group(2), m.group(1)) if m else None


def file_period(path: Path) -> tuple[str | None, str | None, str | None]:
    """The period a file's name gives: (period, a commented period line's value, a note). A name that ends in a
    part of a year ('population-2015-01', '…_2015_H2') is read against the folder's files of the same name: two
    parts are half-years, four quarters, twelve months. The year's last part stands for the year (an annual
    monitoring counts at 31.12); any other part gets no period, only a note, so that two files of one year are
    not imported as the same year by accident."""
    found = _part_of_year(path)
    if found is None:
        return header_period(Path(path).stem), None, None
    year, written, this, kind = found
    if kind is None:
        return None, year, (f"the file name ends in {year} and {written}: a month, quarter or half-year? Set the "
                            "period (the year for an annual monitoring, if this file is the year's end)")
    word, last = _PART_NAMES[kind]
    if this == last:
        return year, None, (f"the file name names {word} {this} of {year}, the year's last: proposed as the "
                            f"year {year} (an annual monitoring counts at the year's end)")
    return None, year, (f"the file name names {word} {this} of {year}, not the year's last ({word} {last}): no period "
                        f"proposed, so that two files of {year} are not imported as the same year; import the last one "
                        f"as {year}, or set the period here if this file is the one you want")


def period_of_file(path: Path) -> str:
    """The period of an import whose mapping says ``period: file_name``: the one year the name gives
    ('…_2021.csv', 'census22'), the year for the last of its parts ('…-2015-02.csv' beside '…-2015-01.csv'), a
    month as 'YYYY-MM' (the importers read December as the year for annual indicators). ``ValueError`` with the
    reason where the name gives no period, several years, or a half-year or quarter that is not the year's last."""
    found, name = _part_of_year(path), Path(path).name
    own = "give this file its period in a mapping of its own"
    if found is None:
        years = sorted(set(YEAR.findall(Path(path).stem)))
        if period := header_period(Path(path).stem):
            return period
        raise ValueError(f"{name}: 'period: file_name' in the mapping, but the file name names "
                         f"{'the years ' + ', '.join(years) if years else 'no year'}; {own}")
    year, written, this, kind = found
    if kind == "month":
        return f"{year}-{this:02d}"
    if kind is None:
        raise ValueError(f"{name}: 'period: file_name' in the mapping, but the name ends in {year} and {written}, "
                         f"a month, quarter or half-year the folder does not tell apart; {own}")
    word, last = _PART_NAMES[kind]
    if this == last:
        return year
    raise ValueError(f"{name}: the file name names {word} {this} of {year}, not the year's last ({word} {last}); "
                     f"'period: file_name' reads only the year's last {word} as the year (an annual monitoring "
                     f"counts at the year's end), so that two files of {year} are not imported as the same year. "
                     f"Import the file of {word} {last}, or {own}")


def sheets_and_periods(path: Path, sheet, period: str | None) -> list[tuple[str | int, str | None]]:
    """Each sheet a mapping names (``sheet``: one or a list, by name or number from 0) with its period: ``period``,
    or with ``period: sheet_name`` the year its name gives ('2021', 'Stand 2021'). A number the workbook holds as a
    sheet's name (YAML reads '2019' unquoted as one) is that sheet. :class:`ml.io.FileFormatError` names a sheet the
    workbook lacks, or one whose name gives no period."""
    from ml.io import FileFormatError, sheet_names

    names = sheet_names(path)
    out = []
    for one in sheet if isinstance(sheet, list) else [sheet]:
        if str(one) in names:
            one = str(one)
        elif not (isinstance(one, int) and 0 <= one < len(names)):
            raise FileFormatError(f"{path}: no sheet {one!r}; the workbook's sheets are "
                                  f"{', '.join(map(repr, names)) or 'none it can read'}")
        name = one if isinstance(one, str) else names[one]
        own = header_period(name) if period == SHEET_NAME else period
        if own is None and period == SHEET_NAME:
            raise FileFormatError(f"{path}: 'period: sheet_name' in the mapping, but the sheet {name!r} names no "
                                  "year; give that sheet a mapping of its own with its period")
        out.append((one, own))
    return out

"""How a file's columns are read: the mapping file, header matching and the column roles.

A header as written in a file is compared with a mapping key by :func:`header_key` (soft hyphens, doubled
and outer blanks do not count) and with the known German and English names of a role (region, indicator,
period, value …) by :func:`norm_header` (case, umlaut spelling and punctuation do not count).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ml.config import read_yaml_mapping
from ml.contracts import LEVELS
from ml.file_periods import FILE_NAME, SHEET_NAME, TITLE, period_of_file, sheets_and_periods, title_period
from ml.io import FileFormatError
from ml.importers.place_headers import codes_places, names_places, place_level
from ml.regions import canonical_level, fold

class MappingError(ValueError):
    """A mapping file is invalid; the message names the file and the field."""


class ColumnSpec(BaseModel):
    """One wide column with its own reference period (a table mixing '(2010)' and '(Dez 2013)' columns)."""

    model_config = ConfigDict(extra="forbid")

    indicator: str
    period: str | None = None


class SumSpec(BaseModel):
    """Columns of a wide table that add up on every row: ``left`` (a total) = the sum of ``right`` (its parts), or
    two breakdowns of one population ('male' + 'female' = the age groups). ``mapping suggest`` writes those the
    table has (:mod:`ml.sums`); ``ingest`` quarantines the values of a row on which they do not add up."""

    model_config = ConfigDict(extra="forbid")

    left: list[str] = Field(min_length=1)
    right: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _two_sides(self) -> "SumSpec":
        both = set(self.left) & set(self.right)
        if both:
            raise ValueError(f"a column on both sides of a sum: {', '.join(sorted(both))}")
        return self


class HierarchyLevel(BaseModel):
    """One level of a region list written as a hierarchy (one row per finest region, a code and a name column per
    level, coarse to fine): the level, its code column and its name column. ``local``: the codes count only under
    their parent (Berlin's Bezirksregion '11' exists in every Bezirk), and the region's code is the parent's code
    followed by this one."""

    model_config = ConfigDict(extra="forbid")

    level: str
    id: str
    name: str | None = None
    local: bool = False


class Mapping(BaseModel):
    """How to read a long or wide file whose columns are not named as sozialradar expects."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["regions", "long", "wide", "mss", "inkar", "age", "facilities", "measures"] | None = None
    header_line: int = Field(1, ge=1)
    header_rows: int | None = Field(None, ge=1, le=5, description="a header of several rows from header_line on "
                                    "(the Regionaldatenbank's, INKAR's export): joined into one name per column, "
                                    "columns without one named 'Spalte N', the lines after the table left out")
    sheet: str | int | list[str | int] | None = Field(
        None, description="a workbook's sheet by name (or number from 0); a list of sheets that hold the same table, "
        "each imported with this mapping as an import of its own (a workbook with a sheet per year: with "
        "'period: sheet_name'); a GIS file's layer; a JSON file's table by its path in the file ('detail', "
        "'result.records'; without it, the file's largest table)")
    encoding: Literal["auto", "utf-8", "cp1252", "latin-1", "utf-16"] | None = None
    delimiter: Literal["auto", ";", ",", "\t", "|"] | None = None
    decimal: Literal["auto", ",", "."] | None = None
    dash: Literal["zero", "missing"] | None = Field(None, description="'-' alone in a cell: zero or no value")
    withheld: list[str] = Field(
        default_factory=list, description="wide, long, age: what the table writes for a value withheld for "
        "confidentiality beyond '.' and 'x' (a Sozialatlas's 'NULL' where it publishes no count below 4): such "
        "cells are kept as observations flagged suppressed, not read as missing")
    region_column: str | None = None
    region: str | None = Field(None, description="wide: the one region of a table without a region column (the "
                               "whole city's or county's values, one row per period): its code or name")
    regions_in_columns: bool = Field(
        False, description="wide: the regions stand in the header, one column each, and each row holds an "
        "indicator (a Sozialbericht's 'Merkmal | Altstadt | Neustadt | …'): the table is read turned, each row's "
        "label (a unit column beside it joined, a heading row above rows that begin in lower case put before them) "
        "the name of a column, the header's regions in a column named 'Gebiet' (or the level the corner names); "
        "a header of years across (the county's own figures, with region:) in a column named 'Jahr'")
    level: str | None = Field(None, description="the level of every region in the file: for a region list "
                              "without a level column; for observations named by region name, which of two "
                              "regions of the same name is meant")
    name_column: str | None = Field(None, description="the column of the regions' names: in a region list, their "
                                    "names; beside the codes in a table of values, left out of the values, and where "
                                    "a code is no region of the store, the name finds the region (renumbered regions; "
                                    "found by its header, 'Name', 'Gemeindename', 'municipality_name' …, where not "
                                    "given)")
    code_and_name: bool = Field(False, description="the region column writes each region's code and name in one "
                                "cell ('0011-Großmarkt', '14522 Mittelsachsen'): read apart, the names as the "
                                "name_column")
    levels: dict[str, str] = Field(
        default_factory=dict, description="the words of the file's level column that are no level of the store "
        "-> the level each stands for ({'Verkehrszellen': planungsraum})")
    region_code_width: int | None = Field(None, ge=1, le=40)
    outside_regions: Literal["quarantine", "leave_out"] = Field(
        "quarantine", description="rows of codes the store has no region for: quarantined, or left out and counted "
        "(a national table of which the store holds the county's regions)")
    period_column: str | None = None
    period: str | None = Field(None, description="the period of every row ('2021', '2021-06'), or 'file_name': "
                               "each file's own, read from its name (one mapping for a series of editions), or "
                               "'sheet_name': each sheet's own, read from its name ('2021', 'Stand 2021'), or "
                               "'title': each file's (or sheet's) own, read from its title lines above the header "
                               "('Stand 31.12.2023': an edition sent each year under one name)")
    indicator_column: str | None = None
    value_column: str | None = None
    numerator_column: str | None = None
    denominator_column: str | None = None
    flag_column: str | None = None
    indicators: dict[str, str] = Field(
        default_factory=dict, description="long: the indicator cells as the file writes them (a code such as "
        "'A4' or a label such as 'Arbeitslosenquote') -> catalog ids; a cell not named here is read as an id")
    columns: dict[str, str | ColumnSpec] = Field(
        default_factory=dict, description="wide: header text -> indicator_id, or {indicator, period} for a column "
        "whose reference period differs from the table's")
    ignore_columns: list[str] = Field(default_factory=list)
    sums: list[SumSpec] = Field(
        default_factory=list, description="wide: columns that add up on every row (a total and its parts, or two "
        "breakdowns of one population); the imported values of a row on which they do not are quarantined")
    parent_column: str | None = Field(
        None, description="regions: the column of each region's parent, by its code (found by its header, "
        "'parent_id', 'Übergeordnet', 'PARENT_AREA_ID' …, where not given); a code that is no region of the store "
        "or the file is read with other leading zeros ('01' for '1') or without the letters before its number that "
        "every parent code shares ('STGT01'), where that names one region")
    parent: str | None = Field(
        None, description="regions: the one parent of every region of the list, a region of the store by its code "
        "(the whole city over a list of its Stadtteile that names no parent)")
    parent_code: int | None = Field(
        None, ge=1, le=39, description="regions: each region's parent is the region whose code is the first N "
        "characters of its own (a Gemeinde's Kreis: the first 5 digits of its 8-digit AGS)")
    parent_level: str | None = Field(
        None, description="regions, with parent_code: the level of the parents; those the store and the file do "
        "not hold are created, named by level and code ('Kreis 01054') until a region list names them")
    code_levels: dict[int, str] = Field(
        default_factory=dict, description="regions: each row's level from the length of its code ({2: land, 5: "
        "kreis, 8: gemeinde} for an AGS), its parent the longest code of the list or the store its own begins with; "
        "a row of a length not named is quarantined")
    sum_rows: bool = Field(
        False, description="regions: rows of coarser regions stand between the list's own, as tables print their "
        "sums ('Bezirk Altona' after its Stadtteile, 'Landkreis Zwickau' before its Gemeinden): each is a region "
        "of the level its name or level column gives and the parent of the rows up to it; a row of the whole "
        "('Hamburg insgesamt') is left out")
    hierarchy: list[HierarchyLevel] = Field(
        default_factory=list, description="regions: a region list with a code and a name column per level, coarse "
        "to fine, one row per finest region; every level becomes regions, each the parent of the next")

    @field_validator("withheld", mode="before")
    @classmethod
    def _yaml_null(cls, value):
        # an unquoted NULL in YAML is its empty value: the analyst meant the cells written NULL (in any case)
        if isinstance(value, (list, tuple)):
            return [m for v in value for m in (("NULL", "null", "Null") if v is None else (v,))]
        return value

    @model_validator(mode="after")
    def _one_way_to_the_regions(self) -> "Mapping":
        if self.region is not None and self.region_column is not None:
            raise ValueError("region (the one region of a table without a region column) and region_column "
                             "exclude each other; keep one")
        if self.regions_in_columns and self.format not in (None, "wide"):
            raise ValueError("regions_in_columns reads a wide table whose regions (or years) stand in the header; "
                             f"the format {self.format!r} is not read turned")
        if self.parent_code is not None and self.hierarchy:
            raise ValueError("parent_code (parents from the first characters of each code) and hierarchy (a code "
                             "column per level) exclude each other; keep one")
        if self.parent_column is not None and self.parent_code is not None:
            raise ValueError("parent_column (each region's parent in a column of its own) and parent_code (parents "
                             "from the first characters of each code) exclude each other; keep one")
        if self.parent_column is not None and self.hierarchy:
            raise ValueError("parent_column (each region's parent in a column of its own) and hierarchy (a code "
                             "column per level, each the parent of the next) exclude each other; keep one")
        given = [name for name, on in (("parent_column", self.parent_column is not None),
                                       ("parent_code", self.parent_code is not None),
                                       ("hierarchy", bool(self.hierarchy)), ("code_levels", bool(self.code_levels)),
                                       ("sum_rows", self.sum_rows)) if on]
        if self.parent is not None and given:
            raise ValueError(f"parent (the one parent of every region of the list) and {given[0]} exclude each other; "
                             "keep one")
        other = next((name for name, given in (("hierarchy", bool(self.hierarchy)),
                                               ("parent_code", self.parent_code is not None),
                                               ("parent_column", self.parent_column is not None),
                                               ("level", self.level is not None)) if given), None)
        if self.code_levels and other:
            raise ValueError(f"code_levels (each row's level and parent from its code) and {other} exclude each "
                             "other; keep one")
        bad_levels = {k: v for k, v in self.code_levels.items() if canonical_level(str(v)) not in LEVELS}
        if bad_levels:
            raise ValueError("code_levels names levels the store does not have (" + ", ".join(
                f"{k}: {v!r}" for k, v in bad_levels.items()) + "); a level is one of " + ", ".join(LEVELS))
        if self.sum_rows and self.hierarchy:
            raise ValueError("sum_rows (coarser regions in rows between the list's own) and hierarchy (a code column "
                             "per level) exclude each other; keep one")
        if self.parent_level is not None and self.parent_code is None:
            raise ValueError("parent_level names the level of the parents that parent_code derives; set parent_code "
                             "too (the number of leading characters of a code that are its parent's code)")
        unknown = {k: v for k, v in self.levels.items() if canonical_level(str(v)) is None}
        if unknown:
            raise ValueError("levels names levels the store does not have (" + ", ".join(
                f"{k!r}: {v!r}" for k, v in unknown.items()) + "); a level is one of " + ", ".join(LEVELS))
        if isinstance(self.sheet, list):
            if not self.sheet:
                raise ValueError("sheet: an empty list names no sheet; name one or more, or leave it out (the first "
                                 "sheet that holds a table)")
            twice = sorted({str(s) for s in self.sheet if [str(t) for t in self.sheet].count(str(s)) > 1})
            if twice:
                raise ValueError(f"sheet names {', '.join(map(repr, twice))} twice; each sheet once")
        if self.period == TITLE and (self.header_line or 1) < 2:
            raise ValueError("period: title reads the period from the title lines above the header: give the "
                             "header's line (header_line), below them")
        if self.period == SHEET_NAME and self.sheet is None:
            raise ValueError("period: sheet_name reads each sheet's period from its name: name the sheet or sheets "
                             "(sheet: ['2019', '2020'])")
        numbers = [m for m in self.withheld if re.fullmatch(r"[+-]?[\d.,\s]*\d[\d.,\s]*", m.strip())]
        if numbers:
            raise ValueError(f"withheld names cells that read as numbers ({', '.join(repr(m) for m in numbers)}): a "
                             "number is a value, not the mark of a withheld one")
        self.withheld = list(dict.fromkeys(m.strip() for m in self.withheld))
        return self

    def for_title(self, path: Path) -> "Mapping":
        """This mapping for one file (or sheet): ``period: title`` becomes the period its title lines give
        (:func:`ml.file_periods.title_period`; :class:`FileFormatError` with the lines where they give none)."""
        if self.period != TITLE:
            return self
        from ml.header_rows import first_rows

        titles = [" ".join(c for c in row if str(c).strip())
                  for row in first_rows(path, self.sheet, self.header_line - 1)]
        year, _ = title_period(titles)
        if year is None:
            shown = "; ".join(repr(t[:60]) for t in titles if t) or "none but blank lines"
            raise FileFormatError(f"{path}{f' (sheet {self.sheet!r})' if self.sheet is not None else ''}: 'period: "
                                  f"title' in the mapping, but the title lines above the header name no one year "
                                  f"(nor one in a date) ({shown}); give the period in the mapping")
        return self.model_copy(update={"period": year})

    def for_file(self, path: Path) -> "Mapping":
        """This mapping for one file: ``period: file_name`` becomes the period the file's name gives
        (:class:`FileFormatError` with the reason where it gives none)."""
        if self.period != FILE_NAME:
            return self
        try:
            return self.model_copy(update={"period": period_of_file(path)})
        except ValueError as exc:
            raise FileFormatError(str(exc)) from None


    def for_sheets(self, path: Path) -> list["Mapping"]:
        """This mapping once per sheet it names (itself where it names one sheet or none), each with its own
        period where ``period: sheet_name``: a sheet named by a number its workbook holds as a name ('2019') is
        that sheet. :class:`FileFormatError` names a sheet the workbook lacks, or one whose name gives no period."""
        if not isinstance(self.sheet, list) and self.period != SHEET_NAME:
            return [self]
        return [self.model_copy(update={"sheet": sheet, "period": period})
                for sheet, period in sheets_and_periods(Path(path), self.sheet, self.period)]


def load_mapping(path: Path | str | None) -> Mapping:
    """A mapping file (YAML) as a :class:`Mapping`; :class:`FileFormatError` names the faulty key."""
    if path is None:
        return Mapping()
    raw = read_yaml_mapping(path, "mapping", MappingError)
    try:
        return Mapping.model_validate(raw)
    except ValidationError as exc:
        raise MappingError(f"{path}: {'; '.join(_problem(e) for e in exc.errors())}") from None


def _problem(error: dict) -> str:
    """One fault of a mapping file in words; a key the mapping does not know names the close ones and the keys."""
    where = ".".join(str(p) for p in error["loc"])
    if error["type"] != "extra_forbidden" or len(error["loc"]) != 1:
        return f"{where}: {error['msg']}"
    import difflib

    keys = list(Mapping.model_fields)
    close = difflib.get_close_matches(str(error["loc"][0]), keys, n=2, cutoff=0.6)
    return (f"{where}: no such key" + (f" (did you mean {' or '.join(close)}?)" if close else "")
            + f"; the keys of a mapping are {', '.join(keys)}")


def norm_header(text: str) -> str:
    """A header as compared with the aliases: lower case, umlauts written out (Zähler = Zaehler), other
    accents, spaces and punctuation dropped."""
    return re.sub(r"[^a-z0-9/]", "", fold(text))


ALIASES: dict[str, tuple[str, ...]] = {
    "region_id": ("region_id", "regionid", "region", "gebiet", "gebietsid", "raumid", "ags", "schluessel",
                  "gemeindeschluessel", "regionalschluessel", "kennziffer", "code", "plrid", "sozialraum", "district_id", "districtid", "area_id", "areaid",
                  "gebietsnummer", "stadtteilnummer", "stadtteilnr", "bezirksnummer"),
    "indicator_id": ("indicator_id", "indicatorid", "indicator", "indikator", "merkmal"),
    "period": ("period", "periode", "jahr", "year", "zeit", "zeitraum", "monat", "stichtag", "stand", "stand_year",
               "standjahr", "berichtsjahr", "bezugsjahr", "referenzjahr", "reference_year", "ref_year"),
    "value": ("value", "wert"),
    "numerator": ("numerator", "zaehler"),
    "denominator": ("denominator", "nenner"),
    "flag": ("flag", "kennzeichen", "status"),
    "name": ("name", "bezeichnung", "gebietsname", "gemeinde", "gemeindename", "sozialraumname", "plrname",
             "raumeinheit"),
    "level": ("level", "ebene"),
    "parent_id": ("parent_id", "parentid", "parent", "uebergeordnet", "uebergeordnetesgebiet", "obergebiet"),
    "geometry": ("geometry", "geometrie", "geojson", "geom", "wkt"),
}


_PARENT_HEADER = re.compile(r"parent(?:id|are|area|areaid|areacode|code|region|regionid|key|nr|no)?|"
                            r"uebergeordnet[a-z]*|obergebiet[a-z]*")
"""A parent column's header, folded: 'PARENT_AREA_ID' (a shapefile cuts it to 'PARENT_ARE'), 'Übergeordnete
Einheit'; not 'parents' (an indicator's subject)."""


def ignored_positions(header: list[str], ignore: list[str]) -> set[int]:
    """The positions of the columns a mapping leaves out (``ignore_columns``), compared as mapped columns are, in
    upper and lower case alike; a name not in this file's header is nothing to leave out."""
    wanted = {header_key(c).casefold() for c in ignore}
    return {i for i, h in enumerate(header) if header_key(h).casefold() in wanted}


def header_key(text: str) -> str:
    """A header as a mapping names it: soft hyphens and zero-width characters dropped, white space collapsed
    and trimmed (so that ' Ein\u00adwohner ' in the file and 'Einwohner' in the mapping are the same column)."""
    text = unicodedata.normalize("NFC", str(text)).replace("\u00ad", "").replace("\u200b", "").replace("\ufeff", "")
    return " ".join(text.split())


def distinct_headers(header: list[str]) -> list[str]:
    """The header with repeated names told apart by their order: the second 'inhabitants' is 'inhabitants (2)',
    the third 'inhabitants (3)' (a mapping names them so); a column without a name is named by its position,
    'Spalte 3', as a header of several rows names it (:data:`ml.header_rows.EMPTY_NAME`)."""
    from ml.header_rows import EMPTY_NAME

    taken = {header_key(h) for h in header}
    seen: dict[str, int] = {}
    out = []
    for pos, h in enumerate(header):
        key = header_key(h)
        if not key and EMPTY_NAME.format(pos + 1) not in taken:
            out.append(EMPTY_NAME.format(pos + 1))
            continue
        if not key or key not in seen:
            seen.setdefault(key, 1)
            out.append(h)
            continue
        n = seen[key] + 1
        while f"{key} ({n})" in taken:     # a header already named so keeps its name
            n += 1
        seen[key] = n
        taken.add(f"{key} ({n})")
        out.append(f"{key} ({n})")
    return out


def column_position(header: list[str], wanted: str, role: str) -> int:
    """The position of the mapped column ``wanted``: the header written so, else the one header that differs from
    it only in upper and lower case (one edition writes 'ZEIT', the next 'Zeit'); the error names the closest
    headers."""
    keys = [header_key(h) for h in header]
    key = header_key(wanted)
    if key in keys:
        return keys.index(key)
    same = [i for i, k in enumerate(keys) if k.casefold() == key.casefold()]
    if len(same) == 1:
        return same[0]
    import difflib

    close = difflib.get_close_matches(key, keys, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise FileFormatError(f"mapped column {wanted!r} for {role} is not in the header{hint} (header: "
                          f"{', '.join(keys)})")


def find_column(header: list[str], role: str, explicit: str | None = None) -> int | None:
    """The header of a raw table that matches one of ``names`` (folded German spelling), or None. For the
    names and codes of the regions, where no header is one of them, the one header that names places' names
    (:func:`names_places`: 'municipality_name', 'Name der Gemeinde') or codes (:func:`codes_places`:
    'Kreisschlüssel')."""
    if explicit is not None:
        return column_position(header, explicit, role)
    wanted = {norm_header(a) for a in ALIASES[role]}
    for i, name in enumerate(header):
        if norm_header(name) in wanted:
            return i
    if role == "parent_id":     # 'PARENT_AREA_ID', cut by a shapefile to 'PARENT_ARE'; 'Übergeordnete Einheit'
        found = [i for i, name in enumerate(header) if _PARENT_HEADER.fullmatch(norm_header(name))]
        if len(found) == 1:
            return found[0]
    if role in ("name", "region_id"):
        found = [i for i, name in enumerate(header) if (names_places if role == "name" else codes_places)(name)]
        if len(found) == 1:
            return found[0]
    if role == "name":      # 'Kreisschlüssel; Kreis': the one header that is a level word names the places,
        # unless the codes name another level ('Gemeindeschlüssel; Kreis': the Kreis is the parent)
        levels = [i for i, name in enumerate(header) if canonical_level(name)]
        code = find_column(header, "region_id")
        if len(levels) == 1 and code not in (None, levels[0]) and place_level(header[code]) in (
                None, canonical_level(header[levels[0]])):
            return levels[0]
    return None


_LIST_CODE = frozenset({"id", "nr", "nummer", "kennung"})
"""A region list's code column under a plain name ('ID;Name;Ebene'): read so only in a list, beside a name column."""


def list_code_column(header: list[str], explicit: str | None = None) -> int | None:
    """A region list's code column: the mapped one, else as :func:`find_column` finds it, else the one header that
    is a plain 'ID', 'Nr.' or 'Nummer' beside a column of names ('id;name;level' as a GIS exports it)."""
    found = find_column(header, "region_id", explicit)
    if found is not None or explicit is not None:
        return found
    plain = [i for i, h in enumerate(header) if norm_header(h) in _LIST_CODE]
    name = find_column(header, "name")
    return plain[0] if len(plain) == 1 and name not in (None, plain[0]) else None


def find_region_column(header: list[str], mapping: Mapping) -> int | None:
    """Where the regions are: the mapped column, a code column, else a column of names (a header 'Name' or one
    level word such as 'Stadtteil'); names are looked up in the store's region list."""
    found = find_column(header, "region_id", mapping.region_column)
    if found is None:
        found = find_column(header, "name")
    if found is None:
        levels = [i for i, h in enumerate(header) if canonical_level(h)]
        found = levels[0] if len(levels) == 1 else None
    return found

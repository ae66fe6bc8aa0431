"""Importers: turn a monitoring file of any supported layout into validated observations in the store.

Supported layouts (``--format``):

* ``regions`` – a region list (``region_id, name, level, parent_id[, geometry]``);
* ``long`` – one observation per row (``region_id, indicator_id, period, value[, numerator,
  denominator, flag]``, German column names accepted);
* ``wide`` – one column per indicator, mapped by a YAML file;
* ``mss`` – the Berlin *Monitoring Soziale Stadtentwicklung* tables 2013–2021 (old and new PLR grid);
* ``inkar`` – the BBSR INKAR county file (400 Kreise, 1995–2022).

Each layout adapter produces a text frame in long form; one validator (``ml.validation``) checks it,
and ``ingest_file`` merges the accepted rows and records everything else in the quarantine.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ml.catalog import Catalog, load_catalog, read_indicators
from ml.config import Settings, read_yaml_mapping
from ml.contracts import IMPORT_FORMATS, LEVELS
from ml.io import FileFormatError, Problem, RawTable, file_hash, read_table, write_quarantine_report
from ml.parsing import DASHES, INVALID_CODE, MISSING_MARKERS, decide_decimal, normalize_codes
from ml.regions import RegionLookup, canonical_level
from ml.paths import CATALOG_DIR
from ml.store import Store
from ml.validation import Rules, validate_long

FORMATS = IMPORT_FORMATS
LONG_COLUMNS = ("line", "column", "region_id", "indicator_id", "period", "value", "numerator", "denominator", "flag")


class MappingError(ValueError):
    """A mapping file is invalid; the message names the file and the field."""


class ColumnSpec(BaseModel):
    """One wide column with its own reference period (a table mixing '(2010)' and '(Dez 2013)' columns)."""

    model_config = ConfigDict(extra="forbid")

    indicator: str
    period: str | None = None


class Mapping(BaseModel):
    """How to read a long or wide file whose columns are not named as sozialradar expects."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["regions", "long", "wide", "mss", "inkar"] | None = None
    header_line: int = Field(1, ge=1)
    sheet: str | int | None = None
    encoding: Literal["auto", "utf-8", "cp1252", "latin-1", "utf-16"] | None = None
    delimiter: Literal["auto", ";", ",", "\t", "|"] | None = None
    decimal: Literal["auto", ",", "."] | None = None
    dash: Literal["zero", "missing"] | None = Field(None, description="'-' alone in a cell: zero or no value")
    region_column: str | None = None
    level: str | None = Field(None, description="the level of every region in the file: for a region list "
                              "without a level column; for observations named by region name, which of two "
                              "regions of the same name is meant")
    region_code_width: int | None = Field(None, ge=1, le=40)
    period_column: str | None = None
    period: str | None = None
    indicator_column: str | None = None
    value_column: str | None = None
    numerator_column: str | None = None
    denominator_column: str | None = None
    flag_column: str | None = None
    columns: dict[str, str | ColumnSpec] = Field(
        default_factory=dict, description="wide: header text -> indicator_id, or {indicator, period} for a column "
        "whose reference period differs from the table's")
    ignore_columns: list[str] = Field(default_factory=list)


def load_mapping(path: Path | str | None) -> Mapping:
    if path is None:
        return Mapping()
    raw = read_yaml_mapping(path, "mapping", MappingError)
    try:
        return Mapping.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise MappingError(f"{path}: {problems}") from None


_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def _norm(text: str) -> str:
    """A header as compared with the aliases: lower case, umlauts written out (Zähler = Zaehler), other
    accents, spaces and punctuation dropped."""
    text = unicodedata.normalize("NFC", text.lower()).translate(_UMLAUTS)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9/]", "", text)


ALIASES: dict[str, tuple[str, ...]] = {
    "region_id": ("region_id", "regionid", "region", "gebiet", "gebietsid", "raumid", "ags", "schluessel",
                  "gemeindeschluessel", "regionalschluessel", "kennziffer", "code", "plrid", "sozialraum", "district_id", "districtid", "area_id", "areaid",
                  "gebietsnummer", "stadtteilnummer", "stadtteilnr", "bezirksnummer"),
    "indicator_id": ("indicator_id", "indicatorid", "indicator", "indikator", "merkmal"),
    "period": ("period", "periode", "jahr", "year", "zeitraum", "monat", "stichtag"),
    "value": ("value", "wert"),
    "numerator": ("numerator", "zaehler"),
    "denominator": ("denominator", "nenner"),
    "flag": ("flag", "kennzeichen", "status"),
    "name": ("name", "bezeichnung", "gebietsname", "gemeinde", "gemeindename", "sozialraumname", "plrname"),
    "level": ("level", "ebene"),
    "parent_id": ("parent_id", "parentid", "parent", "uebergeordnet"),
    "geometry": ("geometry", "geometrie", "geojson", "geom", "wkt"),
}


def header_key(text: str) -> str:
    """A header as a mapping names it: soft hyphens and zero-width characters dropped, white space collapsed
    and trimmed (so that ' Ein\u00adwohner ' in the file and 'Einwohner' in the mapping are the same column)."""
    text = unicodedata.normalize("NFC", str(text)).replace("\u00ad", "").replace("\u200b", "").replace("\ufeff", "")
    return " ".join(text.split())


def _position(header: list[str], wanted: str, role: str) -> int:
    """The position of the mapped column ``wanted``; the error names the closest headers."""
    keys = [header_key(h) for h in header]
    key = header_key(wanted)
    if key in keys:
        return keys.index(key)
    import difflib

    close = difflib.get_close_matches(key, keys, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise FileFormatError(f"mapped column {wanted!r} for {role} is not in the header{hint} (header: "
                          f"{', '.join(keys)})")


def _find(header: list[str], role: str, explicit: str | None = None) -> int | None:
    if explicit is not None:
        return _position(header, explicit, role)
    wanted = {_norm(a) for a in ALIASES[role]}
    for i, name in enumerate(header):
        if _norm(name) in wanted:
            return i
    return None


def _region_column(header: list[str], mapping: Mapping) -> int | None:
    """Where the regions are: the mapped column, a code column, else a column of names (a header 'Name' or one
    level word such as 'Stadtteil'); names are looked up in the store's region list."""
    found = _find(header, "region_id", mapping.region_column)
    if found is None:
        found = _find(header, "name")
    if found is None:
        levels = [i for i, h in enumerate(header) if canonical_level(h)]
        found = levels[0] if len(levels) == 1 else None
    return found


# ------------------------------------------------------------------------------------------------
# layout adapters: RawTable -> long text frame (+ regions)


@dataclass
class Adapted:
    cells: pd.DataFrame | pa.Table
    regions: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    empty_cells: int = 0


def _empty_long() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype="int64" if c == "line" else "str") for c in LONG_COLUMNS})


def _col(table: RawTable, index: int | None, default: str = "") -> pd.Series:
    if index is None:
        return pd.Series(default, index=table.frame().index, dtype="str")
    return table.column(index)


def _dash_as_zero(column: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    import pyarrow.compute as pc

    dash = pc.is_in(pc.utf8_trim_whitespace(column), value_set=pa.array(DASHES))
    return pc.if_else(dash, "0", column)


def adapt_long(table: RawTable, mapping: Mapping, dash: str = "missing") -> Adapted:
    h = table.header
    idx = {
        "region_id": _region_column(h, mapping),
        "indicator_id": _find(h, "indicator_id", mapping.indicator_column),
        "period": _find(h, "period", mapping.period_column),
        "value": _find(h, "value", mapping.value_column),
        "numerator": _find(h, "numerator", mapping.numerator_column),
        "denominator": _find(h, "denominator", mapping.denominator_column),
        "flag": _find(h, "flag", mapping.flag_column),
        "region_level": _find(h, "level"),
    }
    required = ["region_id", "indicator_id", "value"] + ([] if mapping.period else ["period"])
    missing = [r for r in required if idx[r] is None]
    if missing:
        hint = " (is the delimiter right?)" if len(h) == 1 else ""
        raise FileFormatError(
            f"{table.path}: long format needs column(s) {', '.join(missing)}; header is {', '.join(h) or '(empty)'}{hint}"
        )
    n = table.cells.num_rows
    columns = {"line": pa.array(table.lines, pa.int64()), "column": pa.repeat(h[idx["value"]], n)}
    for role in ("region_id", "indicator_id", "period", "value", "numerator", "denominator", "flag", "region_level"):
        if idx[role] is not None:
            columns[role] = table.cells.column(f"c{idx[role]}")
            if dash == "zero" and role in ("value", "numerator", "denominator"):
                columns[role] = _dash_as_zero(columns[role])
        elif role == "period":
            columns[role] = pa.repeat(pa.scalar(mapping.period, pa.string()), n)
    cells = pa.table(columns)
    used = {i for i in idx.values() if i is not None}
    unused = [name for i, name in enumerate(h) if i not in used and name]
    notes = [f"columns not used by the long format: {', '.join(unused)}"] if unused else []
    return Adapted(cells=cells, notes=notes)


def _melt(table: RawTable, region: pd.Series, period: pd.Series, columns: dict[int, str],
          flag: pd.Series | None = None, cells: pd.DataFrame | None = None,
          level: pd.Series | None = None) -> tuple[pd.DataFrame, int]:
    """Wide -> long for the given column positions; empty cells are counted, not turned into rows."""
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
        frames.append(pd.DataFrame({
            "line": table.lines[keep],
            "column": table.header[pos] or f"column {pos + 1}",
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
        return _empty_long(), empty
    out = pd.concat(frames, ignore_index=True)
    for c in LONG_COLUMNS[1:]:
        out[c] = out[c].astype("str")
    return out, empty


def adapt_wide(table: RawTable, mapping: Mapping, catalog: Catalog, dash: str = "missing") -> Adapted:
    h = table.header
    r = _region_column(h, mapping)
    if r is None:
        raise FileFormatError(f"{table.path}: wide format needs a region column of codes or names (set "
                              "region_column in the mapping); "
                              f"header is {', '.join(h)}")
    p = _find(h, "period", mapping.period_column)
    own_periods = bool(mapping.columns) and all(isinstance(v, ColumnSpec) and v.period
                                                for v in mapping.columns.values())
    if p is None and mapping.period is None and not own_periods:
        raise FileFormatError(f"{table.path}: wide format needs a period column, a fixed 'period' in the mapping, "
                              "or a period for every mapped column")
    name_idx = _find(h, "name")
    level_idx = _find(h, "level")
    keys = [header_key(c) for c in h]
    mapped = {header_key(k): (v if isinstance(v, ColumnSpec) else ColumnSpec(indicator=v))
              for k, v in mapping.columns.items()}
    for column in mapping.columns:
        _position(h, column, "an indicator")   # every mapped column must exist (the error names close ones)
    # an ignored column may be absent from this year's file: nothing to ignore then
    ignored = {header_key(c) for c in mapping.ignore_columns}
    skip = {r, p, name_idx, level_idx} | {i for i, key in enumerate(keys) if key in ignored}
    columns: dict[int, str] = {}
    periods: dict[int, str | None] = {}
    unmapped: list[int] = []
    for i, key in enumerate(keys):
        if i in skip:
            continue
        if key in mapped:
            columns[i], periods[i] = mapped[key].indicator, mapped[key].period
        elif key in catalog:
            columns[i], periods[i] = key, None
        else:
            unmapped.append(i)
    region = _col(table, r)
    period = _col(table, p, mapping.period or "")
    frame = table.frame()
    if dash == "zero":
        frame = frame.copy()
        for i in columns:
            text = frame[f"c{i}"].astype("str")
            frame[f"c{i}"] = text.where(~text.str.strip().isin(DASHES), "0")
    # columns with their own reference period are melted with it; the others with the table's
    parts, empty = [], 0
    for own in sorted({v for v in periods.values()}, key=lambda v: (v is not None, v or "")):
        group = {i: ind for i, ind in columns.items() if periods[i] == own}
        col_period = period if own is None else pd.Series(own, index=period.index, dtype="str")
        part, e = _melt(table, region, col_period, group, cells=frame,
                        level=None if level_idx is None else _col(table, level_idx))
        parts.append(part)
        empty += e
    cells = pd.concat(parts, ignore_index=True) if parts else _empty_long()
    notes = []
    if unmapped:
        # a wide table carries more than the monitoring needs: columns without an indicator are not imported,
        # and the import report lists them with how many values they hold
        frame = table.frame()
        held = {i: int((~frame[f"c{i}"].astype("str").str.strip().isin(MISSING_MARKERS)).sum()) for i in unmapped}
        notes.append("columns not imported (no indicator in the mapping or the catalog; map them under 'columns' "
                     "to import them): " + ", ".join(f"{keys[i] or f'column {i + 1}'} ({held[i]} values)"
                                                    for i in unmapped))
    return Adapted(cells=cells, notes=notes, empty_cells=empty)


def adapt_regions(table: RawTable, mapping: Mapping, known: frozenset[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Validate a region list; returns (accepted regions, quarantined rows)."""
    h = table.header
    idx = {role: _find(h, role) for role in ("region_id", "name", "level", "parent_id", "geometry")}
    idx["region_id"] = _find(h, "region_id", mapping.region_column)
    if idx["name"] is None and mapping.region_column is not None:
        idx["name"] = idx["region_id"]          # a list of names only: the names are the ids
    missing = [r for r in ("region_id", "name", "level") if idx[r] is None and not (r == "level" and mapping.level)]
    if missing:
        raise FileFormatError(
            f"{table.path}: a region list needs column(s) {', '.join(missing)}; header is {', '.join(h)} (name the "
            "code column with region_column in a --mapping, and give a level for all with level: "
            f"{'|'.join(LEVELS)})")
    codes, bad = normalize_codes(_col(table, idx["region_id"]), mapping.region_code_width)
    parents, bad_parent = normalize_codes(_col(table, idx["parent_id"]), mapping.region_code_width)
    frame = pd.DataFrame({
        "region_id": codes.to_numpy(),
        "name": _col(table, idx["name"]).str.strip().to_numpy(),
        "level": (_col(table, idx["level"]).map(lambda t: canonical_level(t) or t.strip().lower()).to_numpy()
                  if idx["level"] is not None
                  else np.full(table.cells.num_rows, canonical_level(str(mapping.level)) or str(mapping.level).strip().lower(),
                               dtype=object)),
        "parent_id": parents.to_numpy(),
        "geometry": _col(table, idx["geometry"]).to_numpy(),
        "line": table.lines,
    })
    reason = np.full(len(frame), "", dtype=object)
    column = np.full(len(frame), "", dtype=object)
    value = np.full(len(frame), "", dtype=object)

    def fail(mask, why, col, val):
        m = np.asarray(mask, bool) & (reason == "")
        reason[m], column[m] = why, col
        value[m] = np.asarray(val, dtype=object)[m]

    fail(bad, INVALID_CODE, "region_id", frame["region_id"])
    fail(frame["name"].eq("").to_numpy(), "name missing", "name", frame["name"])
    fail(~frame["level"].isin(LEVELS).to_numpy(), f"unknown level (allowed: {', '.join(LEVELS)})", "level", frame["level"])
    has_parent = frame["parent_id"].ne("").to_numpy()
    fail(has_parent & bad_parent, "invalid parent code", "parent_id", frame["parent_id"])
    dup = frame["region_id"].duplicated(keep=False).to_numpy()
    two_levels = frame.groupby("region_id")["level"].transform("nunique").gt(1).to_numpy()
    fail(dup & two_levels, "the same id on two levels (a name used for a Bezirk and a Stadtteil, say): ids must be "
         "unique; give a code column (region_column in a --mapping) or distinct names", "region_id", frame["region_id"])
    fail(dup, "region_id appears more than once in the file", "region_id", frame["region_id"])
    known_all = set(known) | set(frame.loc[reason == "", "region_id"])
    fail(has_parent & ~frame["parent_id"].isin(known_all).to_numpy(), "unknown parent region", "parent_id",
         frame["parent_id"])
    ok = reason == ""
    accepted = frame[ok].drop(columns=["line"]).replace({"parent_id": {"": None}})
    accepted["geometry"] = accepted["geometry"].where(~accepted["geometry"].str.strip().isin(MISSING_MARKERS), None)
    quarantined = pd.DataFrame({"line": frame.loc[~ok, "line"].to_numpy(), "column": column[~ok],
                                "value": value[~ok], "reason": reason[~ok]})
    return accepted, quarantined


# --- Berlin MSS ----------------------------------------------------------------------------------

# "Planungsraum ohne Zuordnung" marks a PLR without index: no class, not an error
_MSS_STATUS_TEXT = {"hoch": "1", "mittel": "2", "niedrig": "3", "sehrniedrig": "4", "planungsraumohnezuordnung": ""}
_MSS_DYNAMIK_TEXT = {"positiv": "1", "stabil": "2", "negativ": "3", "planungsraumohnezuordnung": ""}
_MSS_DYNAMIK_SYMBOL = {"+": "1", "+/-": "2", "-": "3"}
_MSS_VALUE_INDICATORS = re.compile(r"^mss_(s|d|z_|k|status_summe|status_index|dynamik_summe|dynamik_index)")


def _mss_role(name: str) -> tuple[str, str | None, Callable[[pd.Series], pd.Series] | None]:
    """Classify one MSS header: ('indicator', id, transform) | ('region'|'name'|'period'|'validity'|
    'ignore'|'skip_misaligned', reason, None)."""
    n = _norm(name)
    if n in ("nummer", "plrid", "raumid", "id"):
        return "region", None, None
    if n in ("name", "plrname", "gebiet"):
        return "name", None, None
    if n == "zeit":
        return "period", None, None
    if n == "kom":
        return "validity", None, None
    if n.startswith("ew") or n == "inhabitants":
        return "indicator", "mss_einwohner", None
    if n == "s4new":
        return "indicator", "mss_s4_neu", None
    m = re.match(r"^([sd])([1-4])(percentage.*)?$", n)
    if m:
        return "indicator", f"mss_{m.group(1)}{m.group(2)}", None
    m = re.match(r"^z([sd])([1-4])(percentage.*)?$", n)
    if m:
        if m.group(3) and m.group(1) == "d":
            return "skip_misaligned", "z-values of D in this file are shifted against their headers", None
        return "indicator", f"mss_z_{m.group(1)}{m.group(2)}", None
    if n == "statussumme":
        return "indicator", "mss_status_summe", None
    if n == "dynamiksumme":
        return "indicator", "mss_dynamik_summe", None
    if n.startswith("statusindexstandardisierte"):
        return "indicator", "mss_status_index", None
    if n.startswith("dynamikindexstandardisierte"):
        return "indicator", "mss_dynamik_index", None
    if n in ("zuordnunggruppestatusindex", "zuordnungklassestatusindex", "statusindexclass", "siv"):
        return "indicator", "mss_status_klasse", lambda s: s.map(lambda v: _MSS_STATUS_TEXT.get(_norm(v), v))
    if n in ("zuordnunggruppedynamikindex", "zuordnungklassedynamikindex", "dynamicindexclass", "div"):
        return "indicator", "mss_dynamik_klasse", lambda s: s.map(lambda v: _MSS_DYNAMIK_TEXT.get(_norm(v), v))
    if n in ("statusindexgruppe", "statusindexklasse", "statusindex", "sin"):
        return "indicator", "mss_status_klasse", lambda s: s.str.replace(r"\.0$", "", regex=True)
    if n in ("dynamikindexgruppe", "dynamikindexklasse", "dynamicindex"):
        return "indicator", "mss_dynamik_klasse", lambda s: s.map(lambda v: _MSS_DYNAMIK_SYMBOL.get(v.strip(), v))
    if n == "din":
        return "ignore", "DI_N codes dynamics as 1/3/5; DI_V carries the same class as text", None
    if re.match(r"^(status1|status3|status4)$", n):
        return "ignore", "meaning of 'Status 1/3/4' in the 2017 table is not documented", None
    if n.endswith(("sdgr", "aggr")):
        return "ignore", "distribution groups of single indicators", None
    m = re.match(r"^ki?(\d{2})([a-z].*)?$", n)
    if m:
        return "indicator", f"mss_k{m.group(1)}", None
    if n in ("", "bezid") or "statusdynamik" in n or n.startswith(("sdi", "statusdynamic")):
        return "ignore", "combined status/dynamics code or label, derivable from the classes", None
    return "ignore", "no MSS indicator with this name", None


def adapt_mss(table: RawTable, mapping: Mapping) -> Adapted:
    h = table.header
    roles = [_mss_role(name) for name in h]
    region_pos = next((i for i, r in enumerate(roles) if r[0] == "region"), None)
    if region_pos is None:
        raise FileFormatError(f"{table.path}: no PLR code column (Nummer, PLR_ID, PLR-ID, id) in the MSS table")
    name_pos = next((i for i, r in enumerate(roles) if r[0] == "name"), None)
    period_pos = next((i for i, r in enumerate(roles) if r[0] == "period"), None)
    validity_pos = next((i for i, r in enumerate(roles) if r[0] == "validity"), None)

    notes: list[str] = []
    if mapping.period:
        period = pd.Series(mapping.period, index=table.frame().index, dtype="str")
        notes.append(f"MSS edition {mapping.period} from the mapping")
    elif period_pos is not None:
        # ZEIT is the reference date (e.g. 202012); the edition is the following year
        zeit = _col(table, period_pos).str.strip()
        year = pd.to_numeric(zeit.str.slice(0, 4), errors="coerce")
        period = (year + 1).astype("Int64").astype("str").fillna("")
        notes.append("MSS edition = year after the reference date in ZEIT")
    else:
        m = re.search(r"(20\d\d)", table.path.name)
        if not m:
            raise FileFormatError(f"{table.path}: cannot tell the MSS edition (no year in the file name, no ZEIT column); "
                                  "set 'period' in a mapping file")
        period = pd.Series(m.group(1), index=table.frame().index, dtype="str")
        notes.append(f"MSS edition {m.group(1)} from the file name")

    codes = _col(table, region_pos).str.strip()
    # flags: rows that the MSS marks invalid, or placeholder rows of zeros for PLR without index
    flag = pd.Series("", index=table.frame().index, dtype="str")
    validity = None
    if validity_pos is not None:
        kom = _col(table, validity_pos).str.strip()
        valid = kom.str.lower().eq("gültig")
        validity = valid.map({True: "1", False: "0"}).astype("str")
        small = kom.str.contains("300", regex=False)
        flag = flag.mask(small, "suppressed")
    s_cols = [i for i, r in enumerate(roles) if r[0] == "indicator" and re.match(r"^mss_s[1-4]$", r[1] or "")]
    placeholder = None
    if s_cols:
        svals = pd.concat([_col(table, i).str.strip() for i in s_cols], axis=1)
        placeholder = svals.isin(["0.00", "0", "0,00"]).all(axis=1) & (len(s_cols) >= 2)
        if placeholder.any():
            notes.append(f"{int(placeholder.sum())} rows hold only zeros for S1-S4 (PLR without index, fewer than "
                         "300 residents): their index values are stored as suppressed without a value")
        if validity is None:
            validity = (~placeholder).map({True: "1", False: "0"}).astype("str")

    # Known defect of the English-named PLR files of MSS 2015-2019: their header lacks K16 and K17 although
    # the data rows carry them, so every K column after K05 holds its neighbour's values.
    edition = pd.to_numeric(period, errors="coerce").max()
    english = any(_norm(c).startswith("k01youth") for c in h)
    if english and edition >= 2015 and not any(_norm(c).startswith("k16") for c in h):
        shifted = "K columns after K05 are shifted against their headers (K16/K17 missing from the header)"
        roles = [("skip_misaligned", shifted, None) if r[0] == "indicator" and re.match(r"^mss_k(0[6-9]|1\d)$", r[1] or "")
                 else r for r in roles]

    columns: dict[int, str] = {}
    transforms: dict[int, Callable] = {}
    ignored: dict[str, list[str]] = {}
    for i, (role, ind, fn) in enumerate(roles):
        if role == "indicator":
            columns[i] = ind
            if fn is not None:
                transforms[i] = fn
        elif role in ("ignore", "skip_misaligned"):
            ignored.setdefault(ind, []).append(h[i] or f"(unnamed column {i + 1})")
    for reason, names in ignored.items():
        notes.append(f"not imported ({reason}): {', '.join(names)}")

    cells_in = table.frame().copy()
    for i, fn in transforms.items():
        cells_in[f"c{i}"] = fn(cells_in[f"c{i}"].astype("str")).astype("str")
    cells_in = cells_in.replace({"-9999": ""})
    frames = []
    empty = 0
    for i, ind in columns.items():
        col_flag = flag
        if placeholder is not None and _MSS_VALUE_INDICATORS.match(ind):
            cells_in.loc[placeholder.to_numpy(), f"c{i}"] = "."
        if ind == "mss_einwohner":
            col_flag = pd.Series("", index=flag.index, dtype="str")
        part, e = _melt(table, codes, period, {i: ind}, col_flag, cells=cells_in)
        frames.append(part)
        empty += e
    if validity is not None:
        kom = pd.DataFrame({"c0": validity.to_numpy()})
        part, _ = _melt(RawTable(path=table.path, header=["KOM"], cells=pa.table({"c0": pa.array([], pa.string())}),
                                 lines=table.lines), codes, period, {0: "mss_gueltig"}, cells=kom)
        frames.append(part)
    cells = pd.concat(frames, ignore_index=True) if frames else _empty_long()

    names = _col(table, name_pos).str.strip() if name_pos is not None else codes
    level = codes.str.len().map({8: "planungsraum", 6: "bezirksregion", 2: "bezirk"})
    parent = np.where(codes.str.len() == 8, codes.str.slice(0, 6), np.where(codes.str.len() == 6, codes.str.slice(0, 2), None))
    regions = pd.DataFrame({"region_id": codes, "name": names, "level": level, "parent_id": parent, "geometry": None})
    good = codes.str.fullmatch(r"\d{2}|\d{6}|\d{8}").fillna(False) & level.notna()
    regions = regions[good.to_numpy()].drop_duplicates("region_id")
    bad_lines = table.lines[~good.to_numpy()]
    if len(bad_lines):
        notes.append(f"rows without a PLR/BZR/Bezirk code (their cells are quarantined): lines "
                     f"{', '.join(str(x) for x in bad_lines[:10])}")
    return Adapted(cells=cells, regions=regions, notes=notes, empty_cells=empty)


# --- INKAR ---------------------------------------------------------------------------------------

LAENDER = {
    "01": "Schleswig-Holstein", "02": "Hamburg", "03": "Niedersachsen", "04": "Bremen",
    "05": "Nordrhein-Westfalen", "06": "Hessen", "07": "Rheinland-Pfalz", "08": "Baden-Württemberg",
    "09": "Bayern", "10": "Saarland", "11": "Berlin", "12": "Brandenburg", "13": "Mecklenburg-Vorpommern",
    "14": "Sachsen", "15": "Sachsen-Anhalt", "16": "Thüringen",
}


def adapt_inkar(table: RawTable, mapping: Mapping, catalog: Catalog) -> Adapted:
    h = table.header
    if "county_code" not in h or "year" not in h:
        raise FileFormatError(f"{table.path}: INKAR file needs columns county_code and year; header is {', '.join(h)}")
    codes, _ = normalize_codes(_col(table, h.index("county_code")), 5)
    period = _col(table, h.index("year"))
    columns = {}
    unmapped = []
    for i, name in enumerate(h):
        if name in ("county_code", "year"):
            continue
        if f"inkar_{name}" in catalog:
            columns[i] = f"inkar_{name}"
        else:
            unmapped.append(i)
    cells, empty = _melt(table, codes, period, columns)
    notes = []
    if unmapped:
        orphan, _ = _melt(table, codes, period, {i: f"(unmapped column {h[i]!r})" for i in unmapped})
        cells = pd.concat([cells, orphan], ignore_index=True)
        notes.append(f"INKAR columns without a catalog entry (quarantined): {', '.join(h[i] for i in unmapped)}")
    uniq = sorted(set(codes[codes.str.fullmatch(r"\d{5}").fillna(False)]))
    kreise = pd.DataFrame({"region_id": uniq, "name": [f"Kreis {c}" for c in uniq], "level": "kreis",
                           "parent_id": [c[:2] for c in uniq], "geometry": None})
    laender = pd.DataFrame({"region_id": list(LAENDER), "name": list(LAENDER.values()), "level": "land",
                            "parent_id": None, "geometry": None})
    notes.append("INKAR names no Kreise: regions are named 'Kreis <AGS>' until a region list supplies names")
    return Adapted(cells=cells, regions=pd.concat([laender, kreise], ignore_index=True), notes=notes,
                   empty_cells=empty)


# ------------------------------------------------------------------------------------------------


def detect_format(header: list[str]) -> str:
    n = {_norm(c) for c in header}
    if {"countycode", "year"} <= n:
        return "inkar"
    if {"regionid", "name", "level"} <= n or ({"region_id"} <= set(header) and "level" in header):
        return "regions"
    has_code = bool(n & {"nummer", "plrid", "raumid", "id"})
    mss_markers = {"s1", "zs1", "ki01", "k01", "sin", "s1percentageunemployed", "k01youthunemployment"}
    if has_code and n & mss_markers:
        return "mss"
    roles = {role: _find(header, role) for role in ("region_id", "indicator_id", "period", "value")}
    if all(v is not None for v in roles.values()):
        return "long"
    if roles["region_id"] is not None:
        return "wide"
    return "unknown"


@dataclass
class ImportReport:
    file: str
    format: str
    status: str
    import_id: int | None = None
    rows_read: int = 0
    rows_accepted: int = 0
    rows_quarantined: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    regions_changed: int = 0
    empty_cells: int = 0
    blank_lines: int = 0
    encoding: str = ""
    delimiter: str = ""
    decimal: str = ""
    notes: list[str] = field(default_factory=list)
    report_path: str | None = None
    message: str = ""
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def quarantine_share(self) -> float:
        return self.rows_quarantined / self.rows_read if self.rows_read else 0.0


def effective_catalog(settings: Settings, extra: list[Path] = ()) -> Catalog:
    files = settings.catalog.files()
    catalog = load_catalog(settings.catalog.dimensions, files)
    for path in extra:
        if not any(Path(path).resolve() == Path(f).resolve() for f in files):
            catalog = catalog.extended(read_indicators(path, catalog.dimensions))
    return catalog


def ingest_file(path: Path | str, store: Store, settings: Settings, *, fmt: str = "auto",
                mapping: Mapping | None = None, force: bool = False) -> ImportReport:
    """Import one file: read, adapt, validate, merge; quarantine what fails. Never raises for bad rows."""
    path = Path(path)
    mapping = mapping or Mapping()
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}; got {fmt!r}")
    if not path.is_file():
        raise FileFormatError(f"file not found: {path}")
    content_hash = file_hash(path)
    if mapping != Mapping() or fmt != "auto":
        # the same file read another way (a corrected mapping) is another import
        how = json.dumps([mapping.model_dump(mode="json"), fmt], sort_keys=True, ensure_ascii=False)
        content_hash = hashlib.sha256(f"{content_hash}|{how}".encode()).hexdigest()
    if not force:
        previous = store.previous_import(content_hash)
        if (previous is not None and previous["status"] == "quarantine_over_limit" and previous["rows_read"]
                and (previous["rows_quarantined"] or 0) / previous["rows_read"] <= settings.ingest.max_quarantine_share):
            previous = None   # refused under a lower limit than today's: read it again
        if previous is not None and previous["status"] == "quarantine_over_limit":
            # the same content was refused before: it stays refused (a nightly job must not read success)
            return ImportReport(
                file=str(path), format=previous["format"] or fmt, status="quarantine_over_limit",
                import_id=previous["import_id"], rows_read=int(previous["rows_read"] or 0),
                rows_accepted=int(previous["rows_accepted"] or 0),
                rows_quarantined=int(previous["rows_quarantined"] or 0), report_path=previous["report"],
                message=(f"identical content was refused as import #{previous['import_id']} ({previous['file']}): "
                         f"{previous['message']}; correct the file (or raise ingest.max_quarantine_share)"),
            )
        if previous is not None:
            return ImportReport(
                file=str(path), format=fmt, status="already_imported", import_id=previous["import_id"],
                message=(f"identical content was imported as import #{previous['import_id']} ({previous['file']}); "
                         "nothing changed (use --force to merge it again)"),
            )
    ingest = settings.ingest
    import_id = store.begin_import(str(path), content_hash, fmt)
    report = ImportReport(file=str(path), format=fmt, status="running", import_id=import_id)
    t0 = time.perf_counter()
    try:
        table = read_table(path, encoding=mapping.encoding or ingest.encoding,
                           delimiter=mapping.delimiter or ingest.delimiter, header_line=mapping.header_line,
                           sheet=mapping.sheet)
    except FileFormatError as exc:
        return _failed(store, report, str(exc))
    except Exception as exc:
        _failed(store, report, f"{path}: reading failed ({type(exc).__name__}: {exc})")
        raise
    report.seconds["read"] = time.perf_counter() - t0
    report.encoding, report.delimiter, report.blank_lines = table.encoding, table.delimiter, table.blank_lines
    report.notes.extend(table.notes)
    chosen = mapping.format or (detect_format(table.header) if fmt == "auto" else fmt)
    report.format = chosen
    partial: Path | None = None
    try:
        # observations, regions, quarantine, changes and the log entry commit together or not at all
        with store.transaction():
            if chosen == "regions":
                _ingest_regions(table, mapping, store, report)
            elif chosen == "unknown":
                raise FileFormatError(
                    f"{path}: cannot recognise the layout from the header ({', '.join(table.header[:12])}); "
                    "pass --format and, for wide files, --mapping"
                )
            else:
                _ingest_observations(table, chosen, mapping, store, settings, report)
            over = report.quarantine_share > ingest.max_quarantine_share
            report.status = "quarantine_over_limit" if over else "ok"
            if over:
                report.message = (f"{report.rows_quarantined} of {report.rows_read} rows quarantined "
                                  f"({report.quarantine_share:.1%} > limit {ingest.max_quarantine_share:.1%})")
            if report.rows_quarantined:
                out = settings.report_dir() / f"quarantine_{import_id:05d}_{path.stem}.csv"
                partial = out.with_name(out.name + PARTIAL_SUFFIX)
                write_quarantine_report(store.quarantine(import_id), partial)
                report.report_path = str(out)
            store.finish_import(
                import_id, status=report.status, format=chosen, encoding=report.encoding,
                delimiter=report.delimiter, decimal=report.decimal, rows_read=report.rows_read,
                rows_accepted=report.rows_accepted, rows_quarantined=report.rows_quarantined,
                rows_inserted=report.inserted, rows_updated=report.updated, rows_unchanged=report.unchanged,
                regions_added=report.regions_changed, blank_lines=report.blank_lines, notes=report.notes,
                report=report.report_path, message=report.message,
            )
    except FileFormatError as exc:
        _discard(partial)
        report.rows_read = report.rows_accepted = report.rows_quarantined = 0
        report.inserted = report.updated = report.unchanged = report.regions_changed = 0
        report.report_path = None
        return _failed(store, report, str(exc))
    except BaseException as exc:
        _discard(partial)
        _failed(store, report, f"import failed, nothing was stored ({type(exc).__name__}: {exc})")
        raise
    if partial is not None:
        partial.replace(report.report_path)
    return report


PARTIAL_SUFFIX = ".unvollstaendig"
"""A quarantine report is written under this suffix and renamed once its import has committed."""


def _discard(path: Path | None) -> None:
    if path is not None:
        path.unlink(missing_ok=True)


def _failed(store: Store, report: ImportReport, message: str) -> ImportReport:
    report.status, report.message = "failed", message
    try:
        store.finish_import(report.import_id, status="failed", format=report.format, message=message,
                            rows_read=0, rows_accepted=0, rows_quarantined=0, notes=report.notes)
    except Exception:  # the store itself is gone or broken: the next start marks the entry 'abgebrochen'
        pass
    return report


COLUMN_LOSS_SHARE = 0.2
"""A source column losing more than this share of its cells to the quarantine is named in the report, even
when the file as a whole stays under the quarantine limit (a column of negatives read wrongly, say)."""


def _column_losses(cells: pd.DataFrame | pa.Table, quarantined: pd.DataFrame) -> list[str]:
    if quarantined.empty or "column" not in (cells.column_names if isinstance(cells, pa.Table) else cells.columns):
        return []
    source = cells.column("column").to_pandas() if isinstance(cells, pa.Table) else cells["column"]
    per_column = source.value_counts()
    lost = quarantined.groupby("column")["reason"].agg(["size", lambda r: r.value_counts().index[0]])
    lost.columns = ["n", "reason"]
    notes = []
    for column, row in lost.iterrows():
        total = int(per_column.get(column, 0))
        if total >= 5 and row["n"] > COLUMN_LOSS_SHARE * total:
            notes.append(f"column {column!r}: {row['n']} of {total} cells quarantined (mostly: {row['reason']}); "
                         "check the column before using the import")
    return notes


def _problems_frame(problems: list[Problem]) -> pd.DataFrame:
    return pd.DataFrame({
        "line": [p.line for p in problems], "column": [p.column for p in problems],
        "value": [p.value for p in problems], "reason": [p.reason for p in problems],
    })


def _ingest_regions(table: RawTable, mapping: Mapping, store: Store, report: ImportReport) -> None:
    accepted, quarantined = adapt_regions(table, mapping, store.region_ids())
    structural = _problems_frame(table.problems)
    q = pd.concat([structural, quarantined], ignore_index=True) if len(structural) else quarantined
    report.rows_read = table.cells.num_rows + len(table.problems)
    report.rows_accepted = len(accepted)
    report.rows_quarantined = len(q)
    report.regions_changed = store.upsert_regions(accepted, report.import_id)
    store.add_quarantine(report.import_id, report.file, q)


def _ingest_observations(table: RawTable, chosen: str, mapping: Mapping, store: Store, settings: Settings,
                         report: ImportReport) -> None:
    extension = {"mss": [CATALOG_DIR / "berlin_mss.csv"], "inkar": [CATALOG_DIR / "inkar.csv"]}.get(chosen, [])
    catalog = effective_catalog(settings, extension)
    dash = mapping.dash or settings.ingest.dash
    if chosen == "long":
        adapted = adapt_long(table, mapping, dash)
    elif chosen == "wide":
        adapted = adapt_wide(table, mapping, catalog, dash)
    elif chosen == "mss":
        adapted = adapt_mss(table, mapping)
    elif chosen == "inkar":
        adapted = adapt_inkar(table, mapping, catalog)
    else:
        raise FileFormatError(f"unsupported format {chosen!r}")
    store.sync_catalog(catalog)
    if adapted.regions is not None:
        report.regions_changed = store.add_missing_regions(adapted.regions, report.import_id)
    report.notes.extend(adapted.notes)
    report.empty_cells = adapted.empty_cells
    cells = adapted.cells
    declared = mapping.decimal or settings.ingest.decimal
    if table.encoding in ("xlsx", "parquet") and declared != ",":
        decimal, why = ".", f"{table.encoding}: numbers carry a decimal point"
    else:
        sample = cells.slice(0, 50_000).to_pandas() if isinstance(cells, pa.Table) else cells.iloc[:50_000]
        parts = [sample[c].astype("str") for c in ("value", "numerator", "denominator") if c in sample.columns]
        decimal, why = decide_decimal(parts, table.delimiter, declared)
    report.decimal = decimal
    report.notes.append(why)
    rules = Rules(catalog=catalog, regions=store.region_ids(), period_min=settings.ingest.period_min,
                  period_max=settings.ingest.period_max, decimal=decimal,
                  consistency_tolerance=settings.ingest.consistency_tolerance,
                  code_width=mapping.region_code_width, lookup=RegionLookup(store.region_names()),
                  level_hint=mapping.level)
    t0 = time.perf_counter()
    validated = validate_long(store.con, cells, rules)
    report.seconds["validate"] = time.perf_counter() - t0
    report.notes.extend(validated.notes)
    structural = _problems_frame(table.problems + adapted.problems)
    quarantined = (pd.concat([structural, validated.quarantined], ignore_index=True) if len(structural)
                   else validated.quarantined)
    report.rows_read = validated.n_in + len(table.problems) + len(adapted.problems)
    report.rows_accepted = validated.n_accepted
    report.rows_quarantined = len(quarantined)
    if report.rows_read != report.rows_accepted + report.rows_quarantined:
        raise RuntimeError(f"{report.file}: row accounting broken: {report.rows_read} read, "
                           f"{report.rows_accepted} accepted, {report.rows_quarantined} quarantined")
    report.notes.extend(_column_losses(cells, quarantined))
    t0 = time.perf_counter()
    merged = store.merge_observations(validated.accepted_table, report.import_id,
                                      unique=validated.repeated_keys == 0)
    report.seconds["merge"] = time.perf_counter() - t0
    report.inserted, report.updated, report.unchanged = merged.inserted, merged.updated, merged.unchanged
    store.add_quarantine(report.import_id, report.file, quarantined)

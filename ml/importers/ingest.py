"""One import: read, recognise the layout, adapt, validate, merge — in one store transaction — and report.

Longer than 450 lines because the one transaction (a refused import, its quarantine, the row accounting and the log
entry) is easier to check as a whole in one place."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa

from ml.catalog import FORMAT_CATALOGS, effective_catalog, held_format_catalogs
from ml.config import SHIPPED_CATALOG, Settings
from ml.contracts import IMPORT_FORMATS
from ml.crosswalk import refuse_crosswalk
from ml.file_periods import SHEET_NAME
from ml.header_rows import combine_header_rows
from ml.importers.age import adapt_age
from ml.importers.common import without_footer_lines
from ml.importers.copies import repeated_editions
from ml.importers.coverage import regions_without_values
from ml.importers.detect import detect_format
from ml.importers.facilities import adapt_facilities
from ml.importers.measures import adapt_measures, indicator_lookup
from ml.importers.inkar import adapt_inkar
from ml.importers.long import adapt_long
from ml.importers.mapping import Mapping, column_position, find_column, ignored_positions
from ml.importers.mss import adapt_mss
from ml.importers.region_cells import split_region_cells, translate_levels
from ml.importers.region_list import adapt_regions, without_footer
from ml.importers.turned import turn_table
from ml.importers.sum_rows import without_whole
from ml.importers.sums import quarantine_unequal_sums, undeclared_parts
from ml.importers.wide import adapt_wide
from ml.io import (FileFormatError, Problem, RawTable, file_hash, read_table, sheet_names,
                   write_quarantine_report)
from ml.parsing import decide_decimal
from ml.regions import RegionLookup, name_key, same_name, split_level, whole_names
from ml.store import Store
from ml.validation import NO_REGION, UNKNOWN_NAMED, UNKNOWN_REGION, Rules, validate_long

FORMATS = IMPORT_FORMATS


@dataclass
class ImportReport:
    """The outcome of one file's import: counts read, accepted, quarantined, inserted, updated, unchanged; status,
    message, report path."""
    file: str
    format: str
    status: str
    import_id: int | None = None
    rows_read: int = 0
    rows_accepted: int = 0
    rows_quarantined: int = 0
    rows_left_out: int = 0
    """Rows of regions the store does not hold, left out (``outside_regions: leave_out``), or, in a region list of
    several periods, the rows of a region's earlier periods; not among those read."""
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
    indicators: list[str] = field(default_factory=list)       # those of the observations accepted
    report_path: str | None = None
    message: str = ""
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def quarantine_share(self) -> float:
        """Quarantined rows as a share of the data rows read (0 for an empty file)."""
        return self.rows_quarantined / self.rows_read if self.rows_read else 0.0


def ingest_each(path: Path | str, store: Store, settings: Settings, *, fmt: str = "auto",
                mapping: Mapping | None = None, force: bool = False) -> list[ImportReport]:
    """:func:`ingest_file` for each sheet the mapping names (a workbook with a sheet per year, ``period:
    sheet_name``), each an import of its own, its report naming its sheet; one report for any other file."""
    path = Path(path)
    mapping = mapping or Mapping()
    if not isinstance(mapping.sheet, list):
        return [ingest_file(path, store, settings, fmt=fmt, mapping=mapping, force=force)]
    if not path.is_file():
        raise FileFormatError(f"file not found: {path}")
    reports = []
    for one in mapping.for_file(path).for_sheets(path):
        rep = ingest_file(path, store, settings, fmt=fmt, mapping=one, force=force)
        rep.file = f"{path} (sheet {one.sheet!r})"
        reports.append(rep)
    return reports


def kept_rows(n: int, stored: bool = True) -> str:
    """The words of a refused import's message on its valid rows: '; its 128 valid rows are in the store' (or
    'would be stored', for ``ingest --check``, which stores nothing); empty where none are valid."""
    if not n:
        return ""
    return f"; its {n} valid row{' is' if n == 1 else 's are'} in the store" if stored else \
        f"; its {n} valid row{'' if n == 1 else 's'} would be stored"


def ingest_file(path: Path | str, store: Store, settings: Settings, *, fmt: str = "auto",
                mapping: Mapping | None = None, force: bool = False) -> ImportReport:
    """Import one file: read, adapt, validate, merge; quarantine what fails. Never raises for bad rows."""
    path = Path(path)
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}; got {fmt!r}")
    if not path.is_file():
        raise FileFormatError(f"file not found: {path}")
    mapping = (mapping or Mapping()).for_file(path)
    if isinstance(mapping.sheet, list):
        raise FileFormatError(f"{path}: the mapping names several sheets ({', '.join(map(repr, mapping.sheet))}): "
                              "each is an import of its own ('sozialradar ingest' or ingest_each reads them in turn)")
    if mapping.period == SHEET_NAME:
        mapping = mapping.for_sheets(path)[0]
    mapping = mapping.for_title(path)
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
        retried = None
        if (previous is not None and previous["status"] == "quarantine_over_limit"
                and (added := store.regions_since(previous["import_id"]))
                and store.quarantined_for(previous["import_id"], [UNKNOWN_REGION, UNKNOWN_NAMED])):
            # refused for regions the store lacked, which it has gained since: read it again
            retried = (f"read again: import #{previous['import_id']} of the same content was refused with unknown "
                       f"regions, and {added} region{'s were' if added != 1 else ' was'} imported since")
            previous = None
        if previous is not None and previous["status"] == "quarantine_over_limit":
            # the same content was refused before: it stays refused (a nightly job must not read success)
            return ImportReport(
                file=str(path), format=previous["format"] or fmt, status="quarantine_over_limit",
                import_id=previous["import_id"], rows_read=int(previous["rows_read"] or 0),
                rows_accepted=int(previous["rows_accepted"] or 0),
                rows_quarantined=int(previous["rows_quarantined"] or 0), report_path=previous["report"],
                message=(f"identical content was refused as import #{previous['import_id']} ({previous['file']}): "
                         f"{previous['message']}; correct the file (or raise ingest.max_quarantine_share), or, "
                         "where the cause was outside the file (regions not yet imported, indicators the configuration's "
                         "catalog lacked), import it again with --force"),
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
    if not force and retried:
        report.notes.append(retried)
    t0 = time.perf_counter()
    try:
        table = read_table(path, encoding=mapping.encoding or ingest.encoding,
                           delimiter=mapping.delimiter or ingest.delimiter, header_line=mapping.header_line,
                           sheet=mapping.sheet)
        table = combine_header_rows(table, mapping.header_rows) if mapping.header_rows else table
        table, footer_note = without_footer_lines(table)
        table.notes.extend([footer_note] if footer_note else [])
        if mapping.regions_in_columns:
            try:
                table = turn_table(table, mapping.header_line)
            except ValueError as exc:
                raise FileFormatError(f"{path}: {exc}") from None
        if mapping.code_and_name:
            table, mapping = split_region_cells(table, mapping, table.notes)
        if mapping.levels:
            table = translate_levels(table, mapping, table.notes)
    except FileFormatError as exc:
        return _failed(store, report, str(exc))
    except Exception as exc:
        _failed(store, report, f"{path}: reading failed ({type(exc).__name__}: {exc})")
        raise
    report.seconds["read"] = time.perf_counter() - t0
    report.encoding, report.delimiter, report.blank_lines = table.encoding, table.delimiter, table.blank_lines
    report.notes.extend(table.notes)
    chosen = mapping.format or (detect_format(table.header, mapping) if fmt == "auto" else fmt)
    report.format = chosen
    partial: Path | None = None
    try:
        # observations, regions, quarantine, changes and the log entry commit together or not at all
        with store.transaction():
            if chosen == "regions":
                _ingest_regions(table, mapping, store, report, force=force)
            elif chosen == "facilities":
                _ingest_facilities(table, mapping, store, report)
            elif chosen == "measures":
                _ingest_measures(table, mapping, store, settings, report)
            elif chosen == "unknown":
                refuse_crosswalk(table)
                sheets = sheet_names(path) if table.encoding == "xlsx" and mapping.sheet is None else []
                raise FileFormatError(
                    f"{path}: cannot recognise the layout from the header ({', '.join(table.header[:12])}); "
                    "pass --format and, for wide files, --mapping" + (
                        f"; this is the workbook's first sheet of {', '.join(map(repr, sheets))}: name the one with "
                        f"the data (sheet: in the mapping; 'sozialradar mapping suggest {path}' finds it)"
                        if len(sheets) > 1 else
                        f" ('sozialradar mapping suggest {path} --out FILE' writes a first one to check)"))
            else:
                _ingest_observations(table, chosen, mapping, store, settings, report, force=force)
            over = report.quarantine_share > ingest.max_quarantine_share
            report.status = "quarantine_over_limit" if over else "ok"
            quarantined = store.quarantine(import_id) if report.rows_quarantined else None
            if quarantined is not None and quarantined["reason"].str.startswith("unknown indicator").any():
                report.notes.append(_catalog_read(settings, chosen, store.catalogs_with_values()))
            if over:
                top = quarantined["reason"].value_counts() if quarantined is not None else pd.Series(dtype=int)
                mostly = f"; mostly: {top.index[0]} ({int(top.iloc[0])} cells)" if len(top) else ""
                # a national table
                if len(top) and top.index[0] in (UNKNOWN_REGION, UNKNOWN_NAMED) and mapping.region:
                    mostly += (f"; the mapping's region: {mapping.region!r} is no region of the store: import a "
                               "region list holding it first (its code, name and level: a city or county as kreis)")
                elif len(top) and top.index[0] in (UNKNOWN_REGION, UNKNOWN_NAMED) and report.rows_accepted:
                    mostly += "; if the file holds more regions than the store, set outside_regions: leave_out"
                elif len(top) and top.index[0] == NO_REGION:        # the city's unassigned remainder
                    mostly += ("; rows that belong to no region are left out and counted with outside_regions: "
                               "leave_out in the mapping")
                # the valid rows are kept: a refused import is not one that stored nothing, and says so
                kept = kept_rows(report.rows_accepted)
                report.message = (f"{report.rows_quarantined} of {report.rows_read} rows quarantined "
                                  f"({report.quarantine_share:.1%} > limit {ingest.max_quarantine_share:.1%}){mostly}"
                                  f"{kept}")
            if report.rows_quarantined:
                out = settings.report_dir() / f"quarantine_{import_id:05d}_{path.stem}.csv"
                partial = out.with_name(out.name + PARTIAL_SUFFIX)
                write_quarantine_report(quarantined, partial)
                report.report_path = str(out)
            store.finish_import(
                import_id, status=report.status, format=chosen, encoding=report.encoding,
                delimiter=report.delimiter, decimal=report.decimal, rows_read=report.rows_read,
                rows_accepted=report.rows_accepted, rows_quarantined=report.rows_quarantined,
                rows_inserted=report.inserted, rows_updated=report.updated, rows_unchanged=report.unchanged,
                regions_added=report.regions_changed, blank_lines=report.blank_lines, notes=report.notes,
                report=report.report_path, message=report.message,
            )
    except ImportRefused as exc:
        _discard(partial)
        report.inserted = report.updated = report.unchanged = report.regions_changed = 0
        report.report_path = None
        report.status, report.message = "refused", str(exc)
        store.finish_import(report.import_id, status="refused", format=report.format, message=report.message,
                            encoding=report.encoding, delimiter=report.delimiter, decimal=report.decimal,
                            rows_read=report.rows_read, rows_accepted=report.rows_accepted,
                            rows_quarantined=report.rows_quarantined, notes=report.notes)
        return report
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


class ImportRefused(RuntimeError):
    """The file would change values another file brought into the store: nothing of it is stored."""


def _refuse_changes_to_other_files(store: Store, relation: str, report: ImportReport) -> None:
    """Values of another file are not changed silently: a file that would change them is refused, naming them.
    A corrected edition of a file keeps its name and updates its values; a table mapped to the wrong indicator
    (counts of the employed read as residents) would otherwise overwrite the right ones."""
    clash = store.changes_to_other_files(relation, report.file)
    if clash.empty:
        return
    total = int(clash["n"].sum())
    parts = []
    for _, r in clash.head(5).iterrows():
        parts.append(f"{r['indicator_id']}: {int(r['n']):,} from {Path(r['file']).name} (import #{int(r['import_id'])}; "
                     f"e.g. {r['region_id']} {r['period']}: {_change(r['old_value'], r['new_value'])})")
    more = f"; and {len(clash) - 5} more" if len(clash) > 5 else ""
    raise ImportRefused(
        f"this file would change {total:,} value{'s' if total != 1 else ''} that other files brought into the "
        "store — "
        + "; ".join(parts) + more + ". If the column means something else (a count of another group of persons), "
        "correct the mapping (sozialradar mapping suggest FILE); if this file corrects those values, import it "
        "again with --force (every change is kept in observation_changes)")


def _number(value, digits: int = 6) -> str:
    return "kein Wert" if value is None or pd.isna(value) else f"{value:,.{digits}g}"


def _change(old, new) -> str:
    """'old → new' with as many significant digits (six at least, twelve at most) as tell the two apart."""
    digits = 6
    while digits < 12 and _number(old, digits) == _number(new, digits):
        digits += 1
    return f"{_number(old, digits)} → {_number(new, digits)}"


PARTIAL_SUFFIX = ".unvollstaendig"
"""A quarantine report is written under this suffix and renamed once its import has committed."""


def _catalog_read(settings: Settings, chosen: str, held: frozenset[str] = frozenset()) -> str:
    """The note beside unknown indicators: which catalog files were read — the configured ones and those of the
    external formats the import reads beside them (its own, those the store holds values of (``held``), all of
    them for a register of measures) —, and where a county's own are listed (a command run without its
    configuration reads the shipped catalog alone)."""
    read = list(settings.catalog.files())
    formats = (list(FORMAT_CATALOGS.values()) if chosen == "measures"
               else [FORMAT_CATALOGS.get(chosen), *held_format_catalogs(held)])
    read += [p for p in dict.fromkeys(formats)
             if p is not None and not any(Path(p).resolve() == Path(f).resolve() for f in read)]
    files = ", ".join(Path(f).name for f in read) or "none"
    return (f"indicators are looked up in the catalog files {files}; a county's own indicators are listed in its "
            "configuration (catalog.indicators; sozialradar --config FILE, or SOZIALRADAR_CONFIG)")


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
    names = cells.column_names if isinstance(cells, pa.Table) else list(cells.columns)
    if len(per_column) == 1 and {"line", "indicator_id"} <= set(names):
        notes += _indicator_losses(cells, quarantined)
    return notes


def _indicator_losses(cells: pd.DataFrame | pa.Table, quarantined: pd.DataFrame) -> list[str]:
    """A long table's values are all in one column: the indicators (as the file names them, after the mapping's
    ``indicators``) that lose more than :data:`COLUMN_LOSS_SHARE` of their rows to the quarantine."""
    frame = (cells.select(["line", "indicator_id"]).to_pandas() if isinstance(cells, pa.Table)
             else cells[["line", "indicator_id"]])
    indicator = frame["indicator_id"].fillna("").astype(str).str.strip()
    per_indicator = indicator.value_counts()
    by_line = pd.Series(indicator.to_numpy(), index=frame["line"].to_numpy())
    by_line = by_line[~by_line.index.duplicated()]
    lost = quarantined.assign(indicator=quarantined["line"].map(by_line)).dropna(subset=["indicator"])
    if len(lost) > COLUMN_LOSS_SHARE * len(frame):
        return []           # the file as a whole lost its rows: its own message says so, not one per indicator
    notes = []
    for name, rows in lost.groupby("indicator", sort=True):
        total = int(per_indicator.get(name, 0))
        if name and total >= 5 and len(rows) > COLUMN_LOSS_SHARE * total:
            notes.append(f"indicator {name!r}: {len(rows)} of {total} rows quarantined (mostly: "
                         f"{rows['reason'].value_counts().index[0]}); check it before using the import")
    return notes


def _problems_frame(problems: list[Problem]) -> pd.DataFrame:
    return pd.DataFrame({
        "line": [p.line for p in problems], "column": [p.column for p in problems],
        "value": [p.value for p in problems], "reason": [p.reason for p in problems],
    })


def _row_table(table: RawTable, accepted: pd.DataFrame, quarantined: pd.DataFrame, report: ImportReport) -> pd.DataFrame:
    """The quarantine of a table checked row by row (its structural problems first), with the report's counts."""
    structural = _problems_frame(table.problems)
    q = pd.concat([structural, quarantined], ignore_index=True) if len(structural) else quarantined
    report.rows_read = table.cells.num_rows + len(table.problems)
    report.rows_accepted = len(accepted)
    report.rows_quarantined = len(q)
    return q


def _beside_values(table: RawTable, mapping: Mapping, taken: set) -> set | None:
    """The columns of a wide table that hold no values (``taken``: its region and name columns; its level and
    period columns; those left out), for the row of the whole found by its values (within each period)."""
    period = find_column(table.header, "period", mapping.period_column)
    level = find_column(table.header, "level")
    return (taken | {period, level} | ignored_positions(table.header, mapping.ignore_columns)) - {None}


def _ingest_regions(table: RawTable, mapping: Mapping, store: Store, report: ImportReport, *,
                    force: bool = False) -> None:
    table = without_footer(table, mapping, report.notes)
    accepted, quarantined = adapt_regions(table, mapping, store.region_ids(), report.notes)
    q = _row_table(table, accepted, quarantined, report)
    if mapping.hierarchy or mapping.parent_level is not None:
        # rows holding several regions (a hierarchy's levels, parents made from codes): the regions found were read
        report.rows_read = len(accepted) + len(q)
        report.notes += [f"hierarchy: {table.cells.num_rows:,} rows hold {report.rows_read:,} regions on "
                         f"{len(mapping.hierarchy)} levels"] if mapping.hierarchy else []
    elif report.rows_read > report.rows_accepted + report.rows_quarantined:
        # a table of several periods: the rows of a region's earlier periods are left out, not read as regions
        report.rows_left_out = report.rows_read - report.rows_accepted - report.rows_quarantined
        report.rows_read -= report.rows_left_out
    if not force:
        _refuse_region_changes(store, accepted, report)
    report.regions_changed = store.upsert_regions(accepted, report.import_id)
    store.add_quarantine(report.import_id, report.file, q)


def _named_by_code(name: str, code: str) -> bool:
    """Whether a region's name is only its code, with or without a level word ('01001', 'Kreis 01001': what a
    table of codes alone, INKAR's among them, names a region it brings)."""
    return split_level(name)[1].strip().lstrip("0") == code.lstrip("0") or name.strip() == code


def _refuse_region_changes(store: Store, accepted: pd.DataFrame, report: ImportReport) -> None:
    """Regions of another file are not made other regions silently: a region list whose codes are those of
    regions another file brought, with another level or a name that is not theirs (Flensburg's Stadtteile '10' …
    '13' in a store of INKAR's Länder '10' Saarland … '13' Mecklenburg-Vorpommern), is refused, naming them. A
    spelling of the same name (a hyphen, an abbreviation, a designation), a name given to a region named by its
    code alone, a new parent, and a later edition of the same file change them as before."""
    clash = store.region_changes_to_other_files(accepted, report.file)
    if clash.empty:
        return
    other = clash[(clash["old_level"] != clash["new_level"]) | ~pd.Series(
        [_named_by_code(str(o), str(r)) or same_name(str(o), str(n))
         for o, n, r in zip(clash["old_name"], clash["new_name"], clash["region_id"])], index=clash.index)]
    if other.empty:
        return
    parts = []
    for _, r in other.head(5).iterrows():
        below = int(r["n_below"])
        held = ", ".join(p for p in (f"{below:,} region{'s' if below != 1 else ''} below it" if below else "",
                                     f"{int(r['n_values']):,} values" if r["n_values"] else "") if p)
        parts.append(f"{r['region_id']} {r['old_name']!r} ({r['old_level']}{'; ' + held if held else ''}) would "
                     f"become {r['new_name']!r} ({r['new_level']})")
    files = ", ".join(sorted({f"{Path(f).name} (import #{int(i)})" for f, i in zip(other["file"], other["import_id"])}))
    more = f"; and {len(other) - 5} more" if len(other) > 5 else ""
    raise ImportRefused(
        f"this region list would make {len(other):,} region{'s' if len(other) != 1 else ''} that {files} brought "
        "into the store other regions — " + "; ".join(parts) + more + ". Its codes are those of other regions: keep "
        "this grid in a store of its own (store.path in a configuration of its own), or give its regions codes of "
        "their own in the file; if this list corrects those regions, import it again with --force")


def _ingest_facilities(table: RawTable, mapping: Mapping, store: Store, report: ImportReport) -> None:
    lookup = RegionLookup(store.region_names())
    accepted, quarantined = adapt_facilities(table, mapping, store.region_ids(), lookup)
    _names_read(lookup, report)
    q = _row_table(table, accepted, quarantined, report)
    report.inserted, report.updated, report.unchanged = store.upsert_register("facilities", accepted, report.import_id)
    if len(accepted):
        counts = accepted.groupby("type")["capacity"].agg(["size", "sum"])
        report.notes.append("facilities: " + ", ".join(f"{t} {int(r['size'])} ({r['sum']:,.0f} places)"
                                                        for t, r in counts.iterrows()))
    store.add_quarantine(report.import_id, report.file, q)


def _names_read(lookup: RegionLookup, report: ImportReport) -> None:
    """The report's notes on region names read as abbreviations, with(out) their designation, without the
    number the store writes before them, or as a row of sums of the region they name ('Flensburg gesamt')."""
    for kind, names in (("as abbreviations", lookup.abbreviations),
                        ("with or without their designation", lookup.designations),
                        ("without the number the store writes before them", lookup.numbered),
                        ("as a row of sums of the region they name, imported as its own values", lookup.wholes)):
        if names:
            read = sorted(names.items())
            report.notes.append(f"region names read {kind}: " + "; ".join(
                f"{text!r} = {name!r}" for text, name in read[:10]) + (f" … ({len(read)} in all)" if len(read) > 10
                                                                       else ""))


def _ingest_measures(table: RawTable, mapping: Mapping, store: Store, settings: Settings,
                     report: ImportReport) -> None:
    from ml.suggest import matcher_for     # the header matcher, for the names of unknown target indicators

    catalog = effective_catalog(settings, FORMAT_CATALOGS.values())
    accepted, quarantined = adapt_measures(table, mapping, store.region_ids(), indicator_lookup(catalog),
                                           lookup := RegionLookup(store.region_names()), matcher_for(catalog))
    _names_read(lookup, report)
    q = _row_table(table, accepted, quarantined, report)
    measures = accepted.drop_duplicates("measure_id")
    if len(measures) < len(accepted):
        report.notes.append(f"measures: {len(accepted)} rows hold {len(measures)} measures (one row per measure and "
                            "region, their regions joined)")
    report.inserted, report.updated, report.unchanged = store.upsert_register("measures", measures, report.import_id)
    if len(accepted):
        report.notes.append("measures: " + ", ".join(f"{s} {n}" for s, n in measures["status"].value_counts().items()))
    store.add_quarantine(report.import_id, report.file, q)


def _ingest_observations(table: RawTable, chosen: str, mapping: Mapping, store: Store, settings: Settings,
                         report: ImportReport, *, force: bool = False) -> None:
    # the format's own catalog, and those of the formats the store holds values of (a later table may name them)
    extension = [FORMAT_CATALOGS[chosen]] if chosen in FORMAT_CATALOGS else []
    catalog = effective_catalog(settings, extension + held_format_catalogs(store.catalogs_with_values()))
    dash = mapping.dash or settings.ingest.dash
    if chosen in ("long", "wide", "age"):
        # a workbook's footer is a row of one cell, no line of the wrong width: the same lines, read as a row
        table = without_footer(table, mapping, report.notes, "table")
    whole = 0
    if mapping.sum_rows and chosen in ("long", "wide"):
        region_at = find_column(table.header, "region_id", mapping.region_column)
        name_at = column_position(table.header, mapping.name_column, "name_column") if mapping.name_column else None
        period_at = find_column(table.header, "period", mapping.period_column)
        names = store.region_names()
        table, whole = without_whole(table, region_at, store.region_ids(), report.notes, name_at,
                                     _beside_values(table, mapping, {region_at, name_at}) if chosen == "wide" else None,
                                     frozenset(names["name"].map(name_key)), period_at, whole_names(names))
    if chosen == "long":
        adapted = adapt_long(table, mapping, dash, catalog)
    elif chosen == "wide":
        adapted = adapt_wide(table, mapping, catalog, dash)
    elif chosen in ("mss", "inkar") and mapping.withheld:
        raise FileFormatError(f"{table.path}: 'withheld' is read in wide, long and age tables; the {chosen} layout "
                              "knows its own marks: remove it from the mapping")
    elif chosen == "mss":
        adapted = adapt_mss(table, mapping)
    elif chosen == "inkar":
        adapted = adapt_inkar(table, mapping, catalog)
    elif chosen == "age":
        adapted = adapt_age(table, mapping, dash)
    else:
        raise FileFormatError(f"unsupported format {chosen!r}")
    if adapted.indicators:
        catalog = catalog.extended(adapted.indicators)
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
    if table.encoding != "xlsx":       # a workbook's reader said it (ml.io.read_excel)
        report.notes.append(why)
    if mapping.sums:
        cells, unequal, said = quarantine_unequal_sums(table, mapping, cells, decimal, dash, chosen)
        adapted.problems += unequal
        report.notes.extend(said + undeclared_parts(mapping, catalog, SHIPPED_CATALOG.name))
    rules = Rules(catalog=catalog, regions=store.region_ids(), period_min=settings.ingest.period_min,
                  period_max=settings.ingest.period_max, decimal=decimal,
                  consistency_tolerance=settings.ingest.consistency_tolerance,
                  code_width=mapping.region_code_width, lookup=RegionLookup(store.region_names()),
                  level_hint=mapping.level, leave_out_outside=mapping.outside_regions == "leave_out")
    t0 = time.perf_counter()
    validated = validate_long(store.con, cells, rules)
    report.seconds["validate"] = time.perf_counter() - t0
    report.notes.extend(validated.notes)
    _names_read(rules.lookup, report)
    structural = _problems_frame(table.problems + adapted.problems)
    quarantined = (pd.concat([structural, validated.quarantined], ignore_index=True) if len(structural)
                   else validated.quarantined)
    report.rows_read = validated.n_in + len(table.problems) + len(adapted.problems)
    report.rows_left_out = validated.left_out + whole
    report.rows_accepted = validated.n_accepted
    report.rows_quarantined = len(quarantined)
    if report.rows_read != report.rows_accepted + report.rows_quarantined:
        raise RuntimeError(f"{report.file}: row accounting broken: {report.rows_read} read, "
                           f"{report.rows_accepted} accepted, {report.rows_quarantined} quarantined")
    report.notes.extend(_column_losses(cells, quarantined))
    if not force:
        _refuse_changes_to_other_files(store, validated.accepted_table, report)
    t0 = time.perf_counter()
    merged = store.merge_observations(validated.accepted_table, report.import_id,
                                      unique=validated.repeated_keys == 0)
    report.seconds["merge"] = time.perf_counter() - t0
    report.inserted, report.updated, report.unchanged = merged.inserted, merged.updated, merged.unchanged
    report.indicators = [r[0] for r in store.con.execute(
        f"SELECT DISTINCT indicator_id FROM {validated.accepted_table} ORDER BY 1").fetchall()]
    report.notes.extend(repeated_editions(store.con, validated.accepted_table))
    report.notes.extend(regions_without_values(store.con, validated.accepted_table))
    store.add_quarantine(report.import_id, report.file, quarantined)

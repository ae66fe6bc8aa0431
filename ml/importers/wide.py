"""The wide layout: one column per indicator, named by a mapping or by the catalog; columns may carry their own
reference period; unmapped columns are listed, not imported."""

from __future__ import annotations

import pandas as pd

from ml.catalog import Catalog
from ml.crosswalk import refuse_crosswalk
from ml.file_periods import CHANGE, header_period
from ml.importers.common import (
    Adapted, cell_column, dash_note, dashes_as_zero, empty_long, melt, period_position, withheld_in_frame,
    withheld_note, without_text_lines, year_end_stands,
)
from ml.importers.mapping import (
    ColumnSpec, Mapping, column_position, distinct_headers, find_column, find_region_column, header_key,
    ignored_positions,
)
from ml.io import FileFormatError, RawTable
from ml.parsing import MISSING_MARKERS


def adapt_wide(table: RawTable, mapping: Mapping, catalog: Catalog, dash: str = "missing") -> Adapted:
    """A wide table (one row per region, one column per indicator as the mapping names them) as long text cells of
    the mapping's period. Repeated header names are told apart by their order (:func:`distinct_headers`). A table
    without a region column holds one region's values (``region`` in the mapping), one row per period."""
    h = distinct_headers(table.header)
    r = None if mapping.region is not None else find_region_column(h, mapping)
    if r is None and mapping.region is None:
        raise FileFormatError(f"{table.path}: wide format needs a region column of codes or names (set "
                              "region_column in the mapping; for a table of one region, such as the whole city's "
                              f"or county's values, set region: its code or name); header is {', '.join(h)}")
    if mapping.indicators:
        raise FileFormatError(f"{table.path}: 'indicators' names the indicator cells of a long table; a wide table's "
                              "columns are mapped under 'columns'")
    p = period_position(table, mapping)
    own_periods = bool(mapping.columns) and all(isinstance(v, ColumnSpec) and v.period
                                                for v in mapping.columns.values())
    if p is None and mapping.period is None and not own_periods:
        refuse_crosswalk(table)
        yeared = [(k, v, header_period(k)) for k, v in mapping.columns.items()
                  if not isinstance(v, ColumnSpec) and header_period(k)]
        raise FileFormatError(f"{table.path}: wide format needs a period column, a fixed 'period' in the mapping, "
                              "or a period for every mapped column (set period_column in the mapping; "
                              f"'sozialradar mapping suggest {table.path}' proposes one)" + "".join(
                                  f"; {k!r} names {y} in its header: map it as {k!r}: {{indicator: {v}, period: "
                                  f"'{y}'}}" for k, v, y in yeared[:1]) + f"; header is {', '.join(h)}")
    name_idx = find_column(h, "name", mapping.name_column)
    level_idx = find_column(h, "level")
    keys = [header_key(c) for c in h]
    # every mapped column must exist (the error names close ones)
    mapped = {column_position(h, k, "an indicator"): (v if isinstance(v, ColumnSpec) else ColumnSpec(indicator=v))
              for k, v in mapping.columns.items()}
    skip = {r, p, name_idx, level_idx} | ignored_positions(h, mapping.ignore_columns)
    columns: dict[int, str] = {}
    periods: dict[int, str | None] = {}
    unmapped: list[int] = []
    for i, key in enumerate(keys):
        if i in skip:
            continue
        if i in mapped:
            columns[i], periods[i] = mapped[i].indicator, mapped[i].period
        elif key in catalog:
            columns[i], periods[i] = key, None
        else:
            unmapped.append(i)
    if unmapped and not columns:
        # nothing would be imported: a nightly job must not read that as success
        raise FileFormatError(
            f"{table.path}: no column maps to an indicator ({', '.join(h[i] for i in unmapped[:12])}"
            f"{' …' if len(unmapped) > 12 else ''}); name them under 'columns' in the mapping, with an indicator of "
            "the catalog or of a catalog file of your own (catalog.indicators), or list the ones to leave out "
            "under 'ignore_columns'")
    notes = []
    if r is not None:
        table, said = without_text_lines(table, r, p, list(columns))
        notes += [said] if said else []
    region = cell_column(table, r, mapping.region or "")
    period = cell_column(table, p, mapping.period or "")
    if p is not None and all(catalog[i].frequency == "annual" for i in columns.values() if i in catalog):
        # a register's stand at 31 December (ZEIT 201812) is the year's value of an annual indicator
        period, _, note = year_end_stands(period)
        notes += [note] if note else []
    frame, dashes = dashes_as_zero(table.frame(), columns, dash)
    notes += dash_note(dashes)
    frame, withheld = withheld_in_frame(frame, columns, mapping.withheld)
    notes += [withheld_note(mapping.withheld, withheld)] if mapping.withheld else []
    # columns with their own reference period are melted with it; the others with the table's
    parts, empty = [], 0
    for own in sorted({v for v in periods.values()}, key=lambda v: (v is not None, v or "")):
        group = {i: ind for i, ind in columns.items() if periods[i] == own}
        col_period = period if own is None else pd.Series(own, index=period.index, dtype="str")
        part, e = melt(table, region, col_period, group, cells=frame,
                        level=None if level_idx is None else cell_column(table, level_idx),
                        names=None if name_idx in (None, r) else cell_column(table, name_idx))
        parts.append(part)
        empty += e
    cells = pd.concat(parts, ignore_index=True) if parts else empty_long()
    if unmapped:
        # a wide table carries more than the monitoring needs: columns without an indicator are not imported,
        # and the import report lists them with how many values they hold
        frame = table.frame()
        held = {i: int((~frame[f"c{i}"].astype("str").str.strip().isin(MISSING_MARKERS)).sum()) for i in unmapped}
        # a column with neither a name nor a value (a spreadsheet's spacer column) holds nothing to list
        unmapped = [i for i in unmapped if held[i] or header_key(table.header[i])]
    if unmapped:
        same = len({held[i] for i in unmapped}) == 1 and len(unmapped) > 1
        count = {i: f" ({held[i]} value{'' if held[i] == 1 else 's'})" for i in unmapped}
        named = [keys[i] + ("" if same else count[i]) for i in unmapped]
        more = f" and {len(named) - 15} more ('mapping suggest' lists every column)" if len(named) > 15 else ""
        changes = [keys[i] for i in unmapped if CHANGE.search(keys[i])]
        why = ("changes between periods, which the monitoring computes from the values itself"
               if len(changes) == len(unmapped) else
               "no indicator in the mapping or the catalog; map them under 'columns' to import them")
        each = f", each with {held[unmapped[0]]} values" if same else ""
        notes.append(f"{len(unmapped)} columns not imported ({why}){each}: " + ", ".join(named[:15]) + more + (
                         f"; {len(changes)} of them changes between periods, which the monitoring computes from the "
                         "values itself" if changes and len(changes) < len(unmapped) else ""))
    return Adapted(cells=cells, notes=notes, empty_cells=empty)

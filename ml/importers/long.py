"""The long layout: one observation per row (``region_id, indicator_id, period, value[, numerator, denominator,
flag]``; German headers accepted; a level column for region names on two levels)."""

from __future__ import annotations

import pyarrow as pa

from ml.importers.common import Adapted, dash_as_zero
from ml.importers.mapping import Mapping, find_column, find_region_column
from ml.io import FileFormatError, RawTable


def adapt_long(table: RawTable, mapping: Mapping, dash: str = "missing") -> Adapted:
    """A long table (region, indicator, period, value and optional numerator, denominator, flag) as long text
    cells, columns found by the mapping or by their usual names."""
    h = table.header
    idx = {
        "region_id": find_region_column(h, mapping),
        "indicator_id": find_column(h, "indicator_id", mapping.indicator_column),
        "period": find_column(h, "period", mapping.period_column),
        "value": find_column(h, "value", mapping.value_column),
        "numerator": find_column(h, "numerator", mapping.numerator_column),
        "denominator": find_column(h, "denominator", mapping.denominator_column),
        "flag": find_column(h, "flag", mapping.flag_column),
        "region_level": find_column(h, "level"),
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
                columns[role] = dash_as_zero(columns[role])
        elif role == "period":
            columns[role] = pa.repeat(pa.scalar(mapping.period, pa.string()), n)
    cells = pa.table(columns)
    used = {i for i in idx.values() if i is not None}
    unused = [name for i, name in enumerate(h) if i not in used and name]
    notes = [f"columns not used by the long format: {', '.join(unused)}"] if unused else []
    return Adapted(cells=cells, notes=notes)

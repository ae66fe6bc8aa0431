"""The long layout: one observation per row (``region_id, indicator_id, period, value[, numerator, denominator,
flag]``; German headers accepted; a level column for region names on two levels). The indicator cells are catalog
ids, or codes and labels of the file's own that the mapping's ``indicators`` names (``A4: gruenflaeche_je_ew``)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from ml.importers.common import Adapted, dash_as_zero
from ml.importers.mapping import Mapping, find_column, find_region_column, header_key
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
    notes = []
    for role in ("region_id", "indicator_id", "period", "value", "numerator", "denominator", "flag", "region_level"):
        if idx[role] is not None:
            columns[role] = table.cells.column(f"c{idx[role]}")
            if dash == "zero" and role in ("value", "numerator", "denominator"):
                columns[role] = dash_as_zero(columns[role])
            if role == "indicator_id" and mapping.indicators:
                columns[role], note = recode_indicators(columns[role], mapping.indicators, h[idx[role]])
                notes += note
        elif role == "period":
            columns[role] = pa.repeat(pa.scalar(mapping.period, pa.string()), n)
    cells = pa.table(columns)
    used = {i for i in idx.values() if i is not None}
    unused = [name for i, name in enumerate(h) if i not in used and name]
    notes += [f"columns not used by the long format: {', '.join(unused)}"] if unused else []
    return Adapted(cells=cells, notes=notes)


def recode_indicators(cells: pa.ChunkedArray, names: dict[str, str], column: str) -> tuple[pa.Array, list[str]]:
    """The indicator cells with the file's own codes or labels replaced by the catalog ids ``names`` gives them
    (compared as mapping keys are: outer and doubled blanks, soft hyphens do not count); other cells unchanged.
    A note names the keys that occur in no cell (a code this edition does not have, or a misspelt one)."""
    wanted: dict[str, str] = {}
    for key, target in names.items():
        k = header_key(key)
        if k in wanted and wanted[k] != target:
            raise FileFormatError(f"indicators: {key!r} is given twice, as {wanted[k]!r} and as {target!r}")
        wanted[k] = str(target).strip()
    encoded = pc.dictionary_encode(cells).combine_chunks()      # each distinct cell is looked up once
    seen: set[str] = set()
    recoded = []
    for cell in encoded.dictionary.to_pylist():
        k = header_key(cell)
        seen.add(k)
        recoded.append(wanted.get(k, cell))
    out = pa.DictionaryArray.from_arrays(encoded.indices, pa.array(recoded, pa.string())).cast(pa.string())
    absent = [k for k in wanted if k not in seen]
    notes = [f"indicators: {', '.join(map(repr, absent))} not found in column {column!r}"] if absent else []
    return out, notes

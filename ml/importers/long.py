"""The long layout: one observation per row (``region_id, indicator_id, period, value[, numerator, denominator,
flag]``; German headers accepted; a level column for region names on two levels; the names written beside the
codes for regions renumbered since). The indicator cells are catalog
ids, or codes and labels of the file's own that the mapping's ``indicators`` names (``A4: gruenflaeche_je_ew``)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from ml.catalog import Catalog
from ml.importers.common import (
    YEAR_END, Adapted, dash_as_zero, dash_note, period_position, withheld_in_column, withheld_note, year_end_stands,
)
from ml.importers.mapping import Mapping, find_column, find_region_column, header_key
from ml.io import FileFormatError, RawTable


def adapt_long(table: RawTable, mapping: Mapping, dash: str = "missing", catalog: Catalog | None = None) -> Adapted:
    """A long table (region, indicator, period, value and optional numerator, denominator, flag) as long text
    cells, columns found by the mapping or by their usual names. With the ``catalog``, a register's stands at
    31 December (``2018-12``) are read as the year for the rows of annual indicators (:func:`annual_year_ends`)."""
    h = table.header
    idx = {
        "region_id": find_region_column(h, mapping),
        "indicator_id": find_column(h, "indicator_id", mapping.indicator_column),
        "period": period_position(table, mapping),
        "value": find_column(h, "value", mapping.value_column),
        "numerator": find_column(h, "numerator", mapping.numerator_column),
        "denominator": find_column(h, "denominator", mapping.denominator_column),
        "flag": find_column(h, "flag", mapping.flag_column),
        "region_level": find_column(h, "level"),
        # the names written beside the codes find regions renumbered since the table was written
        "region_name": find_column(h, "name", mapping.name_column),
    }
    if idx["region_name"] == idx["region_id"]:
        idx["region_name"] = None
    required = ["region_id", "indicator_id", "value"] + ([] if mapping.period else ["period"])
    missing = [r for r in required if idx[r] is None]
    if missing:
        hint = " (is the delimiter right?)" if len(h) == 1 else ""
        raise FileFormatError(
            f"{table.path}: long format needs column(s) {', '.join(missing)}; header is {', '.join(h) or '(empty)'}{hint}"
        )
    n = table.cells.num_rows
    columns = {"line": pa.array(table.lines, pa.int64()), "column": pa.repeat(h[idx["value"]], n)}
    notes, dashes = [], 0
    for role in ("region_id", "indicator_id", "period", "value", "numerator", "denominator", "flag", "region_level",
                 "region_name"):
        if idx[role] is not None:
            columns[role] = table.cells.column(f"c{idx[role]}")
            if dash == "zero" and role in ("value", "numerator", "denominator"):
                columns[role], n = dash_as_zero(columns[role])
                dashes += n
            if role == "value" and mapping.withheld:
                columns[role], withheld = withheld_in_column(columns[role], mapping.withheld)
                notes.append(withheld_note(mapping.withheld, withheld))
            if role == "indicator_id" and mapping.indicators:
                columns[role], note = recode_indicators(columns[role], mapping.indicators, h[idx[role]])
                notes += note
        elif role == "period":
            columns[role] = pa.repeat(pa.scalar(mapping.period, pa.string()), n)
    if catalog is not None and idx["period"] is not None:
        columns["period"], note = annual_year_ends(columns["indicator_id"], columns["period"], catalog)
        notes += [note] if note else []
    cells = pa.table(columns)
    used = {i for i in idx.values() if i is not None}
    unused = [name for i, name in enumerate(h) if i not in used and name]
    notes += [f"columns not used by the long format: {', '.join(unused)}"] if unused else []
    return Adapted(cells=cells, notes=notes + dash_note(dashes))


def annual_year_ends(indicators, periods, catalog: Catalog) -> tuple[pa.Array, str | None]:
    """The period cells with a register's stand at 31 December read as the year on the rows of annual indicators,
    one indicator at a time (:func:`ml.importers.common.year_end_stands`: not for an indicator whose rows also hold
    stands within a year, which the validation then refuses as monthly). Other rows unchanged; a note with the
    first example."""
    import pandas as pd

    if not pc.any(pc.match_substring_regex(pc.utf8_trim_whitespace(pc.cast(periods, pa.string())), YEAR_END)).as_py():
        return periods, None                              # no stand at 31 December: nothing to read
    period = pd.Series(periods.to_pylist(), dtype="object")
    indicator = pd.Series(indicators.to_pylist(), dtype="object")
    annual = {i for i in indicator.dropna().unique() if i in catalog and catalog[i].frequency == "annual"}
    notes = []                                            # (first row read so, its note)
    for i in sorted(annual):
        rows = indicator.eq(i) & period.notna()
        read, _, note = year_end_stands(period[rows].astype("str"))
        if note:
            notes.append((int(read.index[read.ne(period[rows])][0]), note))
            period.loc[rows] = read
    return pa.array(period.where(period.notna(), None).tolist(), pa.string()), min(notes)[1] if notes else None


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

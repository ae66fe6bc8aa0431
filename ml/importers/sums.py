"""A wide table's sums checked on every row: the imported values of a row on which a mapping's ``sums`` do not add
up are quarantined (:mod:`ml.sums` says why a table's own sums are a check worth having)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.catalog import FORMAT_CATALOGS, Catalog
from ml.header_rows import EMPTY_NAME
from ml.importers.common import period_position
from ml.importers.mapping import Mapping, column_position, distinct_headers, find_region_column
from ml.io import FileFormatError, Problem, RawTable
from ml.parsing import DASHES, parse_numbers
from ml.sums import Sum, check_sum, describe


def _on_rows(table: RawTable, cells: pd.DataFrame, rows: np.ndarray, keys: np.ndarray | None,
             editions: np.ndarray | None) -> np.ndarray:
    """Which of ``cells`` (the long cells of ``table``) stem from the table's ``rows``: by their line; in a table
    read turned, whose rows share the header's line, by their region and period."""
    if table.column_lines is None or keys is None:
        return cells["line"].isin(table.lines[rows]).to_numpy()
    region = cells["region_id"].astype("str").str.strip()
    if editions is None:
        return region.isin(keys[rows]).to_numpy()
    wanted = pd.MultiIndex.from_arrays([keys[rows], editions[rows]])
    return pd.MultiIndex.from_arrays([region, cells["period"].astype("str").str.strip()]).isin(wanted)


def quarantine_unequal_sums(table: RawTable, mapping: Mapping, cells: pd.DataFrame, decimal: str,
                            dash: str = "missing", fmt: str = "wide") -> tuple[pd.DataFrame, list[Problem], list[str]]:
    """``cells`` (the long text cells of a wide table) without the cells of the rows on which one of the mapping's
    ``sums`` fails, in the relation's columns (in the shifted side's alone, where another edition of the table tells
    which side was shifted: :func:`ml.sums.check_sum`); those cells as problems for the quarantine, one reason per
    relation; and a note per failing relation (where it fails, whether one side is shifted by a row). A sum whose
    columns a file lacks (one edition names a column differently) is not checked, nor are sums in a table of another
    layout (``fmt``); a note says so. Rows with an empty or suppressed value in a relation are not checked."""
    if not mapping.sums or not len(cells):
        return cells, [], []
    if fmt != "wide":
        return cells, [], [f"sums not checked: a {fmt} table holds one value per row; 'sums' are checked in a wide "
                           "table, whose columns they name"]
    header = distinct_headers(table.header)
    frame = table.frame()
    p = period_position(table, mapping)
    editions = frame[f"c{p}"].astype("str").str.strip().to_numpy() if p is not None else None
    r = find_region_column(header, mapping) if mapping.region is None else None
    keys = frame[f"c{r}"].astype("str").str.strip().to_numpy() if r is not None else None
    drop = np.zeros(len(cells), dtype=bool)
    problems: list[Problem] = []
    notes: list[str] = []
    relations = []
    for spec in mapping.sums:
        relation = Sum(tuple(spec.left), tuple(spec.right))
        try:
            relations.append((relation, {c: column_position(header, c, "a sum") for c in relation.columns}))
        except FileFormatError as exc:
            notes.append(f"sum {relation.formula()} not checked: {str(exc).split(' (header:')[0]}")
    if not relations:
        return cells, [], notes
    # every column of the sums read in one pass (a column in several sums once)
    wanted = sorted({i for _, where in relations for i in where.values()})
    text = pd.concat([frame[f"c{i}"].astype("str").str.strip() for i in wanted], ignore_index=True)
    if dash == "zero":
        text = text.where(~text.isin(DASHES), "0")
    numbers = parse_numbers(text, decimal).values.reshape(len(wanted), len(frame))
    parsed = {i: numbers[k] for k, i in enumerate(wanted)}
    for relation, where in relations:
        values = {c: parsed[i] for c, i in where.items()}
        check = check_sum(values, relation, editions, keys)
        if not len(check.failing):
            continue
        # where another edition tells which side was shifted, that side's values alone
        side = {"left": relation.left, "right": relation.right}.get(check.shifted_side or "", relation.columns)
        columns = {table.header[where[c]] or EMPTY_NAME.format(where[c] + 1) for c in side}
        hit = _on_rows(table, cells, check.failing, keys, editions) & cells["column"].isin(columns).to_numpy() & ~drop
        reason = f"the columns do not add up: {relation.formula()} (mapping: sums)"
        problems += [Problem(line=int(r.line), column=r.column, value=r.value, reason=reason)
                     for r in cells.loc[hit, ["line", "column", "value"]].itertuples(index=False)]
        drop |= hit
        k = int(hit.sum())
        notes.append(f"{describe(check)}: {k} value{'' if k == 1 else 's'} of those rows quarantined"
                     + (" (of the shifted side; the other side's are kept)" if check.shifted_side else "")
                     + " (delete the relation under 'sums' in the mapping to import them as they are)")
    return (cells.loc[~drop].reset_index(drop=True) if drop.any() else cells), problems, notes


def undeclared_parts(mapping: Mapping, catalog: Catalog, shipped: str = "indicators.csv") -> list[str]:
    """A note per sum of the mapping that is a total and its parts, all counts of persons, whose parts the catalog
    does not name as the total's (``part_of``): the total less the parts shown would tell a part withheld as a small
    number, which ``features`` prevents only for the parts a catalog names
    (:func:`features.disclosure.withhold_parts`). The note says where to name them: the county's own catalog file,
    or, for the counts of a file it does not write (the ``shipped`` catalog, a format's), the configuration's
    ``catalog.part_of``. The table's sums show that its parts make up its total here; the shipped catalog cannot
    assume it for every county (its Hilfen zur Erziehung by kind overlap in some)."""
    def indicator(column: str) -> str | None:
        spec = mapping.columns.get(column)
        return spec if isinstance(spec, str) or spec is None else spec.indicator

    not_written = {shipped} | {p.name for p in FORMAT_CATALOGS.values()}
    wholes, notes = catalog.parts(), []
    for spec in mapping.sums:
        if len(spec.left) != 1 or len(spec.right) < 2:
            continue
        ids = [indicator(c) for c in (*spec.left, *spec.right)]
        if not all(i in catalog and catalog[i].kind == "count" and catalog[i].persons for i in ids):
            continue
        whole, parts = ids[0], ids[1:]
        missing = [p for p in parts if p not in wholes.get(whole, [])]
        if not missing:
            continue
        own = [p for p in missing if catalog[p].catalog_file not in not_written]
        theirs = [p for p in missing if p not in own]
        where = []
        if own:
            files = sorted({catalog[p].catalog_file for p in own})
            where.append(f"write part_of: {whole} for {', '.join(own)} in {', '.join(files)}")
        if theirs:
            pairs = ", ".join(f"{p}: {whole}" for p in theirs)
            where.append(f"name {'it' if len(theirs) == 1 else 'them'} in the configuration (catalog: part_of: "
                         f"{{{pairs}}})")
        said = " and ".join(where)
        notes.append(f"{spec.left[0]!r} ({whole}) is the sum of {len(parts)} columns (sums:), but the catalog "
                     f"names {'none' if len(missing) == len(parts) else 'not all'} of them its parts: a part "
                     f"withheld as a small number could be told by the total less the others. "
                     f"{said[0].upper() + said[1:]}, and features withholds another part too")
    return notes

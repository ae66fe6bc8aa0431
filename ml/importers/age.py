"""Population by age: a register table with one row per region (and period) and one column per age group, or
one row per period of one region (the whole city's residents by age over the years: ``region:`` in the mapping).

The age columns are recognised from their headers (:mod:`ml.age_groups`); each becomes an observation of the
group's indicator ``ew_alter_AA_BB``, validated and merged like any other. Sums beside the groups and columns of
another population (foreigners beside all residents) are listed in the report, not imported, unless the mapping
names them under ``columns`` (the register's total ``E_E`` as ``einwohner``): those are imported as in a wide table.
A table whose groups count another group of persons (Berlin's ``E_A00_01`` …: foreigners;
:func:`ml.age_groups.population_of`) imports only its mapped columns, never its groups as the residents' ages.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ml.age_groups import (
    AgeGroupError, Population, age_indicators, indicator_id, parse_header, population_of, sexed_groups_of_header,
)
from ml.importers.common import (
    Adapted, cell_column, dash_note, dashes_as_zero, melt, period_position, withheld_in_frame, withheld_note,
    year_end_stands,
)
from ml.importers.mapping import (
    ColumnSpec, Mapping, column_position, find_column, find_region_column, ignored_positions,
)
from ml.io import FileFormatError, RawTable


def adapt_age(table: RawTable, mapping: Mapping, dash: str = "missing") -> Adapted:
    """A table of residents by age group as long text cells of the groups' indicators, with their catalog
    entries. ``dash`` 'zero': a cell holding only a dash is 0, 'nichts vorhanden' (Berlin's register of 2022 writes
    '–' for an age group nobody of the area is in: the groups add up to the total on every row only so)."""
    h = table.header
    r = None if mapping.region is not None else find_region_column(h, mapping)
    if r is None and mapping.region is None:
        raise FileFormatError(f"{table.path}: a table by age needs a region column of codes or names (set "
                              "region_column in a --mapping), or, for a table of one region (the whole city or "
                              f"county, one row per period), region: its code or name; header is {', '.join(h)}")
    p = period_position(table, mapping)
    if p is None and mapping.period is None:
        raise FileFormatError(f"{table.path}: a table by age needs a period column (Jahr, Stichtag, ZEIT) or a fixed "
                              f"'period' in a --mapping; header is {', '.join(h)}")
    named = find_column(h, "name", mapping.name_column)
    skip = {i for i in (r, p, named, find_column(h, "level")) if i is not None} | ignored_positions(
        h, mapping.ignore_columns)
    try:
        groups, notes = sexed_groups_of_header(h, skip)
    except AgeGroupError as exc:
        raise FileFormatError(f"{table.path}: {exc}") from None
    region = cell_column(table, r, mapping.region or "")
    # the names written beside the codes find regions renumbered since the table was written
    names = None if named in (None, r) else cell_column(table, named)
    period = cell_column(table, p, mapping.period or "")
    period, monthly, note = year_end_stands(period)
    if note:
        notes.append(note)
    population = population_of(h, groups, Path(str(table.path)).name)
    if population is not None:
        return _other_population(table, mapping, region, period, population, notes, names, dash)
    columns = {pos: indicator_id(g, sex) for pos, (g, sex) in groups.items()}
    mapped = _mapped_columns(table, mapping, columns)
    frame, dashes = dashes_as_zero(table.frame(), set(columns) | set(mapped), dash)
    notes += dash_note(dashes)
    frame, withheld = withheld_in_frame(frame, set(columns) | set(mapped), mapping.withheld)
    notes += [withheld_note(mapping.withheld, withheld)] if mapping.withheld else []
    cells, empty = melt(table, region, period, {**columns, **{i: ind for i, ind in mapped.items() if i not in columns}},
                        cells=frame, names=names)
    twice = {i: ind for i, ind in mapped.items() if i in columns}
    if twice:       # an age group that is also a count of the catalog (under 18: the base of HzE rates)
        again, _ = melt(table, region, period, twice, cells=frame, names=names)
        cells = pd.concat([cells, again], ignore_index=True)
    if mapped:
        notes.append("columns imported as mapped: " + ", ".join(
            f"{h[i]} → {ind}" + (f" (and as its age group {columns[i]})" if i in columns else "")
            for i, ind in mapped.items()))
    rest = [h[i] for i in range(len(h)) if i not in groups and i not in mapped and i not in skip and h[i]
            and parse_header(h[i]) is None]
    if rest:
        notes.append("columns not imported (not an age group): " + ", ".join(rest[:12]) + (" …" if len(rest) > 12 else ""))
    labels = list(dict.fromkeys(g.label for g, _ in groups.values()))
    notes.append(f"{len(labels)} age groups: " + ", ".join(labels))
    return Adapted(cells=cells, notes=notes, empty_cells=empty,
                   indicators=age_indicators(groups.values(), "monthly" if monthly else "annual"))


def _other_population(table: RawTable, mapping: Mapping, region, period, population: Population,
                      notes: list[str], names=None, dash: str = "missing") -> Adapted:
    """A table by age of another group of persons (foreigners): its groups are not the residents' and the catalog has
    none of that group by age, so only the columns the mapping names (its total) are imported; none named: refused.
    ``names``: the region names written beside the codes, or None."""
    said = (f"the age groups count {population.label} ({population.said}), not all residents; the catalog has no age "
            "groups of them")
    mapped = _mapped_columns(table, mapping, {})
    if not mapped:
        hint = (f"map the table's total to {population.count} under 'columns'" if population.count else
                "map its total to an indicator of your own under 'columns' (README, 'Indicators of your own')")
        raise FileFormatError(f"{table.path}: {said}, so they are not imported as the residents' ages; {hint} "
                              f"(sozialradar mapping suggest {Path(str(table.path)).name} proposes it)")
    frame, dashes = dashes_as_zero(table.frame(), set(mapped), dash)
    notes += dash_note(dashes)
    frame, withheld = withheld_in_frame(frame, mapped, mapping.withheld)
    notes += [withheld_note(mapping.withheld, withheld)] if mapping.withheld else []
    cells, empty = melt(table, region, period, mapped, cells=frame, names=names)
    h = table.header
    notes.append(said + ": not imported; columns imported as mapped: " + ", ".join(
        f"{h[i]} → {ind}" for i, ind in mapped.items()))
    return Adapted(cells=cells, notes=notes, empty_cells=empty, indicators=[])


def _mapped_columns(table: RawTable, mapping: Mapping, groups: dict[int, str]) -> dict[int, str]:
    """The mapping's ``columns`` of a table by age (position → indicator): a total or another population beside the
    groups, or an age group that is also a count of the catalog (``age_under_18`` as ``ew_unter18``: imported as
    both). A column with a period of its own is refused by name."""
    out = {}
    for column, spec in mapping.columns.items():
        pos = column_position(table.header, column, "an indicator")
        indicator = spec.indicator if isinstance(spec, ColumnSpec) else spec
        if isinstance(spec, ColumnSpec) and spec.period:
            raise FileFormatError(f"{table.path}: {column!r} has a period of its own in the mapping; a table by age "
                                  "takes the period of its rows")
        if indicator == groups.get(pos):
            continue        # the group's own indicator: imported as a group anyway
        out[pos] = indicator
    return out

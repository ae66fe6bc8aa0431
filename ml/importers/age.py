"""Population by age: a register table with one row per region (and period) and one column per age group.

The age columns are recognised from their headers (:mod:`ml.age_groups`); each becomes an observation of the
group's indicator ``ew_alter_AA_BB``, validated and merged like any other. Sums beside the groups and columns of
another population (foreigners beside all residents) are listed in the report, not imported.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.age_groups import AgeGroupError, age_indicators, indicator_id, parse_header, sexed_groups_of_header
from ml.importers.common import Adapted, cell_column, melt
from ml.importers.mapping import Mapping, find_column, find_region_column
from ml.io import FileFormatError, RawTable


def adapt_age(table: RawTable, mapping: Mapping) -> Adapted:
    """A table of residents by age group as long text cells of the groups' indicators, with their catalog
    entries."""
    h = table.header
    r = find_region_column(h, mapping)
    if r is None:
        raise FileFormatError(f"{table.path}: a table by age needs a region column of codes or names (set "
                              f"region_column in a --mapping); header is {', '.join(h)}")
    p = find_column(h, "period", mapping.period_column)
    if p is None and mapping.period is None:
        raise FileFormatError(f"{table.path}: a table by age needs a period column (Jahr, Stichtag, ZEIT) or a fixed "
                              f"'period' in a --mapping; header is {', '.join(h)}")
    skip = {i for i in (r, p, find_column(h, "name"), find_column(h, "level")) if i is not None}
    try:
        groups, notes = sexed_groups_of_header(h, skip)
    except AgeGroupError as exc:
        raise FileFormatError(f"{table.path}: {exc}") from None
    region = cell_column(table, r)
    period = cell_column(table, p, mapping.period or "")
    # a register's year-end stand (201812, 2018-12, 31.12.2018) is the year's count, unless the table also holds
    # stands within the year (then every stand stays a month)
    parts = period.str.strip().str.extract(YEAR_END, expand=True).to_numpy(dtype=object)
    year_end = np.where(pd.notna(parts[:, 0]), parts[:, 0], parts[:, 1])
    within = period.str.strip().str.fullmatch(r"\d{4}-?\d{2}|\d{1,2}\.\d{4}|\d{2}\.\d{2}\.\d{4}") & pd.isna(year_end)
    monthly = bool(within.any())
    if pd.notna(year_end).any() and not monthly:
        notes.append("stands at 31 December read as the year's count (201812 → 2018)")
        period = pd.Series(np.where(pd.notna(year_end), year_end, period.to_numpy()), index=period.index, dtype="str")
    cells, empty = melt(table, region, period, {pos: indicator_id(g, sex) for pos, (g, sex) in groups.items()})
    rest = [h[i] for i in range(len(h)) if i not in groups and i not in skip and h[i] and parse_header(h[i]) is None]
    if rest:
        notes.append("columns not imported (not an age group): " + ", ".join(rest[:12]) + (" …" if len(rest) > 12 else ""))
    labels = list(dict.fromkeys(g.label for g, _ in groups.values()))
    notes.append(f"{len(labels)} age groups: " + ", ".join(labels))
    return Adapted(cells=cells, notes=notes, empty_cells=empty,
                   indicators=age_indicators(groups.values(), "monthly" if monthly else "annual"))


YEAR_END = r"^(?:(\d{4})-?12|31\.12\.(\d{4}))$"
"""A stand at the end of a year: ``201812``, ``2018-12``, ``31.12.2018``."""

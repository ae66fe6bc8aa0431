"""Single values another region's row gave: a count equal to another region's of the same indicator and edition,
far off its own editions before and after, which agree with each other.

A publisher's table can carry one wrong cell: Flensburg's Sozialatlas gives Nordstadt 165 housing benefit
households in 2018, Neustadt's count of that year, between its own 413 (2017) and 571 (2019). One region of
thirteen moving so changes the edition's rank order too little for :mod:`features.misplaced`; each value is a
plausible count. Two things together betray it, and neither alone:

- the value departs from the region's editions before and after in the same direction, by at least ``RATIO``
  times the indicator's typical change between editions (the median over every region's consecutive editions,
  on a log scale) and at least ``MIN_JUMP``, while those two editions lie closer to each other than either to it;
- the value is exactly another region's value of that indicator and edition, where the other regions' values near
  it make that unlikely by chance (``MAX_CHANCE``).

Counts only (the catalog's kind ``count``), of at least ``MIN_VALUE`` on all three editions: among small counts
equal values and jumps are common. A share or rate computed from such a count is left out with it; a share
imported with a value of its own is judged by :mod:`features.misplaced` only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.misplaced import leave_out
from ml.formatting import de

MIN_VALUE = 20.0
"""Smallest count judged (on the edition and both neighbours)."""
MIN_JUMP = float(np.log(1.5))
"""Smallest departure from each neighbour on a log scale (a factor of 1.5)."""
RATIO = 4.0
"""Departure from each neighbour, at least this many times the indicator's typical change between editions."""
MAX_CHANCE = 0.05
"""An equal value counts where the other regions' values near it would give at most this many equal ones by chance
(among the Planungsräume of a city, small counts meet by chance; among thirteen Stadtteile a count of 165 does not)."""


def _chance(others: np.ndarray, x: float) -> float:
    """How many of the ``others`` would equal ``x`` by chance: those within a tenth of it (at least 5) either side,
    spread evenly over the whole numbers there."""
    width = max(5.0, 0.1 * abs(x))
    near = np.count_nonzero(np.abs(others[np.isfinite(others)] - x) <= width)
    return near / (2 * np.floor(width) + 1)


@dataclass(frozen=True)
class CopiedCell:
    """One count equal to another region's in its edition and far off its own editions before and after."""

    indicator_id: str
    period: str
    region_id: str
    value: float
    before: float
    after: float
    twins: tuple[str, ...]
    """The regions whose value of that indicator and edition it equals."""


def copied_cells(obs: pd.DataFrame, catalog) -> list[CopiedCell]:
    """The counts in ``obs`` (``region_id, indicator_id, period, value``; annual periods) that look copied from
    another region's row (see the module)."""
    counts = {i.indicator_id for i in catalog if i.kind == "count"}
    rows = obs[obs["indicator_id"].isin(counts) & obs["value"].notna()
               & (obs["period"].astype(str).str.len() == 4)]
    found: list[CopiedCell] = []
    for indicator, part in rows.groupby("indicator_id", sort=True):
        wide = part.pivot_table(index="region_id", columns="period", values="value", aggfunc="first")
        if wide.shape[1] < 3 or wide.shape[0] < 3:
            continue
        wide = wide.reindex(columns=sorted(wide.columns))
        v = wide.to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            logs = np.where(v >= MIN_VALUE, np.log(v), np.nan)
        steps = np.abs(np.diff(logs, axis=1))
        typical = np.nanmedian(steps) if np.isfinite(steps).any() else np.nan
        if not np.isfinite(typical):
            continue
        mid, before, after = logs[:, 1:-1], logs[:, :-2], logs[:, 2:]
        d_before, d_after = mid - before, mid - after
        least = np.fmin(np.abs(d_before), np.abs(d_after))
        with np.errstate(invalid="ignore"):
            jump = ((np.sign(d_before) == np.sign(d_after)) & (least >= max(MIN_JUMP, RATIO * typical))
                    & (np.abs(after - before) < least))
        for r, k in zip(*np.nonzero(jump)):
            column = v[:, k + 1]
            twins = tuple(str(wide.index[j]) for j in np.nonzero(column == column[r])[0] if j != r)
            if twins and _chance(np.delete(column, r), column[r]) <= MAX_CHANCE:
                found.append(CopiedCell(str(indicator), str(wide.columns[k + 1]), str(wide.index[r]),
                                        float(column[r]), float(v[r, k]), float(v[r, k + 2]), twins))
    return found


def copied_rows(found: list[CopiedCell], names: pd.Series) -> list[tuple[str, str, str, str]]:
    """The values to leave out (region, indicator, period, the German reason as a page says it)."""
    return [(c.region_id, c.indicator_id, c.period,
             f"Wert {de(c.value, 0)} gleicht dem von {', '.join(str(names.get(t, t)) for t in c.twins[:3])} in derselben "
             f"Ausgabe und weicht vom Verlauf ab ({de(c.before, 0)} davor, {de(c.after, 0)} danach): aus einer anderen "
             "Zeile übernommen?") for c in found]


def copied_notes(found: list[CopiedCell], names: pd.Series, catalog) -> list[str]:
    """One line per finding, for the user."""
    notes = []
    for c in found:
        indicator = f"{catalog[c.indicator_id].name} ({c.indicator_id})" if c.indicator_id in catalog else c.indicator_id
        twins = ", ".join(f"{t} ({names.get(t, t)})" for t in c.twins[:3])
        notes.append(f"{c.period}: {indicator} of {c.region_id} ({names.get(c.region_id, c.region_id)}) is "
                     f"{c.value:g}, the value of {twins} in that edition, between {c.before:g} before and {c.after:g} "
                     "after: copied from another row, it seems; left out of the profiles, with the shares computed "
                     "from it (store table left_out_values); check the source table")
    return notes


def withhold_copied(obs: pd.DataFrame, catalog, names: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """``obs`` with the copied counts (:func:`copied_cells`) and the shares computed from them emptied, the table of
    what was left out (:data:`features.misplaced.LEFT_OUT_COLUMNS`) and the notes for the user."""
    found = copied_cells(obs, catalog)
    kept, table = leave_out(obs, copied_rows(found, names), catalog)
    return kept, table, copied_notes(found, names, catalog)

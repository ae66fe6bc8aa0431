"""A change of grid between two editions: the regions of a level that carry values from one edition on are, for a
large part, others than those that carried them until the edition before — Berlin's 447 Planungsräume and 138
Bezirksregionen until 2020, 542 and 143 from 2021, under new codes.

Without a crosswalk no series, change, dynamics index or transition joins the two sets: the old areas' series end,
the new areas' begin. Nothing is wrong with the values; but an analyst who imported the editions one after another
sees only "new regions: 142" and later wonders why no region has a change. So the import and ``features`` say it,
and point to ``features --crosswalk``.

The rule, per level and pair of consecutive annual periods with values (``before``, ``after``): at least
``MIN_SHARE`` of the regions with values in ``after`` (and ``MIN_REGIONS`` or more) have none in any period up to
``before``, and at least as large a share of the regions of ``before`` have none in any period from ``after`` on.
A county that adds some areas, or a file that covers one district only, does not meet both.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

MIN_SHARE = 0.25
"""Least share of the regions on either side that are new (after) or gone (before)."""
MIN_REGIONS = 5
"""Fewest regions new and gone for a change of grid."""


@dataclass(frozen=True)
class GridChange:
    """The regions of ``level`` with values until ``before`` and those from ``after`` on, largely others."""

    level: str
    before: str
    after: str
    new: tuple[str, ...]
    """Regions with values in ``after`` and none up to ``before``."""
    gone: tuple[str, ...]
    """Regions with values in ``before`` and none from ``after`` on."""
    kept: tuple[str, ...]
    """Regions with values in both: codes that stand on both grids (the same area? a new grid may reuse a code)."""
    n_before: int
    n_after: int


def presence(obs: pd.DataFrame) -> pd.DataFrame:
    """The (region_id, period) pairs of ``obs`` with a value, once each: what :func:`grid_changes` reads."""
    return obs.loc[obs["value"].notna(), ["region_id", "period"]].drop_duplicates().reset_index(drop=True)


def grid_changes(presence: pd.DataFrame) -> list[GridChange]:
    """The changes of grid in ``presence`` (columns ``region_id``, ``level``, ``period``: one row per region and
    period with a value; periods other than years are left aside)."""
    annual = presence[presence["period"].astype(str).str.fullmatch(r"\d{4}")]
    found = []
    for level, rows in annual.groupby("level", sort=True):
        by_period = {str(p): set(g["region_id"].astype(str)) for p, g in rows.groupby("period", sort=True)}
        periods = sorted(by_period)
        for k in range(1, len(periods)):
            before, after = periods[k - 1], periods[k]
            earlier = set().union(*(by_period[p] for p in periods[:k]))
            later = set().union(*(by_period[p] for p in periods[k:]))
            new = by_period[after] - earlier
            gone = by_period[before] - later
            if (len(new) >= max(MIN_REGIONS, MIN_SHARE * len(by_period[after]))
                    and len(gone) >= max(MIN_REGIONS, MIN_SHARE * len(by_period[before]))):
                found.append(GridChange(str(level), before, after, tuple(sorted(new)), tuple(sorted(gone)),
                                        tuple(sorted(by_period[before] & by_period[after])),
                                        len(by_period[before]), len(by_period[after])))
    return found


def grid_change_notes(changes: list[GridChange]) -> list[str]:
    """One line per change of grid, for the user: what changed, what it means, what to do."""
    notes = []
    for c in changes:
        kept = ""
        if c.kept:
            shown = ", ".join(c.kept[:5]) + (" …" if len(c.kept) > 5 else "")
            kept = (f"; {len(c.kept)} code(s) have values on both sides ({shown}): check that each is the same area "
                    "on both grids, or its series joins two areas")
        notes.append(f"{c.after}: the regions of level {c.level} with values are largely others than before: "
                     f"{len(c.new)} of the {c.n_after} of {c.after} have none up to {c.before}, and {len(c.gone)} of "
                     f"the {c.n_before} of {c.before} have none from {c.after} on — a new edition of the grid? No "
                     "series, change or dynamics joins the two; to carry the earlier editions onto the new areas, "
                     "give 'sozialradar features --crosswalk FILE' (old code, new code, weight; 'sozialradar "
                     f"crosswalk suggest TABLE' writes one from a register's codes, names and areas){kept}")
    return notes

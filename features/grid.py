"""A crosswalk applied: the observations of earlier areas carried onto the new grid before the profiles are built.

A crosswalk of the profile level itself (a Land's Gemeinden onto those of its latest stand, Berlin's Planungsräume
of 2006 onto those of 2021) applies as it is; one of finer areas is also lifted to the level (Bezirksregionen of
the old grid onto the new through their Planungsräume). The areas a crosswalk carries whole onto others are then no
part of the grid: the level sums (:mod:`features.level_sums`) wait for no value of theirs.
"""

from __future__ import annotations

import pandas as pd

from features.crosswalk_weights import complete_weights
from features.level_sums import ancestors_at
from features.steps import SLIVER, harmonise_boundaries, not_carried
from ml.catalog import Catalog


def onto_new_grid(obs: pd.DataFrame, crosswalk: pd.DataFrame, regions: pd.DataFrame, catalog: Catalog, level: str,
                  population_indicator: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[str]]:
    """The observations carried by ``crosswalk`` (its empty weights completed first), the crosswalk as applied,
    the region list of the new grid (without the areas carried whole onto others) and the notes."""
    crosswalk, notes = complete_weights(crosswalk, obs, population_indicator)
    lifted, carried = _lifted(obs, crosswalk, regions, level, population_indicator)
    notes = notes + carried
    for cw in (crosswalk, lifted):
        if len(cw):
            notes.extend(_carried_note(obs, cw, regions) if cw is crosswalk else [])
            obs, reused = _onto_new_grid(obs, cw, catalog, population_indicator)
            notes.extend(reused)
    gone = set(crosswalk["old_id"].astype(str)) - set(crosswalk["new_id"].astype(str))
    applied = pd.concat([cw[["old_id", "new_id"]] for cw in (crosswalk, lifted) if len(cw)], ignore_index=True)
    notes.extend(_unknown_targets_note(obs, applied, regions, population_indicator))
    return obs, crosswalk, regions[~regions["region_id"].astype(str).isin(gone)], notes


def _unknown_targets_note(obs: pd.DataFrame, crosswalk: pd.DataFrame, regions: pd.DataFrame,
                          population_indicator: str) -> list[str]:
    """A note on the crosswalk's new areas that are no regions of the store (Berlin's open MSS file of 2021 lists
    534 of the 542 Planungsräume; an area-weighted crosswalk gives the other eight residents of the old areas): the
    values carried onto them are in no profile. Said with the residents they take, so that a sum that falls short
    is explained."""
    targets = set(crosswalk["new_id"].astype(str)) - set(crosswalk["old_id"].astype(str))
    unknown = sorted(targets - set(regions["region_id"].astype(str)))
    ids = obs["region_id"].astype(str)
    on_unknown = ids.isin(unknown) & obs["value"].notna()
    if not on_unknown.any():
        return []
    reached = sorted(set(ids[on_unknown]))
    said = (f"crosswalk: {len(reached)} of its new areas {'is no region' if len(reached) == 1 else 'are no regions'} "
            f"of the store ({', '.join(reached[:6])}{' …' if len(reached) > 6 else ''}): the values carried onto "
            f"{'it' if len(reached) == 1 else 'them'} are in no profile")
    people = obs[(obs["indicator_id"] == population_indicator) & obs["value"].notna() & ids.isin(targets)]
    carried = people["region_id"].astype(str).isin(unknown)
    if carried.any():             # the latest period carried onto them (the new grid's own editions reach none)
        period = str(people.loc[carried, "period"].astype(str).max())
        at = people[people["period"].astype(str) == period]
        lost = float(at.loc[at["region_id"].astype(str).isin(unknown), "value"].sum())
        total = float(at["value"].sum())
        if lost > 0 and total > 0:
            said += (f" — of {population_indicator} {lost:,.0f} of {total:,.0f} in {period} ({lost / total:.1%}), "
                     "which the level's sums then lack")
    return [said + "; import the new grid's region list with every area to keep them (an area-weighted crosswalk "
            "also gives uninhabited areas residents)"]


def lift_crosswalk(crosswalk: pd.DataFrame, regions: pd.DataFrame, level: str,
                   population: pd.Series | None = None) -> pd.DataFrame:
    """A crosswalk of fine areas (old_id, new_id, weight: Berlin's Planungsräume) lifted to the regions of
    ``level`` that contain them (the Bezirksregionen), through each area's parents in the region list: the
    weight of an old region towards a new one is the share of its fine areas' residents (``population``: fine
    area → residents; equal shares where a fine area of the region has none) that the fine crosswalk sends
    into the new region. Fine areas whose old or new parent at ``level`` is unknown are left out, and so are
    old regions that map onto themselves whole (nothing to carry). Columns old_id, new_id, weight."""
    of_level = regions.set_index("region_id")["level"]
    cw = crosswalk.loc[:, ["old_id", "new_id", "weight"]].copy()
    cw["weight"] = cw["weight"] / cw.groupby("old_id")["weight"].transform("sum")
    up = ancestors_at(regions, pd.unique(pd.concat([cw["old_id"], cw["new_id"]])), level)
    cw["old_up"], cw["new_up"] = up.reindex(cw["old_id"]).to_numpy(), up.reindex(cw["new_id"]).to_numpy()
    cw = cw.dropna(subset=["old_up", "new_up"])
    cw = cw[~cw["old_id"].map(of_level).eq(level)]          # already at the level: the crosswalk applies as it is
    if cw.empty:
        return pd.DataFrame(columns=["old_id", "new_id", "weight"])
    fine = cw.drop_duplicates("old_id").set_index("old_id")["old_up"]
    residents = (population.reindex(fine.index) if population is not None
                 else pd.Series(float("nan"), index=fine.index))
    complete = residents.notna().groupby(fine).transform("all")
    share = residents.where(complete, 1.0).fillna(1.0)
    cw["w"] = cw["weight"] * share.reindex(cw["old_id"]).to_numpy()
    lifted = cw.groupby(["old_up", "new_up"], as_index=False)["w"].sum()
    lifted["weight"] = lifted["w"] / lifted.groupby("old_up")["w"].transform("sum")
    whole = (lifted["old_up"] == lifted["new_up"]) & (lifted["weight"] > 1 - 1e-9)
    lifted = lifted[~whole]
    return lifted.rename(columns={"old_up": "old_id", "new_up": "new_id"})[["old_id", "new_id", "weight"]]


def _lifted(obs: pd.DataFrame, crosswalk: pd.DataFrame, regions: pd.DataFrame, level: str,
            population_indicator: str) -> tuple[pd.DataFrame, list[str]]:
    """The crosswalk lifted to ``level`` where it names finer areas than the level's (residents of the fine
    areas as weights, the mean over the periods they have), and a note on what the crosswalk carries: a
    crosswalk that reaches no values is named, never applied silently."""
    empty = pd.DataFrame(columns=["old_id", "new_id", "weight"])
    with_values = set(obs.loc[obs["value"].notna(), "region_id"].astype(str))
    olds = set(crosswalk["old_id"].astype(str))
    nothing = [f"crosswalk: none of its {len(olds)} old areas has values here, and none lies within a region of "
               f"level {level!r} that has: nothing was carried over (import the region lists of both grids, so "
               "that each area's parents are known)"]
    if olds & set(regions.loc[regions["level"] == level, "region_id"].astype(str)):
        # a crosswalk of the level itself applies as it is
        return empty, [] if olds & with_values else nothing
    residents = obs[(obs["indicator_id"] == population_indicator) & obs["region_id"].isin(olds)]
    residents = residents.groupby("region_id")["value"].mean().dropna()
    lifted = lift_crosswalk(crosswalk, regions, level, residents if len(residents) else None)
    reached = set(lifted["old_id"].astype(str)) & with_values
    if reached:
        weights = ("their residents" if len(residents) == len(olds) else
                   "equal shares of the finer areas (no residents known for them)" if residents.empty else
                   f"their residents where known ({len(residents)} of {len(olds)}), else equal shares")
        return lifted, [f"crosswalk: {len(reached)} regions of level {level!r} of the earlier grid carried onto the "
                        f"new one through their finer areas in the crosswalk ({len(olds)} old areas), weighted by "
                        f"{weights}"]
    return empty, [] if olds & with_values else nothing


def _carried_note(obs: pd.DataFrame, crosswalk: pd.DataFrame, regions: pd.DataFrame) -> list[str]:
    """What the crosswalk itself carries: how many areas with values go onto others, onto how many, and on which
    levels (a Land's Gemeinden onto those of its latest stand, Berlin's old Planungsräume onto the new ones)."""
    cw = crosswalk[crosswalk["old_id"].astype(str) != crosswalk["new_id"].astype(str)]
    with_values = set(obs.loc[obs["value"].notna(), "region_id"].astype(str))
    moving = cw[cw["old_id"].astype(str).isin(with_values)]
    if moving.empty:
        return []
    levels = regions.set_index("region_id")["level"].reindex(moving["old_id"].astype(str).unique()).dropna()
    on = f" (level {', '.join(sorted(set(levels)))})" if len(levels) else ""
    olds, news = moving["old_id"].nunique(), moving["new_id"].nunique()
    return [f"crosswalk: the values of {olds} {'area' if olds == 1 else 'areas'}{on} carried onto {news} of the "
            f"crosswalk's new areas ({crosswalk['old_id'].nunique()} old codes in the crosswalk; "
            f"{crosswalk['old_id'].nunique() - moving['old_id'].nunique()} of them have no values here or stay "
            "themselves)"]


def _onto_new_grid(obs: pd.DataFrame, crosswalk: pd.DataFrame, catalog: Catalog,
                   population_indicator: str) -> tuple[pd.DataFrame, list[str]]:
    """The observations of the old areas carried onto the new ones. A code of the old grid that the new grid uses
    again for another area (the crosswalk sends part of it elsewhere) is carried only in the periods before the
    new grid's first: from then on its values are the new area's."""
    cw = crosswalk.assign(old_id=crosswalk["old_id"].astype(str), new_id=crosswalk["new_id"].astype(str))
    olds, news = set(cw["old_id"]), set(cw["new_id"])
    moved = set(cw.loc[cw["old_id"] != cw["new_id"], "old_id"])
    reused = sorted(olds & news & moved)
    only_new = obs["region_id"].astype(str).isin(news - olds) & obs["value"].notna()
    if not reused or not only_new.any():
        return harmonise_boundaries(obs, crosswalk, catalog, population_indicator), _left_note(obs, cw, catalog)
    first = str(obs.loc[only_new, "period"].astype(str).min())
    later = obs["region_id"].astype(str).isin(reused) & (obs["period"].astype(str) >= first)
    carried = harmonise_boundaries(obs[~later], crosswalk, catalog, population_indicator)
    return pd.concat([carried, obs[later]], ignore_index=True), _left_note(obs[~later], cw, catalog) + [
        f"crosswalk: {len(reused)} {'code' if len(reused) == 1 else 'codes'} of the old grid "
        f"{'names another area' if len(reused) == 1 else 'name other areas'} in the new one "
        f"({', '.join(reused[:5])}{' …' if len(reused) > 5 else ''}); values under "
        f"{'it' if len(reused) == 1 else 'them'} from {first} on, the new grid's first period, are taken as the new "
        "areas' and not carried"]


def _left_note(obs: pd.DataFrame, crosswalk: pd.DataFrame, catalog: Catalog) -> list[str]:
    """A note on the values the crosswalk cannot carry (catalog ``carried`` false) where areas merge or split."""
    left = obs[not_carried(obs, crosswalk, catalog) & obs["value"].notna().to_numpy()]
    if left.empty:
        return []
    counts = left.groupby("indicator_id")["region_id"].nunique()
    names = ", ".join(f"{i} of {n} old {'area' if n == 1 else 'areas'}" for i, n in counts.items())
    return [f"crosswalk: {names} not carried where areas merge or split, left empty on the new grid (catalog "
            "column carried: false, a value of the area as a whole that neither adds up nor averages); an area that "
            f"stays as it was keeps its value, also one that gives or takes no more than {SLIVER:.0%} of an area"]

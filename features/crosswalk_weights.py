"""Weights for a crosswalk that has none: a table of old and new codes alone, as an office publishes the
re-numbering or re-cutting of its small areas ("Zuordnung alt – neu").

What the pairs say is enough where an old area goes whole into one new area: renamed, kept, or merged with others
(weight 1). Where an old area was split, its parts' residents decide how its counts are shared: the residents of
the new areas in the first period in which all of them have a value, the nearest to the change. A share or a
mean of the old area reaches each of its parts unchanged whatever the weights, since each part comes from it
alone. A split into new areas that also take parts of other old areas cannot be weighted from the pairs: the
crosswalk needs weights there, and the error names the areas.
"""

from __future__ import annotations

import pandas as pd

SHOWN = 5


def _named(ids, total: int) -> str:
    ids = sorted(ids)
    return ", ".join(ids[:SHOWN]) + (f" … ({total} in all)" if total > SHOWN else "")


def _areas(n: int) -> str:
    return f"{n} split area{'' if n == 1 else 's'}"


def complete_weights(crosswalk: pd.DataFrame, obs: pd.DataFrame,
                     population_indicator: str) -> tuple[pd.DataFrame, list[str]]:
    """``crosswalk`` (old_id, new_id, weight) with every empty weight filled from the pairs and the residents in
    ``obs`` (``population_indicator``), and one note saying how; a crosswalk whose weights are all given is
    returned as it is, without a note. Raises ``FeatureError`` for an old area split into new areas that take
    parts of other old areas too."""
    if not crosswalk["weight"].isna().any():
        return crosswalk, []
    cw = crosswalk.assign(old_id=crosswalk["old_id"].astype(str), new_id=crosswalk["new_id"].astype(str))
    cw = cw.reset_index(drop=True)
    open_ = cw["weight"].isna()
    mixed = open_.groupby(cw["old_id"]).transform("nunique") > 1
    if mixed.any():
        from features.pipeline import FeatureError

        olds = cw.loc[mixed, "old_id"].unique()
        raise FeatureError(f"crosswalk: {len(olds)} old area(s) ({_named(olds, len(olds))}) have a weight towards "
                           "some of their new areas and none towards others: give all of an old area's rows a weight, "
                           "or none")
    targets = cw.groupby("old_id")["new_id"].transform("size")
    sources = cw.groupby("new_id")["old_id"].transform("size")
    tangled = open_ & (targets > 1) & (sources > 1)
    if tangled.any():
        from features.pipeline import FeatureError

        olds = cw.loc[tangled, "old_id"].unique()
        raise FeatureError(
            f"crosswalk without weights: {len(olds)} old area(s) ({_named(olds, len(olds))}) are split into new "
            "areas that take parts of other old areas too; how much of each goes where cannot be told from the "
            "codes alone: give the crosswalk a weight column (the old area's share in each new one, e.g. by its "
            "residents or its area)")
    whole = open_ & (targets == 1)
    cw.loc[whole, "weight"] = 1.0
    split = cw[open_ & (targets > 1)]
    notes = []
    merged = cw[whole & (sources > 1)]
    counts = [f"{int((whole & (sources == 1)).sum())} renamed or kept"]
    if len(merged):
        counts.append(f"{merged['old_id'].nunique()} merged into {merged['new_id'].nunique()}")
    if len(split):
        weights, said = _split_weights(split, obs, population_indicator)
        cw.loc[split.index, "weight"] = weights
        counts.append(f"{split['old_id'].nunique()} split into {len(split)}")
        notes.extend(said)
    olds = cw.loc[open_, "old_id"].nunique()
    notes.insert(0, (f"crosswalk without weights ({len(cw)} pairs of codes): of its {olds} old areas " if open_.all()
                     else f"crosswalk: {int(open_.sum())} of its {len(cw)} pairs without a weight, completed: of "
                     f"their {olds} old areas ") + ", ".join(counts))
    return cw, ["; ".join(notes)]


def _split_weights(split: pd.DataFrame, obs: pd.DataFrame, population_indicator: str) -> tuple[pd.Series, list[str]]:
    """For the rows of split old areas: each new part's share of the residents of the parts in the first period in
    which the most of them have residents (all, as a rule). A part without residents then gets none of the old
    area (a new estate not yet lived in); a split none of whose parts has residents goes in equal parts. And what
    the note says of it."""
    residents = obs.loc[(obs["indicator_id"] == population_indicator) & obs["value"].notna()
                        & obs["region_id"].astype(str).isin(set(split["new_id"])), ["region_id", "period", "value"]]
    residents = residents.assign(region_id=residents["region_id"].astype(str), period=residents["period"].astype(str))
    rows = split.reset_index().merge(residents, left_on="new_id", right_on="region_id")
    rows = rows[rows.groupby(["old_id", "period"])["value"].transform("sum") > 0]
    cover = rows.groupby(["old_id", "period"]).size().rename("parts").reset_index()
    best = cover.sort_values(["old_id", "parts", "period"], ascending=[True, False, True]).drop_duplicates("old_id")
    rows = rows.merge(best, on=["old_id", "period"])
    share = (rows["value"] / rows.groupby("old_id")["value"].transform("sum")).set_axis(rows["index"].to_numpy())
    size = split.groupby("old_id").size()
    weighted = set(rows["old_id"])
    equal = pd.Series(1.0 / size.reindex(split["old_id"]).to_numpy(), index=split.index)
    weights = share.reindex(split.index).fillna(equal.where(~split["old_id"].isin(weighted), 0.0))
    said = []
    if weighted:
        periods = sorted(set(rows["period"]))
        when = periods[0] if len(periods) == 1 else f"{periods[0]}–{periods[-1]}"
        partial = int((rows.groupby("old_id").size() < size.reindex(sorted(weighted))).sum())
        said.append(f"{_areas(len(weighted))} shared out by their parts' residents ({population_indicator}) in "
                    f"{when}, the first period in which all parts" + (
                        f" (for {partial} of them: the most parts)" if partial else "") + " have them")
    empty = split.loc[split["old_id"].isin(weighted) & ~split.index.isin(rows["index"]), "new_id"].unique()
    if len(empty):
        said.append(f"{len(empty)} part{'' if len(empty) == 1 else 's'} without residents then "
                    f"({_named(empty, len(empty))}) {'gets' if len(empty) == 1 else 'get'} none of "
                    f"{'its' if len(empty) == 1 else 'their'} old area's values")
    rest = sorted(set(split["old_id"]) - weighted)
    if rest:
        said.append(f"{_areas(len(rest))} ({_named(rest, len(rest))}) in equal parts, since none of "
                    f"{'its' if len(rest) == 1 else 'their'} parts has residents ({population_indicator}): counts "
                    "shared so are estimates (flagged), shares and means reach each part unchanged")
    return weights, said

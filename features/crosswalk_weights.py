"""Weights for a crosswalk that has none: a table of old and new codes alone, as an office publishes the
re-numbering or re-cutting of its small areas ("Zuordnung alt – neu").

What the pairs say is enough where an old area goes whole into one new area: renamed, kept, or merged with others
(weight 1). Where an old area was split, its parts' residents decide how its counts are shared: the residents of
the new areas in the first period in which all of them have a value, the nearest to the change. A share or a
mean of the old area reaches each of its parts unchanged whatever the weights, since each part comes from it
alone. Where old areas are split into new areas that take parts of other old areas as well, the pairs and the
residents on both sides are fitted to each other (iterative proportional fitting): each old area sends its
residents, each new area receives its own. Where the pairs form no loop this has one answer, which the fit finds;
where they do, it is the most even of the answers that fit. Without residents of such old areas the crosswalk
needs weights there, and the error names the areas.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SHOWN = 5


def _named(ids) -> str:
    ids = sorted(ids)
    return ", ".join(ids[:SHOWN]) + (f" … ({len(ids)} in all)" if len(ids) > SHOWN else "")


def _refuse(message: str):
    """Raise the pipeline's ``FeatureError`` (imported here: the pipeline imports this module)."""
    from features.pipeline import FeatureError

    raise FeatureError(message)


def _residents(obs: pd.DataFrame, population_indicator: str, ids) -> pd.DataFrame:
    """The known residents of the regions ``ids``: region_id, period (both as text) and value."""
    rows = obs.loc[(obs["indicator_id"] == population_indicator) & obs["value"].notna()
                   & obs["region_id"].astype(str).isin(set(ids)), ["region_id", "period", "value"]]
    return rows.assign(region_id=rows["region_id"].astype(str), period=rows["period"].astype(str))


def _areas(n: int) -> str:
    return f"{n} split area{'' if n == 1 else 's'}"


def complete_weights(crosswalk: pd.DataFrame, obs: pd.DataFrame,
                     population_indicator: str) -> tuple[pd.DataFrame, list[str]]:
    """``crosswalk`` (old_id, new_id, weight) with every empty weight filled from the pairs and the residents in
    ``obs`` (``population_indicator``), and one note saying how; a crosswalk whose weights are all given is
    returned as it is, without a note. Old areas split into new areas that take parts of other old areas too are
    weighed by fitting their residents to the new areas' (:func:`_fitted_weights`); ``FeatureError`` where the
    store lacks those residents."""
    if not crosswalk["weight"].isna().any():
        return crosswalk, []
    cw = crosswalk.assign(old_id=crosswalk["old_id"].astype(str), new_id=crosswalk["new_id"].astype(str))
    cw = cw.reset_index(drop=True)
    open_ = cw["weight"].isna()
    mixed = open_.groupby(cw["old_id"]).transform("nunique") > 1
    if mixed.any():
        olds = cw.loc[mixed, "old_id"].unique()
        _refuse(f"crosswalk: {len(olds)} old area(s) ({_named(olds)}) have a weight towards "
                           "some of their new areas and none towards others: give all of an old area's rows a weight, "
                           "or none")
    targets = cw.groupby("old_id")["new_id"].transform("size")
    sources = cw.groupby("new_id")["old_id"].transform("size")
    group = _tangled(cw, open_ & (targets > 1) & (sources > 1))
    tangled = group >= 0
    if (tangled & ~open_).any():
        olds = cw.loc[tangled & ~open_, "old_id"].unique()
        _refuse(f"crosswalk: old areas without weights are split into new areas that also take parts of "
                           f"old areas with weights ({_named(olds)}): the fit cannot tell how much the "
                           "former sent where; give these rows weights too, or none")
    whole = open_ & (targets == 1) & ~tangled
    cw.loc[open_ & (targets == 1), "weight"] = 1.0
    split = cw[open_ & (targets > 1) & ~tangled]
    notes = []
    merged = cw[whole & (sources > 1)]
    kept = int((whole & (sources == 1)).sum())
    counts = [f"{kept} renamed or kept"] if kept else []
    if len(merged):
        counts.append(f"{merged['old_id'].nunique()} merged into {merged['new_id'].nunique()}")
    if len(split):
        weights, said = _split_weights(split, obs, population_indicator)
        cw.loc[split.index, "weight"] = weights
        counts.append(f"{split['old_id'].nunique()} split into {len(split)}")
        notes.extend(said)
    if tangled.any():
        rows = cw[tangled]
        cw.loc[rows.index, "weight"], said = _fitted_weights(rows, group[tangled], obs, population_indicator)
        counts.append(f"{rows['old_id'].nunique()} split or merged at once into {rows['new_id'].nunique()} (in "
                      f"{group[tangled].nunique()} group{'' if group[tangled].nunique() == 1 else 's'})")
        notes.append(said)
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
    residents = _residents(obs, population_indicator, split["new_id"])
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
                    f"({_named(empty)}) {'gets' if len(empty) == 1 else 'get'} none of "
                    f"{'its' if len(empty) == 1 else 'their'} old area's values")
    rest = sorted(set(split["old_id"]) - weighted)
    if rest:
        said.append(f"{_areas(len(rest))} ({_named(rest)}) in equal parts, since none of "
                    f"{'its' if len(rest) == 1 else 'their'} parts has residents ({population_indicator}): counts "
                    "shared so are estimates (flagged), shares and means reach each part unchanged")
    return weights, said


def _tangled(cw: pd.DataFrame, seeds: pd.Series) -> pd.Series:
    """For each row, its group of old and new areas (linked by the pairs) where the group holds a row of ``seeds``
    (an old area split into a new one that takes parts of other old areas too), else -1."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if not seeds.any():
        return pd.Series(-1, index=cw.index)
    olds, old_at = np.unique(cw["old_id"].to_numpy(), return_inverse=True)
    _, new_at = np.unique(cw["new_id"].to_numpy(), return_inverse=True)
    nodes = len(olds) + new_at.max() + 1
    graph = coo_matrix((np.ones(len(cw)), (old_at, len(olds) + new_at)), shape=(nodes, nodes))
    _, group = connected_components(graph, directed=False)
    group = group[old_at]
    return pd.Series(np.where(np.isin(group, group[seeds.to_numpy()]), group, -1), index=cw.index)


def _fitted_weights(rows: pd.DataFrame, group: pd.Series, obs: pd.DataFrame,
                    population_indicator: str) -> tuple[pd.Series, str]:
    """Weights for old areas split into new ones that take parts of others as well: how many residents went along
    each pair, fitted so that each old area sends its residents (its last period before the new areas'), scaled to
    the new total of its ``group``, and each new area receives its own (the first period in which the most of them
    have residents) — iterative proportional fitting, exact where the pairs form no loop. Each old area's weights
    are its flows' shares. Raises ``FeatureError`` where an old area has no residents before the new areas'."""
    later = _residents(obs, population_indicator, rows["new_id"])
    cover = later.groupby("period")["region_id"].nunique()
    if cover.empty:
        return pd.Series(1.0, index=rows.index) / rows.groupby("old_id")["new_id"].transform("size"), (
            f"those split or merged at once in equal parts: no residents ({population_indicator}) of their new areas "
            "are known (estimates, flagged)")
    period = cover[cover == cover.max()].index.min()
    received = later[later["period"] == period].set_index("region_id")["value"]
    before = _residents(obs, population_indicator, rows["old_id"])
    before = before[before["period"] < period]
    sent = before.sort_values("period").groupby("region_id")["value"].last()
    lacking = sorted(set(rows["old_id"]) - set(sent.index))
    if lacking:
        _refuse(
            f"crosswalk without weights: {len(lacking)} old area(s) ({_named(lacking)}) are split into "
            "new areas that take parts of other old areas too, and the store has no residents "
            f"({population_indicator}) of them before {period} to tell how much went where: give the crosswalk a "
            "weight column (the old area's share in each new one, e.g. by its residents or its area)")
    old_at = pd.factorize(rows["old_id"])
    new_at = pd.factorize(rows["new_id"])
    out = sent.reindex(old_at[1]).to_numpy(dtype=float)
    into = received.reindex(new_at[1]).fillna(0.0).to_numpy(dtype=float)
    of_old = group.groupby(rows["old_id"]).first().reindex(old_at[1]).to_numpy()
    of_new = group.groupby(rows["new_id"]).first().reindex(new_at[1]).to_numpy()
    into_sum = pd.Series(into).groupby(of_new).sum()
    out_sum = pd.Series(out).groupby(of_old).sum()
    out = out * (into_sum / out_sum.where(out_sum > 0)).fillna(0.0).reindex(of_old).to_numpy()
    # where the pairs form no loop the margins fix every flow: read them off leaf by leaf, exactly (the fit from
    # ones converges slowly where a flow lies near zero); otherwise, or where the margins disagree, the fit finds it
    peeled = _peeled(old_at[0], new_at[0], out, into)
    flow = peeled if peeled is not None else np.ones(len(rows))
    have = np.bincount(old_at[0], flow, len(out))
    for _ in range(5000):      # each round meets the old margins, then the new ones; until both hold
        flow *= np.divide(out, have, out=np.zeros_like(out), where=have > 0)[old_at[0]]
        got = np.bincount(new_at[0], flow, len(into))
        flow *= np.divide(into, got, out=np.zeros_like(into), where=got > 0)[new_at[0]]
        have = np.bincount(old_at[0], flow, len(out))
        if np.allclose(have, out, rtol=1e-10, atol=1e-9):
            break
    total = have[old_at[0]]
    equal = 1.0 / rows.groupby("old_id")["new_id"].transform("size").to_numpy()
    weights = np.where(total > 0, flow / np.where(total > 0, total, 1.0), equal)
    return pd.Series(weights, index=rows.index), (
        f"those split or merged at once shared out by fitting their residents ({population_indicator}, the last "
        f"period before {period}) to the new areas' of {period} (estimates, flagged)")


def _peeled(old: np.ndarray, new: np.ndarray, out: np.ndarray, into: np.ndarray) -> np.ndarray | None:
    """The flows along the pairs (``old[k]`` → ``new[k]``) that send ``out`` from each old area and bring ``into``
    each new one, where the pairs form no loop: an area with one pair left gives that pair its remaining margin,
    until every pair is known. None where a loop leaves pairs open, a flow would be negative or the margins do not
    agree (an area's margin left over)."""
    n_old = len(out)
    ends = [np.asarray(old), np.asarray(new) + n_old]          # one numbering of old and new areas
    left = np.concatenate([out, into]).astype(float)
    pairs_of: list[list[int]] = [[] for _ in range(len(left))]
    for k, (a, b) in enumerate(zip(*ends)):
        pairs_of[a].append(k)
        pairs_of[b].append(k)
    flow = np.full(len(old), np.nan)
    open_count = np.array([len(p) for p in pairs_of])
    queue = [v for v in range(len(left)) if open_count[v] == 1]
    while queue:
        v = queue.pop()
        if open_count[v] != 1:
            continue
        k = next(k for k in pairs_of[v] if np.isnan(flow[k]))
        flow[k] = left[v]
        other = ends[1][k] if ends[0][k] == v else ends[0][k]
        left[v] = 0.0
        left[other] -= flow[k]
        open_count[v] -= 1
        open_count[other] -= 1
        if open_count[other] == 1:
            queue.append(other)
    scale = max(float(np.abs(out).max(initial=0.0)), 1.0)
    if np.isnan(flow).any() or (flow < -1e-9 * scale).any() or (np.abs(left) > 1e-9 * scale).any():
        return None
    return np.clip(flow, 0.0, None)

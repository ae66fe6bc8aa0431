"""Counts of a coarser level summed from its parts: a Bezirksregion's residents from its Planungsräume.

A city's register counts per Planungsraum; its planners read Bezirksregionenprofile too. Where ``features.level``
holds regions without a value of a count in a period, and the region list puts finer regions under them that have
one, the region's value is the sum of its parts — and the shares and rates of the catalog are then computed from the
summed counts, as at any level. Only counts add up (kind ``count`` and the signed ``balance``): a share, rate,
mean or index of the parts says nothing about the whole without the counts it rests on, and is named instead.

A sum is formed only where it is whole. The parts of a region in a period are its finer regions (of one level)
that appear in that period's tables at all, with any indicator: a Planungsraum of an earlier grid, gone from the
later editions, is no part of them, nor one formed later of the earlier ones. Every such part must have a value:
one without (a withheld small count, a row left empty) leaves the region without a sum, rather than a sum that is
too small or tells the withheld count. A part of the region list that appears in no table at all is named. A
period whose tables hold parts of regions that end (none of their parts in the latest period) beside parts of
regions that go on gets no sums: a region list as of the latest period keeps a Gemeinde merged away before under
its old Kreis, while those renumbered moved to the new one (Saxony before the Kreis reform of 2008). A region's own
value is never replaced. Where parts on two finer levels both give a whole sum, the coarser one's is
taken (fewer parts). A sum of parts of which one is estimated is estimated.
"""

from __future__ import annotations

import pandas as pd

from ml.catalog import Catalog

ADDITIVE = ("count", "balance")
"""Kinds of indicators whose values add up over the parts of a region."""
SHOWN = 5
"""Examples named in a note."""


def ancestors_at(regions: pd.DataFrame, ids, level: str) -> pd.Series:
    """For each region of ``ids``: itself if it is of ``level``, else its nearest ancestor of ``level`` in the
    region list (None where it has none)."""
    parent = regions.set_index("region_id")["parent_id"]
    level_of = regions.set_index("region_id")["level"]
    current = pd.Series(ids, index=ids, dtype=object)
    found = pd.Series(None, index=current.index, dtype=object)
    for _ in range(10):  # levels are few; this bounds a malformed parent cycle
        lv = level_of.reindex(current.to_numpy()).to_numpy()
        hit = (lv == level) & found.isna().to_numpy()
        found[hit] = current[hit]
        current = pd.Series(parent.reindex(current.to_numpy()).to_numpy(), index=current.index)
        if current.isna().all():
            break
    return found


def sum_up(obs: pd.DataFrame, regions: pd.DataFrame, catalog: Catalog | None, level: str,
           counts=()) -> tuple[pd.DataFrame, list[str]]:
    """``obs`` with the counts of the regions of ``level`` summed from their finer parts where the region has no
    observation of its own, and the notes that say what was summed and what could not be. The counts are the
    catalog's (kinds :data:`ADDITIVE`) and ``counts`` (indicator ids: a register's age groups, which the projection
    sums without a catalog)."""
    info = regions.set_index("region_id")
    at_level = set(info.index[info["level"] == level])
    inside = obs["region_id"].isin(at_level).to_numpy()
    if not at_level or inside.all():
        return obs, []
    # the finer regions' rows, slim: each region's ancestor and level looked up once per region, not per row
    codes, ids = pd.factorize(obs["region_id"].to_numpy()[~inside])
    up = ancestors_at(regions, ids, level).to_numpy(object)[codes]
    part_level = info["level"].reindex(ids).to_numpy(object)[codes]
    keep = pd.notna(up)
    if not keep.any():
        return obs, []
    rows = obs.loc[~inside, ["region_id", "indicator_id", "period", "value", "flag"]]
    finer = pd.DataFrame({"region_id": rows["region_id"].to_numpy()[keep], "up": up[keep],
                          "part_level": part_level[keep], "indicator_id": rows["indicator_id"].to_numpy()[keep],
                          "period": rows["period"].to_numpy()[keep], "value": rows["value"].to_numpy(float)[keep],
                          "flag": rows["flag"].to_numpy()[keep]})
    summable = {i.indicator_id for i in catalog or () if i.kind in ADDITIVE} | set(counts)
    additive = finer["indicator_id"].isin(summable).to_numpy()
    summed = set(finer.loc[additive, "indicator_id"])
    notes = _not_additive(obs, finer[~additive], at_level, catalog, level, summed) if catalog is not None else []
    rows = finer[additive]
    if rows.empty:
        return obs, notes
    # the parts of a region in a period: its finer regions of one level that appear in that period's tables, with a
    # row of their own or of a part of theirs (a Sozialregion whose count could not be summed is still a part of the
    # Kreis: the Kreis's count is not the sum of the other Sozialregionen)
    seen = _appearing(obs, info["parent_id"])
    seen = seen[~seen["region_id"].isin(at_level).to_numpy()]
    codes, seen_ids = pd.factorize(seen["region_id"].to_numpy())
    seen_up = ancestors_at(regions, seen_ids, level).to_numpy(object)[codes]
    parts = pd.DataFrame({"up": seen_up, "part_level": info["level"].reindex(seen_ids).to_numpy(object)[codes],
                          "period": seen["period"].to_numpy(), "region_id": seen["region_id"].to_numpy()})
    parts = parts[pd.notna(seen_up)].groupby(["up", "part_level", "period"], sort=False)["region_id"].nunique(
    ).rename("parts")
    est = rows["value"].notna() & rows["flag"].isin(("estimated", "imputed"))
    sums = rows.assign(est=est).groupby(["up", "part_level", "indicator_id", "period"], sort=False).agg(
        value=("value", "sum"), valued=("value", "count"), estimated=("est", "any")).reset_index()
    sums = sums.join(parts, on=["up", "part_level", "period"])
    key = ["up", "indicator_id", "period"]
    own = pd.MultiIndex.from_frame(obs.loc[inside, ["region_id", "indicator_id", "period"]])
    mixed, said = _mixed_periods(finer, info["name"], info["parent_id"], level)
    sums = sums[~pd.MultiIndex.from_frame(sums[key]).isin(own) & ~sums["period"].isin(mixed)]
    notes += said
    sums = sums.assign(whole=sums["valued"] == sums["parts"])
    # a region-period-count is summed from its coarsest finer level that gives a whole sum, else named as lacking
    any_whole = sums.groupby(key, sort=False)["whole"].transform("any")
    taken = sums[sums["whole"]].sort_values("parts", kind="stable").drop_duplicates(key)
    lacking = sums[~any_whole]
    names = info["name"]
    if len(taken):
        added = pd.DataFrame({c: pd.Series(dtype=obs[c].dtype) for c in obs.columns}).reindex(range(len(taken)))
        added["region_id"] = taken["up"].to_numpy()
        added["indicator_id"] = taken["indicator_id"].to_numpy()
        added["period"] = taken["period"].to_numpy()
        added["value"] = taken["value"].to_numpy(float)
        added["flag"] = ["estimated" if e else "ok" for e in taken["estimated"]]
        obs = pd.concat([obs, added.astype({c: obs[c].dtype for c in ("region_id", "indicator_id", "period")})],
                        ignore_index=True)
        notes.append(_summed_note(taken, level, derived=catalog is not None))
        notes.extend(_never_note(regions, finer, taken, names, level))
    if len(lacking):
        notes.append(_lacking_note(lacking, finer, names, level))
    return obs, notes


def _appearing(obs: pd.DataFrame, parent: pd.Series) -> pd.DataFrame:
    """Each region and period (``region_id``, ``period``) with a row in ``obs``, of its own or of a region below it
    (``parent``: the region list's parent of each region)."""
    cur = obs[["region_id", "period"]].drop_duplicates()
    found = [cur]
    for _ in range(10):  # levels are few; this bounds a malformed parent cycle
        up = parent.reindex(cur["region_id"].to_numpy()).to_numpy(object)
        keep = pd.notna(up)
        if not keep.any():
            break
        cur = pd.DataFrame({"region_id": up[keep], "period": cur["period"].to_numpy()[keep]}).drop_duplicates()
        found.append(cur)
    return pd.concat(found, ignore_index=True).drop_duplicates()


def _mixed_periods(finer: pd.DataFrame, names: pd.Series, parents: pd.Series, level: str) -> tuple[list, list[str]]:
    """The periods whose tables hold parts of regions that end — that hold no part in the latest period of the
    regions beside them (under the same parent, else of all) — beside parts of regions that go on, and the note
    naming them. A region list as of the latest period keeps a Gemeinde merged away before it under its old Kreis,
    while the Gemeinden renumbered into a new Kreis moved there: in those periods the new Kreise would miss the
    merged ones, and the old Kreise hold only them. Nothing is summed there. A Land's register reaching later than
    the census of every Land ends no other Land's Kreise: their parts stop where those of their Land's others do."""
    last = finer.groupby("up")["period"].max()
    parent = parents.reindex(last.index)
    beside = last.groupby(parent.fillna("").to_numpy()).transform("max").where(parent.notna(), last.max())
    ended = last.index[last < beside]
    if not len(ended):
        return [], []
    share = finer.assign(ended=finer["up"].isin(set(ended))).groupby("period")["ended"].mean()
    mixed = sorted(share.index[(share > 0) & (share < 1)])
    if not mixed:
        return [], []
    shown = [f"{r} ({names.get(r, r)}, last {last[r]})" for r in sorted(ended)]
    return mixed, [
        f"{level}: no sums in {len(mixed)} period{'s' if len(mixed) > 1 else ''} ({', '.join(map(str, mixed[:8]))}"
        f"{' …' if len(mixed) > 8 else ''}): their tables hold parts of {len(ended)} "
        f"region{'s' if len(ended) > 1 else ''} of this level that hold none in the latest period of the regions "
        "beside them "
        f"({_examples(shown, len(shown))}) beside parts of regions that go on, so the regions of the latest grid "
        "would miss the parts of the ended ones (areas merged away before, still under their old region?); a "
        "crosswalk of the parts onto their successors (features --crosswalk) carries them"]


def _examples(items: list[str], total: int) -> str:
    return ", ".join(items[:SHOWN]) + (f" and {total - SHOWN} more" if total > SHOWN else "")


def _summed_note(taken: pd.DataFrame, level: str, derived: bool) -> str:
    indicators = sorted(taken["indicator_id"].unique())
    periods = sorted(taken["period"].astype(str).unique())
    from_levels = ", ".join(sorted(taken["part_level"].astype(str).unique()))
    estimated = int(taken["estimated"].sum())
    said = _examples(indicators, len(indicators))
    return (f"{level}: {len(indicators)} count{'s' if len(indicators) > 1 else ''} ({said}) "
            f"summed from their parts on the level {from_levels} for {taken['up'].nunique():,} regions "
            f"in {len(periods)} period{'s' if len(periods) > 1 else ''} ({periods[0]}"
            f"{'–' + periods[-1] if len(periods) > 1 else ''}; {len(taken):,} values, where the region has none of "
            "its own and every part that appears in the period's tables has one)"
            + ("; shares and rates of the catalog are computed from the sums" if derived else "")
            + (f"; {estimated:,} of the sums include an estimated part and are marked estimated" if estimated else ""))


def _never_note(regions: pd.DataFrame, finer: pd.DataFrame, taken: pd.DataFrame, names: pd.Series,
                level: str) -> list[str]:
    """Parts in the region list under the summed regions, on the levels summed, that appear in no table at all."""
    levels = set(taken["part_level"])
    candidates = regions[regions["level"].isin(levels)]
    up = ancestors_at(regions, candidates["region_id"].to_numpy(), level)
    under = set(up.index[up.isin(set(taken["up"]))])
    never = sorted(under - set(finer["region_id"]))
    if not never:
        return []
    shown = [f"{r} ({names.get(r, r)})" for r in never]
    return [f"{level}: {len(never)} part{'s' if len(never) > 1 else ''} of the summed regions in the region list "
            f"appear{'s' if len(never) == 1 else ''} in no table ({_examples(shown, len(never))}) and count"
            f"{'s' if len(never) == 1 else ''} as none in the sums (formed later, or too small to publish?)"]


def _lacking_note(lacking: pd.DataFrame, finer: pd.DataFrame, names: pd.Series, level: str) -> str:
    """The regions left without a sum because a part lacks the value, with one example's parts named."""
    first = lacking.sort_values(["up", "period", "indicator_id"]).iloc[0]
    rows = finer[(finer["up"] == first["up"]) & (finer["period"] == first["period"])
                 & (finer["part_level"] == first["part_level"])]
    known = set(rows.loc[(rows["indicator_id"] == first["indicator_id"]) & rows["value"].notna(), "region_id"])
    missing = sorted(set(rows["region_id"]) - known)
    said = ", ".join(f"{r} ({names.get(r, r)})" for r in missing[:SHOWN])
    n = lacking["up"].nunique()
    return (f"{level}: {len(lacking):,} count{'s' if len(lacking) > 1 else ''} of {n:,} region{'s' if n > 1 else ''} "
            "not summed from their parts, because a part has no value (withheld, or not in that table) — a sum "
            f"would be too small or tell the withheld count; e.g. {first['up']} "
            f"({names.get(first['up'], first['up'])}) {first['indicator_id']} {first['period']}: {len(missing)} of "
            f"{int(first['parts'])} parts without a value ({said})")


def _not_additive(obs: pd.DataFrame, rest: pd.DataFrame, at_level: set, catalog: Catalog, level: str,
                  summed: set = frozenset()) -> list[str]:
    """The indicators of finer regions that do not add up and that the level has no value of; a share or rate
    whose two counts are summed here is computed from the sums and not named."""
    if rest.empty:
        return []
    held = set(obs.loc[obs["region_id"].isin(at_level) & obs["value"].notna(), "indicator_id"])
    ids = sorted(set(rest.loc[rest["value"].notna(), "indicator_id"]) - held)
    known = {i.indicator_id: i for i in catalog}
    ids = [i for i in ids if i in known and not {known[i].numerator, known[i].denominator} <= summed]
    if not ids:
        return []
    levels = ", ".join(sorted(rest["part_level"].astype(str).unique()))
    what = ("are shares, rates, means or indices: they do not" if len(ids) > 1 else
            "is a share, rate, mean or index: it does not")
    return [f"{level}: {len(ids)} indicator{'s' if len(ids) > 1 else ''} of the level {levels} "
            f"({_examples(ids, len(ids))}) {what} add up to their regions of "
            "this level without the counts they rest on (import those counts, or the values of this level)"]

"""The checks an import runs, right after its files, over every edition the store holds of the indicators they
brought: what ``features`` will find and do, said on arrival, so that a nightly job learns of a defective edition
when it arrives."""

from __future__ import annotations

import pandas as pd


def misplaced_after_import(store, indicators: list[str], catalog=None, population: str | None = None) -> list[str]:
    """Right after an import, over everything the store holds of the ``indicators`` it brought, per level: the editions
    whose values in a group of regions contradict the editions around them (:mod:`features.misplaced`), saying what
    ``features`` will do; with the ``catalog``, single counts another region's row gave
    (:mod:`features.copied_cells`) and editions on another level (:mod:`features.level_steps`); an edition of one
    spatial level that holds another's values, by the level below or above (:mod:`features.wrong_edition`;
    ``population`` weighs the parts' means), whose values the other checks then do without, as ``features`` does;
    blocks copied from the year before (:mod:`features.copied_blocks`); a change of grid (:mod:`ml.grid_change`).
    One line each."""
    from features.copied_blocks import copied_block_notes, copied_blocks
    from features.copied_cells import copied_cells
    from features.level_steps import level_step_notes, level_steps
    from features.misplaced import ancestor_groupings, group_label, leave_out, misplaced_editions, regions_of
    from features.steps import copied_years
    from features.wrong_edition import wrong_edition_notes, wrong_edition_rows, wrong_editions
    from ml.grid_change import grid_change_notes, grid_changes, presence
    from ml.held_values import apart_edition_notes, apart_editions
    from ml.age_groups import PREFIX as AGE_PREFIX

    indicators = [i for i in indicators if not i.startswith(AGE_PREFIX)]   # the projection's input, not profiles'
    if not indicators:
        return []
    regions = store.regions()
    names = regions.set_index("region_id")["name"]
    obs = store.observations(sorted(set(indicators)))
    level = regions.set_index("region_id")["level"].reindex(obs["region_id"]).to_numpy()
    lines = []
    weights = store.observations([population]) if population and population not in indicators else obs.iloc[:0]
    wrong = [w for w in wrong_editions(pd.concat([obs, weights], ignore_index=True), regions, catalog, population)
             if w.indicator_id in indicators]
    # the other checks see the editions as 'features' will: without the values of a file of another year
    obs, _ = leave_out(obs, wrong_edition_rows(obs, [w for w in wrong if w.certain], regions), catalog or [])
    for lv in sorted({str(x) for x in level if isinstance(x, str)}):
        ids = regions.loc[regions["level"] == lv, "region_id"]
        at = obs[level == lv]
        groupings, copied = ancestor_groupings(regions, ids), copied_years(at, catalog)
        for m in misplaced_editions(at, groupings, catalog, copied):
            lines.append(f"{m.period}: the values of {m.indicator_id} in {regions_of(m, group_label(m, names), lv)} "
                         "do not follow the editions "
                         + ("before and after" if m.both_sides else "beside them")
                         + (": 'features' will leave them out" if m.both_sides else
                            " (first or last edition): 'features' will name them")
                         + f" (e.g. {', '.join(m.regions[:3])}); check the source table")
        lines += copied_block_notes(copied_blocks(at, groupings, copied), names)
        for c in copied_cells(at, catalog) if catalog is not None else []:
            twins = ", ".join(f"{t} ({names.get(t, t)})" for t in c.twins[:3])
            lines.append(f"{c.period}: the value of {c.indicator_id} in {c.region_id} ({names.get(c.region_id, '')}), "
                         f"{c.value:g}, is that of {twins} and departs from the editions before and after "
                         f"({c.before:g}, {c.after:g}): 'features' will leave it out; check the source table")
        if catalog is not None:
            lines += level_step_notes(level_steps(at, catalog), lv)
    lines += wrong_edition_notes(wrong, at_import=True)
    if catalog is not None:
        lines += apart_edition_notes(apart_editions(obs, catalog))
    present = presence(obs)
    present["level"] = regions.set_index("region_id")["level"].reindex(present["region_id"]).to_numpy()
    lines += grid_change_notes(grid_changes(present.dropna()))
    return lines

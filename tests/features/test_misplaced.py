"""Editions whose rows went wrong in one block of areas (features.misplaced): found where a group's edition leaves
its neighbours and the rest agrees, not where an indicator is noisy, a whole group moves, or areas are renumbered."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from features.misplaced import LEFT_OUT_COLUMNS, ancestor_groupings, misplaced_editions, misplaced_notes, withhold
from ml.catalog import Catalog, Indicator


def panel(n_groups=3, per_group=15, periods=range(2010, 2016), seed=0, noise=0.0, spread=10.0):
    """Counts per region and year: a level per region (apart by ``spread``), a common slow trend, some noise."""
    rng = np.random.default_rng(seed)
    rows = []
    for g in range(n_groups):
        for i in range(per_group):
            region = f"{g:02d}{i:03d}"
            level = 100 + spread * rng.permutation(per_group * n_groups)[g * per_group + i]
            for t, year in enumerate(periods):
                rows.append((region, "ew", str(year), level * (1 + 0.01 * t) + noise * rng.normal()))
    return pd.DataFrame(rows, columns=["region_id", "indicator_id", "period", "value"])


def groups_of(obs: pd.DataFrame) -> list[pd.Series]:
    ids = obs["region_id"].unique()
    return [pd.Series([r[:2] for r in ids], index=ids), pd.Series("alle", index=ids)]


def shuffle(obs: pd.DataFrame, group: str, period: str, order=None) -> pd.DataFrame:
    """The values of ``group``'s regions in ``period`` given to other regions of the group: the largest to the
    smallest and so on (or in ``order`` of the rows)."""
    out = obs.copy()
    hit = out["region_id"].str.startswith(group) & (out["period"] == period)
    vals = out.loc[hit, "value"].to_numpy()
    if order is None:
        ranks = np.argsort(np.argsort(vals))
        out.loc[hit, "value"] = np.sort(vals)[::-1][ranks]
    else:
        out.loc[hit, "value"] = vals[order]
    return out


def test_a_block_of_rows_permuted_in_one_edition_is_found_in_its_group():
    obs = shuffle(panel(), "01", "2012")
    found = misplaced_editions(obs, groups_of(obs))
    assert [(m.indicator_id, m.period, m.group) for m in found] == [("ew", "2012", "01")]
    m = found[0]
    assert m.both_sides and m.of == 15
    assert set(m.regions) <= {f"01{i:03d}" for i in range(15)} and len(m.regions) >= 10
    assert m.rho_before < 0 and m.rho_after < 0 and m.rho_elsewhere == pytest.approx(1.0)


def test_an_old_grids_last_edition_is_tested_as_its_last_and_a_new_grids_first_as_its_first():
    """A store with an old grid (groups 00–02, 2010–2015) and a new one after it (groups 10–12, 2016–2021; other
    codes): the old grid's last edition has no edition after it there, the new grid's first none before. Each is
    tested as an end of its own series — named, kept, and said to be the last (first) edition that can be compared
    there —, where it was not tested at all."""
    old = panel(periods=range(2010, 2016))
    new = panel(periods=range(2016, 2022), seed=1).assign(region_id=lambda f: "1" + f["region_id"].str[1:])
    for obs, period, group, side in ((shuffle(old, "01", "2015"), "2015", "01", "last"),
                                     (shuffle(new, "12", "2016"), "2016", "12", "first")):
        both = pd.concat([obs, new if side == "last" else old], ignore_index=True)
        found = misplaced_editions(both, groups_of(both))
        assert [(m.period, m.group, m.both_sides, m.group_end) for m in found] == [(period, group, False, True)]
        assert (found[0].rho_after if side == "last" else found[0].rho_before) is None
        note = misplaced_notes(found, pd.Series(dtype=str), Catalog({}))[0]
        assert (f"this is the {side} edition that can be compared there (too few of its regions have values "
                f"{'after' if side == 'last' else 'before'} it") in note
        assert note.endswith("kept; check the source table") and "next edition will tell" not in note
        kept, table = withhold(both.assign(numerator=np.nan, denominator=np.nan), found, Catalog({}),
                               pd.Series(dtype=str))
        assert table.empty
    # the same grids without a misplacement: nothing named
    assert misplaced_editions(pd.concat([old, new], ignore_index=True), groups_of(pd.concat([old, new]))) == []
    # areas that joined later: four of a group's fifteen without values until 2011, too few left to compare there
    obs = shuffle(panel(), "01", "2012")
    obs = obs[~(obs["region_id"].isin([f"01{i:03d}" for i in range(4)]) & obs["period"].isin(["2010", "2011"]))]
    found = misplaced_editions(obs, groups_of(obs))
    assert [(m.period, m.group, m.both_sides, m.group_end, m.rho_before) for m in found] == [
        ("2012", "01", False, True, None)]


def test_one_region_with_zero_is_named_alone():
    obs = panel()
    # the group's two largest areas get 0 (a value missing, written as 0): INKAR's tax revenue of Leipzig in 1997
    cell = obs[obs["region_id"].str.startswith("02") & (obs["period"] == "2013")]
    largest = cell.nlargest(2, "value")
    obs.loc[largest.index, "value"] = 0.0
    found = misplaced_editions(obs, groups_of(obs))
    assert [(m.period, m.group, m.regions, m.of) for m in found] == [
        ("2013", "02", tuple(sorted(largest["region_id"])), 15)]


def test_nothing_is_found_in_a_steady_series_or_a_noisy_one():
    steady = panel(noise=0.5)
    assert misplaced_editions(steady, groups_of(steady)) == []
    # a change over two years: consecutive editions disagree anyway, so none can stand out
    rng = np.random.default_rng(3)
    noisy = steady.assign(value=rng.normal(size=len(steady)))
    noisy = shuffle(noisy, "01", "2012")
    assert misplaced_editions(noisy, groups_of(noisy)) == []


def test_areas_renumbered_for_good_are_no_misplaced_edition():
    obs = panel()
    order = np.arange(15)[::-1]
    for year in ("2013", "2014", "2015"):          # the same new order from 2013 on
        obs = shuffle(obs, "00", year, order)
    assert misplaced_editions(obs, groups_of(obs)) == []


def test_a_whole_group_moving_against_the_others_is_no_misplaced_edition():
    obs = panel(n_groups=3, per_group=15)
    # a Land whose every value halves for one year (a double cohort, a redefinition): its own ranks stand
    hit = obs["region_id"].str.startswith("01") & (obs["period"] == "2012")
    obs.loc[hit, "value"] *= 0.2
    assert misplaced_editions(obs, groups_of(obs)) == []


def test_the_last_edition_is_named_but_not_left_out():
    obs = shuffle(panel(), "00", "2015")
    found = misplaced_editions(obs, groups_of(obs))
    assert [(m.period, m.group, m.both_sides, m.rho_after) for m in found] == [("2015", "00", False, None)]
    kept, table = withhold(obs.assign(numerator=np.nan, denominator=np.nan), found, Catalog({}), pd.Series(dtype=str))
    assert table.empty and list(table.columns) == LEFT_OUT_COLUMNS
    assert kept["value"].notna().all()
    note = misplaced_notes(found, pd.Series({"00": "Mitte"}), Catalog({}))[0]
    assert "00 (Mitte)" in note and "last edition" in note and "kept" in note


def test_a_small_group_is_judged_in_the_coarser_one():
    obs = panel(n_groups=2, per_group=15)
    # sub-groups of five regions: too small to test; the Bezirk of fifteen decides
    ids = obs["region_id"].unique()
    fine = pd.Series([r[:2] + str(int(r[2:]) // 5) for r in ids], index=ids)
    obs = shuffle(obs, "01", "2013")
    found = misplaced_editions(obs, [fine, *groups_of(obs)])
    assert [(m.period, m.group) for m in found] == [("2013", "01")]


def test_left_out_values_take_their_shares_with_them():
    obs = shuffle(panel(), "01", "2012")
    catalog = Catalog({}, indicators={
        "ew": Indicator("ew", "Einwohner mit Migrationshintergrund", "bevoelkerung", "Personen", 0, "count"),
        "einwohner": Indicator("einwohner", "Einwohner", "bevoelkerung", "Personen", 0, "count"),
        "anteil": Indicator("anteil", "Anteil", "bevoelkerung", "%", 0, "share", numerator="ew",
                            denominator="einwohner", scale=100.0)})
    found = misplaced_editions(obs, groups_of(obs))
    full = obs.assign(numerator=np.nan, denominator=np.nan, flag="ok")
    kept, table = withhold(full, found, catalog, pd.Series({"01": "Tempelhof-Schöneberg"}))
    named = set(found[0].regions)
    assert set(table.loc[table["indicator_id"] == "ew", "region_id"]) == named
    assert set(table.loc[table["indicator_id"] == "anteil", "region_id"]) == named
    assert table["reason"].str.contains("Tempelhof-Schöneberg").all()
    emptied = kept["region_id"].isin(named) & (kept["period"] == "2012")
    assert kept.loc[emptied, "value"].isna().all() and kept.loc[~emptied, "value"].notna().all()
    assert len(kept) == len(full)                   # the rows stay; only their values go


def test_groupings_run_from_the_parent_to_the_whole_set():
    regions = pd.DataFrame({"region_id": ["b", "r1", "r2", "p1", "p2", "p3"],
                            "parent_id": [None, "b", "b", "r1", "r1", "r2"]})
    out = ancestor_groupings(regions, ["p1", "p2", "p3"])
    assert [g.to_dict() for g in out] == [{"p1": "r1", "p2": "r1", "p3": "r2"}, {"p1": "b", "p2": "b", "p3": "b"}]
    flat = ancestor_groupings(regions.assign(parent_id=None), ["p1", "p2"])
    assert [g.to_dict() for g in flat] == [{"p1": "alle", "p2": "alle"}]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n_groups=st.integers(1, 4), per_group=st.integers(12, 30), n_periods=st.integers(4, 8),
       seed=st.integers(0, 10_000), data=st.data())
def test_a_block_in_reverse_order_is_always_found_and_a_clean_panel_never(n_groups, per_group, n_periods, seed, data):
    clean = panel(n_groups, per_group, range(2000, 2000 + n_periods), seed=seed, noise=0.5)
    assert misplaced_editions(clean, groups_of(clean)) == []
    group = f"{data.draw(st.integers(0, n_groups - 1)):02d}"
    year = str(2000 + data.draw(st.integers(1, n_periods - 2)))
    found = misplaced_editions(shuffle(clean, group, year), groups_of(clean))
    assert [(m.period, m.group, m.both_sides) for m in found] == [(year, group, True)]


def test_a_flag_or_a_class_is_not_judged_by_its_ties():
    """A validity flag 0/1 that changes for many areas in one edition (a new rule) is no misplaced edition."""
    obs = panel(n_groups=1, per_group=40, periods=range(2015, 2021))
    obs = obs.assign(value=(obs["value"] > obs["value"].median()).astype(float))
    hit = obs["period"] == "2018"
    obs.loc[hit, "value"] = 1.0 - obs.loc[hit, "value"]
    assert misplaced_editions(obs, groups_of(obs)) == []


def test_no_edition_is_compared_across_a_declared_break():
    """An indicator defined anew from 2013: its first edition on the new definition may order the areas otherwise
    than the old one. Without the break, a group's edition of 2013 that leaves 2012 and 2014 is left out; with it,
    2013 is the first edition of its definition, compared with 2014 alone, and only named."""
    from dataclasses import replace

    obs = shuffle(panel(), "01", "2013")
    ew = Indicator("ew", "Einwohner mit Migrationshintergrund", "bevoelkerung", "Personen", 0, "count")
    plain = Catalog(dimensions={}, indicators={"ew": ew})
    broken = Catalog(dimensions={}, indicators={"ew": replace(ew, breaks=(2013,))})
    found = misplaced_editions(obs, groups_of(obs), plain)
    assert [(m.indicator_id, m.period, m.group, m.both_sides) for m in found] == [("ew", "2013", "01", True)]
    found = misplaced_editions(obs, groups_of(obs), broken)
    assert [(m.indicator_id, m.period, m.group, m.both_sides) for m in found] == [("ew", "2013", "01", False)]
    # the old definition's editions, three of them, are still checked among themselves
    planted = shuffle(obs, "02", "2011")
    found = misplaced_editions(planted, groups_of(planted), broken)
    assert ("ew", "2011", "02", True) in [(m.indicator_id, m.period, m.group, m.both_sides) for m in found]


def changes(n_groups=3, per_group=15, periods=(2013, 2015, 2017), seed=0) -> pd.DataFrame:
    """A change over two years per region and edition: a lasting part per region and much noise, so consecutive
    editions agree only loosely (rank correlation about 0.4), as Berlin's D1–D4 do."""
    rng = np.random.default_rng(seed)
    lasting = rng.normal(size=n_groups * per_group)
    rows = [(f"{g:02d}{i:03d}", "d1", str(year), lasting[g * per_group + i] + 1.2 * rng.normal())
            for g in range(n_groups) for i in range(per_group) for year in periods]
    return pd.DataFrame(rows, columns=["region_id", "indicator_id", "period", "value"])


@pytest.mark.parametrize("seed", range(5))
def test_a_copied_edition_does_not_lower_the_bar_for_the_others(seed):
    """Berlin's open MSS files per Bezirksregion repeat 2017 as 2019. A copy's pair agrees perfectly; counted as a
    pair, it set the bar for a noisy indicator's other pairs to the least, and the changes of 2015 were found
    misplaced in most Bezirke. The copy is no edition of its own: nothing is found, as without it."""
    obs = changes(seed=seed)
    assert misplaced_editions(obs, groups_of(obs)) == []
    copy = obs[obs["period"] == "2017"].assign(period="2019")
    with_copy = pd.concat([obs, copy], ignore_index=True)
    assert misplaced_editions(with_copy, groups_of(with_copy)) == []
    # told which editions are copies, the check needs not find them; told none, a pair copied within a group still
    # counts as no agreement there
    assert misplaced_editions(with_copy, groups_of(with_copy), copies={"d1": (2019,)}) == []
    assert misplaced_editions(with_copy, groups_of(with_copy), copies={}) == []
    # a copy in two groups of three (the third's values of 2019 its own): no edition copied everywhere, and still
    # the copied pairs set no bar
    partly = with_copy.copy()
    own = partly["region_id"].str.startswith("00") & (partly["period"] == "2019")
    partly.loc[own, "value"] += np.random.default_rng(seed).normal(size=int(own.sum()))
    assert misplaced_editions(partly, groups_of(partly)) == []
    # a block of rows misplaced in a steady indicator is still found beside a copied last edition
    steady = shuffle(panel(), "01", "2012")
    steady = pd.concat([steady, steady[steady["period"] == "2015"].assign(period="2016")], ignore_index=True)
    assert [(m.period, m.group) for m in misplaced_editions(steady, groups_of(steady))] == [("2012", "01")]


def test_a_block_misplaced_in_an_indicator_that_stands_still_is_found():
    """An area or a count that stays the same over the years: its identical editions are no copies (the indicator
    stands still more often than it moves), so a block of rows permuted in one edition is found as before."""
    still = panel().assign(value=lambda f: f.groupby("region_id")["value"].transform("first"))
    obs = shuffle(still, "02", "2013")
    assert [(m.period, m.group) for m in misplaced_editions(obs, groups_of(obs))] == [("2013", "02")]


def test_notes_name_a_region_once_where_its_name_is_its_code_and_the_whole_as_such():
    obs = panel(n_groups=1, per_group=20)
    cell = obs[(obs["period"] == "2013")]
    obs.loc[cell.nlargest(2, "value").index, "value"] = 0.0
    ids = obs["region_id"].unique()
    found = misplaced_editions(obs, [pd.Series("alle", index=ids)])
    assert [(m.group, len(m.regions), m.of) for m in found] == [("alle", 2, 20)]
    note = misplaced_notes(found, pd.Series(dict(zip(ids, ids))), Catalog({}))[0]
    assert "2 of the 20 regions compared across all regions (" in note
    first = found[0].regions[0]
    assert f"{first} ({first})" not in note and first in note
    note = misplaced_notes(found, pd.Series({first: "Mitte"}), Catalog({}))[0]
    assert f"{first} (Mitte)" in note


def test_a_groups_own_last_edition_found_on_both_sides_by_the_coarser_group_is_named_there_alone():
    """Four Kreise, each of an old part (Gemeinden that end with 2015, merged away) and a part that goes on to 2019.
    One Kreis's rows of 2015 are given to its other Gemeinden, across both parts. The old part alone can compare
    2015 only with 2013 (its own last edition); the Kreis compares it on both sides, through the part that goes on,
    and that finding stands: its old Gemeinden are named once, as left out, not a second time as kept."""
    old = panel(n_groups=4, per_group=12, periods=range(2009, 2016), seed=3)
    old["region_id"] = "A" + old["region_id"]
    new = panel(n_groups=4, per_group=12, periods=range(2009, 2020), seed=4)
    new["region_id"] = "B" + new["region_id"]
    obs = pd.concat([old, new], ignore_index=True)
    hit = obs["region_id"].str[1:3].eq("01") & obs["period"].eq("2015")
    obs.loc[hit, "value"] = obs.loc[hit, "value"].to_numpy()[::-1]      # the largest to the smallest, both parts
    ids = obs["region_id"].unique()
    part = pd.Series([r[:3] for r in ids], index=ids)                  # A01, B01 …: the two parts of a Kreis
    kreis = pd.Series([r[1:3] for r in ids], index=ids)
    found = misplaced_editions(obs, [part, kreis, pd.Series("alle", index=ids)])
    assert found and not [m for m in found if m.group_end]
    named = {r for m in found if m.both_sides for r in m.regions}
    assert {r for r in ids if r[1:3] == "01"} <= named
    assert {m.period for m in found} == {"2015"}

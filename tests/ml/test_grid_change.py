"""A change of grid between two editions (ml.grid_change): found where the regions with values are largely others
from one edition on, not where a county adds some areas, a file covers one district, or a few areas merge."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from ml.grid_change import grid_change_notes, grid_changes, presence as pairs_with_values


def presence(sets: dict[str, list[str]], level: str = "bezirksregion") -> pd.DataFrame:
    return pd.DataFrame([(r, p, level) for p, ids in sets.items() for r in ids],
                        columns=["region_id", "period", "level"])


OLD = [f"01{i:04d}" for i in range(137)]
NEW = [f"02{i:04d}" for i in range(142)]


def test_a_new_grid_is_found_with_what_changed():
    found = grid_changes(presence({"2015": OLD, "2017": OLD, "2019": OLD, "2021": NEW}))
    assert [(c.level, c.before, c.after, len(c.new), len(c.gone), c.kept, c.n_before, c.n_after) for c in found] == [
        ("bezirksregion", "2019", "2021", 142, 137, (), 137, 142)]
    note = grid_change_notes(found)[0]
    assert note.startswith("2021: the regions of level bezirksregion with values are largely others than before: "
                           "142 of the 142 of 2021 have none up to 2019, and 137 of the 137 of 2019 have none from "
                           "2021 on — a new edition of the grid?")
    assert "--crosswalk FILE" in note and "same area" not in note


def test_a_code_on_both_grids_is_named_for_a_check():
    found = grid_changes(presence({"2019": OLD, "2021": NEW + OLD[:1]}))
    assert found[0].kept == (OLD[0],)
    assert f"1 code(s) have values on both sides ({OLD[0]}): check that each is the same area" in \
        grid_change_notes(found)[0]


def test_areas_added_a_district_alone_a_few_mergers_and_other_periods_are_no_new_grid():
    assert grid_changes(presence({"2019": OLD, "2021": OLD + NEW[:40]})) == []         # areas added
    assert grid_changes(presence({"2019": OLD, "2021": OLD[:12]})) == []               # one district's file
    assert grid_changes(presence({"2019": OLD, "2021": OLD[4:] + NEW[:2]})) == []      # a few merged
    assert grid_changes(presence({"2019-06": OLD, "2021-06": NEW})) == []             # not annual
    # each level on its own: a new grid of Planungsräume leaves the Bezirke as they are
    both = pd.concat([presence({"2019": OLD, "2021": NEW}, "planungsraum"),
                      presence({"2019": ["01", "02"], "2021": ["01", "02"]}, "bezirk")])
    assert [c.level for c in grid_changes(both)] == ["planungsraum"]


def test_an_edition_missing_between_is_no_change_of_grid():
    """A region without values in one edition, back in the next, is neither new nor gone."""
    assert grid_changes(presence({"2017": OLD, "2019": OLD[:60], "2021": OLD})) == []


@settings(max_examples=60, deadline=None)
@given(n_old=st.integers(5, 80), n_new=st.integers(5, 80), n_periods=st.integers(1, 4), cut=st.integers(1, 4),
       kept=st.floats(0, 0.7), added=st.integers(0, 80))
def test_property_a_renumbered_grid_is_found_and_added_areas_never(n_old, n_new, n_periods, cut, kept, added):
    old = [f"a{i}" for i in range(n_old)]
    new = [f"b{i}" for i in range(n_new)]
    years = [str(2010 + k) for k in range(n_periods + cut)]
    cut = min(cut, len(years) - 1)
    # a new grid from years[cut] on, keeping a share of the old codes
    stay = old[:int(kept * min(n_old, n_new))]
    sets = {y: (old if k < cut else new + stay) for k, y in enumerate(years)}
    found = grid_changes(presence(sets))
    expected = (len(new) >= max(5, 0.25 * len(new + stay)) and n_old - len(stay) >= max(5, 0.25 * n_old))
    assert [(c.before, c.after) for c in found] == ([(years[cut - 1], years[cut])] if expected else [])
    if found:
        assert set(found[0].kept) == set(stay)
    # the same county with areas added instead: never a change of grid
    grown = {y: (old if k < cut else old + new[:added]) for k, y in enumerate(years)}
    assert grid_changes(presence(grown)) == []


def test_the_pairs_with_values_are_each_pair_once_without_the_empty():
    obs = pd.DataFrame({"region_id": ["a", "a", "a", "b", "b"], "period": ["2019", "2019", "2021", "2019", "2021"],
                        "value": [1.0, 2.0, float("nan"), 3.0, 4.0]})
    got = pairs_with_values(obs).sort_values(["region_id", "period"]).reset_index(drop=True)
    assert got.to_dict("records") == [{"region_id": "a", "period": "2019"}, {"region_id": "b", "period": "2019"},
                                      {"region_id": "b", "period": "2021"}]

"""Editions copied in every region of one group, not everywhere (features.copied_blocks): named at the coarsest group
that holds them; an edition copied everywhere, values that stand still, and small groups are not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.copied_blocks import copied_block_notes, copied_blocks


def panel(n_groups=3, per_group=15, years=range(2004, 2010), seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = [(f"{g:02d}{i:03d}", "abitur", str(y), round(20 + 10 * rng.random() + 0.5 * t, 2))
            for g in range(n_groups) for i in range(per_group) for t, y in enumerate(years)]
    return pd.DataFrame(rows, columns=["region_id", "indicator_id", "period", "value"])


def groups(obs: pd.DataFrame) -> list[pd.Series]:
    ids = obs["region_id"].unique()
    return [pd.Series([r[:2] for r in ids], index=ids), pd.Series("alle", index=ids)]


def copy_in(obs: pd.DataFrame, prefix: str, year: str, before: str) -> pd.DataFrame:
    out = obs.copy()
    src = out[out["region_id"].str.startswith(prefix) & (out["period"] == before)].set_index("region_id")["value"]
    hit = out["region_id"].str.startswith(prefix) & (out["period"] == year)
    out.loc[hit, "value"] = out.loc[hit, "region_id"].map(src).to_numpy()
    return out


def test_a_groups_rows_copied_from_the_year_before_are_named_with_the_group():
    obs = copy_in(panel(), "01", "2007", "2006")
    found = copied_blocks(obs, groups(obs))
    assert [(c.indicator_id, c.before, c.period, c.group, c.regions, c.of) for c in found] == [
        ("abitur", "2006", "2007", "01", 15, 45)]
    note = copied_block_notes(found, pd.Series({"01": "Hessen"}))[0]
    assert note.startswith("2007: the values of abitur repeat 2006 exactly in 15 of the 45 regions with values in "
                           "both years — every region of 01 (Hessen) —, while elsewhere they moved")


def test_an_edition_copied_everywhere_values_that_stand_still_and_small_groups_are_no_block():
    everywhere = copy_in(copy_in(copy_in(panel(), "00", "2007", "2006"), "01", "2007", "2006"), "02", "2007", "2006")
    assert copied_blocks(everywhere, groups(everywhere)) == []                 # copied_years names it
    # the same with one region's value of 2006 missing: no copy to copied_years, named here among all regions
    gap = everywhere.drop(everywhere.index[(everywhere["region_id"] == "00000") & (everywhere["period"] == "2006")])
    found = copied_blocks(gap, groups(gap))
    assert [(c.group, c.regions, c.of) for c in found] == [("alle", 44, 44)]
    assert copied_block_notes(found, pd.Series(dtype=str))[0].startswith(
        "2007: the values of abitur repeat 2006 exactly in 44 of the 44 regions with values in both years (the others "
        "have a value in one of the two only): an edition copied from the year before?")
    still = panel().assign(value=lambda f: f.groupby("region_id")["value"].transform("first"))
    still = copy_in(still, "01", "2007", "2006")
    assert copied_blocks(still, groups(still)) == []                           # an area stands still by right
    small = copy_in(panel(per_group=6), "01", "2007", "2006")
    assert copied_blocks(small, groups(small)) == []                           # six regions tell nothing


def test_a_block_in_two_groups_is_named_once_per_group_and_a_coarser_group_holding_it_names_it_alone():
    obs = copy_in(copy_in(panel(n_groups=4), "01", "2008", "2007"), "02", "2008", "2007")
    found = copied_blocks(obs, groups(obs))
    assert sorted(c.group for c in found) == ["01", "02"]
    assert "every region of 01, 02 —" in copied_block_notes(found, pd.Series(dtype=str))[0]
    # the two as sub-groups of one Land: named at the Land
    ids = obs["region_id"].unique()
    land = pd.Series(["L1" if r[:2] in ("01", "02") else "L2" for r in ids], index=ids)
    found = copied_blocks(obs, [groups(obs)[0], land, pd.Series("alle", index=ids)])
    assert [(c.group, c.regions) for c in found] == [("L1", 30)]


@pytest.mark.realdata
def test_inkar_names_hessens_school_leavers_of_2007(shared_data, store, settings):
    """INKAR's file gives Hessen's 26 Kreise the same shares of school leavers with and without a degree in 2007 as
    in 2006, while every other Land's moved: named on arrival."""
    from experiments.arrival import misplaced_after_import
    from ml.importers import ingest_file

    rep = ingest_file(shared_data / "germany_kreise_inkar_gerda" / "county_covariates_inkar_1995_2022.csv", store,
                      settings)
    said = [n for n in misplaced_after_import(store, rep.indicators) if "repeat" in n]
    assert said == [n for n in said if n.startswith("2007: the values of inkar_share_abitur, inkar_share_no_degree "
                                                     "repeat 2006 exactly in 26 of the 400 regions")]
    assert len(said) == 1 and "every region of 06 (Hessen)" in said[0]


def test_copied_keys_name_each_value_a_block_repeats_and_a_share_of_two_copied_counts():
    from features.copied_blocks import CopiedBlock, copied_keys
    from ml.catalog import Catalog, Indicator

    blocks = [CopiedBlock("alo", "2006", "2007", "06", 2, 40, ("06001", "06002")),
              CopiedBlock("ew", "2006", "2007", "06", 1, 40, ("06001",))]
    assert copied_keys(blocks) == {("06001", "alo", "2007"), ("06002", "alo", "2007"), ("06001", "ew", "2007")}
    catalog = Catalog({}, {"alq": Indicator("alq", "Arbeitslosenquote", "arbeit", "%", 1, "share", numerator="alo",
                                        denominator="ew"),
                       "alo": Indicator("alo", "Arbeitslose", "arbeit", "Personen", 0, "count"),
                       "ew": Indicator("ew", "Einwohner", "bevoelkerung", "Personen", 0, "count")})
    # the share is copied where both its counts are (06001), not where only one is (06002)
    assert copied_keys(blocks, catalog) - copied_keys(blocks) == {("06001", "alq", "2007")}

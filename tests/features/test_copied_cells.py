"""A single count another region's row gave (``features.copied_cells``): found where the value equals another
region's and departs from its own editions before and after; not found by chance among many small counts, at the
first or last edition, or where the series moves so anyway; left out with the shares computed from it, and the
pipeline says so. The real case: Flensburg's housing benefit of 2018."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from features.copied_cells import MIN_JUMP, copied_cells, copied_notes, copied_rows
from features.misplaced import leave_out
from ml.catalog import Catalog, Indicator
from tests.conftest import SHARED_DATA

CATALOG = Catalog({}, indicators={
    "wohngeld": Indicator("wohngeld", "Wohngeldhaushalte", "intervention", "Haushalte", 0, "count"),
    "einwohner": Indicator("einwohner", "Einwohner", "bevoelkerung", "Personen", 0, "count"),
    "quote": Indicator("quote", "Wohngeld je 100 Einwohner", "intervention", "je 100", 1, "rate",
                       numerator="wohngeld", denominator="einwohner", scale=100.0),
    "anteil": Indicator("anteil", "Anteil", "bevoelkerung", "%", 0, "share")})
NAMES = pd.Series({str(i): f"Stadtteil {i}" for i in range(1, 14)})


def panel(levels=None, years=range(2015, 2021), growth=0.03, indicator="wohngeld") -> pd.DataFrame:
    """Thirteen regions of distinct levels, each growing steadily."""
    levels = levels if levels is not None else [100 + 150 * i for i in range(13)]
    return pd.DataFrame([(str(i + 1), indicator, str(y), float(round(level * (1 + growth) ** (y - 2015))))
                         for i, level in enumerate(levels) for y in years],
                        columns=["region_id", "indicator_id", "period", "value"])


def put(obs: pd.DataFrame, region: str, period: str, value: float, indicator="wohngeld") -> pd.DataFrame:
    obs = obs.copy()
    obs.loc[(obs["region_id"] == region) & (obs["period"] == period) & (obs["indicator_id"] == indicator),
            "value"] = value
    return obs


def value_of(obs, region, period):
    return float(obs.loc[(obs["region_id"] == region) & (obs["period"] == period), "value"].iloc[0])


def test_the_row_before_copied_into_one_cell_is_found():
    obs = panel()
    copied = value_of(obs, "2", "2017")           # region 3 of 2017 carries region 2's count
    found = copied_cells(put(obs, "3", "2017", copied), CATALOG)
    assert [(c.region_id, c.period, c.value, c.twins) for c in found] == [("3", "2017", copied, ("2",))]
    assert found[0].before == value_of(obs, "3", "2016") and found[0].after == value_of(obs, "3", "2018")
    note = copied_notes(found, NAMES, CATALOG)[0]
    assert note.startswith("2017: Wohngeldhaushalte (wohngeld) of 3 (Stadtteil 3) is") and "2 (Stadtteil 2)" in note


@pytest.mark.parametrize("region, period, value, why", [
    ("3", "2017", 171.0, "a jump to no other region's value"),
    ("3", "2015", None, "the first edition: nothing before it"),
    ("3", "2020", None, "the last edition: nothing after it"),
])
def test_no_copy_without_both_an_equal_value_and_a_jump_from_both_neighbours(region, period, value, why):
    obs = panel()
    twin = value_of(obs, "2", period)
    assert copied_cells(put(obs, region, period, twin if value is None else value), CATALOG) == [], why


def test_a_series_that_moves_so_anyway_and_a_share_are_not_judged():
    # every region jumps up and down by a factor of two each year: such a change is the indicator's typical one
    obs = panel()
    obs["value"] = obs["value"] * np.where(obs["period"].astype(int) % 2 == 0, 2.0, 1.0)
    assert copied_cells(put(obs, "3", "2017", value_of(obs, "2", "2017")), CATALOG) == []
    shares = panel(indicator="anteil")
    assert copied_cells(put(shares, "3", "2017", value_of(shares, "2", "2017"), "anteil"), CATALOG) == []


def test_small_counts_of_many_regions_meet_by_chance_and_are_not_named():
    # 400 regions with counts between 20 and 60: region 3's 63 of 2017 replaced by region 1's 32, which dozens of
    # regions have about; thirteen regions of counts twenty times as large, with the same copy, have it named
    levels = np.random.default_rng(1).integers(20, 60, 400).tolist()
    levels[0], levels[2] = 30, 59
    obs = panel(levels=levels)
    assert copied_cells(put(obs, "3", "2017", value_of(obs, "1", "2017")), CATALOG) == []
    large = panel(levels=[20 * v for v in levels[:13]])
    found = copied_cells(put(large, "3", "2017", value_of(large, "1", "2017")), CATALOG)
    assert [(c.region_id, c.period) for c in found] == [("3", "2017")] and "1" in found[0].twins


def test_the_copy_is_left_out_with_the_rate_computed_from_it():
    obs = panel()
    obs = pd.concat([put(obs, "3", "2017", value_of(obs, "2", "2017")),
                     panel(levels=[5000 + 300 * i for i in range(13)], indicator="einwohner")], ignore_index=True)
    obs = obs.assign(numerator=np.nan, denominator=np.nan, flag="ok")
    found = copied_cells(obs, CATALOG)
    kept, table = leave_out(obs, copied_rows(found, NAMES), CATALOG)
    assert sorted(zip(table["region_id"], table["indicator_id"], table["period"])) == [
        ("3", "quote", "2017"), ("3", "wohngeld", "2017")]
    assert table["reason"].str.contains("gleicht dem von Stadtteil 2 in derselben Ausgabe").all()
    gone = (kept["region_id"] == "3") & (kept["period"] == "2017") & (kept["indicator_id"] == "wohngeld")
    assert kept.loc[gone, "value"].isna().all() and kept.loc[~gone, "value"].notna().all() and len(kept) == len(obs)


@given(levels=st.lists(st.integers(30, 5000), min_size=3, max_size=30, unique=True),
       growth=st.floats(-0.05, 0.05), seed=st.integers(0, 2**16))
@settings(max_examples=60, deadline=None)
def test_a_finding_always_equals_another_region_and_jumps_from_both_neighbours(levels, growth, seed):
    obs = panel(levels=levels, growth=growth)
    rng = np.random.default_rng(seed)
    obs["value"] = np.round(obs["value"] * rng.uniform(0.7, 1.4, len(obs)))
    for c in copied_cells(obs, CATALOG):
        same = obs[(obs["period"] == c.period) & (obs["value"] == c.value)]["region_id"]
        assert set(c.twins) <= set(same) and c.region_id in set(same)
        d = np.log(c.value) - np.log([c.before, c.after])
        assert np.sign(d[0]) == np.sign(d[1]) and np.abs(d).min() >= MIN_JUMP - 1e-12


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason=f"real open data not present at {SHARED_DATA}")
def test_flensburgs_housing_benefit_of_nordstadt_in_2018_is_neustadts():
    table = pd.read_csv(SHARED_DATA / "flensburg_sozialatlas/csv/fl_housing_benefit_by_district.csv",
                        dtype={"district_id": str})
    obs = pd.DataFrame({"region_id": table["district_id"], "indicator_id": "wohngeld", "period": table["year"].astype(str),
                        "value": table["residents"].astype(float)})
    found = copied_cells(obs, CATALOG)
    assert [(c.region_id, c.period, c.value, c.before, c.after, c.twins) for c in found] == [
        ("3", "2018", 165.0, 413.0, 571.0, ("2",))]

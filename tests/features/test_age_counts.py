"""The catalog's counts of residents by age summed from a register's age groups."""

import numpy as np
import pandas as pd
from hypothesis import given, settings as hsettings, strategies as st

from features.age_counts import age_counts, count_ages
from ml.catalog import load_catalog
from ml.config import CatalogConfig

CATALOG = load_catalog(CatalogConfig().dimensions, CatalogConfig().indicators)


def rows(*items, region="1", period="2022"):
    return pd.DataFrame([{"region_id": region, "indicator_id": i, "period": period, "value": v, "numerator": np.nan,
                          "denominator": np.nan, "flag": f} for i, v, f in items])


def test_a_count_is_the_sum_of_the_groups_that_cover_its_ages_exactly():
    """The Sozialatlas's groups 0–17, 18–29, 30–44, 45–64, 65–79, 80+: under 65, under 18, 65–79 and 65+ are sums;
    15–64 is not (the group 0–17 reaches across 15); an imported count is kept; a withheld group leaves every count
    it would enter unknown."""
    obs = rows(("ew_alter_00_18", 360.0, "ok"), ("ew_alter_18_30", 1338.0, "ok"), ("ew_alter_30_45", 951.0, "ok"),
               ("ew_alter_45_65", 804.0, "ok"), ("ew_alter_65_80", 265.0, "ok"), ("ew_alter_80_plus", 148.0, "ok"),
               ("ew_unter18", 361.0, "ok"))
    out, notes = age_counts(obs, CATALOG)
    got = out.set_index("indicator_id")["value"]
    assert got["ew_unter65"] == 360 + 1338 + 951 + 804 and got["ew_65plus"] == 265 + 148 and got["ew_65_79"] == 265
    assert got["ew_unter18"] == 361                     # imported: never overwritten by the sum
    assert "ew_15_64" not in got and "ew_unter15" not in got and "ew_15_24" not in got
    assert got["ew_18_64"] == 1338 + 951 + 804
    assert notes and "ew_unter65 (1 regions)" in notes[0]
    withheld = obs.copy()
    withheld.loc[withheld["indicator_id"] == "ew_alter_65_80", ["value", "flag"]] = [np.nan, "suppressed"]
    got = age_counts(withheld, CATALOG)[0].set_index("indicator_id")["value"]
    assert "ew_65plus" not in got and "ew_65_79" not in got and got["ew_unter65"] == 3453


def test_the_residents_in_all_are_the_sum_of_a_full_chain_of_groups():
    """A register by age without its total (Berlin's matrices, the total left unmapped): einwohner, the base of
    most shares, is the sum of every group; imported, it is kept; a chain with a withheld group gives none."""
    groups = [("ew_alter_00_18", 360.0, "ok"), ("ew_alter_18_65", 2000.0, "ok"), ("ew_alter_65_plus", 400.0, "ok")]
    got = age_counts(rows(*groups), CATALOG)[0].set_index("indicator_id")["value"]
    assert got["einwohner"] == 2760 and got["ew_unter65"] == 2360
    kept = age_counts(rows(*groups, ("einwohner", 2761.0, "ok")), CATALOG)[0]
    assert kept.loc[kept["indicator_id"] == "einwohner", "value"].tolist() == [2761.0]
    withheld = rows(*groups[:2], ("ew_alter_65_plus", np.nan, "suppressed"))
    assert "einwohner" not in set(age_counts(withheld, CATALOG)[0]["indicator_id"])
    assert "einwohner" not in set(age_counts(rows(*groups), CATALOG, total=None)[0]["indicator_id"])


def test_groups_by_sex_are_summed_when_both_sexes_are_known():
    obs = rows(("ew_alter_m_00_65", 100.0, "ok"), ("ew_alter_w_00_65", 110.0, "ok"), ("ew_alter_m_65_plus", 30.0, "ok"))
    got = age_counts(obs, CATALOG)[0].set_index("indicator_id")["value"]
    assert got["ew_unter65"] == 210 and "ew_65plus" not in got        # the women's 65+ are not known


def test_nothing_is_added_without_groups_or_counts_of_ages():
    obs = rows(("einwohner", 5000.0, "ok"))
    out, notes = age_counts(obs, CATALOG)
    assert out.equals(obs) and notes == []
    assert count_ages("ew_unter65") == (0, 65) and count_ages("ew_15_64") == (15, 65) and count_ages("ew_80plus") == (
        80, None)
    assert count_ages("ew_alter_00_18") is None and count_ages("einwohner") is None


@hsettings(deadline=None, max_examples=60)
@given(st.lists(st.integers(1, 95), min_size=1, max_size=8, unique=True),
       st.lists(st.integers(0, 5000), min_size=9, max_size=9))
def test_a_sum_is_added_exactly_where_the_groups_tile_the_count(cuts, sizes):
    """For any cut of the ages into groups, each catalog count of ages is added where its bounds are among the cuts
    (then it is the sum of the groups between them) and nowhere else."""
    bounds = sorted(set(cuts))
    edges = [0] + bounds
    groups = [(a, b) for a, b in zip(edges, bounds)] + [(bounds[-1], None)]
    obs = rows(*[(f"ew_alter_{a:02d}_{'plus' if b is None else f'{b:02d}'}", float(n), "ok")
                 for (a, b), n in zip(groups, sizes)])
    got = age_counts(obs, CATALOG)[0].set_index("indicator_id")["value"]
    for indicator in CATALOG:
        ages = count_ages(indicator.indicator_id)
        if ages is None or indicator.kind != "count":
            continue
        lo, hi = ages
        aligned = (lo == 0 or lo in bounds) and (hi is None or hi in bounds)
        assert (indicator.indicator_id in got) == aligned, indicator.indicator_id
        if aligned:
            inside = [n for (a, b), n in zip(groups, sizes) if a >= lo and (hi is None or (b is not None and b <= hi))]
            assert got[indicator.indicator_id] == sum(inside)

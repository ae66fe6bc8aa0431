"""Early-warning inputs: edition step, boundary distances, changes over editions, trend, no look-ahead."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from features.warning_inputs import (WarningInputError, basis_breaks, build_warning_inputs, comparable_bases,
                                    edition_step)

THRESHOLDS = (-1.0, 1.0, 1.5)


def _profiles(rows):
    p = pd.DataFrame(rows, columns=["region_id", "period", "status_index", "status_class", "dynamics_index"])
    p["dz_a"] = 0.5
    m = p[["region_id", "period"]].assign(m_a=1.0)
    return p, m


def test_six_rows_by_hand():
    p, m = _profiles([
        ("A", "2017", -1.5, 1, 0.2), ("A", "2019", 0.5, 2, np.nan), ("A", "2021", 1.2, 3, 1.1),
        ("B", "2017", 2.0, 4, 0.0), ("B", "2019", 1.6, 4, -0.3), ("B", "2021", np.nan, np.nan, np.nan),
    ])
    before = p.copy()
    x = build_warning_inputs(p, m, ["a"], THRESHOLDS).set_index(["region_id", "period"])
    pd.testing.assert_frame_equal(p, before)          # the input is not changed
    assert x.attrs["edition_step"] == 2 and len(x) == 5   # no status index in B 2021: no row
    # distance to the upper boundary of the own class; the worst class cannot get worse
    assert x.loc[("A", "2017"), "boundary_distance"] == pytest.approx(0.5)
    assert x.loc[("A", "2019"), "boundary_distance"] == pytest.approx(0.5)
    assert x.loc[("A", "2021"), "boundary_distance"] == pytest.approx(0.3)
    assert x.loc[("B", "2017"), "boundary_distance"] == 0 and bool(x.loc[("B", "2017"), "worst_class"])
    assert x.loc[("A", "2021"), "boundary_2"] == pytest.approx(0.2)
    # changes over one and two editions (two years each), 0 where unknown
    assert x.loc[("A", "2019"), "status_change_1"] == pytest.approx(2.0)
    assert x.loc[("A", "2021"), "status_change_2"] == pytest.approx(2.7)
    assert x.loc[("A", "2017"), "status_change_1"] == 0 and x.loc[("A", "2019"), "status_change_2"] == 0
    # trend per year over three editions: least squares through (2017, -1.5), (2019, 0.5), (2021, 1.2)
    assert x.loc[("A", "2021"), "status_trend"] == pytest.approx(np.polyfit([2017, 2019, 2021], [-1.5, 0.5, 1.2], 1)[0])
    assert x.loc[("A", "2019"), "dynamics_index"] == 0 and x.loc[("A", "2021"), "m_a"] == 1.0


def test_edition_step_and_errors():
    p, _ = _profiles([("A", str(y), 0.0, 2, 0.0) for y in range(2010, 2016)])
    assert edition_step(p) == 1
    p, m = _profiles([("A", "2020", 0.0, 2, 0.0), ("B", "2020", 1.0, 3, 0.0)])
    with pytest.raises(WarningInputError, match="at least two periods with a status index; the profiles have 1"):
        build_warning_inputs(p, m, ["a"], THRESHOLDS)
    with pytest.raises(WarningInputError, match="profiles lack the columns status_class"):
        build_warning_inputs(p.drop(columns="status_class"), m, ["a"], THRESHOLDS)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(-3, 3, allow_nan=False), min_size=4, max_size=8), st.integers(1, 3))
def test_nothing_from_later_periods(index, cut):
    """The inputs of a period are the same whether or not later periods exist."""
    years = list(range(2010, 2010 + len(index)))
    cls = [1 + int(v > -1) + int(v >= 1) + int(v >= 1.5) for v in index]
    rows = [("A", str(y), v, c, v / 2) for y, v, c in zip(years, index, cls)]
    p, m = _profiles(rows)
    full = build_warning_inputs(p, m, ["a"], THRESHOLDS).set_index(["region_id", "period"])
    keep = p["period"].astype(int) <= years[-1] - cut
    if keep.sum() < 2:
        return
    part = build_warning_inputs(p[keep], m[keep], ["a"], THRESHOLDS).set_index(["region_id", "period"])
    pd.testing.assert_frame_equal(part, full.loc[part.index], check_dtype=False)


def test_a_copied_edition_is_marked_and_no_change_is_measured_from_it():
    """Berlin's open MSS files of 2017 and 2019 per Bezirksregion carry the same index: the later of such a pair
    is marked, its changes are unknown (not zero), and no transition starts or ends there."""
    from models.early_warning import make_transitions

    rng = np.random.default_rng(0)
    index = {y: rng.normal(0, 1, 12) for y in (2015, 2017, 2021)}
    index[2019] = index[2017].copy()
    rows = [(f"R{r:02d}", str(y), v[r], 1 + int(v[r] > -1) + int(v[r] >= 1) + int(v[r] >= 1.5), 0.0)
            for y, v in sorted(index.items()) for r in range(12)]
    p, m = _profiles(rows)
    x = build_warning_inputs(p, m, ["a"], THRESHOLDS).set_index(["region_id", "period"])
    assert x.groupby("period")["repeats"].all().to_dict() == {"2015": False, "2017": False, "2019": True,
                                                              "2021": False}
    assert (x.xs("2019", level="period")["status_change_1"] == 0).all()
    assert (x.xs("2021", level="period")["status_change_1"] == 0).all()          # unknown, not a change from a copy
    np.testing.assert_allclose(x.xs("2021", level="period")["status_change_2"], index[2021] - index[2017])
    t2 = make_transitions(x.reset_index(), horizon=2)
    known = t2.y.notna().groupby(level="period").sum().to_dict()
    at_risk = t2.at_risk.groupby(level="period").sum().to_dict()
    assert known == {"2015": at_risk["2015"], "2017": 0, "2019": 0, "2021": 0}
    t4 = make_transitions(x.reset_index(), horizon=4)
    assert t4.y.notna().groupby(level="period").sum().to_dict() == {"2015": 0, "2017": at_risk["2017"],
                                                                    "2019": 0, "2021": 0}
    assert t4.change.xs("2015", level="period").isna().all()
    # standardised over one region more, a copy is shifted and scaled: still a copy
    shifted = {**index, 2019: (index[2017] - 0.03) * 1.02}
    p, m = _profiles([(f"R{r:02d}", str(y), v[r], 2, 0.0) for y, v in sorted(shifted.items()) for r in range(12)])
    assert build_warning_inputs(p, m, ["a"], THRESHOLDS).groupby("period")["repeats"].any().to_dict() == {
        "2015": False, "2017": False, "2019": True, "2021": False}
    # a near copy (one region moved) and an index that stands still everywhere are no copies
    index[2019][3] += 0.1
    p, m = _profiles([(f"R{r:02d}", str(y), v[r], 2, 0.0) for y, v in sorted(index.items()) for r in range(12)])
    assert not build_warning_inputs(p, m, ["a"], THRESHOLDS)["repeats"].any()
    p, m = _profiles([(f"S{r:02d}", str(y), 0.0, 2, 0.0) for y in (2015, 2017) for r in range(12)])
    assert not build_warning_inputs(p, m, ["a"], THRESHOLDS)["repeats"].any()


def test_rows_copied_in_one_group_repeat_there_only():
    """A block copied in one group (the profiles' ``status_copied``: four of twelve regions' status indicators of
    2019 repeat 2017's): those rows are marked, no change is measured into or out of them, no transition starts or
    ends there; the other regions keep theirs, and a scenario's history repeats only where its own rows do."""
    from models.early_warning import make_transitions
    from models.scenario import Scenario, build_inputs

    rng = np.random.default_rng(1)
    index = {y: rng.normal(0, 1, 12) for y in (2015, 2017, 2019, 2021)}
    index[2019][:4] = index[2017][:4] + 0.01          # standardised among regions that moved: near, not equal
    rows = [(f"R{r:02d}", str(y), v[r], 1 + int(v[r] > -1) + int(v[r] >= 1) + int(v[r] >= 1.5), 0.0)
            for y, v in sorted(index.items()) for r in range(12)]
    p, m = _profiles(rows)
    p["status_copied"] = p["region_id"].isin(["R00", "R01", "R02", "R03"]) & (p["period"] == "2019")
    x = build_warning_inputs(p, m, ["a"], THRESHOLDS).set_index(["region_id", "period"])
    assert x["repeats"].groupby(level="period").sum().to_dict() == {"2015": 0, "2017": 0, "2019": 4, "2021": 0}
    assert (x.loc[[("R00", "2019"), ("R00", "2021")], "status_change_1"] == 0).all()
    assert x.loc[("R05", "2019"), "status_change_1"] == pytest.approx(index[2019][5] - index[2017][5])
    assert x.loc[("R00", "2021"), "status_change_2"] == pytest.approx(index[2021][0] - index[2017][0])
    t2 = make_transitions(x.reset_index(), horizon=2)
    unknown = t2.y.isna() & t2.at_risk
    assert unknown.loc[[("R00", "2017"), ("R00", "2019")]].all()
    assert not unknown.loc[[(f"R{r:02d}", "2017") for r in range(4, 12) if t2.at_risk.loc[(f"R{r:02d}", "2017")]]].any()
    # a scenario of R05 (whose 2019 is its own) is built without the four rows' repeat
    stored = x.reset_index()
    sc = Scenario(region_id="R05", period="2021", changes=pd.DataFrame(), status_before=0.0, status_after=0.0,
                  class_before=2, class_after=2, dynamics_before=0.0, dynamics_after=0.0, matrix_row=pd.Series(),
                  inputs_before=stored.iloc[:0], inputs_after=None, values=pd.DataFrame(),
                  history=(p[p["region_id"] == "R05"].drop(columns="status_copied"), m[m["region_id"] == "R05"]))
    build_inputs([sc], stored, THRESHOLDS)
    after = sc.inputs_after.iloc[0]
    assert after["status_change_1"] == pytest.approx(index[2021][5] - index[2019][5]) and not after["repeats"]


def test_an_index_built_from_other_indicators_starts_no_transition_and_no_change():
    """INKAR's index: the share of long-term unemployed alone until 1997, with the unemployment rate from 1998,
    with the low-income households from 2013, and in 2022, where the other two have no values, alone again. A
    class change across 2021 → 2022 is the definition's: not a transition, not a change; two of three indicators
    shared (2012 → 2013) are comparable, as Berlin's MSS of 2015 and 2017 (S1–S4, then S1, S3, S4) are."""
    from models.early_warning import make_transitions

    pairs = [("a,b,c,d", "a,c,d"), ("a,b,c", "b"), ("a,b", "a,b,c"), ("a", "a,b"), ("", "b"), ("a,b", None)]
    assert comparable_bases(*zip(*pairs)).tolist() == [True, False, True, False, True, True]
    basis = {1997: "b", 1998: "a,b", 2012: "a,b", 2013: "a,b,c", 2021: "a,b,c", 2022: "b"}
    rng = np.random.default_rng(1)
    rows = []
    for r in range(12):
        for y, b in basis.items():
            v = rng.normal(0, 1)
            rows.append((f"R{r:02d}", str(y), v, 1 + int(v > -1) + int(v >= 1) + int(v >= 1.5), 0.0, b))
    p = pd.DataFrame(rows, columns=["region_id", "period", "status_index", "status_class", "dynamics_index",
                                    "status_indicators"]).assign(dz_a=0.5)
    p = p[p["period"].isin(["2012", "2013", "2021", "2022"])]      # two pairs of consecutive years, step 1
    m = p[["region_id", "period"]].assign(m_a=1.0)
    x = build_warning_inputs(p, m, ["a"], THRESHOLDS)
    assert x.groupby("period")["index_basis"].first().to_dict() == {"2012": "a,b", "2013": "a,b,c", "2021": "a,b,c",
                                                                   "2022": "b"}
    assert basis_breaks(x) == [("2021", "2022")]           # what the features command names
    by = x.set_index(["region_id", "period"])
    assert (by.xs("2022", level="period")["status_change_1"] == 0).all()     # unknown, not a change
    assert (by.xs("2013", level="period")["status_change_1"] != 0).all()
    t = make_transitions(x, horizon=1)
    known = t.y.notna().groupby(level="period").sum().to_dict()
    at_risk = t.at_risk.groupby(level="period").sum().to_dict()
    assert known == {"2012": at_risk["2012"], "2013": 0, "2021": 0, "2022": 0}
    assert t.change.xs("2021", level="period").isna().all()

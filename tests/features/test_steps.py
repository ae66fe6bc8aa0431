"""Each feature step on a handful of rows, with the expected numbers worked out by hand."""

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings as hsettings, strategies as st

from features.steps import (
    classify_index, compute_changes, compute_status_index, copied_years, derive_indicators, derived_out_of_range,
    harmonise_boundaries, not_carried,
    impute_for_modelling, score_dimensions, standardise_indicators, suppress_small_numbers,
)
from ml.config import IndexConfig, PrivacyConfig


def obs(*rows):
    frame = pd.DataFrame(rows, columns=["region_id", "indicator_id", "period", "value", "numerator", "denominator", "flag"])
    return frame.astype({"value": float, "numerator": float, "denominator": float})


def test_harmonise_counts_shares_and_averages(catalog):
    cw = pd.DataFrame({"old_id": ["A", "A", "B"], "new_id": ["X", "Y", "Y"], "weight": [0.25, 0.75, 1.0]})
    o = obs(
        ("A", "einwohner", "2020", 400, None, None, "ok"), ("B", "einwohner", "2020", 600, None, None, "ok"),
        ("A", "sgb2_quote", "2020", 10.0, 30, 300, "ok"), ("B", "sgb2_quote", "2020", 20.0, 100, 500, "ok"),
        ("A", "durchschnittsalter", "2020", 40.0, None, None, "ok"), ("B", "durchschnittsalter", "2020", 50.0, None, None, "ok"),
        ("C", "einwohner", "2020", 77, None, None, "ok"),
    )
    h = harmonise_boundaries(o, cw, catalog, "einwohner").set_index(["region_id", "indicator_id"])
    # counts by weight; the total is preserved
    assert h.loc[("X", "einwohner"), "value"] == 100 and h.loc[("Y", "einwohner"), "value"] == 900
    # share from redistributed parts: Y gets 22.5 of 225 from A and 100 of 500 from B
    assert h.loc[("Y", "sgb2_quote"), "numerator"] == pytest.approx(122.5)
    assert h.loc[("Y", "sgb2_quote"), "value"] == pytest.approx(100 * 122.5 / 725)
    # mean weighted by population × weight: (40·300 + 50·600) / 900
    assert h.loc[("Y", "durchschnittsalter"), "value"] == pytest.approx((40 * 300 + 50 * 600) / 900)
    assert h.loc[("X", "durchschnittsalter"), "value"] == pytest.approx(40.0)
    assert set(h.loc[["X", "Y"], "flag"]) == {"estimated"}          # built from a split area
    assert h.loc[("C", "einwohner"), "value"] == 77 and h.loc[("C", "einwohner"), "flag"] == "ok"


def test_harmonise_suppressed_contributors(catalog):
    cw = pd.DataFrame({"old_id": ["A", "B"], "new_id": ["Y", "Y"], "weight": [1.0, 1.0]})
    o = obs(("A", "einwohner", "2020", 900, None, None, "ok"), ("B", "einwohner", "2020", 100, None, None, "ok"),
            ("A", "durchschnittsalter", "2020", 40.0, None, None, "ok"),
            ("B", "durchschnittsalter", "2020", None, None, None, "suppressed"),
            ("A", "hze_faelle", "2020", 10, None, None, "ok"), ("B", "hze_faelle", "2020", None, None, None, "suppressed"))
    h = harmonise_boundaries(o, cw, catalog, "einwohner").set_index("indicator_id")
    assert h.loc["durchschnittsalter", "value"] == 40.0 and h.loc["durchschnittsalter", "flag"] == "estimated"
    assert np.isnan(h.loc["hze_faelle", "value"]) and h.loc["hze_faelle", "flag"] == "suppressed"
    assert h.loc["einwohner", "flag"] == "ok"


def test_harmonise_carries_a_value_of_the_area_as_a_whole_only_onto_the_same_area(catalog):
    """A boundary's length (catalog ``carried`` false) is no sum or mean of merged areas', nor a split area's: it
    reaches a new area only from an old one that is that area unchanged in the period — B merged into A in 2020
    (both in that period's tables), alone in 2021; C split; D unchanged; E renamed F whole."""
    cw = pd.DataFrame({"old_id": ["A", "B", "C", "C", "D", "E"], "new_id": ["A", "A", "X", "Y", "D", "F"],
                       "weight": [1.0, 1.0, 0.5, 0.5, 1.0, 1.0]})
    rows = []
    for region, residents, boundary in [("A", 100, 12.0), ("B", 50, 7.0), ("C", 80, 9.0), ("D", 30, 4.0),
                                        ("E", 20, 3.0)]:
        rows += [(region, "einwohner", "2020", residents, None, None, "ok"),
                 (region, "gebietsgrenze_km", "2020", boundary, None, None, "ok"),
                 (region, "durchschnittsalter", "2020", 40.0 + residents / 10, None, None, "ok")]
    rows += [("A", "einwohner", "2021", 150, None, None, "ok"),
             ("A", "gebietsgrenze_km", "2021", 15.5, None, None, "ok")]
    h = harmonise_boundaries(obs(*rows), cw, catalog, "einwohner")
    boundary = h[h["indicator_id"] == "gebietsgrenze_km"].set_index(["region_id", "period"])
    assert sorted(boundary.index) == [("A", "2021"), ("D", "2020"), ("F", "2020")]
    assert boundary.loc[("A", "2021"), "value"] == 15.5 and boundary.loc[("F", "2020"), "value"] == 3.0
    assert set(boundary["flag"]) == {"ok"}
    # the other kinds go on as before: the merged A of 2020 has the residents of both and their mean age
    rest = h.set_index(["region_id", "indicator_id", "period"])
    assert rest.loc[("A", "einwohner", "2020"), "value"] == 150
    assert rest.loc[("A", "durchschnittsalter", "2020"), "value"] == pytest.approx((50 * 100 + 45 * 50) / 150)
    assert rest.loc[("X", "durchschnittsalter", "2020"), "value"] == pytest.approx(48.0)
    assert len(h) == 6 + 5 + 3           # residents (A twice, X, Y, D, F), mean age (A, X, Y, D, F), boundary


def test_an_area_whose_boundary_moved_by_a_sliver_keeps_its_value_of_the_whole(catalog):
    """A crosswalk computed from two maps gives each area slivers of its neighbours. P keeps 99.5 % of itself in P2
    and gives 0.5 % to Q2; Q keeps 99.2 % in Q2 and gives 0.8 % to P2: each is its new area but for a sliver and
    keeps its class-like value, flagged estimated. R gives 5 % to R3 — more than a sliver: R is split; S goes whole
    into S2 but S2 takes 2 % of T: no more the same area either, nor is T."""
    cw = pd.DataFrame({"old_id": ["P", "P", "Q", "Q", "R", "R", "S", "T", "T"],
                       "new_id": ["P2", "Q2", "Q2", "P2", "R2", "R3", "S2", "T2", "S2"],
                       "weight": [0.995, 0.005, 0.992, 0.008, 0.95, 0.05, 1.0, 0.98, 0.02]})
    rows = []
    for region, boundary in [("P", 5.0), ("Q", 6.0), ("R", 7.0), ("S", 8.0), ("T", 9.0)]:
        rows += [(region, "einwohner", "2020", 1000, None, None, "ok"),
                 (region, "gebietsgrenze_km", "2020", boundary, None, None, "ok")]
    h = harmonise_boundaries(obs(*rows), cw, catalog, "einwohner")
    boundary = h[h["indicator_id"] == "gebietsgrenze_km"].set_index("region_id")
    assert sorted(boundary.index) == ["P2", "Q2"]
    assert boundary.loc["P2", "value"] == 5.0 and boundary.loc["Q2", "value"] == 6.0
    assert set(boundary["flag"]) == {"estimated"}
    assert not_carried(obs(*rows), cw, catalog).sum() == 3     # R, S and T's boundaries
    # an exact 1 % is still a sliver
    edge = cw.assign(weight=[0.99, 0.01, 1.0, 0.0, 0.95, 0.05, 1.0, 0.98, 0.02])
    assert sorted(harmonise_boundaries(obs(*rows), edge, catalog, "einwohner").query(
        "indicator_id == 'gebietsgrenze_km'")["region_id"]) == ["P2", "Q2"]
    # a hair more is a piece: P is split, and Q2 takes a piece of P
    edge = cw.assign(weight=[0.989, 0.011, 1.0, 0.0, 0.95, 0.05, 1.0, 0.98, 0.02])
    assert "gebietsgrenze_km" not in set(harmonise_boundaries(obs(*rows), edge, catalog, "einwohner")["indicator_id"])


def test_derive_fills_only_missing(catalog):
    o = obs(("A", "sgb2_empfaenger", "2020", 50, None, None, "ok"), ("A", "ew_unter65", "2020", 1000, None, None, "estimated"),
            ("B", "sgb2_empfaenger", "2020", 10, None, None, "ok"), ("B", "ew_unter65", "2020", 100, None, None, "ok"),
            ("B", "sgb2_quote", "2020", 9.9, None, None, "ok"))
    d = derive_indicators(o, catalog)
    quote = d[d["indicator_id"] == "sgb2_quote"].set_index("region_id")
    assert quote.loc["A", "value"] == pytest.approx(5.0) and quote.loc["A", "flag"] == "estimated"
    assert quote.loc["A", "numerator"] == 50 and quote.loc["A", "denominator"] == 1000
    assert quote.loc["B", "value"] == 9.9  # observed value kept
    assert len(d) == 6


def test_a_share_its_counts_put_outside_its_range_is_left_empty_and_named(catalog):
    """More recipients than residents under 65 (two tables of different stands): no share of 250 %."""
    o = obs(("A", "sgb2_empfaenger", "2020", 500, None, None, "ok"), ("A", "ew_unter65", "2020", 200, None, None, "ok"),
            ("B", "sgb2_empfaenger", "2020", 20, None, None, "ok"), ("B", "ew_unter65", "2020", 200, None, None, "ok"))
    d = derive_indicators(o, catalog).set_index(["region_id", "indicator_id"])
    assert np.isnan(d.loc[("A", "sgb2_quote"), "value"]) and d.loc[("A", "sgb2_quote"), "numerator"] == 500
    assert d.loc[("B", "sgb2_quote"), "value"] == pytest.approx(10.0)
    bad = derived_out_of_range(derive_indicators(o, catalog), catalog)
    assert bad[["region_id", "indicator_id", "numerator", "denominator"]].values.tolist() == [
        ["A", "sgb2_quote", 500.0, 200.0]]
    assert bad["value"].iloc[0] == pytest.approx(250.0)
    assert derived_out_of_range(derive_indicators(o[o["region_id"] == "B"], catalog), catalog).empty


def test_suppression_rules(catalog):
    privacy = PrivacyConfig(min_count=3, min_population=300)
    o = obs(("A", "einwohner", "2020", 1000, None, None, "ok"), ("A", "hze_faelle", "2020", 2, None, None, "ok"),
            ("A", "hze_dichte", "2020", 10.0, 2, 200, "ok"), ("A", "sgb2_empfaenger", "2020", 40, None, None, "ok"),
            ("A", "sgb2_quote", "2020", 5.0, 40, 800, "ok"),
            ("A", "hze_dichte", "2021", 10.0, None, None, "ok"), ("A", "hze_faelle", "2021", 1, None, None, "ok"),
            ("S", "einwohner", "2020", 250, None, None, "ok"), ("S", "sgb2_quote", "2020", 7.0, 14, 200, "ok"),
            ("A", "saldo_natuerlich", "2020", -2, None, None, "ok"),
            ("A", "sgb2_empfaenger", "2021", None, None, None, "suppressed"))
    s = suppress_small_numbers(o, catalog, privacy, "einwohner").set_index(["region_id", "indicator_id", "period"])
    assert s.loc[("A", "sgb2_empfaenger", "2021"), "suppressed_by"] == "source"    # withheld on arrival
    assert s.loc[("A", "sgb2_empfaenger", "2020"), "suppressed_by"] == ""
    assert s.loc[("A", "hze_faelle", "2020"), "suppressed_by"] == "count"
    assert s.loc[("A", "hze_dichte", "2020"), "suppressed_by"] == "numerator"
    assert s.loc[("A", "hze_dichte", "2021"), "suppressed_by"] == "numerator"   # numerator suppressed elsewhere
    assert s.loc[("S", "sgb2_quote", "2020"), "suppressed_by"] == "population"
    assert s.loc[("S", "einwohner", "2020"), "flag"] == "ok"
    assert s.loc[("A", "sgb2_quote", "2020"), "flag"] == "ok" and s.loc[("A", "saldo_natuerlich", "2020"), "flag"] == "ok"
    hidden = s[s["flag"] == "suppressed"]
    assert hidden[["value", "numerator", "denominator"]].isna().all().all()
    assert len(s) == len(o)  # flagged, never dropped


def test_areas_add_up_and_are_no_small_numbers(catalog):
    """An area is a measured amount: two merged Gemeinden's areas add up (the mean of them, weighted by residents,
    was no area), a Gemeinde of 2.4 km² housing land is no small number of persons, and a page writes km² with
    decimals."""
    privacy = PrivacyConfig(min_count=3, min_population=300)
    o = obs(("A", "einwohner", "2020", 1000, None, None, "ok"),
            ("A", "wohnbauflaeche_km2", "2020", 2.4, None, None, "ok"),
            ("A", "flaeche_km2", "2020", 12.0, None, None, "ok"),
            ("A", "wohnbauflaeche_anteil", "2020", 20.0, 2.4, 12.0, "ok"))
    s = suppress_small_numbers(o, catalog, privacy, "einwohner")
    assert set(s["flag"]) == {"ok"}
    merged = obs(("A", "flaeche_km2", "2020", 12.0, None, None, "ok"),
                 ("B", "flaeche_km2", "2020", 30.5, None, None, "ok"),
                 ("A", "einwohner", "2020", 1000, None, None, "ok"),
                 ("B", "einwohner", "2020", 100, None, None, "ok"),
                 # the densities as a register publishes them, rounded, without their parts
                 ("A", "bevoelkerungsdichte", "2020", 83.0, None, None, "ok"),
                 ("B", "bevoelkerungsdichte", "2020", 3.0, None, None, "ok"))
    cw = pd.DataFrame({"old_id": ["A", "B"], "new_id": ["A", "A"], "weight": [1.0, 1.0]})
    h = harmonise_boundaries(merged, cw, catalog, "einwohner").set_index(["region_id", "indicator_id"])["value"]
    assert h[("A", "flaeche_km2")] == 42.5 and h[("A", "einwohner")] == 1100
    # residents per km² of the merged area (1,100 / 42.5), not the residents' mean of the two densities (75.7)
    assert h[("A", "bevoelkerungsdichte")] == pytest.approx(1100 / 42.5)
    assert (catalog["flaeche_km2"].decimals, catalog["einwohner"].decimals, catalog["sgb2_quote"].decimals) == (2, 0, 1)


def test_standardise_by_hand():
    values = pd.DataFrame({"a": [1.0, 2.0, 3.0, 10.0], "b": [4.0, 4.0, 6.0, 6.0]}, index=list("wxyz"))
    ref = pd.Series([True, True, True, False], index=list("wxyz"))
    z = standardise_indicators(values, ref, pd.Series({"a": 1, "b": -1}), ddof=1)
    # a: mean 2, sample sd 1 over w,x,y; z outlier at 8
    assert z["a"].tolist() == pytest.approx([-1, 0, 1, 8])
    # population sd (Berlin's choice): sqrt(2/3)
    assert standardise_indicators(values, ref, pd.Series({"a": 1}), ddof=0)["a"].tolist() == pytest.approx(
        [-np.sqrt(1.5), 0, np.sqrt(1.5), 8 * np.sqrt(1.5)])
    # b: mean 14/3, sample sd = sqrt(4/3); polarity -1 flips
    sd = np.sqrt(4 / 3)
    assert z["b"].tolist() == pytest.approx([(14 / 3 - 4) / sd, (14 / 3 - 4) / sd, (14 / 3 - 6) / sd, (14 / 3 - 6) / sd])


def test_changes_over_k_periods():
    idx = pd.MultiIndex.from_tuples([("r", "2019"), ("r", "2020"), ("r", "2021"), ("r", "2023")], names=["region_id", "period"])
    panel = pd.DataFrame({"a": [1.0, 2.0, 4.0, 7.0]}, index=idx)
    ch = compute_changes(panel, 2)
    assert ch["a"].isna().tolist() == [True, True, False, False]
    assert ch["a"].iloc[2] == 3.0 and ch["a"].iloc[3] == 3.0


def test_no_change_across_a_definition_break():
    """An indicator defined anew from 2021 has no change 2019 → 2021 nor 2020 → 2022; the others keep theirs."""
    idx = pd.MultiIndex.from_tuples([("r", str(y)) for y in range(2019, 2024)], names=["region_id", "period"])
    panel = pd.DataFrame({"a": [1.0, 2.0, 4.0, 7.0, 11.0], "b": [1.0, 2.0, 4.0, 7.0, 11.0]}, index=idx)
    ch = compute_changes(panel, 2, {"a": (2021,)})
    assert ch["a"].isna().tolist() == [True, True, True, True, False] and ch["a"].iloc[4] == 7.0
    assert ch["b"].isna().tolist() == [True, True, False, False, False]


def test_no_change_from_or_to_a_copied_year():
    """2021 repeats 2020 (a copied edition): its "no change" and the change 2021 → 2023 measured from the copy are
    unknown; 2020 → 2022 keeps its change, and another indicator keeps all of its own."""
    idx = pd.MultiIndex.from_tuples([("r", str(y)) for y in range(2019, 2025)], names=["region_id", "period"])
    panel = pd.DataFrame({"a": [1.0, 2.0, 2.0, 7.0, 11.0, 12.0], "b": [1.0, 2.0, 4.0, 7.0, 11.0, 12.0]}, index=idx)
    ch = compute_changes(panel, 2, copies={"a": (2021,)})
    assert ch["a"].isna().tolist() == [True, True, True, False, True, False]
    assert ch["a"].iloc[3] == 5.0 and ch["a"].iloc[5] == 5.0
    assert ch["b"].isna().tolist() == [True, True, False, False, False, False]


def test_no_change_from_or_to_a_value_copied_in_one_region_only():
    """A block copied in one group (:mod:`features.copied_blocks`) gives its regions' values: 2021 repeats 2020 in
    region r only. There its change into 2021 and from 2021 to 2023 are unknown; region s keeps every change of its
    own, and so does indicator b in r."""
    idx = pd.MultiIndex.from_tuples([(r, str(y)) for r in ("r", "s") for y in range(2019, 2025)],
                                    names=["region_id", "period"])
    a = [1.0, 2.0, 2.0, 7.0, 11.0, 12.0]
    panel = pd.DataFrame({"a": a + a, "b": a + a}, index=idx)
    ch = compute_changes(panel, 2, cells=frozenset({("r", "a", "2021"), ("r", "zz", "2020"), ("s", "a", "2021Q1")}))
    assert ch["a"].isna().tolist() == [True, True, True, False, True, False] + [True, True, False, False, False, False]
    assert ch["a"].iloc[3] == 5.0 and ch["a"].iloc[5] == 5.0 and ch.loc[("s", "2023"), "a"] == 9.0
    assert ch["b"].isna().tolist() == [True, True, False, False, False, False] * 2
    assert compute_changes(panel, 1, cells={("r", "a", "2021")})["a"].isna().tolist() == (
        [True, False, True, True, False, False] + [True, False, False, False, False, False])


def _long(wide: dict[str, list[float]], indicator: str) -> pd.DataFrame:
    """One indicator's values, period → values of regions r0, r1, …, as long observations."""
    return pd.DataFrame([{"region_id": f"r{k}", "indicator_id": indicator, "period": period, "value": v}
                         for period, values in wide.items() for k, v in enumerate(values)])


def test_copied_years_follow_the_imports_rule(catalog):
    """A year repeating the year before in every region is a copy; not where few regions or few distinct values
    agree (a flag), nor in an indicator that stands still more often than it moves; a share of two copied
    counts is copied too."""
    rng = np.random.default_rng(0)
    base = rng.normal(50, 10, 12).round(1).tolist()
    moved = [v + 1.5 for v in base]
    copied = _long({"2017": base, "2019": base, "2021": moved}, "arbeitslosenquote")
    assert copied_years(copied) == {"arbeitslosenquote": (2019,)}
    few = _long({"2017": base[:9], "2019": base[:9], "2021": moved[:9]}, "arbeitslosenquote")
    flag = _long({"2017": [0, 1] * 6, "2019": [0, 1] * 6, "2021": [1, 0] * 6}, "arbeitslosenquote")
    still = _long({"2017": base, "2019": base, "2021": base, "2023": moved}, "arbeitslosenquote")
    one_region_moves = _long({"2017": base, "2019": base[:-1] + [base[-1] + 1], "2021": moved}, "arbeitslosenquote")
    # two regions swap their values: count, sum and sum of squares agree, the regions do not
    swapped = _long({"2017": base, "2019": [base[1], base[0]] + base[2:], "2021": moved}, "arbeitslosenquote")
    for frame in (few, flag, still, one_region_moves, swapped):
        assert copied_years(frame) == {}
    share = next(i for i in catalog if i.numerator and i.denominator)
    counts = pd.concat([_long({"2017": base, "2019": base, "2021": moved}, share.numerator),
                        _long({"2017": moved, "2019": moved, "2021": base}, share.denominator)])
    assert copied_years(counts, catalog)[share.indicator_id] == (2019,)


def test_dimension_scores():
    z = pd.DataFrame({"a": [1.0, -1.0], "b": [3.0, np.nan], "c": [10.0, 10.0]}, index=["x", "y"])
    dims = score_dimensions(z, pd.Series({"a": "arbeit", "b": "arbeit", "c": "raum"}), pd.Series({"a": 1, "b": -1, "c": 0}))
    assert dims["arbeit"].tolist() == [2.0, -1.0]
    assert "raum" not in dims.columns  # no burden direction, no score


@pytest.mark.parametrize("index, code", [(-1.0, 1), (-0.99, 2), (0.99, 2), (1.0, 3), (1.49, 3), (1.5, 4), (np.nan, np.nan)])
def test_berlin_class_boundaries(index, code):
    out = classify_index(pd.Series([index]), (-1.0, 1.0, 1.5))
    assert (np.isnan(code) and np.isnan(out[0])) or out[0] == code


def test_status_index_and_ranking():
    z = pd.DataFrame({"s1": [0.0, 1.0, 2.0, -3.0], "s2": [0.0, 1.0, 2.0, 1.0]}, index=list("abcd"))
    ref = pd.Series(True, index=z.index)
    cfg = IndexConfig(status_indicators=["s1", "s2"])
    out = compute_status_index(z, z, ref, cfg, ["s1", "s2"], ["s1"], ddof=1)
    sums = np.array([0.0, 2.0, 4.0, -2.0])
    expected = (sums - sums.mean()) / sums.std(ddof=1)
    assert out["status_sum"].tolist() == pytest.approx(sums.tolist())
    assert out["status_index"].tolist() == pytest.approx(expected.tolist())
    assert out["status_rank"].isna().all()  # no ranking unless configured
    ranked = compute_status_index(z, z, ref, IndexConfig(status_indicators=["s1"], ranking=True), ["s1", "s2"], ["s1"])
    assert ranked["status_rank"].tolist() == [3, 2, 1, 4]
    assert out["status_label"].tolist() == [dict(zip(range(1, 5), cfg.status_labels))[c] for c in out["status_class"]]


def test_status_needs_every_indicator():
    z = pd.DataFrame({"s1": [0.0, 1.0, 2.0], "s2": [0.0, np.nan, 2.0]}, index=list("abc"))
    out = compute_status_index(z, z, pd.Series(True, index=z.index), IndexConfig(status_indicators=["s1", "s2"]),
                               ["s1", "s2"], ["s1", "s2"])
    assert np.isnan(out.loc["b", "status_sum"])
    # an indicator without any value in the period is left out instead
    z["s3"] = np.nan
    out = compute_status_index(z, z, pd.Series(True, index=z.index), IndexConfig(status_indicators=["s1", "s3"]),
                               ["s1", "s3"], ["s1"])
    assert out["status_sum"].tolist() == [0.0, 1.0, 2.0] and set(out["status_indicators"]) == {"s1"}


def test_blocks_standardise_separately():
    values = pd.DataFrame({"a": [1.0, 3.0, 10.0, 30.0]}, index=list("wxyz"))
    z = standardise_indicators(values, pd.Series(True, index=values.index), pd.Series({"a": 1}), ddof=0,
                               blocks=np.array(["k1", "k1", "k2", "k2"]))
    assert z["a"].tolist() == pytest.approx([-1, 1, -1, 1])


def test_impute_marks_cells():
    z = pd.DataFrame({"a": [0.0, 1.0, 1.1, 5.0], "b": [0.0, 1.0, np.nan, 5.0], "c": [np.nan] * 4}, index=list("wxyz"))
    filled, imputed = impute_for_modelling(z, n_neighbors=1)
    assert filled.loc["y", "b"] == 1.0 and imputed.loc["y", "b"]
    assert imputed.to_numpy().sum() == 1 and filled["c"].isna().all()
    assert np.isnan(z.loc["y", "b"])  # input untouched


def test_knn_fill_matches_scikit_learn():
    from sklearn.impute import KNNImputer

    from features.steps import _knn_fill

    rng = np.random.default_rng(3)
    for _ in range(20):
        x = rng.normal(size=(25, 6))
        x[rng.random(x.shape) < 0.25] = np.nan
        x = x[~np.isnan(x).all(axis=1)]
        expected = KNNImputer(n_neighbors=4, keep_empty_features=True).fit_transform(x)
        np.testing.assert_allclose(_knn_fill(x, 4), expected)


def test_harmonise_a_count_nobody_reported_stays_missing_not_zero(catalog):
    """Where every contributor of a new area has no value (not suppressed, just not reported), the sum is
    missing — never 0 residents or 0 cases."""
    cw = pd.DataFrame({"old_id": ["A", "B", "C"], "new_id": ["Y", "Y", "Z"], "weight": [1.0, 1.0, 1.0]})
    o = obs(("A", "hze_faelle", "2020", None, None, None, "ok"), ("B", "hze_faelle", "2020", None, None, None, "ok"),
            ("C", "hze_faelle", "2020", 0, None, None, "ok"),
            ("A", "sgb2_quote", "2020", None, None, None, "ok"), ("B", "sgb2_quote", "2020", None, None, None, "ok"))
    h = harmonise_boundaries(o, cw, catalog, "einwohner").set_index(["region_id", "indicator_id"])
    assert np.isnan(h.loc[("Y", "hze_faelle"), "value"]) and np.isnan(h.loc[("Y", "sgb2_quote"), "value"])
    assert h.loc[("Z", "hze_faelle"), "value"] == 0        # a reported zero stays zero


EDITION = st.sampled_from(["new", "copy", "copy_but_one", "copy_swapped", "few_values", "copy_of_few_values"])


@hsettings(max_examples=12, deadline=None)
@given(st.lists(st.tuples(EDITION, EDITION), min_size=2, max_size=5), st.integers(8, 14), st.integers(0, 10 ** 6))
@example([("new", "new"), ("copy", "copy_swapped"), ("new", "new")], 12, 1).via("a copy, found by both")
def test_the_features_step_and_the_import_find_the_same_copied_years(tmp_path_factory, editions, n_regions, seed):
    """One rule in two places: the import names a repeated edition in its report (SQL on the store), the features
    step keeps it out of the changes (pandas on the observations). On any panel — fresh editions, copies, copies
    with one region moved or two regions' values swapped, few distinct values — they find the same years."""
    from ml.config import load_settings
    from ml.importers import ingest_file
    from ml.store import Store

    rng = np.random.default_rng(seed)
    tmp = tmp_path_factory.mktemp("copies")
    settings = load_settings(env={"SOZIALRADAR_STORE__PATH": str(tmp / "s.duckdb"),
                                  "SOZIALRADAR_INGEST__REPORT_DIR": str(tmp / "q")})
    regions = [f"{k:02d}" for k in range(1, n_regions + 1)]
    rows = []
    for indicator, kinds in zip(("sgb2_quote", "alq_unter25"), zip(*editions)):
        values = None
        for year, kind in zip(range(2015, 2015 + len(kinds)), kinds):
            if values is None or kind == "new":
                values = rng.uniform(1, 60, n_regions).round(1)
            elif kind == "copy_but_one":
                values = values.copy()
                values[0] = round(values[0] + 0.3, 1)
            elif kind == "copy_swapped":
                values = values.copy()
                values[[0, 1]] = values[[1, 0]]
            elif kind == "few_values":
                values = rng.choice([5.0, 10.0, 15.0], n_regions)
            rows += [(r, indicator, str(year), v) for r, v in zip(regions, values)]
    (tmp / "regions.csv").write_text("region_id,name,level\n" + "".join(f"{r},Ort {r},gemeinde\n" for r in regions),
                                     encoding="utf-8")
    (tmp / "values.csv").write_text("region_id,indicator_id,period,value\n"
                                    + "".join(f"{r},{i},{p},{v}\n" for r, i, p, v in rows), encoding="utf-8")
    with Store(settings.store.path) as store:
        assert ingest_file(tmp / "regions.csv", store, settings).status == "ok"
        report = ingest_file(tmp / "values.csv", store, settings)
        assert report.status == "ok"
        observations = store.observations()
    named = set()
    for note in report.notes:
        found = re.match(r"the values of (\d{4}) and (\d{4}) are identical in all [\d,]+ regions for ([a-z0-9_, ]+):",
                         note)
        if found:
            named |= {(i, int(found[2])) for i in found[3].split(", ")}
    assert {(i, y) for i, years in copied_years(observations).items() for y in years} == named
    if editions == [("new", "new"), ("copy", "copy_swapped"), ("new", "new")]:
        assert named == {("sgb2_quote", 2016)}


def test_a_share_of_a_withheld_count_is_withheld_not_missing(catalog):
    # auslaender_anteil = 100 · auslaender / einwohner; a region's count of foreigners withheld at the source
    withheld = pd.DataFrame({
        "region_id": ["a", "a", "b", "b"], "indicator_id": ["auslaender", "einwohner"] * 2,
        "period": "2022", "value": [np.nan, 5000.0, 40.0, 6000.0], "numerator": np.nan, "denominator": np.nan,
        "flag": ["suppressed", "ok", "ok", "ok"]})
    out = derive_indicators(withheld, catalog)
    rows = out[out["indicator_id"] == "auslaender_anteil"].set_index("region_id")
    assert rows.at["a", "flag"] == "suppressed" and np.isnan(rows.at["a", "value"])
    assert rows.at["b", "flag"] == "ok" and rows.at["b", "value"] > 0

"""The composed pipeline on the synthetic county: planted structure shows, privacy holds."""

import json
import re

import numpy as np
import pandas as pd
import pytest

from experiments.cli import class_table
from features.pipeline import FeatureError, reference_groups, run_pipeline
from ml.paths import SAMPLE_DIR


@pytest.fixture(scope="module")
def result(sample_inputs):
    settings, catalog, obs, regions = sample_inputs
    return run_pipeline(obs, regions, catalog, settings)


@pytest.fixture(scope="module")
def truth():
    return json.loads((SAMPLE_DIR / "ground_truth.json").read_text(encoding="utf-8"))


def test_one_profile_row_per_region_and_year(result):
    p = result.profiles
    assert len(p) == 53 * 16 and not p.duplicated(["region_id", "period"]).any()
    assert {"z_sgb2_quote", "dz_sgb2_quote", "dim_arbeit", "status_index", "status_label", "dynamics_label",
            "flags", "status_rank"} <= set(p.columns)
    assert p["status_rank"].isna().all()  # ranking is off by default
    assert set(p["reference_group"]) == {"14599"}


def test_reference_set_is_standardised(result):
    p = result.profiles
    ref = p[p["is_reference"] & (p["period"] == "2025")]
    assert ref["z_sgb2_quote"].mean() == pytest.approx(0, abs=1e-9)
    assert ref["z_sgb2_quote"].std(ddof=0) == pytest.approx(1)  # population sd, as Berlin
    assert ref["status_index"].mean() == pytest.approx(0, abs=1e-9)
    # polarity: a higher Abitur rate means less burden, so its z-value is flipped
    v = result.values
    abi = v[(v["indicator_id"] == "abiturquote") & (v["period"] == "2025")].set_index("region_id")["value"]
    z = ref.set_index("region_id")["z_abiturquote"]
    assert abi.reindex(z.index).corr(z) < -0.99


def test_deteriorating_gemeinden_rise_after_onset(result, truth):
    index = result.profiles.pivot(index="period", columns="region_id", values="status_index")
    assert len(truth["deteriorating"]) == 8
    for d in truth["deteriorating"]:
        onset, region = d["onset_year"], d["region_id"]
        before = index.loc[[str(y) for y in range(onset - 3, onset)], region].mean()
        after = index.loc[str(min(onset + 4, 2025)), region]
        assert after > before + 0.5, (region, before, after)


def test_small_gemeinden_suppressed_and_no_small_count_in_a_profile(result, truth, catalog):
    v = result.values
    counts = v[v["indicator_id"].map(lambda i: catalog[i].kind == "count") & (v["indicator_id"] != "einwohner")]
    persons = counts["indicator_id"].map(lambda i: catalog[i].persons)
    # every count of persons below 3 is gone, flagged; counts of things (dwellings, cars) stay
    assert not ((counts["value"] < 3) & persons).any()
    assert counts.loc[counts["suppressed_by"] == "count", "indicator_id"].map(lambda i: catalog[i].persons).all()
    raw_small = counts[counts["suppressed_by"] == "count"]
    assert len(raw_small) > 0 and raw_small["value"].isna().all()
    p = result.profiles
    for region in truth["small_gemeinden"]:
        rows = p[p["region_id"] == region]
        assert (rows["n_suppressed"] > 0).all() and rows["flags"].str.contains("suppressed").all()
    tiny = p[p["region_id"].isin(truth["below_population_threshold"]) & (p["population"] < 300)]
    assert len(tiny) > 0 and tiny["status_index"].isna().all()
    zcols = [c for c in p.columns if c.startswith("z_") and c != "z_einwohner"]
    assert tiny[zcols].isna().all().all()  # everything but the population itself is suppressed
    # the profile carries z-values and scores only: the one raw number is the population
    raw = [c for c in p.columns if not c.startswith(("z_", "dz_", "dim_", "status_", "dynamics_"))]
    assert set(raw) == {"region_id", "period", "reference_group", "population", "is_reference", "n_values",
                        "n_suppressed", "n_imputed", "flags"}


def test_model_matrix_imputes_and_flags(result):
    m = result.model
    assert (m.filter(like="imputed_").sum().sum()) > 0
    p = result.profiles.set_index(["region_id", "period"])
    m = m.set_index(["region_id", "period"])
    observed = p["z_sgb2_quote"].notna()
    assert np.allclose(m.loc[observed, "m_sgb2_quote"], p.loc[observed, "z_sgb2_quote"])
    assert not m.loc[observed, "imputed_sgb2_quote"].any()


def test_class_table(result):
    t = class_table(result.profiles, "2025")
    assert t["regions"].sum() == 53
    # a region without an index (the small areas withheld, and one more here) is counted as such, not as NaN
    p = result.profiles
    first = p.loc[p["status_label"].notna() & (p["period"] == "2025"), "region_id"].iloc[0]
    without = p.assign(status_label=p["status_label"].where(p["region_id"] != first))
    before, after = (int(x.loc[x["status_label"] == "ohne Index", "regions"].sum())
                     for x in (t, class_table(without, "2025")))
    assert after == before + 1 and class_table(without, "2025")["regions"].sum() == 53
    assert not t.isna().any().any()


def test_reference_groups(sample_inputs):
    _, _, _, regions = sample_inputs
    groups = reference_groups(regions, "gemeinde", "kreis")
    assert len(groups) == 53 and set(groups) == {"14599"}
    assert set(reference_groups(regions, "gemeinde", None)) == {"alle"}
    assert set(reference_groups(regions, "sozialregion", "kreis")) == {"14599"}
    with pytest.raises(FeatureError, match="no regions at level 'planungsraum'; levels in the store: gemeinde 53, "
                       "kreis 1, sozialregion 7$"):
        reference_groups(regions, "planungsraum", None)
    # where the values are, told: the level most of the observations' regions are on, and how to set it
    gemeinden = regions.loc[regions["level"].eq("gemeinde"), "region_id"]
    with pytest.raises(FeatureError, match=r"sozialregion 7; the values are at level 'gemeinde': set it in "
                       r"sozialradar.yaml \(features: level: gemeinde\) or with SOZIALRADAR_FEATURES__LEVEL$"):
        reference_groups(regions, "planungsraum", None, pd.concat([gemeinden, pd.Series(["14599"])]))


def test_unknown_index_indicator(sample_inputs):
    settings, catalog, obs, regions = sample_inputs
    bad = settings.model_copy(update={"features": settings.features.model_copy(update={
        "index": settings.features.index.model_copy(update={"status_indicators": ["gibtsnicht"]})})})
    with pytest.raises(FeatureError, match="'gibtsnicht', which is not in the catalog"):
        run_pipeline(obs, regions, catalog, bad)


def test_neutral_index_indicator_is_refused(sample_inputs):
    """An indicator of polarity 0 tells no direction: in the index it would be read as 'more is more burden', so
    naming it there is refused with the catalog file to mend."""
    settings, catalog, obs, regions = sample_inputs
    neutral = next(i for i in catalog if i.polarity == 0 and i.kind == "share")
    bad = settings.model_copy(update={"features": settings.features.model_copy(update={
        "index": settings.features.index.model_copy(update={
            "status_indicators": ["sgb2_quote", neutral.indicator_id]})})})
    with pytest.raises(FeatureError, match=rf"polarity is 0 \(neutral\).*: {neutral.indicator_id} "
                                           rf"\({neutral.catalog_file}\); write 1"):
        run_pipeline(obs, regions, catalog, bad)


def test_residents_of_one_period_leave_the_other_periods_their_index(sample_inputs):
    """A census year's residents beside editions without any: the editions without residents are read as data
    without a population (every region a reference region), not as editions without a reference region."""
    settings, catalog, obs, regions = sample_inputs
    years = obs.loc[obs["period"].str.len() == 4, "period"]
    first, latest = years.min(), years.max()
    census = obs[(obs["indicator_id"] != "einwohner") | (obs["period"] == latest)]
    full = run_pipeline(obs, regions, catalog, settings).profiles.set_index(["region_id", "period"])
    result = run_pipeline(census, regions, catalog, settings)
    p = result.profiles.set_index(["region_id", "period"])
    earlier = p.index.get_level_values("period") < latest
    # the earlier editions: an index for every region with values, the small Gemeinden among them
    assert p.loc[earlier, "is_reference"].all()
    assert p.loc[earlier, "status_index"].notna().mean() > 0.9
    assert not full.loc[earlier, "is_reference"].all()      # with their residents, the small ones are not
    # the latest edition, with its residents, as before
    last = ~earlier
    assert p.loc[last, "is_reference"].equals(full.loc[p.index[last], "is_reference"])
    assert np.allclose(p.loc[last, "status_index"], full.loc[p.index[last], "status_index"], equal_nan=True)
    said = [n for n in result.notes if "population indicator" in n]
    assert said == [f"no values of the population indicator 'einwohner' in {first}–{int(latest) - 1} "
                    f"({int(latest) - int(first)} periods): there every region is a reference region of the index, "
                    "and no area is withheld for its size"]
    # residents of the county alone, none of its Gemeinden's: as a table without residents, and said once
    whole = pd.DataFrame({"region_id": "14599", "indicator_id": "einwohner", "period": years.unique(),
                          "value": 120_000.0, "flag": "ok"})
    county = pd.concat([obs[obs["indicator_id"] != "einwohner"], whole], ignore_index=True)
    alone = run_pipeline(county, regions, catalog, settings)
    assert alone.profiles.loc[alone.profiles["period"].str.len() == 4, "is_reference"].all()
    said = [n for n in alone.notes if "population indicator" in n]
    assert len(said) == 1 and said[0].startswith("no values of the population indicator 'einwohner': every region")


def test_a_region_without_residents_beside_others_with_them_is_a_reference_region(sample_inputs):
    """One Land's register beside the census of all: where some regions have no residents' figure at all, they are
    reference regions (nothing says they are small), not left out of the standardisation; a region whose residents
    are withheld at the source is not one (its figure is withheld because it is small)."""
    settings, catalog, obs, regions = sample_inputs
    annual = obs["period"].str.len() == 4
    gemeinden = sorted(obs.loc[obs["indicator_id"] == "einwohner", "region_id"].unique())
    unknown, withheld = set(gemeinden[::2]), gemeinden[1]
    partial = obs[~((obs["indicator_id"] == "einwohner") & obs["region_id"].isin(unknown))].copy()
    hide = (partial["indicator_id"] == "einwohner") & (partial["region_id"] == withheld) & annual
    partial.loc[hide, ["value", "flag"]] = [np.nan, "suppressed"]
    result = run_pipeline(partial, regions, catalog, settings)
    p = result.profiles[result.profiles["period"].str.len() == 4].set_index("region_id")
    assert p.loc[p.index.isin(unknown), "is_reference"].all()
    assert not p.loc[withheld, "is_reference"].any()
    # a region whose residents are known to be under 300 stays out, as with every figure known
    full = run_pipeline(obs, regions, catalog, settings).profiles.set_index(["region_id", "period"])["is_reference"]
    mine = result.profiles.set_index(["region_id", "period"])["is_reference"].reindex(full.index)
    small = ~full.astype(bool) & ~full.index.get_level_values("region_id").isin(unknown)
    assert small.any() and not mine[small].astype(bool).any()
    said = [n for n in result.notes if "population indicator" in n]
    assert len(said) == 1 and said[0].startswith(f"{len(unknown)} of 53 regions have no value of the population "
                                                 "indicator 'einwohner' in ")
    assert said[0].endswith("where others have one: they are reference regions of the index all the same (nothing "
                            "says they are small), and none of them is withheld for its size")


def test_ranking_when_configured(sample_inputs):
    settings, catalog, obs, regions = sample_inputs
    ranked = settings.model_copy(update={"features": settings.features.model_copy(update={
        "index": settings.features.index.model_copy(update={"ranking": True})})})
    p = run_pipeline(obs, regions, catalog, ranked).profiles
    latest = p[p["period"] == "2025"].dropna(subset=["status_index"]).sort_values("status_index", ascending=False)
    assert latest["status_rank"].tolist() == list(range(1, len(latest) + 1))


def test_a_table_without_residents_says_so_and_still_gets_an_index(sample_inputs):
    settings, catalog, obs, regions = sample_inputs
    result = run_pipeline(obs[obs["indicator_id"] != "einwohner"], regions, catalog, settings)
    said = next(n for n in result.notes if "no values of the population indicator 'einwohner'" in n)
    # the counts of residents the table does hold are offered, the largest first: the analyst picks one
    offered = re.findall(r"(\w+) \(Einwohner[^)]*\)", said.split("the largest first: ")[1])
    totals = obs[obs["indicator_id"].isin(offered)].groupby("indicator_id")["value"].sum()
    assert len(offered) == 3 and "ew_unter65" in offered and list(totals[offered]) == sorted(totals, reverse=True)
    # every region is a reference region: each has an index, the small Gemeinden too (nothing to withhold by)
    latest = result.profiles[result.profiles["period"] == result.profiles["period"].max()]
    assert latest["status_index"].notna().mean() > 0.9
    full = run_pipeline(obs, regions, catalog, settings)
    assert full.notes == []
    no_index = settings.model_copy(update={"features": settings.features.model_copy(update={
        "index": settings.features.index.model_copy(update={"status_indicators": ["wohngeld_quote"]})})})
    thin = run_pipeline(obs[~obs["indicator_id"].isin(["wohngeld_quote", "wohngeld_haushalte"])], regions, catalog,
                        no_index)
    note = next(n for n in thin.notes if "no region has a status index" in n)
    # the note names the shares and rates with a direction that the index could be built from instead
    assert "shares and rates with a direction that have values here: " in note
    offered = note.split("have values here: ")[1]
    assert "arbeitslosenquote" in offered and "in all)" in offered
    assert "wohngeld_quote" not in offered and "einwohner" not in offered


def test_without_an_index_a_published_index_with_a_direction_is_offered(sample_inputs):
    """A city's atlas publishes indices (z-values), no shares: the note names them as candidates for the index."""
    from ml.catalog import Indicator

    settings, catalog, obs, regions = sample_inputs
    atlas = Indicator(indicator_id="atlas_status", name="Teilindex sozialer Status", dimension="arbeit", unit="Index",
                      polarity=-1, kind="index", frequency="annual")
    own = catalog.extended([atlas])
    gemeinden = regions.loc[regions["level"] == settings.features.level, "region_id"]
    rows = pd.DataFrame({"region_id": gemeinden.to_numpy(), "indicator_id": "atlas_status", "period": "2025",
                         "value": np.linspace(-2, 2, len(gemeinden))})
    only = pd.concat([obs[obs["indicator_id"] == "einwohner"], rows.assign(
        **{c: obs[c].iloc[0] for c in obs.columns if c not in rows.columns})], ignore_index=True)[obs.columns]
    note = next(n for n in run_pipeline(only, regions, own, settings).notes if "no region has a status index" in n)
    assert "; indices with a direction that have values here: atlas_status (name the parts" in note
    assert "shares and rates" not in note


def test_without_an_index_the_shipped_configuration_of_the_imported_indicators_is_named():
    """Berlin's MSS tables imported without their configuration: the note names the shipped one, read from its file,
    with the status indicators that have values; a store that holds none of a shipped configuration's gets no hint."""
    from features.pipeline import shipped_index_hint
    from ml.paths import DATA_DIR

    hint = shipped_index_hint({"mss_s1", "mss_s3", "mss_s4", "mss_k01"})
    assert hint == (f"; the shipped configuration {DATA_DIR / 'config' / 'berlin_mss.yaml'} builds its status index "
                    "from mss_s1, mss_s3, mss_s4 (copy its features.index section into this configuration)")
    inkar = shipped_index_hint({"inkar_unemployment_rate", "inkar_share_low_income_hh"})
    assert "inkar_kreise.yaml" in inkar and "berlin_mss" not in inkar
    assert shipped_index_hint({"mss_s1", "arbeitslosenquote"}) == ""      # one alone is no such table


def test_an_imported_count_no_profile_can_show_is_named_with_the_part_it_lacks(sample_inputs):
    """Arbeitslose imported without the residents 15–64 (and without the long-term unemployed): the counts are the
    basis of shares only, so no profile shows them; the notes say so and name each share's missing part."""
    settings, catalog, obs, regions = sample_inputs
    gone = ["ew_15_64", "arbeitslosenquote", "langzeitarbeitslose", "langzeitarbeitslose_anteil"]
    result = run_pipeline(obs[~obs["indicator_id"].isin(gone)], regions, catalog, settings)
    assert "arbeitslose" not in result.values["indicator_id"].unique() or \
        "arbeitslose" not in result.profiles.columns
    note = next(n for n in result.notes if n.startswith("counts imported as the basis of shares"))
    assert "arbeitslose (arbeitslosenquote needs ew_15_64; langzeitarbeitslose_anteil needs langzeitarbeitslose)" \
        in note
    assert "einwohner" not in note.split(": ", 1)[1].split(";")[0]      # the population indicator is no such count


def test_an_index_from_fewer_indicators_than_configured_is_named(sample_inputs):
    """One status indicator without values in an earlier year and the latest years: the index of those years is
    built from the others, and the notes say which years (as a reader counts them, not one span over the gap)
    and which indicator."""
    settings, catalog, obs, regions = sample_inputs
    first = settings.features.index.status_indicators[0]
    basis = [first] + [x for x in (catalog[first].numerator,) if x]   # a share is derived from its count too
    gone = obs["indicator_id"].isin(basis) & obs["period"].isin(["2019", "2024", "2025"])
    result = run_pipeline(obs[~gone], regions, catalog, settings)
    n = len(settings.features.index.status_indicators)
    notes = [x for x in result.notes if x.startswith("status index of")]
    assert notes == [f"status index of 2019, 2024, 2025 (3 periods) built from {n - 1} of {n} configured indicators: "
                     f"{first} had no values there"]
    assert result.profiles.loc[result.profiles["period"] == "2025", "status_index"].notna().any()


def test_things_are_no_small_numbers(catalog, settings):
    import pandas as pd

    from features.steps import suppress_small_numbers

    obs = pd.DataFrame({
        "region_id": ["a"] * 6, "period": ["2021"] * 6,
        "indicator_id": ["sgb2_empfaenger", "sgb2_empfaenger", "wohnungen", "einwohner", "sgb2_quote", "sgb2_quote"],
        "value": [0.0, 2.0, 1.0, 5000.0, 0.0, 0.04], "numerator": [None, None, None, None, 0.0, 2.0],
        "denominator": [None, None, None, None, 5000.0, 5000.0], "flag": ["ok"] * 6})
    obs["period"] = ["2021", "2022", "2021", "2021", "2021", "2022"]
    out = suppress_small_numbers(obs, catalog, settings.privacy, "einwohner")
    assert out["suppressed_by"].tolist() == ["count", "count", "", "", "numerator", "numerator"]
    assert out.loc[2, "value"] == 1.0   # one dwelling names nobody


def test_editions_further_apart_than_the_dynamics_period_are_named(sample_inputs):
    """Two editions nine years apart (Berlin's health atlas 2013 and 2022): no dynamics index, and the note says
    why and what to set; with the editions' distance the dynamics index is there."""
    settings, catalog, obs, regions = sample_inputs
    two = obs[obs["period"].isin(["2013", "2022"])]
    result = run_pipeline(two, regions, catalog, settings)
    assert result.profiles["dynamics_index"].isna().all()
    assert any("no dynamics index: no period has values 2 years before it" in n and "periods 2013, 2022" in n
               and "lie 9 years apart" in n for n in result.notes), result.notes
    nine = settings.model_copy(update={"features": settings.features.model_copy(update={"dynamics_periods": 9})})
    again = run_pipeline(two, regions, catalog, nine)
    assert again.profiles.loc[again.profiles["period"] == "2022", "dynamics_index"].notna().mean() > 0.9
    assert not any("dynamics" in n for n in again.notes)


def test_a_status_indicator_computed_from_its_counts_is_not_said_to_have_no_values(sample_inputs):
    """A share the county does not import but computes from two imported counts (a share of its own, or the
    Arbeitslosenquote from Arbeitslose and the residents 15–64) carries the index; no note may say it has no
    values. One that has neither values nor its counts is named."""
    settings, catalog, obs, regions = sample_inputs
    computed = run_pipeline(obs[obs["indicator_id"] != "arbeitslosenquote"], regions, catalog, settings)
    assert computed.profiles["z_arbeitslosenquote"].notna().any()
    assert not [n for n in computed.notes if "has no values" in n]
    gone = run_pipeline(obs[~obs["indicator_id"].isin(["arbeitslosenquote", "arbeitslose"])], regions, catalog,
                        settings)
    assert "status indicator 'arbeitslosenquote' has no values: the status index is built without it" in gone.notes


def test_a_reference_group_of_one_region_is_named(sample_inputs):
    """A kreisfreie Stadt is a Kreis of one Gemeinde: standardised within its Kreis it gets no z-values. The run
    names such groups and the setting to change; the Musterkreis alone has none."""
    import pandas as pd

    settings, catalog, obs, regions = sample_inputs
    assert not any("reference groups" in n for n in run_pipeline(obs, regions, catalog, settings).notes)
    town = sorted(regions.loc[regions["level"] == "gemeinde", "region_id"])[0]
    alone = pd.concat([regions.assign(parent_id=regions["parent_id"].where(regions["region_id"] != town, "99999")),
                       pd.DataFrame([{"region_id": "99999", "name": "Kreisfreie Stadt", "level": "kreis",
                                      "parent_id": None}])], ignore_index=True)
    result = run_pipeline(obs, alone, catalog, settings)
    assert ("1 of 2 reference groups (kreis) hold fewer than three regions (99999): their regions' z-values are "
            "missing (one region)") in " ".join(result.notes)
    own = result.profiles[result.profiles["region_id"] == town]
    assert own.filter(like="z_").isna().all().all() and own["status_index"].isna().all()


def _two_grids():
    """Old grid: Bezirksregionen A (Planungsräume a1, a2) and B (b1); new grid: C (c1, c2) and D (d1). a1 became
    c1, half of a2 went to c2 and half to d1, b1 became d1."""
    import pandas as pd

    rows = [("K", "Kreis", "kreis", None), ("A", "A", "bezirksregion", "K"), ("B", "B", "bezirksregion", "K"),
            ("C", "C", "bezirksregion", "K"), ("D", "D", "bezirksregion", "K"),
            ("a1", "a1", "planungsraum", "A"), ("a2", "a2", "planungsraum", "A"), ("b1", "b1", "planungsraum", "B"),
            ("c1", "c1", "planungsraum", "C"), ("c2", "c2", "planungsraum", "C"), ("d1", "d1", "planungsraum", "D")]
    regions = pd.DataFrame(rows, columns=["region_id", "name", "level", "parent_id"])
    crosswalk = pd.DataFrame({"old_id": ["a1", "a2", "a2", "b1"], "new_id": ["c1", "c2", "d1", "d1"],
                              "weight": [1.0, 0.5, 0.5, 1.0]})
    return regions, crosswalk


def test_a_crosswalk_of_fine_areas_is_lifted_to_the_regions_that_contain_them():
    import pandas as pd

    from features.grid import lift_crosswalk

    regions, cw = _two_grids()
    by_residents = lift_crosswalk(cw, regions, "bezirksregion", pd.Series({"a1": 100.0, "a2": 300.0, "b1": 50.0}))
    w = by_residents.set_index(["old_id", "new_id"])["weight"]
    assert w.to_dict() == pytest.approx({("A", "C"): 0.625, ("A", "D"): 0.375, ("B", "D"): 1.0})
    # without residents every fine area of a region counts alike; one unknown among them: alike as well
    equal = lift_crosswalk(cw, regions, "bezirksregion").set_index(["old_id", "new_id"])["weight"]
    assert equal.to_dict() == pytest.approx({("A", "C"): 0.75, ("A", "D"): 0.25, ("B", "D"): 1.0})
    part = lift_crosswalk(cw, regions, "bezirksregion", pd.Series({"a1": 100.0}))
    assert part.set_index(["old_id", "new_id"])["weight"].to_dict() == pytest.approx(equal.to_dict())
    # a region that stays whole under its own code has nothing to carry; the crosswalk's own level is not lifted
    same = regions.assign(parent_id=regions["parent_id"].replace({"C": "A"}))
    same = same[same["region_id"] != "C"]
    kept = lift_crosswalk(cw[cw["old_id"] == "a1"], same, "bezirksregion")
    assert kept.empty
    assert lift_crosswalk(cw, regions, "planungsraum").empty


def test_profiles_of_a_coarser_level_reach_the_new_grid_through_a_fine_crosswalk(sample_inputs):
    """A monitoring per Bezirksregion whose grid changed, with the crosswalk of the Planungsräume: the old
    regions' values reach the new ones, and the note says how; a crosswalk that reaches nothing is named."""
    import pandas as pd

    settings, catalog, _, _ = sample_inputs
    regions, cw = _two_grids()
    obs = pd.DataFrame([(r, "einwohner", p, v) for r, p, v in [
        ("A", "2019", 4000.0), ("B", "2019", 1000.0), ("C", "2021", 3000.0), ("D", "2021", 2500.0),
        ("a1", "2019", 1000.0), ("a2", "2019", 3000.0), ("b1", "2019", 1000.0)]],
        columns=["region_id", "indicator_id", "period", "value"]).assign(numerator=np.nan, denominator=np.nan,
                                                                          flag="ok")
    s = settings.model_copy(update={"features": settings.features.model_copy(update={
        "level": "bezirksregion", "reference_level": None})})
    result = run_pipeline(obs, regions, catalog, s, crosswalk=cw)
    ew = result.values[result.values["indicator_id"] == "einwohner"].set_index(["region_id", "period"])["value"]
    # A's 4,000 residents: a1 (1,000) all to C, a2 (3,000) half to C and half to D → C 2,500, D 1,500 + B's 1,000
    assert ew[("C", "2019")] == pytest.approx(2500.0) and ew[("D", "2019")] == pytest.approx(2500.0)
    assert set(result.profiles["region_id"]) == {"C", "D"}
    note = next(n for n in result.notes if n.startswith("crosswalk:"))
    assert note == ("crosswalk: 2 regions of level 'bezirksregion' of the earlier grid carried onto the new one "
                    "through their finer areas in the crosswalk (3 old areas), weighted by their residents")
    elsewhere = cw.assign(old_id=cw["old_id"] + "x")
    none = run_pipeline(obs, regions, catalog, s, crosswalk=elsewhere)
    assert any(n.startswith("crosswalk: none of its 3 old areas has values here") for n in none.notes)


def test_a_code_the_new_grid_uses_again_is_carried_only_before_the_change(sample_inputs):
    """Old A splits: six tenths stay under the code A, four go to C, and old B goes whole to C. A's values of the
    new grid's periods belong to the new A and are not split again."""
    import pandas as pd

    settings, catalog, _, _ = sample_inputs
    regions = pd.DataFrame([("K", "Kreis", "kreis", None), ("A", "A", "gemeinde", "K"), ("B", "B", "gemeinde", "K"),
                            ("C", "C", "gemeinde", "K")], columns=["region_id", "name", "level", "parent_id"])
    cw = pd.DataFrame({"old_id": ["A", "A", "B"], "new_id": ["A", "C", "C"], "weight": [0.6, 0.4, 1.0]})
    obs = pd.DataFrame([(r, "einwohner", p, v) for r, p, v in [
        ("A", "2019", 1000.0), ("B", "2019", 500.0), ("A", "2021", 700.0), ("C", "2021", 800.0),
        ("A", "2022", 710.0), ("C", "2022", 790.0)]],
        columns=["region_id", "indicator_id", "period", "value"]).assign(numerator=np.nan, denominator=np.nan,
                                                                          flag="ok")
    s = settings.model_copy(update={"features": settings.features.model_copy(update={"reference_level": None})})
    result = run_pipeline(obs, regions, catalog, s, crosswalk=cw)
    ew = result.values[result.values["indicator_id"] == "einwohner"].set_index(["region_id", "period"])["value"]
    assert ew.to_dict() == pytest.approx({("A", "2019"): 600.0, ("C", "2019"): 900.0, ("A", "2021"): 700.0,
                                          ("C", "2021"): 800.0, ("A", "2022"): 710.0, ("C", "2022"): 790.0})
    assert ("crosswalk: 1 code of the old grid names another area in the new one (A); values under it from 2021 "
            "on, the new grid's first period, are taken as the new areas' and not carried") in result.notes


def test_values_carried_onto_a_new_area_the_store_lacks_are_named_with_the_residents_they_take(sample_inputs):
    """Old A splits into the new D and E, old B goes whole to F; the store's regions know D and F, not E (a file of
    the new grid without its uninhabited areas). A's residents carried onto E are in no profile: the note says so,
    with their number and share; with E among the regions, nothing is said and E has its profile."""
    import pandas as pd

    settings, catalog, _, _ = sample_inputs
    rows = [("K", "Kreis", "kreis", None)] + [(r, r, "gemeinde", "K") for r in ("A", "B", "D", "F", "G")]
    regions = pd.DataFrame(rows, columns=["region_id", "name", "level", "parent_id"])
    cw = pd.DataFrame({"old_id": ["A", "A", "B", "C"], "new_id": ["D", "E", "F", "G"],
                       "weight": [0.75, 0.25, 1.0, 1.0]})
    obs = pd.DataFrame([(r, "einwohner", p, v) for r, p, v in [
        ("A", "2019", 1000.0), ("B", "2019", 600.0), ("C", "2019", 400.0),
        ("D", "2021", 760.0), ("F", "2021", 610.0), ("G", "2021", 410.0)]],
        columns=["region_id", "indicator_id", "period", "value"]).assign(numerator=np.nan, denominator=np.nan,
                                                                          flag="ok")
    s = settings.model_copy(update={"features": settings.features.model_copy(update={"reference_level": None})})
    result = run_pipeline(obs, regions, catalog, s, crosswalk=cw)
    assert ("crosswalk: 1 of its new areas is no region of the store (E): the values carried onto it are in no profile "
            "— of einwohner 250 of 2,000 in 2019 (12.5%), which the level's sums then lack; import the new grid's "
            "region list with every area to keep them (an area-weighted crosswalk also gives uninhabited areas "
            "residents)") in result.notes
    assert "E" not in set(result.profiles["region_id"])
    with_e = pd.concat([regions, pd.DataFrame([("E", "E", "gemeinde", "K")], columns=regions.columns)])
    result = run_pipeline(obs, with_e, catalog, s, crosswalk=cw)
    assert not any("no region of the store" in n or "no regions of the store" in n for n in result.notes)
    assert "E" in set(result.profiles["region_id"])


def test_a_boundary_s_length_is_not_carried_across_a_merger_and_the_note_says_so(sample_inputs):
    """B merged into A in 2021; C stays. The boundary's length (catalog ``carried`` false) of A and B in 2019 is
    no value of the merged A; A's of 2021 on and C's go on; the residents of 2019 add up as before."""
    import pandas as pd

    settings, catalog, _, _ = sample_inputs
    regions = pd.DataFrame([("K", "Kreis", "kreis", None), ("A", "A", "gemeinde", "K"), ("B", "B", "gemeinde", "K"),
                            ("C", "C", "gemeinde", "K")], columns=["region_id", "name", "level", "parent_id"])
    cw = pd.DataFrame({"old_id": ["A", "B", "C"], "new_id": ["A", "A", "C"], "weight": [1.0, 1.0, 1.0]})
    obs = pd.DataFrame([(r, i, p, v) for r, i, p, v in [
        ("A", "einwohner", "2019", 1000.0), ("B", "einwohner", "2019", 500.0), ("C", "einwohner", "2019", 800.0),
        ("A", "gebietsgrenze_km", "2019", 12.0), ("B", "gebietsgrenze_km", "2019", 9.0),
        ("C", "gebietsgrenze_km", "2019", 10.0), ("A", "einwohner", "2021", 1490.0), ("C", "einwohner", "2021", 790.0),
        ("A", "gebietsgrenze_km", "2021", 16.5), ("C", "gebietsgrenze_km", "2021", 10.0)]],
        columns=["region_id", "indicator_id", "period", "value"]).assign(numerator=np.nan, denominator=np.nan,
                                                                          flag="ok")
    s = settings.model_copy(update={"features": settings.features.model_copy(update={"reference_level": None})})
    result = run_pipeline(obs, regions, catalog, s, crosswalk=cw)
    v = result.values.set_index(["region_id", "indicator_id", "period"])["value"]
    boundary = v.xs("gebietsgrenze_km", level="indicator_id").dropna()
    assert boundary.to_dict() == {("C", "2019"): 10.0, ("A", "2021"): 16.5, ("C", "2021"): 10.0}
    assert v[("A", "einwohner", "2019")] == 1500.0
    assert ("crosswalk: gebietsgrenze_km of 2 old areas not carried where areas merge or split, left empty on the "
            "new grid (catalog column carried: false, a value of the area as a whole that neither adds up nor "
            "averages); an area that stays as it was keeps its value, also one that gives or takes no more than "
            "1% of an area") in result.notes


def test_a_copied_edition_gives_no_change_from_or_to_it(sample_inputs):
    """2020 published again as it was in 2019 (every indicator, every Gemeinde): no change is computed into 2020
    nor from it (2022 over two years), the note names the year; 2021's changes stay as they were."""
    settings, catalog, obs, regions = sample_inputs
    step = settings.features.dynamics_periods
    copy = obs[obs["period"] == "2019"].assign(period="2020")
    copied = pd.concat([obs[obs["period"] != "2020"], copy], ignore_index=True)
    result = run_pipeline(copied, regions, catalog, settings)
    note = next(n for n in result.notes if n.startswith("2020: the values of "))
    assert "repeat their edition before in every region (a copied edition?)" in note
    assert "Which of the two files is the copy this level cannot tell; the same indicators of both years on" in note
    p = result.profiles.set_index("period")
    dz = [c for c in p.columns if c.startswith("dz_")]
    as_published = run_pipeline(obs, regions, catalog, settings)
    plain = as_published.profiles.set_index("period")
    assert plain.loc["2020", dz].notna().any().any() and plain.loc[str(2020 + step), dz].notna().any().any()
    assert p.loc["2020", dz].isna().all().all() and p.loc[str(2020 + step), dz].isna().all().all()
    # the dynamics index, built from those changes here, is unknown too: not "stable" everywhere
    assert plain.loc["2020", "dynamics_index"].notna().any() and p.loc["2020", "dynamics_index"].isna().all()
    assert p.loc["2020", "dynamics_label"].isna().all()
    # a year neither copied nor measured from the copy keeps its changes
    other = str(2021 if step != 1 else 2022)
    pd.testing.assert_frame_equal(p.loc[other, dz].reset_index(drop=True), plain.loc[other, dz].reset_index(drop=True))
    assert not any("repeat their edition before" in n for n in as_published.notes)


def test_an_edition_whose_rows_went_to_other_regions_is_left_out_with_its_shares(sample_inputs):
    """The SGB II recipients of 2018 written to the wrong Gemeinden (their order reversed) and the SGB II share not
    imported, so computed from them: both are left out there, named in a note and in the table of left-out
    values; 2017 and 2019 keep theirs. A share its counts put above 100 % is left empty and named too."""
    settings, catalog, obs, regions = sample_inputs
    obs = obs[obs["indicator_id"] != "sgb2_quote"].copy()
    cell = (obs["indicator_id"] == "sgb2_empfaenger") & (obs["period"] == "2018")
    obs.loc[cell, "value"] = obs.loc[cell, "value"].to_numpy()[::-1]
    other = (obs["indicator_id"] == "sgb2_empfaenger") & (obs["period"] == "2015") & (obs["region_id"] == "14599010")
    denominator = obs.loc[(obs["indicator_id"] == "ew_unter65") & (obs["period"] == "2015")
                          & (obs["region_id"] == "14599010"), "value"].iloc[0]
    obs.loc[other, "value"] = 2 * denominator
    result = run_pipeline(obs, regions, catalog, settings)
    note = next(n for n in result.notes if n.startswith("2018: the values of "))
    assert "sgb2_empfaenger" in note and "left out of the profiles" in note and "rank correlation" in note
    left = result.left_out.set_index(["indicator_id", "period"]).sort_index()
    named = set(left.loc[("sgb2_empfaenger", "2018"), "region_id"])
    assert len(named) >= 20 and named == set(left.loc[("sgb2_quote", "2018"), "region_id"])
    v = result.values.set_index(["indicator_id", "period", "region_id"])["value"].sort_index()
    assert v.loc[("sgb2_quote", "2018")].reindex(sorted(named)).isna().all()
    assert v.loc[("sgb2_quote", "2017")].notna().sum() > 40 and v.loc[("sgb2_quote", "2019")].notna().sum() > 40
    # the share above 100 %: left empty, its parts named
    assert np.isnan(v.loc[("sgb2_quote", "2015", "14599010")])
    over = next(n for n in result.notes if n.startswith("2015: 1 value(s) of "))
    assert "outside [0, 100]" in over and "14599010:" in over
    assert "außerhalb des gültigen Bereichs" in left.loc[("sgb2_quote", "2015"), "reason"].iloc[0]
    assert not any("do not follow" in n for n in run_pipeline(sample_inputs[2], regions, catalog, settings).notes)


def test_two_grids_side_by_side_are_named_and_one_grid_is_not(sample_inputs):
    """The Musterkreis's Gemeinden renumbered from 2024 on (a new edition of the grid, no crosswalk): `features`
    says that no series joins the two; the county as it is gets no such note."""
    settings, catalog, obs, regions = sample_inputs
    assert not [n for n in run_pipeline(obs, regions, catalog, settings).notes if "edition of the grid" in n]
    gemeinden = regions.loc[regions["level"] == "gemeinde", "region_id"]
    renamed = {r: f"9{r[1:]}" for r in gemeinden}
    later = obs["period"].astype(str).str[:4].astype(int) >= 2024
    moved = obs.copy()
    moved.loc[later, "region_id"] = moved.loc[later, "region_id"].map(lambda r: renamed.get(r, r))
    new_regions = pd.concat([regions, regions[regions["region_id"].isin(gemeinden)].assign(
        region_id=lambda f: f["region_id"].map(renamed))], ignore_index=True)
    notes = [n for n in run_pipeline(moved, new_regions, catalog, settings).notes if "edition of the grid" in n]
    assert len(notes) == 1 and notes[0].startswith(
        f"2024: the regions of level gemeinde with values are largely others than before: {len(gemeinden)} of the "
        f"{len(gemeinden)} of 2024 have none up to 2023")

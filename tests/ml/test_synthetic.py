"""The Musterkreis: deterministic, plausible, consistent, with the planted structure written down."""

import json

import numpy as np
import pandas as pd
import pytest

from ml.config import SyntheticConfig
from ml.paths import SAMPLE_DIR
from ml.synthetic import generate, sample_geometry, write_sample


@pytest.fixture(scope="module")
def sample():
    from ml.catalog import load_catalog
    from ml.config import CatalogConfig

    cfg = CatalogConfig()
    return generate(SyntheticConfig(), load_catalog(cfg.dimensions, cfg.indicators))


def wide(obs, period):
    return obs[obs["period"] == period].pivot(index="region_id", columns="indicator_id", values="value")


def test_embedded_sample_is_the_generators_output(sample):
    embedded = pd.read_parquet(SAMPLE_DIR / "observations.parquet")
    pd.testing.assert_frame_equal(embedded.reset_index(drop=True), sample.observations, check_dtype=False)
    regions = pd.read_csv(SAMPLE_DIR / "regions.csv", dtype=str, keep_default_na=False)
    assert regions["region_id"].tolist() == sample.regions["region_id"].tolist()
    truth = json.loads((SAMPLE_DIR / "ground_truth.json").read_text(encoding="utf-8"))
    assert truth == json.loads(json.dumps(sample.ground_truth))
    geometry = json.loads((SAMPLE_DIR / "geometry.geojson").read_text(encoding="utf-8"))
    assert geometry == json.loads(json.dumps(sample_geometry(sample.regions)))


def test_same_seed_same_county_other_seed_other_county(catalog):
    a = generate(SyntheticConfig(seed=1, n_gemeinden=12, n_sozialregionen=3), catalog)
    b = generate(SyntheticConfig(seed=1, n_gemeinden=12, n_sozialregionen=3), catalog)
    c = generate(SyntheticConfig(seed=2, n_gemeinden=12, n_sozialregionen=3), catalog)
    pd.testing.assert_frame_equal(a.observations, b.observations)
    assert not a.observations["value"].equals(c.observations["value"])


def test_structure(sample, catalog):
    regions = sample.regions
    assert (regions["level"] == "gemeinde").sum() == 53 and (regions["level"] == "sozialregion").sum() == 7
    gem = regions[regions["level"] == "gemeinde"]
    assert gem["name"].is_unique and gem["parent_id"].nunique() == 7
    obs = sample.observations
    reported = {i.indicator_id for i in catalog.reported()}
    annual = obs[obs["period"].str.len() == 4]
    per_indicator_years = annual[annual["indicator_id"].isin(reported)].groupby("indicator_id")["period"].nunique()
    assert set(per_indicator_years.index) == reported
    # every reported indicator covers 2010-2025, except turnout (election years only)
    assert (per_indicator_years.drop("wahlbeteiligung") == 16).all()
    assert per_indicator_years["wahlbeteiligung"] == 7
    monthly = obs[obs["indicator_id"] == "arbeitslose_monat"]
    assert monthly["period"].nunique() == 16 * 12


def test_plausible_magnitudes(sample, catalog):
    obs = sample.observations
    last = wide(obs, "2025")
    assert last["einwohner"].min() < 300 and 25_000 < last["einwohner"].max() < 45_000
    shares = obs[obs["indicator_id"].map(lambda i: catalog[i].kind == "share")]
    assert shares["value"].between(0, 100).all()
    counts = obs[obs["indicator_id"].map(lambda i: catalog[i].kind == "count")]
    assert (counts["value"] >= 0).all()
    assert last["sgb2_quote"].between(1, 30).all() and last["durchschnittsalter"].between(38, 58).all()
    assert last["arbeitslosenquote"].between(1, 20).all()
    # slow demographic ageing: the county's 65+ share rises, by a few points over 15 years
    first = wide(obs, "2010")
    county_65 = lambda w: w["ew_65plus"].sum() / w["einwohner"].sum() * 100  # noqa: E731
    assert 1.0 < county_65(last) - county_65(first) < 8.0


def test_counts_are_consistent(sample, catalog):
    obs = sample.observations
    with_parts = obs.dropna(subset=["numerator", "denominator"])
    scale = with_parts["indicator_id"].map(lambda i: catalog[i].scale)
    implied = scale * with_parts["numerator"] / with_parts["denominator"]
    assert (np.abs(implied - with_parts["value"]) < 0.06).all()
    w = wide(obs, "2020")
    bands = ["ew_unter6", "ew_6_14", "ew_15_17", "ew_18_24", "ew_25_54", "ew_55_64", "ew_65_79", "ew_80plus"]
    assert (w[bands].sum(axis=1) == w["einwohner"]).all()
    assert (w["ew_65plus"] == w["ew_65_79"] + w["ew_80plus"]).all()
    assert (w["saldo_gesamt"] == w["saldo_natuerlich"] + w["saldo_wanderung"]).all()
    monthly = obs[obs["indicator_id"] == "arbeitslose_monat"].assign(year=lambda d: d["period"].str[:4])
    mean = monthly[monthly["year"] == "2020"].groupby("region_id")["value"].mean().round()
    assert (mean == w["arbeitslose"]).all()


def test_monthly_seasonality(sample):
    m = sample.observations[sample.observations["indicator_id"] == "arbeitslose_monat"]
    by_month = m.assign(month=m["period"].str[5:]).groupby("month")["value"].sum()
    assert by_month["02"] > by_month["10"] * 1.1


def test_planted_ground_truth(sample):
    truth = sample.ground_truth
    types = {g["type"] for g in truth["gemeinden"]}
    assert 4 <= len(types) <= 6 and len(truth["types"]) == len(types)
    assert len(truth["deteriorating"]) == 8
    onsets = sorted(d["onset_year"] for d in truth["deteriorating"])
    assert onsets[0] == 2017 and onsets[-1] == 2022 and len(set(onsets)) >= 5  # staggered over the window
    obs = sample.observations
    sgb = obs[obs["indicator_id"] == "sgb2_quote"].pivot(index="period", columns="region_id", values="value")
    logit = np.log(sgb / (100 - sgb))
    planted = {d["region_id"] for d in truth["deteriorating"]}
    for d in truth["deteriorating"]:
        onset = d["onset_year"]
        before, after = str(onset - 1), str(min(onset + 3, 2025))
        rise = logit.loc[after] - logit.loc[before]
        # the planted rise stands out against the strain and noise of every other Gemeinde over the same years
        others = rise.drop(list(planted))
        assert rise[d["region_id"]] > others.quantile(0.9) and rise[d["region_id"]] > 0.3, d
    assert truth["below_population_threshold"] and set(truth["below_population_threshold"]) <= set(truth["small_gemeinden"])
    small = obs[obs["region_id"].isin(truth["small_gemeinden"]) & (obs["indicator_id"] == "hze_faelle")]
    assert (small["value"] < 3).any()
    assert set(truth["small_gemeinden"]) <= set(truth["gemeinden_with_counts_below_3"])


def test_types_have_distinct_profiles(sample):
    truth = sample.ground_truth
    t = pd.Series({g["region_id"]: g["type"] for g in truth["gemeinden"]})
    w = wide(sample.observations, "2012")
    profile = w[["sgb2_quote", "anteil_65plus", "bevoelkerungsdichte", "jugendquotient"]].groupby(t).median()
    z = (profile - profile.mean()) / profile.std()
    distances = [np.linalg.norm(z.iloc[i] - z.iloc[j]) for i in range(len(z)) for j in range(i + 1, len(z))]
    assert min(distances) > 0.8


def test_write_sample_formats(sample, tmp_path):
    paths = write_sample(sample, tmp_path / "csv", "csv")
    back = pd.read_csv(paths["observations"], dtype={"region_id": str, "period": str})
    assert len(back) == len(sample.observations)
    assert len(json.loads(paths["geometry"].read_text(encoding="utf-8"))["features"]) == 53
    with pytest.raises(ValueError, match="fmt must be 'csv' or 'parquet'; got 'xml'"):
        write_sample(sample, tmp_path / "x", "xml")


def test_larger_county_keeps_eight_digit_ids_and_plants_more_deteriorations(catalog):
    s = generate(SyntheticConfig(seed=3, n_gemeinden=120, n_sozialregionen=6, n_deteriorating=12), catalog)
    gem = s.regions[s.regions["level"] == "gemeinde"]["region_id"]
    assert len(gem) == 120 and gem.is_unique and gem.str.fullmatch(r"14599\d{3}").all()
    assert len(s.ground_truth["deteriorating"]) == 12


def test_short_county_needs_no_planted_deterioration(catalog):
    with pytest.raises(ValueError, match="at least 10 years"):
        SyntheticConfig(first_year=2018, last_year=2024)
    s = generate(SyntheticConfig(seed=1, n_gemeinden=12, n_sozialregionen=3, first_year=2018, last_year=2024,
                                 n_deteriorating=0), catalog)
    assert s.ground_truth["deteriorating"] == [] and set(s.observations["period"].str[:4]) == {str(y) for y in range(2018, 2025)}


def common_share(obs: pd.DataFrame, indicator: str) -> float:
    """Share of the yearly changes' variance that all Gemeinden have in common."""
    v = obs[(obs["indicator_id"] == indicator) & obs["region_id"].str.len().eq(8)]
    d = np.diff(v.pivot(index="region_id", columns="period", values="value").dropna().to_numpy(), axis=1)
    return 1 - ((d - d.mean(axis=0)) ** 2).sum() / ((d - d.mean()) ** 2).sum()


def test_county_movement_is_shared_by_every_gemeinde_and_written_down(catalog):
    cfg = SyntheticConfig(seed=4, n_gemeinden=40, n_sozialregionen=4)
    plain = generate(cfg, catalog)
    moving = generate(cfg.model_copy(update={"county_movement": 0.4}), catalog)
    # the regions and the planted deteriorations stay; the transfer rates move together
    assert moving.ground_truth["deteriorating"] == plain.ground_truth["deteriorating"]
    assert moving.regions.equals(plain.regions)
    before, after = common_share(plain.observations, "sgb2_quote"), common_share(moving.observations, "sgb2_quote")
    assert after > 0.25 and after > 2 * before, (before, after)
    assert any("shock sd 0.4" in n for n in moving.ground_truth["notes"])
    assert not any("shock sd 0.0" in n for n in plain.ground_truth["notes"])
    with pytest.raises(ValueError):
        SyntheticConfig(county_movement=-0.1)


def shift_share(obs: pd.DataFrame, indicator: str) -> float:
    """Share of the before/after shifts (mean from a year on minus mean before, every year 2014–2021 as the split)
    that all Gemeinden have in common: what a before/after comparison takes for an effect."""
    v = obs[(obs["indicator_id"] == indicator) & obs["region_id"].str.len().eq(8)]
    p = v.pivot(index="region_id", columns="period", values="value").dropna()
    years = p.columns.astype(int)
    num = den = 0.0
    for split in range(2014, 2022):
        shift = p.loc[:, years >= split].mean(axis=1) - p.loc[:, years < split].mean(axis=1)
        num, den = num + len(shift) * shift.mean() ** 2, den + (shift ** 2).sum()
    return num / den


def test_a_movement_that_stays_where_it_went_is_shared_in_the_multi_year_shifts(catalog):
    """Real small areas share half or more of their multi-year shifts (unemployment in Berlin and Flensburg); a
    shared AR(1) movement that reverts leaves them the Gemeinden's own, a random walk shares them."""
    cfg = SyntheticConfig(seed=4, n_gemeinden=40, n_sozialregionen=4, county_movement=0.3)
    reverting = generate(cfg, catalog)
    walking = generate(cfg.model_copy(update={"county_persistence": 1.0}), catalog)
    assert shift_share(reverting.observations, "sgb2_quote") < 0.15 < 0.3 < shift_share(walking.observations,
                                                                                         "sgb2_quote")
    assert any("persistence 1.0" in n for n in walking.ground_truth["notes"])
    with pytest.raises(ValueError):
        SyntheticConfig(county_persistence=1.1)

"""Forecasting: baselines, Prophet, backtest rows, conformal calibration, champion choice, clipping, engines."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, strategies as st

from ml.config import ForecastConfig
from models.forecast_engines import input_series, run_local, run_spark
from models.forecast_models import (
    ForecastError, baseline_forecast, future_periods, naive_scale, period_grid, period_to_timestamp, prophet_forecast,
)
from models.forecasting import (
    OUTPUT_COLUMNS, SeriesSpec, _conformal_quantiles, choose_champions, conformal_table, forecast_series,
    interval_score, select_and_calibrate, spec_for,
)

ANNUAL = SeriesSpec(frequency="annual", horizon=3, origins=3, origin_step=1, min_train=5,
                    models=("naive", "drift"))


def test_naive_and_drift_values_and_textbook_intervals():
    y = np.array([1.0, 2.0, 4.0, 7.0])
    yhat, iv = baseline_forecast("naive", y, 2)
    assert yhat.tolist() == [7.0, 7.0]
    sigma = math.sqrt((1 + 4 + 9) / 3)                       # RMS of the one-step changes
    lo, hi = iv[0.8]
    assert hi[1] - yhat[1] == pytest.approx(1.2815516 * sigma * math.sqrt(2), rel=1e-6)
    assert lo[0] == pytest.approx(7.0 - 1.2815516 * sigma, rel=1e-6)
    yhat, _ = baseline_forecast("drift", y, 3)
    assert yhat.tolist() == pytest.approx([9.0, 11.0, 13.0])  # slope (7 − 1)/3


def test_baselines_step_over_gaps():
    y = np.array([1.0, np.nan, 3.0, np.nan])                  # last observed value two steps before the origin
    yhat, _ = baseline_forecast("naive", y, 1)
    assert yhat.tolist() == [3.0]
    yhat, _ = baseline_forecast("drift", y, 1)
    assert yhat.tolist() == pytest.approx([3.0 + 1.0 * 2])    # slope 1 per period, 2 periods after t=2


def test_seasonal_naive_repeats_the_last_season():
    y = np.tile(np.arange(12.0), 3)
    yhat, _ = baseline_forecast("seasonal_naive", y, 14)
    assert yhat.tolist() == list(np.arange(12.0)) + [0.0, 1.0]


def test_naive_scale_counts_a_change_across_a_gap_per_period():
    # 1 → 3 in one period, 3 → 10 in two (3.5 a period), 10 → 11 in one
    assert naive_scale(np.array([1.0, 3.0, np.nan, 10.0, 11.0])) == pytest.approx((2 + 3.5 + 1) / 3)
    assert math.isnan(naive_scale(np.array([1.0, np.nan])))
    # editions every two years on the annual grid: the scale of the same series observed every year, halved steps
    biennial = np.array([60.0, np.nan, 62.0, np.nan, 63.0, np.nan, 66.0])
    assert naive_scale(biennial) == pytest.approx((1 + 0.5 + 1.5) / 3)


def test_unknown_model_is_an_error():
    with pytest.raises(ForecastError, match="unknown baseline"):
        baseline_forecast("arima", np.arange(5.0), 2)


@given(st.integers(1990, 2090), st.integers(1, 12), st.integers(1, 40))
def test_period_helpers_are_consistent(year, month, h):
    last = f"{year}-{month:02d}"
    fut = future_periods(last, h, "monthly")
    assert len(fut) == h and fut[0] > last
    assert period_grid(last, fut[-1], "monthly") == [last] + fut
    ts = period_to_timestamp(fut, "monthly")
    assert (np.diff(ts.month.to_numpy() + 12 * ts.year.to_numpy()) == 1).all()
    assert future_periods(str(year), h, "annual") == [str(year + k) for k in range(1, h + 1)]


def test_backtest_rows_cover_every_origin_and_horizon():
    periods = [str(y) for y in range(2010, 2026)]
    rows = forecast_series("r1", "x", periods, np.arange(16.0) * 2, ANNUAL)
    assert list(rows.columns) == OUTPUT_COLUMNS
    bt = rows[rows["part"] == "backtest"]
    # origins: the last three from which h = 1..3 is observable (train ends 2020, 2021, 2022)
    assert sorted(bt["origin"].unique()) == ["2020", "2021", "2022"]
    assert len(bt) == 3 * 3 * 2
    drift = bt[bt["model"] == "drift"]
    assert np.allclose(drift["y"], drift["yhat"])             # a straight line is forecast exactly by drift
    fc = rows[rows["part"] == "forecast"]
    assert fc["period"].unique().tolist() == ["2026", "2027", "2028"] and fc["y"].isna().all()
    assert (fc["scale"] == 2.0).all()


def test_backtest_origins_of_editions_every_two_years_are_editions():
    """Editions every second year (2002 … 2018, Berlin's register matrices): an origin is an edition, so that h
    counts the years since the last value, as in the final forecast (a window ending in 2015 would score the
    two years from 2014 to 2016 as h = 1)."""
    periods = [str(y) for y in range(2002, 2019, 2)]
    rows = forecast_series("r1", "x", periods, np.arange(9.0) * 4, ANNUAL)
    bt = rows[rows["part"] == "backtest"]
    assert set(bt["origin"]) <= set(periods) and len(set(bt["origin"])) == 3
    assert ((bt["period"].astype(int) - bt["origin"].astype(int)) == bt["h"]).all()
    assert set(bt["h"]) == {2}                                 # no edition one or three years after another
    drift = bt[bt["model"] == "drift"]
    assert np.allclose(drift["y"], drift["yhat"])              # two years ahead of a straight line: exact
    fc = rows[rows["part"] == "forecast"]
    assert fc["origin"].unique().tolist() == ["2018"] and fc["period"].tolist()[:3] == ["2019", "2020", "2021"]


def test_short_series_and_trailing_gaps():
    assert forecast_series("r", "x", ["2020", "2021"], [1.0, 2.0], ANNUAL).empty
    periods = [str(y) for y in range(2010, 2020)]
    values = np.arange(10.0)
    values[-2:] = np.nan                                       # the latest two years suppressed
    rows = forecast_series("r", "x", periods, values, ANNUAL)
    fc = rows[rows["part"] == "forecast"]
    assert fc["origin"].unique().tolist() == ["2017"] and fc["period"].min() == "2018"


def test_prophet_annual_follows_a_trend():
    periods = [str(y) for y in range(2005, 2021)]
    y = 50 + 1.5 * np.arange(16.0)
    yhat, iv = prophet_forecast(periods, y, 3, "annual", uncertainty_samples=100)
    assert yhat == pytest.approx(50 + 1.5 * np.arange(16, 19), rel=0.01)
    lo, hi = iv[0.8]
    assert (lo <= yhat + 1e-9).all() and (hi >= yhat - 1e-9).all()


def test_prophet_monthly_beats_naive_on_a_seasonal_series():
    rng = np.random.default_rng(1)
    n = 72
    t = np.arange(n + 12)
    y_all = 100 + 0.3 * t + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 0.5, len(t))
    periods = period_grid("2015-01", "2020-12", "monthly")
    yhat, _ = prophet_forecast(periods, y_all[:n], 12, "monthly")
    naive, _ = baseline_forecast("naive", y_all[:n], 12)
    actual = y_all[n:]
    assert np.abs(yhat - actual).mean() < 0.3 * np.abs(naive - actual).mean()


def test_conformal_quantiles_finite_sample_rule():
    z = np.arange(1.0, 20.0)                                   # n = 19
    lo, hi = _conformal_quantiles(z, 0.8)
    assert (lo, hi) == (2.0, 18.0)                             # ranks floor(20·0.1) = 2 and ceil(20·0.9) = 18
    assert _conformal_quantiles(np.arange(3.0), 0.95) == (-math.inf, math.inf)


@pytest.mark.parametrize("level", [0.8, 0.95])
def test_conformal_intervals_cover_new_exchangeable_errors(level):
    """Split conformal intervals cover on average over calibration sets (the guarantee is marginal): 200
    calibration sets of 400 heavy-tailed errors, each judged on 5,000 fresh ones. One set's coverage varies by
    about 0.02, their mean by 0.0015, so the bounds below are far outside chance."""
    cover = []
    for seed in range(200):
        rng = np.random.default_rng(seed)
        lo, hi = _conformal_quantiles(rng.standard_t(4, 400), level)
        assert lo < hi
        fresh = rng.standard_t(4, 5_000)
        cover.append(((fresh >= lo) & (fresh <= hi)).mean())
    assert np.mean(cover) >= level - 0.01
    assert np.min(cover) > level - 0.1


def test_interval_score_penalises_misses():
    assert interval_score(5.0, 4.0, 6.0, 0.8) == pytest.approx(2.0)
    assert interval_score(7.0, 4.0, 6.0, 0.8) == pytest.approx(2.0 + 10.0 * 1.0)


def _rows(model_errors: dict[str, float], n_regions=30, indicator="x"):
    """Backtest and forecast rows with constant absolute error per model (scale 1)."""
    out = []
    rng = np.random.default_rng(0)
    for r in range(n_regions):
        for model, err in model_errors.items():
            for h in (1, 2):
                e = err * rng.choice([-1, 1]) * rng.uniform(0.5, 1.5)
                out.append({"part": "backtest", "region_id": f"r{r}", "indicator_id": indicator, "model": model,
                            "origin": "2020", "period": str(2020 + h), "h": h, "y": 10.0 + e, "yhat": 10.0,
                            "scale": 1.0, "n_lo80": np.nan, "n_hi80": np.nan, "n_lo95": np.nan, "n_hi95": np.nan})
                out.append({"part": "forecast", "region_id": f"r{r}", "indicator_id": indicator, "model": model,
                            "origin": "2025", "period": str(2025 + h), "h": h, "y": np.nan, "yhat": 99.5 if model == "drift" else 1.0,
                            "scale": 1.0, "n_lo80": np.nan, "n_hi80": np.nan, "n_lo95": np.nan, "n_hi95": np.nan})
    return pd.DataFrame(out)


def test_champion_has_the_lowest_mase_and_intervals_are_clipped():
    rows = _rows({"naive": 2.0, "drift": 0.5, "prophet": 1.0})
    spec = SeriesSpec("annual", 2, 1, 1, 5, lower=0.0, upper=100.0, models=("naive", "drift", "prophet"))
    res = select_and_calibrate(rows, {"x": spec}, ["naive", "drift", "prophet"])
    assert res.champions == {"x": "drift"}
    f = res.forecasts
    assert (f["model"] == "drift").all() and len(f) == 60
    assert (f["hi80"] <= 100.0).all() and (f["lo80"] >= 0.0).all() and (f["lo80"] < f["yhat"]).all()
    # the few backtest errors bound no 95 % interval (it needs 39): no bounds, not the range's ends 0 and 100
    assert f["lo95"].isna().all() and f["hi95"].isna().all()
    m = res.metrics.set_index("model")
    assert m.loc["drift", "mase"] == pytest.approx(0.5, rel=0.15)
    assert 0.6 <= m.loc["drift", "coverage80"] <= 1.0


def test_champion_ties_prefer_the_simpler_model():
    rows = _rows({"prophet": 1.0, "naive": 1.0})
    backtest = rows[rows["part"] == "backtest"]
    backtest = backtest.assign(y=backtest.groupby(["region_id", "h"])["y"].transform("first"))  # equal errors
    assert choose_champions(backtest, ["prophet", "naive"])[0] == {"x": "naive"}


def test_small_count_forecasts_are_suppressed():
    rows = _rows({"naive": 0.5})
    spec = SeriesSpec("annual", 2, 1, 1, 5, lower=0.0, models=("naive",))
    res = select_and_calibrate(rows, {"x": spec}, ["naive"], kinds={"x": "count"}, min_count=3)
    assert (res.forecasts["flag"] == "suppressed").all() and res.forecasts["yhat"].isna().all()


def test_conformal_table_pools_sparse_horizons():
    rows = _rows({"naive": 1.0}, n_regions=5)                  # 5 residuals per horizon < 20
    table = conformal_table(rows[rows["part"] == "backtest"])
    h1, h2 = table.sort_values("h")["q_hi80"].tolist()
    assert h2 == pytest.approx(h1 * math.sqrt(2))


def test_an_interval_holds_its_own_forecast():
    """Backtest errors that all point up (the forecasts were too low in every calibration year): the signed
    quantiles lie above zero, and the interval reaches down to the forecast instead of lying beside it; errors of
    both signs keep their quantiles."""
    rows = _rows({"naive": 1.0}, n_regions=30)
    backtest = rows[rows["part"] == "backtest"]
    up = backtest.assign(y=backtest["yhat"] + backtest["scale"] * np.linspace(1.0, 3.0, len(backtest)))
    table = conformal_table(up)
    assert (table["q_lo80"] == 0.0).all() and (table["q_lo95"] <= 0.0).all() and (table["q_hi80"] > 1.0).all()
    mixed = backtest.assign(y=backtest["yhat"] + backtest["scale"] * np.linspace(-3.0, 3.0, len(backtest)))
    both = conformal_table(mixed)
    assert (both["q_lo80"] < 0).all() and (both["q_hi80"] > 0).all()


def test_spec_for_uses_kind_and_frequency(catalog):
    cfg = ForecastConfig()
    share = spec_for(catalog["sgb2_quote"], cfg)
    assert (share.lower, share.upper, share.horizon, share.frequency) == (0.0, 100.0, 3, "annual")
    assert "seasonal_naive" not in share.models
    monthly = spec_for(catalog["arbeitslose_monat"], cfg)
    assert (monthly.horizon, monthly.lower, monthly.upper) == (12, 0.0, None) and "seasonal_naive" in monthly.models


def test_input_series_hides_suppressed_values_and_cuts_periods():
    v = pd.DataFrame({"region_id": ["a"] * 4, "indicator_id": ["x", "x", "m", "m"],
                      "period": ["2016", "2018", "2017-12", "2018-01"], "value": [1.0, 2.0, 3.0, 4.0],
                      "flag": ["suppressed", "ok", "ok", "ok"]})
    s = input_series(v, ["x", "m"], {"a"}, "2017")
    assert s["period"].tolist() == ["2016", "2017-12"] and math.isnan(s["value"].iloc[0])
    s = input_series(v, ["x", "m"], None, "2017-12")
    assert s["period"].tolist() == ["2016", "2017-12"]


def test_input_series_keeps_only_the_latest_definition_up_to_the_training_end():
    """An indicator defined anew from 2019 is forecast from its values since 2019; a break after the training
    end does not cut; an indicator without break keeps every year."""
    years = [str(y) for y in range(2013, 2022)]
    v = pd.DataFrame({"region_id": "a", "indicator_id": ["s1"] * 9 + ["s3"] * 9, "period": years * 2,
                      "value": np.arange(18.0), "flag": "ok"})
    s = input_series(v, ["s1", "s3"], None, None, {"s1": (2019,)})
    assert s.loc[s["indicator_id"] == "s1", "period"].tolist() == ["2019", "2020", "2021"]
    assert s.loc[s["indicator_id"] == "s3", "period"].tolist() == years
    s = input_series(v, ["s1"], None, "2017", {"s1": (2019,)})
    assert s["period"].tolist() == years[:5]


def test_input_series_makes_a_copied_year_a_gap():
    """A year whose values repeat the year before is no observation of a standstill: a gap, for that indicator
    only; the year and the other indicators keep their rows."""
    years = [str(y) for y in range(2015, 2021)]
    v = pd.DataFrame({"region_id": "a", "indicator_id": ["s1"] * 6 + ["s3"] * 6, "period": years * 2,
                      "value": np.arange(12.0), "flag": "ok"})
    s = input_series(v, ["s1", "s3"], None, None, copies={"s1": (2018,)})
    assert s["period"].tolist() == years * 2
    assert s["value"].isna().tolist() == [False, False, False, True, False, False] + [False] * 6


def _sample_series(sample_inputs, indicators, n_regions):
    from features.pipeline import run_pipeline

    settings, catalog, obs, regions = sample_inputs
    result = run_pipeline(obs, regions, catalog, settings)
    gemeinden = sorted(regions.loc[regions["level"] == "gemeinde", "region_id"])[:n_regions]
    return input_series(result.values, indicators, set(gemeinden), None), catalog


def test_local_engine_is_deterministic_across_worker_counts(sample_inputs):
    series, catalog = _sample_series(sample_inputs, ["sgb2_quote", "ew_80plus"], 6)
    cfg = ForecastConfig(models=["naive", "drift", "prophet"], prophet_uncertainty_samples=0)
    specs = {i: spec_for(catalog[i], cfg) for i in ("sgb2_quote", "ew_80plus")}
    calls = []
    one = run_local(series, specs, n_jobs=1, progress=lambda d, n: calls.append((d, n)))
    two = run_local(series, specs, n_jobs=2, per_chunk=3)
    pd.testing.assert_frame_equal(one, two)
    assert calls[-1] == (12, 12)
    assert set(one["model"]) == {"naive", "drift", "prophet"}


def test_spark_engine_equals_local_engine(sample_inputs):
    series, catalog = _sample_series(sample_inputs, ["sgb2_quote", "arbeitslose_monat"], 3)
    cfg = ForecastConfig(prophet_uncertainty_samples=0)
    specs = {i: spec_for(catalog[i], cfg) for i in ("sgb2_quote", "arbeitslose_monat")}
    local = run_local(series, specs, n_jobs=1)
    spark = run_spark(series, specs, master="local[2]")
    pd.testing.assert_frame_equal(local, spark, check_exact=False, rtol=1e-9, atol=1e-9)

"""The forecasting candidates beyond the baselines (statsforecast, combination, the global model, Prophet's trend
path), the champion rule, the race, the held-out interval check and the structural breaks."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from models.forecast_engines import FIRST_STAGE, clearly_out, costly_models, race_sample, run_local, run_raced
from models.forecast_global import fit_predict, global_rows
from models.forecast_models import (
    combine, interpolate_gaps, period_grid, period_to_timestamp, prophet_options, statistical_forecast, trend_only,
)
from models.forecasting import (
    SeriesSpec, choose_champions, forecast_frame, forecast_series, holdout_coverage, select_and_calibrate, structural_breaks,
)

ANNUAL = SeriesSpec(frequency="annual", horizon=3, origins=3, origin_step=1, min_train=5,
                    models=("naive", "drift", "theta", "ets", "combination", "global"))


def _long(Y: np.ndarray, first_year: int = 2000, indicator: str = "x") -> pd.DataFrame:
    rows = [{"region_id": f"r{i:02d}", "indicator_id": indicator, "period": str(first_year + t), "value": Y[i, t]}
            for i in range(Y.shape[0]) for t in range(Y.shape[1])]
    return pd.DataFrame(rows)


# --- statsforecast candidates and the combination ----------------------------------------------------------

@pytest.mark.parametrize("model", ["ets", "theta", "arima"])
def test_statistical_candidates_follow_a_clean_trend(model):
    y = 10.0 + 0.5 * np.arange(15)
    yhat, intervals = statistical_forecast(model, y, 3, "annual")
    assert yhat == pytest.approx([17.5, 18.0, 18.5], abs=0.35) and intervals == {}


def test_statistical_candidates_step_over_gaps_and_a_late_origin():
    y = 10.0 + 0.5 * np.arange(15)
    gappy = y.copy()
    gappy[[4, 9]] = np.nan
    full, _ = statistical_forecast("ets", y, 3, "annual")
    assert statistical_forecast("ets", gappy, 3, "annual")[0] == pytest.approx(full, abs=0.05)
    # the last two values unobserved: the forecast is still for the three periods after the end of the array
    late = y.copy()
    late[-2:] = np.nan
    yhat, _ = statistical_forecast("ets", late, 3, "annual")
    assert yhat == pytest.approx([17.5, 18.0, 18.5], abs=0.35)


def test_statistical_candidates_fall_back_to_naive_on_too_short_series():
    yhat, _ = statistical_forecast("theta", np.array([np.nan, 3.0, 4.0, 5.0]), 2, "annual")
    assert yhat.tolist() == [5.0, 5.0]


@given(st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=2, max_size=6), st.integers(1, 4))
@hsettings(max_examples=50, deadline=None)
def test_interpolation_keeps_observed_values_and_fills_inside(values, holes):
    y = np.array(values, dtype=float)
    rng = np.random.default_rng(len(values))
    y_gappy = y.copy()
    if len(y) > 2:
        y_gappy[rng.choice(np.arange(1, len(y) - 1), size=min(holes, len(y) - 2), replace=False)] = np.nan
    filled = interpolate_gaps(np.concatenate([[np.nan], y_gappy, [np.nan]]))
    assert len(filled) == len(y) and np.isfinite(filled).all()
    kept = ~np.isnan(y_gappy)
    assert filled[kept] == pytest.approx(y[kept])
    assert filled.min() >= y[kept].min() - 1e-9 and filled.max() <= y[kept].max() + 1e-9


def test_combination_is_the_median_of_drift_theta_and_ets():
    parts = {"drift": np.array([1.0, 2.0]), "theta": np.array([3.0, 0.0]), "ets": np.array([2.0, 5.0]),
             "naive": np.array([100.0, 100.0])}
    assert combine(parts).tolist() == [2.0, 2.0]
    assert combine({"naive": np.array([1.0])}) is None


def test_prophet_trend_path_equals_its_predict():
    from prophet import Prophet

    rng = np.random.default_rng(1)
    y = np.cumsum(rng.normal(0.5, 1, 15)) + 20
    periods = [str(2000 + i) for i in range(15)]
    for scaling in ("absmax", "minmax"):
        m = Prophet(**prophet_options("annual", 15), uncertainty_samples=0, scaling=scaling)
        m.fit(pd.DataFrame({"ds": period_to_timestamp(periods, "annual"), "y": y}))
        future = pd.DataFrame({"ds": period_to_timestamp(["2015", "2016", "2017"], "annual")})
        assert trend_only(m, future["ds"]) == pytest.approx(m.predict(future)["yhat"].to_numpy(), rel=1e-10)


@pytest.mark.parametrize("frequency, n, gaps, mode", [
    ("annual", 15, (), "additive"), ("annual", 9, (2, 5), "additive"), ("annual", 4, (), "multiplicative"),
    ("monthly", 48, (7,), "additive"),
])
def test_lean_prophet_gives_prophets_own_inputs_and_fit(frequency, n, gaps, mode):
    """The Prophet the forecasts use builds its placeholder components once; the Stan data, the component table
    and the fitted parameters are those of Prophet itself, for the annual settings (no seasonality) and, going
    Prophet's own way, for monthly series with a yearly season."""
    import dataclasses

    from prophet import Prophet

    from models.forecast_models import lean_prophet

    rng = np.random.default_rng(n)
    y = np.cumsum(rng.normal(0.3, 1, n)) + 30
    y[list(gaps)] = np.nan
    first = "2000" if frequency == "annual" else "2000-01"
    periods = [p for p, v in zip(period_grid(first, _last(first, n, frequency), frequency), y) if not np.isnan(v)]
    df = pd.DataFrame({"ds": period_to_timestamp(periods, frequency), "y": y[~np.isnan(y)]})
    options = dict(prophet_options(frequency, len(df)), seasonality_mode=mode, uncertainty_samples=0)
    plain, lean = Prophet(**options), lean_prophet()(**options)
    a, b = plain.preprocess(df), lean.preprocess(df)
    for field in dataclasses.fields(a):
        x, z = getattr(a, field.name), getattr(b, field.name)
        if isinstance(x, (pd.DataFrame, pd.Series)):
            pd.testing.assert_frame_equal(pd.DataFrame(x), pd.DataFrame(z))
        else:
            np.testing.assert_array_equal(np.asarray(x), np.asarray(z))
    pd.testing.assert_frame_equal(plain.train_component_cols, lean.train_component_cols)
    assert plain.component_modes == lean.component_modes
    fitted = Prophet(**options).fit(df), lean_prophet()(**options).fit(df)
    for key in ("k", "m", "delta", "beta", "sigma_obs"):
        np.testing.assert_array_equal(fitted[0].params[key], fitted[1].params[key])
    future = fitted[0].make_future_dataframe(3, freq="YS" if frequency == "annual" else "MS", include_history=False)
    np.testing.assert_array_equal(fitted[0].predict(future)["yhat"], fitted[1].predict(future)["yhat"])


def _last(first: str, n: int, frequency: str) -> str:
    return str(int(first) + n - 1) if frequency == "annual" else str(pd.Period(first, freq="M") + n - 1)


# --- the global model -------------------------------------------------------------------------------------

def _mean_reverting(n=40, T=20, seed=0):
    """Series that revert to their own level with a common shock: a pattern one series is too short to learn."""
    rng = np.random.default_rng(seed)
    level = rng.uniform(5, 50, n)
    Y = np.empty((n, T))
    Y[:, 0] = level + rng.normal(0, 3, n)
    for t in range(1, T):
        Y[:, t] = level + 0.5 * (Y[:, t - 1] - level) + rng.normal(0, 1, n)
    return Y


def test_global_model_uses_nothing_after_its_origin():
    Y = _mean_reverting()
    targets = [(i, 14) for i in range(5)]
    a = fit_predict(Y, 14, targets, 3, "annual")
    changed = Y.copy()
    changed[:, 15:] += 1000.0
    assert fit_predict(changed, 14, targets, 3, "annual") == pytest.approx(a)


def test_global_model_on_editions_every_two_years_grows_with_the_horizon():
    """Berlin's register matrices: one edition every two years. Series that grow by their own steady amount a
    year: the forecast one, two and three years ahead grows with h (the model learned every horizon from the
    filled years between editions, not only two years ahead), and close to the series' own line."""
    rng = np.random.default_rng(3)
    n, T = 80, 17
    slope = rng.uniform(-20, 40, n)
    Y = 1000 + slope[:, None] * np.arange(T)[None, :] + rng.normal(0, 2, (n, T))
    Y[:, 1::2] = np.nan                                           # editions in the even columns only
    targets = [(i, T - 1) for i in range(n)]
    got = fit_predict(Y, T - 1, targets, 3, "annual")
    steps = np.diff(np.column_stack([Y[:, -1], got]), axis=1)     # the change from one year to the next
    assert (np.sign(steps) == np.sign(slope)[:, None]).mean() > 0.9
    assert np.median(np.abs(steps - slope[:, None]) / np.abs(slope).mean()) < 0.35


def test_global_model_beats_naive_on_mean_reverting_series():
    Y = _mean_reverting(n=60, T=24)
    series = _long(Y)
    spec = replace(ANNUAL, models=("naive", "global"))
    rows = forecast_frame(series, {"x": spec})
    rows = pd.concat([rows, global_rows(series, {"x": spec}, rows)], ignore_index=True)
    bt = rows[rows["part"] == "backtest"]
    err = bt.assign(e=(bt["y"] - bt["yhat"]).abs()).groupby("model")["e"].mean()
    assert err["global"] < 0.92 * err["naive"]          # the best possible (the true AR(1)) is 0.76 × naive
    # the same series, origins and periods as the per-series candidates
    keys = ["part", "region_id", "origin", "period", "h"]
    pd.testing.assert_frame_equal(rows[rows["model"] == "global"][keys].sort_values(keys).reset_index(drop=True),
                                  rows[rows["model"] == "naive"][keys].sort_values(keys).reset_index(drop=True))


def test_an_indicator_too_short_for_every_candidate_gets_no_global_rows_beside_one_that_is_long_enough():
    """A store with one long and one one-edition indicator: the long one is forecast by both, the short one by
    neither, instead of the global model failing for lack of a per-series candidate."""
    long = _long(_mean_reverting(n=30, T=20))
    short = long[long["period"] == long["period"].max()].assign(indicator_id="y")
    series = pd.concat([long, short], ignore_index=True)
    spec = replace(ANNUAL, models=("naive", "global"))
    specs = {"x": spec, "y": spec}
    rows = forecast_frame(series, specs)
    assert set(rows["indicator_id"]) == {"x"}
    extra = global_rows(series, specs, rows)
    assert set(extra["indicator_id"]) == {"x"} and set(extra["model"]) == {"global"}


# --- champion rule, race, held-out check, breaks ------------------------------------------------------------

def _backtest(errors: dict[str, float], n_regions=30, origins=("2018", "2019", "2020"), noise=0.3, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for r in range(n_regions):
        for o in origins:
            for h in (1, 2):
                for model, err in errors.items():
                    e = err * (1 + noise * rng.normal())
                    out.append({"part": "backtest", "region_id": f"r{r}", "indicator_id": "x", "model": model,
                                "origin": o, "period": str(int(o) + h), "h": h, "y": 10.0 + e, "yhat": 10.0,
                                "scale": 1.0, "n_lo80": np.nan, "n_hi80": np.nan, "n_lo95": np.nan,
                                "n_hi95": np.nan})
    return pd.DataFrame(out)


def test_champion_prefers_the_simpler_model_within_the_spread():
    champions, table = choose_champions(_backtest({"prophet": 0.99, "naive": 1.0, "ets": 0.995}), ["naive"])
    assert champions == {"x": "naive"}
    row = table.set_index("model").loc["naive"]
    assert row["chosen"] and row["difference"] <= row["spread"]


def test_champion_is_the_better_model_when_the_gain_exceeds_the_spread():
    champions, table = choose_champions(_backtest({"naive": 2.0, "drift": 1.9, "ets": 0.5}), ["naive"])
    assert champions == {"x": "ets"}
    drift = table.set_index("model").loc["drift"]
    assert drift["difference"] > drift["spread"] > 0


def test_champion_leaves_out_raced_candidates():
    b = _backtest({"naive": 1.0, "prophet": 0.1})
    assert choose_champions(b, ["naive"], excluded={"x": {"prophet"}})[0] == {"x": "naive"}


def test_holdout_check_flags_intervals_that_failed_on_the_latest_origin():
    b = _backtest({"naive": 1.0}, n_regions=40, noise=1.0, seed=3)
    calm = holdout_coverage(b)
    assert bool(calm["interval_reliable"].iloc[0]) and 0.7 <= calm["holdout_coverage80"].iloc[0] <= 0.9
    shocked = b.copy()
    late = shocked["origin"] == "2020"
    shocked.loc[late, "y"] = shocked.loc[late, "y"] + 8.0      # a break the earlier origins never saw
    out = holdout_coverage(shocked)
    assert not bool(out["interval_reliable"].iloc[0]) and out["holdout_coverage80"].iloc[0] < 0.5
    res = select_and_calibrate(pd.concat([shocked, shocked.assign(part="forecast", origin="2022", y=np.nan)]),
                               {"x": replace(ANNUAL, models=("naive",))}, ["naive"])
    assert (res.forecasts["interval_reliable"] == False).all()  # noqa: E712 - a nullable boolean column


def test_structural_breaks_find_a_year_that_moved_every_region():
    rng = np.random.default_rng(0)
    Y = np.cumsum(rng.normal(0, 1, (30, 16)), axis=1) + 50
    assert structural_breaks(_long(Y)).empty
    Y[:, 10:] += 6.0                                             # every region jumps in 2010
    b = structural_breaks(_long(Y))
    assert b["period"].tolist() == ["2010"] and b["z"].iloc[0] > 3.5
    assert b["step"].tolist() == [True]                          # one year's jump that stays: a new definition?


def test_a_gap_in_the_editions_is_no_break_and_monthly_periods_count_months():
    """A monitoring with an early edition and then yearly ones (Flensburg's Sozialatlas: 2011, 2017–2022): the
    six years' change to the first yearly edition is six years of the same trend, not a break."""
    rng = np.random.default_rng(2)
    steady = 50 + 0.8 * np.arange(16) + rng.normal(0, 0.3, (30, 16))       # every region rises 0.8 a year
    kept = [0] + list(range(6, 16))                                          # 2000, then 2006–2015
    gap = _long(steady)[lambda d: d["period"].astype(int).isin([2000 + t for t in kept])]
    assert structural_breaks(gap).empty
    jumped = steady.copy()
    jumped[:, 11:] += 6.0                                                    # a real jump after the gap is found
    b = structural_breaks(_long(jumped)[lambda d: d["period"].isin(gap["period"].unique())])
    assert b["period"].tolist() == ["2011"]
    monthly = _long(steady)
    monthly["period"] = [f"2020-{int(p) - 1999:02d}" if int(p) < 2012 else f"2021-{int(p) - 2011:02d}"
                         for p in monthly["period"]]                         # 2020-01 … 2020-12, 2021-01 … 2021-04
    assert structural_breaks(monthly).empty                                  # December to January is one month


def test_a_wave_or_a_jump_taken_back_is_no_step():
    rng = np.random.default_rng(1)
    base = np.cumsum(rng.normal(0, 1, (30, 16)), axis=1) + 50
    wave = base.copy()
    wave[:, 10:] += 6.0
    wave[:, 11:] += 6.0                                          # two years in a row: a wave, not a definition
    b = structural_breaks(_long(wave))
    assert b["period"].tolist() == ["2010", "2011"] and not b["step"].any()
    back = base.copy()
    back[:, 10] += 6.0                                           # up in 2010, down again in 2011
    b = structural_breaks(_long(back))
    assert "2010" in b["period"].tolist() and not b["step"].any()
    last = base.copy()
    last[:, 15] += 6.0                                           # the latest year: whether it stays is not known
    b = structural_breaks(_long(last))
    assert b["period"].tolist() == ["2015"] and not b["step"].any()
    half = base.copy()
    half[:, 10:] += 6.0
    half[:, 11:] -= 2.0                                          # a third taken back: the step stays
    b = structural_breaks(_long(half))
    assert b.loc[b["period"] == "2010", "step"].tolist() == [True]
    assert not b.loc[b["period"] == "2011", "step"].any()        # the partial correction is no step of its own
    short = base[:, :7].copy()
    short[:, 4:] += 6.0                                          # seven editions: a break, too few to call it a step
    b = structural_breaks(_long(short))
    assert b["period"].tolist() == ["2004"] and not b["step"].any()


def test_race_sample_is_stable_and_at_least_the_minimum():
    series = _long(np.zeros((50, 2)))
    a = race_sample(series, 0.25)
    assert a.equals(race_sample(series.sample(frac=1, random_state=1).sort_index(), 0.25))
    assert series.loc[a.to_numpy(), "region_id"].nunique() == 13                  # a quarter of 50, rounded up
    small = _long(np.zeros((20, 2)))
    assert small.loc[race_sample(small, 0.25).to_numpy(), "region_id"].nunique() == 10   # the minimum


def test_costly_candidates_depend_on_the_frequency():
    assert costly_models(replace(ANNUAL, models=ANNUAL.models + ("prophet",))) == ("prophet",)
    monthly = replace(ANNUAL, frequency="monthly", models=("naive", "theta", "ets", "combination", "prophet"))
    assert costly_models(monthly) == ("ets", "combination", "prophet")


def test_race_drops_a_costly_candidate_that_loses_on_the_sample():
    Y = 10.0 + 0.5 * np.arange(14)[None, :] + np.linspace(0, 5, 24)[:, None]  # straight lines: drift is exact
    series = _long(Y)
    spec = replace(ANNUAL, models=("naive", "drift", "prophet"))
    rows, out = run_raced(series, {"x": spec}, lambda s, sp, p: run_local(s, sp, n_jobs=1, progress=p), share=0.25)
    assert out == {"x": {"prophet"}}
    prophet = rows[rows["model"] == "prophet"]
    # clearly worse than drift after the first stage (5 regions): not fitted on the rest of the sample
    assert set(prophet["part"]) == {"backtest"} and prophet["region_id"].nunique() == FIRST_STAGE
    assert rows[rows["model"] == "drift"]["region_id"].nunique() == 24
    assert select_and_calibrate(rows, {"x": spec}, list(spec.models), excluded=out).champions == {"x": "drift"}


def _stand_in(copy_of: str):
    """An engine whose "prophet" is the real ``copy_of`` candidate under another name (a costly model exactly as
    good as a cheap one), the other candidates real."""
    def engine(s, sp, p):
        real = {i: replace(x, models=tuple(m for m in x.models if m != "prophet")) for i, x in sp.items()}
        parts = [run_local(s, real, n_jobs=1)] if any(x.models for x in real.values()) else []
        if any("prophet" in x.models for x in sp.values()):
            twin = run_local(s, {i: replace(x, models=(copy_of,)) for i, x in sp.items()}, n_jobs=1)
            parts.append(twin.assign(model="prophet"))
        return pd.concat(parts, ignore_index=True)
    return engine


def test_race_goes_on_with_a_costly_candidate_that_is_not_clearly_worse():
    series = _long(_mean_reverting(n=24, T=14, seed=3))
    spec = replace(ANNUAL, models=("naive", "drift", "prophet"))
    rows, out = run_raced(series, {"x": spec}, _stand_in("drift"), share=0.25)
    # as good as drift: through the whole sample of 10, then out (drift is the simpler of two equals)
    assert rows[rows["model"] == "prophet"]["region_id"].nunique() == 10 and out == {"x": {"prophet"}}


def test_clearly_out_needs_more_than_twice_the_spread():
    """prophet is a little worse than naive on average but better in some regions (within the noise); arima is
    3 behind everywhere."""
    rng = np.random.default_rng(0)
    factor = [0.8, 1.25, 0.9, 1.2, 0.85, 1.3, 0.95, 1.1]           # prophet's error against naive's, per region
    rows = []
    for r in range(8):
        for o in range(3):
            for h in (1, 2):
                e = rng.normal(0, 1)
                for model, err in (("naive", e), ("prophet", e * factor[r]), ("arima", e + 3.0 * np.sign(e))):
                    rows.append({"part": "backtest", "region_id": f"r{r}", "indicator_id": "x", "model": model,
                                 "origin": str(2010 + o), "period": str(2011 + o + h), "h": h, "y": 0.0,
                                 "yhat": err, "scale": 1.0})
    spec = replace(ANNUAL, models=("naive", "prophet", "arima"))
    assert clearly_out(pd.DataFrame(rows), {"x": spec}, {"x": ("prophet", "arima")}) == {"x": {"arima"}}


def test_race_fits_a_winning_costly_candidate_everywhere():
    Y = _mean_reverting(n=24, T=14, seed=5)
    series = _long(Y)
    spec = replace(ANNUAL, models=("naive", "prophet"))

    def engine(s, sp, p):
        """The real engine for naive; "prophet" replaced by a candidate that is exact in every backtest (a
        stand-in for a costly model that wins), on the same rows."""
        real = {i: replace(x, models=tuple(m for m in x.models if m != "prophet")) for i, x in sp.items()}
        parts = [run_local(s, real, n_jobs=1)] if any(x.models for x in real.values()) else []
        if any("prophet" in x.models for x in sp.values()):
            perfect = run_local(s, {i: replace(x, models=("naive",)) for i, x in sp.items()}, n_jobs=1)
            perfect = perfect.assign(model="prophet")
            perfect["yhat"] = perfect["y"].where(perfect["part"] == "backtest", perfect["yhat"])
            parts.append(perfect)
        return pd.concat(parts, ignore_index=True)

    rows, out = run_raced(series, {"x": spec}, engine, share=0.25)
    assert out == {}
    finals = rows[(rows["model"] == "prophet") & (rows["part"] == "forecast")]
    assert finals["region_id"].nunique() == 24
    # confirmed on every region, not chosen on the sample it won on
    assert rows[(rows["model"] == "prophet") & (rows["part"] == "backtest")]["region_id"].nunique() == 24
    assert not rows.duplicated(["part", "region_id", "model", "origin", "h"]).any()
    assert select_and_calibrate(rows, {"x": spec}, list(spec.models), excluded=out).champions == {"x": "prophet"}


def _lucky_on(regions: set[str], wrong_by: float):
    """An engine whose "prophet" is exact in the backtests of ``regions`` and off by ``wrong_by`` elsewhere (a
    costly candidate that got lucky on the race's sample), naive real; it records every series it fits."""
    fitted: list[tuple[str, str]] = []

    def engine(s, sp, p):
        real = {i: replace(x, models=tuple(m for m in x.models if m != "prophet")) for i, x in sp.items()}
        parts = [run_local(s, real, n_jobs=1)] if any(x.models for x in real.values()) else []
        if any("prophet" in x.models for x in sp.values()):
            twin = run_local(s, {i: replace(x, models=("naive",)) for i, x in sp.items()}, n_jobs=1)
            twin = twin.assign(model="prophet")
            lucky = twin["region_id"].isin(regions) & (twin["part"] == "backtest")
            twin["yhat"] = np.where(lucky, twin["y"], twin["yhat"] + wrong_by)
            fitted.extend((r, part) for r, part in zip(twin["region_id"], twin["part"]))
            parts.append(twin)
        return pd.concat(parts, ignore_index=True)
    engine.fitted = fitted
    return engine


def test_a_sample_winner_that_falls_behind_is_not_fitted_everywhere():
    """Exact on the sample, far off elsewhere: confirmed on the regions up to twice the sample, clearly behind
    there, out; never fitted on the rest, and no final forecast is made of it."""
    series = _long(_mean_reverting(n=60, T=14, seed=7))
    spec = replace(ANNUAL, models=("naive", "prophet"))
    sampled = set(series.loc[race_sample(series, 0.25).to_numpy(), "region_id"])
    wider = set(series.loc[race_sample(series, 0.5).to_numpy(), "region_id"])
    assert len(sampled) == 15 and len(wider) == 30
    engine = _lucky_on(sampled, wrong_by=20.0)
    rows, out = run_raced(series, {"x": spec}, engine, share=0.25)
    assert out == {"x": {"prophet"}}
    assert {r for r, _ in engine.fitted} == wider and {part for _, part in engine.fitted} == {"backtest"}
    assert not ((rows["model"] == "prophet") & (rows["part"] == "forecast")).any()
    assert select_and_calibrate(rows, {"x": spec}, list(spec.models), excluded=out).champions == {"x": "naive"}


def test_a_confirmed_candidate_that_loses_on_every_region_gets_no_final_forecast():
    """Exact on the sample, a little off elsewhere: not clearly behind after the regions up to twice the sample,
    so backtested on every region; naive wins there, and the candidate's final forecasts are never fitted."""
    series = _long(_mean_reverting(n=60, T=14, seed=7))
    spec = replace(ANNUAL, models=("naive", "prophet"))
    sampled = set(series.loc[race_sample(series, 0.25).to_numpy(), "region_id"])
    engine = _lucky_on(sampled, wrong_by=1.5)
    rows, out = run_raced(series, {"x": spec}, engine, share=0.25)
    backtested = rows[(rows["model"] == "prophet") & (rows["part"] == "backtest")]
    assert out == {} and backtested["region_id"].nunique() == 60
    assert {part for _, part in engine.fitted} == {"backtest"}
    assert select_and_calibrate(rows, {"x": spec}, list(spec.models), excluded=out).champions == {"x": "naive"}


def test_every_candidate_runs_through_the_engine_on_a_monthly_series():
    t = np.arange(60)
    Y = 100 + 10 * np.sin(2 * math.pi * t / 12)[None, :] + np.arange(8)[:, None]
    rows = []
    for i in range(Y.shape[0]):
        for k in range(60):
            rows.append({"region_id": f"r{i}", "indicator_id": "m", "period": f"{2015 + k // 12}-{k % 12 + 1:02d}",
                         "value": Y[i, k]})
    spec = SeriesSpec("monthly", 12, 2, 3, 36, models=("naive", "seasonal_naive", "theta", "ets", "combination"))
    out = run_local(pd.DataFrame(rows), {"m": spec}, n_jobs=1)
    bt = out[out["part"] == "backtest"]
    err = bt.assign(e=(bt["y"] - bt["yhat"]).abs()).groupby("model")["e"].mean()
    assert set(err.index) == set(spec.models)
    assert err["seasonal_naive"] < 1e-9 and err["ets"] < 0.1 * err["naive"] and err["theta"] < 0.1 * err["naive"]


def test_a_gap_in_the_editions_moves_the_origin_to_where_enough_values_precede_it():
    """2011, then yearly from 2017 (Flensburg's Sozialatlas): five observed values (2011, 2017–2020) precede
    2021, so a backtest fitted up to 2020 forecasts 2021 and 2022 — though the grid counts ten years before 2021,
    of which five are the gap."""
    periods = ["2011"] + [str(y) for y in range(2017, 2023)]
    values = [10.0, 12.0, 12.5, 13.0, 13.5, 14.0, 14.5]
    out = forecast_series("r", "x", periods, values, replace(ANNUAL, models=("naive", "drift")))
    back = out[out["part"] == "backtest"]
    assert set(back["origin"]) == {"2020"} and sorted(back["period"].unique()) == ["2021", "2022"]
    assert back.loc[back["model"] == "naive", "yhat"].tolist() == [13.5, 13.5]      # the last value before 2021
    shorter = forecast_series("r", "x", periods[:6], values[:6], replace(ANNUAL, models=("naive",)))
    assert set(shorter["part"]) == {"backtest", "forecast"} and set(shorter.loc[shorter["part"] == "backtest",
                                                                                "period"]) == {"2021"}


def test_race_on_series_too_short_for_a_backtest():
    """Five scattered years per region (as in a register published every few years): no backtest origin has
    five values before it; the race still ends, with final forecasts of the cheap candidates only."""
    rows = [{"region_id": f"r{i:02d}", "indicator_id": "x", "period": str(y), "value": 100.0 + i + k}
            for i in range(12) for k, y in enumerate((2009, 2013, 2017, 2021, 2024))]
    spec = replace(ANNUAL, models=("naive", "drift", "prophet"))
    out, raced = run_raced(pd.DataFrame(rows), {"x": spec}, lambda s, sp, p: run_local(s, sp, n_jobs=1), share=0.25)
    assert set(out["part"]) == {"forecast"} and set(out["model"]) == {"naive", "drift"}
    res = select_and_calibrate(out, {"x": spec}, list(spec.models), excluded=raced)
    assert res.champions == {"x": "naive"} and res.forecasts["lo80"].isna().all()

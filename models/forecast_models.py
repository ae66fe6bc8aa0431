"""The forecasting candidates, each a function of one series: baselines, Prophet, statsforecast's ETS, Theta and
ARIMA, and their combination.

A series is a numpy array on a regular grid of years or months with NaN for missing or suppressed values; every
candidate forecasts the H periods after the end of the array and returns ``(yhat, intervals)`` with its own
(nominal) intervals as {level: (lo, hi)} where it has them. The calibrated intervals the service shows come
later, from the backtest (``models.forecasting``).

* ``naive``, ``drift``, ``seasonal_naive``: the textbook baselines (Hyndman & Athanasopoulos, ch. 5.2 and 5.5).
* ``theta``, ``ets``, ``arima``: statsforecast's AutoTheta, AutoETS (error, trend with or without damping, no
  season for annual series) and AutoARIMA, chosen per series by their information criteria. Inner gaps are
  filled linearly before the fit (they need a gap-free series); a fit that fails falls back to ``naive``.
* ``combination``: the median of drift, theta and ETS — robust to one of them running away (ARIMA stays out: it
  costs twenty times as much as the three together).
* ``prophet``: our annual or monthly settings; ``prophet_default``: Prophet's own defaults, for comparison.

The global model across all series of an indicator lives in ``models.forecast_global``: it needs every series
at once.
"""

from __future__ import annotations

import logging
import math
import warnings
from functools import lru_cache

import numpy as np
import pandas as pd

from ml.quiet import verbose


class ForecastError(ValueError):
    """A series, a configuration or a store that does not allow a forecast."""


BASELINES = ("naive", "drift", "seasonal_naive")
STATISTICAL = ("theta", "ets", "arima")
COMBINED_FROM = ("drift", "theta", "ets")
"""The candidates the ``combination`` takes the median of (those among the configured candidates; ARIMA stays out:
it costs twenty times as much as the three together)."""
SERIES_MODELS = BASELINES + STATISTICAL + ("combination", "prophet", "prophet_default")
"""Candidates computed per series; ``global`` is computed across the series of an indicator."""

MODEL_NAMES = {"naive": "naiv (letzter Wert)", "drift": "Drift (linearer Trend)", "seasonal_naive": "saisonal naiv",
               "theta": "Theta", "ets": "Exponentielle Glättung (ETS)", "arima": "ARIMA",
               "combination": "Kombination (Median)", "global": "Globales Modell (LightGBM)",
               "prophet": "Prophet", "prophet_default": "Prophet (Voreinstellungen)"}
"""The candidates' German names, for runs, reports and the API's readers."""

_LOGGERS = ("cmdstanpy", "prophet", "prophet.plot", "prophet.models")


def _quiet() -> None:
    """Silence Stan's per-fit chatter, unless ``SOZIALRADAR_VERBOSE`` asks for it. cmdstanpy configures its
    logger on the first ``get_logger()`` call (level DEBUG, a handler), which the first fit would make after
    any earlier quieting: so that call is made here, first."""
    if verbose():
        return
    from cmdstanpy.utils import get_logger

    get_logger()
    for name in _LOGGERS:
        logging.getLogger(name).setLevel(logging.CRITICAL)

def _quiet_import() -> None:
    """Prophet logs a notice about plotly while it is imported: its loggers are set before that."""
    if not verbose():
        for name in _LOGGERS:
            logging.getLogger(name).setLevel(logging.CRITICAL)



# --- periods ----------------------------------------------------------------------------------------------

def period_to_timestamp(periods, frequency: str) -> pd.DatetimeIndex:
    """``YYYY`` → 1 January, ``YYYY-MM`` → the first of the month."""
    text = pd.Index(periods).astype(str)
    if frequency == "monthly":
        return pd.to_datetime(text + "-01", format="%Y-%m-%d")
    return pd.to_datetime(text + "-01-01", format="%Y-%m-%d")


def period_grid(first: str, last: str, frequency: str) -> list[str]:
    """Every period from ``first`` to ``last`` inclusive."""
    if frequency == "monthly":
        return [p.strftime("%Y-%m") for p in pd.period_range(first, last, freq="M")]
    return [str(y) for y in range(int(first), int(last) + 1)]


def future_periods(last: str, horizon: int, frequency: str) -> list[str]:
    """The ``horizon`` periods after ``last`` (years, or months for monthly series)."""
    if frequency == "monthly":
        start = pd.Period(last, freq="M")
        return [(start + k).strftime("%Y-%m") for k in range(1, horizon + 1)]
    return [str(int(last) + k) for k in range(1, horizon + 1)]


# --- the models -------------------------------------------------------------------------------------------

def naive_scale(y: np.ndarray) -> float:
    """Mean absolute change per period between consecutive observed values (NaN when fewer than two): a gap of
    one period between two values counts their change halved, so that editions every two years (a biennial
    monitoring on the annual grid) have a scale as annual ones do."""
    t = np.flatnonzero(~np.isnan(y))
    if len(t) < 2:
        return math.nan
    return float(np.mean(np.abs(np.diff(y[t])) / np.diff(t)))


def _observed(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    t = np.flatnonzero(~np.isnan(y))
    return t, y[t]


@lru_cache(maxsize=16)
def _z(level: float) -> float:
    from scipy.stats import norm
    return float(norm.ppf(0.5 + level / 2))


def baseline_forecast(model: str, y: np.ndarray, horizon: int, levels=(0.8, 0.95)) -> tuple[np.ndarray, dict]:
    """Point forecasts for steps 1…H after the end of ``y`` (NaN allowed inside) and the textbook normal
    intervals (Hyndman & Athanasopoulos, ch. 5.5) as {level: (lo, hi)}."""
    t, v = _observed(y)
    n = len(y)
    steps = np.arange(1, horizon + 1)
    last_t, last = t[-1], v[-1]
    ahead = (n - 1 - last_t) + steps                       # steps after the last observed value
    if model == "naive":
        yhat = np.full(horizon, last)
        diffs = np.diff(v)
        sigma = float(np.sqrt(np.mean(diffs ** 2))) if len(diffs) else math.nan
        spread = sigma * np.sqrt(ahead)
    elif model == "drift":
        slope = (last - v[0]) / (last_t - t[0]) if last_t > t[0] else 0.0
        yhat = last + slope * ahead
        diffs = np.diff(v) - slope
        sigma = float(np.sqrt((diffs ** 2).sum() / max(len(diffs) - 1, 1))) if len(diffs) else math.nan
        spread = sigma * np.sqrt(ahead * (1 + ahead / max(last_t - t[0], 1)))
    elif model == "seasonal_naive":
        season = 12
        yhat = np.empty(horizon)
        for i, k in enumerate(steps):
            back = n - 1 + k - season * math.ceil(k / season)
            while back >= 0 and np.isnan(y[back]):
                back -= season
            yhat[i] = y[back] if back >= 0 else last
        sd = y[season:] - y[:-season]
        sd = sd[~np.isnan(sd)]
        sigma = float(np.sqrt(np.mean(sd ** 2))) if len(sd) else math.nan
        spread = sigma * np.sqrt(np.floor((steps - 1) / season) + 1)
    else:
        raise ForecastError(f"unknown baseline {model!r}")
    return yhat, {lv: (yhat - _z(lv) * spread, yhat + _z(lv) * spread) for lv in levels}


def prophet_options(frequency: str, n_obs: int, defaults: bool = False) -> dict:
    """Prophet's constructor arguments: annual series without seasonalities and with at most one
    changepoint per three observations; monthly series with yearly seasonality and one per six months."""
    if defaults:
        return {}
    if frequency == "monthly":
        return dict(yearly_seasonality=True, weekly_seasonality=False, daily_seasonality=False,
                    n_changepoints=int(min(25, max(0, n_obs // 6))))
    return dict(yearly_seasonality=False, weekly_seasonality=False, daily_seasonality=False,
                n_changepoints=int(min(25, max(0, (n_obs - 1) // 3))))


def prophet_forecast(periods: list[str], y: np.ndarray, horizon: int, frequency: str, *, defaults: bool = False,
                     uncertainty_samples: int = 0, levels=(0.8, 0.95), seed: int = 0) -> tuple[np.ndarray, dict]:
    """Fit Prophet on the observed values and forecast the H periods after ``periods[-1]``; the model's own
    intervals from ``uncertainty_samples`` predictive samples (none when 0). ``defaults``: Prophet's own
    defaults (automatic seasonalities, 25 changepoints) instead of :func:`prophet_options`."""
    _quiet_import()
    model_class = lean_prophet()
    _quiet()
    mask = ~np.isnan(y)
    df = pd.DataFrame({"ds": period_to_timestamp(np.asarray(periods)[mask], frequency), "y": y[mask]})
    options = prophet_options(frequency, int(mask.sum()), defaults)
    model = model_class(**options, uncertainty_samples=uncertainty_samples)
    model.fit(df)
    future = pd.DataFrame({"ds": period_to_timestamp(future_periods(periods[-1], horizon, frequency), frequency)})
    model.uncertainty_samples = 0
    yhat = trend_only(model, future["ds"]) if _trend_only(model) else model.predict(future)["yhat"].to_numpy()
    intervals: dict = {}
    if uncertainty_samples > 0:
        model.uncertainty_samples = uncertainty_samples
        np.random.seed(seed)
        draws = model.predictive_samples(future)["yhat"]      # (H, samples)
        for lv in levels:
            a = (1 - lv) / 2
            intervals[lv] = (np.quantile(draws, a, axis=1), np.quantile(draws, 1 - a, axis=1))
    return yhat, intervals


@lru_cache(maxsize=1)
def lean_prophet():
    """Prophet, with one step of its fit done once instead of per fit: where a model has no seasonality, holiday
    or extra regressor (our annual settings), Prophet builds a placeholder feature column and, through pandas
    cross tables, the same component table every time (a third of a fit's preparation). That table does not
    depend on the series; it is built once, by Prophet's own method, and copied. Every other model goes Prophet's
    own way, and the fit (the same Stan data, the same optimiser) is Prophet's."""
    from copy import deepcopy

    from prophet import Prophet

    class LeanProphet(Prophet):
        _empty: dict = {}

        def make_all_seasonality_features(self, df):
            plain = (not self.seasonalities and not self.extra_regressors and self.holidays is None
                     and self.country_holidays is None and self.train_holiday_names is None)
            if not plain:
                return super().make_all_seasonality_features(df)
            if self.holidays_mode not in LeanProphet._empty:    # the component table names the holidays' mode
                _, scales, cols, modes = super().make_all_seasonality_features(pd.DataFrame({"ds": df["ds"].iloc[:1]}))
                LeanProphet._empty[self.holidays_mode] = (scales, cols, modes)
            scales, cols, modes = LeanProphet._empty[self.holidays_mode]
            return pd.DataFrame({"zeros": np.zeros(df.shape[0])}), list(scales), cols.copy(), deepcopy(modes)

    return LeanProphet


def _trend_only(model) -> bool:
    return (model.growth == "linear" and not model.seasonalities and not model.extra_regressors
            and getattr(model, "holidays", None) is None)


def trend_only(model, ds: pd.Series) -> np.ndarray:
    """A fitted Prophet model's point forecast at ``ds`` where it has a linear trend and nothing else (our
    annual settings): Prophet's own piecewise-linear trend at the mean of its parameters, as ``predict`` computes
    it, without building its seasonality frames (a third of a fit's cost)."""
    t = ((pd.to_datetime(ds) - model.start) / model.t_scale).to_numpy(dtype=float)
    k = float(np.nanmean(model.params["k"]))
    m = float(np.nanmean(model.params["m"]))
    deltas = np.nanmean(model.params["delta"], axis=0)
    floor = model.y_min if model.scaling == "minmax" else 0.0
    return model.piecewise_linear(t, deltas, k, m, model.changepoints_t) * model.y_scale + floor


def interpolate_gaps(y: np.ndarray) -> np.ndarray:
    """The observed span of ``y`` with inner gaps filled linearly (leading and trailing NaN dropped)."""
    t = np.flatnonzero(~np.isnan(y))
    if len(t) == 0:
        return y[:0]
    span = y[t[0]: t[-1] + 1]
    if np.isnan(span).any():
        idx = np.arange(len(span))
        ok = ~np.isnan(span)
        span = np.interp(idx, idx[ok], span[ok])
    return span


def statsforecast_model(model: str, frequency: str, n_obs: int):
    """statsforecast's estimator for ``model`` (``ets``: AutoETS, damped trend among its choices; ``theta``;
    ``arima``), with a yearly season for a monthly series of at least three years."""
    season = 12 if frequency == "monthly" and n_obs >= 36 else 1
    from statsforecast.models import AutoARIMA, AutoETS, AutoTheta

    if model == "ets":
        return AutoETS(season_length=season, model="ZZZ" if season > 1 else "ZZN")
    if model == "theta":
        return AutoTheta(season_length=season)
    if model == "arima":
        return AutoARIMA(season_length=season)
    raise ForecastError(f"unknown statistical model {model!r}")


def statistical_forecast(model: str, y: np.ndarray, horizon: int, frequency: str,
                         levels=(0.8, 0.95)) -> tuple[np.ndarray, dict]:
    """statsforecast's AutoTheta, AutoETS or AutoARIMA on the observed span of ``y`` (inner gaps filled
    linearly), forecasting the ``horizon`` periods after the end of ``y``; ``naive`` where the fit fails or the
    span is too short (fewer than four values). No nominal intervals: the served ones are conformal, and
    AutoTheta's are simulated (a third of its cost)."""
    t = np.flatnonzero(~np.isnan(y))
    span = interpolate_gaps(y)
    behind = len(y) - 1 - int(t[-1])                    # periods between the last observed value and the end
    steps = horizon + behind
    if len(span) < 4:
        return baseline_forecast("naive", y, horizon, levels)
    estimator = statsforecast_model(model, frequency, len(span))
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            out = estimator.forecast(y=span.astype(np.float64), h=steps)
    except Exception:  # noqa: BLE001 - a candidate that cannot be fit on this series is replaced, not fatal
        return baseline_forecast("naive", y, horizon, levels)
    yhat = np.asarray(out["mean"], dtype=float)[behind:]
    if not np.isfinite(yhat).all():
        return baseline_forecast("naive", y, horizon, levels)
    return yhat, {}


def model_forecast(model: str, periods: list[str], y: np.ndarray, horizon: int, frequency: str, *,
                   uncertainty_samples: int = 0, levels=(0.8, 0.95)) -> tuple[np.ndarray, dict]:
    """One candidate's forecast of a series for ``horizon`` periods (``combination`` is built by the caller
    from the others, see :func:`combine`)."""
    if model in BASELINES:
        return baseline_forecast(model, y, horizon, levels)
    if model in STATISTICAL:
        return statistical_forecast(model, y, horizon, frequency, levels)
    if model in ("prophet", "prophet_default"):
        return prophet_forecast(periods, y, horizon, frequency, defaults=model == "prophet_default",
                                uncertainty_samples=uncertainty_samples, levels=levels)
    raise ForecastError(f"unknown model {model!r}; known: {', '.join(SERIES_MODELS + ('global',))}")


def combine(forecasts: dict[str, np.ndarray]) -> np.ndarray | None:
    """The median of the statistical candidates' point forecasts among ``forecasts`` (None with fewer than two)."""
    parts = [forecasts[m] for m in COMBINED_FROM if m in forecasts]
    if len(parts) < 2:
        return None
    return np.median(np.vstack(parts), axis=0)

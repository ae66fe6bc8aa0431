"""Indicator forecasts per (region, indicator): Prophet and baselines, rolling-origin backtests, calibrated intervals.

One series is one region's values of one indicator on a regular grid of years (``YYYY``) or months
(``YYYY-MM``), with NaN where a value is missing or suppressed. :func:`forecast_series` runs, for every
candidate model, a rolling-origin backtest (expanding window: origins o₁ < … < o_K, each forecasting
h = 1…H) and the final forecast from all data. It is a pure function of one series, so the local engine
(joblib) and the Spark engine (``groupBy(region, indicator).applyInPandas``) call the same code.

:func:`select_and_calibrate` then works on all series at once:

* MASE = mean |y − ŷ| / s, where s is the series' in-sample one-step naive error (mean |yₜ − yₜ₋₁| over the
  training window of that origin); sMAPE = mean 200·|y − ŷ| / (|y| + |ŷ|).
* The champion per indicator is the candidate with the lowest backtest MASE.
* Intervals are split-conformal on the backtest residuals of the champion: per indicator and horizon, the
  scaled signed errors z = (y − ŷ)/s give the lower and upper quantiles (with the (n + 1) finite-sample
  correction), and the final interval is ŷ + s·q. Horizons with fewer than 20 residuals borrow from all
  horizons, rescaled by √h. The backtest coverage of these intervals is measured cross-fitted: quantiles
  from one half of the regions are checked on the other half.
* Forecasts and bounds are clipped to the indicator's range: shares to [0, 100], counts to ≥ 0, and the
  catalog's min/max where given. Count forecasts below the privacy threshold are flagged ``suppressed``
  and carry no numbers.

Longer than 450 lines because the candidates, the rolling-origin backtest, the champion choice and the conformal
calibration share one row format and are checked together against their invariants; the engines that map it over
series live in ``forecast_engines``.
"""

from __future__ import annotations

import logging
import math
import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.quiet import verbose

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


MODELS = ("naive", "drift", "seasonal_naive", "prophet", "prophet_default")
"""Forecasting models; ``prophet_default`` is Prophet with its defaults, for comparison."""

OUTPUT_COLUMNS = ["part", "region_id", "indicator_id", "model", "origin", "period", "h", "y", "yhat", "scale",
                  "n_lo80", "n_hi80", "n_lo95", "n_hi95"]
"""Rows of :func:`forecast_series`: ``part`` is ``backtest`` or ``forecast``; ``n_*`` the model's own
(nominal) interval where it has one; ``scale`` the in-sample naive error of the training window."""

MIN_CONFORMAL = 20


class ForecastError(ValueError):
    """A series, a configuration or a store that does not allow a forecast."""


@dataclass(frozen=True)
class SeriesSpec:
    """How one indicator is forecast: its frequency, horizon, backtest design and value range."""

    frequency: str                 # annual | monthly
    horizon: int
    origins: int
    origin_step: int
    min_train: int
    lower: float | None = None
    upper: float | None = None
    models: tuple[str, ...] = ("naive", "drift", "prophet")
    uncertainty_samples: int = 0


def spec_for(indicator, cfg) -> SeriesSpec:
    """The :class:`SeriesSpec` of a catalog indicator under a ``ForecastConfig``."""
    monthly = indicator.frequency == "monthly"
    lower, upper = indicator.min, indicator.max
    if indicator.kind == "share":
        lower = 0.0 if lower is None else max(lower, 0.0)
        upper = 100.0 if upper is None else min(upper, 100.0)
    elif indicator.kind == "count":
        lower = 0.0 if lower is None else max(lower, 0.0)
    models = tuple(m for m in cfg.models if monthly or m != "seasonal_naive")
    return SeriesSpec(
        frequency=indicator.frequency,
        horizon=cfg.horizon_months if monthly else cfg.horizon_years,
        origins=cfg.backtest_origins,
        origin_step=cfg.origin_step_months if monthly else 1,
        min_train=cfg.min_train_months if monthly else cfg.min_train_years,
        lower=lower, upper=upper, models=models,
        uncertainty_samples=cfg.prophet_uncertainty_samples,
    )


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
    """Mean absolute one-step change over consecutive observed values (NaN when fewer than two)."""
    d = np.diff(y)
    d = d[~np.isnan(d)]
    return float(np.abs(d).mean()) if len(d) else math.nan


def _observed(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    t = np.flatnonzero(~np.isnan(y))
    return t, y[t]


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
    from prophet import Prophet

    _quiet()
    mask = ~np.isnan(y)
    df = pd.DataFrame({"ds": period_to_timestamp(np.asarray(periods)[mask], frequency), "y": y[mask]})
    options = prophet_options(frequency, int(mask.sum()), defaults)
    model = Prophet(**options, uncertainty_samples=uncertainty_samples)
    model.fit(df)
    future = pd.DataFrame({"ds": period_to_timestamp(future_periods(periods[-1], horizon, frequency), frequency)})
    model.uncertainty_samples = 0
    yhat = model.predict(future)["yhat"].to_numpy()
    intervals: dict = {}
    if uncertainty_samples > 0:
        model.uncertainty_samples = uncertainty_samples
        np.random.seed(seed)
        draws = model.predictive_samples(future)["yhat"]      # (H, samples)
        for lv in levels:
            a = (1 - lv) / 2
            intervals[lv] = (np.quantile(draws, a, axis=1), np.quantile(draws, 1 - a, axis=1))
    return yhat, intervals


def model_forecast(model: str, periods: list[str], y: np.ndarray, spec: SeriesSpec, *, final: bool,
                   levels=(0.8, 0.95)) -> tuple[np.ndarray, dict]:
    """One candidate's forecast of a series (point and scale) for the spec's horizon."""
    if model in ("naive", "drift", "seasonal_naive"):
        return baseline_forecast(model, y, spec.horizon, levels)
    if model in ("prophet", "prophet_default"):
        return prophet_forecast(periods, y, spec.horizon, spec.frequency, defaults=model == "prophet_default",
                                uncertainty_samples=spec.uncertainty_samples if final else 0, levels=levels)
    raise ForecastError(f"unknown model {model!r}; known: {', '.join(MODELS)}")


# --- one series -------------------------------------------------------------------------------------------

def forecast_series(region_id: str, indicator_id: str, periods: list[str], values, spec: SeriesSpec,
                    levels=(0.8, 0.95)) -> pd.DataFrame:
    """Backtest and final forecast rows (:data:`OUTPUT_COLUMNS`) for one series.

    ``periods`` and ``values`` need not be complete or sorted; gaps become NaN on the regular grid. A series
    with fewer than ``spec.min_train`` observed values gives no rows; backtest origins are left out where
    their training window has fewer than ``spec.min_train`` observed values.

    Origins: the latest K (``spec.origins``, ``spec.origin_step`` apart) from which every horizon 1…H is
    observed; in a series shorter than ``min_train`` + H they move later, down to one step before the end,
    and only the observable horizons are scored.
    """
    if len(periods) == 0:
        return pd.DataFrame(columns=OUTPUT_COLUMNS)
    s = pd.Series(np.asarray(values, dtype=float), index=pd.Index(periods).astype(str)).sort_index()
    s = s[~s.index.duplicated(keep="last")]
    grid = period_grid(s.index[0], s.index[-1], spec.frequency)
    y = s.reindex(grid).to_numpy()
    if np.count_nonzero(~np.isnan(y)) < spec.min_train:
        return pd.DataFrame(columns=OUTPUT_COLUMNS)
    # trailing NaN (the latest periods suppressed) must not become the forecast origin silently: trim them
    last_obs = int(np.flatnonzero(~np.isnan(y))[-1])
    y, grid = y[: last_obs + 1], grid[: last_obs + 1]
    n, H = len(y), spec.horizon
    rows: list[dict] = []
    # origins: the latest K from which all of h = 1…H can be checked; a short series moves them as late as its
    # minimum training length needs (its longer horizons then go unchecked), never past the last value
    latest = min(max(n - H, spec.min_train), n - 1)
    origins = [latest - k * spec.origin_step for k in range(spec.origins - 1, -1, -1)]
    for o in origins:
        if o < 2 or np.count_nonzero(~np.isnan(y[:o])) < spec.min_train:
            continue
        train, actual = y[:o], y[o: o + H]
        scale = naive_scale(train)
        for model in spec.models:
            yhat, nominal = model_forecast(model, grid[:o], train, spec, final=False, levels=levels)
            for k in range(len(actual)):
                if np.isnan(actual[k]):
                    continue
                rows.append(_row("backtest", region_id, indicator_id, model, grid[o - 1], grid[o + k], k + 1,
                                 actual[k], yhat[k], scale, nominal, k, levels))
    scale = naive_scale(y)
    future = future_periods(grid[-1], H, spec.frequency)
    for model in spec.models:
        yhat, nominal = model_forecast(model, grid, y, spec, final=True, levels=levels)
        for k in range(H):
            rows.append(_row("forecast", region_id, indicator_id, model, grid[-1], future[k], k + 1, math.nan,
                             yhat[k], scale, nominal, k, levels))
    return pd.DataFrame(rows, columns=OUTPUT_COLUMNS)


def _row(part, region_id, indicator_id, model, origin, period, h, y, yhat, scale, nominal, k, levels) -> dict:
    lo_level, hi_level = levels
    def bound(level, side):
        return float(nominal[level][side][k]) if level in nominal else math.nan
    return {"part": part, "region_id": region_id, "indicator_id": indicator_id, "model": model, "origin": origin,
            "period": period, "h": h, "y": float(y), "yhat": float(yhat), "scale": scale,
            "n_lo80": bound(lo_level, 0), "n_hi80": bound(lo_level, 1),
            "n_lo95": bound(hi_level, 0), "n_hi95": bound(hi_level, 1)}


def forecast_frame(frame: pd.DataFrame, specs: dict[str, SeriesSpec], levels=(0.8, 0.95)) -> pd.DataFrame:
    """:func:`forecast_series` for every (region_id, indicator_id) group of a long frame
    (region_id, indicator_id, period, value) — the function the engines map over groups."""
    parts = [forecast_series(str(r), str(i), g["period"].astype(str).tolist(), g["value"].to_numpy(dtype=float),
                             specs[str(i)], levels)
             for (r, i), g in frame.groupby(["region_id", "indicator_id"], sort=True)]
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=_dtype(c)) for c in OUTPUT_COLUMNS})
    out = pd.concat(parts, ignore_index=True)
    return out.astype({c: _dtype(c) for c in OUTPUT_COLUMNS})


def _dtype(column: str) -> str:
    if column in ("part", "region_id", "indicator_id", "model", "origin", "period"):
        return "str"
    return "int64" if column == "h" else "float64"


# --- across series: champion, calibration, metrics --------------------------------------------------------

def scaled_errors(rows: pd.DataFrame, fallback: pd.Series | None = None) -> pd.Series:
    """(y − ŷ)/s with s the series scale, or the indicator's median scale where s is 0 or missing."""
    s = rows["scale"].where(rows["scale"] > 0)
    if fallback is not None:
        s = s.fillna(rows["indicator_id"].map(fallback))
    return (rows["y"] - rows["yhat"]) / s


def indicator_scales(rows: pd.DataFrame) -> pd.Series:
    """Per indicator the median naive scale of its series (the fallback for series without one)."""
    positive = rows[rows["scale"] > 0]
    return positive.groupby("indicator_id")["scale"].median()


def backtest_metrics(backtest: pd.DataFrame, levels=(0.8, 0.95)) -> pd.DataFrame:
    """Per (indicator, model): MASE, sMAPE, rows, and the nominal intervals' coverage where the model has one."""
    if backtest.empty:
        return pd.DataFrame(columns=["indicator_id", "model", "mase", "smape", "n", "nominal_coverage80",
                                     "nominal_coverage95"])
    b = backtest.copy()
    fallback = indicator_scales(b)
    b["ase"] = scaled_errors(b, fallback).abs()
    denom = b["y"].abs() + b["yhat"].abs()
    b["sape"] = np.where(denom > 0, 200 * (b["y"] - b["yhat"]).abs() / denom.where(denom > 0, 1), 0.0)
    b["in80"] = ((b["y"] >= b["n_lo80"]) & (b["y"] <= b["n_hi80"])).where(b["n_lo80"].notna())
    b["in95"] = ((b["y"] >= b["n_lo95"]) & (b["y"] <= b["n_hi95"])).where(b["n_lo95"].notna())
    g = b.groupby(["indicator_id", "model"], sort=True)
    out = pd.DataFrame({"mase": g["ase"].mean(), "smape": g["sape"].mean(), "n": g["ase"].count(),
                        "nominal_coverage80": g["in80"].mean(), "nominal_coverage95": g["in95"].mean()})
    return out.reset_index()


def choose_champions(metrics: pd.DataFrame, order: list[str]) -> dict[str, str]:
    """The candidate with the lowest backtest MASE per indicator (ties: earlier in ``order``)."""
    rank = {m: i for i, m in enumerate(order)}
    champions = {}
    for indicator, g in metrics.dropna(subset=["mase"]).groupby("indicator_id"):
        g = g.assign(rank=g["model"].map(rank).fillna(len(rank)))
        champions[str(indicator)] = str(g.sort_values(["mase", "rank"]).iloc[0]["model"])
    return champions


def _conformal_quantiles(z: np.ndarray, level: float) -> tuple[float, float]:
    """Lower and upper split-conformal quantiles of the signed scaled errors for central coverage ``level``."""
    z = np.sort(z[~np.isnan(z)])
    n = len(z)
    if n == 0:
        return -math.inf, math.inf
    a = (1 - level) / 2
    k_hi = math.ceil((n + 1) * (1 - a) - 1e-9)      # the tolerance keeps 20 · 0.1 from rounding to 1
    k_lo = math.floor((n + 1) * a + 1e-9)
    hi = z[k_hi - 1] if k_hi <= n else math.inf
    lo = z[k_lo - 1] if k_lo >= 1 else -math.inf
    return float(lo), float(hi)


def conformal_table(backtest: pd.DataFrame, levels=(0.8, 0.95), fallback: pd.Series | None = None) -> pd.DataFrame:
    """Quantiles (lo80, hi80, lo95, hi95) of scaled errors per (indicator, model, h), pooled over horizons by
    √h where one horizon has fewer than 20 residuals."""
    b = backtest.assign(z=scaled_errors(backtest, fallback))
    rows = []
    for (indicator, model), g in b.groupby(["indicator_id", "model"], sort=True):
        pooled = (g["z"] / np.sqrt(g["h"])).to_numpy()
        for h in range(1, int(g["h"].max()) + 1):
            zh = g.loc[g["h"] == h, "z"].to_numpy()
            row = {"indicator_id": indicator, "model": model, "h": h, "n": int(np.count_nonzero(~np.isnan(zh)))}
            for lv, name in zip(levels, ("80", "95")):
                if row["n"] >= MIN_CONFORMAL:
                    lo, hi = _conformal_quantiles(zh, lv)
                else:
                    lo, hi = _conformal_quantiles(pooled, lv)
                    lo, hi = lo * math.sqrt(h), hi * math.sqrt(h)
                row[f"q_lo{name}"], row[f"q_hi{name}"] = lo, hi
            rows.append(row)
    return pd.DataFrame(rows)


def _apply_quantiles(rows: pd.DataFrame, table: pd.DataFrame, fallback: pd.Series) -> pd.DataFrame:
    out = rows.merge(table.drop(columns="n"), on=["indicator_id", "model", "h"], how="left")
    # horizons beyond the backtest's: the last horizon's quantiles widened by √(h / h_max)
    missing = out["q_lo80"].isna()
    if missing.any():
        last = table.sort_values("h").groupby(["indicator_id", "model"]).tail(1).set_index(["indicator_id", "model"])
        for idx in out.index[missing]:
            key = (out.at[idx, "indicator_id"], out.at[idx, "model"])
            if key in last.index:
                f = math.sqrt(out.at[idx, "h"] / last.loc[key, "h"])
                for c in ("q_lo80", "q_hi80", "q_lo95", "q_hi95"):
                    out.at[idx, c] = last.loc[key, c] * f
    s = out["scale"].where(out["scale"] > 0).fillna(out["indicator_id"].map(fallback)).fillna(0.0)
    for name in ("80", "95"):
        out[f"lo{name}"] = out["yhat"] + s * out[f"q_lo{name}"]
        out[f"hi{name}"] = out["yhat"] + s * out[f"q_hi{name}"]
    return out.drop(columns=["q_lo80", "q_hi80", "q_lo95", "q_hi95"])


def region_half(region_ids: pd.Series) -> pd.Series:
    """A stable split of regions into two halves (CRC32 of the id), for cross-fitted coverage."""
    return region_ids.map(lambda r: zlib.crc32(str(r).encode()) % 2)


def interval_score(y, lo, hi, level: float) -> np.ndarray:
    """Gneiting & Raftery's interval score for a central (level) interval; lower is better."""
    a = 1 - level
    return (hi - lo) + (2 / a) * np.maximum(lo - y, 0) + (2 / a) * np.maximum(y - hi, 0)


def crossfit_coverage(backtest: pd.DataFrame, levels=(0.8, 0.95)) -> pd.DataFrame:
    """Coverage and scaled interval score of the calibrated intervals in the backtest, per (indicator, model):
    quantiles from one half of the regions applied to the other half's residuals."""
    if backtest.empty:
        return pd.DataFrame(columns=["indicator_id", "model", "coverage80", "coverage95", "interval_score80"])
    fallback = indicator_scales(backtest)
    half = region_half(backtest["region_id"])
    parts = []
    for side in (0, 1):
        fit, check = backtest[half != side], backtest[half == side]
        if fit.empty or check.empty:
            continue
        parts.append(_apply_quantiles(check, conformal_table(fit, levels, fallback), fallback))
    if not parts:
        return pd.DataFrame(columns=["indicator_id", "model", "coverage80", "coverage95", "interval_score80"])
    c = pd.concat(parts, ignore_index=True)
    s = c["scale"].where(c["scale"] > 0).fillna(c["indicator_id"].map(fallback))
    c["in80"] = (c["y"] >= c["lo80"]) & (c["y"] <= c["hi80"])
    c["in95"] = (c["y"] >= c["lo95"]) & (c["y"] <= c["hi95"])
    c["is80"] = interval_score(c["y"], c["lo80"], c["hi80"], levels[0]) / s
    g = c.groupby(["indicator_id", "model"], sort=True)
    return pd.DataFrame({"coverage80": g["in80"].mean(), "coverage95": g["in95"].mean(),
                         "interval_score80": g["is80"].mean()}).reset_index()


def clip_to_range(frame: pd.DataFrame, specs: dict[str, SeriesSpec],
                  columns=("yhat", "lo80", "hi80", "lo95", "hi95")) -> pd.DataFrame:
    """Forecasts and intervals clipped to each indicator's valid range."""
    out = frame.copy()
    lower = out["indicator_id"].map(lambda i: specs[i].lower if specs[i].lower is not None else -np.inf)
    upper = out["indicator_id"].map(lambda i: specs[i].upper if specs[i].upper is not None else np.inf)
    for c in columns:
        if c in out:
            out[c] = out[c].clip(lower=lower.astype(float), upper=upper.astype(float))
    return out


@dataclass
class ForecastResult:
    """A forecast run's results: the forecasts, the backtest rows, metrics per indicator and model, the champions
    and the conformal table."""
    forecasts: pd.DataFrame       # champion per indicator: region, indicator, period, h, yhat, lo80 … hi95, model, flag
    candidates: pd.DataFrame      # every candidate's final forecast with calibrated intervals
    metrics: pd.DataFrame         # per (indicator, model): MASE, sMAPE, n, nominal and calibrated coverage
    champions: dict[str, str]
    conformal: pd.DataFrame       # the quantiles used
    backtest: pd.DataFrame


def select_and_calibrate(rows: pd.DataFrame, specs: dict[str, SeriesSpec], order: list[str],
                         levels=(0.8, 0.95), kinds: dict[str, str] | None = None, min_count: int = 3) -> ForecastResult:
    """From :func:`forecast_series` rows of many series: metrics, champions, calibrated and clipped forecasts."""
    backtest = rows[rows["part"] == "backtest"].reset_index(drop=True)
    final = rows[rows["part"] == "forecast"].reset_index(drop=True)
    if final.empty:
        raise ForecastError("no series could be forecast (each needs its minimum number of observed values)")
    metrics = backtest_metrics(backtest, levels)
    metrics = metrics.merge(crossfit_coverage(backtest, levels), on=["indicator_id", "model"], how="left")
    champions = choose_champions(metrics, order)
    # an indicator whose series are all too short for a backtest: fall back to the first candidate in order
    for indicator in final["indicator_id"].unique():
        if indicator not in champions:
            available = set(final.loc[final["indicator_id"] == indicator, "model"])
            champions[indicator] = next(m for m in order if m in available)
    fallback = indicator_scales(pd.concat([backtest, final]))
    table = conformal_table(backtest, levels, fallback) if not backtest.empty else pd.DataFrame(
        columns=["indicator_id", "model", "h", "n", "q_lo80", "q_hi80", "q_lo95", "q_hi95"])
    candidates = _apply_quantiles(final.drop(columns=["y"]), table, fallback) if not table.empty else \
        final.assign(lo80=np.nan, hi80=np.nan, lo95=np.nan, hi95=np.nan)
    candidates = clip_to_range(candidates, specs)
    is_champion = candidates["model"] == candidates["indicator_id"].map(champions)
    forecasts = candidates[is_champion][["region_id", "indicator_id", "period", "h", "yhat", "lo80", "hi80",
                                         "lo95", "hi95", "model"]].reset_index(drop=True)
    forecasts["flag"] = "ok"
    if kinds:
        small = forecasts["indicator_id"].map(kinds).eq("count") & (forecasts["yhat"] < min_count)
        forecasts.loc[small, "flag"] = "suppressed"
        forecasts.loc[small, ["yhat", "lo80", "hi80", "lo95", "hi95"]] = np.nan
    return ForecastResult(forecasts=forecasts, candidates=candidates, metrics=metrics, champions=champions,
                          conformal=table, backtest=backtest)

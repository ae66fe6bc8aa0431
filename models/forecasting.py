"""Indicator forecasts per (region, indicator): rolling-origin backtests, the champion rule, calibrated intervals.

One series is one region's values of one indicator on a regular grid of years (``YYYY``) or months
(``YYYY-MM``), with NaN where a value is missing or suppressed. :func:`forecast_series` runs, for every
per-series candidate (``models.forecast_models``), a rolling-origin backtest (expanding window: origins
o₁ < … < o_K, each forecasting h = 1…H) and the final forecast from all data. It is a pure function of one
series, so the local engine (joblib) and the Spark engine (``groupBy(region, indicator).applyInPandas``) call
the same code; the global model (``models.forecast_global``) adds rows of the same shape.

:func:`select_and_calibrate` then works on all series at once:

* MASE = mean |y − ŷ| / s, where s is the series' in-sample one-step naive error (mean |yₜ − yₜ₋₁| over the
  training window of that origin); sMAPE = mean 200·|y − ŷ| / (|y| + |ŷ|).
* The champion per indicator (:func:`choose_champions`) is the simplest candidate (:data:`SIMPLICITY`) whose
  MASE, on the cases every candidate forecast, is within the backtest's own spread of the best one's: the
  larger standard error of the differences over regions and over origins.
* Intervals are split-conformal on the backtest residuals of the champion: per indicator and horizon, the
  scaled signed errors z = (y − ŷ)/s give the lower and upper quantiles (with the (n + 1) finite-sample
  correction; widened to hold ŷ itself where the errors all point one way), and the final interval is ŷ + s·q.
  Horizons with fewer than 20 residuals borrow from all horizons, rescaled by √h. The backtest coverage of these intervals is measured cross-fitted (quantiles
  from one half of the regions checked on the other half) and out of time (:func:`holdout_coverage`: fitted
  on the earlier origins, checked on the latest); the latter decides ``interval_reliable``.
* :func:`structural_breaks` names the periods in which most regions moved as they rarely do.
* Forecasts and bounds are clipped to the indicator's range: shares to [0, 100], counts to ≥ 0, and the
  catalog's min/max where given. Count forecasts below the privacy threshold are flagged ``suppressed``
  and carry no numbers.

Longer than 450 lines because the rolling-origin backtest, the champion rule, the conformal calibration and its
two checks share one row format and are checked together against their invariants; the candidates live in
``forecast_models`` and ``forecast_global``, the engines that map them over series in ``forecast_engines``.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.forecast_models import (
    SERIES_MODELS, ForecastError, combine, future_periods, model_forecast, naive_scale, period_grid,
)

MODELS = SERIES_MODELS + ("global",)
"""Forecasting candidates; ``prophet_default`` is Prophet with its defaults, for comparison; ``global`` is the
model across all series of an indicator (``models.forecast_global``)."""

SIMPLICITY = ("naive", "drift", "seasonal_naive", "theta", "ets", "combination", "arima", "global", "prophet",
              "prophet_default")
"""Candidates from the simplest to the most elaborate: the champion is the simplest one whose backtest MASE is
within the backtest's own spread of the best (:func:`choose_champions`)."""

OUTPUT_COLUMNS = ["part", "region_id", "indicator_id", "model", "origin", "period", "h", "y", "yhat", "scale",
                  "n_lo80", "n_hi80", "n_lo95", "n_hi95"]
"""Rows of :func:`forecast_series`: ``part`` is ``backtest`` or ``forecast``; ``n_*`` the model's own
(nominal) interval where it has one; ``scale`` the in-sample naive error of the training window."""

MIN_CONFORMAL = 20


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
    backtest: bool = True          # the rolling-origin rows (False: the final forecast only)
    final: bool = True             # the final forecast (False: the backtest only, as in a race's sample)


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


# --- one series -------------------------------------------------------------------------------------------

def forecast_series(region_id: str, indicator_id: str, periods: list[str], values, spec: SeriesSpec,
                    levels=(0.8, 0.95)) -> pd.DataFrame:
    """Backtest and final forecast rows (:data:`OUTPUT_COLUMNS`) for one series.

    ``periods`` and ``values`` need not be complete or sorted; gaps become NaN on the regular grid. A series
    with fewer than ``spec.min_train`` observed values gives no rows; backtest origins are left out where
    their training window has fewer than ``spec.min_train`` observed values.

    Origins: the latest K (``spec.origins``, ``spec.origin_step`` apart) from which every horizon 1…H is
    observed; in a series shorter than ``min_train`` + H they move later, down to one step before the end,
    and only the observable horizons are scored. An origin ends at an observed value, as the final forecast does
    (editions every two years: the origins are the editions, and h counts the years since one).
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
    # (with gaps in the editions — 2011, then yearly from 2017 — the window counts observed values, not years)
    # An origin is the end of a training window at an observed value, as the final forecast's is: in editions every
    # two years a window ending in a year without an edition would score a forecast two years ahead as h = 1
    enough = int(np.flatnonzero(~np.isnan(y))[spec.min_train - 1]) + 1
    latest = min(max(n - H, enough), n - 1)
    ends = [o for o in range(latest, 1, -1) if not np.isnan(y[o - 1])]
    origins = ends[:: spec.origin_step][: spec.origins][::-1]
    for o in origins if spec.backtest else []:
        if o < 2 or np.count_nonzero(~np.isnan(y[:o])) < spec.min_train:
            continue
        train, actual = y[:o], y[o: o + H]
        scale = naive_scale(train)
        for model, (yhat, nominal) in _candidates(grid[:o], train, spec, final=False, levels=levels).items():
            for k in range(len(actual)):
                if np.isnan(actual[k]):
                    continue
                rows.append(_row("backtest", region_id, indicator_id, model, grid[o - 1], grid[o + k], k + 1,
                                 actual[k], yhat[k], scale, nominal, k, levels))
    scale = naive_scale(y)
    future = future_periods(grid[-1], H, spec.frequency)
    finals = _candidates(grid, y, spec, final=True, levels=levels) if spec.final else {}
    for model, (yhat, nominal) in finals.items():
        for k in range(H):
            rows.append(_row("forecast", region_id, indicator_id, model, grid[-1], future[k], k + 1, math.nan,
                             yhat[k], scale, nominal, k, levels))
    return pd.DataFrame(rows, columns=OUTPUT_COLUMNS)


def _candidates(periods: list[str], y: np.ndarray, spec: SeriesSpec, *, final: bool,
                levels) -> dict[str, tuple[np.ndarray, dict]]:
    """Every per-series candidate of ``spec`` on one training window; ``combination`` from the others."""
    out = {}
    for model in spec.models:
        if model in ("combination", "global"):
            continue
        out[model] = model_forecast(model, periods, y, spec.horizon, spec.frequency, levels=levels,
                                    uncertainty_samples=spec.uncertainty_samples if final else 0)
    if "combination" in spec.models:
        mixed = combine({m: f[0] for m, f in out.items()})
        if mixed is not None:
            out["combination"] = (mixed, {})
    return out


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


def paired_errors(backtest: pd.DataFrame, models: list[str] | None = None) -> pd.DataFrame:
    """Absolute scaled errors of one indicator's backtest, one column per candidate, on the rows (region,
    origin, h) that every one of them forecast: the candidates are compared on the same cases."""
    b = backtest if models is None else backtest[backtest["model"].isin(models)]
    if b.empty:
        return pd.DataFrame()
    ase = scaled_errors(b, indicator_scales(b)).abs()
    wide = b.assign(ase=ase).pivot_table(index=["region_id", "origin", "h"], columns="model", values="ase",
                                         aggfunc="first")
    return wide.dropna()


def compare(errors: pd.DataFrame) -> tuple[pd.Series, str, pd.Series]:
    """From :func:`paired_errors`: each candidate's MASE, the best one, and per candidate the backtest's own
    spread of its difference to the best — the larger of the standard errors of that difference over regions
    and over origins (a shock common to all regions in one year shows in the latter)."""
    means = errors.mean()
    best = str(means.idxmin())
    diff = errors.sub(errors[best], axis=0)
    spread = pd.Series(0.0, index=errors.columns)
    for level in ("region_id", "origin"):
        per = diff.groupby(level=level).mean()
        if len(per) >= 2:
            spread = np.maximum(spread, (per.std(ddof=1) / np.sqrt(len(per))).fillna(0.0))
    return means, best, spread


def choose_champions(backtest: pd.DataFrame, order: list[str],
                     excluded: dict[str, set[str]] | None = None) -> tuple[dict[str, str], pd.DataFrame]:
    """Per indicator the simplest candidate (in :data:`SIMPLICITY`, then ``order``) whose paired backtest MASE is
    within the backtest's own spread of the best one's: a more elaborate model has to win by more than the noise.
    ``excluded`` (indicator → models) leaves out candidates tried on a sample only. Returns the champions and a
    table per (indicator, model): paired MASE, difference to the best, spread, chosen."""
    rank = {m: i for i, m in enumerate(SIMPLICITY)}
    rank.update({m: len(SIMPLICITY) + i for i, m in enumerate(order) if m not in rank})
    champions, table = {}, []
    for indicator, g in backtest.groupby("indicator_id", sort=True):
        models = [m for m in dict.fromkeys(g["model"]) if m not in (excluded or {}).get(str(indicator), set())]
        errors = paired_errors(g, models)
        if errors.empty:
            continue
        means, best, spread = compare(errors)
        ranked = sorted(means.index, key=lambda m: rank.get(m, len(rank)))
        chosen = next(m for m in ranked if means[m] - means[best] <= spread[m] + 1e-12)
        champions[str(indicator)] = str(chosen)
        for m in ranked:
            table.append({"indicator_id": str(indicator), "model": str(m), "mase_paired": float(means[m]),
                          "difference": float(means[m] - means[best]), "spread": float(spread[m]),
                          "n_paired": len(errors), "chosen": m == chosen})
    return champions, pd.DataFrame(table, columns=["indicator_id", "model", "mase_paired", "difference",
                                                   "spread", "n_paired", "chosen"])


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
                # the interval holds its own forecast: where the backtest's errors all point one way (a shock
                # common to the calibration years), the signed quantiles alone would put it beside the forecast
                row[f"q_lo{name}"], row[f"q_hi{name}"] = min(lo, 0.0), max(hi, 0.0)
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


RELIABLE = (0.70, 0.90)
"""An 80 % interval is called reliable where it covered between 70 % and 90 % of the held-out latest origin."""

UNRELIABLE_NOTE = ("Das Prognoseintervall ist für diesen Indikator nicht verlässlich: in der Prüfung an den "
                   "zuletzt zurückgehaltenen Jahren lag der Anteil der Werte im 80-%-Intervall außerhalb von "
                   "70 bis 90 %.")
"""What the API and the report say where ``interval_reliable`` is false."""

UNCHECKED_NOTE = ("Das Prognoseintervall ließ sich für diesen Indikator nicht an zurückgehaltenen Jahren prüfen: "
                  "die Reihen sind dafür zu kurz (weniger als zwei Prüfzeitpunkte); es ist mit Vorsicht zu lesen.")
"""What the API and the report say where an interval exists but ``interval_reliable`` is unknown."""


def holdout_coverage(backtest: pd.DataFrame, levels=(0.8, 0.95), bounds=RELIABLE) -> pd.DataFrame:
    """The check on years the calibration has not seen: per series the latest backtest origin is held out, the
    conformal quantiles are fitted on the earlier origins only and checked on the held-out one. Per (indicator,
    model): coverage of the 80 % and 95 % intervals, rows checked, and ``interval_reliable`` (80 % coverage
    within ``bounds``; missing where a series has only one origin)."""
    columns = ["indicator_id", "model", "holdout_coverage80", "holdout_coverage95", "holdout_n", "interval_reliable"]
    if backtest.empty:
        return pd.DataFrame(columns=columns)
    latest = backtest.groupby(["indicator_id", "region_id"])["origin"].transform("max")
    calib, check = backtest[backtest["origin"] < latest], backtest[backtest["origin"] == latest]
    if calib.empty or check.empty:
        return pd.DataFrame(columns=columns)
    fallback = indicator_scales(backtest)
    c = _apply_quantiles(check, conformal_table(calib, levels, fallback), fallback).dropna(subset=["lo80"])
    c["in80"] = (c["y"] >= c["lo80"]) & (c["y"] <= c["hi80"])
    c["in95"] = (c["y"] >= c["lo95"]) & (c["y"] <= c["hi95"])
    g = c.groupby(["indicator_id", "model"], sort=True)
    out = pd.DataFrame({"holdout_coverage80": g["in80"].mean(), "holdout_coverage95": g["in95"].mean(),
                        "holdout_n": g["in80"].size()}).reset_index()
    out["interval_reliable"] = out["holdout_coverage80"].between(*bounds)
    return out[columns]


MIN_STEP_CHANGES = 8


def structural_breaks(series: pd.DataFrame, threshold: float = 3.5) -> pd.DataFrame:
    """Periods in which an indicator moved in most regions as it rarely does: per indicator and period the
    median over regions of the change since the previous edition, per period (across a gap of years, the change
    per year), divided by the series' naive scale, and its robust z-score against the other periods (median and
    MAD). Rows with |z| above ``threshold`` are breaks (a pandemic year, a migration wave, a change of
    definition) — reported, never smoothed away.

    ``step`` marks a break that looks like a new definition rather than a wave: a jump with no break just before
    it and none after it in the same direction, which the next period does not take back by half or more. A new population base
    (a census) or a new counting rule shows so; whether the definition changed, only the source can say, and
    the catalog's ``breaks`` then keeps both sides apart. Fewer than :data:`MIN_STEP_CHANGES` changes (seven
    biennial editions) tell a lasting step from a slow year too poorly: no step is marked then."""
    columns = ["indicator_id", "period", "median_change", "z", "regions", "step"]
    out = []
    for indicator, g in series.groupby("indicator_id", sort=True):
        wide = g.pivot_table(index="region_id", columns="period", values="value", aggfunc="last").sort_index(axis=1)
        if wide.shape[1] < 6:
            continue
        # a change across a gap in the editions (2011, then 2017 …) counts per period, as the naive scale does
        periods = [str(c) for c in wide.columns]
        grid = period_grid(periods[0], periods[-1], "monthly" if "-" in periods[0] else "annual")
        steps = np.diff([grid.index(p) for p in periods])
        change = wide.diff(axis=1).iloc[:, 1:] / steps
        scale = change.abs().mean(axis=1).where(lambda s: s > 0)
        scaled = change.div(scale, axis=0)
        med = scaled.median(axis=0)
        centre = med.median()
        mad = (med - centre).abs().median() * 1.4826
        if not mad > 0:
            continue
        z = (med - centre) / mad
        flagged = z.abs() > threshold
        for i in np.flatnonzero(flagged.to_numpy()):
            period = z.index[i]
            jump = float(med.iloc[i] - centre)
            # no break just before (it would be a wave, or this its correction), none after in the same direction
            isolated = not (i > 0 and flagged.iloc[i - 1]) and not (
                i + 1 < len(z) and flagged.iloc[i + 1] and np.sign(float(med.iloc[i + 1] - centre)) == np.sign(jump))
            kept = i + 1 < len(z) and -(float(med.iloc[i + 1] - centre)) * np.sign(jump) < abs(jump) / 2
            out.append({"indicator_id": str(indicator), "period": str(period), "median_change": float(med[period]),
                        "z": float(z[period]), "regions": int(scaled[period].notna().sum()),
                        "step": bool(isolated and kept and len(z) >= MIN_STEP_CHANGES)})
    return pd.DataFrame(out, columns=columns)


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
    selection: pd.DataFrame       # per (indicator, model): paired MASE, difference to the best, spread, chosen
    reliability: pd.DataFrame     # per (indicator, model): coverage on the held-out latest origin, reliable or not


def select_and_calibrate(rows: pd.DataFrame, specs: dict[str, SeriesSpec], order: list[str],
                         levels=(0.8, 0.95), kinds: dict[str, str] | None = None, min_count: int = 3,
                         excluded: dict[str, set[str]] | None = None) -> ForecastResult:
    """From :func:`forecast_series` rows of many series: metrics, champions (:func:`choose_champions`;
    ``excluded`` candidates were tried on a sample only and cannot win), calibrated and clipped forecasts, each
    carrying whether its indicator's intervals held on the held-out origin (``interval_reliable``)."""
    backtest = rows[rows["part"] == "backtest"].reset_index(drop=True)
    final = rows[rows["part"] == "forecast"].reset_index(drop=True)
    if final.empty:
        raise ForecastError("no series could be forecast (each needs its minimum number of observed values)")
    metrics = backtest_metrics(backtest, levels)
    metrics = metrics.merge(crossfit_coverage(backtest, levels), on=["indicator_id", "model"], how="left")
    champions, selection = choose_champions(backtest, order, excluded)
    reliability = holdout_coverage(backtest, levels)
    metrics = metrics.merge(reliability, on=["indicator_id", "model"], how="left")
    # an indicator whose series are all too short for a backtest: fall back to the simplest candidate
    for indicator in final["indicator_id"].unique():
        if indicator not in champions:
            available = set(final.loc[final["indicator_id"] == indicator, "model"])
            champions[indicator] = next(m for m in list(SIMPLICITY) + list(order) if m in available)
    fallback = indicator_scales(pd.concat([backtest, final]))
    table = conformal_table(backtest, levels, fallback) if not backtest.empty else pd.DataFrame(
        columns=["indicator_id", "model", "h", "n", "q_lo80", "q_hi80", "q_lo95", "q_hi95"])
    candidates = _apply_quantiles(final.drop(columns=["y"]), table, fallback) if not table.empty else \
        final.assign(lo80=np.nan, hi80=np.nan, lo95=np.nan, hi95=np.nan)
    for name in ("80", "95"):       # a quantile beyond the backtest's errors (too few of them): no interval, not ±∞
        unbounded = ~(np.isfinite(candidates[f"lo{name}"]) & np.isfinite(candidates[f"hi{name}"]))
        candidates.loc[unbounded, [f"lo{name}", f"hi{name}"]] = np.nan
    candidates = clip_to_range(candidates, specs)
    is_champion = candidates["model"] == candidates["indicator_id"].map(champions)
    forecasts = candidates[is_champion][["region_id", "indicator_id", "period", "h", "yhat", "lo80", "hi80",
                                         "lo95", "hi95", "model"]].reset_index(drop=True)
    forecasts["flag"] = "ok"
    reliable = {(r.indicator_id, r.model): r.interval_reliable for r in reliability.itertuples()}
    forecasts["interval_reliable"] = pd.array([reliable.get((i, m)) for i, m in
                                               zip(forecasts["indicator_id"], forecasts["model"])], dtype="boolean")
    if kinds:
        small = forecasts["indicator_id"].map(kinds).eq("count") & (forecasts["yhat"] < min_count)
        forecasts.loc[small, "flag"] = "suppressed"
        forecasts.loc[small, ["yhat", "lo80", "hi80", "lo95", "hi95"]] = np.nan
    return ForecastResult(forecasts=forecasts, candidates=candidates, metrics=metrics, champions=champions,
                          conformal=table, backtest=backtest, selection=selection, reliability=reliability)

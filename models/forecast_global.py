"""The global forecasting candidate: one gradient-boosted model across all series of an indicator.

A region's series is short (ten to thirty years); the regions of a county or a country share what moves them
(the labour market, a migration wave, ageing). A global model learns from all of them at once how a series
continues after a given recent path: LightGBM on scale-free features — the last three one-step changes, the
mean change of the last five, the distance to the series' own mean and to the cross-section's median, all
divided by the series' naive scale — predicting the scaled change to t + h directly for every h (h is a
feature). The objective is the absolute error, the backtest's MASE in other units. Inner gaps of a series (a
withheld value, a year without an edition) are filled linearly, as the statistical candidates fill them.

It runs on the driver after the per-series engines (local or Spark: the rows are the same), once per indicator
and backtest origin: for an origin, the model is trained only on changes that ended at or before it, and
forecasts every series whose backtest starts there. The rows it returns match the per-series candidates' rows
(same series, origins, periods, actual values and scales), so it goes through the same backtest, champion
choice and conformal intervals.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

from models.forecast_models import ForecastError, interpolate_gaps, naive_scale, period_grid

LAGS = 3
TREND = 5
HISTORY = {"annual": 40, "monthly": 60}
"""Training examples start at most this many periods before the origin (recent behaviour, bounded cost)."""


def _features(Y: np.ndarray, t: np.ndarray, rows: np.ndarray, h: np.ndarray, scale: np.ndarray,
              centre: np.ndarray, frequency: str) -> np.ndarray:
    """Feature rows for series ``rows`` at columns ``t`` and horizons ``h`` (values at or before t only)."""
    s = scale[rows]
    level = Y[rows, t]
    cols = []
    for lag in range(LAGS):
        a, b = t - lag, t - lag - 1
        ok = b >= 0
        d = np.full(len(t), np.nan)
        d[ok] = (Y[rows[ok], a[ok]] - Y[rows[ok], b[ok]]) / s[ok]
        cols.append(d)
    back = np.maximum(t - TREND, 0)
    trend = np.where(t > back, (level - Y[rows, back]) / np.maximum(t - back, 1) / s, np.nan)
    cols.append(trend)
    finite = np.isfinite(Y)
    counts = np.cumsum(finite, axis=1)
    sums = np.cumsum(np.where(finite, Y, 0.0), axis=1)
    with np.errstate(all="ignore"):
        means = sums[rows, t] / counts[rows, t]
    cols.append((level - means) / s)
    cols.append((level - centre[t]) / s)
    cols.append(h.astype(float))
    if frequency == "monthly":
        back12 = t + h - 12 * np.ceil(h / 12).astype(int)
        ok = back12 >= 0
        g = np.full(len(t), np.nan)
        g[ok] = (Y[rows[ok], back12[ok]] - level[ok]) / s[ok]
        cols.append(g)
    return np.column_stack(cols)


def _scales(Y: np.ndarray) -> np.ndarray:
    s = np.array([naive_scale(row) for row in Y])
    good = s[np.isfinite(s) & (s > 0)]
    fill = float(np.median(good)) if len(good) else 1.0
    return np.where(np.isfinite(s) & (s > 0), s, fill)


def _inner_gaps_filled(Y: np.ndarray) -> np.ndarray:
    """Each series with its inner gaps filled linearly, as the statistical candidates read them (trailing and
    leading gaps stay): editions every two years then teach the model every horizon, not only two years ahead,
    and its forecast of one year ahead is not the one of three."""
    out = Y.copy()
    for r in np.flatnonzero(np.isnan(Y).any(axis=1)):
        t = np.flatnonzero(np.isfinite(Y[r]))
        if len(t) >= 2:
            out[r, t[0]: t[-1] + 1] = interpolate_gaps(Y[r])
    return out


def fit_predict(Y: np.ndarray, last: int, targets: list[tuple[int, int]], horizon: int, frequency: str,
                n_jobs: int = 1, seed: int = 0) -> np.ndarray:
    """Train on every change that ended at or before column ``last`` of ``Y`` (series × periods, NaN for gaps)
    and forecast, for each (series, origin column) in ``targets``, steps 1…``horizon`` after the origin column
    (from the series' last observed value at or before it). Returns an array (len(targets), horizon)."""
    from lightgbm import LGBMRegressor

    W = _inner_gaps_filled(Y[:, : last + 1])
    scale = _scales(W)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)      # a period no region has: its median is NaN
        centre = np.nanmedian(np.where(np.isfinite(W), W, np.nan), axis=0) if W.size else np.array([])
    n, T = W.shape
    rr, tt, hh = [], [], []
    first = max(1, T - HISTORY[frequency] - horizon)
    for h in range(1, horizon + 1):
        for t in range(first, T - h):
            rr.append(np.arange(n))
            tt.append(np.full(n, t))
            hh.append(np.full(n, h))
    if not rr:
        raise ForecastError("the global model needs at least three periods before the first backtest origin")
    rows, t, h = np.concatenate(rr), np.concatenate(tt), np.concatenate(hh)
    y_now, y_then = W[rows, t], W[rows, t + h]
    keep = np.isfinite(y_now) & np.isfinite(y_then)
    rows, t, h = rows[keep], t[keep], h[keep]
    if len(rows) < 20:
        raise ForecastError("the global model needs at least 20 observed changes before the origin")
    X = _features(W, t, rows, h, scale, centre, frequency)
    target = (W[rows, t + h] - W[rows, t]) / scale[rows]
    model = LGBMRegressor(objective="l1", n_estimators=100, learning_rate=0.08, num_leaves=15,
                          min_child_samples=20, subsample=0.8, subsample_freq=1, colsample_bytree=0.9,
                          random_state=seed, deterministic=True, force_row_wise=True, n_jobs=n_jobs, verbose=-1)
    model.fit(X, target)
    out = np.full((len(targets), horizon), np.nan)
    q_rows, q_t, q_h, q_i = [], [], [], []
    for i, (r, c) in enumerate(targets):
        observed = np.flatnonzero(np.isfinite(W[r, : c + 1]))
        if not len(observed):
            continue
        at = int(observed[-1])
        for k in range(1, horizon + 1):
            q_rows.append(r)
            q_t.append(at)
            q_h.append(k + (c - at))
            q_i.append((i, k - 1))
    if q_rows:
        q_rows_a, q_t_a, q_h_a = np.array(q_rows), np.array(q_t), np.array(q_h)
        pred = model.predict(_features(W, q_t_a, q_rows_a, q_h_a, scale, centre, frequency))
        values = W[q_rows_a, q_t_a] + scale[q_rows_a] * pred
        for (i, k), v in zip(q_i, values):
            out[i, k] = v
    return out


def global_rows(series: pd.DataFrame, specs: dict, rows: pd.DataFrame, n_jobs: int = 1) -> pd.DataFrame:
    """Rows of the ``global`` candidate for every indicator whose spec names it, shaped like the per-series
    candidates' ``rows`` (:data:`models.forecasting.OUTPUT_COLUMNS`; the first per-series candidate's rows give
    the series, origins, periods, actual values and scales)."""
    out = []
    for indicator, g in series.groupby("indicator_id", sort=True):
        spec = specs.get(str(indicator))
        if spec is None or "global" not in spec.models:
            continue
        mine = rows[rows["indicator_id"] == indicator]
        if mine.empty:
            continue        # no per-series candidate forecast a series of it (too short): nor can this one
        reference = next((m for m in spec.models if m != "global" and (mine["model"] == m).any()), None)
        if reference is None:
            raise ForecastError(f"{indicator}: the global model needs a per-series candidate beside it (e.g. naive)")
        template = mine[mine["model"] == reference]
        periods = g["period"].astype(str)
        grid = period_grid(periods.min(), periods.max(), spec.frequency)
        wide = g.pivot_table(index="region_id", columns="period", values="value", aggfunc="last", dropna=False)
        wide = wide.reindex(columns=grid)
        Y = wide.to_numpy(dtype=float)
        where = {r: i for i, r in enumerate(wide.index.astype(str))}
        col = {p: i for i, p in enumerate(grid)}
        for (part, origin), block in template.groupby(["part", "origin"], sort=True):
            series_ids = list(dict.fromkeys(block["region_id"]))
            targets = [(where[r], col[origin]) for r in series_ids]
            try:
                yhat = fit_predict(Y, col[origin], targets, spec.horizon, spec.frequency, n_jobs=n_jobs)
            except ForecastError:
                continue                       # too little history before this origin: no global rows there
            lookup = {(r, k + 1): yhat[i, k] for i, r in enumerate(series_ids) for k in range(spec.horizon)}
            b = block.copy()
            b["model"] = "global"
            b["yhat"] = [lookup.get((r, int(h)), math.nan) for r, h in zip(b["region_id"], b["h"])]
            for c in ("n_lo80", "n_hi80", "n_lo95", "n_hi95"):
                b[c] = math.nan
            out.append(b[b["yhat"].notna()])
    if not out:
        return rows.iloc[:0]
    return pd.concat(out, ignore_index=True)

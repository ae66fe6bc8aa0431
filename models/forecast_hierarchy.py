"""Forecasts that add up: reconciliation of counts forecast at every level of a region hierarchy.

A county forecasts the unemployed per Gemeinde, per Sozialregion and for the whole Kreis; forecast separately,
the parts do not add up to the whole. Reconciliation makes them coherent and can make them more accurate by
pooling what each level knows (Wickramasuriya, Athanasopoulos & Hyndman 2019, "Optimal forecast reconciliation
for hierarchical and grouped time series through trace minimization"): with ``S`` the summing matrix (every
series as a sum of the bottom series) and ``W`` the covariance of the base forecasts' errors,

    ỹ = S (Sᵀ W⁻¹ S)⁻¹ Sᵀ W⁻¹ ŷ.

Methods: ``bottom_up`` (the bottom forecasts summed), ``ols`` (W = I), ``wls_struct`` (W = the number of bottom
series in each), ``wls_var`` (W = the residual variances) and ``mint_shrink`` (the residual covariance shrunk
towards its diagonal by the Schäfer–Strimmer intensity). Only sums are reconciled: a share is reconciled through
its numerator and denominator, not by itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

METHODS = ("bottom_up", "ols", "wls_struct", "wls_var", "mint_shrink")
NEEDS_RESIDUALS = ("wls_var", "mint_shrink")
BURN_IN = 3
"""In-sample periods of a fitted model (ETS, Theta) whose errors are left out of the residuals."""


@dataclass(frozen=True)
class Hierarchy:
    """The nodes of a region hierarchy (``ids``: upper nodes first, top down, then the bottom regions), their
    ``levels``, and the summing matrix ``S`` (node × bottom region: 1 where the region lies in the node)."""
    ids: list[str]
    levels: list[str]
    S: np.ndarray

    @property
    def bottom(self) -> list[str]:
        """The bottom regions (the columns of ``S``)."""
        return self.ids[len(self.ids) - self.S.shape[1]:]


def hierarchy(regions: pd.DataFrame, bottom: list[str]) -> Hierarchy:
    """The hierarchy above the regions ``bottom`` from a region table (``region_id``, ``parent_id``, ``level``):
    every ancestor of a bottom region is a node, summing all bottom regions below it. A ValueError names a bottom
    region the table does not know, or a cycle."""
    table = regions.drop_duplicates("region_id").set_index("region_id")
    unknown = [b for b in bottom if b not in table.index]
    if unknown:
        raise ValueError(f"regions not in the region table: {', '.join(unknown[:5])}")
    parent = table["parent_id"].where(table["parent_id"].notna() & (table["parent_id"].astype(str) != ""))
    ancestors: dict[str, list[str]] = {}
    for b in bottom:
        chain, node = [], parent.get(b)
        while isinstance(node, str) and node in table.index:
            if node in chain or node == b:
                raise ValueError(f"the region table has a cycle above {b}")
            chain.append(node)
            node = parent.get(node)
        ancestors[b] = chain
    depth = {}
    for chain in ancestors.values():
        for k, node in enumerate(reversed(chain)):
            depth[node] = k
    upper = sorted(depth, key=lambda n: (depth[n], n))
    pos = {n: i for i, n in enumerate(upper)}
    S = np.zeros((len(upper) + len(bottom), len(bottom)))
    for j, b in enumerate(bottom):
        S[len(upper) + j, j] = 1.0
        for node in ancestors[b]:
            S[pos[node], j] = 1.0
    levels = [str(table.at[n, "level"]) for n in upper] + [str(table.at[b, "level"]) for b in bottom]
    return Hierarchy(upper + list(bottom), levels, S)


def aggregate(h: Hierarchy, bottom_values: np.ndarray) -> np.ndarray:
    """Every node's series from the bottom series (bottom × time): the sums, NaN where a part is unknown."""
    values = np.asarray(bottom_values, dtype=float)
    known = np.isfinite(values)
    sums = h.S @ np.where(known, values, 0.0)
    complete = (h.S @ (~known).astype(float)) == 0
    return np.where(complete, sums, np.nan)


def shrunk_covariance(residuals: np.ndarray) -> tuple[np.ndarray, float]:
    """The residual covariance (series × time, columns with a NaN left out; not centred, as forecast errors)
    shrunk towards its diagonal with the Schäfer–Strimmer intensity λ, as MinT's ``shr`` in R's hts; returns
    the matrix and λ."""
    r = np.asarray(residuals, dtype=float)
    r = r[:, np.isfinite(r).all(axis=0)]
    n, T = r.shape
    if T < 2:
        raise ValueError("the shrunk covariance needs residuals of at least two periods in every series")
    cov = r @ r.T / T
    sd = np.sqrt(np.clip(np.diag(cov), 1e-12, None))
    z = r / sd[:, None]
    corr = z @ z.T / T
    # the variance of each correlation estimate: 1/(T(T-1)) · (Σ z_i² z_j² − (Σ z_i z_j)² / T)
    var_corr = ((z ** 2) @ (z ** 2).T - (z @ z.T) ** 2 / T) / (T * (T - 1))
    off = ~np.eye(n, dtype=bool)
    denom = (corr[off] ** 2).sum()
    lam = float(np.clip(var_corr[off].sum() / denom, 0.0, 1.0)) if denom > 0 else 1.0
    shrunk = (1 - lam) * cov
    shrunk[np.diag_indices(n)] = np.diag(cov)
    return shrunk, lam


def reconcile(h: Hierarchy, base: np.ndarray, method: str = "mint_shrink",
              residuals: np.ndarray | None = None) -> np.ndarray:
    """Coherent forecasts (node × step, rows as ``h.ids``) from the base forecasts ``base`` of every node.
    ``wls_var`` and ``mint_shrink`` need ``residuals`` (node × time: in-sample one-step errors of the base
    forecasts, rows as ``h.ids``)."""
    if method not in METHODS:
        raise ValueError(f"unknown reconciliation {method!r}; known: {', '.join(METHODS)}")
    base = np.asarray(base, dtype=float)
    S = h.S
    m = S.shape[1]
    if method == "bottom_up":
        return S @ base[-m:]
    if method == "ols":
        W_inv = np.eye(len(S))
    elif method == "wls_struct":
        W_inv = np.diag(1.0 / S.sum(axis=1))
    else:
        if residuals is None:
            raise ValueError(f"{method} needs the base forecasts' residuals")
        if method == "wls_var":
            r = np.asarray(residuals, dtype=float)
            var = np.nanmean((r - np.nanmean(r, axis=1, keepdims=True)) ** 2, axis=1)
            W_inv = np.diag(1.0 / np.clip(var, 1e-12, None))
        else:
            W, _ = shrunk_covariance(residuals)
            W_inv = np.linalg.pinv(W, hermitian=True)
    A = S.T @ W_inv @ S
    G = np.linalg.solve(A, S.T @ W_inv)
    return S @ (G @ base)


def base_forecast(model: str, y: np.ndarray, horizon: int, frequency: str = "annual") -> tuple[np.ndarray, np.ndarray]:
    """A node's base forecast for ``horizon`` steps after ``y`` (no gaps) and its in-sample one-step errors:
    ``naive`` and ``drift`` in closed form, ``ets`` and ``theta`` from statsforecast's fitted values (naive where
    the series is too short for them or the fit fails)."""
    y = np.asarray(y, dtype=float)
    steps = np.arange(1, horizon + 1)
    if model == "naive":
        return np.full(horizon, y[-1]), np.r_[np.nan, np.diff(y)]
    if model == "drift":
        slope = (y[-1] - y[0]) / (len(y) - 1)
        return y[-1] + slope * steps, np.r_[np.nan, np.diff(y) - slope]
    if model not in ("ets", "theta"):
        raise ValueError(f"unknown base model {model!r}")
    import warnings

    from models.forecast_models import statsforecast_model

    estimator = statsforecast_model(model, frequency, len(y))     # as the forecast job fits them
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            out = estimator.forecast(y=y, h=horizon, fitted=True)
    except Exception:  # noqa: BLE001 - a series too short for the model is forecast naively, as in the job
        return base_forecast("naive", y, horizon)
    mean, fitted = np.asarray(out["mean"], dtype=float), np.asarray(out["fitted"], dtype=float)
    if not np.isfinite(mean).all():
        return base_forecast("naive", y, horizon)
    residuals = y - fitted
    # the first fitted values are the model's initialisation, not one-step forecasts (Theta's are off by orders
    # of magnitude on Berlin's totals): a burn-in of three periods where the series allows it
    residuals[:BURN_IN if len(y) > 2 * BURN_IN else 1] = np.nan
    return mean, residuals


def backtest(h: Hierarchy, bottom_values: np.ndarray, model: str, horizon: int, origins: int,
             frequency: str = "annual", methods=METHODS) -> pd.DataFrame:
    """Base and reconciled forecasts of every node against what followed, at ``origins`` rolling origins (the
    last one ``horizon`` periods before the end), each fitted only on the periods before it. ``model``: a
    :func:`base_forecast` model, or ``global`` (one LightGBM model across every node's series,
    :mod:`models.forecast_global`; without in-sample residuals, so without ``wls_var`` and ``mint_shrink``). One row per node,
    origin, step and method (``base`` and each of ``methods``): ``node``, ``level``, ``origin`` (index of the
    first forecast period), ``h``, ``method``, ``y``, ``yhat`` and ``scale`` (the node's in-sample mean absolute
    one-step change, for MASE). The bottom series must be complete."""
    Y = aggregate(h, bottom_values)
    if not np.isfinite(Y).all():
        raise ValueError("the bottom series have gaps; reconcile complete series only")
    T = Y.shape[1]
    rows = []
    for k in range(origins):
        start = T - horizon - k
        if start < 4:
            break
        if model == "global":
            from models.forecast_global import fit_predict

            base = fit_predict(Y[:, :start], start - 1, [(i, start - 1) for i in range(len(Y))], horizon, frequency)
            residuals = None
        else:
            fits = [base_forecast(model, Y[i, :start], horizon, frequency) for i in range(len(Y))]
            base = np.vstack([f[0] for f in fits])
            residuals = np.vstack([f[1] for f in fits])
        scale = np.nanmean(np.abs(np.diff(Y[:, :start], axis=1)), axis=1)
        forecasts = {"base": base}
        for method in methods:
            if residuals is not None or method not in NEEDS_RESIDUALS:
                forecasts[method] = reconcile(h, base, method, residuals)
        actual = Y[:, start:start + horizon]
        for method, F in forecasts.items():
            for i, node in enumerate(h.ids):
                for step in range(actual.shape[1]):
                    rows.append((node, h.levels[i], start, step + 1, method, actual[i, step], F[i, step], scale[i]))
    return pd.DataFrame(rows, columns=["node", "level", "origin", "h", "method", "y", "yhat", "scale"])


def level_mase(rows: pd.DataFrame) -> pd.DataFrame:
    """MASE per level and method from :func:`backtest` rows (level × method; the scale floored at a tiny value so
    a constant series does not divide by zero)."""
    err = (rows["y"] - rows["yhat"]).abs() / rows["scale"].clip(lower=1e-9)
    return rows.assign(err=err).pivot_table(index="level", columns="method", values="err", aggfunc="mean")

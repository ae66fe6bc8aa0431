"""Early-warning inputs: what is known about a region at period t, one row per region and period.

A pure step on the profiles and the model matrix (no IO). Its table ``warning_inputs`` is written to the store
by the features job with the settings that made it; the early-warning models read it and nothing recomputes it.

Columns (all known at t, nothing from later periods):

* ``region_id``, ``period``, ``year``, ``status_index``, ``status_class`` (1 best … n worst), ``worst_class``;
* ``dynamics_index`` (0 where unknown);
* ``boundary_distance``: how far the status index lies below the upper boundary of its class (the next worse
  class starts there); 0 in the worst class, which cannot get worse;
* ``boundary_<k>``: the signed distance of the index to each class boundary (index − boundary);
* ``status_change_1``, ``status_change_2``: change of the status index over one and two editions (0 where
  unknown), and ``status_trend``: its least-squares slope per year over up to three editions;
* ``m_<indicator>``: the profile's z-values (KNN-imputed model matrix), ``dz_<indicator>``: their change over
  the dynamics periods (0 where unknown).

An *edition* is the monitoring's own step: the most common gap between consecutive periods with a status
index (Berlin's MSS: 2 years; an annual county monitoring: 1 year).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.columns import DZ, MODEL, column

ID_COLUMNS = ["region_id", "period", "year", "status_class", "worst_class"]
"""Columns of the inputs that describe a row; every other column is a model feature."""


class WarningInputError(ValueError):
    """Profiles that do not allow early-warning inputs."""


def edition_step(profiles: pd.DataFrame) -> int:
    """The monitoring's step in years: the most common gap between a region's consecutive periods with a
    status index."""
    p = profiles[profiles["status_index"].notna()]
    years = p.assign(year=p["period"].astype(str).str[:4].astype(int)).sort_values(["region_id", "year"])
    gaps = years.groupby("region_id")["year"].diff().dropna()
    gaps = gaps[gaps > 0]
    if gaps.empty:
        raise WarningInputError("early-warning inputs need at least two periods with a status index; the profiles "
                                f"have {p['period'].nunique()}")
    return int(gaps.astype(int).mode().min())


def _changes(frame: pd.DataFrame, step: int, editions: int) -> pd.Series:
    """Change of the status index since ``editions`` editions earlier (NaN where that period is unknown)."""
    earlier = frame.set_index(["region_id", "year"])["status_index"]
    key = pd.MultiIndex.from_arrays([frame["region_id"], frame["year"] - editions * step])
    return pd.Series(frame["status_index"].to_numpy() - earlier.reindex(key).to_numpy(), index=frame.index)


def _trend(frame: pd.DataFrame, step: int, window: int = 3) -> pd.Series:
    """Per region and period: the least-squares slope (per year) of the status index over the last ``window``
    editions up to t, from at least two known values."""
    idx = frame.set_index(["region_id", "year"])["status_index"]
    lags = []
    for k in range(window):
        key = pd.MultiIndex.from_arrays([frame["region_id"], frame["year"] - k * step])
        lags.append(idx.reindex(key).to_numpy())
    y = np.column_stack(lags)                             # column k: value k editions back
    x = -np.arange(window, dtype=float) * step
    ok = np.isfinite(y)
    n = ok.sum(axis=1)
    xm = np.where(ok, x, 0).sum(axis=1) / np.maximum(n, 1)
    ym = np.where(ok, y, 0).sum(axis=1) / np.maximum(n, 1)
    dx = np.where(ok, x - xm[:, None], 0)
    sxx = (dx ** 2).sum(axis=1)
    sxy = (dx * np.where(ok, y - ym[:, None], 0)).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = np.where((n >= 2) & (sxx > 0), sxy / sxx, np.nan)
    return pd.Series(slope, index=frame.index)


def build_warning_inputs(profiles: pd.DataFrame, model_matrix: pd.DataFrame, indicators: list[str],
                         thresholds) -> pd.DataFrame:
    """The early-warning inputs of every region and period with a status index.

    Parameters
    ----------
    profiles : DataFrame with ``region_id``, ``period``, ``status_index``, ``status_class``, ``dynamics_index``
        and ``dz_<indicator>`` columns, as :func:`features.steps.build_profiles` writes them.
    model_matrix : DataFrame with ``region_id``, ``period`` and ``m_<indicator>`` columns.
    indicators : the indicators whose z-values and changes become features.
    thresholds : the ascending status class boundaries (``features.index.status_thresholds``).
    """
    need = {"region_id", "period", "status_index", "status_class", "dynamics_index"}
    missing = sorted(need - set(profiles.columns))
    if missing:
        raise WarningInputError(f"profiles lack the columns {', '.join(missing)}")
    bounds = np.asarray(sorted(thresholds), dtype=float)
    p = profiles[profiles["status_index"].notna()].copy()
    if p.empty:
        raise WarningInputError("no profile has a status index")
    step = edition_step(p)
    p["period"] = p["period"].astype(str)
    p["year"] = p["period"].str[:4].astype(int)
    p = p.sort_values(["region_id", "year"]).reset_index(drop=True)
    out = p[["region_id", "period", "year"]].copy()
    cls = p["status_class"].astype(int).to_numpy()
    index = p["status_index"].to_numpy(float)
    out["status_index"] = index
    out["status_class"] = cls
    out["worst_class"] = cls > len(bounds)
    out["dynamics_index"] = p["dynamics_index"].fillna(0.0).to_numpy()
    upper = np.where(cls <= len(bounds), bounds[np.clip(cls - 1, 0, len(bounds) - 1)], np.nan)
    out["boundary_distance"] = np.where(np.isfinite(upper), np.maximum(upper - index, 0.0), 0.0)
    for k, b in enumerate(bounds, start=1):
        out[f"boundary_{k}"] = index - b
    out["status_change_1"] = _changes(p, step, 1).fillna(0.0).to_numpy()
    out["status_change_2"] = _changes(p, step, 2).fillna(0.0).to_numpy()
    out["status_trend"] = _trend(p, step).fillna(0.0).to_numpy()
    key = pd.MultiIndex.from_arrays([p["region_id"], p["period"]])
    m_cols = [column(MODEL, i) for i in indicators if column(MODEL, i) in model_matrix.columns]
    d_cols = [column(DZ, i) for i in indicators if column(DZ, i) in p.columns]
    m = model_matrix[["region_id", "period", *m_cols]].assign(period=lambda f: f["period"].astype(str))
    levels = m.set_index(["region_id", "period"]).reindex(key).to_numpy(float)
    changes = p[d_cols].to_numpy(float)
    # one column pair per indicator: its z-value and its change
    cols = {}
    for ind in indicators:
        if column(MODEL, ind) in m_cols:
            cols[column(MODEL, ind)] = levels[:, m_cols.index(column(MODEL, ind))]
        if column(DZ, ind) in d_cols:
            cols[column(DZ, ind)] = np.nan_to_num(changes[:, d_cols.index(column(DZ, ind))], nan=0.0)
    feats = pd.DataFrame(cols, index=out.index)
    # an indicator never observed is no feature; a single gap in a region's matrix row counts as average (0)
    feats = feats.dropna(axis=1, how="all").fillna(0.0)
    out = pd.concat([out, feats], axis=1)
    out.attrs["edition_step"] = step
    return out

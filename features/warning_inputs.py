"""Early-warning inputs: what is known about a region at period t, one row per region and period.

A pure step on the profiles and the model matrix (no IO). Its table ``warning_inputs`` is written to the store
by the features job with the settings that made it; the early-warning models read it and nothing recomputes it.

Columns (all known at t, nothing from later periods):

* ``region_id``, ``period``, ``year``, ``status_index``, ``status_class`` (1 best … n worst), ``worst_class``;
* ``repeats``: the period's status index repeats the edition before it in every region (a copied edition, as
  Berlin's open MSS files of 2017 and 2019 are); its changes are none, so the early warning learns nothing
  from transitions into or out of it, and no change is measured from it (unknown: 0 in the change columns);
* ``index_basis``: the indicators the period's status index is built from (comma-separated, as the profiles'
  ``status_indicators``; empty where the profiles do not say). A class change between two periods whose indices
  share too few of their indicators (INKAR 2021 → 2022: three indicators, then one) is no comparable transition;
  the early warning neither learns nor backtests it (:func:`comparable_bases`);
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

ID_COLUMNS = ["region_id", "period", "year", "status_class", "worst_class", "repeats", "index_basis"]
"""Columns of the inputs that describe a row; every other column is a model feature."""

SHARED_BASIS = 2 / 3
"""Two periods' status indices are comparable where they share at least this share of all the indicators either is
built from (Jaccard): S1–S4 against S1, S3, S4 (Berlin's MSS 2015 and 2017: 3/4) are; three indicators against one
(INKAR 2021 and 2022: 1/3) and one against two (1/2) are not."""


def comparable_bases(a, b, shared: float = SHARED_BASIS) -> np.ndarray:
    """Per pair of ``index_basis`` texts: True where the two indices share at least ``shared`` of their indicators,
    or where either basis is unknown (empty)."""
    out = []
    for x, y in zip(a, b):
        sx = {i for i in str(x if isinstance(x, str) else "").split(",") if i}
        sy = {i for i in str(y if isinstance(y, str) else "").split(",") if i}
        out.append(not sx or not sy or len(sx & sy) >= shared * len(sx | sy) - 1e-9)
    return np.asarray(out, bool)


class WarningInputError(ValueError):
    """Profiles that do not allow early-warning inputs."""


def basis_breaks(inputs: pd.DataFrame) -> list[tuple[str, str]]:
    """The consecutive periods (('2021', '2022')) across which the status index is built from indicators too
    different to compare (:func:`comparable_bases`), from the inputs' ``index_basis``."""
    if "index_basis" not in inputs.columns:
        return []
    basis = inputs.assign(period=inputs["period"].astype(str)).groupby("period")["index_basis"].first().sort_index()
    periods = list(basis.index)
    ok = comparable_bases(basis.iloc[:-1].tolist(), basis.iloc[1:].tolist())
    return [(a, b) for a, b, fine in zip(periods, periods[1:], ok) if not fine]


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


MIN_REGIONS = 10
"""A repeated edition is told from fewer regions only by chance."""


def repeated_periods(frame: pd.DataFrame, step: int) -> list[str]:
    """Periods whose status index repeats that of the edition ``step`` years before in every region known in
    both (at least :data:`MIN_REGIONS`, with more than one distinct value): equal, or equal up to the shift and
    scale that standardising over a slightly different set of regions gives (correlation 1 to nine digits). A
    copied edition, not a standstill: an index of several indicators never stays where it was everywhere."""
    years = frame.assign(year=frame["period"].astype(str).str[:4].astype(int))
    wide = years.pivot_table(index="region_id", columns="year", values="status_index", aggfunc="first")
    found = []
    for year in wide.columns:
        if year - step not in wide.columns:
            continue
        now, before = wide[year], wide[year - step]
        both = now.notna() & before.notna()
        if both.sum() >= MIN_REGIONS and now[both].nunique() > 1 and before[both].nunique() > 1 and \
                np.corrcoef(now[both], before[both])[0, 1] > 1 - 1e-9:
            found.extend(years.loc[years["year"] == year, "period"].astype(str).unique().tolist())
    return sorted(found)


def _earlier(frame: pd.DataFrame, step: int, editions: int) -> np.ndarray:
    """The status index ``editions`` editions earlier, NaN where unknown or built from too different indicators
    (:func:`comparable_bases`)."""
    earlier = frame.set_index(["region_id", "year"])
    key = pd.MultiIndex.from_arrays([frame["region_id"], frame["year"] - editions * step])
    value = earlier["status_index"].reindex(key).to_numpy(float)
    if "index_basis" in frame.columns and editions:
        ok = comparable_bases(frame["index_basis"], earlier["index_basis"].reindex(key).to_numpy(object))
        value = np.where(ok, value, np.nan)
    return value


def _changes(frame: pd.DataFrame, step: int, editions: int) -> pd.Series:
    """Change of the status index since ``editions`` editions earlier (NaN where that period is unknown)."""
    return pd.Series(frame["status_index"].to_numpy() - _earlier(frame, step, editions), index=frame.index)


def _trend(frame: pd.DataFrame, step: int, window: int = 3) -> pd.Series:
    """Per region and period: the least-squares slope (per year) of the status index over the last ``window``
    editions up to t, from at least two known values."""
    y = np.column_stack([_earlier(frame, step, k) for k in range(window)])   # column k: value k editions back
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
                         thresholds, repeated: list[str] | None = None) -> pd.DataFrame:
    """The early-warning inputs of every region and period with a status index.

    Parameters
    ----------
    profiles : DataFrame with ``region_id``, ``period``, ``status_index``, ``status_class``, ``dynamics_index``
        and ``dz_<indicator>`` columns, as :func:`features.steps.build_profiles` writes them; where it has
        ``status_copied`` (a row whose status indicators repeat the edition before: a block copied in one group),
        those rows repeat too.
    model_matrix : DataFrame with ``region_id``, ``period`` and ``m_<indicator>`` columns.
    indicators : the indicators whose z-values and changes become features.
    thresholds : the ascending status class boundaries (``features.index.status_thresholds``).
    repeated : the periods that repeat the edition before (``repeats``); found in the profiles when not given
        (a scenario's single region gives them from the stored inputs).
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
    repeats = p["period"].isin(repeated_periods(p, step) if repeated is None else repeated).to_numpy()
    if "status_copied" in p.columns:     # a block copied in one group: the row's index is the edition before's
        repeats |= p["status_copied"].fillna(False).astype(bool).to_numpy()
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
    out["repeats"] = repeats
    out["index_basis"] = (p["status_indicators"].fillna("").astype(str).to_numpy() if "status_indicators" in p.columns
                          else "")
    # no change is measured from or to a repeated edition (its values are an earlier one's): unknown there
    real = p.assign(status_index=p["status_index"].where(~repeats), index_basis=out["index_basis"].to_numpy())
    out["status_change_1"] = _changes(real, step, 1).fillna(0.0).to_numpy()
    out["status_change_2"] = _changes(real, step, 2).fillna(0.0).to_numpy()
    out["status_trend"] = _trend(real, step).fillna(0.0).to_numpy()
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

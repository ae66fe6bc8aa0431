"""Belastungsindizes per Lebenslage (Kindheit und Jugend, Teilhabe, Senioren, Bildung …) and how much their classes
depend on the choices behind them.

An index is a named set of indicators with weights. Per region and period it is the weighted sum of the
indicators' burden-oriented z-values (the profiles' values, gaps filled for modelling as the dimension scores
are), z-standardised again over the regions of the period, with classes by thresholds as the status index. A
region for which more than ``max_imputed_share`` of the weight rests on filled-in values gets no index.

The defaults are the catalog's Lebenslagen (its ``lenses`` column): every indicator with a burden direction that
names the Lebenslage, weight 1.

Sensitivity (:func:`sensitivity`): the share of regions whose class changes when every weight is drawn anew
within ±``perturbation`` of its value (the mean over ``draws`` draws), and when one indicator is left out (the
largest share over the indicators, and which one). An index is *robust* when both stay within the limits, else
*abhängig von der Gewichtung* or *abhängig von einzelnen Indikatoren*.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.catalog import Catalog
from ml.columns import IMPUTED, MODEL, column


class LebenslageError(ValueError):
    """An index names indicators the profiles do not hold, or none at all."""


@dataclass(frozen=True)
class IndexSpec:
    """One Lebenslage's index: its name and indicator → weight."""
    name: str
    weights: dict[str, float]


LABELS = ("gering belastet", "durchschnittlich", "erhöht belastet", "stark belastet")
THRESHOLDS = (-1.0, 1.0, 1.5)


def default_specs(catalog: Catalog) -> list[IndexSpec]:
    """One index per Lebenslage named in the catalog: its indicators with a burden direction, weight 1."""
    lenses: dict[str, dict[str, float]] = {}
    for ind in catalog:
        if ind.polarity == 0 or ind.basis:
            continue
        for lens in ind.lenses:
            lenses.setdefault(lens, {})[ind.indicator_id] = 1.0
    return [IndexSpec(name, weights) for name, weights in lenses.items()]


def _parts(matrix: pd.DataFrame, spec: IndexSpec) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    m_cols = [column(MODEL, i) for i in spec.weights]
    have = [c in matrix.columns for c in m_cols]
    if not any(have):
        raise LebenslageError(f"index {spec.name!r}: none of its indicators is in the profiles "
                              f"({', '.join(list(spec.weights)[:6])} …)")
    ids = [i for i, h in zip(spec.weights, have) if h]
    z = matrix[[column(MODEL, i) for i in ids]].set_axis(ids, axis=1)
    filled = matrix.reindex(columns=[column(IMPUTED, i) for i in ids]).set_axis(ids, axis=1)
    return z, filled.astype("boolean").fillna(False).astype(bool), np.array([spec.weights[i] for i in ids], float)


def _standardised(total: pd.Series, periods: pd.Series) -> pd.Series:
    g = total.groupby(periods.to_numpy())
    sd = g.transform("std", ddof=0)
    return (total - g.transform("mean")) / sd.where(sd > 0)


def classify(index: pd.Series, thresholds: tuple[float, ...] = THRESHOLDS) -> pd.Series:
    """Class numbers 1.. (first at or below the first threshold, last at or above the last), NaN without index."""
    return pd.Series(_class_codes(index.to_numpy(float), thresholds), index=index.index)


def _class_codes(index: np.ndarray, thresholds: tuple[float, ...]) -> np.ndarray:
    """:func:`classify` on an array of any shape."""
    t = list(thresholds)
    codes = np.select([index <= t[0]] + [index < th for th in t[1:]], list(range(1, len(t) + 1)),
                      default=len(t) + 1).astype(float)
    codes[np.isnan(index)] = np.nan
    return codes


def index_values(matrix: pd.DataFrame, spec: IndexSpec, weights: np.ndarray | None = None,
                 max_imputed_share: float = 0.5) -> pd.Series:
    """The index per row of ``matrix`` (the model matrix: region_id, period, m_/imputed_ columns); ``weights``
    replaces the spec's (same order as its indicators present)."""
    z, filled, w = _parts(matrix, spec)
    w = w if weights is None else np.asarray(weights, float)
    total = pd.Series(z.to_numpy() @ w, index=matrix.index)
    imputed = pd.Series(filled.to_numpy() @ np.abs(w), index=matrix.index) / np.abs(w).sum()
    total[imputed > max_imputed_share] = np.nan
    return _standardised(total, matrix["period"])


def compute(matrix: pd.DataFrame, specs: list[IndexSpec], thresholds: tuple[float, ...] = THRESHOLDS,
            labels: tuple[str, ...] = LABELS, max_imputed_share: float = 0.5, ranking: bool = False) -> pd.DataFrame:
    """One row per region, period and index: index, class, label, indicators used, the share of the weight on
    filled-in values (and the rank within the period only when ``ranking``)."""
    rows = []
    for spec in specs:
        z, filled, w = _parts(matrix, spec)
        idx = index_values(matrix, spec, None, max_imputed_share)
        cls = classify(idx, thresholds)
        frame = pd.DataFrame({"region_id": matrix["region_id"].to_numpy(), "period": matrix["period"].astype(str).to_numpy(),
                              "lebenslage": spec.name, "index": idx.to_numpy(), "class": cls.to_numpy(),
                              "label": cls.map(dict(enumerate(labels, start=1))).to_numpy(),
                              "indicators": len(w),
                              "imputed_share": (filled.to_numpy() @ np.abs(w)) / np.abs(w).sum()})
        frame["rank"] = (frame.groupby("period")["index"].rank(ascending=False, method="min") if ranking else np.nan)
        rows.append(frame)
    return pd.concat(rows, ignore_index=True)


@dataclass(frozen=True)
class Sensitivity:
    """How an index's classes react: mean share of regions changing class under weight draws, the largest share
    when one indicator is left out (and which), and the verdict."""
    lebenslage: str
    period: str
    weights_share: float
    leave_one_out_share: float
    worst_indicator: str | None
    verdict: str
    regions: int


def _classes_under(matrix: pd.DataFrame, spec: IndexSpec, weights: np.ndarray, thresholds: tuple[float, ...],
                   max_imputed_share: float) -> np.ndarray:
    """The classes of one period's regions (rows) under each row of ``weights`` (columns), as
    :func:`index_values` and :func:`classify` give them for one set of weights at a time, in one product."""
    z, filled, _ = _parts(matrix, spec)
    total = z.to_numpy(float) @ weights.T
    magnitude = np.abs(weights)
    imputed = (filled.to_numpy(float) @ magnitude.T) / magnitude.sum(axis=1)
    total[imputed > max_imputed_share] = np.nan
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)      # a set of weights that leaves no region an index
        mean = np.nanmean(total, axis=0)
        sd = np.sqrt(np.nanmean((total - mean) ** 2, axis=0))
        index = (total - mean) / np.where(sd > 0, sd, np.nan)
    return _class_codes(index, thresholds)


def sensitivity(matrix: pd.DataFrame, spec: IndexSpec, period: str, thresholds: tuple[float, ...] = THRESHOLDS,
                perturbation: float = 0.2, draws: int = 200, max_weights_share: float = 0.05,
                max_leave_one_out_share: float = 0.10, max_imputed_share: float = 0.5, seed: int = 0) -> Sensitivity:
    """The index's sensitivity in ``period`` (see the module's description)."""
    m = matrix[matrix["period"].astype(str) == str(period)]
    _, _, w = _parts(m, spec)
    base = classify(index_values(m, spec, w, max_imputed_share), thresholds).to_numpy()
    ok = ~np.isnan(base)
    if not ok.any():
        return Sensitivity(spec.name, str(period), np.nan, np.nan, None, "ohne Werte", 0)
    # the draws in the order one draw after the other would take them from the generator
    drawn = w * np.random.default_rng(seed).uniform(1 - perturbation, 1 + perturbation, size=(draws, len(w)))
    changed = _classes_under(m, spec, drawn, thresholds, max_imputed_share)[ok] != base[ok, None]
    weights_share = float(changed.mean(axis=0).mean())
    worst, loo = None, 0.0
    ids = [i for i in spec.weights if column(MODEL, i) in m.columns]
    if len(ids) > 1:
        left_out = np.where(np.eye(len(w), dtype=bool), 0.0, w)      # row j: indicator j left out
        shares = (_classes_under(m, spec, left_out, thresholds, max_imputed_share)[ok] != base[ok, None]).mean(axis=0)
        for name, share in zip(ids, shares):
            if share > loo:
                worst, loo = name, float(share)
    if weights_share > max_weights_share:
        verdict = "abhängig von der Gewichtung"
    elif loo > max_leave_one_out_share:
        verdict = "abhängig von einzelnen Indikatoren"
    else:
        verdict = "robust"
    return Sensitivity(spec.name, str(period), weights_share, loo, worst, verdict, int(ok.sum()))

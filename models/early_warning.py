"""Early warning: the probability that a region's status worsens within h periods, learnt from past transitions.

A transition is (region, period t) with the features at t and the outcome at t + h: the status class gets
worse, or the status index rises by at least δ. Features at t (all known at t, nothing from later):

* ``m_<indicator>``: the profile's z-values (KNN-imputed model matrix),
* ``dz_<indicator>``: their change over the dynamics periods (0 where unknown),
* ``status_index``, ``dynamics_index``, ``boundary_distance`` (how far the status index is from the next
  worse class boundary; 0 in the worst class) and ``status_trend`` (the status index's least-squares slope
  over up to three periods, projected h periods ahead — a drift forecast of the index).

Candidates: a probabilistic GMLVQ (ours; score d(x, w₀) − d(x, w₁), exact SHAP in closed form) and
gradient-boosted trees (scikit-learn's HistGradientBoostingClassifier). :func:`rolling_backtest` tests each
period T on a model trained only on transitions that ended by T (t + h ≤ T) — no look-ahead. Probabilities
are Platt-calibrated on the pooled backtest scores; levels keine / beobachten / Warnung / akut come from
thresholds chosen on the backtest (:func:`choose_thresholds`): each level is the lowest probability at which
the backtest's flagged transitions worsen at that level's target precision.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from threadpoolctl import threadpool_limits

from models.explanations import by_dimension, driver_sentence, gmlvq_score_shap, top_drivers, tree_shap
from models.lvq import GMLVQ

LEVELS = ("keine", "beobachten", "Warnung", "akut")
INDEX_FEATURES = ["status_index", "dynamics_index", "boundary_distance", "status_trend"]


class EarlyWarningError(ValueError):
    """Inputs that do not allow an early-warning model (no transitions, a single outcome …)."""


# --- transitions ------------------------------------------------------------------------------------------

def boundary_distance(index: pd.Series, thresholds) -> pd.Series:
    """Distance of the status index to the next higher (worse) class boundary; 0 in the worst class."""
    t = np.asarray(sorted(thresholds), dtype=float)

    def one(v: float) -> float:
        if not np.isfinite(v):
            return np.nan
        above = t[t > v]
        return float(above[0] - v) if len(above) else 0.0

    return index.map(one)


def _trend(frame: pd.DataFrame, horizon: int, window: int = 3) -> pd.Series:
    """Per region, the slope of status_index over the last ``window`` periods up to t, times ``horizon``."""
    out = pd.Series(np.nan, index=frame.index)
    for _, g in frame.groupby("region_id", sort=False):
        g = g.sort_values("year")
        yrs, vals = g["year"].to_numpy(float), g["status_index"].to_numpy(float)
        for k in range(len(g)):
            lo = max(0, k - window + 1)
            x, y = yrs[lo: k + 1], vals[lo: k + 1]
            ok = np.isfinite(y)
            if ok.sum() >= 2:
                out.loc[g.index[k]] = np.polyfit(x[ok], y[ok], 1)[0] * horizon
    return out


def transitions(profiles: pd.DataFrame, model_matrix: pd.DataFrame, indicators: list[str], horizon: int = 2,
                delta: float = 0.5, thresholds=(-1.0, 1.0, 1.5)) -> tuple[pd.DataFrame, pd.Series]:
    """Features (index: region_id, period) and outcome (1 worsens, 0 not, NaN unknown yet) of every region and
    period with a status index."""
    p = profiles[profiles["status_index"].notna()].copy()
    p["year"] = p["period"].astype(str).str[:4].astype(int)
    m = model_matrix.set_index(["region_id", "period"])
    p = p.set_index(["region_id", "period"], drop=False)
    feats = pd.DataFrame(index=p.index)
    for ind in indicators:
        col = f"m_{ind}"
        feats[col] = m[col].reindex(p.index) if col in m.columns else np.nan
        dz = f"dz_{ind}"
        feats[dz] = p[dz].fillna(0.0) if dz in p.columns else 0.0
    feats["status_index"] = p["status_index"]
    feats["dynamics_index"] = p["dynamics_index"].fillna(0.0)
    feats["boundary_distance"] = boundary_distance(p["status_index"], thresholds)
    flat = p.reset_index(drop=True)
    feats["status_trend"] = _trend(flat, horizon).to_numpy()
    feats["status_trend"] = feats["status_trend"].fillna(0.0)
    # features that are missing for a whole column (an indicator never observed) are dropped, others imputed 0
    feats = feats.dropna(axis=1, how="all").fillna(0.0)
    later = p.set_index(["region_id", "year"])
    key = pd.MultiIndex.from_arrays([p["region_id"], p["year"] + horizon])
    idx_later = later["status_index"].reindex(key).to_numpy()
    cls_later = later["status_class"].reindex(key).to_numpy()
    worse = (cls_later > p["status_class"].to_numpy()) | (idx_later - p["status_index"].to_numpy() >= delta)
    y = pd.Series(np.where(np.isfinite(idx_later), worse.astype(float), np.nan), index=p.index, name="worsens")
    return feats, y


# --- candidates -------------------------------------------------------------------------------------------

class WarningGMLVQ:
    """GMLVQ on standardised features, two classes; score = d(x, w₀) − d(x, w₁) (higher: more at risk)."""

    kind = "gmlvq"

    def __init__(self, regularization: float = 0.01, seed: int = 0):
        self.regularization, self.seed = regularization, seed

    def fit(self, X: np.ndarray, y: np.ndarray) -> "WarningGMLVQ":
        self.mean_ = X.mean(axis=0)
        self.std_ = X.std(axis=0)
        self.std_[self.std_ == 0] = 1.0
        Z = (X - self.mean_) / self.std_
        self.model_ = GMLVQ(class_weight="balanced", regularization=self.regularization, random_state=self.seed)
        self.model_.fit(Z, y.astype(int))
        labels = self.model_.classes_[self.model_.prototype_labels_]
        self.w0_ = self.model_.prototypes_[labels == 0][0]
        self.w1_ = self.model_.prototypes_[labels == 1][0]
        self.lambda_ = self.model_.lambda_
        return self

    def _z(self, X):
        return (np.atleast_2d(X) - self.mean_) / self.std_

    def score(self, X: np.ndarray) -> np.ndarray:
        Z = self._z(X)
        d0 = np.einsum("nd,de,ne->n", Z - self.w0_, self.lambda_, Z - self.w0_)
        d1 = np.einsum("nd,de,ne->n", Z - self.w1_, self.lambda_, Z - self.w1_)
        return d0 - d1

    def shap(self, X: np.ndarray, background: np.ndarray) -> np.ndarray:
        """Exact SHAP values of ``score`` in standardised units (a feature's own scale cancels in the sum)."""
        return gmlvq_score_shap(self._z(X), self._z(background), self.lambda_, self.w0_, self.w1_)


class WarningTrees:
    """Gradient-boosted trees; score = the log-odds output."""

    kind = "gbt"

    def __init__(self, seed: int = 0):
        self.seed = seed

    def fit(self, X: np.ndarray, y: np.ndarray) -> "WarningTrees":
        self.model_ = HistGradientBoostingClassifier(max_iter=100, learning_rate=0.05, max_leaf_nodes=8,
                                                     min_samples_leaf=10, l2_regularization=1.0,
                                                     class_weight="balanced", random_state=self.seed)
        # a few hundred rows: OpenMP threads cost more than they give (measured 2x slower on two cores)
        with threadpool_limits(limits=1):
            self.model_.fit(X, y.astype(int))
        return self

    def score(self, X: np.ndarray) -> np.ndarray:
        return self.model_.decision_function(np.atleast_2d(X))

    def shap(self, X: np.ndarray, background: np.ndarray) -> np.ndarray:
        return tree_shap(self.model_, X)[0]


CANDIDATES = {"gmlvq": WarningGMLVQ, "gbt": WarningTrees}


# --- backtest, calibration, thresholds --------------------------------------------------------------------

def rolling_backtest(X: pd.DataFrame, y: pd.Series, make, horizon: int, min_positives: int = 3,
                     progress=None) -> pd.DataFrame:
    """Out-of-sample scores per test period T from a model fitted on transitions with t + h ≤ T."""
    years = pd.Series(X.index.get_level_values("period").astype(str).str[:4].astype(int), index=X.index)
    known = y.notna()
    rows = []
    test_years = sorted(years[known].unique())
    for i, T in enumerate(test_years):
        train = known & (years + horizon <= T)
        test = known & (years == T)
        if train.sum() == 0 or y[train].sum() < min_positives or (y[train] == 0).sum() < min_positives:
            continue
        model = make().fit(X[train].to_numpy(float), y[train].to_numpy())
        s = model.score(X[test].to_numpy(float))
        rows.append(pd.DataFrame({"region_id": X.index[test.to_numpy()].get_level_values("region_id"),
                                  "period": X.index[test.to_numpy()].get_level_values("period"),
                                  "y": y[test].to_numpy(), "score": s}))
        if progress:
            progress(i + 1, len(test_years))
    if not rows:
        raise EarlyWarningError("no period has enough earlier transitions (each class needs "
                                f"{min_positives} before it) for an out-of-sample test")
    return pd.concat(rows, ignore_index=True)


@dataclass
class Platt:
    """p = σ(a·score + b), fitted by maximum likelihood."""

    a: float = 1.0
    b: float = 0.0

    def fit(self, score: np.ndarray, y: np.ndarray) -> "Platt":
        from sklearn.linear_model import LogisticRegression

        lr = LogisticRegression(C=1e4).fit(np.asarray(score).reshape(-1, 1), np.asarray(y).astype(int))
        self.a, self.b = float(lr.coef_[0, 0]), float(lr.intercept_[0])
        return self

    def __call__(self, score) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(self.a * np.asarray(score, dtype=float) + self.b)))


def calibrated_out_of_period(bt: pd.DataFrame) -> np.ndarray:
    """Each test period's probabilities from a Platt fit on the other periods' scores (for an honest Brier)."""
    p = np.full(len(bt), np.nan)
    for period in bt["period"].unique():
        other = bt["period"] != period
        if bt.loc[other, "y"].nunique() < 2:
            continue
        p[(~other).to_numpy()] = Platt().fit(bt.loc[other, "score"], bt.loc[other, "y"])(bt.loc[~other, "score"])
    return p


def precision_at_k(bt: pd.DataFrame, share: float, column: str = "score") -> float:
    """Mean over test periods of the precision among the top ⌈share·n⌉ regions."""
    vals = []
    for _, g in bt.groupby("period"):
        k = max(1, math.ceil(share * len(g)))
        vals.append(g.nlargest(k, column)["y"].mean())
    return float(np.mean(vals)) if vals else math.nan


def lead_times(bt: pd.DataFrame, flagged: pd.Series, horizon: int) -> list[int]:
    """For each region with a worsening, periods between its first flag (at or before the transition that
    worsens) and the period the worsening shows (t + h of its first positive transition)."""
    out = []
    b = bt.assign(year=bt["period"].astype(str).str[:4].astype(int), flagged=flagged.to_numpy())
    for _, g in b.groupby("region_id"):
        pos = g[g["y"] == 1]
        if pos.empty:
            continue
        event = int(pos["year"].min()) + horizon
        early = g[(g["flagged"]) & (g["year"] <= int(pos["year"].min()))]
        if not early.empty:
            out.append(event - int(early["year"].min()))
    return out


def flagged_before_onset(bt: pd.DataFrame, flagged: pd.Series, onsets: dict[str, int], window: int = 3) -> list[str]:
    """Regions of ``onsets`` (region → onset year of a known deterioration) flagged in one of the ``window``
    periods before their onset year."""
    year = bt["period"].astype(str).str[:4].astype(int).to_numpy()
    regions = bt["region_id"].to_numpy()
    hit = np.asarray(flagged, bool)
    return [r for r, onset in onsets.items()
            if (hit & (regions == r) & (year >= onset - window) & (year <= onset - 1)).any()]


def backtest_metrics(bt: pd.DataFrame, horizon: int, k_share: float = 0.1) -> dict[str, float]:
    y, s = bt["y"].to_numpy(int), bt["score"].to_numpy(float)
    if len(np.unique(y)) < 2:
        raise EarlyWarningError("the backtest has a single outcome class; ROC AUC is undefined")
    p = calibrated_out_of_period(bt)
    ok = np.isfinite(p)
    return {"roc_auc": float(roc_auc_score(y, s)), "average_precision": float(average_precision_score(y, s)),
            "brier": float(brier_score_loss(y[ok], p[ok])) if ok.any() else math.nan,
            "precision_at_k": precision_at_k(bt, k_share), "positive_rate": float(y.mean()),
            "n_transitions": float(len(y)), "n_test_periods": float(bt["period"].nunique())}


def choose_thresholds(p: np.ndarray, y: np.ndarray, precision_watch: float = 0.5, precision_warning: float = 0.65,
                      precision_acute: float = 0.8, min_flagged: int = 3) -> dict[str, float]:
    """Probability thresholds, one per level: the lowest threshold (not below the previous level's) at which
    the backtest's flagged transitions — at least ``min_flagged`` of them — worsen at the level's target
    precision (``beobachten`` ``precision_watch``, ``Warnung`` ``precision_warning``, ``akut``
    ``precision_acute``); 1.0 (never reached) where no threshold does."""
    if not precision_watch <= precision_warning <= precision_acute:
        raise ValueError("precision targets must rise from 'beobachten' to 'akut'; got "
                         f"{precision_watch}, {precision_warning}, {precision_acute}")
    p, y = np.asarray(p, float), np.asarray(y, int)
    order = np.argsort(-p, kind="stable")
    ps, ys = p[order], y[order]
    flagged = np.arange(1, len(p) + 1)
    precision = np.cumsum(ys) / flagged
    last = np.r_[ps[1:] != ps[:-1], True]           # cut only between distinct probabilities

    def lowest_with_precision(target: float, floor: float) -> float:
        ok = last & (flagged >= min_flagged) & (precision >= target) & (ps >= floor)
        return float(ps[np.flatnonzero(ok)[-1]]) if ok.any() else 1.0

    watch = lowest_with_precision(precision_watch, -np.inf)
    warning = max(lowest_with_precision(precision_warning, watch), watch)
    acute = max(lowest_with_precision(precision_acute, warning), warning)
    return {"beobachten": watch, "Warnung": warning, "akut": acute}


def level_of(p, thresholds: dict[str, float]) -> np.ndarray:
    p = np.asarray(p, float)
    out = np.full(p.shape, "keine", dtype=object)
    for name in ("beobachten", "Warnung", "akut"):
        out[p >= thresholds[name]] = name
    return out


@dataclass
class EarlyWarningModel:
    """The chosen candidate fitted on every known transition, its calibration, thresholds and background."""

    kind: str
    model: object
    features: list[str]
    platt: Platt
    thresholds: dict[str, float]
    background: np.ndarray
    horizon: int
    delta: float
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)

    def probability(self, X: pd.DataFrame) -> np.ndarray:
        return self.platt(self.model.score(X[self.features].to_numpy(float)))

    def levels(self, X: pd.DataFrame) -> np.ndarray:
        return level_of(self.probability(X), self.thresholds)

    def shap(self, X: pd.DataFrame) -> pd.DataFrame:
        phi = self.model.shap(X[self.features].to_numpy(float), self.background)
        return pd.DataFrame(phi, index=X.index, columns=self.features)


def background_sample(X: np.ndarray, size: int = 50, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if len(X) <= size:
        return X.copy()
    return X[rng.choice(len(X), size, replace=False)]


# --- live warnings with explanations -------------------------------------------------------------------------

def feature_columns(X: pd.DataFrame, which: str) -> list[str]:
    """The model inputs of a feature set: ``all`` or ``changes`` (no level z-values)."""
    if which == "changes":
        return [c for c in X.columns if not c.startswith("m_")]
    return list(X.columns)


def driver_facts(features: list[str], values: pd.DataFrame, profiles: pd.DataFrame, region_id: str, period: str,
                 catalog, dynamics_periods: int) -> dict[str, dict]:
    """Value, change over the dynamics periods, unit and suppression of each feature's indicator for one region
    and period (from the feature values), or the index value (from the profile)."""
    since = str(int(str(period)[:4]) - dynamics_periods)
    v = values[(values["region_id"] == region_id) & values["period"].isin([str(period), since])]
    v = v.set_index(["indicator_id", "period"])
    prof = profiles[(profiles["region_id"] == region_id) & (profiles["period"].isin([str(period), since]))]
    prof = prof.set_index("period")
    facts: dict[str, dict] = {}
    for f in features:
        ind = f[2:] if f.startswith("m_") else f[3:] if f.startswith("dz_") else None
        if ind is not None and ind in catalog:
            now = v.loc[(ind, str(period))] if (ind, str(period)) in v.index else None
            before = v.loc[(ind, since)] if (ind, since) in v.index else None
            suppressed = now is not None and now["flag"] == "suppressed"
            value = float(now["value"]) if now is not None and not suppressed else None
            change = (value - float(before["value"])) if value is not None and before is not None and \
                before["flag"] != "suppressed" and pd.notna(before["value"]) else None
            facts[f] = {"value": value, "change": change, "unit": catalog[ind].unit, "suppressed": bool(suppressed),
                        "since": since}
        elif f in ("status_index", "dynamics_index") and str(period) in prof.index:
            value = prof.at[str(period), f]
            change = None
            if f == "status_index" and since in prof.index:
                change = value - prof.at[since, f]
            facts[f] = {"value": float(value) if pd.notna(value) else None,
                        "change": float(change) if change is not None and pd.notna(change) else None,
                        "unit": "Index", "since": since}
    return facts


def explain_latest(model: EarlyWarningModel, X: pd.DataFrame, values: pd.DataFrame, profiles: pd.DataFrame,
                   catalog, dynamics_periods: int, period: str | None = None) -> pd.DataFrame:
    """Probability, level, dimension contributions and the German driver sentence per region of ``period``
    (default: the latest period with features)."""
    return explain_period(model, X, values, profiles, catalog, dynamics_periods, period)[0]


def explain_period(model: EarlyWarningModel, X: pd.DataFrame, values: pd.DataFrame, profiles: pd.DataFrame,
                   catalog, dynamics_periods: int, period: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`explain_latest` and the SHAP values it came from (rows: (region_id, period), columns: features)."""
    periods = X.index.get_level_values("period")
    period = period or str(max(periods))
    rows = X[periods == period]
    if rows.empty:
        raise EarlyWarningError(f"no features for period {period!r}")
    p = model.probability(rows)
    levels = level_of(p, model.thresholds)
    phi = model.shap(rows)
    dims = by_dimension(phi, catalog)
    out = []
    for i, (region, per) in enumerate(rows.index):
        drivers = top_drivers(phi.iloc[i])
        facts = driver_facts(list(drivers.index), values, profiles, region, per, catalog, dynamics_periods)
        for f in drivers.index:            # model-derived features (boundary distance, trend): their own value
            facts.setdefault(f, {"value": float(rows.iloc[i][f]), "unit": "Index"})
        out.append({"region_id": region, "period": per, "probability": float(p[i]), "level": str(levels[i]),
                    "sentence": driver_sentence(drivers, facts, catalog, str(levels[i])),
                    "drivers": ", ".join(drivers.index),
                    **{f"dim_{d}": float(dims.iloc[i][d]) for d in dims.columns}})
    return pd.DataFrame(out), phi

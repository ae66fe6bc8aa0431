"""Early warning: the probability that a region's status class is worse h years later, learnt from past
transitions and judged on periods the model has not seen.

A *transition* is a row of the early-warning inputs (:mod:`features.warning_inputs`, region and period t)
with its outcome at t + h. The default outcome is what planners read: **the status class is worse at t + h**;
a region already in the worst class cannot get worse and is not at risk. The option ``index_rise`` counts a
worse class *or* a rise of the status index by at least δ.

Candidates, all scored the same way:

* ``boundary`` (a rule): closeness of the status index to the next worse class boundary;
* ``dynamics`` (a rule): the official dynamics index, today's backward-looking early warning;
* ``index_forecast``: a predictive distribution of the status index at t + h — a ridge regression of its
  change on its level (mean reversion), the dynamics index, the component changes and the multi-edition
  trend, with the residual spread — turned into P(index crosses the next worse boundary). With no dynamics
  it orders regions like the boundary rule;
* ``gmlvq`` (ours, exact SHAP in closed form) and ``gbt`` (gradient-boosted trees), with boundary distance
  and index level among their inputs;
* ``average``: the mean of the calibrated log-odds of the model candidates.

:func:`backtest` tests each period T on models fitted only on transitions that ended by T (t + h ≤ T).
Calibration (Platt) and the level thresholds are fitted **inside** each fold, on out-of-fold scores of the
training transitions (grouped by region), and judged on the unseen period T — so the precision reported per
level is out-of-sample. A threshold counts where the lower confidence bound of its precision reaches the target;
a level whose target no threshold reaches, or whose backtest precision on the unseen periods fell short of it
beyond doubt, is *nicht verfügbar*, with the reason; there is no unreachable threshold. The champion is the
candidate with the best average precision **within each test period**, averaged over the periods
(:func:`ranking`): a planner ranks the regions of one edition. :func:`as_of` and :func:`served_over_time`
judge what a run at an earlier edition would have served.

Longer than 450 lines because transitions, the rolling backtest with calibration and levels fitted inside each fold,
the evaluation, the champion choice, the final fit and the explained warnings are one procedure whose steps share
the backtest's types; the candidates themselves live in :mod:`models.warning_candidates`.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from features.warning_inputs import ID_COLUMNS, comparable_bases
from ml.columns import DIM, DZ, MODEL, column, id_of
from ml.formatting import de, percent
from models.explanations import years_ahead
from models.warning_candidates import (
    CANDIDATES, OUTCOMES, Average, EarlyWarningError, IndexForecast, outcome_distance,
)

LEVELS = ("keine", "beobachten", "Warnung", "akut")
WARNING_LEVELS = LEVELS[1:]
UNAVAILABLE = "nicht verfügbar"
RULES = ("boundary", "dynamics")
MODEL_LABELS = {
    "boundary": "Regel: Nähe zur nächst schlechteren Statusklasse",
    "dynamics": "Regel: Dynamikindex",
    "index_forecast": "Verteilung des künftigen Statusindex",
    "gmlvq": "GMLVQ (Prototypen)",
    "gbt": "Gradient-Boosting-Bäume",
    "average": "Mittel der Modelle",
}
RULE_NAMES = {"boundary": "Nähe zur nächst schlechteren Statusklasse", "dynamics": "Dynamikindex"}


# --- transitions ------------------------------------------------------------------------------------------

@dataclass
class Transitions:
    """Features at t (index: region_id, period), the outcome at t + h and the index change that led to it."""

    X: pd.DataFrame
    y: pd.Series            # 1 worse, 0 not, NaN: outcome unknown yet or not at risk
    change: pd.Series       # status index at t + h minus at t (NaN unknown)
    distance: pd.Series     # how far the index must rise for the outcome (inf: it cannot happen)
    at_risk: pd.Series      # False where the outcome cannot happen (the worst class, class outcome)
    year: pd.Series
    horizon: int
    outcome: str

    @property
    def known(self) -> pd.Series:
        """Rows whose outcome at t + h is known (the later period is observed)."""
        return self.y.notna()


def make_transitions(inputs: pd.DataFrame, horizon: int, outcome: str = "class", delta: float = 0.5) -> Transitions:
    """Transitions over ``horizon`` years from the early-warning inputs."""
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}; got {outcome!r}")
    if horizon < 1:
        raise ValueError(f"horizon must be at least 1 year; got {horizon}")
    frame = inputs.reset_index(drop=True)
    later = frame.set_index(["region_id", "year"])
    key = pd.MultiIndex.from_arrays([frame["region_id"], frame["year"] + horizon])
    idx_later = later["status_index"].reindex(key).to_numpy(float)
    cls_later = later["status_class"].reindex(key).to_numpy(float)
    change = idx_later - frame["status_index"].to_numpy(float)
    worse = cls_later > frame["status_class"].to_numpy(float)
    if outcome == "index_rise":
        worse = worse | (change >= delta)
    at_risk = ~frame["worst_class"].to_numpy(bool) if outcome == "class" else np.ones(len(frame), bool)
    # a repeated edition (a copy of the one before) neither starts nor ends a transition: its changes are none
    repeats = later["repeats"].astype(bool) if "repeats" in later.columns else None
    copied = np.zeros(len(frame), bool) if repeats is None else (
        repeats.to_numpy() | repeats.reindex(key, fill_value=False).to_numpy(bool))
    # nor does a change of what the index is built from (INKAR 2022: one of three indicators): its class change
    # would be the definition's, not the region's
    if "index_basis" in later.columns:
        copied |= ~comparable_bases(frame["index_basis"], later["index_basis"].reindex(key).to_numpy(object))
    y = np.where(np.isfinite(idx_later) & at_risk & ~copied, worse.astype(float), np.nan)
    change = np.where(copied, np.nan, change)
    index = pd.MultiIndex.from_arrays([frame["region_id"], frame["period"].astype(str)], names=["region_id", "period"])
    X = frame.drop(columns=[c for c in ID_COLUMNS if c not in ("worst_class",)], errors="ignore").set_index(index)
    X["worst_class"] = X["worst_class"].astype(float)
    return Transitions(X=X, y=pd.Series(y, index=index, name="worsens"), change=pd.Series(change, index=index),
                       distance=pd.Series(outcome_distance(X, outcome, delta), index=index),
                       at_risk=pd.Series(at_risk, index=index), year=pd.Series(frame["year"].to_numpy(), index=index),
                       horizon=horizon, outcome=outcome)


def feature_columns(X: pd.DataFrame, which: str) -> list[str]:
    """The learned classifiers' inputs: ``all`` or ``changes`` (no level z-values)."""
    cols = [c for c in X.columns if c != "worst_class"]
    if which == "changes":
        return [c for c in cols if id_of(c, MODEL) is None]
    return cols


# --- calibration and levels -------------------------------------------------------------------------------

@dataclass
class Platt:
    """p = σ(a·score + b), fitted by maximum likelihood."""

    a: float = 1.0
    b: float = 0.0

    def fit(self, score, y) -> "Platt":
        """Fit slope and intercept by logistic regression of the outcomes on the scores."""
        from sklearn.linear_model import LogisticRegression

        s, t = np.asarray(score, float), np.asarray(y).astype(int)
        ok = np.isfinite(s)
        if len(np.unique(t[ok])) < 2:
            raise EarlyWarningError("calibration needs both outcomes among the scored transitions")
        lr = LogisticRegression(C=1e4).fit(s[ok].reshape(-1, 1), t[ok])
        self.a, self.b = float(lr.coef_[0, 0]), float(lr.intercept_[0])
        return self

    def __call__(self, score) -> np.ndarray:
        return expit(self.a * np.asarray(score, dtype=float) + self.b)


@dataclass
class Levels:
    """Probability thresholds per warning level; a level no threshold reaches is None, with its reason."""

    thresholds: dict[str, float | None]
    reasons: dict[str, str] = field(default_factory=dict)
    targets: dict[str, float] = field(default_factory=dict)      # the precision each level asks for

    def of(self, p) -> np.ndarray:
        """The warning level of each probability."""
        p = np.asarray(p, float)
        out = np.full(p.shape, "keine", dtype=object)
        for name in WARNING_LEVELS:
            t = self.thresholds.get(name)
            if t is not None:
                out[p >= t] = name
        return out

    @property
    def available(self) -> list[str]:
        """The levels with a threshold (reachable), in order."""
        return [k for k in WARNING_LEVELS if self.thresholds.get(k) is not None]


def wilson(hits, n, confidence: float, upper: bool = False) -> np.ndarray:
    """One-sided Wilson bound of a share ``hits / n`` at ``confidence`` (0.5: the share itself)."""
    from scipy.stats import norm

    hits, n = np.asarray(hits, float), np.asarray(n, float)
    z = float(norm.ppf(confidence))
    with np.errstate(invalid="ignore", divide="ignore"):
        share = hits / n
        centre = share + z * z / (2 * n)
        spread = z * np.sqrt(share * (1 - share) / n + z * z / (4 * n * n))
        return (centre + spread if upper else centre - spread) / (1 + z * z / n)


def choose_levels(p, y, targets: dict[str, float], min_flagged: int = 3, confidence: float = 0.9) -> Levels:
    """Per level the lowest probability (not below the previous level's) at which at least ``min_flagged``
    flagged transitions worsen with the level's target precision — with ``confidence``: the one-sided lower
    Wilson bound of the precision reaches the target (0.5: the precision itself). Where none does, the level is
    unavailable. Every threshold is a probability some transition reached, so every available level is
    reachable. The bound keeps the choice from the luck of the lowest crossing: chosen on the point estimate,
    the levels met their target on the next unseen period far less often (docs/BENCHMARKS.md)."""
    if not 0.5 <= confidence < 1:
        raise ValueError(f"confidence must lie in [0.5, 1); got {confidence}")
    names = list(WARNING_LEVELS)
    values = [targets[k] for k in names]
    if values != sorted(values):
        raise ValueError(f"precision targets must rise from 'beobachten' to 'akut'; got {values}")
    p, y = np.asarray(p, float), np.asarray(y, int)
    order = np.argsort(-p, kind="stable")
    ps, ys = p[order], y[order]
    flagged = np.arange(1, len(p) + 1)
    precision = np.cumsum(ys) / flagged
    bound = wilson(np.cumsum(ys), flagged, confidence)      # at 0.5 the precision itself
    last = np.r_[ps[1:] != ps[:-1], True]           # cut only between distinct probabilities
    out: dict[str, float | None] = {}
    reasons: dict[str, str] = {}
    floor = -np.inf
    sure = f" mit {percent(confidence)} Sicherheit" if confidence > 0.5 else ""
    for name in names:
        ok = last & (flagged >= min_flagged) & (bound >= targets[name] - 1e-12) & (ps >= floor)
        if ok.any():
            out[name] = float(ps[np.flatnonzero(ok)[-1]])
            floor = out[name]
        else:
            out[name] = None
            best = float(np.max(precision[last & (flagged >= min_flagged)], initial=0.0))
            reasons[name] = (f"keine Schwelle erreicht im Rückblick{sure} eine Trefferquote von "
                             f"{percent(targets[name])} (höchstens {percent(best)} bei mindestens {min_flagged} "
                             "markierten Fällen)")
            floor = np.inf                          # a higher level cannot be available either
    return Levels(out, reasons, dict(targets))


def vet_levels(levels: Levels, figures: dict[str, float], confidence: float = 0.9) -> Levels:
    """The levels a model is served with, judged by its backtest (``figures``: :func:`evaluate`'s out-of-sample
    precision and flagged count per level): a level whose precision on the unseen periods lies below its target
    beyond doubt — the upper Wilson bound at ``confidence`` is below it — is unavailable, with the figure as
    reason. Its threshold was met on the training transitions, not where it would be used."""
    targets = levels.targets
    out, reasons = dict(levels.thresholds), dict(levels.reasons)
    for name in WARNING_LEVELS:
        n = figures.get(f"flagged_{name}", 0.0)
        precision = figures.get(f"precision_{name}", math.nan)
        if out.get(name) is None or not n or not np.isfinite(precision):
            continue
        if wilson(precision * n, n, confidence, upper=True) < targets[name]:
            out[name] = None
            reasons[name] = (f"im Rückblick auf ungesehene Jahre verschlechterten sich nur {percent(precision)} der "
                             f"{int(n)} so markierten Gebiete (verlangt {percent(targets[name])})")
    return Levels(out, {k: reasons[k] for k in WARNING_LEVELS if k in reasons}, dict(targets))


def level_record(levels: Levels, figures: dict[str, float]) -> dict[str, dict]:
    """Per warning level what it asks for and what it met: target precision, served threshold (None: not
    served), and the backtest's out-of-sample precision and flagged count, with the reason where unavailable."""
    out = {}
    for name in WARNING_LEVELS:
        n = figures.get(f"flagged_{name}", math.nan)
        precision = figures.get(f"precision_{name}", math.nan)
        out[name] = {"target": levels.targets.get(name), "threshold": levels.thresholds.get(name),
                     "backtest_precision": None if not np.isfinite(precision) else float(precision),
                     "backtest_flagged": None if not np.isfinite(n) else int(n),
                     "reason": levels.reasons.get(name)}
    return out


def expected_calibration_error(p, y, bins: int = 10) -> float:
    """Mean |observed share − mean probability| over equal-width probability bins, weighted by bin size."""
    p, y = np.asarray(p, float), np.asarray(y, float)
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    err = 0.0
    for b in range(bins):
        sel = which == b
        if sel.any():
            err += sel.sum() * abs(y[sel].mean() - p[sel].mean())
    return float(err / max(len(p), 1))


def reliability(p, y, bins: int = 10) -> pd.DataFrame:
    """Per equal-width bin: mean probability, observed share and count (for the reliability plot)."""
    p, y = np.asarray(p, float), np.asarray(y, float)
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    rows = [{"bin": b, "p_mean": p[which == b].mean(), "observed": y[which == b].mean(), "n": int((which == b).sum())}
            for b in range(bins) if (which == b).any()]
    return pd.DataFrame(rows)


# --- backtest ---------------------------------------------------------------------------------------------

@dataclass
class BacktestConfig:
    """What the backtest and the final fit need from the configuration."""

    candidates: list[str]
    targets: dict[str, float]
    outcome: str = "class"
    delta: float = 0.5
    features: str = "all"
    index_columns: list[str] | None = None
    calibration_folds: int = 3
    min_positives: int = 3
    confidence: float = 0.9        # of the precision bounds behind each warning level
    seed: int = 0
    n_jobs: int | None = 1         # worker processes for the test periods (None: all cores)


def _factory(kind: str, T: Transitions, cfg: BacktestConfig):
    cols = feature_columns(T.X, cfg.features)
    if kind == "index_forecast":
        return lambda: IndexForecast(columns=cfg.index_columns, outcome=cfg.outcome, delta=cfg.delta)
    if kind in ("gmlvq", "gbt"):
        return lambda: CANDIDATES[kind](columns=cols, seed=cfg.seed)
    return lambda: CANDIDATES[kind]()


def _out_of_fold(make, X: pd.DataFrame, y: np.ndarray, change: np.ndarray, groups: np.ndarray,
                 folds: int) -> np.ndarray:
    """Scores of each training transition from a model fitted on the other regions' transitions."""
    from sklearn.model_selection import GroupKFold

    n_groups = len(np.unique(groups))
    s = np.full(len(X), np.nan)
    for tr, te in GroupKFold(n_splits=min(folds, n_groups)).split(X, y, groups):
        if len(np.unique(y[tr])) < 2:
            continue
        s[te] = make().fit(X.iloc[tr], y[tr], change[tr]).decision_function(X.iloc[te])
    return s


@dataclass
class Fitted:
    """One candidate fitted on a set of transitions: model, calibration and levels, both from scores the
    model did not see (out of fold) — rules need no such care, their scores are not fitted."""

    kind: str
    model: object
    platt: Platt
    levels: Levels
    inner_logit: np.ndarray        # calibrated log-odds of the training transitions (out of fold)

    def logit(self, X: pd.DataFrame) -> np.ndarray:
        """Calibrated log-odds of the rows of ``X``."""
        return self.platt.a * self.model.decision_function(X) + self.platt.b

    def probability(self, X: pd.DataFrame) -> np.ndarray:
        """Calibrated probabilities of the rows of ``X``."""
        return expit(self.logit(X))


def fit_candidates(T: Transitions, rows: pd.Series, cfg: BacktestConfig) -> dict[str, Fitted]:
    """Every configured candidate fitted on the transitions ``rows`` (a boolean mask of known outcomes)."""
    X, y, change = T.X[rows.to_numpy()], T.y[rows].to_numpy().astype(int), T.change[rows].to_numpy()
    groups = X.index.get_level_values("region_id").to_numpy()
    out: dict[str, Fitted] = {}
    for kind in [k for k in cfg.candidates if k != "average"]:
        make = _factory(kind, T, cfg)
        model = make().fit(X, y, change)
        inner = _out_of_fold(make, X, y, change, groups, cfg.calibration_folds) if model.learned else model.decision_function(X)
        ok = np.isfinite(inner)
        platt = Platt().fit(inner[ok], y[ok])
        logit_in = np.where(ok, platt.a * inner + platt.b, np.nan)
        levels = choose_levels(expit(logit_in[ok]), y[ok], cfg.targets, confidence=cfg.confidence)
        out[kind] = Fitted(kind, model, platt, levels, logit_in)
    parts = [k for k in out if k not in RULES]
    if "average" in cfg.candidates and len(parts) >= 2:
        mean_in = np.nanmean([out[k].inner_logit for k in parts], axis=0)
        ok = np.isfinite(mean_in)
        model = Average([(out[k].model, out[k].platt) for k in parts])
        platt = Platt().fit(mean_in[ok], y[ok])
        logit_in = np.where(ok, platt.a * mean_in + platt.b, np.nan)
        levels = choose_levels(expit(logit_in[ok]), y[ok], cfg.targets, confidence=cfg.confidence)
        out["average"] = Fitted("average", model, platt, levels, logit_in)
    return out


def _test_period(T: Transitions, cfg: BacktestConfig, T0) -> dict[str, pd.DataFrame]:
    """The candidates fitted on the transitions that ended by ``T0``, scoring those that start at ``T0``; empty
    when too few ended by then."""
    known = T.known
    train = known & (T.year + T.horizon <= T0)
    test = known & (T.year == T0)
    y_train = T.y[train]
    if y_train.sum() < cfg.min_positives or (y_train == 0).sum() < cfg.min_positives:
        return {}
    try:
        fitted = fit_candidates(T, train, cfg)
    except EarlyWarningError:
        # too few worsenings to calibrate out of fold (all in one region group): this period is not tested
        return {}
    Xt = T.X[test.to_numpy()]
    out = {}
    for kind, f in fitted.items():
        score = f.model.decision_function(Xt)
        p = f.platt(score)
        out[kind] = pd.DataFrame({
            "region_id": Xt.index.get_level_values("region_id"), "period": Xt.index.get_level_values("period"),
            "y": T.y[test].to_numpy().astype(int), "score": score, "p": p, "level": f.levels.of(p)})
    return out


def backtest(T: Transitions, cfg: BacktestConfig, progress=None) -> dict[str, pd.DataFrame]:
    """Out-of-sample rows per candidate: for each test period T₀, the candidates fitted (with calibration and
    levels) on transitions that ended by T₀ score the transitions starting at T₀.

    Returns candidate → frame (region_id, period, y, score, p, level) over all test periods.
    """
    known = T.known
    test_years = sorted(T.year[known].unique())
    rows: dict[str, list[pd.DataFrame]] = {}
    jobs = min(cfg.n_jobs or os.cpu_count() or 1, len(test_years))
    if jobs <= 1:
        periods = (_test_period(T, cfg, T0) for T0 in test_years)
    else:   # the periods are independent, each fit seeded: the same rows in any number of processes
        from joblib import Parallel, delayed

        periods = Parallel(n_jobs=jobs, return_as="generator")(delayed(_test_period)(T, cfg, T0) for T0 in test_years)
    for done, tested in enumerate(periods, start=1):
        for kind, frame in tested.items():
            rows.setdefault(kind, []).append(frame)
        if progress:
            progress(done, len(test_years))
    if not rows:
        y = T.y[known]
        ends = (T.year[known] + T.horizon)[y.to_numpy() == 1].value_counts().sort_index()
        raise EarlyWarningError(
            f"no period has enough earlier transitions for an out-of-sample test at horizon {T.horizon}: a test "
            f"period needs at least {cfg.min_positives} worsenings and {cfg.min_positives} other transitions that "
            f"ended before it; here {len(y)} known transitions, {int(y.sum())} of them worsenings"
            + (f" (ending {', '.join(f'{year}: {n}' for year, n in ends.items())})" if len(ends) else ""),
            ending={int(year): int(n) for year, n in ends.items()})
    return {k: pd.concat(v, ignore_index=True) for k, v in rows.items()}


def auc_ap(y, p, w=None) -> tuple[float, float]:
    """ROC AUC and average precision of scores ``p`` for outcomes ``y`` (both present) with optional weights,
    exactly as scikit-learn computes them (ties share a threshold), without its input checks: the bootstrap
    calls this thousands of times."""
    y, p = np.asarray(y, float), np.asarray(p, float)
    w = np.ones_like(y) if w is None else np.asarray(w, float)
    order = np.argsort(-p, kind="mergesort")
    p, y, w = p[order], y[order], w[order]
    last = np.r_[np.flatnonzero(np.diff(p)), len(p) - 1]          # the last row of each distinct score
    tp, fp = np.cumsum(y * w)[last], np.cumsum((1 - y) * w)[last]
    recall = np.r_[0.0, tp / tp[-1]]
    auc = float(np.trapezoid(recall, np.r_[0.0, fp / fp[-1]]))
    return auc, float(np.sum(np.diff(recall) * tp / (tp + fp)))


def _period_rows(bt: pd.DataFrame) -> list[np.ndarray]:
    """Row positions of each test period."""
    return [np.flatnonzero(m) for m in (bt["period"].to_numpy() == p for p in pd.unique(bt["period"]))]


def _per_period(y: np.ndarray, p: np.ndarray, periods: list[np.ndarray], w: np.ndarray | None = None
                ) -> tuple[float, float]:
    """Mean ROC AUC and average precision within each test period (those with both outcomes): the ranking a
    planner meets, one edition at a time."""
    auc, ap = [], []
    for rows in periods:
        if w is not None:
            rows = rows[w[rows] > 0]
        yy = y[rows]
        if yy.min(initial=1) == yy.max(initial=0):
            continue
        a, b = auc_ap(yy, p[rows], None if w is None else w[rows])
        auc.append(a)
        ap.append(b)
    return (float(np.mean(auc)), float(np.mean(ap))) if ap else (math.nan, math.nan)


def _bootstrap(bt: pd.DataFrame, reps: int, seed: int) -> dict[str, float]:
    """90 % intervals of ROC AUC and average precision, pooled and within periods, resampling regions (all their
    periods together)."""
    if reps <= 0:
        return {}
    rng = np.random.default_rng(seed)
    codes, regions = pd.factorize(bt["region_id"])
    y, p = bt["y"].to_numpy(int), bt["p"].to_numpy(float)
    periods = _period_rows(bt)
    auc, ap, pauc, pap = [], [], [], []
    for _ in range(reps):
        w = np.bincount(rng.integers(0, len(regions), len(regions)), minlength=len(regions))[codes].astype(float)
        keep = w > 0
        if len(np.unique(y[keep])) < 2:
            continue
        a, b = auc_ap(y[keep], p[keep], w[keep])
        auc.append(a)
        ap.append(b)
        a, b = _per_period(y, p, periods, w)
        if np.isfinite(b):
            pauc.append(a)
            pap.append(b)
    if not auc:
        return {}
    out = {"roc_auc_lo": float(np.quantile(auc, 0.05)), "roc_auc_hi": float(np.quantile(auc, 0.95)),
           "average_precision_lo": float(np.quantile(ap, 0.05)), "average_precision_hi": float(np.quantile(ap, 0.95))}
    if pap:
        out |= {"period_roc_auc_lo": float(np.quantile(pauc, 0.05)), "period_roc_auc_hi": float(np.quantile(pauc, 0.95)),
                "period_average_precision_lo": float(np.quantile(pap, 0.05)),
                "period_average_precision_hi": float(np.quantile(pap, 0.95))}
    return out


def precision_at_k(bt: pd.DataFrame, share: float, column: str = "p") -> float:
    """Mean over test periods of the precision among the top ⌈share·n⌉ regions."""
    vals = []
    for _, g in bt.groupby("period"):
        k = max(1, math.ceil(share * len(g)))
        vals.append(g.nlargest(k, column)["y"].mean())
    return float(np.mean(vals)) if vals else math.nan


def _level_figures(y: np.ndarray, levels: pd.Series) -> dict[str, float]:
    """Per warning level: the rows flagged at it or higher, their precision and the recall of the worsenings
    (NaN where nothing is flagged, or nothing worsened)."""
    out = {}
    for level in WARNING_LEVELS:
        flagged = levels.isin(WARNING_LEVELS[WARNING_LEVELS.index(level):]).to_numpy()
        out[f"flagged_{level}"] = float(flagged.sum())
        out[f"precision_{level}"] = float(y[flagged].mean()) if flagged.any() else math.nan
        out[f"recall_{level}"] = float(y[flagged].sum() / y.sum()) if y.sum() else math.nan
    return out


def evaluate(bt: pd.DataFrame, k_share: float = 0.1, bootstrap: int = 200, seed: int = 0,
             bins: int = 10) -> dict[str, float]:
    """Out-of-sample figures of one candidate's backtest rows."""
    y, p = bt["y"].to_numpy(int), bt["p"].to_numpy(float)
    if len(np.unique(y)) < 2:
        raise EarlyWarningError("the backtest has a single outcome class; ROC AUC is undefined")
    m = {"roc_auc": float(roc_auc_score(y, p)), "average_precision": float(average_precision_score(y, p)),
         "brier": float(brier_score_loss(y, p)), "ece": expected_calibration_error(p, y, bins),
         "precision_at_k": precision_at_k(bt, k_share), "positive_rate": float(y.mean()),
         "n_transitions": float(len(y)), "n_test_periods": float(bt["period"].nunique())}
    m["period_roc_auc"], m["period_average_precision"] = _per_period(y, p, _period_rows(bt))
    m.update(_level_figures(y, bt["level"]))
    m.update(_bootstrap(bt, bootstrap, seed))
    return m


def out_of_time(bt: pd.DataFrame) -> dict[str, float]:
    """The last test period alone: fitted on everything before it, scored on the newest known transitions."""
    last = bt[bt["period"] == bt["period"].max()]
    y, p = last["y"].to_numpy(int), last["p"].to_numpy(float)
    if len(np.unique(y)) < 2:
        return {"period": float(last["period"].iloc[0])}
    return {"period": float(last["period"].iloc[0]), "roc_auc": float(roc_auc_score(y, p)),
            "average_precision": float(average_precision_score(y, p)), "n": float(len(y)), "positives": float(y.sum())}


@dataclass
class AsOf:
    """What the early warning would have said at ``origin`` and what happened ``horizon`` years later: the
    champion the backtest known at the origin would have chosen (None: no test period was complete then), and
    each candidate's figures on the transitions starting at the origin."""

    origin: int
    horizon: int
    chosen: str | None
    figures: dict[str, dict[str, float]]
    rule: str | None = None        # the better rule then, by the same ranking

    @property
    def served(self) -> dict[str, float]:
        """The figures of the candidate chosen then (empty when none could be chosen)."""
        return self.figures.get(self.chosen, {}) if self.chosen else {}


def as_of(bts: dict[str, pd.DataFrame], horizon: int, origin: int, bootstrap: int = 0) -> AsOf:
    """The forecast made at ``origin`` judged by what happened: every candidate's backtest rows of the period
    ``origin`` — fitted, calibrated and levelled on the transitions that had ended by then — and the champion as
    a run at the origin would have chosen it, from the test periods whose outcome was known then
    (t + h ≤ origin). This is the check a planner makes when a new edition arrives."""
    figures: dict[str, dict[str, float]] = {}
    earlier: dict[str, dict[str, float]] = {}
    for k, bt in bts.items():
        year = bt["period"].astype(str).str[:4].astype(int)
        at = bt[(year == origin).to_numpy()]
        if at.empty:
            continue
        y = at["y"].to_numpy(int)
        f = {"n": float(len(y)), "positives": float(y.sum())}
        if len(np.unique(y)) == 2:
            f["roc_auc"], f["average_precision"] = auc_ap(y, at["p"])
        f.update(_level_figures(y, at["level"]))
        figures[k] = f
        before = bt[(year + horizon <= origin).to_numpy()]
        if before["y"].nunique() == 2:
            earlier[k] = evaluate(before, bootstrap=bootstrap)
    if not figures:
        raise EarlyWarningError(f"no transition from {origin} over {horizon} years has a known outcome "
                                f"(needs the edition of {origin + horizon})")
    rules = {k: m for k, m in earlier.items() if k in RULES}
    return AsOf(origin, horizon, choose_champion(earlier) if earlier else None, figures,
                choose_champion(rules) if rules else None)


def served_over_time(bts: dict[str, pd.DataFrame], horizon: int) -> pd.DataFrame:
    """:func:`as_of` at every test period where a champion could have been chosen: the ranking of the champion
    chosen then against the better rule then, on the transitions starting at that period — what a county would
    have met, had it served each year's choice. Columns: origin, chosen, rule, and ROC AUC and average precision
    of both (NaN where the period had one outcome only)."""
    rows = []
    periods = sorted({int(str(p)[:4]) for bt in bts.values() for p in bt["period"].unique()})
    for origin in periods:
        at = as_of(bts, horizon, origin)
        if at.chosen is None or at.rule is None:
            continue
        c, r = at.figures.get(at.chosen, {}), at.figures.get(at.rule, {})
        rows.append({"origin": origin, "chosen": at.chosen, "rule": at.rule,
                     "roc_auc": c.get("roc_auc", math.nan), "average_precision": c.get("average_precision", math.nan),
                     "rule_roc_auc": r.get("roc_auc", math.nan),
                     "rule_average_precision": r.get("average_precision", math.nan)})
    return pd.DataFrame(rows, columns=["origin", "chosen", "rule", "roc_auc", "average_precision", "rule_roc_auc",
                                       "rule_average_precision"])


def rankable(served: pd.DataFrame) -> pd.DataFrame:
    """The periods of :func:`served_over_time` that have a ranking to compare: a period in which no region
    worsened (one outcome) has no average precision for the choice or the rule."""
    return served.dropna(subset=["average_precision", "rule_average_precision"])


def ranking(m: dict[str, float]) -> tuple[float, float]:
    """(average precision, ROC AUC) as the champion is chosen by: within each test period, averaged over the
    periods — a planner ranks the regions of one edition, never region-years of different editions against each
    other, which the pooled figures would reward (telling bad years from good ones); pooled where no period has
    both outcomes."""
    ap, auc = m.get("period_average_precision", math.nan), m.get("period_roc_auc", math.nan)
    return (ap, auc) if np.isfinite(ap) else (m["average_precision"], m.get("roc_auc", math.nan))


def choose_champion(metrics: dict[str, dict[str, float]]) -> str:
    """The candidate with the highest average precision within the test periods (to three decimals); ROC AUC
    breaks ties, and at a full tie a rule wins over a model (the simpler one)."""
    def key(k):
        ap, auc = ranking(metrics[k])
        return (round(ap, 3), round(auc, 3), k in RULES)
    return max(metrics, key=key)


# --- the served model -------------------------------------------------------------------------------------

@dataclass
class EarlyWarningModel:
    """The chosen candidate fitted on every known transition of one horizon, with its calibration, levels and
    the SHAP background; ``note`` says in German what was chosen and why."""

    kind: str
    model: object
    platt: Platt
    levels: Levels
    background: pd.DataFrame
    horizon: int
    outcome: str
    delta: float
    note: str = ""
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def features(self) -> list[str]:
        """The model's input columns."""
        return list(self.model.features_)

    @property
    def is_rule(self) -> bool:
        """True when a simple rule is served."""
        return self.kind in RULES

    @property
    def label(self) -> str:
        """The German name of the served method."""
        return MODEL_LABELS.get(self.kind, self.kind)

    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        """The candidate's raw score per row (higher: more at risk)."""
        return self.model.decision_function(X)

    def probability(self, X: pd.DataFrame) -> np.ndarray:
        """P(outcome); 0 where the outcome cannot happen (the worst class under the class outcome)."""
        p = self.platt(self.model.decision_function(X))
        if self.outcome == "class" and "worst_class" in X.columns:
            p = np.where(X["worst_class"].to_numpy(float) > 0, 0.0, p)
        return p

    def level(self, X: pd.DataFrame) -> np.ndarray:
        """The warning level per row."""
        return self.levels.of(self.probability(X))

    def shap(self, X: pd.DataFrame) -> pd.DataFrame:
        """Exact SHAP values per row against the stored background."""
        return self.model.shap(X, self.background)



def background_sample(X: pd.DataFrame, size: int = 50, seed: int = 0) -> pd.DataFrame:
    """Up to ``size`` rows of ``X`` drawn without replacement (the SHAP background)."""
    rng = np.random.default_rng(seed)
    if len(X) <= size:
        return X.copy()
    return X.iloc[np.sort(rng.choice(len(X), size, replace=False))].copy()


def champion_note(chosen: str, metrics: dict[str, dict[str, float]], horizon: int,
                  served: pd.DataFrame | None = None) -> str:
    """A German sentence saying what is served and whether a model beat the simple rules (average precision
    within each edition of the backtest, as the champion is chosen); where the champion chosen period by period
    (``served``, :func:`served_over_time`) fell behind the rule on average, a second sentence says so."""
    note = _champion_sentence(chosen, metrics, horizon)
    if served is not None:
        served = rankable(served)
    if served is not None and len(served) and chosen not in RULES:
        ap, rule = served["average_precision"].mean(), served["rule_average_precision"].mean()
        if ap < rule:
            behind = int((served["average_precision"] < served["rule_average_precision"]).sum())
            digits = 2      # as many decimals as tell the two apart ('0,43 gegenüber 0,43' would read as a tie)
            while digits < 4 and de(ap, digits) == de(rule, digits):
                digits += 1
            note += (f" Periode für Periode auf diese Weise gewählt, lag das jeweils gewählte Modell aber in "
                     f"{behind} von {len(served)} Perioden hinter der Regel (mittlere Average Precision "
                     f"{de(ap, digits)} gegenüber {de(rule, digits)}).")
    return note


def _champion_sentence(chosen: str, metrics: dict[str, dict[str, float]], horizon: int) -> str:
    rules = [k for k in metrics if k in RULES]
    best_rule = max(rules, key=lambda k: ranking(metrics[k])) if rules else None
    m = metrics[chosen]
    within = np.isfinite(m.get("period_average_precision", math.nan))
    ap = de(ranking(m)[0], 2)
    what = "mittlere Average Precision je Ausgabe" if within else "Average Precision"
    if chosen in RULES:
        return (f"Für {years_ahead(horizon)} voraus wird die einfache Regel „{RULE_NAMES[chosen]}“ verwendet: kein "
                f"gelerntes Modell war im Rückblick auf ungesehene Jahre treffsicherer ({what} {ap}).")
    if best_rule is None:
        return f"Für {years_ahead(horizon)} voraus: {MODEL_LABELS[chosen]} ({what} {ap} im Rückblick)."
    rule_ap = ranking(metrics[best_rule])[0]
    r = de(rule_ap, 2)
    prefix = "period_" if within else ""
    lo, hi = m.get(f"{prefix}average_precision_lo", math.nan), m.get(f"{prefix}average_precision_hi", math.nan)
    # a lead the backtest's own spread covers is said so: few worsenings leave the ranking of the two open
    close = (f"; der Vorsprung liegt innerhalb der Unsicherheit des Rückblicks (90-%-Intervall {de(lo, 2)} bis "
             f"{de(hi, 2)}, {int(round(m.get('positive_rate', 0) * m.get('n_transitions', 0)))} Verschlechterungen)"
             if np.isfinite(lo) and lo <= rule_ap else "")
    return (f"Für {years_ahead(horizon)} voraus: {MODEL_LABELS[chosen]}; im Rückblick auf ungesehene Jahre treffsicherer "
            f"als die beste einfache Regel „{RULE_NAMES[best_rule]}“ ({what} {ap} gegenüber {r}){close}.")


def fit_final(T: Transitions, chosen: str, cfg: BacktestConfig, metrics: dict[str, dict[str, float]],
              background_size: int = 50, served: pd.DataFrame | None = None) -> EarlyWarningModel:
    """The chosen candidate fitted on every known transition, calibrated and levelled out of fold; a level its
    backtest shows to miss its target on unseen periods is not served (:func:`vet_levels`)."""
    fitted = fit_candidates(T, T.known, replace(cfg, candidates=_needed(chosen, cfg.candidates)))[chosen]
    background = background_sample(T.X[T.known.to_numpy()], background_size, cfg.seed)
    levels = vet_levels(fitted.levels, metrics[chosen], cfg.confidence)
    return EarlyWarningModel(kind=chosen, model=fitted.model, platt=fitted.platt, levels=levels,
                             background=background, horizon=T.horizon, outcome=T.outcome, delta=cfg.delta,
                             note=champion_note(chosen, metrics, T.horizon, served), metrics=metrics)


def missing_inputs(model: EarlyWarningModel, T: Transitions, values: pd.DataFrame, catalog,
                   scored_share: float = 0.5, learned_share: float = 0.2) -> dict[str, list[str]]:
    """Inputs the model mostly had when it learned but that most regions lack in a period it scores after the last
    one with a known outcome (the latest editions, which the page shows): per such period, the indicator features
    (level or change) whose indicator has no value in at least ``scored_share`` of its rows while it lacked one in
    at most ``learned_share`` of the known transitions (INKAR 2022: the unemployment rate, missing only in 1995–1997). The inputs fill such a gap
    (from similar regions, else with the average), so the model scores regardless; what it does there was never
    checked on unseen years, and the note says so.
    ``values``: the feature values (region_id, indicator_id, period, value; a withheld value counts as one)."""
    features = {f: ind for f in model.features if f in T.X.columns and (ind := _indicator_of(f, catalog))}
    known = T.known.to_numpy()
    if not features or not known.any():
        return {}
    v = values[values["indicator_id"].isin(set(features.values()))]
    v = v[v["value"].notna() | (v["flag"] == "suppressed")] if "flag" in v.columns else v[v["value"].notna()]
    have = set(zip(v["region_id"].astype(str), v["indicator_id"], v["period"].astype(str)))
    regions = T.X.index.get_level_values("region_id").astype(str)
    periods = T.X.index.get_level_values("period").astype(str)
    lacking = pd.DataFrame({f: [(r, ind, p) not in have for r, p in zip(regions, periods)]
                            for f, ind in features.items()}, index=T.X.index)
    learned = lacking[known].mean()
    usual = learned.index[learned <= learned_share]
    out = {}
    last = max(periods[known])
    for period in sorted(p for p in set(periods[~known]) if p > last):
        gone = lacking.loc[periods == period, usual].mean()
        if hit := list(gone.index[gone >= scored_share]):
            out[period] = hit
    return out


def _needed(chosen: str, candidates: list[str]) -> list[str]:
    if chosen == "average":
        return [k for k in candidates if k not in RULES]
    return [chosen]


# --- planted deteriorations (synthetic counties) ----------------------------------------------------------

def flagged_before_onset(bt: pd.DataFrame, flagged, onsets: dict[str, int], window: int = 3) -> list[str]:
    """Regions of ``onsets`` (region → onset year of a known deterioration) flagged in one of the ``window``
    periods before their onset year."""
    year = bt["period"].astype(str).str[:4].astype(int).to_numpy()
    regions = bt["region_id"].to_numpy()
    hit = np.asarray(flagged, bool)
    return [r for r, onset in onsets.items()
            if (hit & (regions == r) & (year >= onset - window) & (year <= onset - 1)).any()]


def planted_goal(bt: pd.DataFrame, onsets: dict[str, int]) -> tuple[list[str], float]:
    """The planted deteriorations of a synthetic county flagged ('beobachten' or higher, as the backtest's
    levels say) in one of the three periods before their onset, and the precision over every flagged row."""
    flagged = bt["level"].isin(WARNING_LEVELS).to_numpy()
    precision = float(bt.loc[flagged, "y"].mean()) if flagged.any() else float("nan")
    return flagged_before_onset(bt, flagged, onsets), precision


def lead_times(bt: pd.DataFrame, flagged, horizon: int) -> list[int]:
    """For each region with a worsening, years between its first flag (at or before the transition that
    worsens) and the year the worsening shows (t + h of its first positive transition)."""
    out = []
    b = bt.assign(year=bt["period"].astype(str).str[:4].astype(int), flagged=np.asarray(flagged, bool))
    for _, g in b.groupby("region_id"):
        pos = g[g["y"] == 1]
        if pos.empty:
            continue
        first = int(pos["year"].min())
        early = g[g["flagged"] & (g["year"] <= first)]
        if not early.empty:
            out.append(first + horizon - int(early["year"].min()))
    return out


# --- warnings with explanations ---------------------------------------------------------------------------

WORST_CLASS_SENTENCE = ("Bereits in der ungünstigsten Statusklasse: eine weitere Verschlechterung der Klasse ist "
                        "nicht möglich; die Entwicklung zeigt der Statusindex.")


class _Facts:
    """Value, change and suppression of indicators per region and period, looked up from the feature values."""

    def __init__(self, values: pd.DataFrame, indicators: set[str]):
        v = values[values["indicator_id"].isin(indicators)]
        self.cells = dict(zip(zip(v["region_id"], v["indicator_id"], v["period"].astype(str)),
                              zip(v["value"].to_numpy(float), v["flag"])))

    def of(self, region: str, indicator: str, period: str, since: str, unit: str) -> dict:
        now = self.cells.get((region, indicator, period))
        before = self.cells.get((region, indicator, since))
        suppressed = now is not None and now[1] == "suppressed"
        value = float(now[0]) if now is not None and not suppressed and np.isfinite(now[0]) else None
        change = None
        if value is not None and before is not None and before[1] != "suppressed" and np.isfinite(before[0]):
            change = value - float(before[0])
        return {"value": value, "change": change, "unit": unit, "suppressed": bool(suppressed), "since": since}


def _indicator_of(feature: str, catalog) -> str | None:
    for prefix in (MODEL, DZ):
        name = id_of(feature, prefix)
        if name is not None and name in catalog:
            return name
    return None


def explain(model: EarlyWarningModel, X: pd.DataFrame, values: pd.DataFrame, catalog, dynamics_periods: int,
            edition_step: int, n_drivers: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Probability, level, score, SHAP base, German sentence and the strongest drivers of every row of ``X``
    (index region_id, period), and the SHAP values in long form (region_id, period, feature, contribution).

    A region in the worst class under the class outcome gets probability 0, level "keine" and a sentence that
    says why, without drivers. A suppressed value is never written in a sentence.
    """
    from models.explanations import (UNGRADED, by_dimension, driver_sentence, feature_dimension, feature_label,
                                     top_drivers)

    p = model.probability(X)
    levels = model.levels.of(p)
    score = model.decision_function(X)
    risk = ~((X["worst_class"].to_numpy(float) > 0) if model.outcome == "class" and "worst_class" in X.columns
             else np.zeros(len(X), bool))
    phi = model.shap(X[risk])
    dims = by_dimension(phi, catalog)
    base = pd.Series(score[risk] - phi.sum(axis=1).to_numpy(), index=phi.index)
    facts = _Facts(values, {i for f in phi.columns if (i := _indicator_of(f, catalog)) is not None})
    rows = []
    for i, (region, period) in enumerate(X.index):
        row = {"region_id": region, "period": str(period), "probability": float(p[i]), "level": str(levels[i]),
               "score": float(score[i])}
        if not risk[i]:
            rows.append({**row, "base": np.nan, "sentence": WORST_CLASS_SENTENCE, "drivers": "[]"})
            continue
        contrib = phi.loc[(region, period)]
        drivers = top_drivers(contrib, n_drivers)
        year = int(str(period)[:4])
        info = {}
        for f in drivers.index:
            ind = _indicator_of(f, catalog)
            if ind is not None:
                info[f] = facts.of(region, ind, str(period), str(year - dynamics_periods), catalog[ind].unit)
            else:
                value = float(X.at[(region, period), f])
                change = float(X.at[(region, period), "status_change_1"]) if f == "status_index" else None
                info[f] = {"value": value, "change": change, "unit": "Index", "since": str(year - edition_step)}
        listed = [{"feature": f, "label": feature_label(f, catalog), "dimension": feature_dimension(f, catalog),
                   "contribution": float(v)} for f, v in drivers.items()]
        rows.append({**row, "base": float(base.loc[(region, period)]),
                     "sentence": driver_sentence(drivers, info, catalog,
                                                 str(levels[i]) if model.levels.available else UNGRADED),
                     "drivers": json.dumps(listed, ensure_ascii=False),
                     **{column(DIM, d): float(dims.at[(region, period), d]) for d in dims.columns}})
    frame = pd.DataFrame(rows)
    long = phi.stack().rename("contribution").reset_index()
    long.columns = ["region_id", "period", "feature", "contribution"]
    return frame, long

"""Choosing an LVQ model's settings, and judging it against the classifiers an analyst would try first.

- :class:`SelectedLVQ` chooses prototypes per class, rank, regularisation and class weighting by an inner
  cross-validation on balanced accuracy, then fits the chosen setting on all its data. Cross-validating it is a
  nested cross-validation: every outer fold chooses again, on its own training part only.
- The rule does not chase noise: the best balanced accuracy, and among the settings within one standard error
  of it (over the inner folds) the most accurate; remaining ties go to the setting with the fewest parameters.
- :func:`compare` runs the same folds (repeated with new shuffles) for every candidate: the selected LVQ models,
  logistic regression (plain and balanced) and a random forest: accuracy, balanced accuracy, macro-F1, log loss
  and fit seconds.
- :func:`rejection_curve` and :func:`share_to_reject`: how many regions a person must look at so that the model
  is right on 95 % of the rest.
- :func:`relevance_stability`: whether the relevance profile stays the same across folds (rank correlation).
"""

from __future__ import annotations

import itertools
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score, log_loss
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.validation import check_is_fitted

from models.lvq import GLVQ, GMLVQ, LGMLVQ, calibration_slope, class_weights

KINDS = {"glvq": GLVQ, "gmlvq": GMLVQ, "lgmlvq": LGMLVQ}


def balanced_accuracy(y_true, y_pred) -> float:
    """The mean recall over the classes of ``y_true``. A prediction of a class that ``y_true`` lacks (a later
    period or a fold without the smallest class) is a plain error here; scikit-learn's warning about it is
    expected and not repeated to the user."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="y_pred contains classes not in y_true")
        return float(balanced_accuracy_score(y_true, y_pred))
IMBALANCE = 1.5
"""Classes count as imbalanced when the largest has more than this many times the regions of the smallest."""


def default_grid(kind: str, y, n_features: int) -> dict[str, list]:
    """The settings searched for ``kind``: prototypes per class 1–3; for the matrix variants rank 2 and full and
    regularisation 0 and 0.01; class weighting 'balanced' and 'balanced_sqrt' where the classes are imbalanced
    (:data:`IMBALANCE`), none otherwise."""
    counts = pd.Series(np.asarray(y)).value_counts()
    weights = ["balanced_sqrt", "balanced"] if counts.max() > IMBALANCE * counts.min() else [None]
    grid: dict[str, list] = {"prototypes_per_class": [1, 2, 3], "class_weight": weights}
    if kind != "glvq":
        grid["rank"] = sorted({min(2, n_features), None}, key=lambda r: (r is None, r))
        grid["regularization"] = [0.0, 0.01]
    return grid


def settings_of(grid: dict[str, list]) -> list[dict]:
    """Every combination of the grid's values, as keyword dictionaries."""
    keys = list(grid)
    return [dict(zip(keys, values)) for values in itertools.product(*(grid[k] for k in keys))]


def _size(params: dict, n_classes: int, n_features: int) -> int:
    """Number of free parameters of a setting (prototypes and Ω), for ties."""
    ppc = params.get("prototypes_per_class", 1)
    m = ppc * n_classes
    rank = params.get("rank") or n_features
    return m * n_features + rank * n_features


def _fold_scores(kind: str, base: dict, params: dict, X, y, splits) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Accuracy and balanced accuracy per inner fold, and the out-of-fold margins of one setting."""
    margins = np.zeros((len(y), len(np.unique(y))))
    acc, bal = [], []
    for train, test in splits:
        model = KINDS[kind](**{**base, **params}).fit(X[train], y[train])
        margins[test] = model.margins(X[test])
        pred = model.classes_[margins[test].argmin(axis=1)]
        acc.append(accuracy_score(y[test], pred))
        bal.append(balanced_accuracy(y[test], pred))
    return np.asarray(acc), np.asarray(bal), margins


def choose(table: pd.DataFrame) -> int:
    """Row of ``table`` (columns balanced_accuracy, balanced_accuracy_se, accuracy, n_parameters) the rule picks:
    within one standard error of the best balanced accuracy, the most accurate, then the smallest."""
    best = table["balanced_accuracy"].idxmax()
    near = table[table["balanced_accuracy"] >= table.at[best, "balanced_accuracy"] - table.at[best, "balanced_accuracy_se"]]
    near = near.sort_values(["accuracy", "n_parameters"], ascending=[False, True], kind="stable")
    return int(near.index[0])


class SelectedLVQ(ClassifierMixin, BaseEstimator):
    """An LVQ model whose settings are chosen by inner cross-validation on balanced accuracy.

    Parameters
    ----------
    kind : {'glvq', 'gmlvq', 'lgmlvq'}, default='gmlvq'
    grid : dict or None
        Setting → list of values (keyword arguments of the LVQ class); None: :func:`default_grid`.
    folds : int, default=5
        Inner folds (fewer when the smallest class has fewer regions).
    beta : float, default=5.0
        Slope of the cost's logistic for every fit: steeper than the LVQ classes' 2.0, so that the cost counts
        errors more than it rewards wide margins (better balanced accuracy on the real tasks measured).
    max_iter, random_state
        Passed to every fit.
    n_jobs : int, default=1
        Settings scored in parallel (joblib).

    Attributes
    ----------
    best_params_ : dict, the chosen setting
    search_ : DataFrame, one row per setting: its values, accuracy, balanced accuracy (mean and standard error
        over the inner folds), n_parameters, chosen
    model_ : the LVQ model with the chosen setting fitted on all data; its calibration (the slope and the
        multinomial calibration, weighted like the setting's classes) fitted on the inner out-of-fold margins
    classes_ : ndarray
    """

    def __init__(self, kind="gmlvq", grid=None, folds=5, beta=5.0, max_iter=2500, random_state=0, n_jobs=1):
        self.kind = kind
        self.grid = grid
        self.folds = folds
        self.beta = beta
        self.max_iter = max_iter
        self.random_state = random_state
        self.n_jobs = n_jobs

    def fit(self, X, y):
        """Score every setting by the inner cross-validation, choose one, fit it on all of ``X``, calibrate it."""
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}; got {self.kind!r}")
        X = np.asarray(X, dtype=float)
        y = np.asarray(y)
        counts = pd.Series(y).value_counts()
        folds = int(min(self.folds, counts.min()))
        if folds < 2:
            raise ValueError(f"class {counts.idxmin()!r} has a single region; the inner cross-validation needs two")
        grid = self.grid if self.grid is not None else default_grid(self.kind, y, X.shape[1])
        candidates = settings_of(grid)
        base = {"beta": self.beta, "max_iter": self.max_iter, "random_state": self.random_state}
        splits = list(StratifiedKFold(folds, shuffle=True, random_state=self.random_state).split(X, y))
        if self.n_jobs == 1 or len(candidates) == 1:
            results = [_fold_scores(self.kind, base, p, X, y, splits) for p in candidates]
        else:
            from joblib import Parallel, delayed

            results = Parallel(n_jobs=self.n_jobs)(delayed(_fold_scores)(self.kind, base, p, X, y, splits)
                                                   for p in candidates)
        n_classes = len(counts)
        rows = [{**{k: ("voll" if k == "rank" and v is None else v) for k, v in p.items()},
                 "accuracy": float(acc.mean()), "balanced_accuracy": float(bal.mean()),
                 "balanced_accuracy_se": float(bal.std(ddof=1) / np.sqrt(len(bal))) if len(bal) > 1 else 0.0,
                 "n_parameters": _size(p, n_classes, X.shape[1])}
                for p, (acc, bal, _) in zip(candidates, results)]
        table = pd.DataFrame(rows)
        pick = choose(table)
        table["chosen"] = table.index == pick
        self.search_ = table
        self.best_params_ = dict(candidates[pick])
        self.model_ = KINDS[self.kind](**{**base, **self.best_params_}).fit(X, y)
        margins = results[pick][2]
        y_idx = np.searchsorted(self.model_.classes_, y)
        self.model_.calibration_slope_ = calibration_slope(margins, y_idx)
        weight = self.best_params_.get("class_weight")
        self.model_.calibrate_on(margins, y_idx, None if weight is None else
                                 class_weights(weight, self.model_.classes_, y_idx)[y_idx])
        self.classes_ = self.model_.classes_
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X):
        """The chosen model's classes."""
        check_is_fitted(self, "model_")
        return self.model_.predict(np.asarray(X, dtype=float))

    def predict_proba(self, X):
        """The chosen model's calibrated class probabilities."""
        check_is_fitted(self, "model_")
        return self.model_.predict_proba(np.asarray(X, dtype=float))


def baselines(seed: int = 0) -> dict:
    """The classifiers an analyst would try first (German display name → unfitted estimator)."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression

    return {"Logistische Regression": LogisticRegression(max_iter=5000),
            "Logistische Regression (balanciert)": LogisticRegression(max_iter=5000, class_weight="balanced"),
            "Random Forest (300 Bäume)": RandomForestClassifier(n_estimators=300, random_state=seed)}


@dataclass
class Comparison:
    """The outcome of :func:`compare`.

    ``table``: one row per model with mean and standard deviation over the repeats of accuracy,
    balanced_accuracy, macro_f1, log_loss and fit_seconds (per fit); ``runs``: one row per model and repeat;
    ``proba``: model → out-of-fold probabilities of the first repeat (columns ``classes``); ``fitted``: model →
    the estimators fitted in the first repeat's folds (for relevances and chosen settings); ``splits``: those
    folds as (train, test) row positions."""
    table: pd.DataFrame
    runs: pd.DataFrame
    proba: dict[str, np.ndarray]
    classes: np.ndarray
    fitted: dict[str, list]
    splits: list = field(default_factory=list)


METRICS = ("accuracy", "balanced_accuracy", "macro_f1", "log_loss", "fit_seconds")


def compare(X, y, models: dict, folds: int = 5, repeats: int = 1, seed: int = 0,
            progress=None) -> Comparison:
    """Every model of ``models`` (name → unfitted estimator with ``predict_proba``) on the same stratified folds,
    ``repeats`` times with the shuffles ``seed``, ``seed`` + 1, …; ``progress(done, total)`` after each fit."""
    X = np.asarray(X, dtype=float)
    y = np.asarray(y).astype(str)
    classes = np.unique(y)
    counts = pd.Series(y).value_counts()
    folds = int(min(folds, counts.min()))
    if folds < 2:
        raise ValueError(f"class {counts.idxmin()!r} has a single region; cross-validation needs two")
    runs, proba, fitted, first = [], {}, {}, []
    total, done = repeats * folds * len(models), 0
    for r in range(repeats):
        splits = list(StratifiedKFold(folds, shuffle=True, random_state=seed + r).split(X, y))
        first = first or splits
        for name, template in models.items():
            P = np.zeros((len(y), len(classes)))
            seconds, kept = [], []
            for train, test in splits:
                model = clone(template)
                t0 = time.perf_counter()
                model.fit(X[train], y[train])
                seconds.append(time.perf_counter() - t0)
                cols = np.searchsorted(classes, model.classes_)
                P[np.ix_(test, cols)] = model.predict_proba(X[test])
                kept.append(model)
                done += 1
                if progress is not None:
                    progress(done, total)
            pred = classes[P.argmax(axis=1)]
            runs.append({"model": name, "repeat": r, "accuracy": accuracy_score(y, pred),
                         "balanced_accuracy": balanced_accuracy(y, pred),
                         "macro_f1": f1_score(y, pred, average="macro"),
                         "log_loss": log_loss(y, np.clip(P, 1e-15, 1), labels=classes),
                         "fit_seconds": float(np.mean(seconds))})
            if r == 0:
                proba[name], fitted[name] = P, kept
    runs = pd.DataFrame(runs)
    g = runs.groupby("model", sort=False)[list(METRICS)]
    table = g.mean().join(g.std(ddof=1).fillna(0.0), rsuffix="_sd").reset_index()
    return Comparison(table, runs, proba, classes, fitted, first)


def later_period(X_fit, y_fit, X_later, y_later, models: dict, progress=None) -> pd.DataFrame:
    """Every model of ``models`` fitted on one period (``X_fit``, ``y_fit``) and judged on a later one it never
    saw (``X_later``, ``y_later``) — the way its users meet it. One row per model: accuracy, balanced_accuracy,
    macro_f1, log_loss (over the classes of both periods; a class the fit never saw counts as probability 0) and
    fit_seconds; ``progress(done, total)`` after each fit."""
    X_fit, X_later = np.asarray(X_fit, dtype=float), np.asarray(X_later, dtype=float)
    y_fit, y_later = np.asarray(y_fit).astype(str), np.asarray(y_later).astype(str)
    classes = np.union1d(np.unique(y_fit), np.unique(y_later))
    rows = []
    for done, (name, template) in enumerate(models.items(), start=1):
        model = clone(template)
        t0 = time.perf_counter()
        model.fit(X_fit, y_fit)
        seconds = time.perf_counter() - t0
        P = np.zeros((len(y_later), len(classes)))
        P[:, np.searchsorted(classes, np.asarray(model.classes_).astype(str))] = model.predict_proba(X_later)
        pred = classes[P.argmax(axis=1)]
        rows.append({"model": name, "accuracy": accuracy_score(y_later, pred),
                     "balanced_accuracy": balanced_accuracy(y_later, pred),
                     "macro_f1": f1_score(y_later, pred, average="macro"),
                     "log_loss": log_loss(y_later, np.clip(P, 1e-15, 1), labels=classes), "fit_seconds": seconds})
        if progress is not None:
            progress(done, len(models))
    return pd.DataFrame(rows)


def rejection_curve(proba: np.ndarray, y, classes: np.ndarray, steps: int = 20) -> pd.DataFrame:
    """Accuracy on the regions kept when the least certain share is left to a person: columns ``rejected``
    (share, 0 … 0.95) and ``accuracy``, ``kept``. Certainty is the highest class probability."""
    y = np.asarray(y).astype(str)
    order = np.argsort(-proba.max(axis=1), kind="stable")
    right = (classes[proba.argmax(axis=1)] == y)[order]
    n = len(y)
    rows = []
    for share in np.arange(steps) / steps:
        keep = max(1, int(round(n * (1 - share))))
        rows.append({"rejected": float(share), "kept": keep, "accuracy": float(right[:keep].mean())})
    return pd.DataFrame(rows)


def share_to_reject(proba: np.ndarray, y, classes: np.ndarray, target: float = 0.95) -> float | None:
    """The smallest share of regions (the least certain first) to leave to a person so that the model is right on
    at least ``target`` of the rest; None when even the most certain region alone does not reach it."""
    y = np.asarray(y).astype(str)
    order = np.argsort(-proba.max(axis=1), kind="stable")
    right = (classes[proba.argmax(axis=1)] == y)[order].astype(float)
    accuracy = np.cumsum(right) / np.arange(1, len(y) + 1)     # accuracy when keeping the first k+1
    ok = np.flatnonzero(accuracy >= target)
    if len(ok) == 0:
        return None
    return float(1 - (ok.max() + 1) / len(y))


def relevance_stability(relevances: list[np.ndarray], top: int | None = None) -> float:
    """Mean Spearman rank correlation of the relevance profiles over all pairs of folds (1: the same order); with
    ``top``, over the ``top`` indicators of the highest mean relevance only (the ones a planner reads)."""
    from scipy.stats import spearmanr

    R = np.asarray(relevances, dtype=float)
    if top is not None:
        R = R[:, np.argsort(-R.mean(axis=0), kind="stable")[:top]]
    pairs = [spearmanr(a, b)[0] for a, b in itertools.combinations(R, 2)]
    return float(np.mean(pairs)) if pairs else float("nan")

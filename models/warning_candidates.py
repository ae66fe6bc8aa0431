"""The early-warning candidates, each with the same contract: ``fit(X, y, change)`` returns the fitted
candidate; ``decision_function(X)`` a score per row (higher: more at risk; calibrated to a probability by
:class:`models.early_warning.Platt`); ``shap(X, background)`` exact SHAP values, a frame over ``features_``
whose rows sum to the score minus a base (the background's mean score; for trees their expected output);
``state()`` and ``from_state`` write and read it as JSON metadata plus plain arrays (nothing pickled).

* :class:`BoundaryRule`, :class:`DynamicsRule`: the two simple rules a planner could use instead;
* :class:`IndexForecast`: a Gaussian predictive distribution of the status index change (ridge regression on
  standardised inputs, its penalty chosen on whole unseen periods);
* :class:`WarningGMLVQ`: GMLVQ on standardised inputs (a ``Pipeline`` of ``StandardScaler`` and GMLVQ);
* :class:`WarningTrees`: gradient-boosted trees;
* :class:`Average`: the mean of the calibrated log-odds of the learned candidates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from threadpoolctl import threadpool_limits

from models.explanations import gmlvq_score_shap, tree_shap
from models.lvq import GMLVQ

OUTCOMES = ("class", "index_rise")
INDEX_COLUMNS = ["status_index", "dynamics_index", "status_change_1", "status_change_2", "status_trend"]
"""The index forecast's default inputs: the status index, the dynamics index and the index's changes and trend."""


class EarlyWarningError(ValueError):
    """Inputs that do not allow an early-warning model (no transitions, a single outcome …). ``ending``: where too
    few earlier transitions allow a backtest, the worsenings by the year they end in (year → count), so that a
    caller can say it in its own words."""

    def __init__(self, message: str, ending: dict[int, int] | None = None) -> None:
        super().__init__(message)
        self.ending = dict(ending or {})


def outcome_distance(X: pd.DataFrame, outcome: str, delta: float) -> np.ndarray:
    """How far the status index must rise for the outcome to happen (inf: it cannot)."""
    worst = X["worst_class"].to_numpy(bool) if "worst_class" in X.columns else np.zeros(len(X), bool)
    d = np.where(worst, np.inf, X["boundary_distance"].to_numpy(float))
    return np.minimum(d, delta) if outcome == "index_rise" else d


def _scale(std: np.ndarray) -> np.ndarray:
    """Standard deviations to divide by: a constant column (std 0) is left unscaled."""
    return np.where(std > 0, std, 1.0)


def _ridge(A: np.ndarray, t: np.ndarray, mean: np.ndarray, std: np.ndarray, alphas) -> list[tuple[float, np.ndarray]]:
    """Intercept and coefficients of the ridge regression of ``t`` on the standardised ``A`` for each penalty
    (one singular value decomposition for all; ``inf`` gives the mean alone)."""
    Z = (A - mean) / std
    b = float(t.mean())
    U, s, Vt = np.linalg.svd(Z, full_matrices=False)
    Ut = U.T @ (t - b)
    out = []
    for a in alphas:
        w = np.zeros(A.shape[1]) if np.isinf(a) else Vt.T @ (s / (s ** 2 + a) * Ut)
        out.append((b, w))
    return out


# --- candidates -------------------------------------------------------------------------------------------

class _Rule:
    learned = False
    column = ""
    sign = 1.0

    def __init__(self, **_):
        self.features_ = [self.column]

    def fit(self, X, y=None, change=None):
        return self

    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        return self.sign * X[self.column].to_numpy(float)

    def shap(self, X: pd.DataFrame, background: pd.DataFrame) -> pd.DataFrame:
        s = self.decision_function(X) - self.decision_function(background).mean()
        return pd.DataFrame({self.column: s}, index=X.index)

    def state(self):
        return {}, {}

    @classmethod
    def from_state(cls, meta, arrays):
        return cls()


class BoundaryRule(_Rule):
    """Closeness to the next worse class boundary: score = −distance (the worst class is not at risk)."""

    kind, column, sign = "boundary", "boundary_distance", -1.0


class DynamicsRule(_Rule):
    """The official dynamics index at t."""

    kind, column, sign = "dynamics", "dynamics_index", 1.0


class IndexForecast(BaseEstimator):
    """A Gaussian predictive distribution of the status index change over the horizon.

    μ(x) = b + wᵀx̃ (ridge regression on standardised ``columns``, default the index level, dynamics index,
    the index changes over one and two editions and its trend), σ the residual spread (degrees of freedom
    corrected). Score z = (μ(x) − distance(x)) / σ, so P(outcome) = Φ(z); z is linear in the inputs and its SHAP
    values are exact: wⱼ(x̃ⱼ − mean x̃ⱼ)/σ, and −(distance − mean distance)/σ for the boundary distance.

    The penalty is chosen by **leave-one-period-out** error (rows of ``X`` carry their period in the index level
    ``period``): the transitions of one period share its shocks — a labour-market reform, a census, a new
    method —, so a penalty chosen by leaving out single rows keeps patterns of one period that the next one does
    not repeat. "No dynamics" (an infinite penalty: a constant mean change) is among the choices, and is taken
    where fewer than two periods are known; the candidate then orders the regions exactly like the boundary rule.
    """

    kind = "index_forecast"
    learned = True

    alphas = tuple(np.logspace(-1, 4, 11))

    def __init__(self, columns: list[str] | None = None, outcome: str = "class", delta: float = 0.5):
        self.columns, self.outcome, self.delta = columns, outcome, delta

    def fit(self, X: pd.DataFrame, y, change) -> "IndexForecast":
        """Fit the ridge regression of the index change over h on the inputs and its residual spread."""
        cols = [c for c in (self.columns or INDEX_COLUMNS) if c in X.columns]
        self.cols_ = cols
        self.features_ = cols + (["boundary_distance"] if "boundary_distance" not in cols else [])
        A = X[cols].to_numpy(float)
        t = np.asarray(change, float)
        ok = np.isfinite(t)
        if "period" not in (X.index.names or []):
            raise EarlyWarningError("the index forecast needs each transition's period (index level 'period') to "
                                    "choose its penalty on whole unseen periods")
        periods = X.index.get_level_values("period").to_numpy()
        A, t, periods = A[ok], t[ok], periods[ok]
        if len(t) <= len(cols) + 1:
            raise EarlyWarningError(f"the index forecast needs more than {len(cols) + 1} transitions; got {len(t)}")
        self.alpha_ = self.period_penalty(A, t, periods)
        self.mean_, self.std_ = A.mean(axis=0), _scale(A.std(axis=0))
        self.intercept_, self.coef_ = _ridge(A, t, self.mean_, self.std_, [self.alpha_])[0]
        resid = t - self.intercept_ - ((A - self.mean_) / self.std_) @ self.coef_
        self.sigma_ = max(float(np.sqrt((resid ** 2).sum() / max(len(t) - len(cols) - 1, 1))), 1e-6)
        return self

    def period_penalty(self, A: np.ndarray, t: np.ndarray, periods: np.ndarray) -> float:
        """The penalty (``inf``: no dynamics) chosen on whole unseen periods: each period's squared error when
        fitted on the others, summed; then, by the one-standard-error rule, the largest penalty whose total is
        within one standard error of the least (the spread of its per-period differences to the best): dynamics
        are kept only where the periods left out show them to help by more than their own noise. ``inf`` with
        fewer than two periods."""
        choices = [*self.alphas, np.inf]
        labels = np.unique(periods)
        if len(labels) < 2:
            return np.inf
        loss = np.zeros((len(labels), len(choices)))
        for k, label in enumerate(labels):
            out = periods == label
            mean, std = A[~out].mean(axis=0), _scale(A[~out].std(axis=0))
            Z = (A[out] - mean) / std
            for i, (b, w) in enumerate(_ridge(A[~out], t[~out], mean, std, choices)):
                loss[k, i] = float(((t[out] - b - Z @ w) ** 2).sum())
        best = int(np.argmin(loss.sum(axis=0)))
        diff = loss - loss[:, [best]]                        # per period, each choice against the best
        se = diff.std(axis=0, ddof=1) * np.sqrt(len(labels))
        near = np.flatnonzero(diff.sum(axis=0) <= se)        # choices are ordered by penalty, inf last
        return float(choices[int(near.max())])

    def mean_change(self, X: pd.DataFrame) -> np.ndarray:
        """The predicted change of the status index over the horizon, per row."""
        Z = (X[self.cols_].to_numpy(float) - self.mean_) / self.std_
        return self.intercept_ + Z @ self.coef_

    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        """The log-odds that the index crosses the next worse boundary (or rises by δ) within h."""
        d = outcome_distance(X, self.outcome, self.delta)
        d = np.where(np.isfinite(d), d, 1e3)
        return (self.mean_change(X) - d) / self.sigma_

    def probability(self, X: pd.DataFrame) -> np.ndarray:
        """P(outcome) under the Gaussian predictive distribution (before calibration)."""
        from scipy.stats import norm

        return norm.cdf(self.decision_function(X))

    def shap(self, X: pd.DataFrame, background: pd.DataFrame) -> pd.DataFrame:
        """Exact SHAP values of the linear predicted change (the boundary term is the index's own)."""
        Zx = (X[self.cols_].to_numpy(float) - self.mean_) / self.std_
        Zb = (background[self.cols_].to_numpy(float) - self.mean_) / self.std_
        phi = pd.DataFrame((Zx - Zb.mean(axis=0)) * self.coef_ / self.sigma_, index=X.index, columns=self.cols_)
        dx = outcome_distance(X, self.outcome, self.delta)
        db = outcome_distance(background, self.outcome, self.delta)
        dx, db = np.where(np.isfinite(dx), dx, 1e3), np.where(np.isfinite(db), db, 1e3)
        bd = -(dx - db.mean()) / self.sigma_
        phi["boundary_distance"] = phi.get("boundary_distance", 0.0) + bd
        return phi[self.features_]

    def state(self):
        """The fitted model as JSON metadata and plain arrays."""
        meta = {"cols": self.cols_, "outcome": self.outcome, "delta": self.delta,
                "alpha": self.alpha_ if np.isfinite(self.alpha_) else None,
                "intercept": self.intercept_, "sigma": self.sigma_}
        return meta, {"mean": self.mean_, "std": self.std_, "coef": self.coef_}

    @classmethod
    def from_state(cls, meta, arrays):
        """The model from :meth:`state`'s metadata and arrays."""
        m = cls(columns=meta["cols"], outcome=meta["outcome"], delta=meta["delta"])
        m.cols_, m.alpha_ = meta["cols"], np.inf if meta["alpha"] is None else meta["alpha"]
        m.features_ = m.cols_ + (["boundary_distance"] if "boundary_distance" not in m.cols_ else [])
        m.intercept_, m.sigma_ = meta["intercept"], meta["sigma"]
        m.mean_, m.std_, m.coef_ = arrays["mean"], arrays["std"], arrays["coef"]
        return m


class WarningGMLVQ(BaseEstimator):
    """GMLVQ on standardised features (a ``Pipeline`` of ``StandardScaler`` and :class:`models.lvq.GMLVQ`), two
    classes; decision_function = d(x, w₀) − d(x, w₁) in the learned metric (higher: more at risk)."""

    kind = "gmlvq"
    learned = True

    def __init__(self, columns: list[str] | None = None, regularization: float = 0.01, seed: int = 0):
        self.columns, self.regularization, self.seed = columns, regularization, seed

    def fit(self, X: pd.DataFrame, y, change=None) -> "WarningGMLVQ":
        """Standardise the features and fit a two-class GMLVQ (balanced class weights)."""
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import StandardScaler

        self.features_ = list(self.columns or X.columns)
        self.pipeline_ = Pipeline([
            ("scale", StandardScaler()),
            ("gmlvq", GMLVQ(class_weight="balanced", regularization=self.regularization, random_state=self.seed))])
        self.pipeline_.fit(X[self.features_].to_numpy(float), np.asarray(y).astype(int))
        scaler, model = self.pipeline_.named_steps["scale"], self.pipeline_.named_steps["gmlvq"]
        self.mean_, self.std_ = scaler.mean_, scaler.scale_
        labels = model.classes_[model.prototype_labels_]
        self.w0_ = model.prototypes_[labels == 0][0]
        self.w1_ = model.prototypes_[labels == 1][0]
        self.lambda_ = model.lambda_
        return self

    def _z(self, X: pd.DataFrame) -> np.ndarray:
        return (X[self.features_].to_numpy(float) - self.mean_) / self.std_

    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        """d(x, w₀) − d(x, w₁) in the learned metric: higher means closer to the worsening prototype."""
        Z = self._z(X)
        d0 = np.einsum("nd,de,ne->n", Z - self.w0_, self.lambda_, Z - self.w0_)
        d1 = np.einsum("nd,de,ne->n", Z - self.w1_, self.lambda_, Z - self.w1_)
        return d0 - d1

    def shap(self, X: pd.DataFrame, background: pd.DataFrame) -> pd.DataFrame:
        """Exact SHAP values of ``score`` (a feature's own scale cancels in the sum)."""
        phi = gmlvq_score_shap(self._z(X), self._z(background), self.lambda_, self.w0_, self.w1_)
        return pd.DataFrame(phi, index=X.index, columns=self.features_)

    def state(self):
        """The fitted model as JSON metadata and plain arrays."""
        return ({"features": self.features_, "regularization": self.regularization, "seed": self.seed},
                {"mean": self.mean_, "std": self.std_, "w0": self.w0_, "w1": self.w1_, "lam": self.lambda_})

    @classmethod
    def from_state(cls, meta, arrays):
        """The model from :meth:`state`'s metadata and arrays."""
        m = cls(columns=meta["features"], regularization=meta["regularization"], seed=meta["seed"])
        m.features_ = meta["features"]
        m.mean_, m.std_, m.w0_, m.w1_, m.lambda_ = (arrays[k] for k in ("mean", "std", "w0", "w1", "lam"))
        return m


class WarningTrees(BaseEstimator):
    """Gradient-boosted trees; score = the log-odds output. Unweighted: the calibration sets the level of the
    probabilities, and class weights make scikit-learn's histogram trees about 25 times slower."""

    kind = "gbt"
    learned = True

    def __init__(self, columns: list[str] | None = None, seed: int = 0):
        self.columns, self.seed = columns, seed

    def fit(self, X: pd.DataFrame, y, change=None) -> "WarningTrees":
        """Fit the histogram gradient-boosted trees on the features."""
        from sklearn.ensemble import HistGradientBoostingClassifier

        self.features_ = list(self.columns or X.columns)
        self.model_ = HistGradientBoostingClassifier(max_iter=100, learning_rate=0.05, max_leaf_nodes=8,
                                                     min_samples_leaf=10, l2_regularization=1.0,
                                                     random_state=self.seed)
        # a few hundred rows: OpenMP threads cost more than they give (measured 2x slower on two cores)
        with threadpool_limits(limits=1):
            self.model_.fit(X[self.features_].to_numpy(float), np.asarray(y).astype(int))
        return self

    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        """The trees' log-odds output per row."""
        with threadpool_limits(limits=1):
            return self.model_.decision_function(X[self.features_].to_numpy(float))

    def shap(self, X: pd.DataFrame, background: pd.DataFrame) -> pd.DataFrame:
        # path-dependent Tree SHAP starts from the trees' expected output, not from the background's mean
        """Path-dependent Tree SHAP values per row and feature."""
        phi = tree_shap(self.model_, X[self.features_].to_numpy(float))[0]
        return pd.DataFrame(phi, index=X.index, columns=self.features_)

    def state(self):
        """The fitted trees serialised with skops, as metadata and a byte array."""
        import skops.io

        blob = np.frombuffer(skops.io.dumps(self.model_), dtype=np.uint8)
        return {"features": self.features_, "seed": self.seed}, {"skops": blob}

    @classmethod
    def from_state(cls, meta, arrays):
        """The trees from :meth:`state` (skops, trusting scikit-learn's own types only)."""
        from models.packaging import sklearn_from_skops

        m = cls(columns=meta["features"], seed=meta["seed"])
        m.features_ = meta["features"]
        m.model_ = sklearn_from_skops(arrays["skops"].tobytes(), "the early warning's trees")
        return m


class Average:
    """Mean of the components' calibrated log-odds a·s + b; SHAP is the same mean of a·φ (exact)."""

    kind = "average"
    learned = True

    def __init__(self, components: list[tuple[object, object]]):
        self.components = components
        feats: list[str] = []
        for model, _ in components:
            feats += [f for f in model.features_ if f not in feats]
        self.features_ = feats

    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        """The mean of the components' calibrated log-odds."""
        return np.mean([platt.a * m.decision_function(X) + platt.b for m, platt in self.components], axis=0)

    def shap(self, X: pd.DataFrame, background: pd.DataFrame) -> pd.DataFrame:
        """The same mean of the components' scaled SHAP values (exact)."""
        total = pd.DataFrame(0.0, index=X.index, columns=self.features_)
        for m, platt in self.components:
            total[m.features_] += platt.a * m.shap(X, background) / len(self.components)
        return total


CANDIDATES = {"boundary": BoundaryRule, "dynamics": DynamicsRule, "index_forecast": IndexForecast,
              "gmlvq": WarningGMLVQ, "gbt": WarningTrees}

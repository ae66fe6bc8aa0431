"""Typology of social spaces (Sozialraumtypen): clustering of region profiles with stable type labels.

Methods: k-means, Ward (agglomerative) and a Gaussian mixture (a prototype-based soft method). The
number of types is chosen over a range by the mean silhouette (k-means, Ward) or the BIC (mixture);
both the criterion and the scores are kept. After a refit (next year's profiles), new prototypes are
matched to the previous ones by a Hungarian assignment so that type numbers stay put, and a region
changes type only when its profile moves to another prototype.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.metrics import silhouette_score
from sklearn.mixture import GaussianMixture
from sklearn.utils.validation import check_is_fitted, validate_data

from ml.formatting import de

METHODS = ("kmeans", "ward", "gmm")


class Typology(ClusterMixin, BaseEstimator):
    """Sozialraumtypen from region profiles.

    Parameters
    ----------
    method : {'kmeans', 'ward', 'gmm'}, default='kmeans'
    k_min, k_max : int, default=3, 8
        Range of the number of types searched.
    criterion : {'silhouette', 'bic'} or None, default=None
        None: silhouette for k-means and Ward, BIC for the Gaussian mixture.
    random_state : int or None

    Attributes
    ----------
    n_types_ : int, the chosen number of types
    scores_ : dict {k: score} of the criterion over the range
    prototypes_ : ndarray of shape (n_types, n_features), the mean profile of each type
    labels_ : ndarray of shape (n_samples,), type numbers 1..n_types of the training regions

    Examples
    --------
    >>> import numpy as np
    >>> from models.typology import Typology
    >>> X = np.r_[np.zeros((10, 2)), np.ones((10, 2)) * 5, [[0, 5]] * 10] + np.random.default_rng(0).normal(0, .1, (30, 2))
    >>> Typology(k_min=2, k_max=4, random_state=0).fit(X).n_types_
    3
    """

    def __init__(self, method="kmeans", k_min=3, k_max=8, criterion=None, random_state=None):
        self.method = method
        self.k_min = k_min
        self.k_max = k_max
        self.criterion = criterion
        self.random_state = random_state

    def _criterion(self) -> str:
        if self.criterion is not None:
            return self.criterion
        return "bic" if self.method == "gmm" else "silhouette"

    def _check(self, n_samples: int) -> None:
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}; got {self.method!r}")
        if self._criterion() not in ("silhouette", "bic"):
            raise ValueError(f"criterion must be 'silhouette' or 'bic'; got {self.criterion!r}")
        if self._criterion() == "bic" and self.method != "gmm":
            raise ValueError("criterion 'bic' needs method 'gmm'")
        for name in ("k_min", "k_max"):
            value = getattr(self, name)
            if not (isinstance(value, numbers.Integral) and value >= 2):
                raise ValueError(f"{name} must be an integer >= 2; got {value!r}")
        if self.k_min > self.k_max:
            raise ValueError(f"k_min ({self.k_min}) must not exceed k_max ({self.k_max})")
        if n_samples <= self.k_min:
            raise ValueError(f"need more regions than k_min={self.k_min}; got {n_samples} "
                             f"sample{'' if n_samples == 1 else 's'}")

    def _cluster(self, X: np.ndarray, k: int) -> tuple[np.ndarray, object]:
        if self.method == "kmeans":
            model = KMeans(n_clusters=k, n_init=10, random_state=self.random_state).fit(X)
            return model.labels_, model
        if self.method == "ward":
            model = AgglomerativeClustering(n_clusters=k, linkage="ward").fit(X)
            return model.labels_, model
        model = GaussianMixture(n_components=k, covariance_type="diag", n_init=3,
                                random_state=self.random_state).fit(X)
        return model.predict(X), model

    def fit(self, X, y=None, previous: "Typology | None" = None):
        """Choose the number of types, cluster, and number the types (matched to ``previous`` if given).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), complete profiles (impute first)
        previous : Typology, optional
            Last year's fitted typology on the same features: its number of types and its type numbers are
            kept (the number of types is chosen when a typology is set up, not anew each year, where a
            small change in the criterion would renumber every region).
        """
        X = validate_data(self, X, dtype=np.float64)
        self._check(X.shape[0])
        k_max = min(self.k_max, X.shape[0] - 1)
        ks = range(self.k_min, k_max + 1) if previous is None else [previous.n_types_]
        scores, fits = {}, {}
        for k in ks:
            labels, model = self._cluster(X, k)
            if len(np.unique(labels)) < 2:
                continue
            scores[k] = (float(silhouette_score(X, labels)) if self._criterion() == "silhouette"
                         else float(model.bic(X)))
            fits[k] = (labels, model)
        if not scores:
            raise ValueError("no clustering with at least two types was found in the range")
        best = (max(scores, key=scores.get) if self._criterion() == "silhouette" else min(scores, key=scores.get))
        labels, model = fits[best]
        self.scores_ = scores
        self.n_types_ = int(best)
        self.model_ = model
        prototypes = np.vstack([X[labels == c].mean(axis=0) for c in range(best)])
        order = self._numbering(prototypes, previous)
        self.prototypes_ = prototypes[order]
        remap = np.empty(best, dtype=int)
        remap[order] = np.arange(best)
        self._cluster_to_type = remap
        self.labels_ = remap[labels] + 1
        return self

    def _numbering(self, prototypes: np.ndarray, previous: "Typology | None") -> np.ndarray:
        """Order of the new clusters as types 1..k: matched to the previous prototypes (Hungarian, Euclidean
        distance) where possible, the rest after them by size of their first feature sum."""
        k = len(prototypes)
        if previous is None:
            return np.argsort(-prototypes.sum(axis=1), kind="stable")
        old = previous.prototypes_
        cost = ((prototypes[:, None, :] - old[None, :, :]) ** 2).sum(axis=2)
        rows, cols = linear_sum_assignment(cost)
        order = np.full(max(k, len(old)), -1)
        for r, c in zip(rows, cols):
            order[c] = r
        unmatched = [r for r in range(k) if r not in set(rows)]
        slots = [i for i in range(len(order)) if order[i] == -1]
        for slot, r in zip(slots, unmatched):
            order[slot] = r
        return order[order >= 0] if k < len(old) else order

    def predict(self, X):
        """Type number (1..n_types) of the nearest type prototype."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        d = ((X[:, None, :] - self.prototypes_[None, :, :]) ** 2).sum(axis=2)
        return d.argmin(axis=1) + 1

    def describe(self, feature_names: list[str], top: int = 3, threshold: float = 0.5,
                 orientation: np.ndarray | None = None) -> dict[int, str]:
        """A short German description per type from its prototype (z-values: 0 is the county average).

        ``orientation``: per feature +1 or -1 to turn burden-oriented z-values back into the direction of
        the indicator's own value, so that "überdurchschnittlich" means a higher value than average.
        """
        check_is_fitted(self)
        if len(feature_names) != self.prototypes_.shape[1]:
            raise ValueError(f"feature_names has {len(feature_names)} names for {self.prototypes_.shape[1]} features")
        sign = np.ones(len(feature_names)) if orientation is None else np.asarray(orientation, dtype=float)
        out = {}
        for t, proto in enumerate(self.prototypes_, start=1):
            series = pd.Series(proto * sign, index=feature_names)
            above = series[series > threshold].sort_values(ascending=False).head(top)
            below = series[series < -threshold].sort_values().head(top)
            parts = []
            if len(above):
                parts.append("überdurchschnittlich: " + ", ".join(above.index))
            if len(below):
                parts.append("unterdurchschnittlich: " + ", ".join(below.index))
            if not parts and len(series) and series.abs().max() >= 0.1:
                # near the average everywhere: its largest deviation tells it from the other middle types
                j = series.abs().idxmax()
                parts.append(f"nahe am Durchschnitt, etwas {'höher' if series[j] > 0 else 'niedriger'}: {j}")
            out[t] = "; ".join(parts) if parts else "durchschnittlich in allen Merkmalen"
        return _told_apart(out, self.prototypes_ * sign, feature_names)


def _told_apart(texts: dict[int, str], profiles: np.ndarray, feature_names: list[str]) -> dict[int, str]:
    """Types whose descriptions read alike get the feature that differs most between them and each one's
    z-value in it: 'überdurchschnittlich: Anteil 65+ (Anteil 65+: z = 2,3)'."""
    out = dict(texts)
    groups: dict[str, list[int]] = {}
    for t, text in texts.items():
        groups.setdefault(text, []).append(t)
    for text, types in groups.items():
        if len(types) < 2:
            continue
        rows = profiles[[t - 1 for t in types]]
        j = int(np.argmax(rows.max(axis=0) - rows.min(axis=0)))
        for digits in (1, 2, 3):
            values = [de(v, digits, sign=True) for v in rows[:, j]]
            if len(set(values)) == len(values):
                break
        for t, v in zip(types, values):
            out[t] = f"{text} ({feature_names[j]}: z = {v})"
    return out


def short_name(name: str) -> str:
    """A catalog name without its parenthesised definition: 'SGB-II-Quote (Leistungs...)' -> 'SGB-II-Quote'."""
    return name.split(" (")[0].strip()


def choose_method(X, methods=METHODS, k_min: int = 3, k_max: int = 8, random_state=None,
                  previous: Typology | None = None) -> tuple[Typology, pd.DataFrame]:
    """Each method with its own choice of the number of types (silhouette, or BIC for the mixture), then the method
    whose types separate best: the highest mean silhouette of the types it assigns — one yardstick for all.
    Returns the fitted typology and a table (method, n_types, silhouette, chosen). With ``previous`` its method
    is kept, so that type numbers carry over."""
    X = np.asarray(X, dtype=float)
    if previous is not None:
        methods = [previous.method]
    rows, fits = [], {}
    for method in methods:
        if method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
        try:
            model = Typology(method=method, k_min=k_min, k_max=k_max, random_state=random_state).fit(
                X, previous=previous)
        except ValueError:
            continue
        fits[method] = model
        rows.append({"method": method, "n_types": model.n_types_,
                     "silhouette": float(silhouette_score(X, model.labels_))})
    if not rows:
        raise ValueError("no method found a clustering with at least two types in the range")
    table = pd.DataFrame(rows)
    best = table.loc[table["silhouette"].idxmax(), "method"]
    table["chosen"] = table["method"] == best
    return fits[best], table


STRUCTURE_REFERENCES = 19
"""Reference data sets of the structure check: with 19, a typology that separates better than all of them is
distinct at the 5 % level."""


def structure_check(X, silhouette: float, methods=METHODS, k_min: int = 3, k_max: int = 8,
                    n_reference: int = STRUCTURE_REFERENCES, random_state=0) -> dict:
    """Whether the regions form groups at all, or the types only cut a continuum: the chosen typology's mean
    silhouette against the same choice (methods, number of types by their criteria, best silhouette) on
    reference data without groups, as many regions: each indicator with its own distribution, the indicators
    with their rank correlations, joined by a Gaussian copula — one cloud, however skewed its indicators are
    (a normal cloud with the profiles' covariance, the null of SigClust, Liu et al. 2008, is beaten by a skewed
    indicator alone). Returns silhouette, reference_mean, reference_max, p_value ((1 + the references that
    separate as well) / (n + 1)) and distinct (p ≤ 0.05)."""
    from scipy.stats import norm, rankdata

    X = np.asarray(X, dtype=float)
    rng = np.random.default_rng(random_state)
    scores = norm.ppf(np.apply_along_axis(rankdata, 0, X) / (len(X) + 1))
    corr = np.atleast_2d(np.nan_to_num(np.corrcoef(scores, rowvar=False)))   # a constant indicator: no correlation
    np.fill_diagonal(corr, 1.0)
    reference = []
    for _ in range(n_reference):
        u = norm.cdf(rng.multivariate_normal(np.zeros(X.shape[1]), corr, size=len(X), method="eigh"))
        R = np.column_stack([np.quantile(X[:, j], u[:, j]) for j in range(X.shape[1])])
        try:
            model, _ = choose_method(R, methods, k_min, k_max, random_state)
        except ValueError:
            continue
        reference.append(float(silhouette_score(R, model.labels_)))
    ref = np.asarray(reference)
    p = (1 + int(np.sum(ref >= silhouette))) / (len(ref) + 1)
    return {"silhouette": float(silhouette), "reference_mean": float(ref.mean()) if len(ref) else float("nan"),
            "reference_max": float(ref.max()) if len(ref) else float("nan"), "p_value": float(p),
            "n_reference": len(ref), "distinct": bool(len(ref) >= n_reference and p <= 0.05)}


def structure_sentence(check: dict) -> str:
    """The structure check in one German sentence for planners."""
    if check["distinct"]:
        return (f"Die Gebiete bilden deutlich getrennte Gruppen: die Typen trennen sie besser (Silhouette "
                f"{de(check['silhouette'], 2)}) als jede von {check['n_reference']} Typisierungen von Zufallsdaten "
                f"ohne Gruppen, deren Merkmale so verteilt sind und so zusammenhängen wie hier (höchstens "
                f"{de(check['reference_max'], 2)}).")
    return (f"Die Gebiete bilden keine deutlich getrennten Gruppen: Typisierungen von Zufallsdaten ohne Gruppen, "
            f"deren Merkmale so verteilt sind und so zusammenhängen wie hier, trennen ebenso gut (Silhouette hier "
            f"{de(check['silhouette'], 2)}, bei den Zufallsdaten im Mittel {de(check['reference_mean'], 2)}, bis "
            f"{de(check['reference_max'], 2)}). Die Typen teilen einen fließenden Übergang in Abschnitte; Gebiete an "
            "den Grenzen zweier Typen unterscheiden sich kaum.")


"""Prototype-based classifiers: GLVQ, GMLVQ (one global relevance matrix) and LGMLVQ (one per prototype).

The mathematics is in the private, vectorised function ``_glvq_cost_and_grad``; the classes are thin
scikit-learn estimators around it, optimised with L-BFGS (scipy).

Cost (Sato & Yamada; Schneider, Biehl & Hammer): for each sample, with d⁺ the distance to the closest
prototype of its class and d⁻ to the closest prototype of another class,

    μ = (d⁺ − d⁻) / (d⁺ + d⁻),   E = Σᵢ sᵢ · σ(β μᵢ)   (sᵢ sample and class weights, σ the logistic)

with d(x, w) = (x − w)ᵀ Λ (x − w): Λ = I (GLVQ), Λ = ΩᵀΩ / tr(ΩᵀΩ) (GMLVQ), or Λⱼ per prototype (LGMLVQ).
The trace normalisation sits inside the cost, so the optimiser cannot shrink or blow up Ω.

Longer than 450 lines because the three LVQ variants share one vectorised cost and gradient, the initialisation and
the calibrated margins; the variants differ in a few lines each.
"""

from __future__ import annotations

import numbers

import numpy as np
from scipy.optimize import minimize
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.cluster import KMeans
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data
from threadpoolctl import threadpool_limits


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _distances(X: np.ndarray, W: np.ndarray, omegas: np.ndarray | None, local: bool) -> np.ndarray:
    """Squared (adaptive) distances, shape (n_samples, n_prototypes).

    ``omegas``: None (Euclidean), (k, d) one matrix, or (m, k, d) one per prototype (``local``); each is
    trace-normalised here.
    """
    if omegas is None:
        return _sq_euclidean(X, W)
    if not local:
        omega = omegas / np.sqrt((omegas ** 2).sum())
        return _sq_euclidean(X @ omega.T, W @ omega.T)
    return _local_distances(X, W, omegas)[0]


def _sq_euclidean(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Squared distances between the rows of A and B through one matrix product (clipped at 0)."""
    d = (A ** 2).sum(axis=1)[:, None] - 2.0 * (A @ B.T) + (B ** 2).sum(axis=1)[None, :]
    return np.maximum(d, 0.0)


def _local_distances(X: np.ndarray, W: np.ndarray, omegas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """‖Ω̃ⱼ(x − wⱼ)‖² for every sample and prototype, shape (n, m), and the offsets oⱼ = Ω̃ⱼwⱼ (m, k).

    One matrix product gives Ω̃ⱼx for all j; the distance is expanded as ‖Ω̃ⱼx‖² − 2 Ω̃ⱼx·oⱼ + ‖oⱼ‖², so no
    (n, m, k) difference array is formed.
    """
    m, k, d = omegas.shape
    normed = omegas / np.sqrt((omegas ** 2).sum(axis=(1, 2)))[:, None, None]
    XO = (X @ normed.reshape(m * k, d).T).reshape(X.shape[0], m, k)
    offsets = np.einsum("mkd,md->mk", normed, W)
    D = np.einsum("nmk,nmk->nm", XO, XO) - 2.0 * np.einsum("nmk,mk->nm", XO, offsets) + (offsets ** 2).sum(axis=1)
    return np.maximum(D, 0.0), offsets


def _closest(D: np.ndarray, same: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Index and distance of the closest prototype with the sample's class (J) and without (K)."""
    big = np.finfo(float).max
    d_plus = np.where(same, D, big)
    d_minus = np.where(same, big, D)
    J = d_plus.argmin(axis=1)
    K = d_minus.argmin(axis=1)
    rows = np.arange(D.shape[0])
    return J, K, D[rows, J], D[rows, K]


def _glvq_cost_and_grad(params: np.ndarray, X: np.ndarray, same: np.ndarray, weights: np.ndarray,
                        n_prototypes: int, n_features: int, kind: str, rank: int, beta: float,
                        regularization: float) -> tuple[float, np.ndarray]:
    """Cost and gradient of (G/GM/LGM)LVQ for flattened parameters [W, Ω...].

    ``same``: (n, m) boolean, sample's class equals prototype's class; ``weights``: (n,) sample weights.
    """
    m, d = n_prototypes, n_features
    W = params[: m * d].reshape(m, d)
    local = kind == "lgmlvq"
    if kind == "glvq":
        omegas = None
    elif kind == "gmlvq":
        omegas = params[m * d:].reshape(rank, d)
    else:
        omegas = params[m * d:].reshape(m, rank, d)
    if local:
        D, offsets = _local_distances(X, W, omegas)
    else:
        D = _distances(X, W, omegas, local)
    J, K, dp, dm = _closest(D, same)
    denom = np.maximum(dp + dm, 1e-300)
    mu = (dp - dm) / denom
    f = _sigmoid(beta * mu)
    cost = float((weights * f).sum())
    fprime = weights * beta * f * (1.0 - f)
    g_plus = fprime * 2.0 * dm / denom ** 2          # ∂E/∂d⁺
    g_minus = -fprime * 2.0 * dp / denom ** 2        # ∂E/∂d⁻
    rows = np.arange(X.shape[0])
    # G[i, j]: ∂E/∂d(xᵢ, wⱼ) (non-zero only for the nearest correct and nearest wrong prototype)
    G = np.zeros((X.shape[0], m))
    G[rows, J] = g_plus      # J and K never coincide: they belong to different classes
    G[rows, K] = g_minus
    if not local:
        # Σᵢ Gᵢⱼ (xᵢ − wⱼ) for every prototype j through one matrix product
        pulled = G.T @ X - G.sum(axis=0)[:, None] * W
    if omegas is None:
        return cost, (-2.0 * pulled).ravel()
    if not local:
        S = (omegas ** 2).sum()
        lam = omegas.T @ omegas / S
        grad_W = -2.0 * pulled @ lam
        # ∂d/∂Ω for the normalised Ω: (2/S)(Ω v vᵀ − d Ω), summed with the weights G
        vJ = X - W[J]
        vK = X - W[K]
        M = (vJ * g_plus[:, None]).T @ vJ + (vK * g_minus[:, None]).T @ vK
        grad_O = (2.0 / S) * (omegas @ M - (g_plus @ dp + g_minus @ dm) * omegas)
        if regularization > 0:
            cost, grad_O = _regularize(cost, grad_O, omegas, S, regularization)
        return cost, np.concatenate([grad_W.ravel(), grad_O.ravel()])
    # local matrices. With Pᵢⱼ = Ω̃ⱼ(xᵢ − wⱼ) and Gᵢⱼ non-zero only where j is the sample's J or K:
    #   Σᵢ GᵢⱼPᵢⱼ = Ω̃ⱼ(Gᵀx)ⱼ − gⱼoⱼ and Σᵢ GᵢⱼPᵢⱼ(xᵢ − wⱼ)ᵀ follow from Cⱼ = Σᵢ Gᵢⱼ xᵢxᵢᵀ,
    # each Cⱼ summed over the rows that touch prototype j only (2n rows in all, whatever m is).
    S = (omegas ** 2).sum(axis=(1, 2))
    root = np.sqrt(S)
    normed = omegas / root[:, None, None]
    GX = G.T @ X                                                      # (m, d)
    g = G.sum(axis=0)                                                 # (m,)
    sum_gp = np.einsum("mkd,md->mk", normed, GX) - g[:, None] * offsets
    grad_W = -2.0 * np.einsum("mkd,mk->md", normed, sum_gp)
    C = np.empty((m, d, d))
    for j in range(m):
        rows_j = np.flatnonzero((J == j) | (K == j))
        Xj = X[rows_j]
        C[j] = (Xj * G[rows_j, j, None]).T @ Xj
    # Σᵢ GᵢⱼPᵢⱼxᵢᵀ = Ω̃ⱼCⱼ − oⱼ(Gᵀx)ⱼᵀ, minus (Σᵢ GᵢⱼPᵢⱼ) wⱼᵀ
    term = (np.einsum("mkd,mde->mke", normed, C) - offsets[:, :, None] * GX[:, None, :]
            - sum_gp[:, :, None] * W[:, None, :])
    coef = (G * D).sum(axis=0)                                        # Σ gᵢ dᵢⱼ
    grad_O = (2.0 / root)[:, None, None] * term - (2.0 * coef / S)[:, None, None] * omegas
    if regularization > 0:
        for j in range(m):
            cost, grad_O[j] = _regularize(cost, grad_O[j], omegas[j], S[j], regularization)
    return cost, np.concatenate([grad_W.ravel(), grad_O.ravel()])


def _regularize(cost: float, grad: np.ndarray, omega: np.ndarray, S: float, lam: float) -> tuple[float, np.ndarray]:
    """Add −λ·ln det(Ω̃Ω̃ᵀ) (Ω̃ = Ω/‖Ω‖), which keeps Λ away from singular, and its gradient."""
    A = omega @ omega.T / S
    sign, logdet = np.linalg.slogdet(A)
    if sign <= 0:
        return cost, grad
    rank = omega.shape[0]
    # ∂/∂Ω ln det(ΩΩᵀ/S) = 2 (ΩΩᵀ)⁻¹Ω − 2·rank·Ω/S
    term = 2.0 * np.linalg.solve(omega @ omega.T, omega) - 2.0 * rank * omega / S
    return cost - lam * logdet, grad - lam * term


CLASS_WEIGHTS = ("balanced", "balanced_sqrt")


def class_weights(class_weight, classes: np.ndarray, y_idx: np.ndarray) -> np.ndarray:
    """Weight per class: 'balanced' n / (n_classes · n_c), every class counts as much in the cost;
    'balanced_sqrt' its square root, half-way between the regions' count and the classes' count; a dict
    class → weight (missing classes 1)."""
    if isinstance(class_weight, dict):
        return np.array([class_weight.get(c, 1.0) for c in classes], dtype=float)
    freq = np.bincount(y_idx, minlength=len(classes)).astype(float)
    balanced = len(y_idx) / (len(classes) * np.maximum(freq, 1.0))
    return balanced if class_weight == "balanced" else np.sqrt(balanced)


def calibration_slope(margins: np.ndarray, y_idx: np.ndarray, weights: np.ndarray | None = None) -> float:
    """The slope a of p_c ∝ exp(−a·μ_c) that maximises the (weighted) likelihood of the true classes,
    searched over a ∈ [0.5, 50]; the cap keeps separable data from making every prediction certain."""
    w = np.ones(len(y_idx)) / len(y_idx) if weights is None else np.asarray(weights, dtype=float)

    def nll(a: float) -> float:
        logits = -a * margins
        logits = logits - logits.max(axis=1, keepdims=True)
        logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        return -float((w * logp[np.arange(len(y_idx)), y_idx]).sum())

    grid = np.geomspace(0.5, 50, 40)
    return float(grid[int(np.argmin([nll(a) for a in grid]))])


class _LVQBase(ClassifierMixin, BaseEstimator):
    """Shared fitting and prediction; subclasses fix the distance kind."""

    _kind = "glvq"

    def __init__(self, prototypes_per_class=1, initialization="mean", beta=2.0, max_iter=2500, tol=1e-5,
                 class_weight=None, reject_threshold=None, reject_label=None, random_state=None, n_init=1):
        self.prototypes_per_class = prototypes_per_class
        self.initialization = initialization
        self.beta = beta
        self.max_iter = max_iter
        self.tol = tol
        self.class_weight = class_weight
        self.reject_threshold = reject_threshold
        self.reject_label = reject_label
        self.random_state = random_state
        self.n_init = n_init

    # --- parameters ---------------------------------------------------------------------------------

    def _validate_params(self) -> None:
        ppc = self.prototypes_per_class
        if not (isinstance(ppc, numbers.Integral) and ppc >= 1) and not isinstance(ppc, (dict, list, tuple)):
            raise ValueError(f"prototypes_per_class must be an integer >= 1 or one per class; got {ppc!r}")
        if self.initialization not in ("mean", "kmeans"):
            raise ValueError(f"initialization must be 'mean' or 'kmeans'; got {self.initialization!r}")
        if not (isinstance(self.beta, numbers.Real) and self.beta > 0):
            raise ValueError(f"beta must be > 0; got {self.beta!r}")
        if not (isinstance(self.max_iter, numbers.Integral) and self.max_iter >= 1):
            raise ValueError(f"max_iter must be an integer >= 1; got {self.max_iter!r}")
        if not (isinstance(self.n_init, numbers.Integral) and self.n_init >= 1):
            raise ValueError(f"n_init must be an integer >= 1; got {self.n_init!r}")
        cw = self.class_weight
        if not (cw is None or cw in CLASS_WEIGHTS or isinstance(cw, dict)):
            raise ValueError(f"class_weight must be None, {', '.join(map(repr, CLASS_WEIGHTS))} or a dict; got {cw!r}")
        if self.reject_threshold is not None and not (0 < self.reject_threshold < 1):
            raise ValueError(f"reject_threshold must be in (0, 1); got {self.reject_threshold!r}")

    def _extra_params(self, n_features: int, rng: np.random.Generator) -> np.ndarray:
        return np.zeros(0)

    def _unpack(self, params: np.ndarray) -> None:
        m, d = len(self.prototype_labels_), self.n_features_in_
        self.prototypes_ = params[: m * d].reshape(m, d).copy()

    def _rank(self, n_features: int) -> int:
        return n_features

    def _regularization(self) -> float:
        return 0.0

    # --- fitting --------------------------------------------------------------------------------------

    def _init_prototypes(self, X: np.ndarray, y_idx: np.ndarray, weights: np.ndarray, rng: np.random.Generator):
        per_class = self.prototypes_per_class
        counts = ([per_class] * len(self.classes_) if isinstance(per_class, numbers.Integral)
                  else [per_class[c] for c in self.classes_] if isinstance(per_class, dict) else list(per_class))
        if len(counts) != len(self.classes_):
            raise ValueError(f"prototypes_per_class gives {len(counts)} counts for {len(self.classes_)} classes")
        W, labels = [], []
        for c, k in enumerate(counts):
            Xc, wc = X[y_idx == c], weights[y_idx == c]
            k_eff = min(int(k), len(Xc))
            if wc.sum() <= 0:
                wc = np.ones(len(Xc))
            if self.initialization == "kmeans" and k_eff > 1 and len(np.unique(Xc, axis=0)) >= k_eff:
                seed = int(rng.integers(0, 2**31 - 1))
                centers = KMeans(n_clusters=k_eff, n_init=4, random_state=seed).fit(
                    Xc, sample_weight=wc).cluster_centers_
            else:
                mean = np.average(Xc, axis=0, weights=wc)
                spread = np.sqrt(np.average((Xc - mean) ** 2, axis=0, weights=wc)) + 1e-12
                centers = mean + (rng.normal(0, 0.05, size=(k_eff, X.shape[1])) * spread if k_eff > 1 else 0.0)
                centers = np.atleast_2d(centers)
            W.append(centers)
            labels.extend([c] * len(centers))
        return np.vstack(W), np.asarray(labels)

    def fit(self, X, y, sample_weight=None):
        """Fit the prototypes (and relevances) by L-BFGS.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), optional
        """
        self._validate_params()
        X, y = validate_data(self, X, y, dtype=np.float64)
        # a fresh aligned C-order copy: matrix products on validate_data's view ran 2-3x slower
        X = np.array(X, dtype=np.float64, order="C", copy=True)
        check_classification_targets(y)
        self.classes_, y_idx = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"LVQ needs at least 2 classes in y; got {len(self.classes_)} class")
        rng = np.random.default_rng(self.random_state)
        weights = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        if weights.shape != (X.shape[0],):
            raise ValueError(f"sample_weight must have shape ({X.shape[0]},); got {weights.shape}")
        if self.class_weight is not None:
            weights = weights * class_weights(self.class_weight, self.classes_, y_idx)[y_idx]
        if (weights < 0).any() or weights.sum() <= 0:
            raise ValueError("sample_weight must be non-negative and not all zero")
        # scale the cost so that L-BFGS tolerances mean the same for any n
        weights = weights / weights.sum()
        result = None
        for _ in range(int(self.n_init)):
            W0, labels = self._init_prototypes(X, y_idx, weights, rng)
            self.prototype_labels_ = labels
            same = y_idx[:, None] == labels[None, :]
            params0 = np.concatenate([W0.ravel(), self._extra_params(X.shape[1], rng)])
            args = (X, same, weights, len(labels), X.shape[1], self._kind, self._rank(X.shape[1]), float(self.beta),
                    self._regularization())
            # the products are thin (n × d by d × m·k); with BLAS threads on, each of the hundreds of cost
            # evaluations waits for threads to wake, which made fits 3-4x slower on two cores
            with threadpool_limits(limits=1, user_api="blas"):
                run = minimize(_glvq_cost_and_grad, params0, args=args, jac=True, method="L-BFGS-B",
                               options={"maxiter": int(self.max_iter), "ftol": float(self.tol), "gtol": 1e-8})
            if result is None or run.fun < result.fun:
                result, kept = run, labels
        self.prototype_labels_ = kept
        self.n_iter_ = int(result.nit)
        self.cost_ = float(result.fun)
        self._unpack(result.x)
        self._calibrate(X, y_idx, weights)
        return self

    # --- prediction -----------------------------------------------------------------------------------

    def _omegas(self):
        return None, False

    def _class_distances(self, X: np.ndarray) -> np.ndarray:
        omegas, local = self._omegas()
        D = _distances(X, self.prototypes_, omegas, local)
        out = np.full((X.shape[0], len(self.classes_)), np.inf)
        for c in range(len(self.classes_)):
            out[:, c] = D[:, self.prototype_labels_ == c].min(axis=1)
        return out

    def _margins(self, Dc: np.ndarray) -> np.ndarray:
        """Per class: μ = (d_c − d_other)/(d_c + d_other), d_other the nearest other class; in [−1, 1]."""
        out = np.empty_like(Dc)
        for c in range(Dc.shape[1]):
            other = np.delete(Dc, c, axis=1).min(axis=1)
            out[:, c] = (Dc[:, c] - other) / np.maximum(Dc[:, c] + other, 1e-300)
        return out

    def _calibrate(self, X: np.ndarray, y_idx: np.ndarray, weights: np.ndarray) -> None:
        """Platt-style slope on the training data (see ``calibration_slope``); a caller with held-out
        margins (cross-validation) should replace ``calibration_slope_`` with one fitted on those, or fit the
        multinomial calibration on them (:meth:`calibrate_on`)."""
        self.calibration_slope_ = calibration_slope(self._margins(self._class_distances(X)), y_idx, weights)
        self.calibration_coef_ = self.calibration_intercept_ = None

    def calibrate_on(self, margins: np.ndarray, y_idx: np.ndarray, weights: np.ndarray | None = None) -> None:
        """Fit p = softmax(M·Aᵀ + b) on held-out margins M (n_samples, n_classes) and their class indices: a
        multinomial logistic regression of the class on all classes' margins (with the sample weights, e.g. the
        model's class weights). It orders the regions by certainty far better than one slope (the reject option),
        and ``predict`` then returns its most probable class — the nearest prototype's class for almost every
        region. Classes missing from ``y_idx`` get probability ≈ 0."""
        from sklearn.linear_model import LogisticRegression

        if len(np.unique(y_idx)) < 2:
            return
        n_classes = len(self.classes_)
        lr = LogisticRegression(max_iter=5000).fit(margins, y_idx, sample_weight=weights)
        coef, intercept = np.zeros((n_classes, n_classes)), np.full(n_classes, -30.0)
        if len(lr.classes_) == 2:
            intercept[lr.classes_[0]] = 0.0
            coef[lr.classes_[1]], intercept[lr.classes_[1]] = lr.coef_[0], lr.intercept_[0]
        else:
            coef[lr.classes_], intercept[lr.classes_] = lr.coef_, lr.intercept_
        self.calibration_coef_, self.calibration_intercept_ = coef, intercept

    def prototype_distances(self, X) -> np.ndarray:
        """The (adaptive) squared distance of every sample to every prototype, shape (n_samples, n_prototypes)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        omegas, local = self._omegas()
        return _distances(X, self.prototypes_, omegas, local)

    def margins(self, X) -> np.ndarray:
        """μ per class, shape (n_samples, n_classes): negative where the class is the nearest."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return self._margins(self._class_distances(X))

    def decision_function(self, X):
        """Negative margins −μ per class (higher is more certain), shape (n_samples, n_classes);
        for two classes the margin of the second class, as scikit-learn expects."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        scores = -self._margins(self._class_distances(X))
        return scores[:, 1] if len(self.classes_) == 2 else scores

    def _calibrated(self) -> bool:
        return getattr(self, "calibration_coef_", None) is not None

    def predict_proba(self, X):
        """Class probabilities from the margins: the multinomial calibration where fitted (:meth:`calibrate_on`),
        p_c ∝ exp(−a·μ_c) otherwise."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        margins = self._margins(self._class_distances(X))
        if self._calibrated():
            logits = margins @ self.calibration_coef_.T + self.calibration_intercept_
        else:
            logits = -self.calibration_slope_ * margins
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)

    def predict(self, X):
        """Class of the nearest prototype (with the multinomial calibration: its most probable class); with
        ``reject_threshold``, ``reject_label`` where the highest probability is below it."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        if self._calibrated():
            pred = self.classes_[self.predict_proba(X).argmax(axis=1)]
        else:
            pred = self.classes_[self._class_distances(X).argmin(axis=1)]
        if self.reject_threshold is None:
            return pred
        proba = self.predict_proba(X)
        reject = proba.max(axis=1) < self.reject_threshold
        out = pred.astype(object)
        out[reject] = self.reject_label
        return out

    def reject_rate(self, X) -> float:
        """Share of samples that ``predict`` would reject (0 without a reject threshold)."""
        if self.reject_threshold is None:
            return 0.0
        return float((self.predict_proba(X).max(axis=1) < self.reject_threshold).mean())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = False
        return tags


class _MatrixLVQ(_LVQBase):
    """Parameters shared by GMLVQ and LGMLVQ: the rank of Ω and the regularisation against a singular Λ."""

    def __init__(self, prototypes_per_class=1, initialization="mean", beta=2.0, max_iter=2500, tol=1e-5,
                 class_weight=None, reject_threshold=None, reject_label=None, random_state=None, n_init=1, rank=None,
                 regularization=0.0):
        super().__init__(prototypes_per_class=prototypes_per_class, initialization=initialization, beta=beta,
                         max_iter=max_iter, tol=tol, class_weight=class_weight, reject_threshold=reject_threshold,
                         reject_label=reject_label, random_state=random_state, n_init=n_init)
        self.rank = rank
        self.regularization = regularization

    def _rank(self, n_features: int) -> int:
        if self.rank is None:
            return n_features
        if not (isinstance(self.rank, numbers.Integral) and 1 <= self.rank <= n_features):
            raise ValueError(f"rank must be an integer in [1, n_features={n_features}]; got {self.rank!r}")
        return int(self.rank)

    def _regularization(self) -> float:
        if not (isinstance(self.regularization, numbers.Real) and self.regularization >= 0):
            raise ValueError(f"regularization must be >= 0; got {self.regularization!r}")
        return float(self.regularization)


class GLVQ(_LVQBase):
    """Generalized Learning Vector Quantization (Euclidean distance).

    Parameters
    ----------
    prototypes_per_class : int or dict or list, default=1
    initialization : {'mean', 'kmeans'}, default='mean'
        Class means (jittered when a class has several prototypes) or k-means within each class.
    beta : float, default=2.0
        Slope of the logistic applied to the margin μ in the cost.
    max_iter : int, default=2500
        L-BFGS iteration limit.
    tol : float, default=1e-5
        L-BFGS stops when one iteration lowers the cost (weighted mean of σ(βμ), between 0 and 1) by
        less than this.
    class_weight : None, 'balanced', 'balanced_sqrt' or dict
        Weight of each class in the cost (see :func:`class_weights`).
    reject_threshold : float in (0, 1) or None
        ``predict`` returns ``reject_label`` where the highest class probability is below it.
    random_state : int or None
    n_init : int, default=1
        Initialisations tried (each a new draw of the jitter or of k-means); the fit with the lowest cost is kept.

    Attributes
    ----------
    prototypes_ : ndarray of shape (n_prototypes, n_features)
    prototype_labels_ : ndarray of shape (n_prototypes,), class index of each prototype
    classes_, n_features_in_, n_iter_, cost_, calibration_slope_
    calibration_coef_, calibration_intercept_ : the multinomial calibration (None until :meth:`calibrate_on`)

    Examples
    --------
    >>> import numpy as np
    >>> from models.lvq import GLVQ
    >>> X = np.array([[0.0, 0.0], [0.2, 0.1], [3.0, 3.0], [3.1, 2.8]])
    >>> GLVQ(random_state=0).fit(X, [0, 0, 1, 1]).predict([[0.1, 0.0], [2.9, 3.2]]).tolist()
    [0, 1]
    """

    _kind = "glvq"


class GMLVQ(TransformerMixin, _MatrixLVQ):
    """Generalized Matrix LVQ: one relevance matrix Λ = ΩᵀΩ, trace-normalised, learnt with the prototypes.

    Parameters as :class:`GLVQ`, plus

    rank : int or None, default=None
        Rows of Ω (None: n_features).
    regularization : float, default=0.0
        λ of the penalty −λ·ln det(ΩΩᵀ) against a singular Λ.

    Attributes
    ----------
    omega_ : ndarray of shape (rank, n_features), scaled so that trace(ΩᵀΩ) = 1
    lambda_ : ndarray of shape (n_features, n_features), ΩᵀΩ with trace 1
    relevance_ : ndarray of shape (n_features,), the diagonal of Λ (the relevance profile)

    Examples
    --------
    >>> import numpy as np
    >>> from models.lvq import GMLVQ
    >>> rng = np.random.default_rng(0)
    >>> X = np.column_stack([np.r_[np.zeros(20), np.ones(20)] + rng.normal(0, .1, 40), rng.normal(0, 1, 40)])
    >>> model = GMLVQ(random_state=0).fit(X, np.r_[np.zeros(20), np.ones(20)])
    >>> bool(model.relevance_[0] > model.relevance_[1])
    True
    """

    _kind = "gmlvq"


    def _extra_params(self, n_features, rng):
        r = self._rank(n_features)
        return (np.eye(r, n_features) + rng.normal(0, 1e-3, (r, n_features))).ravel()

    def _unpack(self, params):
        super()._unpack(params)
        m, d = len(self.prototype_labels_), self.n_features_in_
        omega = params[m * d:].reshape(self._rank(d), d)
        self.omega_ = omega / np.sqrt((omega ** 2).sum())
        self.lambda_ = self.omega_.T @ self.omega_
        self.relevance_ = np.diag(self.lambda_).copy()

    def _omegas(self):
        return self.omega_, False

    def transform(self, X):
        """Project onto the leading eigenvectors of Λ (scaled by √eigenvalue), for 2-D plots.

        Returns ndarray of shape (n_samples, rank).
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        values, vectors = np.linalg.eigh(self.lambda_)
        order = np.argsort(values)[::-1][: self.omega_.shape[0]]
        return X @ (vectors[:, order] * np.sqrt(np.clip(values[order], 0, None)))


class LGMLVQ(_MatrixLVQ):
    """Localized GMLVQ: one relevance matrix per prototype.

    Parameters as :class:`GMLVQ`.

    Attributes
    ----------
    omegas_ : ndarray of shape (n_prototypes, rank, n_features), each with trace(ΩⱼᵀΩⱼ) = 1
    lambdas_ : ndarray of shape (n_prototypes, n_features, n_features)
    relevances_ : ndarray of shape (n_prototypes, n_features)

    Examples
    --------
    >>> import numpy as np
    >>> from models.lvq import LGMLVQ
    >>> X = np.array([[0.0, 0.0], [0.2, 0.1], [3.0, 3.0], [3.1, 2.8]])
    >>> LGMLVQ(random_state=0).fit(X, ["a", "a", "b", "b"]).predict([[3.0, 2.9]]).tolist()
    ['b']
    """

    _kind = "lgmlvq"


    def _extra_params(self, n_features, rng):
        r = self._rank(n_features)
        m = len(self.prototype_labels_)
        base = np.eye(r, n_features)[None, :, :] + rng.normal(0, 1e-3, (m, r, n_features))
        return base.ravel()

    def _unpack(self, params):
        super()._unpack(params)
        m, d = len(self.prototype_labels_), self.n_features_in_
        omegas = params[m * d:].reshape(m, self._rank(d), d)
        norms = np.sqrt((omegas ** 2).sum(axis=(1, 2)))
        self.omegas_ = omegas / norms[:, None, None]
        self.lambdas_ = np.einsum("mkd,mke->mde", self.omegas_, self.omegas_)
        self.relevances_ = np.einsum("mdd->md", self.lambdas_).copy()

    def _omegas(self):
        return self.omegas_, True

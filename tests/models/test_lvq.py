"""LVQ kernel by hand, estimator behaviour, and parity with the sklearn-lvq reference."""

import numpy as np
import pytest
from scipy.optimize import approx_fprime
from scipy.stats import spearmanr
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split

from models.lvq import GLVQ, GMLVQ, LGMLVQ, _glvq_cost_and_grad
from tests.models.reference_lvq import reference_compat, reference_models


def test_kernel_by_hand_two_prototypes_four_points():
    # prototypes at 0 (class 0) and 4 (class 1); points 1, 3 of class 0 and 2, 5 of class 1, in 1-D
    X = np.array([[1.0], [3.0], [2.0], [5.0]])
    same = np.array([[True, False], [True, False], [False, True], [False, True]])
    W = np.array([0.0, 4.0])
    w = np.full(4, 0.25)
    beta = 1.0
    cost, grad = _glvq_cost_and_grad(W, X, same, w, 2, 1, "glvq", 1, beta, 0.0)
    # d⁺, d⁻ per point: (1, 9), (9, 1), (4, 4), (1, 25)
    dp, dm = np.array([1, 9, 4, 1.0]), np.array([9, 1, 4, 25.0])
    mu = (dp - dm) / (dp + dm)                       # -0.8, 0.8, 0, -0.923
    f = 1 / (1 + np.exp(-beta * mu))
    assert cost == pytest.approx(0.25 * f.sum())
    fp = 0.25 * beta * f * (1 - f)
    gp, gm = fp * 2 * dm / (dp + dm) ** 2, -fp * 2 * dp / (dp + dm) ** 2
    # w0 is the nearest correct prototype (J) of points 0 and 1 and the nearest wrong one (K) of points 2, 3
    g0 = -2 * (gp[0] * (1 - 0) + gp[1] * (3 - 0) + gm[2] * (2 - 0) + gm[3] * (5 - 0))
    # w1 is K for points 0 and 1, J for points 2 and 3
    g1 = -2 * (gm[0] * (1 - 4) + gm[1] * (3 - 4) + gp[2] * (2 - 4) + gp[3] * (5 - 4))
    assert grad == pytest.approx([g0, g1])


@pytest.mark.parametrize("kind, extra, regularization", [
    ("glvq", 0, 0.0), ("gmlvq", 3 * 4, 0.0), ("gmlvq", 3 * 4, 0.05), ("lgmlvq", 4 * 3 * 4, 0.0),
    ("lgmlvq", 4 * 3 * 4, 0.05),
])
def test_gradient_matches_finite_differences(kind, extra, regularization):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 4))
    y = rng.integers(0, 2, 30)
    labels = np.array([0, 0, 1, 1])
    same = y[:, None] == labels[None, :]
    w = np.ones(30) / 30
    p = rng.normal(size=4 * 4 + extra)
    args = (X, same, w, 4, 4, kind, 3, 2.0, regularization)
    numeric = approx_fprime(p, lambda q: _glvq_cost_and_grad(q, *args)[0], 1e-7)
    np.testing.assert_allclose(_glvq_cost_and_grad(p, *args)[1], numeric, atol=1e-6)


def test_gmlvq_relevance_finds_the_informative_feature():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 50)
    X = np.column_stack([y + rng.normal(0, 0.2, 100), rng.normal(0, 1, (100, 3))])
    model = GMLVQ(random_state=0).fit(X, y)
    assert model.relevance_.argmax() == 0 and model.relevance_[0] > 0.8
    assert np.trace(model.lambda_) == pytest.approx(1.0)
    assert np.allclose(model.lambda_, model.lambda_.T)
    assert model.transform(X).shape == (100, 4)
    low = GMLVQ(rank=2, random_state=0).fit(X, y)
    assert low.omega_.shape == (2, 4) and low.transform(X).shape == (100, 2)


def test_probabilities_and_reject_option():
    X, y = make_classification(n_samples=300, n_features=6, n_informative=4, n_classes=3, n_clusters_per_class=1,
                               random_state=3)
    model = GMLVQ(random_state=0, reject_threshold=0.6, reject_label="unsicher").fit(X, y)
    proba = model.predict_proba(X)
    assert proba.shape == (300, 3) and np.allclose(proba.sum(axis=1), 1)
    pred = model.predict(X)
    rejected = pred == "unsicher"
    assert 0 < rejected.mean() < 0.5
    assert model.reject_rate(X) == pytest.approx(rejected.mean())
    assert (proba[rejected].max(axis=1) < 0.6).all()
    accepted = ~rejected
    # rejecting the uncertain cases raises accuracy on the rest
    plain = GMLVQ(random_state=0).fit(X, y).predict(X)
    assert (pred[accepted] == y[accepted]).mean() >= (plain == y).mean()
    assert 0.5 <= model.calibration_slope_ <= 50


def test_several_prototypes_and_kmeans_init():
    X, y = make_classification(n_samples=200, n_features=4, n_informative=3, n_redundant=0, n_clusters_per_class=2,
                               random_state=4)
    model = GLVQ(prototypes_per_class=3, initialization="kmeans", random_state=0).fit(X, y)
    assert model.prototypes_.shape == (6, 4) and np.bincount(model.prototype_labels_).tolist() == [3, 3]
    per_class = LGMLVQ(prototypes_per_class={0: 1, 1: 2}, random_state=0).fit(X, y)
    assert per_class.omegas_.shape == (3, 4, 4)
    assert np.allclose(np.einsum("mdd->m", per_class.lambdas_), 1.0)


@pytest.mark.parametrize("params, message", [
    ({"prototypes_per_class": 0}, "prototypes_per_class must be an integer >= 1"),
    ({"initialization": "random"}, "initialization must be 'mean' or 'kmeans'; got 'random'"),
    ({"beta": -1}, "beta must be > 0; got -1"),
    ({"reject_threshold": 1.5}, r"reject_threshold must be in \(0, 1\); got 1.5"),
])
def test_parameter_errors(params, message):
    with pytest.raises(ValueError, match=message):
        GLVQ(**params).fit([[0.0], [1.0]], [0, 1])


def test_rank_and_regularization_errors():
    with pytest.raises(ValueError, match=r"rank must be an integer in \[1, n_features=1\]; got 3"):
        GMLVQ(rank=3).fit([[0.0], [1.0]], [0, 1])
    with pytest.raises(ValueError, match="regularization must be >= 0; got -0.1"):
        GMLVQ(regularization=-0.1).fit([[0.0], [1.0]], [0, 1])


@pytest.fixture(scope="module")
def problem():
    X, y = make_classification(n_samples=600, n_features=10, n_informative=5, n_classes=3, random_state=0)
    return train_test_split(X, y, random_state=0)


@pytest.mark.parametrize("kind, ours", [("glvq", GLVQ), ("gmlvq", GMLVQ), ("lgmlvq", LGMLVQ)])
def test_parity_with_reference(problem, kind, ours):
    X_train, X_test, y_train, y_test = problem
    with reference_compat():
        reference = reference_models()[kind](random_state=0).fit(X_train, y_train)
        ref_score = reference.score(X_test, y_test)
    model = ours(random_state=0).fit(X_train, y_train)
    assert model.score(X_test, y_test) >= ref_score - 0.02
    if kind == "gmlvq":
        ref_relevance = np.diag(reference.omega_.T @ reference.omega_)
        assert spearmanr(ref_relevance, model.relevance_).statistic >= 0.8


def test_docstring_examples_run():
    import doctest

    import models.lvq
    import models.typology

    for module in (models.lvq, models.typology):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__

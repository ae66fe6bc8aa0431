"""Choosing LVQ settings by nested cross-validation, the comparison, the reject option, relevance stability, and
what a fitted model says in words."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings as hsettings, strategies as st
from sklearn.base import clone
from sklearn.datasets import make_classification

from models.lvq import GMLVQ, LGMLVQ, class_weights
from models.lvq_interpret import (
    diagonal_rows, direction_profile, leading_directions, leading_shares, prototype_profiles, region_contrasts,
    relevance_profile, relevance_sentence, subsampled_refits, subsampled_relevance, unit_scale,
)
from models.lvq_selection import (
    SelectedLVQ, balanced_accuracy, baselines, choose, compare, default_grid, rejection_curve, relevance_stability,
    settings_of, share_to_reject,
)
from models.typology import choose_method


def test_balanced_accuracy_counts_a_class_the_truth_lacks_as_an_error_without_a_warning():
    """A later period without the smallest class: recall of 'a' 1/2, of 'b' 1, a prediction 'c' is an error."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert balanced_accuracy(["a", "a", "b"], ["a", "c", "b"]) == pytest.approx(0.75)
    with pytest.warns(UserWarning):      # scikit-learn's own function does warn on the same input
        from sklearn.metrics import balanced_accuracy_score
        balanced_accuracy_score(["a", "a", "b"], ["a", "c", "b"])


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(n_samples=150, n_features=6, n_informative=3, n_redundant=0, n_classes=3,
                               n_clusters_per_class=1, weights=[0.6, 0.3, 0.1], class_sep=1.5, random_state=1)
    return X, np.array(["a", "b", "c"])[y]


def test_class_weights_balanced_and_its_square_root():
    y_idx = np.array([0] * 6 + [1] * 2)
    balanced = class_weights("balanced", np.array(["x", "y"]), y_idx)
    assert np.allclose(balanced, [8 / 12, 8 / 4])
    assert np.allclose(class_weights("balanced_sqrt", np.array(["x", "y"]), y_idx), np.sqrt(balanced))
    assert np.allclose(class_weights({"y": 3.0}, np.array(["x", "y"]), y_idx), [1.0, 3.0])
    with pytest.raises(ValueError, match="class_weight must be"):
        GMLVQ(class_weight="heavy").fit(np.eye(4), [0, 0, 1, 1])


def test_restarts_keep_the_lowest_cost(data):
    X, y = data
    one = GMLVQ(prototypes_per_class=2, random_state=3).fit(X, y)
    three = GMLVQ(prototypes_per_class=2, random_state=3, n_init=3).fit(X, y)
    # the first of the three starts is the single fit's start
    assert three.cost_ <= one.cost_ + 1e-12
    with pytest.raises(ValueError, match="n_init"):
        GMLVQ(n_init=0).fit(X, y)


def test_default_grid_weights_imbalanced_classes_only():
    grid = default_grid("gmlvq", ["a"] * 30 + ["b"] * 10, 5)
    assert grid["class_weight"] == ["balanced_sqrt", "balanced"] and grid["rank"] == [2, None]
    assert default_grid("gmlvq", ["a"] * 10 + ["b"] * 9, 5)["class_weight"] == [None]
    assert "rank" not in default_grid("glvq", ["a", "b"], 5)
    assert len(settings_of(grid)) == 3 * 2 * 2 * 2


def test_rule_prefers_the_more_accurate_setting_within_one_standard_error():
    table = pd.DataFrame({"balanced_accuracy": [0.80, 0.79, 0.70, 0.79],
                          "balanced_accuracy_se": [0.02, 0.02, 0.02, 0.02],
                          "accuracy": [0.80, 0.90, 0.95, 0.90], "n_parameters": [50, 40, 10, 30]})
    # 0.70 is outside one SE of 0.80; 0.79 twice inside: equal accuracy, fewer parameters wins
    assert choose(table) == 3
    assert choose(table.assign(balanced_accuracy_se=0.0)) == 0


def test_selected_lvq_chooses_on_inner_folds_and_calibrates_on_held_out_margins(data):
    X, y = data
    grid = {"prototypes_per_class": [1, 2], "class_weight": [None, "balanced"]}
    model = SelectedLVQ("gmlvq", grid=grid, folds=3, random_state=0).fit(X, y)
    assert len(model.search_) == 4 and model.search_["chosen"].sum() == 1
    chosen = model.search_[model.search_["chosen"]].iloc[0]
    assert model.best_params_ == {"prototypes_per_class": chosen["prototypes_per_class"],
                                  "class_weight": chosen["class_weight"]}
    assert model.search_["balanced_accuracy"].max() - chosen["balanced_accuracy"] <= chosen["balanced_accuracy_se"] + \
        model.search_.loc[model.search_["balanced_accuracy"].idxmax(), "balanced_accuracy_se"]
    assert (model.predict(X) == y).mean() > 0.8
    assert np.allclose(model.predict_proba(X).sum(axis=1), 1)
    assert 0.5 <= model.model_.calibration_slope_ <= 50
    # parallel scoring gives the same choice
    par = SelectedLVQ("gmlvq", grid=grid, folds=3, random_state=0, n_jobs=2).fit(X, y)
    assert par.best_params_ == model.best_params_
    with pytest.raises(ValueError, match="kind must be"):
        SelectedLVQ("svm").fit(X, y)
    with pytest.raises(ValueError, match="single region"):
        SelectedLVQ().fit(X[:4], ["a", "a", "a", "b"])


def test_compare_nests_the_selection_in_every_outer_fold(data):
    X, y = data
    grid = {"prototypes_per_class": [1, 2]}
    models = {"GMLVQ": SelectedLVQ("gmlvq", grid=grid, folds=3), **baselines()}
    calls = []
    result = compare(X, y, models, folds=3, repeats=2, progress=lambda d, t: calls.append((d, t)))
    assert list(result.table["model"]) == list(models)
    assert len(result.runs) == 2 * len(models) and calls[-1] == (2 * 3 * len(models),) * 2
    assert {"accuracy", "balanced_accuracy", "macro_f1", "log_loss", "fit_seconds", "accuracy_sd"} <= set(result.table)
    assert (result.table["accuracy_sd"] >= 0).all()
    fitted = result.fitted["GMLVQ"]
    assert len(fitted) == 3 and all(hasattr(m, "best_params_") for m in fitted)
    # the first repeat's folds come along: their test parts cover every row once
    assert len(result.splits) == 3
    assert np.array_equal(np.sort(np.concatenate([test for _, test in result.splits])), np.arange(len(y)))
    assert np.allclose(result.proba["GMLVQ"].sum(axis=1), 1)
    # the LVQ model's out-of-fold predictions are its own: accuracy recomputed from them matches
    pred = result.classes[result.proba["GMLVQ"].argmax(axis=1)]
    first = result.runs[(result.runs["model"] == "GMLVQ") & (result.runs["repeat"] == 0)].iloc[0]
    assert first["accuracy"] == pytest.approx((pred == y).mean())
    assert clone(models["GMLVQ"]).get_params()["grid"] == grid


def test_rejection_share_on_a_hand_built_case():
    classes = np.array(["a", "b"])
    # certainty falls with the index; the two least certain are wrong
    p = np.linspace(0.99, 0.55, 10)
    proba = np.column_stack([p, 1 - p])
    y = np.array(["a"] * 8 + ["b"] * 2)
    assert share_to_reject(proba, y, classes, 1.0) == pytest.approx(0.2)
    assert share_to_reject(proba, y, classes, 0.85) == pytest.approx(0.1)   # 8 of 9 right: 0.889
    assert share_to_reject(proba, y, classes, 0.8) == 0.0
    assert share_to_reject(proba, np.array(["b"] * 10), classes, 0.95) is None
    curve = rejection_curve(proba, y, classes, steps=10)
    assert curve["accuracy"].iloc[0] == pytest.approx(0.8) and curve["accuracy"].iloc[2] == 1.0


@hsettings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0.0, 1.0), st.booleans()), min_size=1, max_size=40), st.floats(0.5, 1.0))
def test_rejection_share_leaves_a_rest_that_meets_the_target(rows, target):
    p = np.array([0.5 + r[0] / 2 for r in rows])
    proba = np.column_stack([p, 1 - p])
    y = np.where([r[1] for r in rows], "a", "b")
    share = share_to_reject(proba, y, np.array(["a", "b"]), target)
    order = np.argsort(-p, kind="stable")
    right = (y == "a")[order]
    if share is None:
        assert all(right[:k].mean() < target for k in range(1, len(y) + 1))
    else:
        keep = round(len(y) * (1 - share))
        assert 0 <= share < 1 and right[:keep].mean() >= target
        assert all(right[:k].mean() < target for k in range(keep + 1, len(y) + 1))


def test_relevance_stability_is_a_rank_correlation():
    a = np.array([0.5, 0.3, 0.15, 0.05])
    assert relevance_stability([a, a * 1.1, a]) == pytest.approx(1.0)
    assert relevance_stability([a, a[::-1]]) == pytest.approx(-1.0)
    noisy_tail = [np.array([0.5, 0.3, 0.01, 0.02]), np.array([0.5, 0.3, 0.02, 0.01])]
    assert relevance_stability(noisy_tail) < 1 and relevance_stability(noisy_tail, top=2) == pytest.approx(1.0)


def test_relevance_sentence_and_directions():
    names = ["SGB II", "Arbeitslosigkeit", "Wohndauer", "Alter"]
    text = relevance_sentence(np.array([0.1, 0.6, 0.25, 0.05]), names)
    assert text == ("Für die Einordnung zählen vor allem Arbeitslosigkeit (60 %), Wohndauer (25 %) und SGB II "
                    "(10 %); zusammen 95 % der Relevanz.")
    v = np.array([1.0, 1.0, -1.0, 0.0]) / np.sqrt(3)
    lam = 0.9 * np.outer(v, v) + 0.1 * np.diag([0, 0, 0, 1.0])
    first, second = leading_directions(lam, names)
    assert first["share"] == pytest.approx(0.9) and second["share"] == pytest.approx(0.1)
    assert first["text"].startswith("Richtung 1 (90 % der Relevanz): hoch bei ") and "niedrig bei Wohndauer" in first["text"]
    assert second["loadings"][0] == ("Alter", pytest.approx(1.0))


def test_relevance_sentence_names_as_leading_only_what_holds_its_place_across_refits():
    names = ["SGB II", "Arbeitslosigkeit", "Wohndauer", "Alter", "Wanderung"]
    profile = np.array([0.30, 0.25, 0.16, 0.15, 0.14])
    steady = np.array([profile + d for d in np.linspace(-0.005, 0.005, 10)])
    assert relevance_sentence(profile, names, rows=steady) == relevance_sentence(profile, names)
    assert leading_shares(steady).tolist() == [1, 1, 1, 0, 0]
    # the third and fourth trade places in half of the refits, the fifth once in a while
    swapped = steady.copy()
    swapped[::2, [2, 3]] = swapped[::2, [3, 2]]
    swapped[1::4, [2, 4]] = swapped[1::4, [4, 2]]
    shares = leading_shares(swapped)
    assert shares[0] == shares[1] == 1 and shares[2] < 0.5 and shares[2] + shares[3] + shares[4] == pytest.approx(1)
    text = relevance_sentence(profile, names, rows=swapped)
    assert text == ("Für die Einordnung zählen vor allem SGB II (30 %) und Arbeitslosigkeit (25 %); dahinter liegen "
                    "Wohndauer (16 %) und Alter (15 %) so nah beieinander, dass ihre Reihenfolge wechselt, je nachdem "
                    "aus welchen Gebieten das Modell lernt.")
    # a flat profile of twelve whose order every refit draws anew: no indicator leads
    rng = np.random.default_rng(0)
    flat = 1 / 12 + rng.normal(0, 0.005, (25, 12))
    many = names + [f"Indikator {i}" for i in range(6, 13)]
    text = relevance_sentence(np.linspace(0.095, 0.072, 12), many, rows=flat)
    assert text.startswith("Kein Indikator zählt für die Einordnung deutlich mehr als die anderen: vorn liegen "
                           "SGB II (10 %), Arbeitslosigkeit (9 %), Wohndauer (9 %) und Alter (9 %) in wechselnder")
    assert text.endswith("zusammen 37 % der Relevanz von 12 Indikatoren.")
    # the first indicator out of place decides: a steady third after an unsteady second is not named as leading
    second_unsteady = steady.copy()
    second_unsteady[::2, [1, 4]] = second_unsteady[::2, [4, 1]]
    second_unsteady[1::4, [1, 3]] = second_unsteady[1::4, [3, 1]]
    text = relevance_sentence(profile, names, rows=second_unsteady)
    assert text.startswith("Für die Einordnung zählen vor allem SGB II (30 %); dahinter liegen Arbeitslosigkeit "
                           "(25 %), Wohndauer (16 %) und Alter (15 %) so nah")


def test_prototypes_in_units_and_why_a_region_is_not_in_the_next_class():
    rng = np.random.default_rng(0)
    z = np.r_[rng.normal(-1, 0.3, (30, 2)), rng.normal(1, 0.3, (30, 2))]
    z[:, 1] = rng.normal(0, 1, 60)                      # the second indicator says nothing
    y = np.r_[["niedrig"] * 30, ["hoch"] * 30]
    model = GMLVQ(random_state=0).fit(z, y)
    values = pd.DataFrame({"a": 10 + 2 * z[:, 0], "b": 50 - 5 * z[:, 1]})
    scale = unit_scale(values, pd.DataFrame(z, columns=["a", "b"]))
    assert scale.loc["a"].tolist() == pytest.approx([10, 2]) and scale.loc["b"].tolist() == pytest.approx([50, -5])
    protos = prototype_profiles(model, ["a", "b"], ["Quote A", "Quote B"], scale)
    assert list(protos.columns) == ["Klasse", "Prototyp", "Quote A", "Quote B"]
    row = protos[protos["Klasse"] == "hoch"].iloc[0]
    assert row["Quote A"] == pytest.approx(10 + 2 * model.prototypes_[model.prototype_labels_ == 0][0][0])
    # a prototype beyond the range an indicator can take is shown at its edge
    bounded = scale.assign(lo=[10.5, np.nan], hi=[np.nan, np.nan])
    low = prototype_profiles(model, ["a", "b"], ["Quote A", "Quote B"], bounded)
    assert low["Quote A"].min() == 10.5 and low["Quote B"].tolist() == protos["Quote B"].tolist()
    contrasts = region_contrasts(model, z[:3], ["Quote A", "Quote B"], scale=scale, features=["a", "b"])
    assert (contrasts["own_class"] == model.predict(z[:3])).all() and (contrasts["next_class"] == "hoch").all()
    assert (contrasts["relative_gap"].between(0, 1)).all()
    assert contrasts["why"].iloc[0].startswith("Zur Klasse „hoch“ trennt vor allem: Quote A (")
    local = LGMLVQ(random_state=0).fit(z, y)
    assert relevance_profile(local).sum() == pytest.approx(1.0)
    assert (region_contrasts(local, z[:3], ["A", "B"])["own_class"] == local.predict(z[:3])).all()


def test_typology_method_chosen_by_silhouette():
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(0, 0.2, (20, 2)), rng.normal(4, 0.2, (20, 2)), rng.normal([0, 4], 0.2, (20, 2))]
    model, table = choose_method(X, k_min=2, k_max=5, random_state=0)
    assert set(table["method"]) == {"kmeans", "ward", "gmm"} and table["chosen"].sum() == 1
    assert model.method == table.loc[table["silhouette"].idxmax(), "method"] and model.n_types_ == 3
    again, table2 = choose_method(X, k_min=2, k_max=5, random_state=0, previous=model)
    assert list(table2["method"]) == [model.method] and (again.labels_ == model.labels_).all()


def test_multinomial_calibration_on_held_out_margins(data, tmp_path):
    from models.packaging import load_lvq, save_lvq

    X, y = data
    model = GMLVQ(random_state=0).fit(X[:100], y[:100])
    assert model.calibration_coef_ is None
    held = model.margins(X[100:])
    y_idx = np.searchsorted(model.classes_, y[100:])
    model.calibrate_on(held, y_idx)
    p = model.predict_proba(X)
    assert np.allclose(p.sum(axis=1), 1) and (model.predict(X) == model.classes_[p.argmax(axis=1)]).all()
    # mostly the nearest prototype's class
    assert (model.predict(X) == model.classes_[model.margins(X).argmin(axis=1)]).mean() > 0.9
    save_lvq(model, ["a", "b", "c", "d", "e", "f"], tmp_path)
    loaded, _ = load_lvq(tmp_path)
    assert np.allclose(loaded.predict_proba(X), p)
    # two classes: the binary fit becomes the same softmax form
    two = GMLVQ(random_state=0).fit(X[y != "c"], y[y != "c"])
    m2 = two.margins(X[y != "c"])
    two.calibrate_on(m2, np.searchsorted(two.classes_, y[y != "c"]))
    assert two.predict_proba(X).shape == (len(X), 2) and (two.predict(X[y != "c"]) == y[y != "c"]).mean() > 0.8
    # a refit forgets the old calibration
    assert model.fit(X, y).calibration_coef_ is None


def test_contrasts_follow_the_predicted_class():
    rng = np.random.default_rng(1)
    z = np.r_[rng.normal(-1, 0.3, (20, 2)), rng.normal(1, 0.3, (20, 2))]
    y = np.r_[["a"] * 20, ["b"] * 20]
    model = GMLVQ(random_state=0).fit(z, y)
    plain = region_contrasts(model, z[:2], ["x", "y"])
    forced = region_contrasts(model, z[:2], ["x", "y"], predicted=np.array(["b", "b"]))
    assert (plain["own_class"] == "a").all() and (forced["own_class"] == "b").all()
    assert (forced["next_class"] == "a").all() and (forced["relative_gap"] < 0).all()


def test_direction_profile_shares_a_correlated_group():
    rng = np.random.default_rng(2)
    signal = np.r_[rng.normal(-1, 0.5, 60), rng.normal(1, 0.5, 60)]
    X = np.column_stack([signal, signal + rng.normal(0, 0.05, 120), rng.normal(0, 1, 120)])
    y = np.r_[["a"] * 60, ["b"] * 60]
    model = GMLVQ(random_state=0).fit(X, y)
    profile = direction_profile(model, X)
    assert profile.sum() == pytest.approx(1.0) and (profile >= 0).all()
    # the twin indicators get nearly the same share, whatever Λ's diagonal made of them
    assert profile[0] == pytest.approx(profile[1], rel=0.05) and profile[2] < 0.2 * profile[0]
    from models.lvq import GLVQ

    assert direction_profile(GLVQ().fit(X, y), X) is None


def test_subsampled_relevance_spreads_what_one_fit_decides_and_shows_it():
    rng = np.random.default_rng(2)
    signal = np.r_[rng.normal(-1, 0.5, 60), rng.normal(1, 0.5, 60)]
    X = np.column_stack([signal, signal + rng.normal(0, 0.05, 120), rng.normal(0, 1, 120)])
    y = np.r_[["a"] * 60, ["b"] * 60]
    model = GMLVQ(rank=2, random_state=0).fit(X, y)
    R = subsampled_relevance(model, X, y, n=12, seed=3)
    assert R.shape == (12, 3) and np.allclose(R.sum(axis=1), 1) and (R >= 0).all()
    assert np.array_equal(R, subsampled_relevance(model, X, y, n=12, seed=3))
    assert np.array_equal(R, diagonal_rows(subsampled_refits(model, X, y, n=12, seed=3)))
    # the twins carry the classes in every refit; how they share it is what one fit decides (here three
    # quarters on the second), and the refits show that as spread
    assert (R[:, :2].sum(axis=1) > 0.95).all() and R[:, 2].max() < 0.05
    assert relevance_profile(model)[1] > 0.7 and R[:, 0].std() > 0.1 > R[:, 2].std()
    from models.lvq import GLVQ

    assert subsampled_relevance(GLVQ().fit(X, y), X, y) is None
    assert subsampled_relevance(model, X, y, n=0) is None
    lonely = y.copy()
    lonely[0] = "c"     # a class of one region cannot be halved
    assert subsampled_relevance(GMLVQ(rank=2).fit(X, lonely), X, lonely) is None


def test_subsampled_relevance_is_steadier_across_folds_than_one_fit():
    from sklearn.model_selection import StratifiedKFold

    rng = np.random.default_rng(3)
    y = np.repeat(["a", "b", "c"], [120, 50, 30])
    s = np.array([{"a": 0, "b": 1, "c": 2}[c] for c in y]) + rng.normal(0, 0.6, len(y))
    cols = [s + rng.normal(0, 0.3, len(y)) for _ in range(4)]           # a group of correlated indicators
    cols += [0.3 * s + rng.normal(0, 1, len(y)) for _ in range(4)]      # weakly related ones
    cols += [rng.normal(0, 1, len(y)) for _ in range(4)]                # unrelated ones
    X = np.column_stack(cols)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    single, subsampled = [], []
    for train, _ in StratifiedKFold(5, shuffle=True, random_state=0).split(X, y):
        model = GMLVQ(rank=2, beta=5.0, random_state=0).fit(X[train], y[train])
        single.append(relevance_profile(model))
        subsampled.append(subsampled_relevance(model, X[train], y[train]).mean(axis=0))
    steadiness = relevance_stability(subsampled)
    assert steadiness >= 0.8 and steadiness > relevance_stability(single) + 0.1

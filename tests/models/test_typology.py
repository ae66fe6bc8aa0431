"""Typology: k chosen by the stated criterion, planted types recovered, labels stable across refits."""

import json

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score, silhouette_score

from features.pipeline import run_pipeline
from ml.paths import SAMPLE_DIR
from models.typology import Typology, choose_method, short_name


def blobs(seed=0, shift=0.0):
    rng = np.random.default_rng(seed)
    centers = np.array([[0, 0, 0], [6, 0, 0], [0, 6, 0], [0, 0, 6]], dtype=float) + shift
    X = np.vstack([c + rng.normal(0, 0.5, (15, 3)) for c in centers])
    return X, np.repeat(np.arange(4), 15)


@pytest.mark.parametrize("method", ["kmeans", "ward", "gmm"])
def test_finds_four_blobs(method):
    X, truth = blobs()
    t = Typology(method=method, k_min=2, k_max=6, random_state=0).fit(X)
    assert t.n_types_ == 4 and adjusted_rand_score(truth, t.labels_) == 1.0
    assert set(t.scores_) == {2, 3, 4, 5, 6}
    assert sorted(np.unique(t.labels_)) == [1, 2, 3, 4]
    assert (t.predict(X) == t.labels_).all()


def test_labels_stay_put_after_a_refit():
    X, _ = blobs(seed=0)
    first = Typology(random_state=0).fit(X)
    X2, _ = blobs(seed=1, shift=0.3)            # next year: every profile moves a little
    unmatched = Typology(random_state=5).fit(X2)
    matched = Typology(random_state=5).fit(X2, previous=first)
    assert (matched.labels_ == first.labels_).all()
    assert np.abs(matched.prototypes_ - first.prototypes_).max() < 1.0
    assert adjusted_rand_score(unmatched.labels_, matched.labels_) == 1.0


def test_a_refit_keeps_the_number_of_types():
    X, _ = blobs(seed=0)
    three = Typology(k_min=3, k_max=3, random_state=0).fit(X)     # set up with three types on purpose
    refit = Typology(k_min=2, k_max=6, random_state=0).fit(blobs(seed=1)[0], previous=three)
    assert refit.n_types_ == 3 and set(refit.scores_) == {3}
    assert Typology(k_min=2, k_max=6, random_state=0).fit(blobs(seed=1)[0]).n_types_ == 4


def test_description_in_german():
    X, _ = blobs()
    t = Typology(random_state=0).fit(X)
    text = t.describe(["SGB-II-Quote", "Anteil 65+", "Kita-Quote"], orientation=np.array([1, 1, -1]))
    assert len(text) == 4 and any(v == "durchschnittlich in allen Merkmalen" or "überdurchschnittlich" in v
                                  for v in text.values())
    assert any("unterdurchschnittlich: Kita-Quote" in v for v in text.values())  # oriented back
    with pytest.raises(ValueError, match="feature_names has 2 names for 3 features"):
        t.describe(["a", "b"])
    assert short_name("SGB-II-Quote (Leistungsberechtigte je 100 Einwohner unter 65)") == "SGB-II-Quote"


@pytest.mark.parametrize("params, message", [
    ({"method": "dbscan"}, "method must be one of kmeans, ward, gmm; got 'dbscan'"),
    ({"k_min": 1}, "k_min must be an integer >= 2; got 1"),
    ({"k_min": 5, "k_max": 4}, r"k_min \(5\) must not exceed k_max \(4\)"),
    ({"criterion": "bic"}, "criterion 'bic' needs method 'gmm'"),
])
def test_errors(params, message):
    X, _ = blobs()
    with pytest.raises(ValueError, match=message):
        Typology(**params).fit(X)


def test_recovers_the_planted_types_of_the_synthetic_county(sample_inputs):
    settings, catalog, obs, regions = sample_inputs
    result = run_pipeline(obs, regions, catalog, settings)
    truth = {g["region_id"]: g["type"] for g in json.loads((SAMPLE_DIR / "ground_truth.json").read_text())["gemeinden"]}
    def fit(period: str):
        m = result.model[result.model["period"] == period].set_index("region_id")
        cols = [c for c in m.columns if c.startswith("m_") and catalog[c[2:]].polarity != 0]
        X = m[cols].dropna(axis=1, how="all").dropna()
        t = Typology(method="kmeans", random_state=0).fit(X.to_numpy())
        return X, t, adjusted_rand_score([truth[r] for r in X.index], t.labels_)

    # 2010: the first year, before the latent strain has moved any Gemeinde's poverty (its AR(1) starts at 0)
    # and before any planted deterioration (the earliest onset is 2017)
    X, t, ari = fit("2010")
    assert t.n_types_ == 5 and ari >= 0.8
    # later the strain (stationary sd ≈ 0.33 of the poverty factor) blurs the types, but does not dissolve them
    _, t12, ari12 = fit("2012")
    assert t12.n_types_ == 5 and ari12 >= 0.7
    names = [short_name(catalog[c[2:]].name) for c in X.columns]
    text = t.describe(names, orientation=np.array([catalog[c[2:]].polarity for c in X.columns]))
    assert all(("überdurchschnittlich" in v or "unterdurchschnittlich" in v) for v in text.values())


def test_types_near_the_average_are_told_apart_by_their_largest_deviation():
    """One indicator, four types: the two middle types are not both 'durchschnittlich in allen Merkmalen'."""
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(c, 0.05, size=(12, 1)) for c in (-1.6, -0.3, 0.3, 1.6)])
    t = Typology(k_min=4, k_max=4, random_state=0).fit(X)
    text = t.describe(["Anteil 65+"])
    assert len(set(text.values())) == 4, text
    assert sorted(v for v in text.values() if v.startswith("nahe am Durchschnitt")) == [
        "nahe am Durchschnitt, etwas höher: Anteil 65+", "nahe am Durchschnitt, etwas niedriger: Anteil 65+"]


def test_types_that_read_alike_are_told_apart_by_the_feature_that_separates_them():
    """Three types above the average in the same indicator (a county table of one share gave 'überdurchschnittlich:
    Anteil 65+' three times): each gets its z-value in the feature that differs most between them."""
    rng = np.random.default_rng(1)
    centres = [(0.8, 0.0), (1.9, 0.1), (3.2, -0.1), (-1.5, 0.0)]
    X = np.concatenate([rng.normal(c, 0.05, size=(15, 2)) for c in centres])
    t = Typology(method="kmeans", k_min=4, k_max=4, random_state=0).fit(X)
    text = t.describe(["Anteil 65+", "Kita-Quote"])
    assert len(set(text.values())) == 4, text
    above = sorted(v for v in text.values() if v.startswith("überdurchschnittlich"))
    z = [float(v.rsplit("z = ", 1)[1].rstrip(")").replace(",", ".").replace("+", "")) for v in above]
    assert all(v.startswith("überdurchschnittlich: Anteil 65+ (Anteil 65+: z = +") for v in above)
    assert sorted(z) == pytest.approx(sorted(t.prototypes_[:, 0][t.prototypes_[:, 0] > 0.5]), abs=0.05)
    assert "unterdurchschnittlich: Anteil 65+" in text.values()       # a single one keeps its plain text


def test_the_structure_check_tells_groups_from_a_continuum():
    """Three separated groups beat every typology of data without groups; a single normal cloud, cut into types
    all the same, does not — and the German sentence says which, with the figures."""
    from models.typology import structure_check, structure_sentence

    rng = np.random.default_rng(0)
    groups = np.r_[rng.normal(0, 1, (25, 3)), rng.normal(6, 1, (25, 3)), rng.normal([0, 6, 0], 1, (25, 3))]
    cloud = rng.normal(0, 1, (75, 3))
    for X, distinct in ((groups, True), (cloud, False)):
        model, _ = choose_method(X, ("kmeans",), 2, 5, random_state=0)
        observed = silhouette_score(X, model.labels_)
        check = structure_check(X, observed, ("kmeans",), 2, 5, n_reference=19, random_state=0)
        assert check["distinct"] is distinct and check["n_reference"] == 19
        assert (check["p_value"] == pytest.approx(0.05)) is distinct and check["reference_max"] >= check["reference_mean"]
        sentence = structure_sentence(check)
        if distinct:
            assert observed > check["reference_max"]
            assert sentence.startswith("Die Gebiete bilden deutlich getrennte Gruppen") and "19 Typisierungen" in sentence
        else:
            assert check["p_value"] > 0.05
            assert sentence.startswith("Die Gebiete bilden keine deutlich getrennten Gruppen")
            assert "fließenden Übergang" in sentence
    # the same seed gives the same references: a run can be repeated
    again = structure_check(cloud, 0.3, ("kmeans",), 2, 5, random_state=0)
    assert again == structure_check(cloud, 0.3, ("kmeans",), 2, 5, random_state=0)

"""SHAP values: the closed form for GMLVQ scores against brute-force Shapley values, trees against their output,
dimension sums, and German sentences that never show a suppressed value."""

from itertools import combinations
from math import factorial

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings as hsettings, strategies as st
from sklearn.ensemble import HistGradientBoostingClassifier

from models.explanations import (
    INDEX_GROUP, UNGRADED, by_dimension, driver_sentence, feature_dimension, gmlvq_score_shap, quadratic_shap,
    top_drivers, tree_shap,
)


def brute_force_shap(f, x: np.ndarray, background: np.ndarray) -> np.ndarray:
    """Interventional Shapley values by enumerating every coalition (features outside S from the background)."""
    d = len(x)

    def v(S):
        Z = background.copy()
        Z[:, list(S)] = x[list(S)]
        return f(Z).mean()

    phi = np.zeros(d)
    for i in range(d):
        others = [j for j in range(d) if j != i]
        for k in range(d):
            for S in combinations(others, k):
                w = factorial(k) * factorial(d - k - 1) / factorial(d)
                phi[i] += w * (v(S + (i,)) - v(S))
    return phi


def _random_metric(rng, d):
    omega = rng.normal(size=(d, d))
    lam = omega.T @ omega
    return lam / np.trace(lam)


@hsettings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 5))
def test_closed_form_equals_brute_force_shapley(seed, d):
    rng = np.random.default_rng(seed)
    lam = _random_metric(rng, d)
    w0, w1 = rng.normal(size=d), rng.normal(size=d)
    background = rng.normal(size=(7, d))
    x = rng.normal(size=d) * 2

    def score(Z):
        return (np.einsum("nd,de,ne->n", Z - w0, lam, Z - w0) - np.einsum("nd,de,ne->n", Z - w1, lam, Z - w1))

    phi = gmlvq_score_shap(x[None, :], background, lam, w0, w1)[0]
    np.testing.assert_allclose(phi, brute_force_shap(score, x, background), atol=1e-9)
    # efficiency: the values add up to the score minus the mean background score
    assert phi.sum() == pytest.approx(score(x[None, :])[0] - score(background).mean())


def test_quadratic_shap_is_zero_for_the_background_mean_of_one_point():
    rng = np.random.default_rng(0)
    lam = _random_metric(rng, 3)
    z = rng.normal(size=(1, 3))
    assert np.allclose(quadratic_shap(z, z, lam, np.zeros(3)), 0.0)


def test_tree_shap_adds_up_to_the_log_odds():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 4))
    y = (X[:, 0] - 0.5 * X[:, 2] + rng.normal(0, 0.3, 300) > 0).astype(int)
    model = HistGradientBoostingClassifier(max_iter=30, random_state=0).fit(X, y)
    phi, base = tree_shap(model, X[:5])
    assert phi.shape == (5, 4)
    np.testing.assert_allclose(phi.sum(axis=1) + base, model.decision_function(X[:5]), atol=1e-6)
    assert np.abs(phi[:, 0]).mean() > np.abs(phi[:, 1]).mean()   # the informative feature matters more


def test_dimensions_and_sentences(catalog):
    assert feature_dimension("m_sgb2_quote", catalog) == "intervention"
    assert feature_dimension("dz_arbeitslosenquote", catalog) == "arbeit"
    assert feature_dimension("status_trend", catalog) == INDEX_GROUP
    phi = pd.DataFrame({"m_sgb2_quote": [0.5], "m_uvg_quote": [0.25], "m_arbeitslosenquote": [-0.1],
                        "status_index": [0.05]})
    dims = by_dimension(phi, catalog)
    assert dims.loc[0, "intervention"] == pytest.approx(0.75) and dims.loc[0, INDEX_GROUP] == pytest.approx(0.05)
    drivers = top_drivers(phi.iloc[0])
    assert list(drivers.index) == ["m_sgb2_quote", "m_uvg_quote", "status_index"]
    facts = {"m_sgb2_quote": {"value": 12.345, "change": 1.5, "unit": "%", "since": "2021"},
             "m_uvg_quote": {"value": 2.0, "suppressed": True}}
    text = driver_sentence(drivers, facts, catalog, "Warnung")
    assert text.startswith("Stufe Warnung. Stärkste Treiber: SGB-II-Quote")
    assert "12,3 %" in text and "+1,5 gegenüber 2021" in text and "Beitrag +0,50" in text
    assert "Wert gesperrt" in text and "2,0" not in text          # the suppressed value is not written
    assert "Statusindex" in text
    # below every threshold, and a horizon without any reachable level: told apart
    assert driver_sentence(drivers, facts, catalog, "keine").startswith("Stufe keine. Größte Beiträge: SGB-II-Quote")
    ungraded = driver_sentence(drivers, facts, catalog, UNGRADED)
    assert ungraded.startswith("Keine Stufe verfügbar. Größte Beiträge: SGB-II-Quote") and "Stufe keine" not in ungraded


def test_an_edition_of_another_index_is_named():
    from models.explanations import basis_note

    assert basis_note([]) == ""
    assert basis_note([("2021", "2022")]) == (
        "Der Statusindex von 2022 ist aus anderen Indikatoren gebildet als der von 2021: Klassen und Abstände zur "
        "Klassengrenze von 2022 sind mit denen, aus denen das Modell gelernt hat, nicht vergleichbar.")


def test_a_refused_training_is_told_in_counts_a_planner_can_check():
    """No horizon testable: the German page text names each horizon's transitions and worsenings and what a test
    needs, once; the English reason keeps the job's own words; a horizon without any outcome says so."""
    from models.explanations import refusal

    untested = pd.DataFrame({"horizon": [4, 2], "reason": ["no transition over 4 years has an outcome yet",
                                                           "too few worsenings"],
                             "transitions": [0, 1234], "worsenings": [0, 1], "needed": [3, 3],
                             "refused_at": [pd.Timestamp("2026-12-02 10:00")] * 2})
    said = refusal(untested)
    assert said["text"] == (
        "Keine Frühwarnung: beim letzten Training am 02.12.2026 ließ sie sich an keiner ungesehenen Periode prüfen, "
        "und ungeprüft wird keine ausgegeben. Bisher: 2 Jahre voraus: 1.234 Übergänge mit bekanntem Ausgang, davon "
        "1 Verschlechterung; 4 Jahre voraus: noch kein Übergang mit bekanntem Ausgang. Geprüft werden kann erst eine "
        "Periode, vor der mindestens 3 Verschlechterungen und 3 andere Übergänge liegen. Das heißt nicht, dass keine "
        "Verschlechterung droht.")
    assert said["reason"] == ("no early warning: the last training found no horizon with an out-of-sample test (2 "
                              "years: too few worsenings; 4 years: no transition over 4 years has an outcome yet)")
    assert "am " not in refusal(untested.drop(columns="refused_at"))["text"].split("Training")[1][:4]
    # the warnings of a training before are withdrawn: both texts say so, with their model version where registered
    withdrawn = refusal(untested.assign(withdrawn=True, withdrawn_version="7"))
    assert withdrawn["text"].endswith("Die Frühwarnung des Trainings davor (Modellversion 7) wird nicht mehr "
                                      "ausgegeben: sie beruht auf Daten oder Einstellungen, die sich beim letzten "
                                      "Training nicht prüfen ließen.")
    assert withdrawn["reason"].endswith("; the early warning of the training before (model version 7) is no longer "
                                        "served")
    unregistered = refusal(untested.assign(withdrawn=True, withdrawn_version=""))
    assert "Die Frühwarnung des Trainings davor wird nicht mehr ausgegeben" in unregistered["text"]
    assert refusal(untested.assign(withdrawn=False, withdrawn_version=""))["text"] == said["text"]


def test_an_edition_after_the_training_is_named_as_such():
    """A period after the last one with stored warnings is an edition imported since the training: the answer says
    so and names the command, instead of blaming the region's values; any other period gets None."""
    from models.explanations import unscored

    said = unscored("2023", {"2019", "2021"})
    assert said["text"].startswith("Für 2023 liegt noch keine Frühwarnung vor: das Frühwarnmodell wurde mit den "
                                   "Ausgaben bis 2021 trainiert")
    assert "'sozialradar train early-warning'" in said["reason"] and "up to 2021" in said["reason"]
    assert unscored("2021", {"2019", "2021"}) is None and unscored("2017", {"2019", "2021"}) is None
    assert unscored("2023", set()) is None
    # an edition without a status index (a Land's register of residents past the index's last edition): no training
    # scores it, and the text says why instead of promising the next one
    bare = unscored("2024", {"2019", "2021"}, {"2019", "2021", "2022"})
    assert bare["text"] == ("Für 2024 liegt keine Frühwarnung vor: für 2024 ist kein Statusindex berechnet (es "
                            "fehlen die Statusindikatoren), und die Frühwarnung sagt aus ihm eine schlechtere "
                            "Statusklasse voraus. Die jüngste Frühwarnung gilt für 2021; das heißt nicht, dass seither "
                            "keine Verschlechterung droht.")
    assert bare["reason"].startswith("no early warnings for period '2024': it has no status index")
    assert unscored("2022", {"2019", "2021"}, {"2019", "2021", "2022"}) == unscored("2022", {"2019", "2021"})
    assert unscored("2024-06", {"2024-03"})["reason"].startswith("no early warnings for period '2024-06'")

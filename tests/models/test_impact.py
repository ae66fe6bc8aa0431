"""The synthetic-control impact estimate: exact on a hand-built case, honest about noise, withheld when it must."""

import numpy as np
import pandas as pd
import pytest

from models.impact import before_after, comparison_phrase, did_all, donor_pool, estimate, sentence, synth_weights

YEARS = [str(y) for y in range(2010, 2024)]


def panel_with(seed=0, n=12, effect=5.0, noise=0.0):
    """Donors on random walks; the treated region is 0.3 × D0 + 0.7 × D1 until 2018, then 5 more."""
    rng = np.random.default_rng(seed)
    donors = {f"D{j}": 50 + np.cumsum(rng.normal(0, 1, len(YEARS))) for j in range(n)}
    treated = 0.3 * donors["D0"] + 0.7 * donors["D1"] + rng.normal(0, noise, len(YEARS))
    after = np.array([y >= "2018" for y in YEARS])
    treated = treated + effect * after
    return pd.DataFrame({"T": treated, **donors}, index=YEARS).T


def test_exact_case_recovers_weights_and_effect():
    panel = panel_with()
    donors = [f"D{j}" for j in range(12)]
    w = synth_weights(panel.loc["T", YEARS[:8]].to_numpy(), panel.loc[donors, YEARS[:8]].to_numpy().T)
    assert w[0] == pytest.approx(0.3, abs=1e-3) and w[1] == pytest.approx(0.7, abs=1e-3) and w.sum() == pytest.approx(1)
    got = estimate(panel, "T", "2018", donors)
    assert got.withheld is None and got.effect == pytest.approx(5.0, abs=1e-3)
    assert got.weights == pytest.approx({"D0": 0.3, "D1": 0.7}, abs=1e-3) and got.pre_rmspe < 1e-3
    assert got.lower < 5 < got.upper and got.distinguishable and got.p_value <= 1 / 13 + 1e-9


def test_two_measures_in_one_region_are_told_apart_by_their_starts():
    """An exact mix of two donors; measure A lowers the value by 2 from 2018, measure B by 3 more from 2021. A is
    estimated up to 2020; B net of A, its twin fitted before 2018. B alone, fitted up to 2020, would be thrown off by
    A's years (its twin chasing a path A already bent)."""
    rng = np.random.default_rng(3)
    donors = {f"D{j}": 50 + np.cumsum(rng.normal(0, 1, len(YEARS))) for j in range(12)}
    years = np.array(YEARS)
    treated = 0.3 * donors["D0"] + 0.7 * donors["D1"] - 2.0 * (years >= "2018") - 3.0 * (years >= "2021")
    panel = pd.DataFrame({"T": treated, **donors}, index=YEARS).T
    names = [f"D{j}" for j in range(12)]
    a = estimate(panel, "T", "2018", names, end="2020")
    assert a.effect == pytest.approx(-2.0, abs=1e-3) and a.post_periods == 3
    b = estimate(panel, "T", "2021", names, fit_until="2018")
    assert b.effect == pytest.approx(-3.0, abs=1e-3) and b.weights == pytest.approx({"D0": 0.3, "D1": 0.7}, abs=1e-3)
    assert b.lower < -3 < b.upper
    alone = estimate(panel, "T", "2021", names)
    assert alone.withheld is not None or abs(alone.effect + 3.0) > 0.1
    # values after the window do not count, and a gap there does not withhold the estimate
    panel.loc["T", "2023"] = np.nan
    assert estimate(panel, "T", "2018", names, end="2020").effect == pytest.approx(-2.0, abs=1e-3)
    # the earlier measure's years must have values
    gappy = panel.drop(columns=["2018", "2019", "2020", "2023"])
    assert "frühere Maßnahme allein wirkte" in estimate(gappy, "T", "2021", names, fit_until="2018").withheld


def test_the_simple_comparisons():
    """A county-wide rise of 2 from 2018 on and an effect of 3 in T: before/after sees 5, the difference in
    differences against all others 3."""
    years = YEARS
    after = np.array([y >= "2018" for y in years], float)
    base = pd.DataFrame({r: 10 + 2 * after for r in ("A", "B", "C")}, index=years).T
    base.loc["T"] = 10 + 5 * after
    assert before_after(base, "T", "2018") == pytest.approx(5.0)
    assert did_all(base, "T", "2018", ["A", "B", "C"]) == pytest.approx(3.0)


def test_no_effect_is_not_claimed():
    claims = 0
    for seed in range(20):
        got = estimate(panel_with(seed=seed, effect=0.0, noise=0.5), "T", "2018", [f"D{j}" for j in range(12)])
        claims += got.withheld is None and got.distinguishable
    assert claims <= 4


def test_an_effect_not_told_apart_says_how_large_one_would_have_to_be():
    """Around a level of 50 (the donors' random walks), placebo effects of a few points: a difference would have to
    exceed the interval's half width to be seen; on a level of 2 that is more than the value itself."""
    from models.impact import Impact

    got = estimate(panel_with(seed=1, effect=0.0, noise=0.5), "T", "2018", [f"D{j}" for j in range(12)])
    assert not got.distinguishable and got.level_before == pytest.approx(50, abs=10)
    half = (got.upper - got.lower) / 2
    text = sentence(got, "die Quote", "Altdorf", "%", {})
    share = round(100 * half / got.level_before)
    said = f"Erkennbar wäre erst ein Unterschied von mehr als {half:.1f}".replace(".", ",") + " Prozentpunkten ("
    assert said in text
    assert f"({share} % des Werts vor dem Beginn)." in text and "kaum nachweisen" not in text
    small = Impact(0.4, -3.0, 3.8, 0.6, 0.3, 0.2, 5, {"D0": 1.0}, level_before=2.0)
    text = sentence(small, "die HzE-Quote", "Birkental", "je 1.000", {"D0": "Au"})
    assert "mehr als 3,4 je 1.000 (170 % des Werts vor dem Beginn): bei den Schwankungen solcher Gebiete lässt sich " \
           "hier eine Wirkung der Maßnahme kaum nachweisen." in text
    # without a level before (or a level of zero) the width alone
    for level in (None, 0.0):
        text = sentence(Impact(0.4, -3.0, 3.8, 0.6, 0.3, 0.2, 5, {"D0": 1.0}, level_before=level), "x", "y", "", {})
        assert "Erkennbar wäre erst ein Unterschied von mehr als 3,4. Verglichen" in text


def test_withheld_with_the_reason():
    panel = panel_with()
    assert "Vergleichsgebiete mit vollständiger Reihe" in estimate(panel, "T", "2018", ["D0", "D1"]).withheld
    assert estimate(panel, "T", "2011", [f"D{j}" for j in range(12)]).withheld.startswith("Werte aus einem Jahr vor dem "
                                                                                        "Beginn und ")
    # a region far above every donor cannot be reproduced by a mix of them
    odd = panel.copy()
    odd.loc["T"] = odd.loc["T"] + 40 + 3 * np.sin(np.arange(len(YEARS)))
    far = estimate(odd, "T", "2018", [f"D{j}" for j in range(12)])
    assert far.effect is None and "bilden den Verlauf vor dem Beginn nicht nach" in far.withheld
    text = sentence(far, "die HzE-Quote", "Altdorf", "je 1.000", {})
    assert text.startswith("Für die HzE-Quote in Altdorf lässt sich keine Wirkung schätzen")


def test_sentence_names_the_comparison_and_the_caveat():
    got = estimate(panel_with(effect=-4.1), "T", "2018", [f"D{j}" for j in range(12)])
    text = sentence(got, "die HzE-Quote", "Altdorf", "je 1.000", {"D0": "Bedorf", "D1": "Cestadt"})
    assert text.startswith("Seit Beginn der Maßnahme liegt die HzE-Quote in Altdorf um 4,1 je 1.000 unter dem Verlauf")
    assert "(Cestadt 70 %; Bedorf 30 %)" in text and "90 %-Intervall" in text and "andere Ursachen" in text


def test_comparison_names_one_region_as_one_and_a_mixture_with_its_shares():
    names = {f"D{j}": f"Ort {j}" for j in range(7)}
    assert comparison_phrase({"D3": 1.0}, names) == "Verglichen wird mit einem ähnlichen Gebiet ohne Maßnahme (Ort 3)"
    many = {"D0": 0.4, "D1": 0.25, "D2": 0.2, "D3": 0.1, "D4": 0.046, "D5": 0.004}
    assert comparison_phrase(many, names) == (
        "Verglichen wird mit einer gewichteten Mischung ähnlicher Gebiete ohne Maßnahme "
        "(Ort 0 40 %; Ort 1 25 %; Ort 2 20 %; Ort 3 10 % und 2 weitere)")
    assert "Ort 5 unter 1 %" in comparison_phrase(many, names, shown=6)
    assert comparison_phrase(many, names, shown=5).endswith("Ort 4 5 % und ein weiteres)")


def test_donors_by_the_learned_metric():
    features = pd.DataFrame({"a": [0.0, 0.1, 5.0, 0.0], "b": [0.0, 5.0, 0.1, 3.0]}, index=["T", "X", "Y", "Z"])
    # with the plain distance Z (3 away on b) is nearer than X and Y (5 away)
    assert donor_pool(features, "T", ["X", "Y", "Z"], 1) == ["Z"]
    # a metric that ignores b: X and Z (0 and 0.1 on a) come first
    assert donor_pool(features, "T", ["X", "Y", "Z"], 2, np.diag([1.0, 0.0])) == ["Z", "X"]


def _exchangeable(seed: int) -> pd.DataFrame:
    """13 regions alike in kind: a shared trend, a shared factor with loadings 0.5–1.5, noise; none treated."""
    rng = np.random.default_rng(seed)
    common, factor = np.cumsum(rng.normal(0, 1, len(YEARS))), np.cumsum(rng.normal(0, 1, len(YEARS)))
    rows = {f"R{j}": 20 + common + rng.uniform(0.5, 1.5) * factor + rng.normal(0, 0.7, len(YEARS)) for j in range(13)}
    return pd.DataFrame(rows, index=YEARS).T


def test_the_interval_is_the_conformal_rank_of_the_placebos():
    got = estimate(panel_with(noise=0.3), "T", "2018", [f"D{j}" for j in range(12)])
    # 12 placebos: the ⌈13 · 0.9⌉ = 12th smallest absolute placebo effect, on both sides of the estimate
    q = np.sort(np.abs(got.placebo_effects))[11]
    assert got.upper - got.effect == pytest.approx(q) and got.effect - got.lower == pytest.approx(q)
    at80 = estimate(panel_with(noise=0.3), "T", "2018", [f"D{j}" for j in range(12)], level=0.8)
    assert at80.upper - at80.effect == pytest.approx(np.sort(np.abs(at80.placebo_effects))[10])   # ⌈13 · 0.8⌉ = 11


def test_too_few_placebos_for_the_level_are_withheld():
    got = estimate(panel_with(), "T", "2018", [f"D{j}" for j in range(8)])      # 8 placebos; 90 % needs 9
    assert got.effect is None and "8 Vergleichsgebiete reichen nicht für ein 90 %-Intervall (nötig: mindestens 9)" \
        in got.withheld
    assert estimate(panel_with(), "T", "2018", [f"D{j}" for j in range(9)]).withheld is None


def test_no_effect_claimed_more_often_than_the_level_allows():
    """Where the treated region is one of its kind (its error exchangeable with the placebos'), an effect is
    claimed for at most about 10 % of the measures without effect (the plain placebo quantiles: about 20 %)."""
    got = [estimate(_exchangeable(seed), "R0", "2018", [f"R{j}" for j in range(1, 13)]) for seed in range(100)]
    shown = [g for g in got if g.withheld is None]
    assert len(shown) >= 90
    assert sum(g.distinguishable for g in shown) / len(shown) <= 0.12

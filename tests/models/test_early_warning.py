"""Early warning: transitions without look-ahead, candidates, calibration, thresholds, packaging."""

import numpy as np
import pandas as pd
import pytest

from models.early_warning import (
    CANDIDATES, EarlyWarningError, EarlyWarningModel, Platt, WarningGMLVQ, background_sample, backtest_metrics,
    boundary_distance, choose_thresholds, lead_times, level_of, precision_at_k, rolling_backtest, transitions,
)
from models.packaging import load_early_warning, save_early_warning


def _profiles(n_regions=30, years=range(2010, 2020), seed=0):
    """Regions whose status index drifts; half of them rise steadily from 2014 on (a leading feature x rises
    two years earlier)."""
    rng = np.random.default_rng(seed)
    rows, mm = [], []
    for r in range(n_regions):
        rising = r % 2 == 0
        for y in years:
            lead = 0.6 * max(0, y - 2012) if rising else 0.0
            idx = 0.4 * max(0, y - 2014) * rising + rng.normal(0, 0.2)
            cls = 1 + int(idx > -1) + int(idx > 1) + int(idx > 1.5)
            rows.append({"region_id": f"R{r:02d}", "period": str(y), "status_index": idx, "status_class": cls,
                         "dynamics_index": rng.normal(0, 1), "dz_x": lead + rng.normal(0, 0.3)})
            mm.append({"region_id": f"R{r:02d}", "period": str(y), "m_x": lead + rng.normal(0, 0.3),
                       "m_y": rng.normal(0, 1)})
    return pd.DataFrame(rows), pd.DataFrame(mm)


def test_boundary_distance():
    d = boundary_distance(pd.Series([-2.0, 0.5, 1.2, 3.0, np.nan]), (-1.0, 1.0, 1.5))
    assert d.iloc[:4].tolist() == pytest.approx([1.0, 0.5, 0.3, 0.0]) and np.isnan(d.iloc[4])


def test_transitions_outcome_looks_exactly_h_ahead():
    p, m = _profiles()
    X, y = transitions(p, m, ["x", "y"], horizon=2, delta=0.5)
    assert {"m_x", "dz_x", "status_index", "boundary_distance", "status_trend"} <= set(X.columns)
    # the last two years have no outcome yet
    assert y.xs("2019", level="period").isna().all() and y.xs("2018", level="period").isna().all()
    a = p.set_index(["region_id", "period"])
    r, t = "R00", "2015"
    later = a.loc[(r, "2017")]
    expected = float(later["status_class"] > a.loc[(r, t), "status_class"]
                     or later["status_index"] - a.loc[(r, t), "status_index"] >= 0.5)
    assert y.loc[(r, t)] == expected


def test_rolling_backtest_never_trains_on_the_future():
    p, m = _profiles()
    X, y = transitions(p, m, ["x", "y"], horizon=2, delta=0.5)
    seen = []

    class Spy(WarningGMLVQ):
        def fit(self, Xa, ya):
            seen.append(len(Xa))
            return super().fit(Xa, ya)

    bt = rolling_backtest(X, y, Spy, horizon=2)
    years = X.index.get_level_values("period").astype(int)
    for T, n_train in zip(sorted(bt["period"].astype(int).unique()), seen):
        assert n_train == int(((years + 2 <= T) & y.notna().to_numpy()).sum())
    assert bt["y"].notna().all()


@pytest.mark.parametrize("kind", ["gmlvq", "gbt"])
def test_candidates_find_the_leading_signal(kind):
    p, m = _profiles(n_regions=40)
    X, y = transitions(p, m, ["x", "y"], horizon=2, delta=0.5)
    bt = rolling_backtest(X, y, lambda: CANDIDATES[kind](), horizon=2)
    met = backtest_metrics(bt, 2)
    assert met["roc_auc"] > 0.8 and met["average_precision"] > met["positive_rate"] + 0.2


def test_too_few_earlier_transitions_is_an_error():
    p, m = _profiles(years=range(2010, 2014))
    X, y = transitions(p, m, ["x"], horizon=2, delta=0.5)
    with pytest.raises(EarlyWarningError, match="no period has enough earlier transitions"):
        rolling_backtest(X, y, WarningGMLVQ, horizon=2)


def test_platt_thresholds_levels():
    rng = np.random.default_rng(0)
    y = rng.random(2000) < 0.2
    score = y * 2.0 + rng.normal(0, 1, 2000)
    platt = Platt().fit(score, y)
    p = platt(score)
    assert abs(p.mean() - y.mean()) < 0.01 and platt.a > 0
    th = choose_thresholds(p, y, 0.5, 0.65, 0.8)
    assert th["beobachten"] < th["Warnung"] < th["akut"] < 1.0
    for level, target in (("beobachten", 0.5), ("Warnung", 0.65), ("akut", 0.8)):
        assert y[p >= th[level]].mean() >= target
        # the lowest such threshold: one distinct probability lower, the precision falls below the target
        below = p[p < th[level]].max()
        assert y[p >= below].mean() < target
    levels = level_of(p, th)
    assert set(levels) <= {"keine", "beobachten", "Warnung", "akut"}
    assert (levels[p < th["beobachten"]] == "keine").all()


def test_precision_at_k_and_lead_times():
    bt = pd.DataFrame({"region_id": ["a", "b", "a", "b"], "period": ["2014", "2014", "2015", "2015"],
                       "y": [0, 1, 1, 0], "score": [0.1, 0.9, 0.8, 0.2]})
    assert precision_at_k(bt, 0.5) == 1.0
    flagged = pd.Series([True, True, False, False])
    # region a: first positive transition 2015 → worsening shows 2017; flagged 2014 → lead 3; b: 2014 → 2016, 2
    assert sorted(lead_times(bt, flagged, 2)) == [2, 3]


@pytest.mark.parametrize("kind", ["gmlvq", "gbt"])
def test_saved_model_predicts_and_explains_the_same(kind, tmp_path):
    p, m = _profiles()
    X, y = transitions(p, m, ["x", "y"], horizon=2, delta=0.5)
    known = y.notna()
    inner = CANDIDATES[kind]().fit(X[known].to_numpy(float), y[known].to_numpy())
    model = EarlyWarningModel(kind=kind, model=inner, features=list(X.columns), platt=Platt(0.8, -1.0),
                              thresholds={"beobachten": 0.2, "Warnung": 0.4, "akut": 0.7},
                              background=background_sample(X[known].to_numpy(float), 20), horizon=2, delta=0.5)
    save_early_warning(model, tmp_path)
    back = load_early_warning(tmp_path)
    np.testing.assert_allclose(back.probability(X), model.probability(X))
    np.testing.assert_allclose(back.shap(X.head(3)).to_numpy(), model.shap(X.head(3)).to_numpy())
    assert (back.levels(X) == model.levels(X)).all()
    assert not list(tmp_path.glob("*.pkl"))


def test_thresholds_never_reached_and_ties():
    # a score that carries no information: no threshold reaches precision 0.5 on a 10 % base rate
    y = np.array([1] + [0] * 9 + [1] + [0] * 9)
    p = np.linspace(0.9, 0.1, 20)
    p[0], p[10] = 0.05, 0.06
    assert choose_thresholds(p, y) == {"beobachten": 1.0, "Warnung": 1.0, "akut": 1.0}
    # ties are never split: three transitions at 0.7, two of which worsen (precision 2/3) — all or none are
    # flagged, so 'akut' (0.9) is not reached by taking the two that worsen
    p = np.array([0.7, 0.7, 0.7, 0.2, 0.2, 0.1])
    y = np.array([1, 1, 0, 0, 0, 0])
    th = choose_thresholds(p, y, 0.5, 0.6, 0.9, min_flagged=2)
    assert th == {"beobachten": 0.7, "Warnung": 0.7, "akut": 1.0}
    # fewer than min_flagged transitions never make a level, however precise
    p = np.array([0.9, 0.8, 0.3, 0.2, 0.1])
    y = np.array([1, 1, 0, 0, 0])
    assert choose_thresholds(p, y, min_flagged=3)["akut"] == 1.0
    assert choose_thresholds(p, y, min_flagged=2)["akut"] == 0.8


def test_threshold_targets_must_rise():
    with pytest.raises(ValueError, match="precision targets must rise"):
        choose_thresholds(np.array([0.1, 0.9]), np.array([0, 1]), 0.7, 0.6, 0.8)
    from ml.config import EarlyWarningConfig

    with pytest.raises(ValueError, match="precision_watch <= precision_warning <= precision_acute"):
        EarlyWarningConfig(precision_watch=0.9)

"""Why a region is not in the next class, for classifiers without prototypes; the later-period check; the
classifier saved without pickles and served through the pyfunc."""

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from models.class_contrasts import probability_contrasts, typical_profiles
from models.lvq_selection import later_period
from models.packaging import LVQPyfunc, load_classifier, save_classifier


def _two_feature_case():
    """Class 'hoch' where feature a is high; feature b is noise."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    y = np.where(X[:, 0] > 0, "hoch", "niedrig")
    return X, y


def test_typical_profiles_are_the_class_medians():
    X = np.array([[1.0, 10.0], [3.0, 30.0], [5.0, 50.0], [-1.0, 0.0]])
    y = np.array(["a", "a", "a", "b"])
    P = typical_profiles(X, y, ["b", "a", "c"])
    assert P[0].tolist() == [-1.0, 0.0] and P[1].tolist() == [3.0, 30.0] and np.isnan(P[2]).all()


def test_the_indicator_that_separates_the_classes_is_named_with_the_typical_value():
    X, y = _two_feature_case()
    model = LogisticRegression().fit(X, y)
    typical = typical_profiles(X, y, model.classes_)
    region = np.array([[-1.5, 0.2]])                       # clearly 'niedrig' by feature a
    out = probability_contrasts(model, region, typical, ["Armut", "Rauschen"])
    row = out.iloc[0]
    assert row["own_class"] == "niedrig" and row["next_class"] == "hoch" and row["p_own"] > 0.9
    assert row["why"].startswith("Zur Klasse „hoch“ trennt vor allem: Armut (z −1,5 statt typisch ")
    # the typical value is the median of the next class's regions
    assert f"{typical[0, 0]:.1f}".replace(".", ",") in row["why"]
    # in units where the scale knows them
    scale = pd.DataFrame({"centre": [10.0, 0.0], "scale": [2.0, np.nan]}, index=["armut", "rauschen"])
    unit = probability_contrasts(model, region, typical, ["Armut", "Rauschen"], scale=scale,
                                 features=["armut", "rauschen"]).iloc[0]["why"]
    assert "Armut (7,0 statt typisch " in unit


def test_a_region_no_single_change_moves_says_so():
    X = np.array([[0.0], [0.1], [5.0], [5.1]])
    y = np.array(["a", "a", "b", "b"])
    model = DummyClassifier(strategy="prior").fit(X, y)    # ignores its inputs
    out = probability_contrasts(model, X[:1], typical_profiles(X, y, model.classes_), ["x"])
    assert out.iloc[0]["why"] == "Kein einzelner Indikator rückt das Gebiet näher an die Klasse „b“."


def test_the_later_period_check_scores_each_model_fitted_on_the_earlier_period_only():
    X, y = _two_feature_case()
    later_X = X + np.array([0.0, 0.0])
    later_y = y.copy()
    later_y[:20] = "niedrig"                               # the later period differs from the earlier one
    table = later_period(X, y, later_X, later_y, {"LR": LogisticRegression(), "immer": DummyClassifier()})
    lr = LogisticRegression().fit(X, y).predict(later_X)
    assert table.loc[0, "accuracy"] == pytest.approx((lr == later_y).mean())
    majority = pd.Series(y).value_counts().idxmax()
    assert table.loc[1, "accuracy"] == pytest.approx((later_y == majority).mean())
    assert table.loc[1, "balanced_accuracy"] == pytest.approx(0.5)
    # a class the earlier period never saw counts with probability 0, not as an error
    new = later_y.astype(object)
    new[0] = "neu"
    assert np.isfinite(later_period(X, y, later_X, new, {"LR": LogisticRegression()}).loc[0, "log_loss"])


@pytest.mark.parametrize("estimator", [LogisticRegression(max_iter=1000, class_weight="balanced"),
                                       RandomForestClassifier(n_estimators=20, random_state=0)])
def test_a_classifier_served_in_place_of_the_lvq_model_round_trips_without_pickle(estimator, tmp_path):
    X, y = _two_feature_case()
    model = estimator.fit(X, y)
    typical = typical_profiles(X, y, model.classes_)
    save_classifier(model, ["a", "b"], tmp_path, "Logistische Regression (balanciert)", typical)
    assert not list(tmp_path.glob("*.pkl"))
    loaded, features, name, profiles = load_classifier(tmp_path)
    assert features == ["a", "b"] and name.startswith("Logistische") and np.allclose(profiles, typical)
    assert np.allclose(loaded.predict_proba(X), model.predict_proba(X))

    class Context:
        artifacts = {"classifier": str(tmp_path)}

    pyfunc = LVQPyfunc()
    pyfunc.load_context(Context())
    frame = pd.DataFrame(X[:5], columns=["a", "b"])
    out = pyfunc.predict(None, frame)
    assert list(out["prediction"]) == list(model.predict(X[:5]))
    assert np.allclose(out[["p_hoch", "p_niedrig"]].to_numpy(), model.predict_proba(X[:5]))


def test_a_saved_classifier_with_types_outside_scikit_learn_is_not_loaded(tmp_path):
    import skops.io

    from sklearn.preprocessing import FunctionTransformer

    X, y = _two_feature_case()
    model = LogisticRegression().fit(X, y)
    save_classifier(model, ["a", "b"], tmp_path, "LR", typical_profiles(X, y, model.classes_))
    data = dict(np.load(tmp_path / "classifier.npz", allow_pickle=False))
    foreign = FunctionTransformer(func=print)          # carries a builtin function: not a scikit-learn type
    data["skops"] = np.frombuffer(skops.io.dumps(foreign), dtype=np.uint8)
    np.savez(tmp_path / "classifier.npz", **data)
    with pytest.raises(ValueError, match="types outside scikit-learn: builtins.print"):
        load_classifier(tmp_path)

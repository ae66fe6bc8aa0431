"""Early warning: transitions without look-ahead, candidates (the rules among them), calibration and levels
inside the backtest folds, champion choice, SHAP additivity, packaging."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings as hsettings, strategies as st
from sklearn.metrics import average_precision_score, roc_auc_score

from features.warning_inputs import build_warning_inputs
from models.warning_candidates import CANDIDATES, Average, BoundaryRule, EarlyWarningError, IndexForecast
from models.early_warning import (
    RULES, BacktestConfig, EarlyWarningModel, Levels, Platt, as_of, auc_ap, background_sample, backtest,
    choose_champion, choose_levels, evaluate, expected_calibration_error, explain, fit_candidates, fit_final,
    lead_times, level_record, make_transitions, missing_inputs, out_of_time, precision_at_k, served_over_time,
    vet_levels, wilson,
)
from models.packaging import load_early_warning, save_early_warning

TARGETS = {"beobachten": 0.5, "Warnung": 0.65, "akut": 0.8}
THRESHOLDS = (-1.0, 1.0, 1.5)


def _classify(idx):
    return 1 + int(idx > -1) + int(idx >= 1) + int(idx >= 1.5)


def _inputs(n_regions=40, years=range(2008, 2021), seed=0, step=1):
    """Regions whose status index drifts; half of them rise steadily from 2014 on, and a leading feature x
    rises two years earlier."""
    rng = np.random.default_rng(seed)
    rows, mm = [], []
    for r in range(n_regions):
        rising = r % 2 == 0
        base = rng.normal(0, 0.5)
        for y in list(years)[::step]:
            lead = 0.6 * max(0, y - 2012) if rising else 0.0
            idx = base + 0.35 * max(0, y - 2014) * rising + rng.normal(0, 0.2)
            rows.append({"region_id": f"R{r:02d}", "period": str(y), "status_index": idx,
                         "status_class": _classify(idx), "dynamics_index": rng.normal(0, 1),
                         "dz_x": lead + rng.normal(0, 0.3)})
            mm.append({"region_id": f"R{r:02d}", "period": str(y), "m_x": lead + rng.normal(0, 0.3),
                       "m_y": rng.normal(0, 1)})
    return build_warning_inputs(pd.DataFrame(rows), pd.DataFrame(mm), ["x", "y"], THRESHOLDS)


def _cfg(**kw):
    base = dict(candidates=["boundary", "dynamics", "index_forecast", "gmlvq", "gbt", "average"], targets=TARGETS)
    return BacktestConfig(**{**base, **kw})


def test_class_outcome_looks_exactly_h_ahead_and_the_worst_class_is_not_at_risk():
    inp = _inputs()
    T = make_transitions(inp, 2)
    # the last two years have no outcome yet
    assert T.y.xs("2020", level="period").isna().all() and T.y.xs("2019", level="period").isna().all()
    a = inp.set_index(["region_id", "period"])
    for (r, t), y in T.y.dropna().head(200).items():
        later = a.loc[(r, str(int(t) + 2))]
        assert y == float(later["status_class"] > a.loc[(r, t), "status_class"])
    worst = a["status_class"] == 4
    assert worst.any() and T.y[worst.reindex(T.y.index).to_numpy()].isna().all()
    assert not T.at_risk[worst.reindex(T.y.index).to_numpy()].any()


def test_index_rise_outcome_is_an_option():
    inp = _inputs()
    T = make_transitions(inp, 2, outcome="index_rise", delta=0.5)
    a = inp.set_index(["region_id", "period"])
    r, t = "R00", "2015"
    later = a.loc[(r, "2017")]
    expected = float(later["status_class"] > a.loc[(r, t), "status_class"]
                     or later["status_index"] - a.loc[(r, t), "status_index"] >= 0.5)
    assert T.y.loc[(r, t)] == expected
    assert T.at_risk.all()
    with pytest.raises(ValueError, match="outcome must be one of class, index_rise; got 'rise'"):
        make_transitions(inp, 2, outcome="rise")
    with pytest.raises(ValueError, match="horizon must be at least 1 year; got 0"):
        make_transitions(inp, 0)


def test_backtest_never_trains_on_the_future_and_calibrates_inside_the_fold(monkeypatch):
    inp = _inputs()
    T = make_transitions(inp, 2)
    seen = []
    import models.early_warning as ew

    real = ew.fit_candidates

    def spy(T_, rows, cfg):
        seen.append(set(T_.year[rows]))
        return real(T_, rows, cfg)

    monkeypatch.setattr(ew, "fit_candidates", spy)
    bts = backtest(T, _cfg(candidates=["boundary", "gmlvq"]))
    tested = sorted(bts["gmlvq"]["period"].astype(int).unique())
    assert len(seen) == len(tested) >= 5
    for T0, years in zip(tested, seen):
        # calibration and levels come from the same fold: only transitions that ended by T0
        assert max(years) + 2 <= T0
    for bt in bts.values():
        assert bt["y"].isin([0, 1]).all() and bt["p"].between(0, 1).all()
        assert set(bt["level"]) <= {"keine", "beobachten", "Warnung", "akut"}


def test_candidates_find_the_leading_signal_and_the_rules_compete():
    T = make_transitions(_inputs(n_regions=60), 2)
    bts = backtest(T, _cfg())
    m = {k: evaluate(bt, bootstrap=50) for k, bt in bts.items()}
    assert set(m) == {"boundary", "dynamics", "index_forecast", "gmlvq", "gbt", "average"}
    # the planted precursor x is what the learned candidates can use; the dynamics index here is noise
    for k in ("gmlvq", "gbt", "average"):
        assert m[k]["average_precision"] > m["dynamics"]["average_precision"] + 0.1
    # pooled over folds, even a noise score gains a little from each fold's calibrated base rate
    assert 0.35 < m["dynamics"]["roc_auc"] < 0.7
    for k, mm in m.items():
        assert mm["roc_auc_lo"] <= mm["roc_auc"] <= mm["roc_auc_hi"]
        assert mm["average_precision_lo"] <= mm["average_precision"] <= mm["average_precision_hi"]
        assert 0 <= mm["ece"] <= 1 and 0 <= mm["brier"] <= 1
    oot = out_of_time(bts["gbt"])
    assert oot["period"] == max(bts["gbt"]["period"].astype(int)) and 0 <= oot["roc_auc"] <= 1


def test_the_test_periods_in_worker_processes_give_the_same_rows():
    T = make_transitions(_inputs(), 1)
    seen = {}
    one = backtest(T, _cfg(candidates=["boundary", "gmlvq", "gbt", "average"], n_jobs=1),
                   progress=lambda done, total: seen.setdefault(1, []).append((done, total)))
    two = backtest(T, _cfg(candidates=["boundary", "gmlvq", "gbt", "average"], n_jobs=2),
                   progress=lambda done, total: seen.setdefault(2, []).append((done, total)))
    assert set(one) == set(two) == {"boundary", "gmlvq", "gbt", "average"}
    for k in one:
        pd.testing.assert_frame_equal(one[k], two[k], check_exact=True)
    # progress counts every period, tested or not, up to the whole
    assert seen[1] == seen[2] and seen[1][-1][0] == seen[1][-1][1] == len(T.year[T.known].unique())


def _rows(period, y, p, level):
    return pd.DataFrame({"region_id": [f"R{i}" for i in range(len(y))], "period": period, "y": y, "score": p,
                         "p": p, "level": level})


def test_as_of_judges_the_origin_with_the_champion_chosen_from_what_was_known_then():
    y = [1, 1, 0, 0, 0, 0]
    good, bad = [0.9, 0.8, 0.3, 0.2, 0.1, 0.05], [0.1, 0.2, 0.9, 0.8, 0.3, 0.05]
    lv = ["Warnung", "beobachten", "beobachten", "keine", "keine", "keine"]
    # the trees lead in 2015 and 2017, the rule in 2019
    bts = {"boundary": pd.concat([_rows("2015", y, bad, lv), _rows("2017", y, bad, lv), _rows("2019", y, good, lv)]),
           "gbt": pd.concat([_rows("2015", y, good, lv), _rows("2017", y, good, lv), _rows("2019", y, bad, lv)])}
    at = as_of(bts, horizon=2, origin=2019)
    # chosen on 2015 and 2017 (their outcomes, at 2017 and 2019, were known in 2019), not on 2019 itself
    assert at.chosen == "gbt"
    assert at.figures["boundary"]["roc_auc"] == 1.0 and at.figures["gbt"]["roc_auc"] == 0.25
    assert at.served == at.figures["gbt"]
    f = at.figures["boundary"]
    assert (f["n"], f["positives"], f["flagged_beobachten"], f["flagged_Warnung"], f["flagged_akut"]) == (6, 2, 3, 1, 0)
    assert f["precision_beobachten"] == pytest.approx(2 / 3) and f["recall_beobachten"] == 1.0
    assert f["precision_Warnung"] == 1.0 and f["recall_Warnung"] == 0.5 and np.isnan(f["precision_akut"])
    # in 2017 only 2015's test was complete; in 2015 none was, and nothing could have been chosen
    assert as_of(bts, 2, 2017).chosen == "gbt"
    four = as_of(bts, 4, 2019)
    assert four.chosen == "gbt" and set(four.figures) == {"boundary", "gbt"}
    assert as_of(bts, 2, 2015).chosen is None and as_of(bts, 2, 2015).served == {}
    with pytest.raises(EarlyWarningError, match="no transition from 2021 over 2 years has a known outcome "
                                                "\\(needs the edition of 2023\\)"):
        as_of(bts, 2, 2021)
    # year by year: 2015 had no complete test period; 2017 and 2019 chose the trees, the rule served beside them
    over = served_over_time(bts, 2)
    assert list(over["origin"]) == [2017, 2019] and set(over["chosen"]) == {"gbt"} and set(over["rule"]) == {"boundary"}
    assert over.loc[1, "average_precision"] == at.figures["gbt"]["average_precision"]
    assert over.loc[1, "rule_average_precision"] == at.figures["boundary"]["average_precision"] == 1.0
    # a period with a single outcome class has counts but no ranking figures
    one = as_of({"boundary": _rows("2019", [0] * 6, good, lv)}, 2, 2019)
    assert one.figures["boundary"]["positives"] == 0 and "roc_auc" not in one.figures["boundary"]
    assert np.isnan(one.figures["boundary"]["recall_beobachten"])


def test_index_forecast_without_dynamics_orders_like_the_boundary_rule():
    inp = _inputs()
    flat = inp.assign(dynamics_index=0.0, status_change_1=0.0, status_change_2=0.0, status_trend=0.0)
    T = make_transitions(flat, 2)
    known = T.known
    f = IndexForecast(columns=["dynamics_index", "status_change_1", "status_change_2", "status_trend"])
    f.fit(T.X[known.to_numpy()], T.y[known], T.change[known])
    rule = BoundaryRule().decision_function(T.X)
    ours = f.decision_function(T.X)
    risk = T.at_risk.to_numpy()
    # the same order as the rule: the forecast adds nothing when nothing moves
    assert np.corrcoef(pd.Series(rule[risk]).rank(), pd.Series(ours[risk]).rank())[0, 1] > 0.999


def _panel(pattern, periods=5, regions=200, seed=0):
    """Transitions of ``regions`` regions in ``periods`` periods: a feature c1, the boundary distance, and the
    index change ``pattern(period number, c1) + noise``."""
    rng = np.random.default_rng(seed)
    idx = pd.MultiIndex.from_product([[f"R{r:03d}" for r in range(regions)], [str(2010 + p) for p in range(periods)]],
                                     names=["region_id", "period"])
    c1 = rng.normal(0, 1, len(idx))
    per = np.array([int(p) - 2010 for p in idx.get_level_values("period")])
    X = pd.DataFrame({"status_change_1": c1, "boundary_distance": rng.uniform(0, 2, len(idx))}, index=idx)
    change = pattern(per, c1) + rng.normal(0, 0.3, len(idx))
    return X, change


def test_index_forecast_ridge_is_scikit_learns_ridge():
    from sklearn.linear_model import Ridge
    from sklearn.preprocessing import StandardScaler

    from models.warning_candidates import _ridge, _scale

    rng = np.random.default_rng(1)
    A = np.c_[rng.normal(0, 3, 300), rng.normal(5, 1, 300), np.full(300, 2.0)]   # the last column constant
    t = A @ [0.2, -0.5, 0.0] + rng.normal(0, 1, 300)
    mean, std = A.mean(axis=0), _scale(A.std(axis=0))
    Z = StandardScaler().fit_transform(A)
    for a, (b, w) in zip([0.1, 10.0, 1e4, np.inf], _ridge(A, t, mean, std, [0.1, 10.0, 1e4, np.inf])):
        if np.isinf(a):
            assert b == pytest.approx(t.mean()) and not w.any()
            continue
        ref = Ridge(alpha=a).fit(Z, t)
        np.testing.assert_allclose(w, ref.coef_, atol=1e-10)
        assert b == pytest.approx(ref.intercept_)


def test_index_forecast_keeps_no_pattern_of_a_single_period():
    from sklearn.linear_model import RidgeCV

    # a shock of one period (2012): there the change followed c1; in every other period it did not
    X, change = _panel(lambda per, c1: np.where(per == 2, 1.5 * c1, 0.0))
    f = IndexForecast(columns=["status_change_1"]).fit(X, None, change)
    assert np.isinf(f.alpha_) and not f.coef_.any()
    # the penalty by leaving out single rows would have kept the pattern
    assert RidgeCV(alphas=IndexForecast.alphas).fit(X[["status_change_1"]], change).alpha_ < 1e3
    # without dynamics, the regions are ordered exactly as by the boundary rule
    order = np.argsort(f.decision_function(X), kind="stable")
    np.testing.assert_array_equal(order, np.argsort(BoundaryRule().decision_function(X), kind="stable"))


def test_index_forecast_keeps_dynamics_only_where_they_help_beyond_the_periods_noise():
    """A pattern that helps on the left-out periods in total, but whose strength and sign change from period to
    period (0.4, 0.2, 0, −0.1, 0.3): the least total error keeps it (penalty 1000); the one-standard-error rule
    does not, so the candidate orders the regions as the boundary rule does."""
    from models.warning_candidates import _ridge, _scale

    X, change = _panel(lambda per, c1: np.array([0.4, 0.2, 0.0, -0.1, 0.3])[per] * c1)
    A, t = X[["status_change_1"]].to_numpy(float), np.asarray(change)
    periods = X.index.get_level_values("period").to_numpy()
    choices = [*IndexForecast.alphas, np.inf]
    total = np.zeros(len(choices))
    for label in np.unique(periods):
        out = periods == label
        mean, std = A[~out].mean(axis=0), _scale(A[~out].std(axis=0))
        for i, (b, w) in enumerate(_ridge(A[~out], t[~out], mean, std, choices)):
            total[i] += float(((t[out] - b - ((A[out] - mean) / std) @ w) ** 2).sum())
    assert np.isfinite(choices[int(np.argmin(total))])
    f = IndexForecast(columns=["status_change_1"]).fit(X, None, change)
    assert np.isinf(f.alpha_) and not f.coef_.any()


def test_index_forecast_learns_a_pattern_every_period_repeats():
    X, change = _panel(lambda per, c1: 0.4 * c1)
    f = IndexForecast(columns=["status_change_1"]).fit(X, None, change)
    assert np.isfinite(f.alpha_) and f.coef_[0] == pytest.approx(0.4, abs=0.05)
    # one period alone cannot show that a pattern holds in the next: no dynamics, and the state keeps that
    one = X.xs("2010", level="period", drop_level=False)
    g = IndexForecast(columns=["status_change_1"]).fit(one, None, pd.Series(change, index=X.index).loc[one.index])
    assert np.isinf(g.alpha_)
    with pytest.raises(EarlyWarningError, match="period"):
        IndexForecast(columns=["status_change_1"]).fit(X.reset_index(drop=True), None, change)
    meta, arrays = g.state()
    back = IndexForecast.from_state(meta, arrays)
    assert np.isinf(back.alpha_)
    np.testing.assert_allclose(back.decision_function(X), g.decision_function(X))


@pytest.mark.parametrize("kind", ["boundary", "dynamics", "index_forecast", "gmlvq", "gbt", "average"])
def test_shap_values_add_up_and_the_saved_model_is_the_same(kind, tmp_path):
    T = make_transitions(_inputs(), 2)
    metrics = {k: {"average_precision": 0.3, "roc_auc": 0.8} for k in ("boundary", "dynamics", kind)}
    model = fit_final(T, kind, _cfg(), metrics, background_size=20)
    X = T.X.head(12)
    phi = model.shap(X)
    base = model.decision_function(X) - phi.sum(axis=1).to_numpy()
    # one base for every row: the SHAP values carry all the differences between regions
    assert np.ptp(base) < 1e-6
    if kind in ("boundary", "dynamics", "index_forecast", "gmlvq"):
        assert base[0] == pytest.approx(model.decision_function(model.background).mean(), abs=1e-6)
    save_early_warning({2: model}, tmp_path)
    back = load_early_warning(tmp_path)[2]
    np.testing.assert_allclose(back.probability(T.X), model.probability(T.X))
    np.testing.assert_allclose(back.shap(X).to_numpy(), phi.to_numpy(), atol=1e-9)
    assert back.levels.thresholds == model.levels.thresholds and back.note == model.note
    assert not list(tmp_path.glob("*.pkl"))
    # the worst class cannot get worse: probability 0
    worst = T.X["worst_class"] > 0
    assert (model.probability(T.X[worst]) == 0).all()


def test_levels_are_reachable_or_unavailable_with_a_reason():
    rng = np.random.default_rng(0)
    y = rng.random(2000) < 0.2
    p = Platt().fit(y * 2.0 + rng.normal(0, 1, 2000), y)(y * 2.0 + rng.normal(0, 1, 2000))
    lv = choose_levels(p, y, TARGETS, confidence=0.5)      # 0.5: the precision itself
    t = lv.thresholds
    assert t["beobachten"] < t["Warnung"] < t["akut"] <= p.max() and lv.targets == TARGETS
    for level, target in TARGETS.items():
        assert y[p >= t[level]].mean() >= target
        below = p[p < t[level]].max()   # the lowest such threshold: one step lower the precision falls short
        assert y[p >= below].mean() < target
    # by default the lower 90 % Wilson bound of the precision must reach the target: higher thresholds, and
    # one step lower the bound falls short
    sure = choose_levels(p, y, TARGETS)
    for level, target in TARGETS.items():
        at = p >= sure.thresholds[level]
        assert sure.thresholds[level] > t[level]
        assert wilson(y[at].sum(), at.sum(), 0.9) >= target - 1e-12
        below = p >= p[p < sure.thresholds[level]].max()
        assert wilson(y[below].sum(), below.sum(), 0.9) < target
    # a score that carries no information: no threshold reaches precision 0.5 on a 10 % base rate
    y = np.array([1] + [0] * 9 + [1] + [0] * 9)
    p = np.linspace(0.9, 0.1, 20)
    p[0], p[10] = 0.05, 0.06
    lv = choose_levels(p, y, TARGETS)
    assert lv.thresholds == {"beobachten": None, "Warnung": None, "akut": None} and lv.available == []
    assert "50 %" in lv.reasons["beobachten"] and set(lv.reasons) == {"beobachten", "Warnung", "akut"}
    assert (lv.of(p) == "keine").all()
    # ties are never split, and fewer than min_flagged transitions never make a level
    lv = choose_levels(np.array([0.7, 0.7, 0.7, 0.2, 0.2, 0.1]), np.array([1, 1, 0, 0, 0, 0]),
                       {"beobachten": 0.5, "Warnung": 0.6, "akut": 0.9}, min_flagged=2, confidence=0.5)
    assert lv.thresholds == {"beobachten": 0.7, "Warnung": 0.7, "akut": None} and "akut" in lv.reasons
    p, y = np.array([0.9, 0.8, 0.3, 0.2, 0.1]), np.array([1, 1, 0, 0, 0])
    assert choose_levels(p, y, TARGETS, min_flagged=3, confidence=0.5).thresholds["akut"] is None
    assert choose_levels(p, y, TARGETS, min_flagged=2, confidence=0.5).thresholds["akut"] == 0.8
    # two of two worsened is no sure 80 %: the lower bound of 2/2 at 90 % is 0.55
    assert choose_levels(p, y, TARGETS, min_flagged=2).thresholds["akut"] is None
    with pytest.raises(ValueError, match="precision targets must rise"):
        choose_levels(p, y, {"beobachten": 0.7, "Warnung": 0.6, "akut": 0.8})
    with pytest.raises(ValueError, match="confidence"):
        choose_levels(p, y, TARGETS, confidence=0.4)


def test_wilson_bounds_bracket_the_share_and_match_the_formula():
    assert wilson(5, 10, 0.5) == pytest.approx(0.5) and wilson(5, 10, 0.5, upper=True) == pytest.approx(0.5)
    # Wilson score interval, z = 1.2816 (one-sided 90 %), 8 of 10
    z, ph, n = 1.2815516, 0.8, 10
    lo = (ph + z * z / (2 * n) - z * np.sqrt(ph * (1 - ph) / n + z * z / (4 * n * n))) / (1 + z * z / n)
    assert wilson(8, 10, 0.9) == pytest.approx(lo, abs=1e-6) and wilson(8, 10, 0.9) < 0.8 < wilson(8, 10, 0.9, True)
    assert wilson(0, 10, 0.9) == pytest.approx(0.0) and wilson(10, 10, 0.9, upper=True) == pytest.approx(1.0)


def test_a_level_its_backtest_shows_to_miss_the_target_is_not_served():
    levels = Levels({"beobachten": 0.3, "Warnung": 0.5, "akut": 0.7}, {}, TARGETS)
    figures = {"flagged_beobachten": 620.0, "precision_beobachten": 0.37,   # far below 50 % with many flagged
               "flagged_Warnung": 12.0, "precision_Warnung": 0.5,          # below 65 %, but 12 leave it open
               "flagged_akut": 0.0, "precision_akut": float("nan")}        # never flagged: no evidence
    vetted = vet_levels(levels, figures)
    assert vetted.thresholds == {"beobachten": None, "Warnung": 0.5, "akut": 0.7}
    assert vetted.reasons["beobachten"] == ("im Rückblick auf ungesehene Jahre verschlechterten sich nur 37 % der "
                                            "620 so markierten Gebiete (verlangt 50 %)")
    assert vetted.available == ["Warnung", "akut"] and vetted.targets == TARGETS
    # a region above the Warnung threshold is still warned; one between the two thresholds is not flagged
    assert list(vetted.of([0.4, 0.55])) == ["keine", "Warnung"]
    # an unavailable level stays unavailable with its first reason
    first = Levels({"beobachten": None, "Warnung": None, "akut": None}, {"beobachten": "x"}, TARGETS)
    assert vet_levels(first, figures).reasons == {"beobachten": "x"}
    record = level_record(vetted, figures)
    assert record["beobachten"] == {"target": 0.5, "threshold": None, "backtest_precision": 0.37,
                                    "backtest_flagged": 620, "reason": vetted.reasons["beobachten"]}
    assert record["akut"]["backtest_precision"] is None and record["akut"]["backtest_flagged"] == 0


def test_no_threshold_of_one_anywhere_in_a_backtest():
    T = make_transitions(_inputs(), 2)
    fitted = fit_candidates(T, T.known, _cfg())
    served = [t for f in fitted.values() for t in f.levels.thresholds.values() if t is not None]
    assert len(fitted) == 6 and len(served) >= 6      # the check below runs on real thresholds
    for f in fitted.values():
        for t in f.levels.thresholds.values():
            assert t is None or t < 1.0
            if t is not None:   # reachable: some training transition had at least this probability
                assert np.nanmax(1 / (1 + np.exp(-f.inner_logit))) >= t


def test_champion_by_average_precision_auc_breaks_ties_and_a_rule_wins_a_full_tie():
    m = {"boundary": {"average_precision": 0.40, "roc_auc": 0.90}, "gbt": {"average_precision": 0.4004,
                                                                           "roc_auc": 0.88},
         "gmlvq": {"average_precision": 0.30, "roc_auc": 0.95}}
    assert choose_champion(m) == "boundary"            # AP equal to three decimals: AUC decides
    m["gbt"]["roc_auc"] = 0.90
    assert choose_champion(m) == "boundary"            # a full tie: the rule
    m["gbt"]["average_precision"] = 0.45
    assert choose_champion(m) == "gbt"


@hsettings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), st.integers(0, 20), st.integers(0, 3)), min_size=2, max_size=80))
def test_auc_and_average_precision_are_scikit_learns(rows):
    """The bootstrap's own ROC AUC and average precision equal scikit-learn's, ties and weights (repeated
    regions, left-out ones) included."""
    y, p, w = (np.array(c, float) for c in zip(*rows))
    p = p / 20                      # few distinct scores: many ties
    keep = w > 0
    if len(np.unique(y[keep])) < 2:
        return
    y, p, w = y[keep], p[keep], w[keep]
    auc, ap = auc_ap(y, p, w)
    assert auc == pytest.approx(roc_auc_score(y, p, sample_weight=w), abs=1e-12)
    assert ap == pytest.approx(average_precision_score(y, p, sample_weight=w), abs=1e-12)
    assert auc_ap(y, p) == pytest.approx((roc_auc_score(y, p), average_precision_score(y, p)), abs=1e-12)


def test_the_champion_ranks_the_regions_of_each_period_not_region_years_across_periods():
    """Two periods, one bad (half the regions worsen) and one good (one in ten): a model that knows which year is
    bad but ranks the regions within each year poorly wins the pooled average precision; a planner meets one
    edition at a time, where the rule ranks them perfectly, so the rule is chosen, and the sentence says so."""
    from models.early_warning import champion_note

    y = np.array([1] * 5 + [0] * 5 + [1] + [0] * 9)
    period = ["2017"] * 10 + ["2019"] * 10
    # the rule: perfect within each period, its scores of the good year above those of the bad one
    rule_p = np.r_[np.linspace(0.30, 0.21, 10), np.linspace(0.60, 0.51, 10)]
    # the model: the bad year first, and within each year a middling order
    model_p = np.r_[[0.9, 0.85, 0.8, 0.6, 0.55, 0.95, 0.7, 0.65, 0.5, 0.52],
                    [0.35, 0.39, 0.38, 0.3, 0.29, 0.28, 0.27, 0.26, 0.25, 0.24]]
    bts = {k: pd.DataFrame({"region_id": [f"R{i % 10}" for i in range(20)], "period": period, "y": y, "p": p,
                            "score": p, "level": "keine"}) for k, p in (("boundary", rule_p), ("gbt", model_p))}
    m = {k: evaluate(bt, bootstrap=50) for k, bt in bts.items()}
    assert m["gbt"]["average_precision"] > m["boundary"]["average_precision"]           # pooled: the model
    assert m["boundary"]["period_average_precision"] == 1.0 == m["boundary"]["period_roc_auc"]
    assert m["gbt"]["period_average_precision"] < 0.6
    assert m["boundary"]["period_average_precision_lo"] <= 1.0 <= m["boundary"]["period_average_precision_hi"]
    assert choose_champion(m) == "boundary"
    assert champion_note("boundary", m, 2).endswith("(mittlere Average Precision je Ausgabe 1,00).")
    ap = f"{m['gbt']['period_average_precision']:.2f}".replace(".", ",")
    assert f"(mittlere Average Precision je Ausgabe {ap} gegenüber 1,00)" in champion_note("gbt", m, 2)


def test_calibration_error_precision_at_k_and_lead_times():
    assert expected_calibration_error([0.1, 0.1, 0.9, 0.9], [0, 0, 1, 1]) == pytest.approx(0.1)
    assert expected_calibration_error([0.5, 0.5], [0, 1]) == pytest.approx(0.0)
    bt = pd.DataFrame({"region_id": ["a", "b", "a", "b"], "period": ["2014", "2014", "2015", "2015"],
                       "y": [0, 1, 1, 0], "p": [0.1, 0.9, 0.8, 0.2]})
    assert precision_at_k(bt, 0.5) == 1.0
    # region a: first positive transition 2015 → worsening shows 2017; flagged 2014 → lead 3; b: 2014 → 2016, 2
    assert sorted(lead_times(bt, [True, True, False, False], 2)) == [2, 3]


def test_too_few_earlier_transitions_is_an_error():
    T = make_transitions(_inputs(years=range(2010, 2014)), 2)
    with pytest.raises(EarlyWarningError, match="no period has enough earlier transitions") as err:
        backtest(T, _cfg(candidates=["boundary"]))
    assert str(err.value).endswith("here 80 known transitions, 0 of them worsenings")
    # three worsenings, but never three before a period: the analyst learns how many there are and when
    T = make_transitions(_inputs(years=range(2010, 2016)), 2)
    with pytest.raises(EarlyWarningError) as err:
        backtest(T, _cfg(candidates=["boundary"]))
    assert str(err.value).endswith("here 160 known transitions, 3 of them worsenings (ending 2013: 1, 2014: 1, "
                                   "2015: 1)")
    assert err.value.ending == {2013: 1, 2014: 1, 2015: 1}             # the same, for a caller's own words


def test_biennial_editions_and_explanations():
    inp = _inputs(step=2)
    assert inp.attrs["edition_step"] == 2
    T = make_transitions(inp, 4)
    metrics = {k: {"average_precision": 0.3, "roc_auc": 0.8} for k in ("boundary", "dynamics", "average")}
    model = fit_final(T, "average", _cfg(), metrics)
    values = pd.DataFrame({"region_id": ["R00", "R00"], "indicator_id": ["x", "x"], "period": ["2018", "2016"],
                           "value": [4.0, 3.0], "flag": ["suppressed", "ok"]})

    class Cat(dict):
        dimensions = {}

    from types import SimpleNamespace
    catalog = Cat(x=SimpleNamespace(name="Merkmal x", unit="%", dimension="arbeit"),
                  y=SimpleNamespace(name="Merkmal y", unit="%", dimension="arbeit"))
    frame, long = explain(model, T.X, values, catalog, dynamics_periods=2, edition_step=2)
    assert len(frame) == len(T.X) and set(long.columns) == {"region_id", "period", "feature", "contribution"}
    worst = frame["sentence"].str.startswith("Bereits in der ungünstigsten Statusklasse")
    assert (frame.loc[worst, "probability"] == 0).all() and (frame.loc[~worst, "sentence"].str.startswith("Stufe ")).all()
    # the suppressed value 4,0 of R00 in 2018 is never written
    assert not frame.loc[(frame["region_id"] == "R00") & (frame["period"] == "2018"), "sentence"].str.contains(
        "4,0").any()
    assert isinstance(model.model, Average) and model.kind not in RULES
    assert set(CANDIDATES) == {"boundary", "dynamics", "index_forecast", "gmlvq", "gbt"}
    assert isinstance(model.levels, Levels) and isinstance(model, EarlyWarningModel)
    assert len(background_sample(T.X, 10)) == 10


def test_an_indicator_the_latest_period_lacks_but_the_model_learned_with_is_named():
    """x has values in every year but the last, which has no outcome yet (its inputs fill the gap with the
    average); y lacks them in a third of the years, so the model never learned to rely on it; z lacks them in one
    earlier year only. The note names x for the last year, once, and nothing else."""
    from types import SimpleNamespace

    from models.explanations import missing_inputs_note

    inp = _inputs()
    T = make_transitions(inp, 1)
    metrics = {k: {"average_precision": 0.3, "roc_auc": 0.8} for k in ("boundary", "dynamics", "gbt")}
    model = fit_final(T, "gbt", _cfg(), metrics)
    assert {"m_x", "dz_x", "m_y"} <= set(model.features)
    regions = sorted(inp["region_id"].unique()) if "region_id" in inp.columns else sorted(
        inp.index.get_level_values("region_id").unique())
    rows = [(r, i, str(y), 1.0, "ok") for r in regions for y in range(2008, 2021) for i in ("x", "y")
            if not (i == "x" and y == 2020) and not (i == "y" and y % 3 == 0)]
    rows[0] = (rows[0][0], rows[0][1], rows[0][2], None, "suppressed")       # withheld: a value all the same
    values = pd.DataFrame(rows, columns=["region_id", "indicator_id", "period", "value", "flag"])

    class Cat(dict):
        dimensions = {}

    catalog = Cat(x=SimpleNamespace(name="Merkmal x", unit="%", dimension="arbeit"),
                  y=SimpleNamespace(name="Merkmal y", unit="%", dimension="arbeit"))
    gaps = missing_inputs(model, T, values, catalog)
    assert list(gaps) == ["2020"] and set(gaps["2020"]) == {"m_x", "dz_x"} & set(model.features)
    note = missing_inputs_note(gaps, catalog)
    assert note.startswith("Für 2020 fehlen den meisten Gebieten Werte, die das Modell beim Lernen meist hatte: "
                           "Merkmal x; ") and note.count("Merkmal x") == 1 and "Merkmal y" not in note
    assert "mit Vorsicht zu lesen" in note
    # every value there: nothing to say
    complete = pd.DataFrame([(r, i, str(y), 1.0, "ok") for r in regions for y in range(2008, 2021) for i in "xy"],
                            columns=["region_id", "indicator_id", "period", "value", "flag"])
    assert missing_inputs(model, T, complete, catalog) == {} and missing_inputs_note({}, catalog) == ""


def test_the_champions_sentence_says_when_its_lead_lies_within_the_backtests_spread():
    """Berlin's 137 Bezirksregionen over two test periods: 250 transitions, 8 worsenings; the index distribution led
    the boundary rule by 0,20 to 0,18 in average precision. With so few worsenings that lead is noise, and the
    sentence says so; a lead beyond the interval does not get the remark; a rule served says it is the rule."""
    from models.early_warning import champion_note

    def metrics(ap, lo, hi):
        return {"average_precision": ap, "average_precision_lo": lo, "average_precision_hi": hi,
                "positive_rate": 0.032, "n_transitions": 250.0}

    close = champion_note("index_forecast", {"boundary": metrics(0.18, 0.05, 0.4),
                                             "index_forecast": metrics(0.20, 0.06, 0.45)}, 2)
    assert close.startswith("Für 2 Jahre voraus: Verteilung des künftigen Statusindex; im Rückblick")
    assert close.endswith("(Average Precision 0,20 gegenüber 0,18); der Vorsprung liegt innerhalb der Unsicherheit "
                          "des Rückblicks (90-%-Intervall 0,06 bis 0,45, 8 Verschlechterungen).")
    clear = champion_note("gbt", {"boundary": metrics(0.18, 0.05, 0.4), "gbt": metrics(0.5, 0.3, 0.7)}, 2)
    assert clear.endswith("(Average Precision 0,50 gegenüber 0,18).")
    # chosen period by period, the model fell behind the rule on average: a second sentence says so
    record = pd.DataFrame({"average_precision": [0.5, 0.3, 0.4], "rule_average_precision": [0.4, 0.45, 0.5]})
    behind = champion_note("gbt", {"boundary": metrics(0.18, 0.05, 0.4), "gbt": metrics(0.5, 0.3, 0.7)}, 2, record)
    assert behind == clear + (" Periode für Periode auf diese Weise gewählt, lag das jeweils gewählte Modell aber in 2 "
                              "von 3 Perioden hinter der Regel (mittlere Average Precision 0,40 gegenüber 0,45).")
    # a period in which no region worsened has no average precision: it is not counted among the periods
    quiet = pd.concat([record, pd.DataFrame({"average_precision": [np.nan], "rule_average_precision": [np.nan]})])
    assert champion_note("gbt", {"boundary": metrics(0.18, 0.05, 0.4), "gbt": metrics(0.5, 0.3, 0.7)}, 2,
                         quiet) == behind
    # a lead of the rule that two decimals would hide is told with as many as show it
    narrow = record.assign(average_precision=[0.43, 0.425, 0.438], rule_average_precision=[0.44, 0.43, 0.429])
    assert champion_note("gbt", {"boundary": metrics(0.18, 0.05, 0.4), "gbt": metrics(0.5, 0.3, 0.7)}, 2,
                         narrow).endswith("in 2 von 3 Perioden hinter der Regel (mittlere Average Precision 0,431 "
                                          "gegenüber 0,433).")
    ahead = record.assign(rule_average_precision=[0.3, 0.2, 0.3])
    assert champion_note("gbt", {"boundary": metrics(0.18, 0.05, 0.4), "gbt": metrics(0.5, 0.3, 0.7)}, 2,
                         ahead) == clear
    rule = champion_note("boundary", {"boundary": metrics(0.18, 0.05, 0.4), "gbt": metrics(0.1, 0.0, 0.2)}, 4,
                         record)
    assert "wird die einfache Regel „Nähe zur nächst schlechteren Statusklasse“ verwendet" in rule
    assert "Periode für Periode" not in rule          # the rule served has no record against itself


@hsettings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), st.integers(0, 10)), min_size=1, max_size=120),
       st.sampled_from([0.5, 0.7, 0.9, 0.95]))
def test_levels_are_reachable_ordered_and_sure_of_their_precision(rows, confidence):
    """Every threshold is a probability some transition has, thresholds rise with the level, the flagged rows'
    lower precision bound reaches each target, and a higher confidence never lowers a threshold nor serves a level
    the precision itself would not."""
    y, p = (np.array(c, float) for c in zip(*rows))
    p = p / 10
    lv = choose_levels(p, y, TARGETS, confidence=confidence)
    plain = choose_levels(p, y, TARGETS, confidence=0.5)
    previous = -np.inf
    for level, target in TARGETS.items():
        t = lv.thresholds[level]
        if t is None:
            assert level in lv.reasons
            previous = np.inf
            continue
        assert previous < np.inf and t >= previous and t in p
        at = p >= t
        assert at.sum() >= 3 and wilson(y[at].sum(), at.sum(), confidence) >= target - 1e-9
        assert plain.thresholds[level] is not None and plain.thresholds[level] <= t
        previous = t

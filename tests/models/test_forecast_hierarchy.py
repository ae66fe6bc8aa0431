"""Reconciliation of forecasts over a region hierarchy: the summing matrix, coherence, the shrunk covariance."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from models.forecast_hierarchy import (
    METHODS, aggregate, backtest, base_forecast, hierarchy, level_mase, reconcile, shrunk_covariance,
)

REGIONS = pd.DataFrame({
    "region_id": ["K", "S1", "S2", "g1", "g2", "g3"],
    "parent_id": [None, "K", "K", "S1", "S1", "S2"],
    "level": ["kreis", "sozialregion", "sozialregion", "gemeinde", "gemeinde", "gemeinde"]})


def test_the_summing_matrix_has_every_ancestor_above_its_parts():
    h = hierarchy(REGIONS, ["g1", "g2", "g3"])
    assert h.ids == ["K", "S1", "S2", "g1", "g2", "g3"] and h.bottom == ["g1", "g2", "g3"]
    assert h.levels == ["kreis", "sozialregion", "sozialregion", "gemeinde", "gemeinde", "gemeinde"]
    assert h.S.tolist() == [[1, 1, 1], [1, 1, 0], [0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]]
    with pytest.raises(ValueError, match="not in the region table: g9"):
        hierarchy(REGIONS, ["g1", "g9"])
    cyclic = REGIONS.assign(parent_id=["g1", "K", "K", "S1", "S1", "S2"])
    with pytest.raises(ValueError, match="cycle"):
        hierarchy(cyclic, ["g1"])


def test_aggregate_sums_and_leaves_a_node_with_an_unknown_part_unknown():
    h = hierarchy(REGIONS, ["g1", "g2", "g3"])
    Y = aggregate(h, np.array([[1.0, 2.0], [10.0, np.nan], [100.0, 200.0]]))
    assert Y[:, 0].tolist() == [111.0, 11.0, 100.0, 1.0, 10.0, 100.0]
    assert np.isnan(Y[0, 1]) and np.isnan(Y[1, 1]) and Y[2, 1] == 200.0


@hsettings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3), min_size=12, max_size=12), st.sampled_from(METHODS))
def test_every_method_gives_forecasts_whose_parts_add_up(values, method):
    h = hierarchy(REGIONS, ["g1", "g2", "g3"])
    base = np.array(values).reshape(6, 2)
    residuals = np.random.default_rng(0).normal(size=(6, 8))
    out = reconcile(h, base, method, residuals)
    assert np.allclose(out, h.S @ out[3:], atol=1e-6 * (1 + np.abs(base).max()))


@pytest.mark.parametrize("method", METHODS)
def test_coherent_base_forecasts_are_left_as_they_are(method):
    h = hierarchy(REGIONS, ["g1", "g2", "g3"])
    base = h.S @ np.array([[1.0, 2.0], [3.0, 5.0], [8.0, 13.0]])
    residuals = np.random.default_rng(1).normal(size=(6, 10))
    assert np.allclose(reconcile(h, base, method, residuals), base)


def test_bottom_up_and_ols_on_a_hand_worked_case():
    h = hierarchy(REGIONS.iloc[[0, 1, 3, 4]].assign(parent_id=[None, "K", "S1", "S1"]), ["g1", "g2"])
    # a chain K → S1 → (g1, g2): base K 10, S1 10, g1 3, g2 4 (parts 7 against 10)
    base = np.array([[10.0], [10.0], [3.0], [4.0]])
    assert reconcile(h, base, "bottom_up")[:, 0].tolist() == [7.0, 7.0, 3.0, 4.0]
    # OLS: b minimises 2 (b1 + b2 − 10)² + (b1 − 3)² + (b2 − 4)², so b2 = b1 + 1 and 10 b1 = 42
    out = reconcile(h, base, "ols")[:, 0]
    assert np.allclose(out, [9.4, 9.4, 4.2, 5.2])


def test_shrunk_covariance_on_a_hand_worked_case():
    r = np.array([[1.0, -1.0, 2.0, 0.0], [1.0, 1.0, 1.0, -1.0]])
    T = 4
    cov = r @ r.T / T                                      # [[1.5, 0.5], [0.5, 1.0]]
    z = r / np.sqrt(np.diag(cov))[:, None]
    w = z[0] * z[1]
    var_r = ((w - w.mean()) ** 2).sum() / (T * (T - 1))    # Schäfer–Strimmer: the variance of the mean of w
    lam = min(1.0, var_r / w.mean() ** 2)
    W, got = shrunk_covariance(r)
    assert got == pytest.approx(lam)
    assert np.allclose(W, [[1.5, (1 - lam) * 0.5], [(1 - lam) * 0.5, 1.0]])
    with pytest.raises(ValueError, match="two periods"):
        shrunk_covariance(np.array([[1.0, np.nan], [2.0, 3.0]]))


def test_base_forecasts_and_their_residuals():
    y = np.array([1.0, 3.0, 4.0, 8.0])
    f, r = base_forecast("naive", y, 2)
    assert f.tolist() == [8.0, 8.0] and np.isnan(r[0]) and r[1:].tolist() == [2.0, 1.0, 4.0]
    f, r = base_forecast("drift", y, 2)
    assert np.allclose(f, [8 + 7 / 3, 8 + 14 / 3]) and np.allclose(r[1:], [2 - 7 / 3, 1 - 7 / 3, 4 - 7 / 3])
    f, r = base_forecast("ets", np.arange(20.0) + np.sin(np.arange(20.0)), 3)
    assert f.shape == (3,) and r.shape == (20,) and np.isfinite(f).all()
    # the model's initialisation is left out of the residuals
    assert np.isnan(r[:3]).all() and np.isfinite(r[3:]).all()
    # a series too short for ETS is forecast naively
    f, r = base_forecast("ets", np.array([1.0, 2.0, 4.0]), 2)
    assert f.tolist() == [4.0, 4.0]
    with pytest.raises(ValueError, match="unknown base model"):
        base_forecast("orakel", y, 2)


def test_the_backtest_scores_every_level_on_periods_it_did_not_fit():
    rng = np.random.default_rng(2)
    h = hierarchy(REGIONS, ["g1", "g2", "g3"])
    trend = np.array([[1.0], [2.0], [-1.0]])
    bottom = 100 + trend * np.arange(14) + rng.normal(scale=0.5, size=(3, 14))
    rows = backtest(h, bottom, "drift", horizon=3, origins=2)
    assert set(rows["method"]) == {"base", *METHODS} and sorted(rows["origin"].unique()) == [10, 11]
    first = rows[(rows["origin"] == 11) & (rows["method"] == "base") & (rows["node"] == "g1") & (rows["h"] == 1)]
    assert first["y"].item() == pytest.approx(bottom[0, 11])
    slope = (bottom[0, 10] - bottom[0, 0]) / 10
    assert first["yhat"].item() == pytest.approx(bottom[0, 10] + slope)
    table = level_mase(rows)
    assert set(table.index) == {"kreis", "sozialregion", "gemeinde"} and (table > 0).all().all()
    # reconciled forecasts add up at every origin and step
    rec = rows[rows["method"] == "mint_shrink"].pivot_table(index="node", columns=["origin", "h"], values="yhat")
    assert np.allclose(rec.loc["K"], rec.loc[["g1", "g2", "g3"]].sum())
    with pytest.raises(ValueError, match="gaps"):
        backtest(h, np.where(bottom > 110, np.nan, bottom), "naive", 2, 1)


def test_the_global_model_as_base_is_reconciled_without_residuals():
    rng = np.random.default_rng(3)
    h = hierarchy(REGIONS, ["g1", "g2", "g3"])
    bottom = 100 + np.array([[1.0], [2.0], [-1.0]]) * np.arange(16) + rng.normal(scale=0.5, size=(3, 16))
    rows = backtest(h, bottom, "global", horizon=2, origins=1)
    assert set(rows["method"]) == {"base", "bottom_up", "ols", "wls_struct"}
    rec = rows[rows["method"] == "ols"].pivot_table(index="node", columns="h", values="yhat")
    assert np.allclose(rec.loc["K"], rec.loc[["g1", "g2", "g3"]].sum())

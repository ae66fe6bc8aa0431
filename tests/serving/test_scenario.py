"""What-if scenarios: carried through the features steps exactly (no change changes nothing, the status index
moves along its stored line), refused with the field named, scored by the champions with exact SHAP values —
in-process and through ``bentoml serve`` (batched)."""

import json
import threading
import urllib.error
import urllib.request

import numpy as np
import pytest

from experiments.jobs import catalog_for
from ml.columns import MODEL, Z, column
from models.scenario import ScenarioError, apply_changes, check_range, slope
from serving.scenario import answer, answer_batch
from serving.scenario_schemas import ScenarioRequest
from serving.state import ServiceState

pytestmark = pytest.mark.xdist_group("demo")


@pytest.fixture(scope="module")
def snap(demo_settings):
    state = ServiceState(demo_settings, catalog_for(demo_settings))
    state.load()
    return state.current()


@pytest.fixture(scope="module")
def middle(snap):
    """A Gemeinde of the middle status class in 2025 with a published SGB-II share."""
    p, v = snap.profiles, snap.values
    ok = set(v[(v["period"] == "2025") & (v["indicator_id"].isin(["sgb2_quote", "hze_dichte"])) & (v["flag"] == "ok")]
             .groupby("region_id").size().loc[lambda n: n == 2].index)
    mid = p[(p["period"] == "2025") & (p["status_class"] == 2) & p["region_id"].isin(ok)]
    return str(mid.sort_values("status_index")["region_id"].iloc[-1])


def kwargs(settings):
    idx = settings.features.index
    return dict(thresholds=idx.status_thresholds, status_indicators=idx.status_indicators,
                dynamics_indicators=idx.dynamics_indicators, dynamics_periods=settings.features.dynamics_periods)


def published(snap, region, indicator, period="2025"):
    v = snap.values
    return float(v[(v["region_id"] == region) & (v["indicator_id"] == indicator) & (v["period"] == period)]["value"].iloc[0])


def test_slope_is_exact_on_a_line_and_nan_without_spread():
    assert slope([1, 2, np.nan, 4], [3, 5, 9, 9]) == pytest.approx(2.0)
    assert np.isnan(slope([1, 1, 1], [1, 2, 3])) and np.isnan(slope([1], [1]))


def test_no_change_changes_nothing(snap, demo_settings, middle):
    same = {"sgb2_quote": published(snap, middle, "sgb2_quote")}
    sc = apply_changes(snap.values, snap.profiles, snap.model_matrix, snap.warning_inputs, middle, "2025", same,
                       **kwargs(demo_settings))
    assert sc.status_after == sc.status_before and sc.class_after == sc.class_before
    # the features step rebuilt on the region's own history reproduces the stored inputs exactly
    numeric = sc.inputs_after.columns.drop("index_basis")       # the indicators the index is built from: text
    np.testing.assert_allclose(sc.inputs_after[numeric].to_numpy(float), sc.inputs_before[numeric].to_numpy(float),
                               atol=1e-12)
    assert sc.inputs_after["index_basis"].tolist() == sc.inputs_before["index_basis"].tolist() != [""]


def test_a_change_moves_z_index_and_inputs_along_the_stored_lines(snap, demo_settings, middle):
    before = published(snap, middle, "sgb2_quote")
    sc = apply_changes(snap.values, snap.profiles, snap.model_matrix, snap.warning_inputs, middle, "2025",
                       {"sgb2_quote": before + 2}, **kwargs(demo_settings))
    p = snap.profiles[snap.profiles["period"] == "2025"]
    v = snap.values[(snap.values["period"] == "2025") & (snap.values["indicator_id"] == "sgb2_quote")]
    x = v.set_index("region_id")["value"].reindex(p["region_id"]).to_numpy()
    per_point = slope(x, p[column(Z, "sgb2_quote")].to_numpy())
    assert per_point > 0
    row = sc.changes.iloc[0]
    assert row["z_after"] - row["z_before"] == pytest.approx(2 * per_point)
    assert sc.matrix_row[column(MODEL, "sgb2_quote")] - sc.inputs_before[column(MODEL, "sgb2_quote")].iloc[0] \
        == pytest.approx(2 * per_point)
    # SGB II is a status indicator: the index rises, and the inputs follow it
    assert sc.status_after > sc.status_before
    numeric = sc.inputs_after.columns.drop("index_basis")       # the indicators the index is built from: text
    diff = sc.inputs_after.iloc[0][numeric].astype(float) - sc.inputs_before.iloc[0][numeric].astype(float)
    assert diff["status_index"] == pytest.approx(sc.status_after - sc.status_before)
    assert diff["boundary_1"] == pytest.approx(diff["status_index"]) and diff["status_change_1"] > 0
    # a rise large enough crosses the next boundary: the class worsens
    far = apply_changes(snap.values, snap.profiles, snap.model_matrix, snap.warning_inputs, middle, "2025",
                        {"sgb2_quote": min(before + 25, 99)}, **kwargs(demo_settings))
    assert far.class_after > far.class_before


def test_refusals_name_the_field(snap, demo_settings, middle):
    with pytest.raises(ScenarioError) as exc:
        check_range({"sgb2_quote": 120.0}, snap.catalog)
    assert exc.value.field == "changes.sgb2_quote" and "[0, 100]" in str(exc.value)
    with pytest.raises(ScenarioError) as exc:
        answer(snap, demo_settings, ScenarioRequest(region_id=middle, changes=[
            {"indicator_id": "einwohner", "value": 1000}, {"indicator_id": "sgb2_quote", "change": -150}]))
    assert exc.value.field == "changes[1].change"
    tiny = snap.profiles[(snap.profiles["period"] == "2025") & snap.profiles["status_label"].isna()
                         & (snap.profiles["n_suppressed"] > 0)]["region_id"].iloc[0]
    with pytest.raises(ScenarioError, match="withheld") as exc:
        answer(snap, demo_settings, ScenarioRequest(region_id=tiny, changes=[{"indicator_id": "sgb2_quote", "change": 1}]))
    assert exc.value.field == "region_id"


def test_answers_carry_exact_shap_and_a_batch_equals_its_parts(snap, demo_settings, middle):
    req = ScenarioRequest(region_id=middle, changes=[{"indicator_id": "sgb2_quote", "change": 3},
                                                     {"indicator_id": "hze_dichte", "change": 5}])
    one = answer(snap, demo_settings, req)
    assert one.status.class_before == "mittel" and one.status.index_after > one.status.index_before
    assert set(one.status.probabilities) and sum(one.status.probabilities.values()) == pytest.approx(1.0)
    assert [w.horizon for w in one.warnings] == sorted(snap.warning_model.models)
    for w in one.warnings:
        # exact SHAP: the contributions add up to the score minus the base
        assert sum(w.shap.values()) == pytest.approx(w.score - w.base, abs=1e-9)
        graded = bool(snap.warning_model.models[w.horizon].levels.available)
        assert w.sentence.startswith("Stufe" if graded else "Keine Stufe verfügbar") and w.drivers
    unchanged = ScenarioRequest(region_id=middle, changes=[{"indicator_id": "sgb2_quote", "change": 0}])
    both = answer_batch(snap, demo_settings, [req, unchanged])
    assert rounded(both[0].model_dump()) == rounded(one.model_dump())
    stored = snap.warnings[(snap.warnings["region_id"] == middle) & (snap.warnings["period"] == "2025")]
    for w in both[1].warnings:
        # no change: the champion's probability is the stored warning's
        kept = stored[stored["horizon"] == w.horizon]["probability"].iloc[0]
        assert w.probability_after == pytest.approx(kept) and w.probability_before == pytest.approx(kept)


def rounded(x, digits=9):
    """A nested answer with its floats rounded (a batch sums SHAP values in another order)."""
    if isinstance(x, dict):
        return {k: rounded(v, digits) for k, v in x.items()}
    if isinstance(x, list):
        return [rounded(v, digits) for v in x]
    return round(x, digits) if isinstance(x, float) else x


def post(base, body):
    req = urllib.request.Request(base + "/scenario", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_scenario_over_http_batches_and_refuses_with_400(demo_server, snap, middle):
    body = {"requests": [{"region_id": middle, "changes": [{"indicator_id": "sgb2_quote", "change": 2}]}]}
    answers, errors = [], []

    def client():
        status, answer_ = post(demo_server, body)
        (answers if status == 200 else errors).append((status, answer_))

    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(answers) == 8
    first = answers[0][1][0]
    assert all(rounded(a[1][0]) == rounded(first) for a in answers)   # batched or not: the same answer
    assert first["status"]["index_after"] > first["status"]["index_before"] and first["warnings"]
    status, err = post(demo_server, {"requests": [{"region_id": middle, "changes": [
        {"indicator_id": "sgb2_quote", "value": 140}]}]})
    assert status == 400 and "changes[0].value" in json.dumps(err) and "[0, 100]" in json.dumps(err)
    status, err = post(demo_server, {"requests": [{"region_id": middle, "changes": []}]})
    assert status == 400 and "changes" in json.dumps(err)

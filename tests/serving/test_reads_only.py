"""The service and the reports only read: with every compute function of features/ and models/ patched to fail,
the service loads the demo's store (and the registry's champions) and answers every read endpoint, and the
report job writes its pages."""

import inspect
import sys

import pytest
from fastapi.testclient import TestClient

import features.pipeline
import features.steps
import features.warning_inputs
import models.early_warning
import models.explanations
import models.forecast_global
import models.forecast_models
import models.forecasting
import models.lvq
import models.typology
from experiments.jobs import catalog_for, reports_job
from serving.app import create_app
from serving.state import ServiceState

pytestmark = pytest.mark.xdist_group("demo")

COMPUTE_MODULES = (features.pipeline, features.steps, features.warning_inputs, models.early_warning,
                   models.forecasting, models.forecast_models, models.forecast_global)
"""Every public function of these modules computes (profiles, inputs, backtests, forecasts)."""
ESTIMATORS = (models.lvq.GLVQ, models.lvq.GMLVQ, models.lvq.LGMLVQ, models.typology.Typology)
SHAP = (models.explanations.quadratic_shap, models.explanations.gmlvq_score_shap, models.explanations.tree_shap)


class Recomputed(AssertionError):
    pass


def _fail(name):
    def fail(*args, **kwargs):
        raise Recomputed(f"{name} was called: the service must read what the jobs stored")
    return fail


@pytest.fixture()
def nothing_computes(monkeypatch):
    """Patch the compute functions where they are defined and wherever a module imported them by name."""
    targets = {}
    for module in COMPUTE_MODULES:
        for name, obj in vars(module).items():
            if inspect.isfunction(obj) and obj.__module__ == module.__name__ and not name.startswith("_"):
                targets[id(obj)] = (obj, f"{module.__name__}.{name}")
            if inspect.isclass(obj) and obj.__module__ == module.__name__:
                for attr in ("fit", "score", "predict", "probability", "shap", "decision_function"):
                    if attr in vars(obj):
                        monkeypatch.setattr(obj, attr, _fail(f"{module.__name__}.{name}.{attr}"))
    for fn in SHAP:
        targets[id(fn)] = (fn, f"{fn.__module__}.{fn.__name__}")
    for cls in ESTIMATORS:
        for attr in ("fit", "predict", "predict_proba", "decision_function", "margins", "transform"):
            if hasattr(cls, attr):
                monkeypatch.setattr(cls, attr, _fail(f"{cls.__name__}.{attr}"))
    patched = 0
    for module in list(sys.modules.values()):
        name = getattr(module, "__name__", "")
        if not name.split(".")[0] in ("features", "models", "serving", "experiments", "ml"):
            continue
        for attr, obj in list(vars(module).items()):
            if id(obj) in targets and targets[id(obj)][0] is obj:
                monkeypatch.setattr(module, attr, _fail(targets[id(obj)][1]))
                patched += 1
    assert patched >= 40, patched   # the patch reached the functions (a guard against patching nothing)
    return targets


def test_the_patch_bites(nothing_computes, demo_settings):
    """Control: the patched functions do fail when called."""
    with pytest.raises(Recomputed):
        models.forecasting.select_and_calibrate(None, {}, [])
    with pytest.raises(Recomputed):
        models.lvq.GMLVQ().fit([[0.0]], [0])
    with pytest.raises(Recomputed):
        features.warning_inputs.build_warning_inputs(None, None, [], ())


def test_every_read_endpoint_answers_from_the_store(nothing_computes, demo_settings, tmp_path):
    state = ServiceState(demo_settings, catalog_for(demo_settings))
    state.load(stored_first=True)
    assert state.ready and state.snapshot.classifier is not None and state.snapshot.typology is not None
    c = TestClient(create_app(state, demo_settings))
    regions = c.get("/regions").json()["regions"]
    rid = next(r["region_id"] for r in regions if r["status_label"])
    calls = [("get", "/regions", {}), ("get", "/regions", {"params": {"level": "sozialregion"}}),
             ("get", "/geometry", {}), ("get", "/profile", {"params": {"region_id": rid}}),
             ("post", "/classify", {"json": {"region_id": rid}}), ("get", "/typology", {"params": {"region_id": rid}}),
             ("get", "/forecast", {"params": {"region_id": rid}}),
             ("post", "/early_warning", {"json": {"region_ids": [rid]}}), ("post", "/early_warning", {"json": {}}),
             ("get", "/explain", {"params": {"region_id": rid}}), ("get", "/report", {"params": {"region_id": rid}}),
             ("get", "/dashboard/", {})]
    for method, path, kwargs in calls:
        r = getattr(c, method)(path, **kwargs)
        assert r.status_code == 200, (path, r.status_code, r.text[:300])
    assert c.get("/typology", params={"region_id": rid}).json()["type"] >= 1
    warning = c.post("/early_warning", json={"region_ids": [rid]}).json()
    assert warning["warnings"][0]["drivers"]
    pages, index = reports_job(demo_settings, tmp_path / "berichte", None)
    assert index is not None and len(pages) == 61      # the 53 Gemeinden, the 7 Sozialregionen and the Kreis
    texts = {p.region_id: p.path.read_text(encoding="utf-8") for p in pages}
    gemeinden = {r for r in texts if r.isdigit() and len(r) == 8}
    assert len(gemeinden) == 53 and all("Typ " in texts[r] or "keinem Typ" in texts[r] for r in gemeinden)
    assert all("Die Sozialraumtypen sind für Gemeinden gebildet; dieses Gebiet ist " in t
               for r, t in texts.items() if r not in gemeinden)      # the Sozialregionen and the Kreis

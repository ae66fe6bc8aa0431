"""A real ``bentoml serve`` on a free localhost port, queried over HTTP; and a schemathesis run (valid and
invalid requests generated from the API's OpenAPI document) with no 5xx and one error body throughout."""

import itertools
import json
import urllib.request

import pytest
import schemathesis
from schemathesis import GenerationMode
from hypothesis import HealthCheck, given, settings as hsettings

from experiments import serve as service
from ml.importers import effective_catalog
from ml.paths import CATALOG_DIR
from serving.app import create_app
from serving.state import ServiceState


pytestmark = pytest.mark.xdist_group("demo")


@pytest.fixture(scope="module")
def server(demo_server):
    return demo_server


def test_bentoml_endpoints_and_api_over_http(server):
    base = server
    for path in ("/healthz", "/livez", "/readyz"):
        with urllib.request.urlopen(base + path, timeout=10) as r:
            assert r.status == 200
    status, body = service.call(base, "/regions")
    assert status == 200 and len(body["regions"]) == 53
    status, body = service.call(base, "/early_warning", {})
    assert status == 200 and len(body["warnings"]) >= 45 and body["horizons"] == [1, 2]
    # every answer is a sentence: the drivers, or why a region in the worst class has none
    assert all(w["sentence"].startswith(("Stufe ", "Bereits in der ungünstigsten")) for w in body["warnings"])
    assert any(w["sentence"].startswith("Stufe ") and len(w["drivers"]) == 3 for w in body["warnings"])
    status, body = service.call(base, "/explain?region_id=99999999")
    assert status == 404 and body["field"] == "region_id"
    status, body = service.call(base, "/constant", {})
    assert status == 200 and body == {"ok": True}
    # BentoML's Prometheus metrics, once its own API has served a request
    with urllib.request.urlopen(base + "/metrics", timeout=10) as r:
        assert b"bentoml" in r.read()
    with urllib.request.urlopen(base + "/openapi.json", timeout=10) as r:
        spec = json.loads(r.read())
    assert {"/regions", "/profile", "/classify", "/typology", "/forecast", "/early_warning", "/explain",
            "/reload"} <= set(spec["paths"])
    req = urllib.request.Request(base + "/reload", data=b"", method="POST", headers={"X-API-Key": "test-key"})
    with urllib.request.urlopen(req, timeout=60) as r:
        assert r.status == 200 and "early_warning" in json.loads(r.read())["loaded"]


@pytest.fixture(scope="module")
def asgi_app(demo_settings):
    catalog = effective_catalog(demo_settings, [CATALOG_DIR / "berlin_mss.csv", CATALOG_DIR / "inkar.csv"])
    state = ServiceState(demo_settings, catalog)
    state.load()
    return create_app(state, demo_settings)


def test_schemathesis_finds_no_server_errors(asgi_app):
    schema = schemathesis.openapi.from_asgi("/openapi.json", asgi_app)
    failures, calls = [], []
    for operation, mode in itertools.product(list(schema.get_all_operations()), GenerationMode):
        op = operation.ok()

        @hsettings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
        @given(case=op.as_strategy(generation_mode=mode))
        def check(case):
            response = case.call()
            calls.append((op.label, response.status_code))
            if response.status_code >= 500:
                failures.append((op.label, response.status_code, response.text[:300]))
            # every error keeps the one body shape
            if response.status_code >= 400:
                assert set(response.json()) == {"status", "error", "message", "field", "value"}, response.text

        check()
    assert not failures, failures
    labels = {label for label, _ in calls}
    assert len(labels) == 10 and len(calls) >= 10 * 2 * 5
    assert any(status == 200 for _, status in calls) and any(status == 400 for _, status in calls)

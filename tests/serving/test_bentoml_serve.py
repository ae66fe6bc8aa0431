"""A real ``bentoml serve`` on a free localhost port, queried over HTTP; and a schemathesis run (valid and
invalid requests generated from the API's OpenAPI document) with no 5xx and one error body throughout."""

import itertools
import json
import time
import urllib.request

import pytest
import schemathesis
from schemathesis import GenerationMode
from hypothesis import HealthCheck, given, settings as hsettings

from experiments import serve as service
from ml.catalog import serving_catalog
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
    with urllib.request.urlopen(base + "/readyz", timeout=10) as r:
        ready = json.loads(r.read())
    assert ready["ready"] is True and ready["phase"] == "ready" and set(ready["versions"]) == {
        "classes", "types", "classifier", "typology", "early_warning", "warning_model"}
    status, body = service.call(base, "/regions")
    assert status == 200 and len(body["regions"]) == 53
    status, body = service.call(base, "/early_warning", {})
    assert status == 200 and len(body["warnings"]) >= 45 and body["horizons"] == [1, 2]
    # every answer is a sentence: the drivers, or why a region in the worst class has none
    said = "Stufe " if any(t is not None for t in body["thresholds"].values()) else "Keine Stufe verfügbar. "
    assert all(w["sentence"].startswith((said, "Bereits in der ungünstigsten")) for w in body["warnings"])
    assert any(w["sentence"].startswith(said) and len(w["drivers"]) == 3 for w in body["warnings"])
    status, body = service.call(base, "/explain?region_id=99999999")
    assert status == 404 and body["field"] == "region_id"
    status, body = service.call(base, "/constant", {})
    assert status == 200 and body == {"ok": True}
    # BentoML's Prometheus metrics, once its own API has served a request (the worker writes them to its
    # multiprocess files a moment later: read again for up to 15 s)
    metrics = b""
    for _ in range(30):
        with urllib.request.urlopen(base + "/metrics", timeout=10) as r:
            metrics = r.read()
        if b"bentoml" in metrics:
            break
        time.sleep(0.5)
    assert b"bentoml" in metrics
    with urllib.request.urlopen(base + "/openapi.json", timeout=10) as r:
        spec = json.loads(r.read())
    assert {"/regions", "/profile", "/classify", "/typology", "/forecast", "/early_warning", "/explain",
            "/reload"} <= set(spec["paths"])
    req = urllib.request.Request(base + "/reload", data=b"", method="POST", headers={"X-API-Key": "test-key"})
    with urllib.request.urlopen(req, timeout=60) as r:
        assert r.status == 200 and "early_warning" in json.loads(r.read())["loaded"]


def test_transport_level_answers_over_http(server):
    """Over a real socket: a chunked body over the limit is a 413 with the error body, a wrong method names the
    allowed ones, a report that does not exist is a page."""
    import http.client
    from urllib.parse import urlsplit

    host, port = urlsplit(server).hostname, urlsplit(server).port
    con = http.client.HTTPConnection(host, port, timeout=30)
    body = json.dumps({"region_ids": ["14599020"] * 10_000}).encode()
    con.request("POST", "/early_warning", body=iter([body[i:i + 8192] for i in range(0, len(body), 8192)]),
                headers={"Content-Type": "application/json"}, encode_chunked=True)
    r = con.getresponse()
    assert r.status == 413 and json.loads(r.read())["error"] == "request_too_large"
    con.close()
    con = http.client.HTTPConnection(host, port, timeout=30)
    con.request("GET", "/early_warning")
    r = con.getresponse()
    assert r.status == 405 and r.getheader("Allow") == "POST" and json.loads(r.read())["status"] == 405
    con.request("GET", "/report?region_id=00000000")
    r = con.getresponse()
    assert r.status == 404 and r.getheader("Content-Type").startswith("text/html") and b"Nicht gefunden" in r.read()
    con.close()


def test_a_service_that_cannot_load_says_why(demo_settings, tmp_path):
    """The store missing at start: /readyz answers 503 JSON with the reason, the log holds it, and the command
    that waits for the service reports it instead of a timeout."""
    settings = demo_settings.model_copy(update={
        "store": demo_settings.store.model_copy(update={"path": tmp_path / "gibt-es-nicht.duckdb"}),
        "serving": demo_settings.serving.model_copy(update={"port": service.free_port()})})
    config = service.write_config(settings, tmp_path / "service.yaml")
    log = tmp_path / "service.log"
    proc, base = service.start(settings, config, log=log)
    try:
        with pytest.raises(service.ServiceFailed, match="store not found"):
            service.wait_ready(base, proc)
        status, body = service.call(base, "/readyz")
        assert status == 503 and body["phase"] == "failed" and "gibt-es-nicht.duckdb" in body["message"]
        status, body = service.call(base, "/regions")
        assert status == 503 and "store not found" in body["message"]
    finally:
        service.stop(proc)
    assert "loading failed: store not found" in log.read_text(encoding="utf-8", errors="replace")


@pytest.fixture(scope="module")
def asgi_app(demo_settings):
    catalog = serving_catalog(demo_settings)
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
            # every error keeps the one body shape: JSON, or for the report (a page) an HTML page
            if response.status_code >= 400 and op.label == "GET /report":
                assert "text/html" in str(response.headers.get("content-type")) and "<h1>" in response.text
            elif response.status_code >= 400:
                assert set(response.json()) == {"status", "error", "message", "field", "value"}, response.text

        check()
    assert not failures, failures
    labels = {label for label, _ in calls}
    assert len(labels) == 16 and len(calls) >= 16 * 2 * 5
    assert any(status == 200 for _, status in calls) and any(status == 400 for _, status in calls)

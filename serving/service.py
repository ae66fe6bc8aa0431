"""The BentoML service: the API of :mod:`serving.app` mounted into BentoML, which adds ``/healthz``,
``/livez``, ``/readyz`` (ready once the champions are loaded), ``/metrics`` and its own OpenAPI document.

    bentoml serve serving.service:Sozialradar --port 3000

Configuration as everywhere: ``SOZIALRADAR_CONFIG`` names a YAML file, ``SOZIALRADAR_<SECTION>__<FIELD>``
variables override it (store path, tracking URI, serving.api_key, serving.cors_origins …).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import bentoml
from bentoml.exceptions import InvalidArgument, ServiceUnavailable

from ml.catalog import CatalogError, serving_catalog
from ml.config import ConfigError, load_settings
from serving import scenario_schemas
from serving.app import create_app
from serving.scenario_schemas import ScenarioAnswer, ScenarioRequest
from serving.state import NotReady, ServiceState


def _settings():
    config = os.environ.get("SOZIALRADAR_CONFIG")
    return load_settings(Path(config) if config else None)


SETTINGS = _settings()
try:
    CATALOG = serving_catalog(SETTINGS)
except CatalogError as exc:  # pragma: no cover - a broken catalog is reported at start-up
    raise SystemExit(f"sozialradar service: {exc}") from None
STATE = ServiceState(SETTINGS, CATALOG)
try:
    API = create_app(STATE, SETTINGS)
except ConfigError as exc:
    raise SystemExit(f"sozialradar service: {exc}") from None


def _check_scenario(request: ScenarioRequest) -> None:
    """Refuse a scenario the served data cannot answer while its request is parsed (a 400 naming the field,
    before batching): an unknown region, a withheld or unpublished value, a value outside the catalog's range."""
    from models.scenario import ScenarioError
    from serving.scenario import new_values, period_of

    snap = STATE.snapshot
    if snap is None or snap.warning_inputs is None:
        return                                   # not ready: the API answers 503
    try:
        new_values(snap, request, period_of(snap, request.period))
    except ScenarioError as exc:
        raise ValueError(f"{exc.field}: {exc}") from None


scenario_schemas.SCENARIO_CHECK = _check_scenario


class Readiness:
    """``/readyz`` with the reason: 200 or 503 and a JSON body (phase, message, loaded versions, the last failed
    reload), where BentoML's own probe would only say that ``__is_ready__`` returned False."""

    def __init__(self, app, state: ServiceState):
        self.app, self.state = app, state

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("path") != "/readyz" or scope.get("method") not in ("GET", "HEAD"):
            return await self.app(scope, receive, send)
        status, body = self.state.readiness()
        data = json.dumps(body, ensure_ascii=False).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
                                (b"cache-control", b"no-store")]})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else data})


@bentoml.service(name="sozialradar", workers=SETTINGS.serving.workers, traffic={"timeout": 60})
@bentoml.asgi_app(API, path="/")
class Sozialradar:
    """Starts loading the store and the champion models in the background; until that finishes, /readyz
    and every data endpoint answer 503 with the reason."""

    def __init__(self) -> None:
        self.state = STATE
        if not STATE.ready:
            STATE.load_in_background()

    def __is_ready__(self) -> bool:
        return self.state.ready

    @bentoml.api(route="/scenario", batchable=True, max_batch_size=32, max_latency_ms=5000)
    def scenario(self, requests: list[ScenarioRequest]) -> list[ScenarioAnswer]:
        """What if a region's indicator values changed: status class (with the classifier champion's
        probabilities), warning probability and level per horizon with the exact SHAP explanation, computed by
        the champion models from the registry. Batchable: concurrent requests are scored together."""
        from models.scenario import ScenarioError     # the scenario's modules load with its first request
        from serving.scenario import answer_batch

        try:
            return answer_batch(self.state.current(), SETTINGS, requests)
        except NotReady as exc:
            raise ServiceUnavailable(str(exc)) from None
        except ScenarioError as exc:   # the data changed (a reload) between parsing and scoring
            raise InvalidArgument(f"{exc.field}: {exc}") from None

    @bentoml.api(route="/constant")
    def constant(self) -> dict:
        """A constant answer: the framework's own floor for latency measurements."""
        return {"ok": True}


Sozialradar.add_asgi_middleware(Readiness, state=STATE)

"""The BentoML service: the API of :mod:`serving.app` mounted into BentoML, which adds ``/healthz``,
``/livez``, ``/readyz`` (ready once the champions are loaded), ``/metrics`` and its own OpenAPI document.

    bentoml serve serving.service:Sozialradar --port 3000

Configuration as everywhere: ``SOZIALRADAR_CONFIG`` names a YAML file, ``SOZIALRADAR_<SECTION>__<FIELD>``
variables override it (store path, tracking URI, serving.api_key, serving.cors_origins …).
"""

from __future__ import annotations

import os
from pathlib import Path

import bentoml

from ml.catalog import CatalogError
from ml.config import load_settings
from ml.importers import effective_catalog
from ml.paths import CATALOG_DIR
from serving.app import create_app
from serving.state import ServiceState


def _settings():
    config = os.environ.get("SOZIALRADAR_CONFIG")
    return load_settings(Path(config) if config else None)


SETTINGS = _settings()
try:
    CATALOG = effective_catalog(SETTINGS, [CATALOG_DIR / "berlin_mss.csv", CATALOG_DIR / "inkar.csv"])
except CatalogError as exc:  # pragma: no cover - a broken catalog is reported at start-up
    raise SystemExit(f"sozialradar service: {exc}") from None
STATE = ServiceState(SETTINGS, CATALOG)
API = create_app(STATE, SETTINGS)


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

    @bentoml.api(route="/constant")
    def constant(self) -> dict:
        """A constant answer: the framework's own floor for latency measurements."""
        return {"ok": True}

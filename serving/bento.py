"""Building the Bento: the champion models imported from the MLflow registry into BentoML's model store, then
``bentoml build`` of ``bentofile.yaml`` (the service, its code, templates and static files, the catalog, the
locked requirements and those models). ``bentoml containerize sozialradar:latest`` makes the image."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from ml.config import Settings
from ml.paths import PROJECT_ROOT
from ml.tracking import CHAMPION, tracking_uri


class BentoError(RuntimeError):
    """The Bento cannot be built (a champion missing in the registry, ``bentoml build`` failing)."""


def registered_names(settings: Settings) -> list[str]:
    """The registered model names the service serves (classifier, typology, early warning)."""
    t = settings.training
    return [t.classifier.registered_name, t.typology.registered_name, t.early_warning.registered_name]


def import_champions(settings: Settings) -> dict[str, str]:
    """Each registered model's ``champion`` version imported into BentoML's model store under the same name
    (labels: registry version and run). Returns name → BentoML tag; :class:`BentoError` when one has no
    champion."""
    import bentoml
    import bentoml.mlflow
    import mlflow
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    from ml.quiet import quiet_stderr

    mlflow.set_tracking_uri(tracking_uri(settings.tracking.uri))
    client = MlflowClient()
    out = {}
    for name in registered_names(settings):
        try:
            version = client.get_model_version_by_alias(name, CHAMPION)
        except MlflowException:
            raise BentoError(f"no champion of {name!r} in the registry {settings.tracking.uri}: train it first "
                             "(sozialradar train …)") from None
        with quiet_stderr():
            model = bentoml.mlflow.import_model(
                name, f"models:/{name}@{CHAMPION}",
                labels={"registry_version": str(version.version), "run_id": version.run_id},
                metadata={"registered_name": name})
        out[name] = str(model.tag)
    return out


def build(settings: Settings, bentofile: Path = PROJECT_ROOT / "bentofile.yaml") -> str:
    """Import the champions and build the Bento; returns its tag (``sozialradar:<version>``)."""
    import_champions(settings)
    bentoml = Path(sys.executable).with_name("bentoml")
    env = {**os.environ, "BENTOML_DO_NOT_TRACK": "True"}
    proc = subprocess.run([str(bentoml), "build", "-f", str(bentofile), str(PROJECT_ROOT)], env=env,
                          capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise BentoError(f"bentoml build failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    found = re.search(r'Successfully built Bento\(tag="([^"]+)"\)', proc.stdout + proc.stderr)
    if not found:
        raise BentoError(f"bentoml build did not name the Bento:\n{proc.stdout[-2000:]}")
    return found.group(1)

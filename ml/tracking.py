"""MLflow helpers, the one public tracking API of the jobs: tracking store and run context (:func:`job_run`),
provenance (config, commit, data fingerprint), figures, registration with the ``champion`` alias."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from ml.paths import PROJECT_ROOT

CHAMPION = "champion"


def tracking_uri(uri: str) -> str:
    """The tracking URI with a relative SQLite path made absolute (and its folder created)."""
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:////"):
        path = Path(uri[len("sqlite:///"):]).resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path}"
    return uri


def sqlite_path(uri: str) -> Path | None:
    """The database file of a ``sqlite:///`` tracking URI (None for other stores)."""
    if uri.startswith("sqlite:///"):
        return Path(uri[len("sqlite:///"):])
    return None


def fresh_registry_connections() -> None:
    """Forget MLflow's cached stores and database engines, so that the next registry call opens the tracking
    database anew (after it was replaced on disk, an open handle would keep reading the old file)."""
    from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore as RegistryStore
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore as TrackingStore
    from mlflow.tracking._model_registry import utils as registry_utils
    from mlflow.tracking._tracking_service import utils as tracking_utils

    for store_cls in (RegistryStore, TrackingStore):
        engines = getattr(store_cls, "_engine_map", None)
        if isinstance(engines, dict):
            for engine in list(engines.values()):
                engine.dispose()
            engines.clear()
    registries = [getattr(registry_utils, "_get_store_registry", lambda: None)(),
                  getattr(tracking_utils, "_tracking_store_registry", None)]
    for registry in registries:
        cached = type(registry).__dict__.get("_get_store_with_resolved_uri")
        if cached is not None and hasattr(cached, "cache_clear"):
            cached.cache_clear()


def project_run_uri(default: str) -> str:
    """The tracking store of the run ``mlflow run`` started (``MLFLOW_RUN_ID`` set), else ``default``."""
    if os.environ.get("MLFLOW_RUN_ID") and os.environ.get("MLFLOW_TRACKING_URI"):
        return os.environ["MLFLOW_TRACKING_URI"]
    return default


@contextmanager
def job_run(uri: str, experiment: str, run_name: str) -> Iterator[object]:
    """The MLflow run of one job.

    Started by ``mlflow run`` (``MLFLOW_RUN_ID`` set), the job joins that run in the tracking store and
    experiment ``mlflow run`` chose; a second job in the same process (the demo) logs into a child run of it,
    so that no parameter is written twice. Otherwise a new run in ``experiment`` of the configured store.
    """
    import mlflow
    from mlflow import MlflowClient

    parent = os.environ.get("MLFLOW_RUN_ID")
    if not parent:
        mlflow.set_tracking_uri(tracking_uri(uri))
        _experiment_beside_store(experiment, tracking_uri(uri))
        mlflow.set_experiment(experiment)
        with mlflow.start_run(run_name=run_name) as run:
            yield run
        return
    mlflow.set_tracking_uri(tracking_uri(project_run_uri(uri)))
    outer = MlflowClient().get_run(parent)
    try:
        if "sozialradar.job" not in outer.data.tags:
            with mlflow.start_run(run_id=parent) as run:
                mlflow.set_tags({"sozialradar.job": run_name, "mlflow.runName": run_name})
                yield run
            return
        # created by id: a start_run without one would resume MLFLOW_RUN_ID again
        child = MlflowClient().create_run(outer.info.experiment_id, run_name=run_name,
                                          tags={"mlflow.parentRunId": parent, "sozialradar.job": run_name})
        with mlflow.start_run(run_id=child.info.run_id) as run:
            yield run
    finally:
        # ending a run clears MLFLOW_RUN_ID; the process's later jobs still belong to the project run
        os.environ["MLFLOW_RUN_ID"] = parent


def artifact_root(uri: str) -> Path | None:
    """Where the artifacts of a SQLite tracking store go: ``artifacts/`` beside its database file (not the
    ``./mlruns`` of whatever folder a command was started from)."""
    db = sqlite_path(uri)
    return None if db is None else db.resolve().parent / "artifacts"


def _experiment_beside_store(name: str, uri: str) -> None:
    """Create the experiment with its artifacts beside the tracking database, unless it exists."""
    from mlflow import MlflowClient

    root = artifact_root(uri)
    if root is None:
        return
    client = MlflowClient()
    if client.get_experiment_by_name(name) is None:
        client.create_experiment(name, artifact_location=(root / name).as_uri())


def git_commit() -> str:
    """The commit of the project's working tree, or 'unknown' outside a git checkout."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return out.stdout.strip() if out.returncode == 0 else "unknown"


def fingerprint(frame: pd.DataFrame) -> str:
    """A content hash of a frame (values, index and column names), for reproducibility records."""
    h = hashlib.sha256()
    h.update(json.dumps([str(c) for c in frame.columns]).encode())
    h.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return h.hexdigest()


def promote(client, name: str, version: str, metric: str, value: float, higher_is_better: bool = True,
            fingerprint: str | None = None) -> tuple[bool, str]:
    """Give ``version`` the alias ``champion`` if none exists, if it beats the current champion on ``metric``, or
    if the champion was trained on other inputs (another ``data_fingerprint``: a new edition of the data, other
    features or another period), whose metric says nothing about today's data. Returns (promoted, the reason in
    plain words)."""
    try:
        current = client.get_model_version_by_alias(name, CHAMPION)
    except Exception:  # the registry raises MlflowException when the alias does not exist yet
        current = None
    reason = "no champion yet"
    if current is not None:
        run = client.get_run(current.run_id).data
        theirs = run.tags.get("data_fingerprint")
        best = run.metrics.get(metric)
        if fingerprint is not None and theirs is not None and theirs != fingerprint:
            reason = (f"the champion (version {current.version}) was trained on other inputs (data, features or "
                      f"period); its {metric} is not comparable, so this run, on today's inputs, replaces it")
        elif best is not None and (value <= best if higher_is_better else value >= best):
            return False, (f"{metric} {value:.4g} does not beat the champion's {best:.4g} (version "
                           f"{current.version}, same inputs)")
        else:
            reason = f"{metric} {value:.4g} beats the champion's " + (
                f"{best:.4g} (version {current.version}, same inputs)" if best is not None else "(none logged)")
    client.set_registered_model_alias(name, CHAMPION, version)
    return True, reason


def promote_if_better(client, name: str, version: str, metric: str, value: float, higher_is_better: bool = True,
                      fingerprint: str | None = None) -> bool:
    """:func:`promote` without its reason."""
    return promote(client, name, version, metric, value, higher_is_better, fingerprint)[0]


# --- what every job logs ------------------------------------------------------------------------------------

def flat_params(data: dict, prefix: str = "") -> dict[str, str]:
    """A nested dict of settings as MLflow parameters: dotted keys, values as text cut to 500 characters."""
    out = {}
    for k, v in data.items():
        key = f"{prefix}.{k}" if prefix else k
        if isinstance(v, dict):
            out.update(flat_params(v, key))
        else:
            out[key] = str(v)[:500]
    return out


def log_provenance(settings, data: pd.DataFrame, section: dict) -> None:
    """Into the active run: the resolved configuration (``config.json``), ``section`` as parameters, the git
    commit and a fingerprint of the input ``data``."""
    import mlflow

    mlflow.log_dict(settings.resolved(), "config.json")
    mlflow.log_params(flat_params(section))
    mlflow.set_tags({"git_commit": git_commit(), "data_fingerprint": fingerprint(data)})


def figure(width: float = 8, height: float = 5):
    """A matplotlib figure and one axes, without pyplot (no global backend state)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    return fig, fig.subplots()


def log_figure(fig, name: str) -> None:
    """A figure as an artifact of the active run under ``name`` (PNG, 110 dpi, tight box)."""
    import mlflow

    mlflow.log_figure(fig, name, save_kwargs={"bbox_inches": "tight", "dpi": 110})


MODEL_PACKAGES = ("mlflow", "cloudpickle", "numpy", "pandas", "scikit-learn", "scipy", "sozialradar")
"""What a logged pyfunc model (``models/pyfunc_*.py`` with ``models.packaging``) imports when it is loaded: the
list MLflow would infer by loading the model in a subprocess (about 9 s a model); a test holds the two equal."""


def model_requirements() -> list[str]:
    """The pip requirements of a logged model: :data:`MODEL_PACKAGES` at their installed versions."""
    from importlib.metadata import version

    return [f"{name}=={version(name)}" for name in MODEL_PACKAGES]


def register(code: Path, artifacts: dict[str, str], example: pd.DataFrame, output: pd.DataFrame,
             registered_name: str, metric: str, value: float) -> tuple[str | None, bool, str]:
    """Log a pyfunc model from its code file (nothing pickled) with signature and input example into the
    active run, register it under ``registered_name`` and give it the alias ``champion`` by :func:`promote` (on
    the run's ``data_fingerprint``). Returns (version, champion, reason) and tags the run with the latter two."""
    import mlflow
    from mlflow import MlflowClient
    from mlflow.models import infer_signature

    from ml.quiet import quiet_stderr

    with quiet_stderr():
        info = mlflow.pyfunc.log_model(name="model", python_model=str(code), artifacts=artifacts,
                                       signature=infer_signature(example, output), input_example=example,
                                       registered_model_name=registered_name, pip_requirements=model_requirements())
    version = str(info.registered_model_version) if info.registered_model_version is not None else None
    client = MlflowClient()
    mine = client.get_run(mlflow.active_run().info.run_id).data.tags.get("data_fingerprint")
    champion, reason = promote(client, registered_name, version, metric, value, fingerprint=mine) if version else (
        False, "not registered")
    mlflow.set_tags({"champion": str(champion), "champion_reason": reason})
    return version, champion, reason

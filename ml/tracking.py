"""MLflow helpers: tracking store, run provenance (config, commit, data fingerprint), champion aliases."""

from __future__ import annotations

import hashlib
import json
import subprocess
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


def git_commit() -> str:
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


def promote_if_better(client, name: str, version: str, metric: str, value: float, higher_is_better: bool = True) -> bool:
    """Give ``version`` the alias ``champion`` if it beats the current champion on ``metric`` (or none exists)."""
    try:
        current = client.get_model_version_by_alias(name, CHAMPION)
    except Exception:  # the registry raises MlflowException when the alias does not exist yet
        current = None
    if current is not None:
        best = client.get_run(current.run_id).data.metrics.get(metric)
        if best is not None and (value <= best if higher_is_better else value >= best):
            return False
    client.set_registered_model_alias(name, CHAMPION, version)
    return True

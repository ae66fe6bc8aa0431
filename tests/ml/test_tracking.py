"""MLflow helpers on a real SQLite tracking store: where a job's artifacts land."""

import os

import pytest


@pytest.fixture
def clean_mlflow_env(monkeypatch):
    for name in list(os.environ):
        if name.startswith("MLFLOW_"):
            monkeypatch.delenv(name)


def test_artifacts_land_beside_the_tracking_database(tmp_path, monkeypatch, clean_mlflow_env):
    import mlflow

    from ml.tracking import artifact_root, job_run

    elsewhere = tmp_path / "started-here"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    uri = f"sqlite:///{tmp_path / 'store' / 'mlflow.db'}"
    with job_run(uri, "sozialradar-test", "artefakte") as run:
        mlflow.log_text("inhalt", "notiz.txt")
    assert not (elsewhere / "mlruns").exists() and list(elsewhere.iterdir()) == []
    root = artifact_root(uri)
    assert root == (tmp_path / "store" / "artifacts").resolve()
    found = list(root.rglob("notiz.txt"))
    assert len(found) == 1 and run.info.run_id in str(found[0])

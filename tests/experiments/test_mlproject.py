"""Every MLproject entry point through ``mlflow run . -e NAME --env-manager local``, as an analyst runs it:
each job joins the run ``mlflow run`` started (the demo's later jobs become its child runs)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from mlflow import MlflowClient

from ml.paths import PROJECT_ROOT, SAMPLE_DIR

BIN = Path(sys.executable).parent


def mlflow_run(entry: str, env: dict, *params: str) -> str:
    """Run one entry point; the id of the run ``mlflow run`` started."""
    args = [str(BIN / "mlflow"), "run", str(PROJECT_ROOT), "-e", entry, "--env-manager", "local"]
    for p in params:
        args += ["-P", p]
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"{entry}: {proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return re.search(r"=== Run \(ID '([0-9a-f]+)'\) succeeded ===", proc.stderr).group(1)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mlproject")
    uri = f"sqlite:///{tmp / 'mlflow.db'}"
    # nothing of this process's own MLflow state (an earlier test's experiment id …) reaches mlflow run
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "SOZIALRADAR_"))}
    return tmp, {**clean, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "MLFLOW_TRACKING_URI": uri,
                 "SOZIALRADAR_TRACKING__URI": uri, "SOZIALRADAR_STORE__PATH": str(tmp / "kreis.duckdb"),
                 "SOZIALRADAR_INGEST__REPORT_DIR": str(tmp / "q"), "SOZIALRADAR_FEATURES__OUTPUT_DIR": str(tmp / "f"),
                 # what these tests check is how the jobs meet MLflow; each job's models have their own tests, so
                 # one indicator keeps the forecast short, the classifier runs without its nested selection and its
                 # comparison, the early warning with the two rules and without bootstrap intervals
                 "SOZIALRADAR_FORECAST__INDICATORS": "[sgb2_quote]",
                 "SOZIALRADAR_TRAINING__CLASSIFIER__SELECT": "false",
                 "SOZIALRADAR_TRAINING__CLASSIFIER__COMPARE": "false",
                 "SOZIALRADAR_TRAINING__EARLY_WARNING__CANDIDATES": "[boundary, index_forecast]",
                 "SOZIALRADAR_TRAINING__EARLY_WARNING__BOOTSTRAP": "0"}


def test_every_entry_point_is_tested_here():
    entries = set(yaml.safe_load((PROJECT_ROOT / "MLproject").read_text())["entry_points"])
    assert entries == {"demo", "ingest", "features", "train_classifier", "train_typology", "forecast", "early_warning",
                       "projection", "impact"}


def test_the_jobs_join_the_runs_mlflow_run_started(env):
    tmp, e = env
    client = MlflowClient(e["MLFLOW_TRACKING_URI"])
    for name in ("regions.csv", "observations.parquet"):
        run = mlflow_run("ingest", e, f"path={SAMPLE_DIR / name}")
        assert client.get_run(run).data.params["path"] == str(SAMPLE_DIR / name)
    mlflow_run("features", e)
    for entry, registered in (("train_classifier", "sozialradar-classifier"), ("train_typology", "sozialradar-typology"),
                              ("early_warning", "sozialradar-early-warning")):
        run_id = mlflow_run(entry, e)
        run = client.get_run(run_id)
        assert run.info.status == "FINISHED" and "sozialradar.job" in run.data.tags, entry
        assert run.data.metrics and "git_commit" in run.data.tags
        # the registered version comes from the very run mlflow run started, not from a second one
        versions = client.search_model_versions(f"name='{registered}'")
        assert run_id in {v.run_id for v in versions}, entry
    run = client.get_run(mlflow_run("forecast", e))
    assert run.info.status == "FINISHED" and run.data.metrics["n_series"] > 0
    # residents by age, written as a county exports them, imported and projected
    from ml.io import write_table
    from ml.store import Store
    from ml.synthetic import age_table

    with Store(tmp / "kreis.duckdb", read_only=True) as store:
        table = write_table(age_table(store.observations()), tmp / "einwohner_nach_alter.csv")
    mlflow_run("ingest", e, f"path={table}")
    run = client.get_run(mlflow_run("projection", e, "horizon=5"))
    assert run.info.status == "FINISHED" and run.data.metrics["n_regions"] == 53
    assert run.data.tags["sozialradar.job"] == "projection" and "urteil" in run.data.tags
    assert run.data.params["horizon"] == "5" and any(k.startswith("mape.kohorten.") for k in run.data.metrics)
    # a register of measures, imported and evaluated
    from ml.synthetic import measure_register

    with Store(tmp / "kreis.duckdb", read_only=True) as store:
        register = write_table(measure_register(store.regions(), store.observations()), tmp / "massnahmen.csv")
    mlflow_run("ingest", e, f"path={register}")
    run = client.get_run(mlflow_run("impact", e))
    assert run.info.status == "FINISHED" and run.data.metrics["estimates"] > 0
    assert any(k.startswith("effect.M01.") for k in run.data.metrics)


def test_demo_entry_point(env, tmp_path):
    tmp, e = env
    from experiments.serve import free_port

    e = {**e, "SOZIALRADAR_SERVING__PORT": str(free_port())}
    parent = mlflow_run("demo", e, f"workdir={tmp_path / 'demo'}", "serve_for=0")
    client = MlflowClient(e["MLFLOW_TRACKING_URI"])
    run = client.get_run(parent)
    every = client.search_runs([e.experiment_id for e in client.search_experiments()])
    children = [r for r in every if r.data.tags.get("mlflow.parentRunId") == parent]
    # the first job joins the demo's run, the later ones (typology, forecast, projection, impact, early warning)
    # are its children
    assert run.data.tags["sozialradar.job"] and len(children) == 5, [(r.info.run_id, r.data.tags) for r in every]
    assert all(c.info.status == "FINISHED" for c in children)
    assert (tmp_path / "demo" / "berichte" / "index_2025.html").is_file()

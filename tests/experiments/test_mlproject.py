"""Every MLproject entry point through ``mlflow run . -e NAME --env-manager local``, as an analyst runs it:
each job joins the run ``mlflow run`` started. The entry point ``demo`` is the session's demo itself
(``tests/conftest.py``, checked in ``tests/experiments/test_cli.py``): its later jobs become its child runs."""

import pytest
import yaml
from mlflow import MlflowClient

from ml.paths import PROJECT_ROOT, SAMPLE_DIR
from tests.conftest import mlflow_env, mlflow_run


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mlproject")
    return tmp, mlflow_env(
        tmp / "mlflow.db", SOZIALRADAR_STORE__PATH=str(tmp / "kreis.duckdb"),
        SOZIALRADAR_INGEST__REPORT_DIR=str(tmp / "q"), SOZIALRADAR_FEATURES__OUTPUT_DIR=str(tmp / "f"),
        # what these tests check is how the jobs meet MLflow; each job's models have their own tests, so one
        # indicator keeps the forecast short, the classifier runs without its nested selection and its
        # comparison, the early warning with the two rules and without bootstrap intervals
        SOZIALRADAR_FORECAST__INDICATORS="[sgb2_quote]", SOZIALRADAR_TRAINING__CLASSIFIER__SELECT="false",
        SOZIALRADAR_TRAINING__CLASSIFIER__COMPARE="false",
        SOZIALRADAR_TRAINING__EARLY_WARNING__CANDIDATES="[boundary, index_forecast]",
        SOZIALRADAR_TRAINING__EARLY_WARNING__BOOTSTRAP="0")


def test_every_entry_point_is_tested_here():
    entries = set(yaml.safe_load((PROJECT_ROOT / "MLproject").read_text())["entry_points"])
    assert entries == {"demo", "ingest", "features", "train_classifier", "train_typology", "forecast", "early_warning",
                       "projection", "impact"}


def test_the_jobs_join_the_runs_mlflow_run_started(env):
    tmp, e = env
    client = MlflowClient(e["MLFLOW_TRACKING_URI"])
    run, _ = mlflow_run("ingest", e, f"path={SAMPLE_DIR / 'regions.csv'}")
    assert client.get_run(run).data.params["path"] == str(SAMPLE_DIR / "regions.csv")
    # the further tables in-process: the entry point has shown that it imports
    from ml.config import load_settings
    from ml.importers import ingest_file
    from ml.io import write_table
    from ml.store import Store
    from ml.synthetic import age_table, measure_register

    settings = load_settings(env={k: v for k, v in e.items() if k.startswith("SOZIALRADAR_")})

    def ingest(path):
        with Store(tmp / "kreis.duckdb") as store:
            assert ingest_file(path, store, settings).status == "ok"

    ingest(SAMPLE_DIR / "observations.parquet")
    mlflow_run("features", e)
    for entry, registered in (("train_classifier", "sozialradar-classifier"), ("train_typology", "sozialradar-typology"),
                              ("early_warning", "sozialradar-early-warning")):
        run_id, _ = mlflow_run(entry, e)
        run = client.get_run(run_id)
        assert run.info.status == "FINISHED" and "sozialradar.job" in run.data.tags, entry
        assert run.data.metrics and "git_commit" in run.data.tags
        # the registered version comes from the very run mlflow run started, not from a second one
        versions = client.search_model_versions(f"name='{registered}'")
        assert run_id in {v.run_id for v in versions}, entry
    run = client.get_run(mlflow_run("forecast", e)[0])
    assert run.info.status == "FINISHED" and run.data.metrics["n_series"] > 0
    # residents by age, written as a county exports them, imported and projected
    with Store(tmp / "kreis.duckdb", read_only=True) as store:
        table = write_table(age_table(store.observations()), tmp / "einwohner_nach_alter.csv")
    ingest(table)
    run = client.get_run(mlflow_run("projection", e, "horizon=5")[0])
    assert run.info.status == "FINISHED" and run.data.metrics["n_regions"] == 53
    assert run.data.tags["sozialradar.job"] == "projection" and "urteil" in run.data.tags
    assert run.data.params["horizon"] == "5" and any(k.startswith("mape.kohorten.") for k in run.data.metrics)
    # a register of measures, imported and evaluated
    with Store(tmp / "kreis.duckdb", read_only=True) as store:
        register = write_table(measure_register(store.regions(), store.observations()), tmp / "massnahmen.csv")
    ingest(register)
    run = client.get_run(mlflow_run("impact", e)[0])
    assert run.info.status == "FINISHED" and run.data.metrics["estimates"] > 0
    assert any(k.startswith("effect.M01.") for k in run.data.metrics)

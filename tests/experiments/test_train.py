"""Training runs against a real MLflow SQLite store: metrics, plots, registered pyfunc, champion alias."""

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient

from experiments.train import TrainingError, train_classifier, train_typology
from features.pipeline import run_pipeline
from ml.paths import SAMPLE_DIR
from ml.tracking import CHAMPION, fingerprint, promote_if_better, tracking_uri


@pytest.fixture(scope="module")
def profiles(sample_inputs):
    settings, catalog, obs, regions = sample_inputs
    result = run_pipeline(obs, regions, catalog, settings)
    return result.profiles, result.model


def configured(settings, tmp_path, **training):
    updates = {"tracking": settings.tracking.model_copy(update={"uri": f"sqlite:///{tmp_path}/mlflow.db"}),
               "training": settings.training.model_copy(update=training)}
    return settings.model_copy(update=updates)


def test_classifier_run_registers_a_loadable_champion(sample_inputs, profiles, tmp_path):
    settings, catalog, _, _ = sample_inputs
    s = configured(settings, tmp_path, ground_truth=SAMPLE_DIR / "ground_truth.json",
                   classifier=settings.training.classifier.model_copy(update={"target": "planted_type", "period": "2012"}))
    summary = train_classifier(*profiles, catalog, s)
    # five planted types from 40 indicators of 53 Gemeinden (chance: 0.2)
    assert summary.metrics["cv_balanced_accuracy"] >= 0.5 and summary.champion
    assert {"cv_accuracy", "cv_reject_rate", "cv_log_loss", "calibration_slope"} <= set(summary.metrics)
    assert {k for k in summary.metrics if k.startswith("cv_recall_")} == {f"cv_recall_T{i}" for i in range(1, 6)}
    mlflow.set_tracking_uri(tracking_uri(s.tracking.uri))
    client = MlflowClient()
    run = client.get_run(summary.run_id)
    assert len(run.data.tags["git_commit"]) in (40, 7) and len(run.data.tags["data_fingerprint"]) == 64
    artifacts = {a.path for a in client.list_artifacts(summary.run_id)} | {
        a.path for a in client.list_artifacts(summary.run_id, "plots")}
    assert {"config.json", "plots/relevanzprofil.png", "plots/prototypen.png", "plots/konfusionsmatrix.png",
            "plots/projektion.png"} <= artifacts
    model = mlflow.pyfunc.load_model(f"models:/{s.training.classifier.registered_name}@{CHAMPION}")
    names = [c["name"] for c in model.metadata.signature.inputs.to_dict()]
    m = profiles[1][profiles[1]["period"] == "2012"].set_index("region_id")
    X = m[[f"m_{n}" for n in names]].dropna()
    X.columns = names
    out = model.predict(X.head(5))
    assert list(out.columns[:1]) == ["prediction"] and np.allclose(out.filter(like="p_").sum(axis=1), 1)


def test_champion_moves_only_on_improvement(tmp_path):
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path}/m.db")
    mlflow.set_experiment("promotion")
    client = MlflowClient()
    client.create_registered_model("x")
    versions = []
    for value in (0.7, 0.6, 0.9):
        with mlflow.start_run() as run:
            mlflow.log_metric("score", value)
        versions.append(client.create_model_version("x", f"runs:/{run.info.run_id}/m", run.info.run_id).version)
    assert promote_if_better(client, "x", versions[0], "score", 0.7)
    assert not promote_if_better(client, "x", versions[1], "score", 0.6)
    assert client.get_model_version_by_alias("x", CHAMPION).version == versions[0]
    assert promote_if_better(client, "x", versions[2], "score", 0.9)
    assert client.get_model_version_by_alias("x", CHAMPION).version == versions[2]


def test_typology_run_recovers_planted_types(sample_inputs, profiles, tmp_path):
    settings, catalog, _, _ = sample_inputs
    # 2010: before the latent strain and any planted deterioration move the Gemeinden away from their types
    s = configured(settings, tmp_path, ground_truth=SAMPLE_DIR / "ground_truth.json",
                   typology=settings.training.typology.model_copy(update={"period": "2010"}))
    summary, model, descriptions = train_typology(*profiles, catalog, s)
    assert summary.metrics["n_types"] == 5 and summary.metrics["ari_planted_types"] >= 0.8
    assert len(descriptions) == 5 and all("durchschnittlich" in d for d in descriptions.values())
    # next year's refit keeps the type numbers
    s2 = configured(settings, tmp_path, typology=settings.training.typology.model_copy(update={"period": "2015"}))
    _, model2, _ = train_typology(*profiles, catalog, s2, previous=model)
    assert (model2.labels_ == model.labels_).mean() >= 0.9
    election = configured(settings, tmp_path, typology=settings.training.typology.model_copy(update={"period": "2013"}))
    with pytest.raises(TrainingError, match="previous typology used 39 features, 2013 has 40"):
        train_typology(*profiles, catalog, election, previous=model)


def test_training_errors(sample_inputs, profiles, tmp_path):
    settings, catalog, _, _ = sample_inputs
    s = configured(settings, tmp_path, classifier=settings.training.classifier.model_copy(update={"target": "planted_type"}))
    with pytest.raises(TrainingError, match="needs training.ground_truth"):
        train_classifier(*profiles, catalog, s)
    s = configured(settings, tmp_path, classifier=settings.training.classifier.model_copy(update={"period": "1999"}))
    with pytest.raises(TrainingError, match="no profiles for period '1999'"):
        train_classifier(*profiles, catalog, s)
    s = configured(settings, tmp_path, classifier=settings.training.classifier.model_copy(update={"features": ["gibtsnicht"]}))
    with pytest.raises(TrainingError, match="features not in the profiles: gibtsnicht"):
        train_classifier(*profiles, catalog, s)


def test_fingerprint_changes_with_data():
    a = pd.DataFrame({"x": [1.0, 2.0]})
    assert fingerprint(a) == fingerprint(a.copy()) != fingerprint(a.assign(x=[1.0, 2.5]))

"""Real case: Berlin's MSS 2021 context indicators predict the official status class (536 PLR, 5-fold CV)."""

import pytest

from experiments.train import train_classifier
from features.pipeline import run_pipeline
from ml.config import load_settings
from ml.catalog import effective_catalog
from ml.importers import ingest_file
from ml.paths import CATALOG_DIR, DATA_DIR
from ml.store import Store

pytestmark = pytest.mark.realdata


def test_context_indicators_predict_status_class(shared_data, tmp_path):
    settings = load_settings(DATA_DIR / "config" / "berlin_mss.yaml",
                             env={"SOZIALRADAR_STORE__PATH": str(tmp_path / "b.duckdb"),
                                  "SOZIALRADAR_INGEST__REPORT_DIR": str(tmp_path / "q"),
                                  "SOZIALRADAR_TRACKING__URI": f"sqlite:///{tmp_path}/mlflow.db"})
    folder = shared_data / "berlin_mss" / "tesch-ch"
    with Store(settings.store.path) as store:
        for name in ("mss_2021_index_indikatoren.csv", "mss_2021_indizes.csv", "mss_2021_kontext_indikatoren.csv"):
            assert ingest_file(folder / name, store, settings).status == "ok"
        obs, regions = store.observations(), store.regions()
    catalog = effective_catalog(settings, [CATALOG_DIR / "berlin_mss.csv"])
    result = run_pipeline(obs, regions, catalog, settings)
    context = sorted(i for i in set(obs["indicator_id"]) if i.startswith("mss_k"))
    cfg = settings.training.classifier.model_copy(update={"features": context, "period": "2021", "cv_folds": 5})
    s = settings.model_copy(update={"training": settings.training.model_copy(update={"classifier": cfg})})
    summary = train_classifier(result.profiles, result.model, catalog, s)
    assert summary.metrics["n_regions"] == 536 and summary.metrics["cv_folds"] == 5
    assert summary.metrics["cv_accuracy"] >= 0.7 and summary.metrics["cv_balanced_accuracy"] >= 0.6

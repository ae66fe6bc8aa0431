"""The jobs on a store that lacks what they read: a JobError that says what to run first, and nothing written."""

import pytest

from experiments.jobs import (
    JobError, catalog_for, classifier_job, early_warning_job, forecast_job, reports_job, typology_job,
)
from ml.paths import SAMPLE_DIR
from ml.importers import ingest_file
from ml.store import Store


@pytest.fixture
def ingested(settings):
    with Store(settings.store.path) as store:
        for name in ("regions.csv", "observations.parquet"):
            assert ingest_file(SAMPLE_DIR / name, store, settings).status == "ok"
    return settings


@pytest.mark.parametrize("job", [classifier_job, typology_job, forecast_job, early_warning_job])
def test_a_model_job_before_the_features_job_says_so(ingested, job):
    with pytest.raises(JobError, match="run 'sozialradar features' first"):
        job(ingested)
    with Store(ingested.store.path, read_only=True) as store:
        assert not {"classes", "types", "forecasts", "early_warnings"} & store.tables()


def test_reports_before_the_features_job_say_so(ingested, tmp_path):
    with pytest.raises(JobError, match="run 'sozialradar features' first"):
        reports_job(ingested, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_broken_catalog_is_a_job_error(settings, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("indicator_id;name\nx;y\n", encoding="utf-8")
    broken = settings.model_copy(update={"catalog": settings.catalog.model_copy(update={"indicators": [bad]})})
    with pytest.raises(JobError):
        catalog_for(broken)


def test_the_features_job_names_results_that_await_a_new_training(ingested):
    """New editions in the profiles after a training: the features job names each stored result that ends before
    them and the command that scores them; a result that reaches the last period, or a refused early warning, is
    not named."""
    import pandas as pd

    from experiments.jobs import features_job

    with Store(ingested.store.path) as store:
        store.replace_table("early_warnings", pd.DataFrame({"region_id": ["x", "x"], "period": ["2022", "2023"]}))
        store.replace_table("types", pd.DataFrame({"region_id": ["x"], "period": ["2025"]}))
        store.replace_table("forecasts", pd.DataFrame({"region_id": ["x"] * 3, "period": ["2024-12", "2025", "2026"]}))
    result = features_job(ingested)
    assert result.profiles["period"].max() == "2025"
    assert ("early warnings reach 2023, the profiles 2025: 'sozialradar train early-warning' scores 2024, 2025"
            in result.notes)
    assert not [n for n in result.notes if "Sozialraumtypen" in n or "classes" in n]
    assert ("the forecasts start at 2025, the profiles reach 2025: 'sozialradar forecast' forecasts from the new "
            "edition") in result.notes
    # 'store info' says the same, with how far each result reaches and what newer observations await
    from experiments.jobs import results_summary

    with Store(ingested.store.path, read_only=True) as store:
        lines = results_summary(store, "2026")
    assert lines[:2] == ["profiles: 2010..2025, 53 regions", "  the observations reach 2026: 'sozialradar features' "
                                                              "builds the profiles of the newer periods"]
    assert {"early warnings: 2022..2023", "the Sozialraumtypen: 2025..2025", "forecasts: 2024-12..2026",
            "  early warnings reach 2023, the profiles 2025: 'sozialradar train early-warning' scores 2024, 2025"
            } <= set(lines)
    from experiments.jobs import awaiting_training

    with Store(ingested.store.path) as store:       # forecasts from the last edition on are current
        store.replace_table("forecasts", pd.DataFrame({"region_id": ["x"] * 2, "period": ["2025-12", "2026"]}))
        assert "forecasts" not in awaiting_training(store, result.profiles)
    with Store(ingested.store.path) as store:
        store.replace_table("early_warning_refused", pd.DataFrame({"horizon": [1]}))
        assert "early_warnings" not in awaiting_training(store, result.profiles)
        assert "early warnings: 2022..2023 (withdrawn: the last training refused)" in results_summary(store, None)
    # a training that refuses is named with its reason; the champion's results before it stay; a run that trains
    # removes the record
    from experiments.jobs import typology_job

    tracked = ingested.model_copy(update={"tracking": ingested.tracking.model_copy(
        update={"uri": f"sqlite:///{ingested.store.path.parent}/mlflow.db"})})
    one = tracked.model_copy(update={"training": tracked.training.model_copy(update={
        "typology": tracked.training.typology.model_copy(update={"features": ["anteil_65plus"]})})})
    with pytest.raises(JobError, match="the typology needs at least two indicators"):
        typology_job(one)
    with Store(ingested.store.path, read_only=True) as store:
        lines = results_summary(store, None)
        assert store.table("training_refused")["job"].tolist() == ["typology"]
    said = lines[lines.index("the Sozialraumtypen: 2025..2025") + 1]
    assert said.startswith("  the last training refused (") and "the typology needs at least two indicators" in said
    assert said.endswith("; the results above are the champion's before it")
    typology_job(tracked)
    with Store(ingested.store.path, read_only=True) as store:
        assert "training_refused" not in store.tables()
        assert not [line for line in results_summary(store, None) if "refused (" in line]

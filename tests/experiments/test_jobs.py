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
    from experiments.store_summary import results_summary

    with Store(ingested.store.path, read_only=True) as store:
        lines = results_summary(store, "2026")
    assert lines[:2] == ["profiles: 2010..2025, 53 regions", "  the observations reach 2026: 'sozialradar features' "
                                                              "builds the profiles of the newer periods"]
    assert {"early warnings: 2022..2023", "the Sozialraumtypen: 2025..2025", "forecasts: 2024-12..2026",
            "  early warnings reach 2023, the profiles 2025: 'sozialradar train early-warning' scores 2024, 2025"
            } <= set(lines)
    from experiments.store_summary import awaiting_training

    with Store(ingested.store.path) as store:       # forecasts from the last edition on are current
        store.replace_table("forecasts", pd.DataFrame({"region_id": ["x"] * 2, "period": ["2025-12", "2026"]}))
        assert "forecasts" not in awaiting_training(store, result.profiles)
    # profiles of years without a status index (a Land's register of residents reaching past the index's last
    # edition) await no training of the early warning
    def without_index(after):
        return result.profiles.assign(status_index=lambda p: p["status_index"].where(p["period"].astype(str) <= after))

    with Store(ingested.store.path, read_only=True) as store:
        assert awaiting_training(store, without_index("2024"))["early_warnings"] == (
            "early warnings reach 2023, the profiles 2025: 'sozialradar train early-warning' scores 2024")
        assert awaiting_training(store, without_index("2023"))["early_warnings"] == (
            "early warnings reach 2023, the profiles 2025; 2024, 2025 have no values of their inputs (the status "
            "index): no warning is scored for them")
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


def test_features_without_the_countys_configuration_are_refused_before_they_replace_its_profiles(ingested, tmp_path):
    """A run with the shipped catalog alone (the command without --config) over profiles built with the county's own
    indicators: refused, naming what it would drop, nothing written; with force it rebuilds them."""
    import pandas as pd

    from experiments.jobs import features_job
    from tests.conftest import write

    own = write(tmp_path / "own.csv", "indicator_id,name,dimension,unit,polarity,kind,numerator,denominator,scale,"
                "frequency\nwohnungen_je_ew,Wohnungen je 100 Einwohner,wohnen,%,0,share,wohnungen,einwohner,100,"
                "annual\n")
    county = ingested.model_copy(update={"catalog": ingested.catalog.model_copy(update={"indicators": [own]})})
    first = features_job(county)
    assert "wohnungen_je_ew" in set(first.values["indicator_id"])
    with Store(ingested.store.path, read_only=True) as store:
        before = store.table("profiles")
    with pytest.raises(JobError) as err:
        features_job(ingested)
    assert str(err.value) == (
        "this run would drop from the stored profiles 1 indicator with values (wohnungen_je_ew) (catalog files read: "
        "indicators.csv; status indicators: " + ", ".join(ingested.features.index.status_indicators) + "; level: "
        "gemeinde). If the "
        "command lacks the county's configuration, pass it (sozialradar --config FILE, SOZIALRADAR_CONFIG, or start "
        "it beside its sozialradar.yaml); to rebuild the profiles without them, run 'sozialradar features --force'. "
        "Nothing was written.")
    with Store(ingested.store.path, read_only=True) as store:
        pd.testing.assert_frame_equal(store.table("profiles"), before)
    assert len(features_job(county).profiles) == len(before)     # the county's configuration: nothing dropped
    forced = features_job(ingested, force=True)
    assert "wohnungen_je_ew" not in set(forced.values["indicator_id"])


def test_features_that_would_lose_the_status_index_are_refused(settings, tmp_path):
    """A county whose status index is made of its own indicators, run with the shipped index (none of whose
    indicators it has): the status index would vanish from every profile; refused, unless forced."""
    from experiments.jobs import features_job
    from tests.experiments.test_export import _census_table

    _census_table(settings, tmp_path)
    index = settings.features.index.model_copy(update={"status_indicators": ["anteil_65plus"]})
    county = settings.model_copy(update={"features": settings.features.model_copy(update={"index": index})})
    assert features_job(county).profiles["status_index"].notna().sum() == 6
    with pytest.raises(JobError, match=r"would drop from the stored profiles the status index \(6 region-periods have "
                                       r"one, this run none\)"):
        features_job(settings)
    assert features_job(settings, force=True).profiles["status_index"].isna().all()


def test_features_of_another_level_are_refused_before_they_replace_the_profiles(ingested, tmp_path):
    """Profiles of the Gemeinden, then a run for the Sozialregionen (another features.level: a configuration from
    elsewhere, or a level asked for on purpose): refused, naming the profiles it would drop and the level it builds,
    nothing written; with force the profiles are of the new level."""
    import pandas as pd

    from experiments.jobs import features_job
    from tests.conftest import write

    with Store(ingested.store.path) as store:
        regions = store.regions()
        social = regions.loc[regions["level"] == "sozialregion", "region_id"].tolist()
        values = write(tmp_path / "sozialregionen.csv", "region_id,indicator_id,period,value\n" + "".join(
            f"{r},einwohner,{y},{20000 + 500 * i}\n{r},anteil_65plus,{y},{18 + i + (y - 2020) / 2}\n"
            for i, r in enumerate(social) for y in (2020, 2021)))
        assert ingest_file(values, store, ingested).status == "ok"
    features_job(ingested)
    with Store(ingested.store.path, read_only=True) as store:
        before = store.table("profiles")
    coarser = ingested.model_copy(update={"features": ingested.features.model_copy(update={
        "level": "sozialregion", "reference_level": None})})
    with pytest.raises(JobError, match=r"would drop from the stored profiles the profiles of 53 regions of level "
                                       r"'gemeinde' \(this run builds them for level sozialregion\); and .*; level: "
                                       r"sozialregion\)\..*Nothing was written"):
        features_job(coarser)
    with Store(ingested.store.path, read_only=True) as store:
        pd.testing.assert_frame_equal(store.table("profiles"), before)
    forced = features_job(coarser, force=True)
    assert forced.profiles["region_id"].nunique() < before["region_id"].nunique()


def test_years_are_written_as_a_reader_counts_them():
    from ml.formatting import years_text

    assert years_text(["2003", "2005", "2007"]) == "2003, 2005, 2007"
    assert years_text(["2012", "2009", "2010", "2011", "2003", "2004"]) == "2003, 2004, 2009–2012"
    assert years_text([]) == ""
    assert years_text(["2021-06", "2021-12"]) == "2021-06, 2021-12"


def test_the_features_job_names_the_sozialregionen_a_small_gemeinde_withholds_and_the_setting(ingested):
    """The Musterkreis: Sozialregion Nord withholds most of its counts (Tannenroda has fewer than 300 residents), and
    the features job says which setting would show them. With it, the job names the values withheld besides, and
    Nord's page holds its count of SGB-II recipients."""
    from experiments.jobs import features_job

    notes = features_job(ingested).notes
    hint = [n for n in notes if "privacy.secondary: true" in n]
    assert len(hint) == 1 and "Sozialregion Nord" in hint[0] and "Tannenroda" in hint[0]
    assert _nord(ingested)["suppressed_by"].tolist() == ["complement"]
    on = ingested.model_copy(update={"privacy": ingested.privacy.model_copy(update={"secondary": True})})
    notes = features_job(on).notes
    assert not [n for n in notes if "privacy.secondary: true" in n]
    assert [n for n in notes if "withheld because, beside a withheld count of another part" in n]
    nord = _nord(ingested)
    assert len(nord) == 1 and nord["value"].notna().all() and nord["summed"].all()


def _nord(settings):
    """Sozialregion Nord's count of SGB-II recipients in 2025, as its page shows it."""
    with Store(settings.store.path, read_only=True) as store:
        other = store.table("other_level_values")
    return other[(other["region_id"] == "14599SR1") & (other["indicator_id"] == "sgb2_empfaenger")
                 & (other["period"].astype(str) == "2025")]


def test_store_info_says_where_values_left_out_belong_to_other_levels_than_the_profiles(store):
    """Values left out in regions the profiles do not hold (a Bezirksregion's file of another year, the profiles
    per Planungsraum) are counted as such: 'left out of the profiles' would say they were the profiles'."""
    import pandas as pd

    from experiments.store_summary import set_aside

    store.replace_table("profiles", pd.DataFrame({"region_id": ["0101", "0102"], "period": ["2017", "2017"]}))
    why = "Werte der Ausgabe 2017 sind die der Ausgabe 2019, gemessen an der Ebene Planungsraum"
    left = pd.DataFrame({"region_id": ["01", "02", "0101"], "indicator_id": ["s1", "s1", "s3"],
                         "period": ["2017"] * 3, "reason": [why, why, "Zeilen anderen Gebieten zugeordnet"]})
    store.replace_table("left_out_values", left)
    assert set_aside(store, store.tables()) == [
        "values left out: 3 (2017 s1 2; 2017 s3 1; 2 of them of regions of other levels than the profiles'); a "
        "region's page says why (table left_out_values)"]
    store.replace_table("left_out_values", left.iloc[2:])
    assert set_aside(store, store.tables()) == [
        "values left out of the profiles: 1 (2017 s3 1); a region's page says why (table left_out_values)"]

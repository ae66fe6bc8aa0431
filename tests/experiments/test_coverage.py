"""Bestand und Bedarf on the Musterkreis: its generated register by age and facility register imported as a
county's, projected, and set against each other per Gemeinde and year."""

import numpy as np
import pandas as pd
import pytest

from experiments.coverage import area_coverage
from experiments.jobs import JobError, coverage_job, projection_job
from ml.config import load_settings
from ml.geometry import centroid, read_geojson, store_geometry
from ml.importers import ingest_file
from ml.io import write_table
from ml.paths import SAMPLE_DIR
from ml.store import Store
from ml.synthetic import age_table, facility_register

pytestmark = pytest.mark.xdist_group("coverage_run")
"""The module's tests share one run of the job (a module fixture): on one worker it is computed once."""


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("coverage")
    settings = load_settings(env={"SOZIALRADAR_STORE__PATH": str(tmp / "m.duckdb"),
                                  "SOZIALRADAR_INGEST__REPORT_DIR": str(tmp / "q"),
                                  "SOZIALRADAR_TRACKING__URI": f"sqlite:///{tmp}/mlflow.db"})
    with Store(settings.store.path) as store:
        for name in ("regions.csv", "observations.parquet"):
            assert ingest_file(SAMPLE_DIR / name, store, settings).status == "ok"
        store_geometry(store, read_geojson(SAMPLE_DIR / "geometry.geojson"))
        obs, regions = store.observations(), store.regions()
        centres = {r: centroid(g) for r, g in zip(regions["region_id"], regions["geometry"])}
        register = facility_register(regions, obs, centres)
        for table in (write_table(age_table(obs), tmp / "alter.csv"), write_table(register, tmp / "einrichtungen.csv")):
            assert ingest_file(table, store, settings).status == "ok"
    projection_job(settings)
    return settings, coverage_job(settings), register, regions, tmp


def test_every_place_counted_once_each_year(planned):
    settings, summary, register, _, _ = planned
    t = summary.table
    assert summary.by_distance and summary.types_without_norm == []
    assert set(t["type"]) == {"Kita", "Pflegeheim"} and set(t["horizon"]) == set(range(11))
    for (type_, period), g in t.groupby(["type", "period"]):
        year = int(period)
        f = register[register["Art"] == type_]
        closes = pd.to_numeric(f["geschlossen"], errors="coerce")
        open_ = (f["eröffnet"] <= year) & (closes.isna() | (closes > year))
        # all places are within someone's reach here; withheld Gemeinden's tiny demand still counts in step 1
        assert g["in_region"].sum() == pytest.approx(f.loc[open_, "Plätze"].sum())
        assert g["accessible"].sum() <= f.loc[open_, "Plätze"].sum() + 0.05 * len(g)   # rounded to 0.1


def test_openings_and_closings_move_supply(planned):
    _, summary, register, _, _ = planned
    t = summary.table[summary.table["type"] == "Kita"]
    supply = t.groupby("period")["in_region"].sum()
    new = register[register["eröffnet"] > 2025].iloc[0]
    gone = register[pd.to_numeric(register["geschlossen"], errors="coerce") > 2025].iloc[0]
    assert supply[str(new["eröffnet"])] - supply[str(new["eröffnet"] - 1)] == pytest.approx(new["Plätze"])
    assert supply[str(int(gone["geschlossen"]) - 1)] - supply[str(int(gone["geschlossen"]))] == pytest.approx(gone["Plätze"])


def test_withheld_counts_withhold_demand_and_gaps(planned):
    settings, summary, _, _, _ = planned
    from experiments.coverage import run_coverage

    with Store(settings.store.path, read_only=True) as store:
        projection, facilities, regions = store.table("projection"), store.table("facilities"), store.regions()
    # a Gemeinde whose count of children is withheld as small (as the projection job withholds it)
    small = projection["region_id"].iloc[0]
    hide = (projection["region_id"] == small) & (projection["group_label"] == "1 bis 5 Jahre")
    projection.loc[hide, ["served", "projected"]] = np.nan
    t = run_coverage(projection, facilities, regions, settings).table
    hidden = t[t["flag"] == "suppressed"]
    assert set(hidden["region_id"]) == {small} and set(hidden["type"]) == {"Kita"} and len(hidden) == 11
    assert hidden[["demand", "accessible", "ratio", "gap"]].isna().all().all()
    t = summary.table
    shown = t[t["flag"] == "ok"]
    assert (shown["gap"] >= 0).all() and np.allclose(shown["gap"], np.maximum(shown["demand"] - shown["accessible"], 0),
                                                     atol=0.11)


def test_a_sozialregion_now_and_in_ten_years(planned):
    _, summary, _, regions, _ = planned
    nord = regions[(regions["level"] == "sozialregion")].sort_values("region_id").iloc[0]["region_id"]
    members = set(regions.loc[regions["parent_id"] == nord, "region_id"])
    now, later = (area_coverage(summary.table, members, "Kita", h) for h in (0, 10))
    assert now["period"] == "2025" and later["period"] == "2035"
    assert 0 < now["ratio"] < 2 and now["demand"] > 0 and later["demand"] > 0


def test_without_positions_only_own_places_count(planned):
    settings, _, _, _, tmp = planned
    from experiments.coverage import run_coverage

    with Store(settings.store.path, read_only=True) as store:
        projection, facilities, regions = store.table("projection"), store.table("facilities"), store.regions()
    bare = run_coverage(projection, facilities, regions.assign(geometry=None), settings)
    assert not bare.by_distance
    ok = bare.table[(bare.table["flag"] == "ok")]
    assert np.allclose(ok["accessible"], np.minimum(ok["in_region"], np.inf).where(ok["demand"] > 0, 0), atol=0.11)


def test_clear_errors(planned, settings, store):
    store.close()
    with pytest.raises(JobError, match="no projection in the store"):
        coverage_job(settings)
    s, _, _, _, _ = planned
    norms = [{"type": "Kita", "group": "2-4", "per_person": 0.5}]
    odd = s.model_copy(update={"coverage": s.coverage.model_validate({"norms": norms})})
    with pytest.raises(JobError, match="no group '2 bis 4 Jahre'"):
        coverage_job(odd)

"""The checks an import runs over the editions the store holds (experiments.arrival.misplaced_after_import), on real
tables: a change of grid said on arrival."""

from __future__ import annotations

import pytest


@pytest.mark.realdata
def test_berlins_open_mss_per_bezirksregion_names_the_grid_of_2021_on_arrival(shared_data, store, settings):
    """The editions 2013–2019 on the 138 Bezirksregionen, then 2021 on the 143 of the new grid: the import says
    what changed; every earlier import said nothing of the kind."""
    from experiments.arrival import misplaced_after_import
    from ml.importers import ingest_file

    folder = shared_data / "berlin_mss_open_lifeworlds"
    for year in ("2013", "2015", "2017", "2019"):
        rep = ingest_file(folder / f"berlin-lor-monitoring-social-urban-development-{year}-00-district-regions.csv",
                          store, settings)
        assert not [n for n in misplaced_after_import(store, rep.indicators) if "grid" in n]
    rep = ingest_file(folder / "berlin-lor-monitoring-social-urban-development-2021-00-district-regions.csv",
                      store, settings)
    said = [n for n in misplaced_after_import(store, rep.indicators) if "grid" in n]
    assert len(said) == 1 and said[0].startswith(
        "2021: the regions of level bezirksregion with values are largely others than before: 142 of the 142 of "
        "2021 have none up to 2019, and 137 of the 137 of 2019 have none from 2021 on")


@pytest.mark.realdata
def test_berlins_open_mss_file_per_bezirksregion_of_2017_holding_2019_is_named_on_arrival_and_left_out(
        shared_data, tmp_path):
    """The open-data file per Bezirksregion of 2017 carries the status and dynamics indicators of 2019: its
    Planungsräume tell it on arrival, and 'features' leaves those values out there (the Planungsräume's own stay);
    the level step it made (S1 halving from 2015) is not said as a new definition."""
    from experiments.arrival import misplaced_after_import
    from experiments.jobs import catalog_for
    from features.pipeline import run_pipeline
    from ml.config import load_settings
    from ml.importers import ingest_file
    from ml.paths import DATA_DIR
    from ml.store import Store

    settings = load_settings(DATA_DIR / "config" / "berlin_mss.yaml", env={
        "SOZIALRADAR_STORE__PATH": str(tmp_path / "b.duckdb"), "SOZIALRADAR_INGEST__REPORT_DIR": str(tmp_path / "q"),
        "SOZIALRADAR_FEATURES__LEVEL": "bezirksregion"})
    folder = shared_data / "berlin_mss_open_lifeworlds"
    catalog = catalog_for(settings)
    with Store(settings.store.path) as store:
        for year in ("2015", "2017", "2019"):
            for level in ("district-regions", "planning-areas"):
                rep = ingest_file(folder / f"berlin-lor-monitoring-social-urban-development-{year}-00-{level}.csv",
                                  store, settings)
                assert rep.status == "ok"
        said = misplaced_after_import(store, rep.indicators, catalog, "mss_einwohner")
        obs, regions = store.observations(), store.regions()
    wrong = [n for n in said if "match the" in n]
    assert wrong == [n for n in wrong if n.startswith(
        "2017: the values at level bezirksregion of mss_d1, mss_d3, mss_d4, mss_s1, mss_s3, mss_s4 match the 2019 "
        "values of the level planungsraum, not its 2017 values")] and len(wrong) == 1
    assert "'features' will leave them out at that level" in wrong[0]
    assert not [n for n in said if "change 0.50×" in n or "→ 2017: the values of mss_s1" in n]
    result = run_pipeline(obs, regions, catalog, settings)
    out = result.left_out[result.left_out["reason"].str.contains("Ausgabe 2019, gemessen an der Ebene Planungsraum")]
    assert set(out["period"]) == {"2017"} and len(out["region_id"].unique()) == 137
    assert set(out["indicator_id"]) == {"mss_s1", "mss_s3", "mss_s4", "mss_d1", "mss_d3", "mss_d4"}
    prof = result.profiles.set_index(["region_id", "period"])
    assert prof.xs("2017", level="period")["status_index"].isna().all()
    assert prof.xs("2019", level="period")["status_index"].notna().sum() >= 130
    # 2019 is its own edition, no copy of the year before
    assert "mss_s1" not in result.copies

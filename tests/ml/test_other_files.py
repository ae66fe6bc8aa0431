"""A file does not silently change values another file brought into the store: it is refused, naming the
values, every time, with nothing of it stored; a corrected edition under its own name, a value filled in where
none was known, and ``--force`` are applied with every change recorded."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from experiments.cli import main
from ml.importers import ingest_file, load_mapping
from ml.paths import SAMPLE_DIR
from tests.conftest import write

MAPPING = "format: wide\nregion_column: Gebiet\nperiod: '2021'\ncolumns:\n  Personen: einwohner\n"


@pytest.fixture
def county(store, settings):
    assert ingest_file(SAMPLE_DIR / "regions.csv", store, settings).status == "ok"
    return store


def _wide(tmp_path: Path, name: str, values: tuple[int, int]) -> Path:
    return write(tmp_path / name, f"Gebiet;Personen\n14599010;{values[0]}\n14599020;{values[1]}\n")


def _einwohner(store) -> dict[str, float]:
    rows = store.con.execute("SELECT region_id, value FROM observations WHERE indicator_id = 'einwohner' "
                             "AND period = '2021' ORDER BY region_id").fetchall()
    return dict(rows)


def test_a_table_mapped_onto_another_files_values_is_refused_every_time(county, settings, tmp_path):
    mapping = load_mapping(write(tmp_path / "m.yaml", MAPPING))
    first = ingest_file(_wide(tmp_path, "einwohner.csv", (5000, 7000)), county, settings, mapping=mapping)
    assert first.status == "ok" and first.inserted == 2
    # a count of the employed, mapped like the residents: both values would change
    employed = _wide(tmp_path, "beschaeftigte.csv", (2100, 7000 - 4000))
    for _ in range(2):
        rep = ingest_file(employed, county, settings, mapping=mapping)
        assert rep.status == "refused"
        assert (rep.inserted, rep.updated) == (0, 0)
        assert "2 values" in rep.message and "einwohner: 2 from einwohner.csv" in rep.message
        assert f"import #{first.import_id}" in rep.message and "14599010 2021: 5,000 → 2,100" in rep.message
        assert "--force" in rep.message
        assert _einwohner(county) == {"14599010": 5000.0, "14599020": 7000.0}
        assert county.con.execute("SELECT count(*) FROM observation_changes").fetchone()[0] == 0
        status = county.con.execute("SELECT status FROM import_log WHERE import_id = ?", [rep.import_id]).fetchone()
        assert status == ("refused",)
    forced = ingest_file(employed, county, settings, mapping=mapping, force=True)
    assert forced.status == "ok" and forced.updated == 2
    assert _einwohner(county) == {"14599010": 2100.0, "14599020": 3000.0}
    changes = county.con.execute("SELECT old_value, new_value, old_import_id FROM observation_changes "
                                 "ORDER BY region_id").fetchall()
    assert changes == [(5000.0, 2100.0, first.import_id), (7000.0, 3000.0, first.import_id)]


def test_a_corrected_edition_under_its_own_name_updates_its_values(county, settings, tmp_path):
    mapping = load_mapping(write(tmp_path / "m.yaml", MAPPING))
    assert ingest_file(_wide(tmp_path / "v1", "einwohner.csv", (5000, 7000)), county, settings,
                       mapping=mapping).status == "ok"
    rep = ingest_file(_wide(tmp_path / "v2", "einwohner.csv", (5010, 7000)), county, settings, mapping=mapping)
    assert rep.status == "ok" and (rep.updated, rep.unchanged) == (1, 1)
    assert _einwohner(county) == {"14599010": 5010.0, "14599020": 7000.0}


def test_values_equal_to_another_files_or_filling_a_gap_are_no_change(county, settings, tmp_path):
    mapping = load_mapping(write(tmp_path / "m.yaml", MAPPING))
    write(tmp_path / "a.csv", "Gebiet;Personen\n14599010;5000\n14599020;.\n")
    first = ingest_file(tmp_path / "a.csv", county, settings, mapping=mapping)
    assert first.status == "ok" and first.inserted == 2     # the suppressed cell is kept, without a value
    rep = ingest_file(_wide(tmp_path, "b.csv", (5000, 7000)), county, settings, mapping=mapping)
    assert rep.status == "ok" and (rep.updated, rep.unchanged) == (1, 1)
    assert _einwohner(county) == {"14599010": 5000.0, "14599020": 7000.0}


def test_the_command_exits_1_and_says_what_it_would_have_changed(settings, tmp_path, monkeypatch):
    monkeypatch.setenv("SOZIALRADAR_STORE__PATH", str(settings.store.path))
    monkeypatch.setenv("SOZIALRADAR_INGEST__REPORT_DIR", str(tmp_path / "q"))
    write(tmp_path / "m.yaml", MAPPING)
    runner = CliRunner()
    assert runner.invoke(main, ["ingest", str(SAMPLE_DIR / "regions.csv")]).exit_code == 0
    ok = runner.invoke(main, ["ingest", str(_wide(tmp_path, "einwohner.csv", (5000, 7000))),
                              "--mapping", str(tmp_path / "m.yaml")])
    assert ok.exit_code == 0, ok.output
    refused = runner.invoke(main, ["ingest", str(_wide(tmp_path, "hilfe.csv", (120, 80))),
                                   "--mapping", str(tmp_path / "m.yaml")])
    assert refused.exit_code == 1
    assert "REFUSED, nothing stored" in refused.output and "einwohner: 2 from einwohner.csv" in refused.output
    forced = runner.invoke(main, ["ingest", str(tmp_path / "hilfe.csv"), "--mapping", str(tmp_path / "m.yaml"),
                                  "--force"])
    assert forced.exit_code == 0 and "2 updated" in forced.output


def test_flensburg_employed_read_as_residents_is_refused(store, settings, shared_data, tmp_path):
    """The real case: the employees' table's column 'residents', mapped to Einwohner, after the residents."""
    d = shared_data / "flensburg_sozialatlas" / "csv"
    regions = load_mapping(write(tmp_path / "r.yaml", "format: regions\nregion_column: id\nlevel: stadtteil\n"))
    assert ingest_file(d / "fl_district.csv", store, settings, mapping=regions).status == "ok"
    wide = "format: wide\nregion_column: district_id\nperiod_column: year\ncolumns:\n  residents: einwohner\n"
    mapping = load_mapping(write(tmp_path / "w.yaml", wide))
    assert ingest_file(d / "fl_residents_by_district.csv", store, settings, mapping=mapping).status == "ok"
    before = store.con.execute("SELECT sum(value) FROM observations").fetchone()
    rep = ingest_file(d / "fl_employed_with_pension_insurance_by_district.csv", store, settings, mapping=mapping)
    assert rep.status == "refused" and "from fl_residents_by_district.csv" in rep.message
    assert store.con.execute("SELECT sum(value) FROM observations").fetchone() == before


def test_one_edition_from_two_publishers_agrees_to_the_last_digit_written(store, settings, shared_data):
    """Berlin's MSS 2021 as the Senate's table (``tesch-ch``) and as the open-data project publishes it: D1, D3 and D4
    of 248 Planungsräume differ in float noise alone (-0.7112 against -0.711199999999998). The second is no
    change of the first's values: it imports, adds what the first lacks, and records no change."""
    first = shared_data / "berlin_mss" / "tesch-ch" / "mss_2021_index_indikatoren.csv"
    second = (shared_data / "berlin_mss_open_lifeworlds"
              / "berlin-lor-monitoring-social-urban-development-2021-00-planning-areas.csv")
    assert ingest_file(first, store, settings).status == "ok"
    before = store.observations(indicator_ids=["mss_d3"]).set_index("region_id")["value"]
    rep = ingest_file(second, store, settings)
    assert rep.status == "ok", rep.message
    assert rep.updated == 0 and rep.inserted > 0 and rep.unchanged >= 3 * 530
    assert store.con.execute("SELECT count(*) FROM observation_changes").fetchone() == (0,)
    after = store.observations(indicator_ids=["mss_d3"]).set_index("region_id")["value"]
    assert after["01100104"] == -0.7112 and after.equals(before)


def test_a_change_in_a_late_digit_is_shown_with_the_digits_that_differ(county, settings, tmp_path):
    mapping = load_mapping(write(tmp_path / "m.yaml", MAPPING.replace("einwohner", "mietniveau")))
    write(tmp_path / "a.csv", "Gebiet;Personen\n14599010;6.1810200\n14599020;1.5\n")
    write(tmp_path / "b.csv", "Gebiet;Personen\n14599010;6.1810249\n14599020;1.5000000000000002\n")
    assert ingest_file(tmp_path / "a.csv", county, settings, mapping=mapping).status == "ok"
    rep = ingest_file(tmp_path / "b.csv", county, settings, mapping=mapping)
    assert rep.status == "refused" and "would change 1 value that" in rep.message
    assert "14599010 2021: 6.18102 → 6.181025" in rep.message

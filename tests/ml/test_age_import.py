"""Tables of residents by age imported like any county table: Berlin's register matrices into a real store."""

import io

import pandas as pd
import pytest

from experiments.cases import EWR_DIR, berlin_population_store
from ml.importers import detect_format, ingest_file
from ml.store import Store
from tests.conftest import write


def _raw(path):
    text = path.read_text(encoding="utf-8").replace('"', "")
    return pd.read_csv(io.StringIO(text), sep=";", dtype=str)


def test_berlin_register_matrices_in_a_real_store(shared_data, tmp_path):
    # 2014's file writes RAUMID without its leading zero; the 2012 one quotes every cell and uses decimal commas
    settings = berlin_population_store(shared_data, tmp_path, folders=("2013", "2015"))
    with Store(settings.store.path, read_only=True) as store:
        obs = store.observations()
        log = store.imports()
        indicators = store.table("indicators")
    ages = obs[obs["indicator_id"].str.startswith("ew_alter_")]
    assert set(ages["period"]) == {"2012", "2014"} and ages["region_id"].nunique() == 447
    assert ages.groupby("period")["indicator_id"].nunique().eq(32).all()
    assert (log["status"] == "ok").all() and (log["rows_quarantined"] == 0).all()
    assert "Einwohner 95 Jahre und älter" in set(indicators["name"])
    # every region's groups add up to the register's own total column
    for folder, period in (("2013", "2012"), ("2015", "2014")):
        raw = _raw(next((shared_data / EWR_DIR / folder).glob("EWR*E_Matrix.csv")))
        total = raw.set_index(raw["RAUMID"].str.zfill(8))["E_E"].str.replace(",", ".").astype(float)
        summed = ages[ages["period"] == period].groupby("region_id")["value"].sum()
        assert (summed.reindex(total.index) - total).abs().max() < 1e-6


def test_detected_and_reported(tmp_path, settings, store):
    path = write(tmp_path / "alter.csv", "Gebiet;Jahr;0-5;6-14;15-64;65-79;80+;65+\nA;2023;10;20;30;5;2;7\n")
    header = path.read_text().splitlines()[0].split(";")
    assert detect_format(header) == "age"
    write(tmp_path / "r.csv", "region_id;name;level\nA;Altdorf;gemeinde\n")
    assert ingest_file(tmp_path / "r.csv", store, settings).status == "ok"
    rep = ingest_file(path, store, settings)
    assert rep.status == "ok" and rep.format == "age" and rep.rows_accepted == 5
    assert any("inclusive" in n for n in rep.notes) and any("65+" in n for n in rep.notes)
    got = store.observations().set_index("indicator_id")["value"]
    assert got["ew_alter_06_15"] == 20 and got["ew_alter_80_plus"] == 2 and "ew_alter_65_plus" not in got
    again = ingest_file(path, store, settings)
    assert again.status == "already_imported"


def test_a_dash_is_nobody_in_a_table_by_age_as_in_a_wide_one(tmp_path, settings, store):
    """Berlin's register of 2022 writes '–' for an age group nobody of the area is in (and all '–' for an area
    without residents): 0, as ``ingest.dash`` reads it in wide and long tables; with 'dash: missing' no value."""
    from ml.importers import load_mapping

    write(tmp_path / "r.csv", "region_id;name;level\nA;Altdorf;gemeinde\nB;Neubau;gemeinde\n")
    assert ingest_file(tmp_path / "r.csv", store, settings).status == "ok"
    path = write(tmp_path / "alter.csv", "Gebiet;Jahr;Gesamt;0-17;18-64;65+\nA;2022;52;13;–;39\nB;2022;–;–;–;–\n")
    mapping = write(tmp_path / "m.yaml", "region_column: Gebiet\nperiod_column: Jahr\ncolumns:\n  Gesamt: einwohner\n")
    rep = ingest_file(path, store, settings, mapping=load_mapping(mapping))
    assert rep.status == "ok" and rep.rows_accepted == 8
    assert any(n.startswith("5 cells holding only a dash ('–', '-') read as 0") for n in rep.notes)
    got = store.observations().set_index(["region_id", "indicator_id"])["value"]
    assert got["A", "ew_alter_18_65"] == 0 and got["B", "einwohner"] == 0 and got["B", "ew_alter_65_plus"] == 0
    missing = write(tmp_path / "m2.yaml", "region_column: Gebiet\nperiod_column: Jahr\ndash: missing\ncolumns:\n"
                    "  Gesamt: einwohner\n")
    with Store(tmp_path / "other.duckdb") as other:
        assert ingest_file(tmp_path / "r.csv", other, settings).status == "ok"
        rep = ingest_file(path, other, settings, mapping=load_mapping(missing))
        assert rep.status == "ok"
        got = other.observations().set_index(["region_id", "indicator_id"])["value"]
    assert ("A", "ew_alter_18_65") not in got.index and ("B", "einwohner") not in got.index
    assert got["A", "ew_alter_00_18"] == 13


def test_a_table_with_a_gap_fails_with_the_reason(tmp_path, settings, store):
    path = write(tmp_path / "alter.csv", "Gebiet;Jahr;0-5;6-14;18-64;65+\nA;2023;10;20;30;5\n")
    rep = ingest_file(path, store, settings, fmt="age")
    assert rep.status == "failed" and "no group starts at age 15" in rep.message


def test_stands_within_the_year_stay_months(tmp_path, settings, store):
    write(tmp_path / "r.csv", "region_id;name;level\nA;Altdorf;gemeinde\n")
    ingest_file(tmp_path / "r.csv", store, settings)
    path = write(tmp_path / "alter.csv", "Gebiet;Stichtag;unter 6;6 bis unter 65;65 und älter\nA;2023-06;10;20;5\n"
                 "A;2023-12;11;21;6\n")
    rep = ingest_file(path, store, settings)
    assert rep.status == "ok", rep.message
    assert sorted(store.observations()["period"].unique()) == ["2023-06", "2023-12"]


@pytest.mark.parametrize("bad", ["-3", "abc"])
def test_bad_counts_are_quarantined(tmp_path, settings, store, bad):
    write(tmp_path / "r.csv", "region_id;name;level\nA;Altdorf;gemeinde\nB;Bedorf;gemeinde\n")
    ingest_file(tmp_path / "r.csv", store, settings)
    rows = "".join(f"{r};2023;10;20;5\n" for r in "AB")
    path = write(tmp_path / "alter.csv", f"Gebiet;Jahr;0-5;6-64;65+\n{rows}A;2022;{bad};20;5\n")
    rep = ingest_file(path, store, settings)
    assert rep.rows_quarantined >= 1 and rep.rows_read == rep.rows_accepted + rep.rows_quarantined


def test_ages_by_sex(tmp_path, settings, store):
    from models.projection import population_from_observations

    write(tmp_path / "r.csv", "region_id;name;level\nA;Altdorf;gemeinde\n")
    ingest_file(tmp_path / "r.csv", store, settings)
    path = write(tmp_path / "alter.csv", "Gebiet;Jahr;männlich 0-5;männlich 6-64;männlich 65+;weiblich 0-5;"
                 "weiblich 6-64;weiblich 65+;insgesamt 0-5\nA;2022;30;300;70;28;290;90;58\nA;2023;31;301;72;29;292;91;60\n")
    rep = ingest_file(path, store, settings)
    assert rep.status == "ok" and rep.format == "age" and rep.rows_accepted == 12
    assert any("by sex" in n for n in rep.notes)
    obs = store.observations()
    assert set(obs["indicator_id"]) == {f"ew_alter_{s}_{g}" for s in "mw" for g in ("00_06", "06_65", "65_plus")}
    names = store.table("indicators").set_index("indicator_id")["name"]
    assert names["ew_alter_w_65_plus"] == "Einwohner 65 Jahre und älter, weiblich"
    pop = population_from_observations(obs)
    assert set(pop.sexes) == {"m", "w"} and pop.counts[2023].sum() == pytest.approx(31 + 301 + 72 + 29 + 292 + 91)


def test_flensburg_from_raw_files(shared_data, tmp_path, settings, store):
    """Flensburg's Stadtteile as a new analyst meets them: a region list of id and name read with a mapping that
    names the code column and the level, and residents by age in English headers with overlapping sums."""
    from ml.importers import load_mapping

    csv = shared_data / "flensburg_sozialatlas" / "csv"
    mapping = load_mapping(write(tmp_path / "m.yaml", "region_column: id\nlevel: stadtteil\n"))
    assert detect_format(["id", "name", "geom"], mapping) == "regions"
    assert ingest_file(csv / "fl_district.csv", store, settings, mapping=mapping).status == "ok"
    rep = ingest_file(csv / "fl_age_groups_by_district.csv", store, settings)
    assert rep.status == "ok" and rep.format == "age" and rep.rows_quarantined == 0
    assert any("age_0_to_under_7" in n and "overlapping" in n for n in rep.notes)
    assert not any(n.startswith("columns not imported") for n in rep.notes)
    # projected and exported without any indicator profiles (a store of residents by age only)
    from experiments.export import export_table
    from experiments.jobs import projection_job

    store.close()
    s = settings.model_copy(update={"features": settings.features.model_copy(update={"level": "stadtteil"}),
                                    "tracking": settings.tracking.model_copy(update={"uri": f"sqlite:///{tmp_path}/m.db"})})
    summary = projection_job(s)
    assert summary.n_regions == 13 and summary.check.empty and set(summary.served_by.values()) == {"kohorten"}
    store.open()
    frame = export_table("projection", store, None, "2032")
    assert len(frame) == 13 * len(summary.served_by) and set(frame["Jahr"]) == {"2032"}
    ids = set(store.observations()["indicator_id"])
    assert ids == {"ew_alter_00_18", "ew_alter_18_30", "ew_alter_30_45", "ew_alter_45_65", "ew_alter_65_80",
                   "ew_alter_80_plus"}


def test_a_mapped_total_is_imported_beside_the_groups(tmp_path, settings, store):
    """The register's E_E (all residents) beside its groups: named under 'columns', it is imported as einwohner;
    the code's parts under ignore_columns are not reported as columns left out; a group mapped to a count of the
    catalog (under 6: the base of the Kita rates) is imported as both, and one mapped to its own group once."""
    from ml.importers import load_mapping

    write(tmp_path / "r.csv", "region_id;name;level\n01011101;Stülerstr.;planungsraum\n")
    ingest_file(tmp_path / "r.csv", store, settings)
    path = write(tmp_path / "EWR201812E_Matrix.csv", "ZEIT;RAUMID;BEZ;PLR;E_E;E_EW;E_EU6;E_E6U65;E_E65U110\n"
                 "201812;01011101;01;01;3384;1633;180;2600;604\n")
    mapping = write(tmp_path / "m.yaml", "region_column: RAUMID\nperiod_column: ZEIT\ncolumns:\n  E_E: einwohner\n"
                    "ignore_columns: [BEZ, PLR]\n")
    rep = ingest_file(path, store, settings, mapping=load_mapping(mapping))
    assert rep.status == "ok" and rep.format == "age" and rep.rows_accepted == 4
    got = store.observations().set_index("indicator_id")
    assert got.loc["einwohner", "value"] == 3384 and got.loc["einwohner", "period"] == "2018"
    assert got.loc["ew_alter_65_plus", "value"] == 604
    assert any("E_E → einwohner" in n for n in rep.notes)
    left_out = next(n for n in rep.notes if n.startswith("columns not imported"))
    assert "E_EW" in left_out and "BEZ" not in left_out and "PLR" not in left_out
    twice = write(tmp_path / "m2.yaml", "region_column: RAUMID\nperiod_column: ZEIT\ncolumns:\n  E_EU6: ew_unter6\n"
                  "  E_E6U65: ew_alter_06_65\n")
    rep = ingest_file(path, store, settings, mapping=load_mapping(twice), force=True)
    assert rep.status == "ok" and rep.rows_accepted == 4      # three groups and E_EU6 again; E_E6U65 once
    got = store.observations().set_index("indicator_id")["value"]
    assert got["ew_unter6"] == 180 and got["ew_alter_00_06"] == 180 and got["ew_alter_06_65"] == 2600
    assert any("E_EU6 → ew_unter6 (and as its age group ew_alter_00_06)" in n for n in rep.notes)


def test_the_registers_table_of_foreigners_is_not_the_residents_by_age(shared_data, tmp_path, settings, store):
    """Berlin's register writes foreigners by age as E_A00_01 … beside the residents' E_E00_01 …: read as the
    residents' ages, a Bezirk importing only that table would plan with the foreigners' ages. Without a mapping the
    import is refused with the reason, every time; with the suggestion its total is imported as auslaender and no
    age group."""
    from ml.catalog import effective_catalog
    from ml.importers import load_mapping
    from ml.suggest import suggest_mapping

    src = shared_data / EWR_DIR / "2019" / "EWR201812A_Matrix.csv"
    raw = _raw(src)
    write(tmp_path / "r.csv", "region_id;name;level\n" + "".join(f"{c};PLR {c};planungsraum\n" for c in raw["RAUMID"]))
    assert ingest_file(tmp_path / "r.csv", store, settings).status == "ok"
    for _ in range(2):
        rep = ingest_file(src, store, settings)
        assert rep.status == "failed" and "Ausländerinnen und Ausländer" in rep.message
        assert "map the table's total to auslaender" in rep.message and store.observations().empty
    suggestion = suggest_mapping(src, effective_catalog(settings))
    rep = ingest_file(src, store, settings, mapping=load_mapping(write(tmp_path / "m.yaml", suggestion.to_yaml())))
    assert rep.status == "ok" and rep.rows_accepted == len(raw)
    got = store.observations()
    assert set(got["indicator_id"]) == {"auslaender"} and set(got["period"]) == {"2018"}
    expected = raw.set_index("RAUMID")["E_A"].astype(float)
    assert (got.set_index("region_id")["value"].reindex(expected.index) == expected).all()
    assert any("not all residents" in n and "E_A → auslaender" in n for n in rep.notes)

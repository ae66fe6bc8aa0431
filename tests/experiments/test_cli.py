"""The command line, in-process (click's runner) and once as the installed console script."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from experiments.cli import main
from ml.paths import PROJECT_ROOT, SAMPLE_DIR
from ml.store import Store


@pytest.fixture
def env(tmp_path):
    return {"SOZIALRADAR_STORE__PATH": str(tmp_path / "s.duckdb"), "SOZIALRADAR_INGEST__REPORT_DIR": str(tmp_path / "q")}


def run(args, env, code=0):
    result = CliRunner().invoke(main, args, env=env, catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


@pytest.mark.parametrize("args", [[], ["generate"], ["ingest"], ["store"], ["store", "info"], ["demo"], ["features"]])
def test_help_everywhere(args):
    out = CliRunner().invoke(main, [*args, "--help"])
    assert out.exit_code == 0 and "Usage:" in out.output


def test_generate_ingest_info(tmp_path, env):
    out = run(["generate", "--out", str(tmp_path / "mk")], env)
    assert "Musterkreis (seed 20260522)" in out and (tmp_path / "mk" / "observations.csv").is_file()
    out = run(["ingest", str(tmp_path / "mk" / "regions.csv"), str(tmp_path / "mk" / "observations.csv")], env)
    assert "read 112,730 = accepted 112,730 + quarantined 0" in out
    out = run(["ingest", str(tmp_path / "mk" / "observations.csv")], env)
    assert "nothing changed" in out
    out = run(["store", "info"], env)
    assert "regions: 61" in out and "observations: 112,730" in out and "monthly 2010-01..2025-12" in out
    assert "profiles: none yet ('sozialradar features' builds them)" in out
    assert "polygons for the map: none ('sozialradar geometry FILE' stores them)" in out
    out = run(["geometry", str(SAMPLE_DIR / "geometry.geojson")], env)
    assert "drawn as the union of their parts, having no polygon of their own: 7 sozialregion, 1 kreis" in out
    assert ("polygons for the map: gemeinde 53 of 53, sozialregion 7 of 7 (7 joined from their parts), kreis 1 of 1 "
            "(1 joined from their parts)\n") in run(["store", "info"], env)


def test_info_of_a_store_of_regions_only(tmp_path, env):
    run(["ingest", str(SAMPLE_DIR / "regions.csv")], env)
    out = run(["store", "info"], env)
    assert "periods: none yet (no observations)" in out and "None" not in out


def test_info_tells_quarantined_rows_of_a_file_imported_again_since(tmp_path, env):
    """A table imported before its regions is refused (its rows quarantined as unknown regions); once the regions
    are in, the same file goes in. `store info` counts the first import's quarantined rows apart: the store lacks
    nothing now."""
    table = tmp_path / "werte.csv"
    table.write_text("region_id;indicator_id;period;value\n" + "".join(
        f"{g};sgb2_quote;2021;{5 + k}\n" for k, g in enumerate(["14599010", "14599020", "14599030"])),
        encoding="utf-8")
    run(["ingest", str(table)], env, code=1)
    assert "imports: 1, quarantined rows: 3, recorded value changes: 0" in run(["store", "info"], env)
    run(["ingest", str(SAMPLE_DIR / "regions.csv")], env)
    assert "read 3 = accepted 3 + quarantined 0" in run(["ingest", str(table)], env)
    out = run(["store", "info"], env)
    assert ("imports: 3, quarantined rows: 3 (3 of them from an earlier import of a file imported since without "
            "refusal), recorded value changes: 0") in out


def test_info_names_regions_named_by_their_codes_and_parents_the_store_lacks(tmp_path, env):
    """An MSS table per Bezirksregion names its areas by their codes and their Bezirke by the codes' first two digits:
    `store info` says both; a geometry with names names the areas, and that line goes."""
    import json

    codes = ["010111", "010112", "020201", "020202"]
    (tmp_path / "mss-2019-00-district-regions.csv").write_text(
        "id,s1_percentage_unemployed,s3_percentage_transfer_payments_recipients\n"
        + "".join(f"{c},{2 + k},{5 + k}\n" for k, c in enumerate(codes)), encoding="utf-8")
    run(["ingest", str(tmp_path / "mss-2019-00-district-regions.csv")], env)
    out = run(["store", "info"], env)
    assert "  named by their codes only: 4 bezirksregion (a region list, or 'sozialradar geometry FILE'" in out
    assert "  parents the regions name that the store lacks: 2 (01, 02); their pages and sums need them" in out
    square = [[13.3, 52.5], [13.31, 52.5], [13.31, 52.51], [13.3, 52.51], [13.3, 52.5]]
    (tmp_path / "bzr.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": c, "name": f"Gebiet {k}"},
         "geometry": {"type": "Polygon", "coordinates": [[[x + 0.1 * k, y] for x, y in square]]}}
        for k, c in enumerate(codes)]}), encoding="utf-8")
    out = run(["geometry", str(tmp_path / "bzr.geojson")], env)
    assert "4 region(s) named by the geometry, their names having been their codes: 010111 'Gebiet 0';" in out
    out = run(["store", "info"], env)
    assert "named by their codes only" not in out and "parents the regions name that the store lacks: 2" in out


def test_generate_is_deterministic_and_matches_embedded_sample(tmp_path, env):
    run(["generate", "--out", str(tmp_path / "a"), "--format", "parquet"], env)
    a = pd.read_parquet(tmp_path / "a" / "observations.parquet")
    pd.testing.assert_frame_equal(a, pd.read_parquet(SAMPLE_DIR / "observations.parquet"))
    out = run(["generate", "--out", str(tmp_path / "b"), "--seed", "5", "--format", "parquet"], env)
    assert "seed 5" in out
    # the same county with a movement all Gemeinden share: other values, written down in the ground truth
    out = run(["generate", "--out", str(tmp_path / "c"), "--county-movement", "0.2", "--format", "parquet"], env)
    assert "county-wide movement: yearly shock sd 0.2" in out
    c = pd.read_parquet(tmp_path / "c" / "observations.parquet")
    assert not c["value"].reset_index(drop=True).equals(a["value"])
    assert "shock sd 0.2" in (tmp_path / "c" / "ground_truth.json").read_text(encoding="utf-8")
    run(["generate", "--out", str(tmp_path / "d"), "--county-movement", "-1"], env, code=2)
    out = run(["generate", "--out", str(tmp_path / "e"), "--county-movement", "0.2", "--county-persistence", "1",
               "--format", "parquet"], env)
    assert "county-wide movement: yearly shock sd 0.2, persistence 1.0" in out
    run(["generate", "--out", str(tmp_path / "f"), "--county-persistence", "1.5"], env, code=2)


def test_ingest_exit_codes(tmp_path, env):
    run(["ingest", str(SAMPLE_DIR / "regions.csv")], env)
    bad = tmp_path / "bad.csv"
    bad.write_text("Gebiet;Indikator;Jahr;Wert\n14599010;einwohner;2021;5\n14599010;einwohner;2022;zwölf\n", encoding="utf-8")
    out = CliRunner().invoke(main, ["ingest", str(bad)], env=env)
    assert out.exit_code == 1 and "1 of 2 rows quarantined (50.0% > limit 5.0%)" in out.output
    assert "mostly: " in out.output                       # the reason, without opening the quarantine report
    assert "its 1 valid row is in the store" in out.output      # refused is not 'nothing stored
    # the same file again, twice: it stays refused (exit 1), never "nothing changed" with exit 0
    for _ in range(2):
        again = CliRunner().invoke(main, ["ingest", str(bad)], env=env)
        assert again.exit_code == 1, again.output
        assert "identical content was refused" in again.output and "nothing changed" not in again.output
        assert "1 of 2 rows quarantined (50.0% > limit 5.0%)" in again.output
    lenient = dict(env, SOZIALRADAR_INGEST__MAX_QUARANTINE_SHARE="0.6")
    bad.write_text("Gebiet;Indikator;Jahr;Wert\n14599010;einwohner;2023;5\n14599010;einwohner;2024;zwölf\n", encoding="utf-8")
    assert CliRunner().invoke(main, ["ingest", str(bad)], env=lenient).exit_code == 0
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    out = CliRunner().invoke(main, ["ingest", str(empty)], env=env)
    assert out.exit_code == 1 and "the file is empty" in out.output
    assert out.output.count(str(empty)) == 1                 # a failed file is named once, before its reason


def test_a_check_of_an_import_says_what_it_would_do_and_stores_nothing(tmp_path, env):
    """'ingest --check': the import's report and exit status, the store's file unchanged, the quarantine report in
    'pruefung'; the same file imported after it is a first import, not 'identical content'."""
    run(["ingest", str(SAMPLE_DIR / "regions.csv")], env)
    store = Path(env["SOZIALRADAR_STORE__PATH"])
    before = store.read_bytes()
    bad = tmp_path / "bad.csv"
    bad.write_text("Gebiet;Indikator;Jahr;Wert\n14599010;einwohner;2021;5\n14599010;einwohner;2022;zwölf\n",
                   encoding="utf-8")
    out = CliRunner().invoke(main, ["ingest", "--check", str(bad)], env=env)
    assert out.exit_code == 1 and out.output.startswith("check only (--check): nothing is stored")
    assert "1 of 2 rows quarantined (50.0% > limit 5.0%)" in out.output
    assert "its 1 valid row would be stored" in out.output and "in the store" not in out.output
    assert store.read_bytes() == before
    assert [p.name for p in (tmp_path / "q" / "pruefung").iterdir()] == ["quarantine_00002_bad.csv"]
    good = tmp_path / "good.csv"
    good.write_text("Gebiet;Indikator;Jahr;Wert\n14599010;einwohner;2021;5\n", encoding="utf-8")
    assert "read 1 = accepted 1" in run(["ingest", "--check", str(good)], env)
    assert store.read_bytes() == before
    out = run(["ingest", str(good)], env)
    assert "identical content" not in out and "store: 1 new" in out
    with Store(store, read_only=True) as st:
        assert len(st.observations(["einwohner"])) == 1


def test_an_edition_whose_rows_went_to_other_areas_is_named_on_arrival(tmp_path, env):
    """Four editions of one count for the Musterkreis's 53 Gemeinden, the second one written again to the wrong
    Gemeinden (the largest value to the smallest area and so on): the import that brings it says so, and that
    'features' will leave them out; the editions as they should be raise nothing; exit 0 either way."""
    run(["ingest", str(SAMPLE_DIR / "regions.csv")], env)
    regions = pd.read_csv(SAMPLE_DIR / "regions.csv", dtype=str)
    ids = sorted(regions.loc[regions["level"] == "gemeinde", "region_id"])
    size = {r: 1000 + 137 * i for i, r in enumerate(ids)}
    ranked = sorted(ids, key=size.get)
    wrong = dict(zip(ranked, reversed([size[r] for r in ranked])))

    def edition(year, values):
        path = tmp_path / f"ew_{year}.csv"
        path.write_text("region_id,indicator_id,period,value\n" + "".join(
            f"{r},ew_65plus,{year},{round(v * (1 + 0.01 * (year - 2020)))}\n" for r, v in values.items()),
            encoding="utf-8")
        return str(path)

    out = run(["ingest", *(edition(y, size) for y in (2020, 2021, 2022, 2023))], env)
    assert "do not follow the editions" not in out
    out = run(["ingest", edition(2021, wrong), "--force"], env)
    assert "note: 2021: the values of ew_65plus in the 53 regions (gemeinde) of" in out
    assert "'features' will leave them out" in out


def test_bad_config_and_mapping_messages(tmp_path, env):
    out = CliRunner().invoke(main, ["--config", str(tmp_path / "none.yaml"), "store", "info"], env=env)
    assert out.exit_code == 1 and "config file not found" in out.output
    out = CliRunner().invoke(main, ["ingest", str(SAMPLE_DIR / "regions.csv"), "--mapping", str(tmp_path / "m.yaml")], env=env)
    assert out.exit_code == 1 and "mapping file not found" in out.output
    out = CliRunner().invoke(main, ["store", "info"], env=env)
    assert out.exit_code == 1 and "store not found" in out.output
    out = CliRunner().invoke(main, ["ingest", "--format", "xml", "x.csv"], env=env)
    assert out.exit_code == 2 and "'xml' is not one of" in out.output


def test_a_configuration_in_the_working_directory_is_read_and_named(tmp_path, monkeypatch):
    """A county keeps sozialradar.yaml beside its tables: a command started there reads it without --config and
    says so; --config and SOZIALRADAR_CONFIG still choose another."""
    monkeypatch.chdir(tmp_path)
    unset = {k: None for k in os.environ if k.startswith("SOZIALRADAR_")}
    (tmp_path / "sozialradar.yaml").write_text("store:\n  path: kreis.duckdb\n", encoding="utf-8")
    out = CliRunner().invoke(main, ["ingest", str(SAMPLE_DIR / "regions.csv")], env=unset)
    assert out.exit_code == 0 and (tmp_path / "kreis.duckdb").is_file()
    assert "configuration: sozialradar.yaml (in the working directory" in out.stderr
    (tmp_path / "other.yaml").write_text("store:\n  path: other.duckdb\n", encoding="utf-8")
    named = CliRunner().invoke(main, ["--config", "other.yaml", "store", "info"], env=unset)
    assert named.exit_code == 1 and "other.duckdb" in named.output and "configuration:" not in named.stderr
    by_variable = CliRunner().invoke(main, ["store", "info"], env={**unset, "SOZIALRADAR_CONFIG": "other.yaml"})
    assert by_variable.exit_code == 1 and "other.duckdb" in by_variable.output


@pytest.mark.xdist_group("demo")
def test_demo_through_its_entry_point(demo_run):
    """``mlflow run . -e demo`` (the session's demo): every step's output, and the first job joins the run mlflow
    run started while the later ones (typology, forecast, projection, impact, early warning) are its children."""
    from mlflow import MlflowClient

    workdir, out = demo_run
    client = MlflowClient(f"sqlite:///{workdir.parent / 'mlflow.db'}")
    every = client.search_runs([e.experiment_id for e in client.search_experiments()])
    parents = [r for r in every if "mlflow.parentRunId" not in r.data.tags]
    assert len(parents) == 1 and parents[0].data.tags["sozialradar.job"], [r.data.tags for r in every]
    children = [r for r in every if r.data.tags.get("mlflow.parentRunId") == parents[0].info.run_id]
    assert len(children) == 5 and all(c.info.status == "FINISHED" for c in children)
    assert (workdir / "berichte" / "index_2025.html").is_file()
    assert "Profil-Übersicht" in out and "Sozialregion Nord" in out and "SGB-II-Quote %" in out
    assert "Statusklassen 2025 (Gemeinden):" in out and "ohne Index" in out
    assert "Belastungsindizes nach Lebenslagen 2025" in out and "Kindheit und Jugend" in out
    assert "Sozialraumtypen:" in out and "(@champion)" in out
    # which classifier answers: the prototype model or the one that beat it
    assert re.search(r"; bereitgestellt: (GMLVQ|LGMLVQ|Logistische Regression|Random Forest)", out)
    # and, where the prototype model has relevances, what counts most for its classification
    assert re.search(r"^  Prototypmodell: (Für die Einordnung zählen vor allem|Kein Indikator zählt für die "
                     r"Einordnung) ", out, re.M)
    assert (workdir / "monitoring.duckdb").is_file()
    assert "6/10 Prognosen" in out and "Backtest-MASE" in out and "8/10 Frühwarnung" in out
    # each step says how long it took, in order, before the next begins
    took = [int(k) for k in re.findall(r"^  \((\d+)/10 in \d+\.\d s\)$", out, flags=re.M)]
    assert took == list(range(1, 10))
    # each level with what it asks for and met; a horizon without any level says so instead of counting 'keine'
    assert "Stufen (verlangte Trefferquote; im Rückblick auf ungesehene Jahre): beobachten " in out
    assert re.search(r"Stufen \(verlangte Trefferquote; im Rückblick auf ungesehene Jahre\): beobachten (ab "
                     r"Wahrscheinlichkeit 0\.\d\d \(verlangt 50 %; "
                     r"(erreicht \d+ % von \d+ markierten|im Rückblick nie erreicht)\)|nicht verfügbar)", out)
    # the candidates by their German names, the rules among them
    assert "Average Precision je Periode der Kandidaten: Regel: Nähe zur nächst schlechteren Statusklasse 0." in out
    for ahead in ("1 Jahr", "2 Jahre"):
        line = re.search(rf"Stufen 2025, {ahead} voraus: (.*)", out).group(1)
        assert re.fullmatch(r"keine Stufe verfügbar; \d+ Gebiete mit Wahrscheinlichkeit und Rangfolge|"
                            r"keine \d+, beobachten \d+, Warnung \d+, akut \d+", line), line
    # the 53 Gemeinden, and the 7 Sozialregionen and the Kreis with the sums of their Gemeinden
    assert "9/10 Gebietsberichte" in out and "61 Seiten" in out and "generated polygons for the map" in out
    # the register by age written as a county exports it, recognised, imported and projected
    assert "7/10 Planung: Demografie-Monitor" in out and "10 age groups" in out and "0 bis 5 Jahre: gezeigt" in out
    # and the facility register: one Sozialregion's Kita coverage now and in ten years
    assert "facilities: Kita" in out and "Bestand und Bedarf (Einzugsbereich Kita 5 km, Pflegeheim 15 km" in out
    assert "Sozialregion Nord, Kita 2025: Bedarf" in out and "Sozialregion Nord, Kita 2035: Bedarf" in out
    # and the register of measures: each carried-out measure's effect, in German, with its comparison regions
    assert "measures: umgesetzt 4" in out and "Maßnahmen und Wirkung" in out and "Seit Beginn der Maßnahme" in out
    # the real service answered every example request
    assert "Dienst bereit nach" in out and out.count("→ 200 ") == 10 and "/dashboard/" in out


def test_console_script_runs(tmp_path):
    exe = Path(sys.executable).with_name("sozialradar")
    env = dict(os.environ, SOZIALRADAR_STORE__PATH=str(tmp_path / "s.duckdb"))
    proc = subprocess.run([str(exe), "ingest", str(SAMPLE_DIR / "regions.csv")], capture_output=True, text=True,
                          env=env, cwd=PROJECT_ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "regions new or changed: 61" in proc.stdout


def test_features_command(tmp_path, env):
    env = dict(env, SOZIALRADAR_FEATURES__OUTPUT_DIR=str(tmp_path / "features"))
    run(["ingest", str(SAMPLE_DIR / "regions.csv"), str(SAMPLE_DIR / "observations.parquet")], env)
    out = run(["features"], env)
    assert "engine local: 53 regions × 16 periods" in out and "status and dynamics classes 2025:" in out
    profiles = pd.read_parquet(tmp_path / "features" / "profiles.parquet")
    # withheld cells counted with the regions they belong to
    values = pd.read_parquet(tmp_path / "features" / "values.parquet")
    line = re.search(r"^suppressed values: (.*)$", out, re.M).group(1)
    found = re.findall(r"(\w+) ([\d,]+) \(([\d,]+) regions?\)", line)
    assert found
    for reason, cells, areas in found:
        mine = values[values["suppressed_by"] == reason]
        assert (int(cells.replace(",", "")), int(areas.replace(",", ""))) == (len(mine), mine["region_id"].nunique())
    assert len(profiles) == 53 * 16
    import duckdb

    con = duckdb.connect(env["SOZIALRADAR_STORE__PATH"], read_only=True)
    assert con.execute("SELECT count(*) FROM profiles").fetchall()[0][0] == 53 * 16
    assert con.execute("SELECT count(*) FROM feature_values WHERE flag = 'suppressed' AND value IS NOT NULL").fetchall()[0][0] == 0
    con.close()
    # the classifier on those profiles: the comparison, the later-period check and the served model, each once
    train_env = dict(env, SOZIALRADAR_TRACKING__URI=f"sqlite:///{tmp_path}/mlflow.db",
                     SOZIALRADAR_TRAINING__CLASSIFIER__SELECT="false")
    out = run(["train", "classifier"], train_env)
    assert "comparison on the same folds" in out and "later-period check (fitted on the earlier period" in out
    assert "Mit 2024 angepasst, auf 2025 geprüft" in out and re.search(r"^served: \S", out, re.M)
    assert re.search(r"^Einordnung \(prototype model\): (Für die Einordnung zählen vor allem|Kein Indikator zählt) ",
                     out, re.M)
    assert "cmp." not in out and "later." not in out      # the tables are printed, not their metrics one by one


def test_features_errors(tmp_path, env):
    run(["ingest", str(SAMPLE_DIR / "regions.csv")], env)
    out = CliRunner().invoke(main, ["features"], env=dict(env, SOZIALRADAR_FEATURES__LEVEL="planungsraum"))
    assert out.exit_code == 1 and "no regions at level 'planungsraum'" in out.output
    assert out.output.startswith("Error: ")      # no progress bar's label before the job began its work
    bad = tmp_path / "cw.csv"
    bad.write_text("old_id,new_id,weight\na,b,2\n", encoding="utf-8")
    out = CliRunner().invoke(main, ["features", "--crosswalk", str(bad)], env=env)
    assert out.exit_code == 1 and "weight in (0, 1]" in out.output


@pytest.mark.xdist_group("demo")
def test_export_map_layers_for_a_gis(demo_run, tmp_path):
    """Warnings of one horizon and profiles as GeoJSON: one feature per Gemeinde with its polygon, numbers as
    numbers, a withheld cell null and named in 'gesperrt'; tables of several rows per region are refused."""
    import json

    from ml.geometry import parse_geojson

    workdir, _ = demo_run
    env = {"SOZIALRADAR_STORE__PATH": str(workdir / "monitoring.duckdb")}
    out = CliRunner().invoke(main, ["export", "warnings", "--out", str(tmp_path / "w.geojson")], env=env)
    assert out.exit_code == 1 and "a map shows one horizon: name it with --horizon (1, 2)" in out.output
    out = run(["export", "warnings", "--horizon", "1", "--out", str(tmp_path / "w.geojson")], env)
    # as many features as the table has rows: the Gemeinden whose status index is withheld have no warning
    run(["export", "warnings", "--horizon", "1", "--out", str(tmp_path / "w1.csv")], env)
    table = pd.read_csv(tmp_path / "w1.csv", sep=";", decimal=",", encoding="utf-8-sig", dtype={"Gebiet": str})
    warned = len(table)
    small = json.loads((SAMPLE_DIR / "ground_truth.json").read_text())["small_gemeinden"]
    assert 40 < warned < 53 and table["Gebiet"].is_unique
    assert f"w.geojson: {warned} regions ×" in out and "(warnings, WGS84)" in out and "without a polygon" not in out
    layer = json.loads((tmp_path / "w.geojson").read_text(encoding="utf-8"))
    assert len(layer["features"]) == warned and {f["geometry"]["type"] for f in layer["features"]} == {"Polygon"}
    probs = [f["properties"]["Wahrscheinlichkeit"] for f in layer["features"]]
    assert all(isinstance(p, float) and 0 <= p <= 1 for p in probs)
    assert {f["properties"]["Horizont (Jahre)"] for f in layer["features"]} == {1}
    back = parse_geojson(layer, id_property="Gebiet")      # what a GIS reads, the ids with their leading zeros
    assert set(back["region_id"]) == set(table["Gebiet"]) and back["region_id"].str.len().eq(8).all()
    run(["export", "profiles", "--out", str(tmp_path / "p.geojson")], env)
    features = {f["id"]: f["properties"] for f in
                json.loads((tmp_path / "p.geojson").read_text(encoding="utf-8"))["features"]}
    hidden = features[small[0]]["gesperrt"].split(", ")
    assert len(features) == 53 and hidden and all(features[small[0]][c] is None for c in hidden)
    # a column with withheld cells stays a column of numbers: no "gesperrt" in it, and numbers elsewhere
    assert all(not isinstance(p[c], str) for p in features.values() for c in hidden)
    assert any(isinstance(p[hidden[0]], float) for p in features.values())
    # the same layer as a GeoPackage: the German column names whole, numbers as numbers, withheld cells null
    from pyogrio.raw import read as gdal_read

    from ml.geometry_match import read_geometry

    out = run(["export", "profiles", "--out", str(tmp_path / "p.gpkg")], env)
    assert "p.gpkg: 53 regions ×" in out
    meta, _, shapes, columns = gdal_read(str(tmp_path / "p.gpkg"), layer="profiles")
    fields = dict(zip(meta["fields"], columns))
    assert meta["crs"] == "EPSG:4326" and len(shapes) == 53 and "Gebiet" in fields and "gesperrt" in fields
    where = list(fields["Gebiet"]).index(small[0])
    assert fields[hidden[0]].dtype.kind == "f" and np.isnan(fields[hidden[0]][where])
    assert fields["gesperrt"][where] == features[small[0]]["gesperrt"]
    with Store(workdir / "monitoring.duckdb", read_only=True) as store:
        regions = store.region_names()
    back, (report,) = read_geometry(tmp_path / "p.gpkg", regions)
    assert report["key"] == "Gebiet" and report["regions"] == 53 and report["part"] == "layer"
    out = CliRunner().invoke(main, ["export", "forecasts", "--out", str(tmp_path / "f.geojson")], env=env)
    assert out.exit_code == 1 and "export forecasts as .csv or .xlsx" in out.output


@pytest.mark.xdist_group("demo")
def test_export_every_kind(demo_run, tmp_path):
    import json

    workdir, _ = demo_run
    env = {"SOZIALRADAR_STORE__PATH": str(workdir / "monitoring.duckdb")}
    out = run(["export", "warnings", "--out", str(tmp_path / "w.csv")], env)
    assert "w.csv:" in out
    w = pd.read_csv(tmp_path / "w.csv", sep=";", decimal=",", encoding="utf-8-sig", dtype={"Gebiet": str})
    assert list(w.columns[:7]) == ["Gebiet", "Name", "Jahr", "Horizont (Jahre)", "Wahrscheinlichkeit", "Stufe",
                                   "Verfahren"]
    assert {"Treiber 1", "Treiber 2", "Treiber 3"} <= set(w.columns)
    assert set(w["Horizont (Jahre)"]) == {1, 2} and set(w["Jahr"]) == {2025} and w["Gebiet"].str.len().eq(8).all()
    assert w["Wahrscheinlichkeit"].between(0, 1).all()
    # a horizon without any level available says so instead of calling every region unremarkable
    with Store(workdir / "monitoring.duckdb", read_only=True) as store:
        models = store.table("early_warning_models")
    for h, thresholds in zip(models["horizon"], models["thresholds"]):
        levels = set(w.loc[w["Horizont (Jahre)"] == h, "Stufe"])
        graded = any(t is not None for t in json.loads(thresholds).values())
        assert (levels <= {"keine", "beobachten", "Warnung", "akut"}) if graded else (
            levels == {"keine Stufe verfügbar"})
    run(["export", "warnings", "--horizon", "2", "--period", "2020", "--out", str(tmp_path / "w2.xlsx")], env)
    w2 = pd.read_excel(tmp_path / "w2.xlsx", dtype={"Gebiet": str})
    assert set(w2["Horizont (Jahre)"]) == {2} and set(w2["Jahr"].astype(str)) == {"2020"}
    # profiles: a suppressed cell stays suppressed, its value is not in the file
    run(["export", "profiles", "--out", str(tmp_path / "p.csv")], env)
    p = pd.read_csv(tmp_path / "p.csv", sep=";", decimal=",", encoding="utf-8-sig", dtype=str)
    small = json.loads((SAMPLE_DIR / "ground_truth.json").read_text())["small_gemeinden"]
    row = p[p["Gebiet"] == small[0]].iloc[0]
    assert (row == "gesperrt").sum() > 0 and pd.isna(row["Statusindex"])
    assert len(p) == 53 and "Statusklasse" in p.columns
    # every number has a decimal comma, also in columns with "gesperrt" among their values (German Excel reads a
    # decimal point as a date or a thousands separator)
    cells = p.drop(columns=["Gebiet", "Name"]).stack()
    assert not cells.str.fullmatch(r"-?\d+\.\d+").any() and cells.str.fullmatch(r"-?\d+,\d+").sum() > 1000
    mixed = [c for c in p.columns if (p[c] == "gesperrt").any()]
    assert mixed and p[mixed].stack().str.fullmatch(r"-?\d+,\d+").any()
    run(["export", "forecasts", "--out", str(tmp_path / "f.csv")], env)
    f = pd.read_csv(tmp_path / "f.csv", sep=";", decimal=",", encoding="utf-8-sig", dtype=str)
    assert {"Prognose", "80 % von", "95 % bis", "Intervall verlässlich"} <= set(f.columns) and len(f) > 100
    assert set(f["Intervall verlässlich"]) <= {"ja", "nein"}
    # the stand each forecast rests on: the series' last value, the demo's last year or the year before it where
    # that is withheld (a small Gemeinde's count), and the last month for the monthly series
    annual = f[f["Jahr"].str.len() == 4]
    assert set(annual["Stand"]) == {"2024", "2025"} and (annual["Stand"] == "2025").mean() > 0.8
    assert (annual["Jahr"].astype(int) > annual["Stand"].astype(int)).all()
    assert set(f.loc[f["Jahr"].str.len() == 7, "Stand"]) == {"2025-12"}
    # the projection: every Gemeinde, group and year; small counts withheld
    run(["export", "projection", "--period", "2030", "--out", str(tmp_path / "b.csv")], env)
    b = pd.read_csv(tmp_path / "b.csv", sep=";", decimal=",", encoding="utf-8-sig", dtype=str)
    assert set(b["Jahr"]) == {"2030"} and b["Gebiet"].nunique() == 53
    # every count is a whole number of persons or withheld
    counts = pd.to_numeric(b["Personen"].where(b["Personen"] != "gesperrt").str.replace(",", "."), errors="raise")
    assert (counts.dropna() % 1 == 0).all() and (counts.dropna() >= 3).all()
    assert set(b["Grundlage"]) <= {"Kohorten-Komponenten-Projektion", "letzter Stand", "linearer Trend je Altersgruppe"}
    # the Belastungsindizes per Lebenslage of the latest year, without ranks
    run(["export", "lebenslagen", "--out", str(tmp_path / "l.csv")], env)
    lg = pd.read_csv(tmp_path / "l.csv", sep=";", decimal=",", encoding="utf-8-sig", dtype=str)
    assert set(lg["Lebenslage"]) == {"Kindheit und Jugend", "Teilhabe", "Senioren", "Bildung"} and "Rang" not in lg
    assert set(lg["Jahr"]) == {"2025"} and lg["Prüfung der Gewichtung"].notna().all()
    # Bestand und Bedarf, and the register of measures with the effects
    run(["export", "coverage", "--period", "2035", "--out", str(tmp_path / "c.csv")], env)
    c = pd.read_csv(tmp_path / "c.csv", sep=";", decimal=",", encoding="utf-8-sig", dtype=str)
    assert set(c["Einrichtung"]) == {"Kita", "Pflegeheim"} and set(c["Jahr"]) == {"2035"}
    run(["export", "measures", "--out", str(tmp_path / "m.xlsx")], env)
    m = pd.read_excel(tmp_path / "m.xlsx", dtype=str)
    assert {"Maßnahme", "Titel", "Stand", "Wirkung"} <= set(m.columns)
    assert m.loc[m["Stand"] == "umgesetzt", "Wirkung"].str.len().gt(20).all()
    # the target indicators by their German names, as planners read them and the import reads them back
    assert "Hilfen zur Erziehung je 1.000 Minderjährige" in set(m["Zielindikatoren"])
    assert not m["Zielindikatoren"].str.contains("hze_dichte|sgb2_quote").any()
    assert set(m["Richtung"]) == {"senken"}
    # a planner edits the export and imports it again (here into a copy of the store): one row per measure and
    # region becomes the measure again, and unedited nothing changes
    copy = tmp_path / "copy.duckdb"
    shutil.copy(workdir / "monitoring.duckdb", copy)
    back = CliRunner().invoke(main, ["ingest", str(tmp_path / "m.xlsx")], env={"SOZIALRADAR_STORE__PATH": str(copy)})
    assert back.exit_code == 0, back.output
    assert f"{len(m)} rows hold {m['Maßnahme'].nunique()} measures" in back.output
    assert f"0 new, 0 updated, {m['Maßnahme'].nunique()} unchanged" in back.output
    # errors name what is wrong
    out = CliRunner().invoke(main, ["export", "warnings", "--out", str(tmp_path / "w.txt")], env=env)
    assert out.exit_code == 2 and "must end in .csv, .xlsx, .geojson or .gpkg" in out.output
    out = CliRunner().invoke(main, ["export", "warnings", "--period", "1999", "--out", str(tmp_path / "x.csv")], env=env)
    assert out.exit_code == 1 and "no early warnings for period '1999'" in out.output
    out = CliRunner().invoke(main, ["export", "warnings", "--horizon", "5", "--out", str(tmp_path / "x.csv")], env=env)
    assert out.exit_code == 1 and "no early warning for 5 years ahead" in out.output


def test_a_lebenslage_without_values_reports_no_sensitivity():
    from experiments.cli import lebenslagen_summary

    checks = pd.DataFrame({"lebenslage": ["Senioren", "Kindheit und Jugend"], "period": ["2022", "2022"],
                           "verdict": ["robust", "ohne Werte"], "weights_share": [0.04, float("nan")],
                           "leave_one_out_share": [0.1, float("nan")]})
    line = lebenslagen_summary(checks, 0.2)
    assert line == ("Belastungsindizes nach Lebenslagen 2022 (table lebenslagen): Senioren robust (Gewichte ±20%: 4% "
                    "der Gebiete wechseln die Klasse; ohne einen Indikator höchstens 10%); Kindheit und Jugend ohne "
                    "Werte")
    assert "nan" not in line


def test_the_record_of_each_periods_choice_names_periods_without_a_worsening_apart():
    """Berlin's Bezirksregionen: the open-data edition of 2019 repeats 2017's, so no region worsened from 2017 to
    2019 and that period has no average precision; the line never prints 'nan'."""
    from experiments.cli import served_record_line

    nan = float("nan")
    only = pd.DataFrame({"average_precision": [nan], "rule_average_precision": [nan]})
    assert served_record_line(only) == ("Jede Periode mit dem damals gewählten Modell (0 Perioden; 1 ohne "
                                        "Verschlechterung nicht bewertbar): nicht bewertbar")
    mixed = pd.DataFrame({"average_precision": [0.5, nan, 0.3], "rule_average_precision": [0.4, nan, 0.5]})
    assert served_record_line(mixed) == ("Jede Periode mit dem damals gewählten Modell (2 Perioden; 1 ohne "
                                         "Verschlechterung nicht bewertbar): Average Precision 0.40, die damals "
                                         "bessere Regel 0.45; hinter der Regel in 1 von 2")
    assert served_record_line(mixed.iloc[:1]) == ("Jede Periode mit dem damals gewählten Modell (1 Periode): "
                                                  "Average Precision 0.50, die damals bessere Regel 0.40; hinter der "
                                                  "Regel in 0 von 1")


def test_a_horizon_without_a_backtest_is_said_in_german_with_its_counts():
    """`train early-warning` prints German; the backtest's reason for a horizon it could not test is English. The
    usual two reasons are said in German with the counts, the years the worsenings end in among them (9 worsenings,
    all ending 2017, leave no test period with 3 before it); any other reason as the backtest gave it."""
    from experiments.cli import _untested_reason

    untested = pd.DataFrame({"horizon": [4], "reason": ["…"], "transitions": [124], "worsenings": [9], "needed": [3],
                             "ending": ["2017: 9"]})
    why = ("no period has enough earlier transitions for an out-of-sample test at horizon 4: a test period needs at "
           "least 3 worsenings and 3 other transitions that ended before it; here 124 known transitions, 9 of them "
           "worsenings (ending 2017: 9)")
    assert _untested_reason(untested, 4, why) == (
        "zu wenige frühere Übergänge mit bekanntem Ausgang: 124 bekannt, 9 davon Verschlechterungen (endend 2017: 9); "
        "eine Prüfperiode braucht davor mindestens 3 Verschlechterungen und 3 andere Übergänge")
    assert _untested_reason(untested, 2, "no transition over 2 years has an outcome yet") == (
        "noch kein Übergang über diesen Abstand hat einen bekannten Ausgang")
    other = "the backtest has a single outcome class; ROC AUC is undefined"
    assert _untested_reason(untested, 4, other) == other

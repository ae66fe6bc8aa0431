"""The README's "Your own data" example, run exactly as written: raw Flensburg tables to report pages, and
the figures the README quotes checked on the result."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from ml.store import Store
from tests.conftest import SHARED_DATA

README = Path(__file__).resolve().parents[2] / "README.md"


def example_block(name: str = "own-data-example") -> str:
    text = README.read_text(encoding="utf-8")
    block = re.search(rf"<!-- {name} -->\s*```bash\n(.*?)```\s*<!-- /{name} -->", text, re.S)
    assert block, f"README lost its example {name!r}"
    return block.group(1)


def run_example(name: str, cwd: Path) -> dict[str, str]:
    """Run a README block with bash as written (the shared data where it says ../shared/data) in ``cwd``; the
    environment it ran in, for the commands that follow."""
    return run_example_said(name, cwd)[0]


def run_example_said(name: str, cwd: Path) -> tuple[dict[str, str], str]:
    """:func:`run_example`, and what the block's commands printed."""
    script = example_block(name).replace("../shared/data", str(SHARED_DATA))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOZIALRADAR_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    run = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=cwd, env=env, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return env, run.stdout + run.stderr


def service_client(workdir: Path):
    """The service's read API on the store and configuration a README block wrote in ``workdir`` (the working
    directory, as the configuration names its files relative to it)."""
    from fastapi.testclient import TestClient

    from ml.catalog import serving_catalog
    from ml.config import load_settings
    from serving.app import create_app
    from serving.state import ServiceState

    settings = load_settings(workdir / "sozialradar.yaml", env={
        "SOZIALRADAR_STORE__PATH": str(workdir / ".sozialradar" / "monitoring.duckdb"),
        "SOZIALRADAR_TRACKING__URI": f"sqlite:///{workdir / '.sozialradar' / 'mlflow.db'}"})
    state = ServiceState(settings, serving_catalog(settings))
    state.load()
    return TestClient(create_app(state, settings))


def test_the_example_is_in_the_readme():
    script = example_block()
    assert "sozialradar mapping suggest" in script and "sozialradar report --all" in script
    assert "period: file_name" in example_block("editions-example")
    assert "--regions" in example_block("census-example")
    assert "population_indicator: ew_ab5" in example_block("duration-example")
    assert "EWRMIGRA" in example_block("migration-example")


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason=f"real open data not present at {SHARED_DATA}")
def test_the_readme_example_runs_from_raw_files_to_reports(tmp_path, monkeypatch):
    env = run_example("own-data-example", tmp_path)
    # the suggestions the README describes
    columns = {t: yaml.safe_load((tmp_path / f"map_{t}.yaml").read_text())["columns"]
               for t in ("residents", "unemployed_residents", "beneficiaries", "residents_age_65_and_above",
                         "migration_background")}
    assert columns["residents"] == {"residents": "einwohner"}
    assert columns["unemployed_residents"] == {"residents": "arbeitslose"}
    assert columns["beneficiaries"] == {"residents": "sgb2_empfaenger"}
    assert columns["residents_age_65_and_above"] == {"residents": "ew_65plus"}
    assert columns["migration_background"] == {"foreign_citizenship": "auslaender"}
    assert "#  'german_citizenship': ?" in (tmp_path / "map_migration_background.yaml").read_text()
    with Store(tmp_path / ".sozialradar" / "monitoring.duckdb", read_only=True) as store:
        regions = store.regions()
        periods = set(store.observations(["einwohner"])["period"])
        listed = store.table("indicators").set_index("indicator_id")["catalog_file"]
    # the city's own indicators, written after the imports, are listed once 'features' computed them
    assert listed["sgb2_je100_ew"] == listed["alo_je100_ew"] == "flensburg_indikatoren.csv"
    assert len(regions) == 13 and set(regions["level"]) == {"stadtteil"}
    assert regions["geometry"].notna().all()                # the city's shapefile, keyed 'STGT03'
    assert periods == {"2011", "2017", "2018", "2019", "2020", "2021", "2022"}
    pages = sorted((tmp_path / ".sozialradar" / "berichte").glob("*_2022.html"))
    assert len(pages) == 14          # 13 Stadtteile and the index
    neustadt = (tmp_path / ".sozialradar" / "berichte" / "2_2022.html").read_text(encoding="utf-8")
    row = neustadt.split("<th scope='row'>Leistungsberechtigte nach SGB II je 100 Einwohner<span", 1)[1]
    cells = [re.sub(r"<[^>]+>", " ", c).split() for c in re.findall(r"<td[^>]*>(.*?)</td>", row.split("</tr>")[0], re.S)]
    assert cells[0] == ["20,1"] and cells[1] == ["10,1"] and cells[2][:2] == ["\u22122,9", "Pp."]
    assert cells[3] == ["deutlich", "ungünstiger"]
    assert "Mittel der Stadtteile" in neustadt and "Kreis" not in neustadt
    # the profiles as a GeoPackage layer for the city's GIS, the German column names whole
    import pyogrio

    meta, layer = pyogrio.read_arrow(tmp_path / "stadtteile.gpkg")
    assert meta["crs"] == "EPSG:4326" and layer.num_rows == 13 and "Arbeitslose je 100 Einwohner (%)" in meta["fields"]
    # no early-warning model: the page says so, never "no warning" as if the region were calm
    assert "Keine Frühwarnung: es ist kein Frühwarnmodell trainiert" in neustadt
    # step 5: the city's own indicators forecast as far as their editions allow, and four Sozialraumtypen
    with Store(tmp_path / ".sozialradar" / "monitoring.duckdb", read_only=True) as store:
        champions = store.table("forecast_champions").set_index("indicator_id")
        types = store.table("types")
    assert set(champions.index) == {"sgb2_je100_ew", "alo_je100_ew", "anteil_65plus"}
    assert champions.loc["alo_je100_ew", "n_backtest"] == 13                # 2022, fitted up to 2021
    assert champions.loc["anteil_65plus", "n_backtest"] == 26               # 2021 and 2022: the gap is no data
    assert (champions["structural_breaks"] == "").all()                     # 2011 → 2017 is six years, no break
    assert champions.loc["sgb2_je100_ew", "champion"] == "naive" and champions["mase"].isna()["sgb2_je100_ew"]
    assert types["region_id"].nunique() == 13 and types["type"].nunique() == 4
    # thirteen Stadtteile form no distinct groups: the types cut a continuum, and what is stored says so
    assert not types["distinct"].any()
    assert types["structure"].str.startswith("Die Gebiete bilden keine deutlich getrennten Gruppen").all()
    # thirteen Stadtteile, one worsening of the class so far: no horizon can be backtested. The training says so,
    # and the pages and the export then say why there is no warning, in the counts a planner can check
    env["SOZIALRADAR_CONFIG"] = "sozialradar.yaml"

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "experiments.cli", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=300)

    train = cli("train", "early-warning")
    assert train.returncode == 1 and "no horizon allows an out-of-sample test" in train.stderr
    with Store(tmp_path / ".sozialradar" / "monitoring.duckdb", read_only=True) as store:
        refused = store.table("early_warning_refused").set_index("horizon")
        assert "early_warnings" not in store.tables()
    assert list(refused.index) == [1, 2] and (refused["needed"] == 3).all()
    assert (refused["worsenings"] < 3).all() and (refused["transitions"] > 0).all()
    assert cli("report", "--region", "2").returncode == 0
    neustadt = (tmp_path / ".sozialradar" / "berichte" / "2_2022.html").read_text(encoding="utf-8")
    assert "kein Frühwarnmodell trainiert" not in neustadt
    for h, row in refused.iterrows():
        when = "1 Jahr" if h == 1 else f"{h} Jahre"
        assert (f"{when} voraus: {row['transitions']} Übergänge mit bekanntem Ausgang, davon {row['worsenings']} "
                f"Verschlechterung") in neustadt
    assert "an keiner ungesehenen Periode prüfen" in neustadt and "mindestens 3 Verschlechterungen" in neustadt
    export = cli("export", "warnings", "--out", str(tmp_path / "w.csv"))
    assert export.returncode == 1 and "the last training found no horizon with an out-of-sample test" in export.stderr
    # the service: the dashboard's list carries the page's sentence, the API the job's reason
    monkeypatch.chdir(tmp_path)           # the configuration names its catalog file as the commands see it
    client = service_client(tmp_path)
    note = client.get("/regions").json()["warning_note"]
    assert note.startswith("Keine Frühwarnung: beim letzten Training am ") and note in neustadt
    answer = client.post("/early_warning", json={"region_ids": ["2"]})
    assert answer.status_code == 503 and answer.json()["message"].startswith("no early warning: the last training")


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason=f"real open data not present at {SHARED_DATA}")
def test_the_readme_sums_walk_quarantines_the_shifted_side_and_keeps_the_rest(tmp_path):
    """Flensburg's basic income support by sex and by age: the suggestion's sums, the import that quarantines 2021's
    counts by sex (exit 1, again on a second try), what it kept, and Neustadt's page of 2021."""
    env = run_example("sums-example", tmp_path)
    mapping = yaml.safe_load((tmp_path / "grundsicherung.yaml").read_text())
    assert mapping["sums"] == [{"left": ["male", "female"], "right": ["age_18_to_under_65", "age_65_and_above"]}]
    assert mapping["columns"] == {"male": "gs_maenner", "female": "gs_frauen",
                                  "age_18_to_under_65": "gs_erwerbsminderung",
                                  "age_65_and_above": "grundsicherung_empfaenger"}
    with Store(tmp_path / ".sozialradar" / "monitoring.duckdb", read_only=True) as store:
        kept = store.con.execute(
            "SELECT period, indicator_id, count(*) FROM observations WHERE indicator_id IN ('gs_maenner', "
            "'gs_frauen', 'gs_erwerbsminderung', 'grundsicherung_empfaenger') GROUP BY ALL ORDER BY ALL").fetchall()
        q = store.con.execute("SELECT \"column\", reason, count(*) FROM quarantine "
                              "GROUP BY ALL ORDER BY ALL").fetchall()
        values = store.table("feature_values")
    assert kept == [("2021", "grundsicherung_empfaenger", 13), ("2021", "gs_erwerbsminderung", 13),
                    ("2022", "grundsicherung_empfaenger", 13), ("2022", "gs_erwerbsminderung", 13),
                    ("2022", "gs_frauen", 13), ("2022", "gs_maenner", 13)]
    reason = "the columns do not add up: 'male' + 'female' = 'age_18_to_under_65' + 'age_65_and_above' (mapping: sums)"
    assert [(c, n) for c, r, n in q if r == reason] == [("female", 14), ("male", 14)]
    assert sum(n for *_, n in q) == 34
    share = values[(values["indicator_id"] == "grundsicherung_alter_quote") & (values["region_id"] == "2")]
    assert round(float(share.set_index("period").loc["2021", "value"]), 1) == 20.6
    page = (tmp_path / ".sozialradar" / "berichte" / "2_2021.html").read_text(encoding="utf-8")
    assert "Grundsicherung im Alter (je 100 Einwohner 65+)" in page and "20,6" in page
    # a refused import stays refused, with its reason
    again = subprocess.run([str(Path(sys.executable).parent / "sozialradar"), "ingest",
                            str(SHARED_DATA / "flensburg_sozialatlas/csv/fl_basic_benefits_income_by_district.csv"),
                            "--mapping", "grundsicherung.yaml"], cwd=tmp_path, env=env, capture_output=True,
                           text=True, timeout=300)
    assert again.returncode == 1 and "mostly: the columns do not add up" in again.stdout + again.stderr


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason=f"real open data not present at {SHARED_DATA}")
def test_the_readme_withheld_walk_keeps_the_sozialatlas_null_cells_as_withheld(tmp_path):
    """Flensburg's persons at risk of homelessness, whose NULL cells stand for counts below 4: the suggestion
    proposes them as withheld, the import keeps them so, the rate of a withheld count is withheld, the page says
    'gesperrt'. Then the housing benefit, one cell of which another Stadtteil's row gave."""
    env = run_example("withheld-example", tmp_path)
    mapping = yaml.safe_load((tmp_path / "wohnungslosigkeit.yaml").read_text())
    assert mapping["withheld"] == ["NULL"] and mapping["columns"] == {"residents": "wohnungslosigkeit_bedroht"}
    with Store(tmp_path / ".sozialradar" / "monitoring.duckdb", read_only=True) as store:
        obs = store.observations(["wohnungslosigkeit_bedroht"])
        values = store.table("feature_values")
    assert len(obs) == 78 and (obs["flag"] == "suppressed").sum() == 12 and obs.loc[obs["flag"] == "suppressed",
                                                                                      "value"].isna().all()
    rate = values[values["indicator_id"] == "wl_bedroht_je1000"].set_index(["region_id", "period"])
    assert rate.loc[("13", "2022"), "flag"] == "suppressed" and np.isnan(rate.loc[("13", "2022"), "value"])
    assert rate.loc[("1", "2021"), "flag"] == "suppressed"
    # Nordstadt 2022: 27 of 12,532 residents
    assert round(float(rate.loc[("3", "2022"), "value"]), 2) == round(27 / 12532 * 1000, 2)
    page = (tmp_path / ".sozialradar" / "berichte" / "13_2022.html").read_text(encoding="utf-8")
    assert "gesperrt: Von Wohnungslosigkeit bedrohte je 1.000 Einwohner" in page
    assert "nur in früheren Jahren" not in page
    # the table's NULL is the Sozialatlas's own withholding: the page says so, not that a rule here found a small count
    assert "gesperrt (von der Quelle nicht veröffentlicht)" in page and "gesperrt (kleine Zahl)" not in page
    assert set(rate.loc[rate["flag"] == "suppressed", "suppressed_by"]) == {"source"}
    # the housing benefit, whose Nordstadt of 2018 carries Neustadt's 165: named on arrival, left out by features
    table = str(SHARED_DATA / "flensburg_sozialatlas/csv/fl_housing_benefit_by_district.csv")
    cli = [str(Path(sys.executable).parent / "sozialradar")]
    for args in (["mapping", "suggest", table, "--out", "wohngeld.yaml"],
                 ["ingest", table, "--mapping", "wohngeld.yaml"], ["features"],
                 ["report", "--region", "Nordstadt", "--period", "2018"]):
        done = subprocess.run(cli + args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        if args[0] == "ingest":
            assert ("note: 2018: the value of wohngeld_haushalte in 3 (Nordstadt), 165, is that of 2 (Neustadt) and "
                    "departs from the editions before and after (413, 571): 'features' will leave it out"
                    ) in done.stdout
    with Store(tmp_path / ".sozialradar" / "monitoring.duckdb", read_only=True) as store:
        left = store.table("left_out_values")
    assert set(zip(left["region_id"], left["indicator_id"], left["period"])) >= {("3", "wohngeld_haushalte", "2018")}
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", (tmp_path / ".sozialradar" / "berichte" / "3_2018.html")
                                      .read_text(encoding="utf-8")))
    assert "ausgelassen: Wert 165 gleicht dem von Neustadt in derselben Ausgabe" in page


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason=f"real open data not present at {SHARED_DATA}")
def test_the_readme_series_of_editions_runs_across_the_change_of_grid(tmp_path):
    """Berlin's half-yearly register files, one mapping with 'period: file_name' for four editions on two grids,
    the crosswalk, a page: run as the README writes it; then the first half-year refused, an old name's page."""
    env = run_example("editions-example", tmp_path)
    mapping = yaml.safe_load((tmp_path / "bevoelkerung.yaml").read_text())
    assert mapping["period"] == "file_name" and mapping["columns"]["inhabitants_with_migration_background"] == "ew_mh"
    assert not any("without_migration" in c for c in mapping["columns"])
    # the table repeats 'inhabitants' for other populations; its sums say which is which, and the imports check them
    sums = {(tuple(s["left"]), tuple(s["right"])) for s in mapping["sums"]}
    assert (("inhabitants_with_migration_background",), ("inhabitants (3)",)) in sums
    assert (("inhabitants",), ("inhabitants_germans", "inhabitants_foreigners")) in sums
    with Store(tmp_path / ".sozialradar" / "monitoring.duckdb", read_only=True) as store:
        obs = store.observations(["ew_mh"])
        raw = store.observations(["einwohner"]).groupby("period")["value"].sum()
        values = store.table("feature_values")
        profiles = store.table("profiles")
    assert set(obs["period"]) == {"2019", "2020", "2021", "2022"}
    assert obs.groupby("period")["region_id"].nunique().to_dict() == {"2019": 448, "2020": 448, "2021": 542,
                                                                     "2022": 542}
    assert profiles["region_id"].nunique() == 542 and set(profiles["period"]) == {"2019", "2020", "2021", "2022"}
    # the old grid's residents reach the new Planungsräume whole: Berlin's total is kept
    total = values[values["indicator_id"] == "einwohner"].groupby("period")["value"].sum()
    for period in ("2019", "2020"):
        assert abs(total[period] / raw[period] - 1) < 1e-5, (period, total[period], raw[period])
    share = values[(values["indicator_id"] == "mh_anteil") & (values["region_id"] == "01100101")].set_index("period")
    assert share["flag"].get("2020") == "estimated" and share["flag"].get("2022") != "estimated"
    assert 50 < share.loc["2020", "value"] < share.loc["2022", "value"] < 70
    page = (tmp_path / ".sozialradar" / "berichte" / "01100101_2022.html").read_text(encoding="utf-8")
    assert "Anteil Einwohner mit Migrationshintergrund" in page
    assert "im Verlauf geschätzt (2019, 2020; z. B. aus einem früheren Gebietszuschnitt" in page
    # the first half-year is refused with the reason, every time
    first = SHARED_DATA / "berlin_lor_population_halfyear_open_lifeworlds" / "berlin-lor-population-2021-01.csv"
    cli = [str(Path(sys.executable).parent / "sozialradar")]
    env["SOZIALRADAR_CONFIG"] = "sozialradar.yaml"
    for _ in range(2):
        refused = subprocess.run(cli + ["ingest", str(first), "--mapping", "bevoelkerung.yaml"], cwd=tmp_path, env=env,
                                 capture_output=True, text=True, timeout=120)
        assert refused.returncode == 1 and "half-year 1 of 2021, not the year's last (half-year 2)" in refused.stdout + refused.stderr
    # a page asked for by an old Planungsraum's name, and a Bezirk's, say why they show no values
    old = subprocess.run(cli + ["report", "--region", "Stülerstr.", "--region", "Mitte"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert old.returncode == 0, old.stderr
    assert "Stülerstr. (01011101) has no profile" in old.stderr and "Stülerstraße (01100101) has one" in old.stderr
    assert "the profiles are built for the level planungsraum (features.level), this region is of the level " \
           "bezirk" in old.stderr
    # the earlier editions too, then a forecast: the years carried over from the old grid are named, with the step
    # the change of grid puts into the residents' counts and not into their shares
    halfyear = first.parent
    earlier = [str(halfyear / f"berlin-lor-population-{year}-02.csv") for year in range(2015, 2019)]
    for args in (["ingest", *earlier, "--mapping", "bevoelkerung.yaml"],
                 ["features", "--crosswalk", str(SHARED_DATA / "berlin_lor_crosswalk_gentriduck"
                                                  / "seed_lor_crosswalk_2006_to_2021.csv")],
                 ["forecast"]):
        done = subprocess.run(cli + args, cwd=tmp_path, capture_output=True, text=True, timeout=600,
                              env=dict(env, SOZIALRADAR_FORECAST__INDICATORS='["einwohner", "mh_anteil"]'))
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    said = re.search(r"überwiegend geschätzte Jahrgänge .*: (.*)", done.stdout).group(1)
    counts, shares = (re.search(rf"{name} 2015–2020 \(Änderung 2020 → 2021 im Median (\d+,\d)-mal", said)
                      for name in ("Einwohner", "Anteil Einwohner mit Migrationshintergrund"))
    assert float(counts.group(1).replace(",", ".")) > 1.5 > float(shares.group(1).replace(",", "."))
    with Store(tmp_path / ".sozialradar" / "monitoring.duckdb", read_only=True) as store:
        champions = store.table("forecast_champions").set_index("indicator_id")
    assert (champions["estimated_periods"] == "2015–2020").all()
    assert champions.loc["einwohner", "estimated_step"].startswith("2020 → 2021: ")
    # a backtest with one origin: the champion rests on one year, and the command says so
    assert (champions["n_origins"] == 1).all()
    assert done.stdout.count("gewählt an einem einzigen Prüfzeitpunkt (2019): ein Jahr entscheidet") == 2


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason=f"real open data not present at {SHARED_DATA}")
def test_the_readme_register_editions_each_written_their_own_way(tmp_path):
    """Seven editions of Berlin's residence-duration table, quoted or not, DAU5 or Dau5, 201412 or 2016, codes
    with or without their leading zero: one mapping reads them all; the publisher's line of text under the 2016
    table is quoted; the residents aged 5 and over decide the small areas; the forecast fitted up to 2018 is
    scored on 2019 as the README reports it."""
    run_example("duration-example", tmp_path)
    with Store(tmp_path / ".sozialradar" / "monitoring.duckdb", read_only=True) as store:
        obs = store.observations(["ew_ab5", "ew_wohndauer5"])
        notes = store.con.execute("SELECT notes FROM import_log WHERE notes LIKE '%Berechnungsfehler%'").fetchall()
        values = store.table("feature_values")
        forecasts = store.table("forecasts")
    per_year = obs.groupby("period")["region_id"].nunique()
    assert per_year.index.tolist() == ["2008", "2010", "2012", "2014", "2016", "2018", "2019"]
    assert (per_year >= 447).all() and len(obs) == 2 * per_year.sum()
    assert len(notes) == 1 and "line 451: 'Berechnungsfehler: Korrektur am 18.05.2017'" in notes[0][0]
    page = (tmp_path / ".sozialradar" / "berichte" / "04020314_2019.html").read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "Einwohner ab 5 Jahren 9 " in text and "weniger als 300 Einwohner" in text
    share = values[values["indicator_id"] == "wohndauer5_anteil"]
    assert share.loc[(share["region_id"] == "04020314") & (share["period"] == "2019"), "flag"].item() == "suppressed"
    # the forecast from 2018 against 2019, which it never saw, and against the planner's rule (the last value)
    wide = share[share["flag"] != "suppressed"].pivot(index="region_id", columns="period", values="value")
    f = forecasts[(forecasts["indicator_id"] == "wohndauer5_anteil") & (forecasts["period"] == "2019")]
    scored = wide.join(f.set_index("region_id")[["yhat", "lo80", "hi80"]], how="inner").dropna(
        subset=["2018", "2019", "yhat"])
    model, last = (scored["yhat"] - scored["2019"]).abs().mean(), (scored["2018"] - scored["2019"]).abs().mean()
    inside = scored["2019"].between(scored["lo80"], scored["hi80"]).mean()
    assert len(scored) > 400 and model < last and 0.7 < inside < 0.9, (model, last, inside)


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason=f"real open data not present at {SHARED_DATA}")
def test_the_readme_misplaced_register_rows_are_left_out_and_named(tmp_path):
    """Residents with a migration background (one register table) as a share of the residents (another): the
    2014 rows of Tempelhof-Schöneberg that went to other Planungsräume are named and left out with their shares,
    no share exceeds 100 %, the other years and Bezirke keep theirs, and the page says why it has no value."""
    env = run_example("migration-example", tmp_path)
    with Store(tmp_path / ".sozialradar" / "monitoring.duckdb", read_only=True) as store:
        left = store.table("left_out_values")
        values = store.table("feature_values")
    mh = left[left["indicator_id"] == "ew_mh"]
    assert set(mh["period"]) == {"2014"} and len(mh) == 12 and mh["region_id"].str.startswith("07").all()
    assert {"07040402", "07030303", "07060603"} <= set(mh["region_id"])
    assert set(left.loc[left["indicator_id"] == "mh_anteil", "region_id"]) == set(mh["region_id"])
    share = values[values["indicator_id"] == "mh_anteil"].set_index(["region_id", "period"])["value"]
    assert share.max() <= 100 and np.isnan(share.get(("07040402", "2014"), np.nan))
    assert share.loc[("07040402", "2012")] == pytest.approx(100 * 396 / 2094)
    assert share.xs("2014", level="period").notna().sum() >= 447 - 12 - 15   # the small areas are withheld anyway
    page = (tmp_path / ".sozialradar" / "berichte" / "07040402_2014.html").read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "ausgelassen: Werte der Ausgabe 2014 folgen in Tempelhof - Schöneberg nicht den Ausgaben davor" in text
    migration = sorted(str(p) for p in (SHARED_DATA / "berlin_ewr_plr_cschwab1").glob("20*/EWRMIGRA*_Matrix.csv"))
    arrival = subprocess.run(["sozialradar", "ingest", *migration, "--mapping", "migration.yaml", "--force"],
                             cwd=tmp_path, env=env, capture_output=True, text=True)
    assert arrival.returncode == 0, arrival.stderr[-2000:]
    assert ("note: 2014: the values of ew_mh in 12 of the 34 regions (planungsraum) of 07 (Tempelhof - Schöneberg) "
            "do not follow the editions before and after: 'features' will leave them out") in arrival.stdout
    again = subprocess.run(["sozialradar", "features"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr[-2000:]
    assert ("2014: the values of Einwohner mit Migrationshintergrund (ew_mh) in 12 of the 34 regions of 07 "
            "(Tempelhof - Schöneberg)") in again.stdout + again.stderr


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason=f"real open data not present at {SHARED_DATA}")
def test_the_readme_census_year_beside_a_register_runs_to_pages(tmp_path, monkeypatch):
    """A Landkreis's Gemeinden from the Land's register (stand years 2009–2024) and the Zensus 2022, run as the
    README writes it: the region list read from a table of values, the census year's typology on the pages of a
    later year, the forecast's too short series named, and no unbounded interval stored or drawn."""
    env = run_example("census-example", tmp_path)
    info = subprocess.run([sys.executable, "-m", "experiments.cli", "store", "info"], cwd=tmp_path,
                          env={**env, "SOZIALRADAR_CONFIG": "sozialradar.yaml"}, capture_output=True, text=True,
                          timeout=300)
    assert ("the Sozialraumtypen reach 2022, the profiles 2024; 2023, 2024 have no values of their inputs "
            "(anteil_65plus, auslaender_anteil, haushaltsgroesse): the pages show those of 2022") in info.stdout
    suggested = yaml.safe_load((tmp_path / "gemeinden.yaml").read_text())
    assert suggested == {"format": "regions", "region_column": "ags", "name_column": "name", "level": "gemeinde"}
    register = yaml.safe_load((tmp_path / "bevoelkerung.yaml").read_text())
    assert register["columns"]["pop_total"] == "einwohner" and register["ignore_columns"] == ["kreis"]
    with Store(tmp_path / ".sozialradar" / "monitoring.duckdb", read_only=True) as store:
        regions = store.regions().set_index("region_id")
        log = store.table("import_log").sort_values("import_id")
        types = store.table("types")
        forecasts = store.table("forecasts")
        residents = store.observations(["einwohner"])
    assert len(regions) == 33 and set(regions["level"]) == {"gemeinde"}
    assert regions.loc["14524330", "name"] == "Zwickau, Stadt, Hochschulstadt"      # the latest stand's name
    assert list(log["status"]) == ["ok"] * 3
    assert set(residents["period"]) == {"2009", "2013", "2017", "2021", "2022", "2023", "2024"}
    assert set(types["period"]) == {"2022"} and types["region_id"].nunique() == 33
    assert set(forecasts["indicator_id"]) == {"einwohner"}
    # an interval the backtest's errors cannot bound is no interval: never ±∞ nor the range's end
    for level in ("80", "95"):
        lo, hi = forecasts[f"lo{level}"], forecasts[f"hi{level}"]
        assert (lo.isna() == hi.isna()).all() and np.isfinite(lo.dropna()).all() and np.isfinite(hi.dropna()).all()
    assert forecasts["lo80"].notna().all() and forecasts["lo95"].isna().any()
    page = (tmp_path / ".sozialradar" / "berichte" / "14524330_2024.html").read_text(encoding="utf-8")
    assert "Sozialraumtypen 2022: für 2024 liegen die Merkmale der Typisierung nicht vor" in page
    assert "ordnet erst das nächste Training zu" not in page
    own = types.set_index("region_id").loc["14524330"]
    assert f"<strong>Typ {own['type']}</strong>" in page
    assert "nur in früheren Jahren, daher nicht in der Übersicht 2024" in page
    assert "Anteil Einwohner 65 Jahre und älter (2022)" in page
    assert "ein 95-%-Intervall lässt sich aus den wenigen Prüfwerten früherer Jahre nicht bestimmen" in page
    # 2024 repeats 2023: a gap to the forecast, which starts from 2023, and the sentence says so
    assert ("Letzter veröffentlichter Wert 2024: 87.593 Personen (wiederholt die Ausgabe davor; die Prognose setzt "
            "bei 2023 an)") in page
    chart = page.split("Einwohner: Verlauf und Prognose", 1)[1].split("</svg>", 1)[0]
    ticks = [t.replace(".", "") for t in re.findall(r'text-anchor="end" fill="[^"]+">([^<]+)<', chart)]
    assert ticks and all(not t.startswith("\u2212") and not t.startswith("-") for t in ticks), ticks
    assert "inf" not in chart
    # the dashboard's list of 2024: the types of 2022, with the same sentence
    monkeypatch.chdir(tmp_path)
    client = service_client(tmp_path)
    listed = client.get("/regions").json()
    assert listed["period"] == "2024" and listed["type_note"].startswith("Sozialraumtypen 2022: für 2024 liegen")
    zwickau = next(r for r in listed["regions"] if r["region_id"] == "14524330")
    assert zwickau["type"] == own["type"]
    typed = client.get("/typology", params={"region_id": "14524330", "period": "2024"}).json()
    assert typed["period"] == "2022" and typed["type"] == own["type"]
    assert typed["note"].startswith("Sozialraumtypen 2022: für 2024 liegen die Merkmale der Typisierung nicht vor")



@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason=f"real open data not present at {SHARED_DATA}")
def test_the_readme_landkreis_across_the_kreis_reform_reads_the_old_codes_by_their_names(tmp_path):
    """The Landkreis Zwickau's Gemeinden, every stand of the Land's register since 2002, as the README writes it: the
    stands before the reform of 2008 under the old Kreise's codes are read onto today's Gemeinden by their names."""
    _, said = run_example_said("reform-example", tmp_path)
    assert ("33 code(s) that are no region of the store read by the region's name beside them (14167000 'Zwickau, "
            "Stadt' → 14524330, 14173010 'Bernsdorf' → 14524010") in said
    assert "read 792 = accepted 792 + quarantined 0 (0.0%)" in said
    with Store(tmp_path / ".sozialradar" / "monitoring.duckdb", read_only=True) as store:
        regions = store.regions()
        residents = store.observations(["einwohner"]).pivot(index="region_id", columns="period", values="value")
    assert len(regions) == 33 and len(residents) == 33
    assert list(residents.columns) == ["2002", "2005", "2009", "2013", "2017", "2021", "2023", "2024"]
    assert residents.notna().all().all()
    assert residents.loc["14524080", "2002"] == 26786 and residents.loc["14524080", "2024"] == 21807
    page = (tmp_path / ".sozialradar" / "berichte" / "14524080_2024.html").read_text(encoding="utf-8")
    assert "Einwohner, Verlauf: 2002: 26.786; 2005: 26.044; 2009: 24.684" in page


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason=f"real open data not present at {SHARED_DATA}")
def test_the_readme_lands_register_is_carried_onto_todays_gemeinden_by_its_own_mergers(tmp_path):
    """Saxony's register as the README writes it: the crosswalk of its mergers from the table itself, the profiles of
    today's Gemeinden with every stand since 2002, a page, and the 13 Kreise summed from them in every stand."""
    _, said = run_example_said("mergers-example", tmp_path)
    assert ("1035 lines for the 418 municipalities of 2024: 398 earlier codes renumbered, 219 merged into another"
            in said)
    assert "121 by area, 479 by name, 17 by a part of the new name" in said
    assert "check: 15 municipalities whose earlier areas do not add up" in said
    assert "the values of 259 areas (level gemeinde) carried onto 127 of the crosswalk's new areas" in said
    lines = pd.read_csv(tmp_path / "gebietsstand.csv", dtype=str).set_index("old_id")
    assert lines.loc["14521050", "bemerkung"] == ("aufgegangen in 14521035 Aue-Bad Schlema, Stadt (bis 2017 als Bad "
                                                  "Schlema; gefunden über: Namensteil)")
    page = (tmp_path / ".sozialradar" / "berichte" / "14521035_2024.html").read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "Einwohner, Verlauf: 2002: 24.610; 2005: 23.820" in text
    assert "Einwohner je km², Verlauf: 2002: 674,8" in text and "Fläche (km²) 36,43" in text
    with Store(tmp_path / ".sozialradar" / "monitoring.duckdb", read_only=True) as store:
        values = store.table("feature_values")
    residents = values[values["indicator_id"] == "einwohner"].pivot(index="region_id", columns="period",
                                                                     values="value")
    assert residents.shape == (13, 8) and residents.loc["14521", "2002"] == 407_114
    raw = pd.read_csv(SHARED_DATA / "saxony_gemeinden_population_gvisys"
                      / "saxony_gemeinden_population_gvisys_long.csv")
    assert residents.sum().tolist() == raw.groupby("stand_year")["pop_total"].sum().astype(float).tolist()


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason=f"real open data not present at {SHARED_DATA}")
def test_the_readme_atlas_of_indices_runs_from_eight_tables_to_a_page(tmp_path):
    """Berlin's GSSA as the README writes it: eight tables of indices, one mapping, the level from each table's
    codes, profiles with a nine-year dynamics, a page without a residents row; the figures the README quotes."""
    env, said = run_example_said("atlas-example", tmp_path)
    assert said.count("quarantined 0 (0.0%)") == 9      # the region list and the eight tables
    assert "no value in this import for 27 of the store's 448 regions of level 'planungsraum' in 2013" in said
    assert "no values of the population indicator 'einwohner': every region is a reference region" in said
    with Store(tmp_path / ".sozialradar" / "monitoring.duckdb", read_only=True) as store:
        obs = store.observations(["gssa_gsi"])
        profiles = store.table("profiles")
    levels = obs.assign(digits=obs["region_id"].str.len()).groupby(["period", "digits"]).size()
    assert levels.to_dict() == {("2013", 2): 12, ("2013", 4): 59, ("2013", 6): 137, ("2013", 8): 421,
                                      ("2022", 2): 12, ("2022", 4): 59, ("2022", 6): 137, ("2022", 8): 428}, levels
    latest = profiles[profiles["period"] == "2022"].set_index("region_id")
    assert latest["status_index"].notna().sum() == 428
    gsi = obs[obs["period"] == "2022"].set_index("region_id")["value"]
    rho = latest["status_index"].corr(gsi.reindex(latest.index), method="spearman")
    assert round(rho, 4) == -0.9997
    first = profiles[profiles["period"] == "2013"].set_index("region_id")["status_index"]
    gsi13 = obs[obs["period"] == "2013"].set_index("region_id")["value"]
    assert round(first.corr(gsi13.reindex(first.index), method="spearman"), 4) == -0.9998
    # the atlas' direction (higher is better): its Erwerbsleben against the MSS 2013's share of unemployed
    atlas = pd.read_csv(SHARED_DATA / "berlin_gssa_2013_2022_open_lifeworlds"
                        / "berlin-lor-health-and-social-structure-atlas-2013-00-planning-areas.csv", dtype={"id": str})
    mss = pd.read_csv(SHARED_DATA / "berlin_mss_open_lifeworlds"
                      / "berlin-lor-monitoring-social-urban-development-2013-00-planning-areas.csv", dtype={"id": str})
    both = atlas.merge(mss, on="id")
    assert len(both) == 421
    assert round(both["working_life_sub_index"].corr(both["s1_percentage_unemployed"], method="spearman"), 2) == -0.98
    page = (tmp_path / ".sozialradar" / "berichte" / "01011103_2022.html").read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "Statusindex 1,62 – Klasse „sehr niedrig“" in text and "Dynamikindex +0,11 – „stabil“" in text
    assert "Teilindex soziale Lage (GSSA) (Index) −1,4 0,0 +0,3 Index seit 2013 deutlich ungünstiger" in text
    assert "Einwohner" not in text.split("Frühwarnung")[0]
    # the editions allow no out-of-sample test: refused with the reason, exit 1
    run = subprocess.run([str(Path(sys.executable).parent / "sozialradar"), "train", "early-warning"], cwd=tmp_path,
                         env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 1 and "no horizon allows an out-of-sample test" in run.stderr + run.stdout
    assert "382 known transitions, 51 of them worsenings" in run.stderr + run.stdout


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason=f"real open data not present at {SHARED_DATA}")
def test_the_readme_grid_before_the_lor_is_read_from_cells_of_codes_and_names(tmp_path):
    """The MSS of 2003 and 2005 on Verkehrszellen as the README writes it: the region lists from the tables
    themselves (codes and names in one cell, the level column's own words named, parents from the codes), the values
    of both editions at their stands 2002 and 2004, profiles and a page."""
    out = run_example_said("grid-example", tmp_path)[1]
    assert "'Gebiet' writes each region's code and name in one cell ('0011-Großmarkt')" in out
    assert "338 of 339 cells of 'Gebiet' read as a code and a name ('0011-Großmarkt': '0011', 'Großmarkt')" in out
    assert "5 of the headers name 2002" in out and "33 of the headers name 2004" in out
    with Store(tmp_path / ".sozialradar" / "monitoring.duckdb", read_only=True) as store:
        regions = store.regions().set_index("region_id")
        obs = store.observations(["alo_18_60", "sh_quote", "sh_unter18", "auslaender_anteil"])
        indexed = store.con.execute("SELECT period, count(status_index) FROM profiles GROUP BY 1 ORDER BY 1").fetchall()
    assert regions["level"].value_counts().to_dict() == {"planungsraum": 338, "bezirksregion": 195}
    assert regions.loc["1772", ["name", "parent_id"]].tolist() == ["Suermondtstr., Hauptstr.", "177"]
    assert sorted(obs["period"].unique()) == ["2002", "2004"]
    # 'Wanderungs-saldo pro 100 EW' is no migration balance per 1,000: not proposed for it
    mapped = yaml.safe_load((tmp_path / "vz2005.yaml").read_text(encoding="utf-8"))["columns"]
    assert sorted(v["indicator"] for v in mapped.values()) == ["alo_18_60", "auslaender_anteil", "sh_quote",
                                                               "sh_unter18"]
    assert indexed == [("2002", 335), ("2004", 335)]
    page = (tmp_path / ".sozialradar" / "berichte" / "0011_2004.html").read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "Gebiet 0011 (Planungsraum, Westhafen)" in text
    assert "Sozialhilfeempfänger je 100 Einwohner, Verlauf: 2002: 17,4; 2004: 18,1" in text


def test_the_readme_older_mss_editions_are_read_by_their_codes_and_their_status_6_declared_anew(tmp_path,
                                                                                                monkeypatch):
    """The MSS of 2007–2011 as the README writes it: codes rather than names, Reinickendorf's renumbered codes read by
    their names, the residents of an unnamed column, Status 6 of 2007 named on arrival as on another level, and the
    page of a renumbered Planungsraum with its 2007 value and no change across the declared break."""
    env, out = run_example_said("old-mss-example", tmp_path)
    assert "the regions are read by their codes in 'Nr.', not by their names in 'Planungsraum'" in out
    assert "18 code(s) that are no region of the store read by the region's name beside them (12103015 " \
           "'Breitkopfbecken' → 12103115" in out
    assert "2007 → 2009: the values of mss07_s6 (planungsraum) change 4.27× in the typical region (median 8.3 → " \
           "37.1, 431 regions)" in out and "its other steps within 1.03× either way" in out
    assert "status index of 2007 built from 4 of 5 configured indicators: mss07_s4 had no values there" in out
    # the map of the grid: a TopoJSON of three levels, each object read by the codes that name the store's regions
    assert ("object 'lor_planungsraeume': 447 feature(s), ids from the codes in 'spatial_name': regions 447 "
            "planungsraum; names from 'spatial_alias'") in out
    assert ("ids from the codes in 'Gemeinde_schluessel': regions 12 bezirk; 12 code(s) written with other leading "
            "zeros than the store's") in out and "09041402 'Allende II' vs 'Siedlung Krämmereiheide'" in out
    assert "drawn as the union of their parts, having no polygon of their own: 60 prognoseraum" in out
    monkeypatch.chdir(tmp_path)
    shapes = service_client(tmp_path).get("/geometry").json()
    assert shapes["level"] == "planungsraum" and len(shapes["features"]) == 447
    drawn = {f["id"]: f["properties"] for f in shapes["features"]}
    assert drawn["12214421"]["name"] == "Reinickes Hof" and drawn["12214421"]["status_label"]
    layer = json.loads((tmp_path / "profile_2011.geojson").read_text(encoding="utf-8"))["features"]
    assert len(layer) == 447 and all(f["geometry"] for f in layer)
    assert {f["properties"]["Jahr"] for f in layer} == {"2011"}
    status = [f["properties"]["Status 1 (MSS 2007 bis 2011) (%)"] for f in layer]
    assert all(v is None or isinstance(v, float) for v in status) and sum(v is not None for v in status) > 400
    with Store(tmp_path / ".sozialradar" / "monitoring.duckdb", read_only=True) as store:
        obs = store.observations(["einwohner", "mss07_s1", "mss07_s6"])
        quarantined = store.con.execute("SELECT DISTINCT file, line FROM quarantine").fetchall()
    per = obs.groupby(["indicator_id", "period"])["region_id"].nunique().to_dict()
    assert per[("mss07_s1", "2007")] == per[("mss07_s1", "2009")] == 447 and per[("einwohner", "2009")] == 447
    # the city's totals alone are quarantined: one row in 2007, two in 2009 (first and last); 2011's row 'Berlin' is
    # the sum of the Planungsräume's residents, and its suggestion's sum_rows leaves it out
    assert sorted(Path(f).name for f, _ in quarantined) == ["2007_MSS_cut.csv", "2009_MSS_cut.csv",
                                                            "2009_MSS_cut.csv"]
    assert "sum_rows: true   # rows of the whole are left out" in (tmp_path / "mss2011.yaml").read_text("utf-8")
    page = (tmp_path / ".sozialradar" / "berichte" / "12214421_2011.html").read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "Status 6 (MSS 2007 bis 2011), Verlauf: 2007: 8,6; 2009: 46,4; 2011: 48,3; neu abgegrenzt ab 2009" in text
    # a column mapped to the wrong indicator shows the same way (README): 'E 1' of 2009, a share, as the residents
    table = SHARED_DATA / "berlin_mss_447plr_cschwab1" / "2009_MSS_cut.csv"
    wrong = (tmp_path / "mss2009.yaml").read_text(encoding="utf-8").replace("  'Spalte 3': einwohner\n",
                                                                           "  'E 1': einwohner\n")
    (tmp_path / "falsch.yaml").write_text(wrong, encoding="utf-8")
    run = subprocess.run(["sozialradar", "ingest", str(table), "--mapping", "falsch.yaml", "--force"], cwd=tmp_path,
                         env=env, capture_output=True, text=True, timeout=300)
    assert "2007 → 2009: the values of einwohner (planungsraum) change 0.0024× in the typical region (median " \
           "6744 → 17.4" in run.stdout + run.stderr, run.stdout[-2000:]

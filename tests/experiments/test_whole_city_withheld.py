"""Flensburg's persons at risk of homelessness, printed as a Sozialatlas prints them — the Stadtteile down, 2017–2022
across, '.' for the cells the Fachstelle withholds, and a last row 'Flensburg gesamt' — carried from raw file to page
by the command line: the list of Stadtteile headed 'id;name;level', the suggestion, the import (the total row is the
city's own values, the store holding the city), features with a threshold of 5, the pages. The real counts are the
Sozialatlas's; the total row holds their sum in the one year no Stadtteil is withheld (2020), as the print would.
Tarup's 4 that year is withheld as a small number; the city's 171 less the other Stadtteile's shown counts would be
that 4, so the city's page withholds it too, and says why."""

import csv
import html
import re

import pytest

from ml.importers import ingest_file
from ml.importers.mapping import Mapping
from ml.regions import RegionLookup
from tests.conftest import cli_with, write

import pandas as pd

TITLE = "Tabelle 9.2: Von Wohnungslosigkeit bedrohte Personen nach Stadtteilen (jeweils 31.12.)"


def _print(shared_data, tmp_path):
    """The region list and the print (Windows-1252, ';'); returns their paths and the real counts by (name, year)."""
    folder = shared_data / "flensburg_sozialatlas" / "csv"
    names = {r["id"]: r["name"] for r in csv.DictReader(open(folder / "fl_district.csv", encoding="utf-8"))}
    counts = {(names[r["district_id"]], r["year"]): int(r["residents"])
              for r in csv.DictReader(open(folder / "fl_risk_homelessness_by_district.csv", encoding="utf-8"))
              if r["residents"] != "NULL"}
    years = sorted({y for _, y in counts})
    regions = write(tmp_path / "stadtteile.csv", "id;name;level;parent_id\n01001;Flensburg;kreis;\n" + "".join(
        f"{i};{n};stadtteil;01001\n" for i, n in names.items()))
    lines = [TITLE, "", "Stadtteil;" + ";".join(years)]
    lines += [n + ";" + ";".join(str(counts[(n, y)]) if (n, y) in counts else "." for y in years)
              for n in names.values()]
    total = [str(sum(counts[(n, y)] for n in names.values())) if all((n, y) in counts for n in names.values())
             else "." for y in years]
    lines += ["Flensburg gesamt;" + ";".join(total), "",
              "Quelle: Stadt Flensburg, Fachstelle Wohnungsnotfälle; . = weniger als 4 Fälle"]
    table = tmp_path / "Wohnungsnotfaelle.csv"
    table.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return regions, table, counts, dict(zip(years, total))


def _text(path) -> str:
    page = re.sub(r"<style.*?</style>|<script.*?</script>", "", path.read_text(encoding="utf-8"), flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def test_the_citys_total_row_is_withheld_where_it_would_tell_tarups_small_count(shared_data, tmp_path):
    regions, table, counts, total = _print(shared_data, tmp_path)
    assert total["2020"] == "171" and [y for y, t in total.items() if t != "."] == ["2020"]
    assert counts[("Tarup", "2020")] == 4
    config = write(tmp_path / "sozialradar.yaml", f"store:\n  path: {tmp_path / 'monitoring.duckdb'}\n"
                   "features:\n  level: stadtteil\nprivacy:\n  min_count: 5\n")
    run = cli_with(config, tmp_path / "q")
    assert "read 14 = accepted 14" in run("ingest", regions)
    said = run("mapping", "suggest", table, "--out", tmp_path / "m.yaml")
    assert "proposed as wohnungslosigkeit_bedroht" in said
    imported = run("ingest", table, "--mapping", tmp_path / "m.yaml")
    assert "read 84 = accepted 84 + quarantined 0" in imported
    assert "'Flensburg gesamt' = 'Flensburg'" in imported
    features = run("features")
    assert "1 value withheld because, less the counts their parts show, they would tell a part's withheld count — " \
           "1 region (01001 Flensburg): wohnungslosigkeit_bedroht" in features
    run("report", "--region", "Flensburg", "--region", "Tarup", "--region", "Mürwik", "--period", "2020",
        "--out", tmp_path / "berichte")
    city = _text(tmp_path / "berichte" / "01001_2020.html")
    assert "gesperrt (sonst ließe sich mit den Teilgebieten ein gesperrter Wert errechnen)" in city
    assert "171" not in city
    assert "Datenhinweise gesperrt (sonst ließe sich" in city        # and the page's notes say so
    assert "auch nicht in Diagrammen oder Erklärungen." in city and "Dimensionswerte" not in city   # it has none
    assert "gesperrt (kleine Zahl)" in _text(tmp_path / "berichte" / "13_2020.html")
    murwik = _text(tmp_path / "berichte" / "11_2020.html")        # a Stadtteil's own count shows, as before
    assert "Von Wohnungslosigkeit bedrohte Personen (Personen) 21 " in murwik
    assert "Verlauf: 2017: 28; 2018: 12; 2019: gesperrt; 2020: 21 Personen" in murwik    # ". = weniger als 4"


def test_a_row_of_sums_names_the_region_it_sums():
    regions = pd.DataFrame([("01001", "Flensburg", "kreis"), ("1", "Altstadt", "stadtteil"),
                            ("02", "Altona", "bezirk"), ("0201", "Altona", "stadtteil")],
                           columns=["region_id", "name", "level"])
    lookup = RegionLookup(regions)
    assert lookup.resolve("Flensburg gesamt") == ("01001", None)
    assert lookup.resolve("Altona insgesamt") == ("02", None)        # the sum is of the coarser Altona
    assert lookup.resolve("Altstadt zusammen") == ("1", None)
    assert lookup.resolve("Insgesamt") == (None, None) and lookup.resolve("Hamburg insgesamt")[0] is None
    assert lookup.wholes == {"Flensburg gesamt": "Flensburg", "Altona insgesamt": "Altona",
                             "Altstadt zusammen": "Altstadt"}


@pytest.mark.parametrize("total, kept", [("Flensburg gesamt", True), ("Flensburg insgesamt", True),
                                         ("Insgesamt", False), ("Hamburg insgesamt", False)])
def test_the_total_row_is_the_citys_where_the_store_holds_the_city(store, settings, tmp_path, total, kept):
    """With sum_rows, a total row is left out, unless it names a region of the store: then it is that region's."""
    regions = write(tmp_path / "r.csv", "id;name;level;parent_id\n01001;Flensburg;kreis;\n1;Altstadt;stadtteil;"
                                        "01001\n2;Neustadt;stadtteil;01001\n")
    assert ingest_file(regions, store, settings).status == "ok"
    table = write(tmp_path / "t.csv", f"Stadtteil;Arbeitslose\nAltstadt;120\nNeustadt;80\n{total};200\n")
    mapping = Mapping(format="wide", region_column="Stadtteil", sum_rows=True, period="2022",
                      columns={"Arbeitslose": {"indicator": "arbeitslose"}})
    rep = ingest_file(table, store, settings, mapping=mapping)
    assert rep.status == "ok" and rep.rows_quarantined == 0
    city = store.observations(["arbeitslose"], ["01001"])
    assert (city["value"].tolist() == [200.0]) == kept
    assert rep.rows_accepted == (3 if kept else 2)


def test_a_row_of_sums_whose_name_two_regions_share_is_left_out(store, settings, tmp_path):
    """'Neustadt gesamt' where two Kreise are named Neustadt: no region's values, left out as the whole, as before."""
    from ml.regions import whole_names

    regions = write(tmp_path / "r.csv", "id;name;level;parent_id\n01;Neustadt;kreis;\n02;Neustadt;kreis;\n"
                                        "0101;Altstadt;stadtteil;01\n0102;Neustadt;stadtteil;01\n")
    assert ingest_file(regions, store, settings).status == "ok"
    assert whole_names(store.region_names()) == frozenset({"altstadt"})
    table = write(tmp_path / "t.csv", "Stadtteil;Arbeitslose\nAltstadt;120\n0102;80\nNeustadt gesamt;200\n")
    mapping = Mapping(format="wide", region_column="Stadtteil", sum_rows=True, period="2022",
                      columns={"Arbeitslose": {"indicator": "arbeitslose"}})
    rep = ingest_file(table, store, settings, mapping=mapping)
    assert rep.status == "ok" and (rep.rows_accepted, rep.rows_quarantined) == (2, 0)
    assert any("left out" in n and "Neustadt gesamt" in n for n in rep.notes)

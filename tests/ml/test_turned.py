"""A table whose regions stand in the header, as a Sozialbericht prints its key figures per Gemeinde: read turned
(``regions_in_columns``), proposed by the suggestion; the row of the whole found by its values; the source under a
small table left out."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from ml.importers import Mapping, ingest_file, load_mapping
from ml.importers.common import without_footer_lines
from ml.importers.sum_rows import whole_by_values
from ml.importers.turned import label_columns, turn_table
from ml.io import read_table
from ml.paths import SAMPLE_DIR
from ml.suggest import find_header, suggest_mapping
from tests.conftest import write

NAMES = ["Kranichau", "Kranichwalde", "Waldheim", "Neutal"]
CODES = ["14599010", "14599020", "14599030", "14599040"]
RESIDENTS = [4210, 12877, 3050, 2761]
UNDER18 = [702, 2113, 488, 399]
UNEMPLOYED = [131, 612, 97, 74]
RECIPIENTS = [288, 1510, 199, 160]

REPORT = (
    "Sozialbericht des Musterkreises 2023\n"
    "Tabelle 4: Bevölkerung und soziale Lage nach Gemeinden am 31.12.2022\n"
    "\n"
    "Nr.;Merkmal;Einheit;" + ";".join(NAMES) + ";Musterkreis\n"
    "1;Bevölkerung;;;;;;\n"
    ";insgesamt;Anzahl;" + ";".join(f"{v:,}".replace(",", ".") for v in RESIDENTS) + f";{sum(RESIDENTS):,}".replace(
        ",", ".") + "\n"
    ";unter 18 Jahren;Anzahl;" + ";".join(f"{v:,}".replace(",", ".") for v in UNDER18)
    + f";{sum(UNDER18):,}".replace(",", ".") + "\n"
    "2;Arbeitslose;Anzahl;" + ";".join(map(str, UNEMPLOYED)) + f";{sum(UNEMPLOYED)}\n"
    "3;SGB-II-Leistungsberechtigte;Anzahl;" + ";".join(f"{v:,}".replace(",", ".") for v in RECIPIENTS)
    + f";{sum(RECIPIENTS):,}".replace(",", ".") + "\n"
    ";;je 100 Einwohner;" + ";".join(f"{100 * a / b:.1f}".replace(".", ",") for a, b in zip(RECIPIENTS, RESIDENTS))
    + ";" + f"{100 * sum(RECIPIENTS) / sum(RESIDENTS):.1f}".replace(".", ",") + "\n"
    "\n"
    "Quelle: Einwohnermelderegister; Bundesagentur für Arbeit; eigene Berechnungen\n"
)
"""Four Gemeinden across and the Kreis (their sum, named without a word that says so); a numbering column, a unit
column, a heading row ('Bevölkerung') over rows that begin in lower case, a unit row under its label's row, and a
source whose ';' splits it into two fields."""


@pytest.fixture
def county(store, settings):
    assert ingest_file(SAMPLE_DIR / "regions.csv", store, settings).status == "ok"
    return store


def _catalog(settings):
    from ml.catalog import effective_catalog

    return effective_catalog(settings, [])


def test_the_report_table_turns_into_a_row_per_region_named_by_its_labels(tmp_path):
    table = read_table(write(tmp_path / "t.csv", REPORT), header_line=4)
    k, named = label_columns(table)
    assert (k, named) == (3, [1, 2])        # 'Nr.' labels the rows without naming them
    turned = turn_table(table, 4)
    assert turned.header == ["Gebiet", "Bevölkerung insgesamt Anzahl", "Bevölkerung unter 18 Jahren Anzahl",
                             "Arbeitslose Anzahl", "SGB-II-Leistungsberechtigte Anzahl",
                             "SGB-II-Leistungsberechtigte je 100 Einwohner"]
    frame = turned.frame()
    assert frame["c0"].tolist() == NAMES + ["Musterkreis"]
    assert frame["c3"].tolist() == [str(v) for v in UNEMPLOYED] + [str(sum(UNEMPLOYED))]
    assert frame["c1"].iat[1] == "12.877" and list(turned.lines) == [4] * 5
    notes = " ".join(turned.notes)
    assert "read turned (regions_in_columns): the 5 regions of the header ('Kranichau', 'Kranichwalde', " \
           "'Waldheim' …) are the rows, the 5 rows of values the columns" in notes
    assert "1 heading row without values ('Bevölkerung') put before the rows under them" in notes
    assert "1 line of text under the table (the source, notes, a legend of its signs) not read as rows: " \
           "'Quelle: Einwohnermelderegister; Bundesagentur" in notes
    assert not turned.problems


def test_a_level_in_the_corner_names_the_region_column_and_a_row_without_a_label_keeps_its_line(tmp_path):
    table = read_table(write(tmp_path / "t.csv", "Gemeinde;Kranichau;Neutal\nEinwohner;10;20\n;3;4\n"
                             "Arbeitslose;1;2\n"))
    turned = turn_table(table, 1)
    assert turned.header == ["Gemeinde", "Einwohner", "Zeile 3", "Arbeitslose"]


def test_a_heading_at_the_end_is_the_footer_and_a_row_of_withheld_values_is_no_heading(tmp_path):
    table = read_table(write(tmp_path / "t.csv", "Merkmal;A;B;C\nEinwohner;10;20;30\nArbeitslose;.;.;.\n"
                             "Quelle: Amt;;;\n„.“ = gesperrt;;;\n"))
    turned = turn_table(table, 1)
    assert turned.header == ["Gebiet", "Einwohner", "Arbeitslose"]
    assert turned.frame()["c2"].tolist() == [".", ".", "."]
    assert "2 lines after the table (the source, notes, a legend of its signs) left out: 'Quelle: Amt', " \
           "'„.“ = gesperrt'" in " ".join(turned.notes)


def test_a_table_without_a_column_of_labels_is_refused_with_the_reason(tmp_path):
    table = read_table(write(tmp_path / "t.csv", "2019;2020;2021\n1;2;3\n4;5;6\n"))
    with pytest.raises(ValueError, match="no column of the rows' labels"):
        turn_table(table, 1)


def test_the_mapping_refuses_regions_in_columns_beside_another_format():
    with pytest.raises(ValueError, match="the format 'long' is not read turned"):
        Mapping(format="long", regions_in_columns=True)
    assert Mapping(format="wide", regions_in_columns=True).regions_in_columns
    assert Mapping(regions_in_columns=True, region="14599").region == "14599"      # the years across


def test_the_countys_own_figures_with_the_years_across_are_one_region_over_the_years(tmp_path, county, settings):
    path = write(tmp_path / "kreis.csv", "Kennzahlen des Musterkreises\nMerkmal;2020;2021;2022\n"
                 "Einwohner;22.710;22.805;22.898\nArbeitslose;1.020;990;914\n")
    s = suggest_mapping(path, _catalog(settings))
    assert s.regions_in_columns and s.period_column == "Jahr" and s.region_column is None
    assert any(n.startswith("the years stand in the header") and "to name with region:" in n for n in s.notes)
    text = s.to_yaml().replace("# region: ''", "region: 'Musterkreis'")
    report = ingest_file(path, county, settings, mapping=load_mapping(write(tmp_path / "m.yaml", text)))
    assert report.status == "ok" and report.rows_quarantined == 0
    obs = county.observations(["einwohner", "arbeitslose"]).set_index(["indicator_id", "period"])
    assert set(obs["region_id"]) == {"14599"}
    assert obs.loc[("einwohner", "2022"), "value"] == 22898 and obs.loc[("arbeitslose", "2020"), "value"] == 1020


HZE = ("Sozialbericht des Musterkreises 2023\n"
       "Tabelle 21: Hilfen zur Erziehung nach Hilfeart, Musterkreis, 2017 bis 2022 (Fälle am 31.12.)\n\n"
       "Hilfeart;2017;2018;2019;2020;2021;2022\n"
       "Soziale Gruppenarbeit (§ 29 SGB VIII);23;13;7;9;–;–\n"
       "Erziehungsbeistand, Betreuungshelfer (§ 30);39;45;39;31;44;61\n"
       "SPFH (§ 31);142;151;154;144;148;155\n"
       "Tagesgruppe (§ 32);19;22;27;25;19;16\n"
       "Vollzeitpflege (§ 33);137;116;106;99;95;103\n"
       "Heimerziehung (§ 34);134;123;120;145;168;142\n"
       "Eingliederungshilfe (§ 35a);126;151;141;152;149;184\n"
       "ISE (§ 35);10;7;6;3;4;11\n"
       "Hilfen zur Erziehung insgesamt;630;628;600;608;627;672\n\n"
       "Quelle: Jugendamt\n– = keine Fälle bzw. nicht erhoben\n")
"""The Jugendamt's Hilfen zur Erziehung by kind for the whole county, printed with the kinds down and the years across,
each kind named by its paragraph of the SGB VIII (Flensburg's Sozialatlas's counts, 2017–2022)."""


def test_the_jugendamts_help_by_kind_over_the_years_is_one_region_each_kind_by_its_paragraph(tmp_path, store,
                                                                                          settings):
    """Read turned: each kind its indicator by its paragraph, the years the periods; the table's one region, which
    the store lacks at first, refuses the import saying so, and it stays refused until the region is imported."""
    path = write(tmp_path / "hze.csv", HZE)
    s = suggest_mapping(path, _catalog(settings))
    assert s.regions_in_columns and s.period_column == "Jahr" and s.period is None and s.dash == "missing"
    assert not any(n.startswith("no region column found") for n in s.notes)
    assert {m.column: m.indicator_id for m in s.matches} == {
        "Soziale Gruppenarbeit (§ 29 SGB VIII)": "hze_soziale_gruppenarbeit",
        "Erziehungsbeistand, Betreuungshelfer (§ 30)": "hze_erziehungsbeistand", "SPFH (§ 31)": "hze_spfh",
        "Tagesgruppe (§ 32)": "hze_tagesgruppe", "Vollzeitpflege (§ 33)": "hze_vollzeitpflege",
        "Heimerziehung (§ 34)": "hze_heimerziehung", "Eingliederungshilfe (§ 35a)": "eingliederungshilfe_35a",
        "ISE (§ 35)": "hze_ise", "Hilfen zur Erziehung insgesamt": "hze_faelle"}
    mapping = load_mapping(write(tmp_path / "m.yaml", s.to_yaml().replace("# region: ''", "region: 'Musterkreis'")))
    regions = SAMPLE_DIR / "regions.csv"
    gemeinden = write(tmp_path / "gemeinden.csv", "region_id,name,level\n" + "".join(
        f"{c},{n},gemeinde\n" for c, n in zip(CODES, NAMES)))
    assert ingest_file(gemeinden, store, settings).status == "ok"
    for _ in range(2):      # refused, and again: nothing changed
        report = ingest_file(path, store, settings, mapping=mapping)
        assert report.status == "quarantine_over_limit" and report.rows_accepted == 0
        assert "region: 'Musterkreis' is no region of the store: import a region list holding it" in report.message
    assert ingest_file(regions, store, settings).status == "ok"         # the county itself now
    report = ingest_file(path, store, settings, mapping=mapping)
    assert report.status == "ok" and report.rows_quarantined == 0 and report.inserted == 52
    assert any(n.startswith("read again: import #") and "regions were imported since" in n for n in report.notes)
    obs = store.observations(region_ids=["14599"]).set_index(["indicator_id", "period"])["value"]
    assert obs[("hze_heimerziehung", "2021")] == 168 and obs[("eingliederungshilfe_35a", "2022")] == 184
    assert ("hze_soziale_gruppenarbeit", "2021") not in obs.index        # the legend's dash: no value
    assert ingest_file(path, store, settings, mapping=mapping).status == "already_imported"


def test_the_suggestion_reads_the_report_turned_with_its_date_its_whole_and_a_share_of_another_base(tmp_path,
                                                                                                      settings):
    s = suggest_mapping(write(tmp_path / "sozialbericht.csv", REPORT), _catalog(settings))
    assert s.regions_in_columns and s.region_column == "Gebiet"
    assert s.period == "2022" and s.period_source == "the date in the title lines"      # not the report's 2023
    assert {m.column: m.indicator_id for m in s.matches} == {
        "Bevölkerung insgesamt Anzahl": "einwohner", "Bevölkerung unter 18 Jahren Anzahl": "ew_unter18",
        "Arbeitslose Anzahl": "arbeitslose", "SGB-II-Leistungsberechtigte Anzahl": "sgb2_empfaenger"}
    # per all residents, not the catalog's SGB-II-Quote per those under 65: unmatched, with the reason
    assert "SGB-II-Leistungsberechtigte je 100 Einwohner" in s.unmatched
    assert any("sgb2_empfaenger per einwohner, which no catalog indicator is: left unmatched" in n for n in s.notes)
    assert s.sum_rows and any(n.startswith("the row 'Musterkreis' is the sum of all other rows in 4 columns of "
                                           "counts") for n in s.notes)
    text = s.to_yaml()
    assert "regions_in_columns: true" in text and "sum_rows: true" in text and "period: '2022'" in text


def test_a_table_of_regions_in_rows_is_not_turned(tmp_path, settings):
    s = suggest_mapping(write(tmp_path / "t_2022.csv", "Gemeinde;Einwohner;Arbeitslose\nKranichau;4210;131\n"
                              "Neutal;2761;74\nWaldheim;3050;97\n"), _catalog(settings))
    assert not s.regions_in_columns and s.region_column == "Gemeinde"
    assert "regions_in_columns" not in s.to_yaml()


def test_the_suggested_mapping_imports_the_report_and_leaves_out_its_whole(tmp_path, county, settings):
    path = write(tmp_path / "sozialbericht.csv", REPORT.replace(";Musterkreis\n", ";Alle Gemeinden\n"))
    mapping = write(tmp_path / "m.yaml", suggest_mapping(path, _catalog(settings)).to_yaml())
    report = ingest_file(path, county, settings, mapping=load_mapping(mapping))
    assert report.status == "ok" and report.rows_quarantined == 0, (report.message, report.notes)
    obs = county.observations(["einwohner", "arbeitslose", "ew_unter18"])
    got = obs.pivot_table(index="region_id", columns="indicator_id", values="value")
    assert got.loc[CODES, "einwohner"].tolist() == RESIDENTS
    assert got.loc[CODES, "arbeitslose"].tolist() == UNEMPLOYED
    assert set(obs["period"]) == {"2022"} and set(obs["region_id"]) == set(CODES)
    assert any("sum_rows: 1 row of the whole table left out ('Alle Gemeinden', the sum of all other rows in 4 "
               "columns of counts" in n for n in report.notes)
    # 'Kranichwalde, Stadt' in the store, 'Kranichwalde' in the header: read by its name
    assert any("with or without their designation" in n for n in report.notes)


def test_a_whole_the_store_holds_as_a_region_keeps_its_values(tmp_path, county, settings):
    """The column 'Musterkreis' is the sum of the Gemeinden and the store's Kreis of that name: imported as it."""
    path = write(tmp_path / "sozialbericht.csv", REPORT)
    mapping = write(tmp_path / "m.yaml", suggest_mapping(path, _catalog(settings)).to_yaml())
    report = ingest_file(path, county, settings, mapping=load_mapping(mapping))
    assert report.status == "ok" and report.rows_quarantined == 0 and report.rows_left_out == 0
    obs = county.observations(["einwohner"]).set_index("region_id")["value"]
    assert obs["14599"] == sum(RESIDENTS) and obs[CODES].tolist() == RESIDENTS


def test_a_turned_table_without_labels_fails_the_import_with_the_reason(tmp_path, county, settings):
    path = write(tmp_path / "t.csv", "2019;2020\n1;2\n")
    report = ingest_file(path, county, settings, mapping=Mapping(regions_in_columns=True, period="2022"))
    assert report.status == "failed" and "no column of the rows' labels" in report.message


def test_a_source_under_a_small_table_is_no_reason_to_look_for_the_header_further_down(tmp_path):
    path = write(tmp_path / "t.csv", "Tabelle 1\n\nGemeinde;Einwohner;Arbeitslose\nKranichau;4210;131\n"
                 "Neutal;2761;74\n\nQuelle: Meldeamt; Agentur\n")
    table, line, titles, _ = find_header(path)
    assert table.header == ["Gemeinde", "Einwohner", "Arbeitslose"] and titles[0] == "Tabelle 1"      # its words
    assert without_footer_lines(read_table(path, header_line=line))[0].problems == []


def test_a_row_of_the_whole_is_found_by_its_values_only_where_one_row_adds_up():
    values = pd.DataFrame({"a": [10, 20, 35, 65], "b": [1, 2, 4, 7], "c": [1.5, 2.5, 3.5, 2.5]})
    assert whole_by_values(values) == (3, ["a", "b"])
    assert whole_by_values(values.iloc[:3]) is None
    assert whole_by_values(values[["a", "c"]]) is None          # one column of counts is no evidence
    zeros = pd.DataFrame({"a": [0, 0, 0, 0], "b": [0, 0, 0, 0]})
    assert whole_by_values(zeros) is None


@hsettings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 10_000), min_size=2, max_size=4), min_size=3, max_size=8),
       st.integers(0, 100))
def test_a_sum_row_anywhere_is_the_one_found(rows, where):
    counts = pd.DataFrame(rows).dropna(axis=1)
    counts = counts.loc[:, (counts > 0).sum() >= 2]
    if counts.shape[1] < 2:
        return
    at = where % (len(counts) + 1)
    total = counts.sum().to_frame().T
    table = pd.concat([counts.iloc[:at], total, counts.iloc[at:]], ignore_index=True)
    found = whole_by_values(table)
    assert found is not None and found[0] == at


@hsettings(max_examples=60, deadline=None)
@given(st.integers(2, 6), st.integers(1, 6), st.data())
def test_turning_a_printed_table_gives_back_the_regions_values(n_regions, n_rows, data):
    """Any table printed with the regions across (labels of words, counts with thousands points, a withheld '.')
    read turned is the table of a row per region."""
    regions = [f"Gebiet {chr(65 + i)}" for i in range(n_regions)]
    labels = [f"Merkmal {chr(97 + j)}" for j in range(n_rows)]
    cell = st.one_of(st.integers(0, 2_000_000).map(lambda v: f"{v:,}".replace(",", ".")), st.just("."))
    values = [[data.draw(cell) for _ in regions] for _ in labels]
    text = "Kennzahl;" + ";".join(regions) + "\n" + "".join(
        f"{lab};" + ";".join(row) + "\n" for lab, row in zip(labels, values))
    path = write(_scratch() / "t.csv", text)
    turned = turn_table(read_table(path), 1)
    assert turned.header == ["Gebiet", *labels]
    frame = turned.frame()
    assert frame["c0"].tolist() == regions
    got = np.array([frame[f"c{j + 1}"].tolist() for j in range(n_rows)])
    assert (got == np.array(values)).all()


def _scratch():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="turned-"))


def test_codes_with_leading_zeros_the_store_lacks_are_not_called_renumbered(tmp_path, store, settings):
    """A Sozialbericht numbers its Stadtteile 01 … 13 where the store's list writes 1 … 13: the names beside them
    agree, so the note says so, not that the regions were renumbered; the footer alone sends no note of broken
    rows."""
    regions = write(tmp_path / "r.csv", "region_id,name,level\n1,Altstadt,stadtteil\n2,Neustadt,stadtteil\n"
                    "12,Engelsby,stadtteil\n")
    assert ingest_file(regions, store, settings).status == "ok"
    table = write(tmp_path / "t.csv", "Nr.;Stadtteil;Einwohner\n01;Altstadt;3907\n02;Neustadt;5052\n"
                  "12;Engelsby;7661\n\nQuelle: Melderegister; eigene Berechnungen\n")
    report = ingest_file(table, store, settings, mapping=Mapping(region_column="Nr.", name_column="Stadtteil",
                                                                 period="2022", columns={"Einwohner": "einwohner"}))
    assert report.status == "ok" and report.rows_accepted == 3
    notes = " | ".join(report.notes)
    assert "2 code(s) written with leading zeros the store's codes lack read as the store's, the names beside " \
           "them agreeing (01 'Altstadt' → 1, 02 'Neustadt' → 2)" in notes
    assert "renumbered" not in notes and "parsed row by row" not in notes
    assert "1 line of text under the table" in notes


def test_the_command_line_suggests_and_imports_a_workbook_printed_with_the_regions_across(tmp_path, county,
                                                                                          settings, monkeypatch):
    """The same report as a workbook (numbers as numbers, merged label cells left empty below their first row):
    'mapping suggest' writes the turned mapping and 'ingest' imports it, the Kreis as the store's region."""
    from click.testing import CliRunner
    from openpyxl import Workbook

    from experiments.cli import main

    book = Workbook()
    sheet = book.active
    sheet.title = "Tab 4"
    sheet.append(["Tabelle 4: Bevölkerung und soziale Lage nach Gemeinden, Stand 31.12.2022"])
    sheet.append([])
    sheet.append(["Merkmal", "Einheit", *NAMES, "Musterkreis"])
    sheet.append(["Einwohner", "Anzahl", *RESIDENTS, sum(RESIDENTS)])
    sheet.append(["Arbeitslose", "Anzahl", *UNEMPLOYED, sum(UNEMPLOYED)])
    sheet.append([None, "je 100 Einwohner", *[round(100 * a / b, 1) for a, b in zip(UNEMPLOYED, RESIDENTS)],
                  round(100 * sum(UNEMPLOYED) / sum(RESIDENTS), 1)])
    sheet.append([])
    sheet.append(["Quelle: Meldeamt; Bundesagentur für Arbeit"])
    path = tmp_path / "bericht.xlsx"
    book.save(path)
    monkeypatch.chdir(tmp_path)
    env = {"SOZIALRADAR_STORE__PATH": str(settings.store.path),
           "SOZIALRADAR_INGEST__REPORT_DIR": str(settings.ingest.report_dir)}
    county.close()
    runner = CliRunner()
    done = runner.invoke(main, ["mapping", "suggest", str(path), "--out", "m.yaml"], env=env)
    assert done.exit_code == 0, done.output
    text = (tmp_path / "m.yaml").read_text(encoding="utf-8")
    assert "regions_in_columns: true" in text and "period: '2022'" in text and "sum_rows: true" in text
    assert "'Einwohner Anzahl': einwohner" in text and "'Arbeitslose Anzahl': arbeitslose" in text
    done = runner.invoke(main, ["ingest", str(path), "--mapping", "m.yaml"], env=env)
    assert done.exit_code == 0, done.output
    assert "read turned (regions_in_columns): the 5 regions of the header" in done.output
    from ml.store import Store

    with Store(settings.store.path, read_only=True) as store:
        obs = store.observations(["arbeitslose", "einwohner"])
    # the Kreis, the store's region of that name, with its values (the sum of its Gemeinden)
    assert len(obs) == 10 and obs.set_index(["region_id", "indicator_id"]).loc[
        ("14599010", "arbeitslose"), "value"] == UNEMPLOYED[0]


def test_a_heading_written_without_delimiters_heads_the_rows_under_it_and_is_no_broken_row(tmp_path):
    table = read_table(write(tmp_path / "t.csv", "Merkmal;Kranichau;Neutal\nEinwohner;4210;2761\n"
                             "Bevölkerung nach Alter\nunter 18 Jahren;702;399\n65 Jahre und älter;880;610\n"
                             "Arbeitslose;131;74\n"))
    assert table.problems      # the reader names the line of one field
    turned = turn_table(table, 1)
    assert turned.header == ["Gebiet", "Einwohner", "Bevölkerung nach Alter unter 18 Jahren",
                             "Bevölkerung nach Alter 65 Jahre und älter", "Arbeitslose"]
    assert not turned.problems and turned.frame()["c2"].tolist() == ["702", "399"]


def test_a_workbook_with_a_printed_table_per_year_is_one_mapping_read_turned(tmp_path, county, settings):
    from openpyxl import Workbook

    from ml.importers import ingest_each

    book = Workbook()
    book.active.title = "Inhalt"
    book.active.append(["Sozialmonitoring des Musterkreises"])
    for year, factor in (("2021", 1), ("2022", 2)):
        sheet = book.create_sheet(year)
        sheet.append([f"Kennzahlen nach Gemeinden {year}"])
        sheet.append(["Merkmal", *NAMES])
        sheet.append(["Einwohner", *RESIDENTS])
        sheet.append(["Arbeitslose", *[factor * v for v in UNEMPLOYED]])
        sheet.append([])
        sheet.append(["Quelle: Meldeamt"])
    path = tmp_path / "monitoring.xlsx"
    book.save(path)
    s = suggest_mapping(path, _catalog(settings))
    assert s.sheet == ["2021", "2022"] and s.period == "sheet_name" and s.regions_in_columns
    reports = ingest_each(path, county, settings, mapping=load_mapping(write(tmp_path / "m.yaml", s.to_yaml())))
    assert [r.status for r in reports] == ["ok", "ok"] and all(r.rows_quarantined == 0 for r in reports)
    obs = county.observations(["arbeitslose"]).set_index(["region_id", "period"])["value"]
    assert obs[("14599010", "2021")] == UNEMPLOYED[0] and obs[("14599010", "2022")] == 2 * UNEMPLOYED[0]


def test_a_column_of_years_beside_the_labels_gives_each_row_its_period(tmp_path, county, settings):
    """'Einwohner' over two years, the label written on its block's first row only: each row a column of its year."""
    path = write(tmp_path / "zeitreihe.csv", "Kennzahl;Jahr;" + ";".join(NAMES) + "\n"
                 "Einwohner;2021;" + ";".join(str(v - 10) for v in RESIDENTS) + "\n"
                 ";2022;" + ";".join(map(str, RESIDENTS)) + "\n"
                 "Arbeitslose;2021;" + ";".join(str(v + 1) for v in UNEMPLOYED) + "\n"
                 ";2022;" + ";".join(map(str, UNEMPLOYED)) + "\n")
    s = suggest_mapping(path, _catalog(settings))
    assert s.regions_in_columns and {(m.column, m.indicator_id, m.period) for m in s.matches} == {
        ("Einwohner 2021", "einwohner", "2021"), ("Einwohner 2022", "einwohner", "2022"),
        ("Arbeitslose 2021", "arbeitslose", "2021"), ("Arbeitslose 2022", "arbeitslose", "2022")}
    report = ingest_file(path, county, settings, mapping=load_mapping(write(tmp_path / "m.yaml", s.to_yaml())))
    assert report.status == "ok" and report.rows_quarantined == 0
    obs = county.observations(["einwohner"]).set_index(["region_id", "period"])["value"]
    assert obs[("14599020", "2021")] == RESIDENTS[1] - 10 and obs[("14599020", "2022")] == RESIDENTS[1]


RESIDENTS_2021 = [4188, 12790, 3071, 2770]
UNEMPLOYED_2021 = [140, 655, 101, 80]


def _dotted(v: int) -> str:
    return f"{v:,}".replace(",", ".")


def _over_years(change: bool = False, whole: str = "Alle Gemeinden", legend: str = "") -> str:
    """Four Gemeinden across, each over 2021 and 2022 (and a change in %), and their whole, as a Sozialbericht
    prints a two-year comparison: the region over its years in a header of two rows."""
    per = 3 if change else 2
    top = "Merkmal;" + ";".join(n + ";" * (per - 1) for n in NAMES + [whole])
    below = ";" + ";".join(["2021;2022" + (";Veränderung in %" if change else "")] * 5)

    def row(label, old, new):
        cells = []
        for a, b in list(zip(old, new)) + [(sum(old), sum(new))]:
            cells += [_dotted(a), _dotted(b)] + ([f"{100 * (b - a) / a:.1f}".replace(".", ",")] if change else [])
        return f"{label};" + ";".join(cells)

    return ("Sozialbericht des Musterkreises 2023\nTabelle 5: Kennzahlen nach Gemeinden, 2021 und 2022\n\n"
            + "\n".join([top, below, row("Einwohner", RESIDENTS_2021, RESIDENTS),
                         row("Arbeitslose", UNEMPLOYED_2021, UNEMPLOYED)])
            + "\n\nQuelle: Einwohnermelderegister; Bundesagentur für Arbeit\n" + legend)


@pytest.mark.parametrize("change", [False, True])
def test_regions_each_over_several_years_turn_into_a_row_per_region_and_year(tmp_path, change):
    from ml.header_rows import combine_header_rows

    table = combine_header_rows(read_table(write(tmp_path / "t.csv", _over_years(change)), header_line=4), 2)
    turned = turn_table(table, 4)
    assert turned.header == ["Gebiet", "Jahr", "Einwohner", "Arbeitslose"]
    frame = turned.frame()
    assert frame["c0"].tolist() == [n for n in NAMES + ["Alle Gemeinden"] for _ in (2021, 2022)]
    assert frame["c1"].tolist() == ["2021", "2022"] * 5
    assert frame["c2"].tolist()[:4] == [_dotted(RESIDENTS_2021[0]), _dotted(RESIDENTS[0]),
                                        _dotted(RESIDENTS_2021[1]), _dotted(RESIDENTS[1])]
    notes = " ".join(turned.notes)
    assert "the header's 10 cells name 5 regions over 2 years ('Kranichau 2021', 'Kranichau 2022'" in notes
    assert ("5 columns of a region but no one year left out (a change between the years, which the table computes): "
            "'Kranichau Veränderung in %'" in notes) == change


def test_the_years_over_the_regions_read_as_the_regions_over_the_years(tmp_path):
    from ml.header_rows import combine_header_rows

    text = ("Merkmal;2021;;;;;2022;;;;\n;" + ";".join(NAMES + ["Alle Gemeinden"]) * 1 + ";"
            + ";".join(NAMES + ["Alle Gemeinden"]) + "\nEinwohner;" + ";".join(
                map(_dotted, RESIDENTS_2021 + [sum(RESIDENTS_2021)] + RESIDENTS + [sum(RESIDENTS)])) + "\n")
    turned = turn_table(combine_header_rows(read_table(write(tmp_path / "t.csv", text)), 2), 1)
    frame = turned.frame()
    assert turned.header == ["Gebiet", "Jahr", "Einwohner"]
    got = {(g, y): v for g, y, v in zip(frame["c0"], frame["c1"], frame["c2"])}
    assert got[("Kranichau", "2021")] == _dotted(RESIDENTS_2021[0]) and got[("Neutal", "2022")] == _dotted(RESIDENTS[3])


def test_a_header_of_regions_and_years_is_read_so_only_where_each_region_has_several_years():
    from ml.importers.turned import regions_and_years

    assert regions_and_years(["A 2021", "A 2022", "B 2021", "B 2022"]) == (
        ["A", "A", "B", "B"], ["2021", "2022", "2021", "2022"], [0, 1, 2, 3])
    assert regions_and_years(["A 2021", "A 2022", "B 2021", "B 2022", "C 2022"]) == (    # C new in 2022
        ["A", "A", "B", "B", "C"], ["2021", "2022", "2021", "2022", "2022"], [0, 1, 2, 3, 4])
    assert regions_and_years(["A 2021", "B 2022", "C 2021"]) is None        # no region over several years
    # a name ending in a number like a year, beside regions over 2021 and 2022: not read as a region of 2000
    assert regions_and_years(["A 2021", "A 2022", "B 2021", "B 2022", "Neubaugebiet 2000"]) is None
    assert regions_and_years(["A 2021", "B 2021"]) is None                  # one year: regions named with it
    assert regions_and_years(["A 2021", "A 2022", "Summe"]) is None         # a cell of no region read so
    assert regions_and_years(["A 2021", "A 2022", "A Veränderung"]) == (["A", "A"], ["2021", "2022"], [0, 1])


def test_the_suggested_mapping_imports_each_regions_years_and_leaves_out_the_whole_of_each(tmp_path, county,
                                                                                           settings):
    path = write(tmp_path / "kennzahlen.csv", _over_years(change=True))
    s = suggest_mapping(path, _catalog(settings))
    assert s.regions_in_columns and s.region_column == "Gebiet" and s.period_column == "Jahr" and s.sum_rows
    assert any(n.startswith("the regions stand in the header, each over several years") for n in s.notes)
    assert any(n.startswith("the row 'Alle Gemeinden' is the sum of all other rows of each of the 2 periods in 2 "
                            "columns of counts") for n in s.notes)
    report = ingest_file(path, county, settings, mapping=load_mapping(write(tmp_path / "m.yaml", s.to_yaml())))
    assert report.status == "ok" and report.rows_quarantined == 0, (report.message, report.notes)
    obs = county.observations(["einwohner", "arbeitslose"])
    got = obs.set_index(["indicator_id", "region_id", "period"])["value"]
    assert [got[("einwohner", c, "2021")] for c in CODES] == RESIDENTS_2021
    assert [got[("arbeitslose", c, "2022")] for c in CODES] == UNEMPLOYED
    assert set(obs["region_id"]) == set(CODES) and len(obs) == 4 * 2 * 2
    assert any("sum_rows: 2 rows of the whole table left out ('Alle Gemeinden'" in n for n in report.notes)


def test_a_whole_of_other_regions_in_each_period_is_no_row_of_the_whole():
    from ml.importers.sum_rows import wholes_by_period

    values = pd.DataFrame({"a": [10, 20, 30, 11, 21, 32], "b": [1, 2, 3, 2, 3, 5]})
    periods = np.array(["2021"] * 3 + ["2022"] * 3)
    assert wholes_by_period(values, periods, np.array(["A", "B", "S", "A", "B", "S"])) == ([2, 5], ["a", "b"])
    assert wholes_by_period(values, periods, np.array(["A", "B", "S", "A", "B", "T"])) is None   # not one region
    values.loc[5, "a"] = 99
    assert wholes_by_period(values, periods, np.array(["A", "B", "S", "A", "B", "S"])) is None   # 2022 adds up in b
    assert wholes_by_period(values.iloc[:3], None, np.array(["A", "B", "S"])) == ([2], ["a", "b"])


def test_the_legend_under_a_table_of_two_header_rows_says_what_its_dash_means(tmp_path, settings):
    text = _over_years(legend="„–“ = keine Angabe\n").replace("Arbeitslose;140;", "Arbeitslose;–;")
    s = suggest_mapping(write(tmp_path / "kennzahlen.csv", text), _catalog(settings))
    assert s.dash == "missing" and any("the table's legend says they are no value ('„–“ = keine Angabe')" in n
                                       for n in s.notes)


def test_a_cell_of_a_turned_table_is_quarantined_on_its_printed_line_and_a_failing_sum_on_its_region_alone(
        tmp_path, county, settings):
    """A value that is no number is named on the line it is printed on (not the header's); a sum that fails for one
    Gemeinde quarantines that Gemeinde's values alone, though all rows of a turned table share the header's line."""
    text = ("Gemeinde;" + ";".join(NAMES) + "\n"
            "Einwohner insgesamt;" + ";".join(map(str, RESIDENTS)) + "\n"
            "unter 18 Jahren;" + ";".join(map(str, UNDER18)) + "\n"
            "18 Jahre und älter;" + ";".join(str(a - b + (5 if i == 2 else 0)) for i, (a, b) in
                                             enumerate(zip(RESIDENTS, UNDER18))) + "\n"
            "Arbeitslose;131;6x12;97;74\n")
    path = write(tmp_path / "t.csv", text)
    mapping = write(tmp_path / "m.yaml", "format: wide\nregions_in_columns: true\nperiod: '2022'\ncolumns:\n"
                    "  'Einwohner insgesamt': einwohner\n  'unter 18 Jahren': ew_unter18\n"
                    "  'Arbeitslose': arbeitslose\nsums:\n  - left: ['Einwohner insgesamt']\n"
                    "    right: ['unter 18 Jahren', '18 Jahre und älter']\n")
    report = ingest_file(path, county, settings, mapping=load_mapping(mapping))
    assert report.rows_read == 12 and report.rows_quarantined == 3, (report.message, report.notes)
    q = county.quarantine(report.import_id).sort_values("line")
    assert q[["line", "column", "value"]].values.tolist() == [
        [2, "Einwohner insgesamt", str(RESIDENTS[2])], [3, "unter 18 Jahren", str(UNDER18[2])],
        [5, "Arbeitslose", "6x12"]]
    obs = county.observations(["einwohner"]).set_index("region_id")["value"]
    assert sorted(obs.index) == sorted(CODES[:2] + CODES[3:])      # Waldheim's alone left to the quarantine

"""A workbook with a sheet per year, as a county keeps its monitoring: one mapping (``sheet:`` the list, ``period:
sheet_name``) imports each sheet as an import of its own, proposed by the suggestion; the source under each table is
left out, not read as a row of empty cells."""

import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings as hsettings, strategies as st

from experiments.cli import main
from ml.importers import Mapping, MappingError, ingest_each, ingest_file, load_mapping
from ml.io import FileFormatError
from ml.paths import SAMPLE_DIR
from ml.suggest import suggest_mapping
from tests.conftest import write

GEMEINDEN = ["14599010", "14599020", "14599030", "14599040"]


@pytest.fixture
def county(store, settings):
    assert ingest_file(SAMPLE_DIR / "regions.csv", store, settings).status == "ok"
    return store


def workbook(path, years=("2019", "Stand 2020", "2021"), other=True, header=None):
    """A title page, a sheet per year (a title line, the header, a row per Gemeinde, a blank row and the source),
    and, where ``other``, a sheet of another table."""
    sheets = {"Inhalt": [["Sozialmonitoring"], ["Tabellen je Jahr auf den folgenden Blättern"]]}
    for k, name in enumerate(years):
        rows = [[f"Sozialdaten der Gemeinden ({name})"], [],
                header or ["Gemeindeschlüssel", "Gemeinde", "Einwohner insgesamt", "Arbeitslose"]]
        rows += [[code, f"Gemeinde {i}", 1000 + 100 * i + k, 40 + i + k] for i, code in enumerate(GEMEINDEN)]
        rows += [[], ["Quelle: Statistisches Landesamt; Bundesagentur für Arbeit"]]
        sheets[name] = rows
    if other:
        sheets["Fläche"] = [["Gemeindeschlüssel", "Fläche km²"]] + [[c, 10.5 + i] for i, c in enumerate(GEMEINDEN)]
    with pd.ExcelWriter(path) as book:
        for name, rows in sheets.items():
            pd.DataFrame(rows).to_excel(book, sheet_name=name, header=False, index=False)
    return path


def test_the_suggestion_proposes_one_mapping_for_the_sheets_of_one_table(county, catalog, tmp_path):
    s = suggest_mapping(workbook(tmp_path / "sozialdaten.xlsx"), catalog)
    assert s.sheet == ["2019", "Stand 2020", "2021"] and s.period == "sheet_name"
    assert s.notes[0] == (
        "the workbook's first sheets ('Inhalt') hold no table; the sheets '2019', 'Stand 2020', '2021' hold the same "
        "table, each named with its year: one mapping imports each as an import of its own (sheet: the list, "
        "period: sheet_name); further sheets hold tables ('Fläche'): a suggestion each with --sheet, and a mapping "
        "each (sheet:)")
    text = s.to_yaml()
    assert "sheet: ['2019', 'Stand 2020', '2021']" in text and "period: sheet_name" in text
    mapping = load_mapping(write(tmp_path / "m.yaml", text))
    assert mapping.sheet == ["2019", "Stand 2020", "2021"]


@pytest.mark.parametrize("years, header, why", [
    (("Tab 1", "Tab 2"), None, "names without a year"),
    (("2019", "2019 (berichtigt)"), None, "two sheets of one year"),
])
def test_sheets_that_are_no_series_of_years_are_named_not_listed(county, catalog, tmp_path, years, header, why):
    s = suggest_mapping(workbook(tmp_path / "b.xlsx", years=years, other=False, header=header), catalog)
    assert isinstance(s.sheet, str) and s.period != "sheet_name", why
    assert "further sheets hold tables" in s.notes[0]


def test_a_sheet_with_another_header_is_not_read_with_the_others(county, catalog, tmp_path):
    path = workbook(tmp_path / "b.xlsx", other=False)
    book = pd.read_excel(path, sheet_name=None, header=None)
    book["2021"].iloc[2, 3] = "Arbeitslose insgesamt"          # a column renamed in the latest edition
    with pd.ExcelWriter(path) as out:
        for name, frame in book.items():
            frame.to_excel(out, sheet_name=name, header=False, index=False)
    s = suggest_mapping(path, catalog)
    assert s.sheet == ["2019", "Stand 2020"] and "further sheets hold tables ('2021')" in s.notes[0]


def test_each_sheet_is_an_import_of_its_own_with_its_year(county, settings, tmp_path):
    path = workbook(tmp_path / "sozialdaten.xlsx")
    mapping = Mapping(format="wide", sheet=["2019", "Stand 2020", "2021"], header_line=2,
                      region_column="Gemeindeschlüssel", period="sheet_name",
                      columns={"Einwohner insgesamt": "einwohner", "Arbeitslose": "arbeitslose"})
    reports = ingest_each(path, county, settings, mapping=mapping)
    assert [r.file for r in reports] == [f"{path} (sheet {s!r})" for s in ("2019", "Stand 2020", "2021")]
    assert [r.status for r in reports] == ["ok"] * 3
    assert all(r.rows_read == r.rows_accepted == 8 and r.empty_cells == 0 for r in reports)
    # the source under each table is left out and quoted, not read as a row of empty cells
    assert all(any(n.startswith("1 line after the table (the source, notes, a legend of its signs) left out: "
                                "'Quelle: Statistisches Landesamt") for n in r.notes) for r in reports)
    obs = county.observations(["einwohner"]).set_index(["region_id", "period"])["value"]
    assert obs[("14599020", "2019")] == 1100 and obs[("14599020", "2020")] == 1101 and obs[("14599020", "2021")] == 1102
    assert len({r.import_id for r in reports}) == 3
    again = ingest_each(path, county, settings, mapping=mapping)
    assert [r.status for r in again] == ["already_imported"] * 3
    # one sheet of the list given on its own is the same import as before
    alone = mapping.model_copy(update={"sheet": "2021", "period": "2021"})
    assert ingest_file(path, county, settings, mapping=alone).status == "already_imported"


def test_a_list_of_sheets_is_refused_where_one_import_is_asked_for(county, settings, tmp_path):
    path = workbook(tmp_path / "sozialdaten.xlsx")
    with pytest.raises(FileFormatError, match="names several sheets .*each is an import of its own"):
        ingest_file(path, county, settings, mapping=Mapping(sheet=["2019", "2021"], period="sheet_name"))


def test_sheets_named_by_number_and_the_faults_of_a_list(tmp_path):
    path = workbook(tmp_path / "sozialdaten.xlsx")
    # YAML reads an unquoted 2019 as a number: the sheet named so is meant, not the 2020th
    one = load_mapping(write(tmp_path / "m.yaml", "sheet: [2019, 2021]\nperiod: sheet_name\n"))
    assert [(m.sheet, m.period) for m in one.for_sheets(path)] == [("2019", "2019"), ("2021", "2021")]
    # a sheet by its position (from 0), its period from its name
    assert [(m.sheet, m.period) for m in Mapping(sheet=[2], period="sheet_name").for_sheets(path)] == [
        (2, "2020")]
    with pytest.raises(FileFormatError, match=r"no sheet '2022'; the workbook's sheets are 'Inhalt', '2019'"):
        Mapping(sheet=["2019", "2022"]).for_sheets(path)
    with pytest.raises(FileFormatError, match="the sheet 'Fläche' names no year; give that sheet a mapping of its own"):
        Mapping(sheet=["2019", "Fläche"], period="sheet_name").for_sheets(path)
    for text, message in [("sheet: []\n", "an empty list names no sheet"),
                          ("sheet: ['2019', 2019]\n", "sheet names '2019' twice"),
                          ("period: sheet_name\n", "period: sheet_name reads each sheet's period from its name")]:
        with pytest.raises(MappingError, match=message):
            load_mapping(write(tmp_path / "bad.yaml", text))


def test_the_command_imports_each_sheet_and_says_which(county, settings, tmp_path, monkeypatch):
    path = workbook(tmp_path / "sozialdaten.xlsx")
    runner = CliRunner()
    monkeypatch.chdir(tmp_path)
    env = {"SOZIALRADAR_STORE__PATH": str(settings.store.path),
           "SOZIALRADAR_INGEST__REPORT_DIR": str(settings.ingest.report_dir)}
    county.close()
    done = runner.invoke(main, ["mapping", "suggest", str(path), "--out", "m.yaml"], env=env)
    assert done.exit_code == 0, done.output
    done = runner.invoke(main, ["ingest", str(path), "--mapping", "m.yaml"], env=env)
    assert done.exit_code == 0, done.output
    for sheet in ("'2019'", "'Stand 2020'", "'2021'"):
        assert f"sozialdaten.xlsx (sheet {sheet})  [wide; xlsx; decimal '.']" in done.output
    assert done.output.count("read 8 = accepted 8 + quarantined 0") == 3 and "empty cells" not in done.output


@hsettings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.integers(-3, 3000), st.text(min_size=1, max_size=8)), min_size=1, max_size=5))
def test_property_a_list_of_sheets_is_valid_exactly_when_each_is_named_once(sheets):
    names = [str(s) for s in sheets]
    try:
        Mapping(sheet=sheets)
    except ValueError as exc:
        assert len(set(names)) < len(names) and "twice" in str(exc)
    else:
        assert len(set(names)) == len(names)


def test_a_refused_sheet_stays_refused_and_the_others_are_imported(county, settings, tmp_path):
    """A sheet whose rows name regions the store does not hold (over the quarantine limit) is refused, also when
    the workbook is imported again; the sheets beside it are imported, then reported as imported before."""
    path = workbook(tmp_path / "sozialdaten.xlsx")
    book = pd.read_excel(path, sheet_name=None, header=None)
    book["2021"].iloc[3:7, 0] = ["99999010", "99999020", "99999030", "14599040"]
    with pd.ExcelWriter(path) as out:
        for name, frame in book.items():
            frame.to_excel(out, sheet_name=name, header=False, index=False)
    mapping = Mapping(format="wide", sheet=["2019", "Stand 2020", "2021"], header_line=2,
                      region_column="Gemeindeschlüssel", period="sheet_name",
                      columns={"Einwohner insgesamt": "einwohner", "Arbeitslose": "arbeitslose"})
    first = ingest_each(path, county, settings, mapping=mapping)
    assert [r.status for r in first] == ["ok", "ok", "quarantine_over_limit"]
    again = ingest_each(path, county, settings, mapping=mapping)
    assert [r.status for r in again] == ["already_imported", "already_imported", "quarantine_over_limit"]
    assert "identical content was refused" in again[2].message

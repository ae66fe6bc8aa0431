"""``period: title``: each edition's period read from its own title lines — a county's monitoring sent each year
under one file name, or a workbook whose sheets ('Tabelle1', 'Tabelle2') name no year, the stand in their titles."""

import pytest
from click.testing import CliRunner

from experiments.cli import main
from ml.file_periods import title_period
from ml.importers import Mapping, ingest_each, ingest_file, load_mapping
from ml.io import FileFormatError
from ml.paths import SAMPLE_DIR
from ml.suggest import suggest_mapping
from tests.conftest import write, write_xls

NAMES = ["Kranichau", "Neutal", "Waldheim"]
CODES = {"Kranichau": "14599010", "Neutal": "14599040", "Waldheim": "14599030"}


def _edition(year: int, residents: list[int]) -> str:
    return (f"Sozialmonitoring des Musterkreises {year + 1}\nTabelle 1: Bevölkerung nach Gemeinden, Stand 31.12.{year}"
            "\n\nGemeinde;Einwohner\n" + "".join(f"{n};{v}\n" for n, v in zip(NAMES, residents)))


@pytest.mark.parametrize("titles, year, source", [
    (["Sozialbericht 2023", "Tabelle 2: Bevölkerung am 31.12.2022"], "2022", "the date in the title lines"),
    (["Bevölkerung nach Gemeinden 2021"], "2021", "the title lines"),
    (["Sozialbericht 2023", "Stand 2022"], None, "the title lines"),     # several, none in a date
    (["Tabelle 1", ""], None, "the title lines"),
])
def test_the_title_lines_give_the_year_they_name_or_the_one_written_in_a_date(titles, year, source):
    assert title_period(titles) == (year, source)


@pytest.fixture
def county(store, settings):
    assert ingest_file(SAMPLE_DIR / "regions.csv", store, settings).status == "ok"
    return store


def test_each_edition_under_one_name_is_imported_with_the_year_of_its_title(tmp_path, county, settings):
    first = write(tmp_path / "2022" / "sozialmonitoring.csv", _edition(2021, [4188, 2770, 3071]))
    second = write(tmp_path / "2023" / "sozialmonitoring.csv", _edition(2022, [4210, 2761, 3050]))
    s = suggest_mapping(first, settings and _catalog(settings))
    assert s.period == "2021" and s.period_source == "the date in the title lines"
    text = s.to_yaml()
    assert "# period: title   # instead: each edition's period from its own title lines" in text
    mapping = write(tmp_path / "m.yaml", text.replace("period: '2021'", "# period: '2021'").replace(
        "# period: title ", "period: title "))
    for path in (first, second):
        report = ingest_file(path, county, settings, mapping=load_mapping(mapping))
        assert report.status == "ok" and report.rows_quarantined == 0, (report.message, report.notes)
    got = county.observations(["einwohner"]).set_index(["region_id", "period"])["value"]
    assert got[(CODES["Kranichau"], "2021")] == 4188 and got[(CODES["Kranichau"], "2022")] == 4210
    assert got[(CODES["Waldheim"], "2022")] == 3050


def test_the_sheets_of_a_workbook_without_years_in_their_names_each_get_their_titles_year(tmp_path, county,
                                                                                            settings):
    def sheet(year, values):
        return [[f"Bevölkerung am 31.12.{year}"], [], ["Gemeinde", "Einwohner"]] + [
            [n, v] for n, v in zip(NAMES, values)]

    path = write_xls(tmp_path / "monitoring.xls", {"Tabelle1": sheet(2020, [4100, 2790, 3090]),
                                                    "Tabelle2": sheet(2021, [4188, 2770, 3071])})
    s = suggest_mapping(path, _catalog(settings))
    assert s.sheet == ["Tabelle1", "Tabelle2"] and s.period == "title"
    assert any("the sheets 'Tabelle1', 'Tabelle2' hold the same table, each with its year in its title lines: one "
               "mapping imports each as an import of its own (sheet: the list, period: title)" in n for n in s.notes)
    mapping = load_mapping(write(tmp_path / "m.yaml", s.to_yaml()))
    assert mapping.period == "title" and mapping.sheet == ["Tabelle1", "Tabelle2"]
    reports = ingest_each(path, county, settings, mapping=mapping)
    assert [r.status for r in reports] == ["ok", "ok"]
    got = county.observations(["einwohner"]).set_index(["region_id", "period"])["value"]
    assert got[(CODES["Neutal"], "2020")] == 2790 and got[(CODES["Neutal"], "2021")] == 2770


def test_title_lines_of_no_year_refuse_the_import_with_the_lines(tmp_path, county, settings):
    path = write(tmp_path / "t.csv", "Tabelle 1: Bevölkerung nach Gemeinden\n\nGemeinde;Einwohner\nNeutal;2761\n")
    with pytest.raises(FileFormatError, match=r"'period: title' in the mapping, but the title lines above the header "
                                              r"name no one year .*'Tabelle 1: Bevölkerung nach Gemeinden'"):
        ingest_file(path, county, settings, mapping=Mapping(format="wide", header_line=3, region_column="Gemeinde",
                                                            period="title", columns={"Einwohner": "einwohner"}))
    with pytest.raises(ValueError, match="period: title reads the period from the title lines above the header"):
        Mapping(format="wide", period="title")


def test_the_command_line_refuses_an_edition_whose_title_names_no_year(tmp_path):
    path = write(tmp_path / "t.csv", "Tabelle 1\n\nGemeinde;Einwohner\nNeutal;2761\n")
    mapping = write(tmp_path / "m.yaml", "format: wide\nheader_line: 3\nregion_column: Gemeinde\nperiod: title\n"
                                         "columns:\n  Einwohner: einwohner\n")
    result = CliRunner().invoke(main, ["ingest", str(path), "--mapping", str(mapping)],
                                env={"SOZIALRADAR_STORE__PATH": str(tmp_path / "cli" / "m.duckdb"),
                                     "SOZIALRADAR_INGEST__REPORT_DIR": str(tmp_path / "q")})
    assert result.exit_code != 0 and "the title lines above the header name no one year" in result.output


def _catalog(settings):
    from ml.catalog import effective_catalog

    return effective_catalog(settings, [])

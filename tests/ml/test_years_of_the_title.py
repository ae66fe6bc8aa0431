"""A Sozialatlas's table of one indicator with its years across ('Stadtteil;2011;2012;…' under 'Minderjährige nach
Stadtteilen'): the title names the indicator, and each year column is proposed as that indicator in its year. A
SGB II table's rows of no Stadtteil ('ohne Zuordnung'), the remainder a Jobcenter cannot place, are left out and
counted, not refused as regions the store lacks. Flensburg's real counts, printed as the city prints them."""

import csv

import duckdb
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from ml.catalog import effective_catalog
from ml.importers import load_mapping
from ml.parsing import REMAINDER_PATTERN, names_no_region
from ml.suggest import matcher_for, suggest_mapping
from tests.conftest import cli_with, write

FL = "flensburg_sozialatlas/csv"


def _names(shared_data) -> dict[str, str]:
    rows = csv.DictReader(open(shared_data / FL / "fl_district.csv", encoding="utf-8"))
    return {r["id"]: r["name"] for r in rows}


def _dotted(v: str) -> str:
    return f"{int(float(v)):,}".replace(",", ".")


def _years_across(shared_data, tmp_path, file: str, column: str, title: list[str], name: str, whole: bool = True):
    """One column of a real table per Stadtteil and year, printed with the years across under ``title``, the
    Stadtteile by name, thousands with a dot, the city's total under them (``whole``), the source below. Returns
    (path, {(Stadtteil id, year): value})."""
    names = _names(shared_data)
    values: dict[tuple[str, str], str] = {}
    for r in csv.DictReader(open(shared_data / FL / file, encoding="utf-8")):
        values[(r["district_id"], r["year"])] = r[column]
    years = sorted({y for _, y in values})
    decimal = any("." in v for v in values.values())
    cell = (lambda v: v.replace(".", ",")) if decimal else _dotted
    lines = [*title, "", "Stadtteil;" + ";".join(years)]
    for d in sorted(names, key=int):
        lines.append(names[d] + ";" + ";".join(cell(values[(d, y)]) for y in years))
    if whole:
        lines.append("Flensburg insgesamt;" + ";".join(
            _dotted(sum(float(values[(d, y)]) for d in names)) for y in years))
    lines += ["", "Quelle: Melderegister der Stadt Flensburg"]
    path = write(tmp_path / name, "\n".join(lines) + "\n", encoding="cp1252")
    return path, {(d, y): float(v) for (d, y), v in values.items()}


def _store(tmp_path, shared_data):
    config = write(tmp_path / "sozialradar.yaml", f"store:\n  path: {tmp_path / 'monitoring.duckdb'}\n"
                   "features:\n  level: stadtteil\n")
    run = cli_with(config, tmp_path / "q")
    regions = write(tmp_path / "regions.csv", "region_id;name;level\n" + "".join(
        f"{k};{v};stadtteil\n" for k, v in _names(shared_data).items()))
    run("ingest", regions)
    return run


def test_the_title_names_the_indicator_of_the_years_across_and_the_import_reads_every_year(shared_data, tmp_path):
    from ml.store import Store

    path, expected = _years_across(shared_data, tmp_path, "fl_children_age_under_18_by_district.csv", "residents",
                                   ["Stadt Flensburg - Sozialatlas", "Tabelle 2.3: Minderjährige (unter 18 Jahren) "
                                    "nach Stadtteilen, jeweils 31.12."], "tabelle_2_3.csv")
    run = _store(tmp_path, shared_data)
    said = run("mapping", "suggest", path, "--out", tmp_path / "m.yaml")
    assert "8 columns matched, 0 without a match" in said
    said = (tmp_path / "m.yaml").read_text()
    note = next(line for line in said.splitlines() if line.startswith("# note: every value column is a year"))
    assert note.startswith("# note: every value column is a year (2011 … 2022) of one indicator, which the title line "
                           "'Tabelle 2.3: Minderjährige (unter 18 Jahren) nach Stadtteilen")
    assert note.endswith("names: proposed as ew_unter18 (Einwohner unter 18 Jahren) in each column's year; check it")
    assert "every column names its year in the header: map one" not in said
    mapping = load_mapping(tmp_path / "m.yaml")
    assert {c: (s.indicator, s.period) for c, s in mapping.columns.items()} == {
        y: ("ew_unter18", y) for y in ("2011", "2012", "2017", "2018", "2019", "2020", "2021", "2022")}
    out = run("ingest", path, "--mapping", tmp_path / "m.yaml")
    assert f"read {len(expected)} = accepted {len(expected)} + quarantined 0" in out
    assert "1 row of the whole table left out ('Flensburg insgesamt')" in out
    with Store(tmp_path / "monitoring.duckdb", read_only=True) as store:
        got = store.observations(indicator_ids=["ew_unter18"]).set_index(["region_id", "period"])["value"]
    assert got.to_dict() == expected


OWN = ("indicator_id,name,dimension,unit,polarity,kind,numerator,denominator,scale,frequency,monitors,lenses,basis,"
       "persons,min,max,source\n"
       "altenquotient,Altenquotient (65 und älter je 100 Einwohner 18 bis 64),bevoelkerung,je 100,0,rate,ew_65plus,"
       "ew_18_64,100,annual,,,false,,,,Sozialatlas Flensburg\n")
"""The city's old-age ratio, an indicator of its own (the shipped catalog has the Jugendquotient only)."""


def test_an_old_age_ratio_by_its_title_once_the_city_defines_it_and_said_so_before(shared_data, tmp_path, settings):
    path, _ = _years_across(shared_data, tmp_path, "fl_age_ratio_by_district.csv", "quotient",
                            ["Altenquotient nach Stadtteilen", "(Einwohner ab 65 Jahren je 100 Einwohner von 18 bis "
                             "unter 65 Jahren)"], "altenquotient.csv", whole=False)
    # the shipped catalog has no old-age ratio: the lines read are named, once, and nothing is guessed
    s = suggest_mapping(path, effective_catalog(settings, []))
    assert not s.matches and len(s.unmatched) == 8
    said = [n for n in s.notes if "year" in n]
    assert said == ["every value column is a year (2011 … 2022) of one indicator, and no catalog indicator fits what "
                    "the title lines or the file name say ('Altenquotient nach Stadtteilen'; '(Einwohner ab 65 Jahren "
                    "je 100 Einwohner von 18 bis unter 65 Jahren)'; 'altenquotient.csv'): map each column to an "
                    "indicator of your own (see README, 'Indicators of your own') in its year"]
    # with the city's own indicator, each year is proposed as it
    s = suggest_mapping(path, effective_catalog(settings, [write(tmp_path / "own.csv", OWN)]))
    assert len(s.matches) == 8 and not s.unmatched
    assert {(m.indicator_id, m.period) for m in s.matches} == {("altenquotient", m.column) for m in s.matches}


def test_a_title_line_is_surer_than_a_file_name_and_a_table_of_named_columns_is_left_to_them(tmp_path, settings):
    catalog = effective_catalog(settings, [])
    text = ("Tabelle 4: Einwohner ab 65 Jahren nach Stadtteilen\n\nStadtteil;2021;2022\nAltstadt;413;420\n"
            "Neustadt;369;371\n")
    s = suggest_mapping(write(tmp_path / "senioren_u18.csv", text), catalog)
    assert {(m.column, m.indicator_id, m.period) for m in s.matches} == {("2021", "ew_65plus", "2021"),
                                                                         ("2022", "ew_65plus", "2022")}
    # columns that name what they hold are matched by their headers, whatever the title says
    text = "Tabelle 4: Minderjährige nach Stadtteilen\n\nStadtteil;Einwohner 2022;Arbeitslose 2022\nAltstadt;3866;226\n"
    s = suggest_mapping(write(tmp_path / "t.csv", text), catalog)
    assert {m.indicator_id for m in s.matches} == {"einwohner", "arbeitslose"}
    assert not any(n.startswith("every value column is a year") for n in s.notes)


@pytest.mark.parametrize("header, kind, expected", [
    ("Minderjährige", "integer", "ew_unter18"),
    ("Kinder und Jugendliche unter 18 Jahren", "integer", "ew_unter18"),
    # a group among them is what such a header counts, not all minors
    ("Kinder und Jugendliche mit HzE", "integer", "hze_faelle"),
    ("Minderjährige in Bedarfsgemeinschaften", "integer", None),
    ("Einwohner ab 65 Jahren", "integer", "ew_65plus"),             # 'ab 65' is 65 and older, never 'unter 65'
    ("Leistungsberechtigte nach dem SGB II insgesamt", "integer", "sgb2_empfaenger"),
    ("erwerbsfähige Leistungsberechtigte", "integer", None),        # a part of them, which the catalog lacks
    ("HzE je 1.000 Minderjährige", "decimal", "hze_dichte"),
    ("UVG-Fälle je 100 Minderjährige", "decimal", "uvg_quote"),
    # a rate of another count on the same base (Berlin's MSS of 2003): no indicator shares its numerator
    ("Ausländer unter 18 Jahren pro 100 EW unter 18 Jahren", "decimal", None),
])
def test_the_words_a_german_table_writes_for_ages_and_benefits(settings, header, kind, expected):
    assert matcher_for(effective_catalog(settings, [])).match(header, kind).indicator_id == expected


def test_the_remainder_of_no_stadtteil_is_left_out_and_counted(shared_data, tmp_path):
    """The Jobcenter's counts by Stadtteil with its rows of no Stadtteil, as the tidy table writes them (NULL)."""
    names = _names(shared_data)
    rows = list(csv.DictReader(open(shared_data / FL / "fl_beneficiaries_characteristics_by_district.csv",
                                    encoding="utf-8")))
    lines = ["Leistungsberechtigte nach dem SGB II nach Stadtteilen", "",
             "Jahr;Stadtteil;Leistungsberechtigte nach dem SGB II insgesamt;Anteil Frauen in %"]
    lines += [f"{r['year']};{names.get(r['district_id'], 'ohne Zuordnung')};"
              f"{int(r['unemployability']) + int(r['employability'])};{r['percentage_females'].replace('.', ',')}"
              for r in rows]
    path = write(tmp_path / "sgb2.csv", "\n".join(lines) + "\n")
    unplaced = sum(1 for r in rows if r["district_id"] not in names)
    assert unplaced == 2
    run = _store(tmp_path, shared_data)
    said = run("mapping", "suggest", path, "--out", tmp_path / "m.yaml")
    assert "2 row(s) name no region ('ohne Zuordnung'): the remainder not assigned to any area" in said
    text = (tmp_path / "m.yaml").read_text()
    assert "outside_regions: leave_out" in text and "sgb2_empfaenger" in text
    out = run("ingest", path, "--mapping", tmp_path / "m.yaml")
    n = len(rows) - unplaced
    assert f"read {n} = accepted {n} + quarantined 0" in out and "left out: 2 rows" in out
    assert "2 rows of no region ('ohne Zuordnung') left out (outside_regions: leave_out)" in out
    # without the line, the remainder is quarantined as no region (not as a region to import first), and the
    # import refused over the limit says how to leave it out
    write(tmp_path / "m2.yaml", text.replace("outside_regions: leave_out", ""))
    out = run("ingest", path, "--mapping", tmp_path / "m2.yaml", "--force", code=1)
    assert "mostly: no region (the cell says no value or names none" in out
    assert "rows that belong to no region are left out and counted with outside_regions: leave_out" in out


@pytest.mark.parametrize("cell", ["ohne Zuordnung", "Ohne räumliche Zuordnung", "nicht zuordenbar",
                                  "keine Zuordnung möglich", "n. zuordenbar", "ohne Angabe", "unbekannt", "o. A."])
def test_remainder_cells(cell):
    assert names_no_region(cell)


def test_no_real_region_name_is_read_as_a_remainder(shared_data):
    """Every name of the real region lists: Flensburg's Stadtteile, Berlin's Planungsräume, Saxony's Gemeinden."""
    import pandas as pd

    names = set(_names(shared_data).values())
    lor = pd.read_csv(shared_data / "berlin_mss" / "LOR_2021.csv", dtype=str, encoding="utf-8-sig")
    for level in ("Planungsraum (Name)", "Bezirksregion (Name)", "Prognoseraum (Name)", "Bezirk"):
        names |= set(lor[level].dropna())
    saxony = pd.read_csv(shared_data / "saxony_gemeinden_population_gvisys" /
                         "saxony_gemeinden_population_gvisys_long.csv", dtype=str)
    names |= set(saxony["name"].dropna())
    assert len(names) > 1000
    assert [n for n in names if names_no_region(n)] == []


@hsettings(max_examples=200, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyzäöüß .AOUZ", max_size=30)
       | st.sampled_from(["ohne Zuordnung", "Nicht zuordenbar", "unbekannt", "o. A.", "Ohne Angabe x"]))
def test_the_import_reads_a_remainder_as_the_suggestion_does(cell):
    """The import's DuckDB expression and the suggestion's Python one say the same of every cell."""
    sql = duckdb.execute("SELECT regexp_matches(lower(trim($c)), $p)", {"c": cell, "p": REMAINDER_PATTERN})
    assert sql.fetchone()[0] == names_no_region(cell)


def test_a_region_list_leaves_out_the_remainder_it_lists(shared_data, tmp_path):
    """A Jobcenter's list of its areas, the remainder among them as an area of its own: no region is made of it."""
    from ml.store import Store

    names = _names(shared_data)
    path = write(tmp_path / "gebiete.csv", "Nr;Stadtteil;Ebene\n" + "".join(
        f"{k};{v};Stadtteil\n" for k, v in names.items()) + "99;ohne Zuordnung;Stadtteil\n", encoding="cp1252")
    config = write(tmp_path / "sozialradar.yaml", f"store:\n  path: {tmp_path / 'monitoring.duckdb'}\n")
    run = cli_with(config, tmp_path / "q")
    run("mapping", "suggest", path, "--out", tmp_path / "r.yaml")
    out = run("ingest", path, "--mapping", tmp_path / "r.yaml")
    assert f"read {len(names)} = accepted {len(names)} + quarantined 0" in out and "left out: 1 rows" in out
    assert "1 row(s) name no region ('ohne Zuordnung'): the remainder not assigned to any area, left out" in out
    with Store(tmp_path / "monitoring.duckdb", read_only=True) as store:
        assert set(store.regions()["name"]) == set(names.values())

"""`mapping suggest`: catalog names in any spelling find their indicator, a generated city table imports with
the suggested mapping as it is, and every real table in ../shared/data gets a mapping the importer accepts."""

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings as hsettings, strategies as st

from experiments.cli import main
from ml.catalog import load_catalog
from ml.config import load_settings
from ml.importers import header_key, ingest_file, load_mapping
from ml.io import read_table
from ml.paths import SAMPLE_DIR
from ml.suggest import cover, header_period, matcher_for, suggest_mapping, words
from tests.conftest import write
from tests.ml.test_city_table import city_table

_SETTINGS = load_settings(env={})
CATALOG = load_catalog(_SETTINGS.catalog.dimensions, _SETTINGS.catalog.files())
INDICATORS = sorted(CATALOG, key=lambda i: i.indicator_id)


def _mangle(name: str, how: str) -> str:
    return {
        "as is": name, "upper": name.upper(),
        "umlauts written out": name.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss"),
        "soft hyphens": name.replace("ung", "\u00adung").replace("ein", "ein\u00ad"),
        "leading blank and year": f" {name} (Dez 2021)",
    }[how]


@hsettings(max_examples=200, deadline=None)
@given(st.sampled_from(INDICATORS), st.sampled_from(["as is", "upper", "umlauts written out", "soft hyphens",
                                                     "leading blank and year"]))
def test_every_catalog_name_finds_its_indicator(indicator, how):
    match = matcher_for(CATALOG).match(_mangle(indicator.name, how))
    assert match.indicator_id == indicator.indicator_id, (indicator.name, how, match)


@pytest.mark.parametrize("header, expected", [
    ("Arbeitslosenquote in %", "arbeitslosenquote"), ("SGB-II-Quote", "sgb2_quote"),
    ("Einwohner 65+", "ew_65plus"), ("65undmehr", "ew_65plus"), ("unter6", "ew_unter6"),
    ("Ausländer", "auslaender"), ("Anteil Ausländer in %", "auslaender_anteil"), ("residents", "einwohner"),
    ("share_65plus_census22", "anteil_65plus"), ("Wohngeldhaushalte", "wohngeld_haushalte"),
    ("Wanderungssaldo je 1.000 Ew.", "wanderungssaldo"),
    # nothing in the catalog: no match rather than a wrong one
    ("age_18_to_under_30", None), ("birth_rate", None), ("Bemerkung", None), ("Status 1", None),
])
def test_headers_of_real_tables(header, expected):
    assert matcher_for(CATALOG).match(header).indicator_id == expected


@pytest.mark.parametrize("header, expected", [
    # a Jugendamt's Hilfen zur Erziehung by kind, written as its tables write them: the paragraph decides
    ("Erziehungsbeistandschaft § 30", "hze_erziehungsbeistand"), ("§ 34 SGB VIII", "hze_heimerziehung"),
    ("Hilfen nach § 34", "hze_heimerziehung"), ("Pflegefamilie (§ 33)", "hze_vollzeitpflege"),
    ("Eingliederungshilfe § 35a", "eingliederungshilfe_35a"), ("§35a SGB VIII", "eingliederungshilfe_35a"),
    ("§ 41 SGB VIII", "hilfe_junge_volljaehrige"), ("stationäre Hilfen (§§ 33, 34)", "hze_stationaer"),
    ("SPFH", "hze_spfh"), ("Tagesgruppe (§ 32)", "hze_tagesgruppe"), ("ambulante Hilfen", "hze_ambulant"),
    ("Leistungsberechtigte nach SGB II", "sgb2_empfaenger"),
    # another paragraph, a share of nothing the catalog holds, an amount of money: no count of cases
    ("Anteil § 34", None), ("Kosten Heimerziehung § 34 in Euro", None), ("Ausgaben Hilfen zur Erziehung", None),
    ("Wohngeld in €", None), ("Leistungsberechtigte nach SGB XII", None),
    ("Kosten der Unterkunft", None), ("Durchschnittliche Kosten der Unterkunft", None),
    ("Bedarfsgemeinschaften mit KdU", "kdu_bedarfsgemeinschaften"),
    ("Bedarfsgemeinschaften mit Leistungen für Unterkunft und Heizung", "kdu_bedarfsgemeinschaften"),
    # an amount per unit is no count of the units: 'je Bedarfsgemeinschaft', 'per capita'; a mean per unit is found
    ("Kosten der Unterkunft je Bedarfsgemeinschaft", None), ("Personen je Haushalt", None), ("cars_per_capita", None),
    ("Wohnfläche je Einwohner", "wohnflaeche_je_ew"),
    # the Bundesagentur's young unemployed are those under 25, not all of them
    ("Jugendarbeitslosenquote", "alq_unter25"), ("Arbeitslosenquote der Jugendlichen", "alq_unter25"),
    ("Jugendarbeitslose", "arbeitslose_unter25"), ("arbeitslose Jugendliche", "arbeitslose_unter25"),
    ("Arbeitslosenquote", "arbeitslosenquote"), ("Jugendliche unter 18", None),
])
def test_a_laws_paragraph_and_book_decide_and_money_is_no_count(header, expected):
    assert matcher_for(CATALOG).match(header, "integer").indicator_id == expected


@pytest.mark.parametrize("header, expected", [
    # foreigners by residence status as an Ausländerbehörde writes them; 'davon', 'darunter' say nothing
    ("Duldung", "geduldete"), ("Personen mit Duldung", "geduldete"), ("Asylbewerber", "asylsuchende"),
    ("Aufenthaltsgestattung (Asylsuchende)", "asylsuchende"), ("Aufenthaltserlaubnis", "aufenthalt_befristet"),
    ("Unbefristetes Aufenthaltsrecht", "aufenthalt_unbefristet"), ("Befristeter Aufenthaltstitel",
                                                                   "aufenthalt_befristet"),
    ("darunter EU-Bürger (Freizügigkeit)", "aufenthalt_freizuegig"), ("davon Arbeitslose unter 25",
                                                                      "arbeitslose_unter25"),
    # unlimited is not limited, and the law on benefits for asylum seekers counts its recipients
    ("Ausländer mit befristeter Aufenthaltserlaubnis", "aufenthalt_befristet"),
    ("AsylbLG-Empfänger", "asylblg_empfaenger"), ("Ausländer insgesamt", "auslaender"), ("Schutzsuchende", None),
])
def test_a_residence_status_is_told_from_its_opposite(header, expected):
    assert matcher_for(CATALOG).match(header).indicator_id == expected
    if expected and expected.startswith("aufenthalt_") and "befristet" in expected:
        other = "aufenthalt_befristet" if expected == "aufenthalt_unbefristet" else "aufenthalt_unbefristet"
        assert matcher_for(CATALOG).match(header).runner_up != other


@hsettings(max_examples=100, deadline=None)
@given(st.integers(1, 199), st.sampled_from(["", "a", " a", "b"]), st.integers(0, 80), st.integers(1, 20))
def test_a_paragraphs_number_is_never_read_as_an_age(number, letter, age, span):
    """'§ 35a', '§ 27 Abs. 2' name a law's paragraph: its numbers are no ages, and ages beside it stay ages."""
    got = words(f"Kinder {age} bis unter {age + span} Jahren (§ {number}{letter} SGB VIII)")
    assert got[1] == sorted({age, age + span - 1})
    assert f"par{number}{letter.strip()}" in got[0] and "sgb8" in got[0] and "sgb2" not in got[0]
    assert words(f"Hilfen nach §§ {number}, {number + 1} Abs. 2")[1] == []


def test_ages_must_agree_and_parts_of_compounds_count():
    assert words("Einwohner 15 bis 64 Jahre") == (["einwohner"], [15, 64])
    assert words("age_65_and_above") == (["plus"], [65])
    assert cover("arbeitslose", "arbeitslosenquote") == 1.0 and 0 < cover("arbeitslosenquote", "quote") < 0.5
    assert cover("einwohner", "ohne") == 0.0       # a short word inside another is no compound part
    # a payment named after those it is paid to is neither those persons nor the count of them
    assert cover("arbeitslose", "arbeitslosengeld") == 0.0 and cover("kinder", "kindergeld") == 0.0
    assert cover("wohngeld", "wohngeldhaushalte") == 1.0 and cover("wohngeldhaushalte", "wohngeld") > 0.4
    assert cover("arbeitslosengeld", "arbeitslosengeld") == 1.0
    assert matcher_for(CATALOG).match("Arbeitslosengeld", "integer").indicator_id is None


def test_a_key_of_codes_repeating_one_stays_the_key(tmp_path):
    """A list keyed by 'id' that repeats one code (a map's feature drawn twice) is read by its codes, the repeat
    named; names that repeat are no key."""
    path = write(tmp_path / "plr.csv", "id,name,area\n01011101,Stülerstraße,1\n01011102,Großer Tiergarten,2\n"
                                       "06010102,Schloßstraße,3\n06010102,Schloßstraße,4\n01011103,Lützowstraße,5\n")
    s = suggest_mapping(path, CATALOG, regions=True)
    assert (s.region_column, s.name_column) == ("id", "name")
    assert any("'id' repeats 1 code(s) (06010102 in lines 4, 5)" in n for n in s.notes)
    twice = write(tmp_path / "twice.csv", "id,name\n1,A\n1,B\n2,C\n2,D\n")
    assert suggest_mapping(twice, CATALOG, regions=True).region_column != "id"    # two repeats of four: no key


@pytest.mark.parametrize("header, expected", [
    ("age_18_to_under_65", "ew_18_64"), ("age_65_to_under_80", "ew_65_79"), ("age_65_and_above", "ew_65plus"),
    ("age_to_under_18", "ew_unter18"), ("18 bis unter 65 Jahre", "ew_18_64"), ("Alter 80+", "ew_80plus"),
    ("age_18_to_under_30", None), ("6", None), ("Spalte 3", None), ("K 01", None), ("Status 2", None)])
def test_ages_named_alone_are_residents_of_those_ages(header, expected):
    """A header of ages and an age word, naming no one ('age_18_to_under_65', as an English table writes it with
    underscores), counts the residents of those ages; a number alone is no age, and a group the catalog lacks stays
    unmatched."""
    assert words("age_18_to_under_65")[1] == [18, 64]          # underscores as the spaces of '18 to under 65'
    m = matcher_for(CATALOG).match(header, "integer")
    assert m.indicator_id == expected and (expected is None or m.score == 1.0)


@pytest.mark.parametrize("text, year", [("Einwohner (Dez 2013)", "2013"), ("Stand: 31.12.2021", "2021"),
                                        ("population_census22", "2022"), ("Schuljahr 2021/22", None),
                                        ("2010 bis 2015", None), ("Einwohner", None)])
def test_reference_years_from_headers(text, year):
    assert header_period(text) == year


def test_a_city_table_imports_with_its_suggested_mapping(store, settings, tmp_path):
    text, expected = city_table(7)
    path = tmp_path / "stadtteilprofile.csv"
    path.write_text("Stadtteilprofile Hamburg\nQuelle: Statistikamt;;;\n\n" + text, encoding="utf-8")
    s = suggest_mapping(path, CATALOG)
    assert read_table(path, header_line=s.header_line).header[1] == "Ebene" and s.header_line > 1
    assert header_key(s.region_column) == "Stadtteil" and s.level_column == "Ebene"
    got = {header_key(m.column): (m.indicator_id, m.period) for m in s.matches}
    assert got == {"Einwohner (Dez 2013)": ("einwohner", "2013"), "Haushalte (2010)": ("haushalte", "2010"),
                   "Wanderungssaldo je 1.000 Ew. (2013)": ("wanderungssaldo", "2013"),
                   "Arbeitslosenquote in % (Dez 2013)": ("arbeitslosenquote", "2013")}
    assert s.unmatched == ["Bemerkung"]
    mapping_file = write(tmp_path / "m.yaml", s.to_yaml())
    # the region list, then the table with the suggestion unchanged
    from tests.ml.test_city_table import REGIONS
    rows = "".join(f"{c};{n};{lv};{p}\n" for c, n, lv, p in REGIONS)
    assert ingest_file(write(tmp_path / "g.csv", "Gebiet;Name;Ebene;Parent\n" + rows), store, settings,
                       fmt="regions").status == "ok"
    rep = ingest_file(path, store, settings, mapping=load_mapping(mapping_file))
    assert rep.status == "ok" and rep.rows_quarantined == 0 and rep.rows_accepted == len(expected)


def test_cli_prints_or_writes_the_mapping(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(city_table(1)[0], encoding="utf-8")
    out = CliRunner().invoke(main, ["mapping", "suggest", str(path)])
    assert out.exit_code == 0 and "indicator: einwohner, period: '2013'" in out.output
    target = tmp_path / "m.yaml"
    assert CliRunner().invoke(main, ["mapping", "suggest", str(path), "--out", str(target)]).exit_code == 0
    assert load_mapping(target).columns
    again = CliRunner().invoke(main, ["mapping", "suggest", str(path), "--out", str(target)])
    assert again.exit_code == 1 and "--force" in again.output
    missing = CliRunner().invoke(main, ["mapping", "suggest", str(tmp_path / "none.csv")])
    assert missing.exit_code == 1 and "file not found" in missing.output


def test_a_register_is_named_with_the_columns_the_import_reads(store, settings, tmp_path):
    """A register of measures or facilities needs no mapping: the suggestion says so, which column is read for
    what, what is missing and what is left aside; its mapping imports the file."""
    write(tmp_path / "r.csv", "region_id;name;level\nA;Altdorf;gemeinde\n")
    assert ingest_file(tmp_path / "r.csv", store, settings).status == "ok"
    measures = write(tmp_path / "massnahmen.csv", "Nr;Titel;Gebiete (Sozialräume);Beginn;Status;Bemerkung\n"
                     "M1;Familienzentrum;Altdorf;2019;umgesetzt;läuft gut\n")
    s = suggest_mapping(measures, CATALOG)
    assert s.format == "measures" and not s.matches and s.region_column is None and s.period_column is None
    assert s.notes == ["a register of measures (Maßnahmen): the import reads it as it is, no mapping is needed "
                       "(sozialradar ingest FILE); columns read: 'Nr' (measure_id), 'Titel' (title), 'Gebiete "
                       "(Sozialräume)' (regions), 'Beginn' (start), 'Status' (status); not read: 'Bemerkung'"]
    target = tmp_path / "m.yaml"
    out = CliRunner().invoke(main, ["mapping", "suggest", str(measures), "--out", str(target)])
    assert out.exit_code == 0 and out.output.startswith(f"wrote {target}: a register of measures")
    rep = ingest_file(measures, store, settings, mapping=load_mapping(target))
    assert rep.status == "ok" and store.table("measures")["regions"].tolist() == ["A"]
    facilities = write(tmp_path / "kitas.csv", "Einrichtung;Art;Plätze\nK1;Kita;80\n")
    s = suggest_mapping(facilities, CATALOG)
    assert s.format == "facilities" and s.notes[0].endswith(
        "columns read: 'Einrichtung' (facility_id), 'Art' (type), 'Plätze' (capacity); missing, so the import "
        "fails: region_id or lat and lon")
    assert s.to_yaml().splitlines()[-1] == "format: facilities"


def _real_tables(shared: Path) -> list[Path]:
    return [p for p in sorted(shared.rglob("*")) if p.suffix.lower() in (".csv", ".xlsx") and "raw" not in p.parts]


def test_every_real_table_gets_a_mapping_the_importer_accepts(shared_data):
    tables = _real_tables(shared_data)
    assert len(tables) > 100
    for path in tables:
        s = suggest_mapping(path, CATALOG)
        text = s.to_yaml()
        mapping = load_mapping(_yaml_file(text))
        header = [header_key(h) for h in read_table(path, header_line=s.header_line).header]
        for column, spec in mapping.columns.items():
            assert header_key(column) in header, (path, column)
            ind = spec if isinstance(spec, str) else spec.indicator
            assert ind in CATALOG, (path, column, ind)
        if mapping.region_column is not None:
            assert header_key(mapping.region_column) in header, path
        if mapping.name_column is not None:
            assert header_key(mapping.name_column) in header, path
        assert set(s.unmatched).isdisjoint(m.column for m in s.matches)


def test_an_unmatched_column_filled_in_and_uncommented_is_mapped(shared_data):
    """The analyst's way with a column the suggestion could not match: fill in an indicator after the column's
    name and remove the '# ' (and before 'columns:' where nothing matched); the mapping then maps it, whatever
    stands below ('sums', 'ignore_columns')."""
    tried = 0
    for path in _real_tables(shared_data):
        s = suggest_mapping(path, CATALOG)
        if s.format != "wide" or not s.unmatched:
            continue
        column = s.unmatched[-1]
        lines = s.to_yaml().splitlines()
        filled = [("columns:" if line.startswith("# columns:   #") else
                   f"  {line[3:].split(': ?')[0]}: einwohner" if line.startswith(f"#  {column!r}: ?") or
                   line.startswith(f"#  '{column}': ?") else line) for line in lines]
        mapping = load_mapping(_yaml_file("\n".join(filled) + "\n"))
        assert column in mapping.columns and mapping.columns[column] == "einwohner", path
        # where no indicator of the catalog fits, the way to one of the county's own
        assert "#   (an indicator the catalog lacks: a line of a catalog file of your own, listed under catalog: " \
               "indicators: in sozialradar.yaml)" in lines, path
        tried += 1
    assert tried > 60


def _yaml_file(text: str) -> Path:
    import tempfile

    yaml.safe_load(text)       # valid YAML first
    f = Path(tempfile.mkstemp(suffix=".yaml")[1])
    f.write_text(text, encoding="utf-8")
    return f


@pytest.mark.parametrize("relative, column, indicator, period", [
    ("flensburg_sozialatlas/csv/fl_residents_by_district.csv", "residents", "einwohner", None),
    ("flensburg_sozialatlas/csv/fl_unemployed_residents_by_district.csv", "residents", "arbeitslose", None),
    ("flensburg_sozialatlas/csv/fl_births_by_district.csv", "births", "geburten", None),
    ("flensburg_sozialatlas/csv/fl_residents_age_65_and_above_by_district.csv", "residents", "ew_65plus", None),
    # '18 to under 65' are the ages 18 to 64
    ("flensburg_sozialatlas/csv/fl_residents_age_18_to_under_65_by_district.csv", "residents", "ew_18_64", None),
    ("germany_kreise_inkar_gerda/municipality_census2022.csv", "population_census22", "einwohner", "2022"),
    # decimals written with a point ('2.24') are decimals, not thousands: a mean, not a count
    ("germany_kreise_inkar_gerda/municipality_census2022.csv", "avg_household_size_census22", "haushaltsgroesse",
     "2022"),
    ("berlin_mss/einwohnerbestand_06-2022_plr.csv", "65undmehr", "ew_65plus", None),
])
def test_real_columns_found(shared_data, relative, column, indicator, period):
    s = suggest_mapping(shared_data / relative, CATALOG)
    got = {m.column: (m.indicator_id, m.period) for m in s.matches}
    assert got.get(column) == (indicator, period), got
    assert s.region_column is not None


@pytest.mark.parametrize("relative, column, plain", [
    # counts and age groups of another group of persons than the residents
    ("fl_employed_with_pension_insurance_by_district.csv", "residents", "einwohner"),
    ("fl_basic_benefits_income_by_district.csv", "age_65_and_above", "ew_65plus"),
    # shares among the unemployed and among the SGB II beneficiaries, not of all residents
    ("fl_unemployed_residents_categorized_by_district.csv", "percentage_foreign_citizenship", "auslaender_anteil"),
    ("fl_unemployed_residents_categorized_by_district.csv", "percentage_sgb_ii", "sgb2_quote"),
    ("fl_beneficiaries_characteristics_by_district.csv", "percentage_foreign_citizenship", "auslaender_anteil"),
])
def test_a_column_of_a_table_named_for_another_group_is_not_read_as_the_residents(shared_data, relative, column,
                                                                                  plain):
    """The Flensburg Sozialatlas names a table's group in its file name and its columns 'residents', 'age_65_and_
    above', 'percentage_…': they describe that group. Read as the residents they would overwrite the residents' own
    values; the suggestion leaves them unmatched and says why, naming the plain reading."""
    s = suggest_mapping(shared_data / "flensburg_sozialatlas" / "csv" / relative, CATALOG)
    assert column in s.unmatched and column not in {m.column for m in s.matches}
    note = next(n for n in s.notes if n.startswith(repr(column)))
    assert plain in note and "an indicator of your own" in note
    assert f"# note: {note}" in s.to_yaml()


@pytest.mark.parametrize("name, header, expected", [
    ("beschaeftigte_2022.csv", "Gebiet;Einwohner;Frauen\n", {"Einwohner": None}),
    ("wohngeld_2022.csv", "Gebiet;Einwohner;unter 18\n", {"Einwohner": "wohngeld_haushalte"}),
    ("einwohner_und_arbeitslose.csv", "Gebiet;Einwohner;Arbeitslose\n", {"Einwohner": "einwohner",
                                                                        "Arbeitslose": "arbeitslose"}),
    ("flensburg_2022.csv", "Gebiet;Einwohner;65 und älter\n", {"Einwohner": "einwohner", "65 und älter": "ew_65plus"}),
    ("arbeitslose_2022.csv", "Gebiet;Einwohner;Anteil Ausländer\n", {"Einwohner": "arbeitslose", "Anteil Ausländer": None}),
    ("arbeitslose_2022.csv", "Gebiet;Arbeitslosenquote;Langzeitarbeitslose\n",
     {"Arbeitslosenquote": "arbeitslosenquote", "Langzeitarbeitslose": "langzeitarbeitslose"}),
])
def test_the_file_names_group_decides_only_for_columns_that_name_none(tmp_path, name, header, expected):
    """A file named for a group (Beschäftigte, Wohngeld, Arbeitslose) reads its plain columns as that group's; a
    file naming several groups, or only a place, leaves the columns to their own names; a column naming its
    group keeps it."""
    path = write(tmp_path / name, header + "14599010;120;35\n14599020;80;12\n")
    got = {m.column: m.indicator_id for m in suggest_mapping(path, CATALOG).matches}
    assert {c: got.get(c) for c in expected} == expected


@pytest.mark.parametrize("header", ["household_type_id", "Altersgruppe_Nr", "Haushaltstyp-Nr", "sex_id"])
def test_a_key_of_a_breakdown_is_no_region_column(tmp_path, header):
    """Flensburg's debt counselling table is by household type (keys 1–7), not by Stadtteil (keys 1–13): taken
    as region codes, its values would land on Altstadt, Neustadt … without a word. The key of a breakdown is
    neither the region column nor an indicator, and the note says why no region column was found."""
    path = write(tmp_path / "schulden.csv", f"year,{header},Einwohner\n" + "".join(
        f"{y},{k},{10 * k + y % 7}\n" for y in (2021, 2022) for k in range(1, 8)))
    s = suggest_mapping(path, CATALOG)
    assert s.region_column is None and header not in {m.column for m in s.matches}
    note = next(n for n in s.notes if n.startswith("no region column found"))
    assert repr(header) in note and "breakdown, not of places" in note


def test_a_real_code_list_is_named_as_such_and_a_region_list_is_not(shared_data, tmp_path):
    """Flensburg's household types (id, label: 1 male_living_alone …) are the categories of another table: read
    as regions, their codes 1–7 would meet the Stadtteile 1–7. The suggestion says what the file is; the city's
    list of Stadtteile (id, name), read the same way, is not called a code list."""
    d = shared_data / "flensburg_sozialatlas" / "csv"
    s = suggest_mapping(d / "fl_household_type.csv", CATALOG)
    assert not s.matches
    assert ("fl_household_type.csv looks like a list of codes and their labels for household type (a breakdown, "
            "not regions): it holds no values to import") in " ".join(s.notes)
    assert not any("looks like a list of codes" in n for n in suggest_mapping(d / "fl_district.csv", CATALOG).notes)
    # the same two columns under a file name that names places: no such note
    places = write(tmp_path / "stadtteile.csv", (d / "fl_household_type.csv").read_text(encoding="utf-8"))
    assert not any("looks like a list of codes" in n for n in suggest_mapping(places, CATALOG).notes)


def test_a_real_table_of_the_whole_city_is_offered_a_region(shared_data):
    """Flensburg's help for children by type of help is one row per year for the whole city: no region column, and
    the suggestion says how to import it (region: the city's code or name)."""
    s = suggest_mapping(shared_data / "flensburg_sozialatlas" / "csv" / "fl_child_education_support.csv", CATALOG)
    assert s.region_column is None
    assert any("set region: its code or name" in n for n in s.notes)
    assert "# region: ''" in s.to_yaml()


def test_a_key_of_places_stays_the_region_column(tmp_path):
    path = write(tmp_path / "daten.csv", "year,district_nr,Einwohner\n2021,1,500\n2021,2,700\n")
    assert suggest_mapping(path, CATALOG).region_column == "district_nr"


def test_a_real_table_by_household_type_is_refused_not_read_as_stadtteile(shared_data, store, settings, tmp_path):
    path = shared_data / "flensburg_sozialatlas" / "csv" / "fl_debt_counseling_residents.csv"
    s = suggest_mapping(path, CATALOG)
    assert s.region_column is None
    mapping = _yaml_file(s.to_yaml().replace("#  'residents': ?", "columns:\n  'residents': einwohner"))
    rep = ingest_file(path, store, settings, mapping=load_mapping(mapping))
    assert rep.status == "failed" and "region column" in rep.message
    assert store.observations().empty


@pytest.mark.parametrize("relative, column, expected", [
    ("flensburg_sozialatlas/csv/fl_inactive_beneficiaries_households_by_district.csv", "residents", None),
    ("flensburg_sozialatlas/csv/fl_beneficiaries_age_15_to_under_65_by_district.csv", "unemployment_benefits", None),
    ("berlin_mss_447plr_cschwab1/2003_MSS_SG_cut.csv", "Ausländische Sozialhilfe-Empfänger pro 100 ausl. EW", None),
    ("flensburg_sozialatlas/csv/fl_migration_background_by_district.csv", "foreign_citizenship", "auslaender"),
    ("flensburg_sozialatlas/csv/fl_beneficiaries_by_district.csv", "residents", "sgb2_empfaenger"),
])
def test_a_word_no_indicator_has_leaves_an_uncertain_match_open(shared_data, relative, column, expected):
    """A word the catalog does not know qualifies what the rest of a header (or of a lone column's file name) names:
    'inactive' beneficiaries are a part of the SGB II recipients, Sozialhilfe-Empfänger 'pro 100 ausl. EW' no share
    of foreigners, unemployment 'benefits' no count of the unemployed; none is guessed. A word that only qualifies
    'foreign' leaves the sure match ('foreign_citizenship': the Ausländer)."""
    s = suggest_mapping(shared_data / relative, CATALOG)
    got = {m.column: m.indicator_id for m in s.matches}.get(column)
    assert got == expected and (expected is not None or column in s.unmatched)


def test_a_real_table_named_for_the_homeless_finds_its_indicator_by_the_files_name(shared_data):
    """'fl_risk_homelessness_by_district': its one column 'residents' counts persons at risk of homelessness, which
    the catalog holds among the Wohnungsnotfälle: found by the file's name, in German, not read as the residents."""
    path = shared_data / "flensburg_sozialatlas" / "csv" / "fl_risk_homelessness_by_district.csv"
    s = suggest_mapping(path, CATALOG)
    assert [(m.column, m.indicator_id) for m in s.matches] == [("residents", "wohnungslosigkeit_bedroht")]
    assert CATALOG["wohnungslosigkeit_bedroht"].name == "Von Wohnungslosigkeit bedrohte Personen"


def test_the_census_tables_english_housing_words_find_indicators_of_your_own(shared_data):
    """The census 2022 per Gemeinde writes 'vacancy_rate' and 'share_migration_bg': with a county's own vacancy
    rate and share with a migration background (the shipped catalog has neither) both are found, not guessed; the
    shipped catalog leaves them unmatched."""
    from ml.catalog import Indicator

    path = shared_data / "germany_kreise_inkar_gerda" / "municipality_census2022.csv"
    plain = suggest_mapping(path, CATALOG)
    assert {"vacancy_rate_census22", "share_migration_bg_census22"} <= set(plain.unmatched)
    own = CATALOG.extended([
        Indicator(indicator_id="leerstandsquote", dimension="wohnen", unit="%", name="Leerstandsquote (Wohnungen)",
                  polarity=1, kind="share"),
        Indicator(indicator_id="migrationshintergrund_anteil", dimension="bevoelkerung", unit="%",
                  name="Anteil Einwohner mit Migrationshintergrund", polarity=0, kind="share")])
    got = {m.column: (m.indicator_id, m.score) for m in suggest_mapping(path, own).matches}
    assert got["vacancy_rate_census22"][0] == "leerstandsquote" and got["vacancy_rate_census22"][1] >= 0.9
    assert got["share_migration_bg_census22"][0] == "migrationshintergrund_anteil"
    assert got["share_migration_bg_census22"][1] >= 0.9
    assert got["share_foreign_census22"][0] == "auslaender_anteil"     # the foreigners stay the foreigners


def test_where_every_header_names_its_year_the_note_says_how_to_map_the_rest(shared_data, tmp_path):
    """Every column of the census table names its year ('..._census22'): the note does not ask for a period the
    matched columns already carry, it shows how to map one left unmatched; the import of such a column mapped
    without its period names the header's year. A table with a column without a year still asks for a period."""
    lines = (shared_data / "germany_kreise_inkar_gerda" / "municipality_census2022.csv").read_text(
        encoding="utf-8").splitlines(keepends=True)
    path = tmp_path / "gemeinden.csv"                  # a Land's part, named without the year
    path.write_text("".join(lines[:200]), encoding="utf-8")
    s = suggest_mapping(path, CATALOG)
    assert s.period is None and all(m.period == "2022" for m in s.matches) and s.unmatched
    assert not any(n.startswith("no period column") for n in s.notes)
    assert ("every column names its year in the header: map one left without a match with it, e.g. "
            f"'{s.unmatched[0]}': {{indicator: ID, period: '2022'}}") in s.notes
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("ags,share_under18_census22,Leerstand\n01001000,13.8,2.9\n", encoding="utf-8")
    assert "no period column and no reference year in the header or the file name: set period" in suggest_mapping(
        mixed, CATALOG).notes
    from ml.importers.mapping import Mapping
    from ml.importers.wide import adapt_wide
    from ml.io import FileFormatError, read_delimited

    with pytest.raises(FileFormatError, match=r"'share_under18_census22' names 2022 in its header: map it as "
                                              r"'share_under18_census22': \{indicator: jugendquotient, period: '2022'\}"):
        adapt_wide(read_delimited(mixed), Mapping(region_column="ags", columns={"share_under18_census22": "jugendquotient"}),
                   CATALOG)


@pytest.mark.parametrize("header", ["inhabitants_germans_without_migration_background",
                                    "Einwohner ohne Migrationshintergrund", "Bevölkerung ohne Migrationshintergrund",
                                    "non-migration-background residents"])
def test_a_header_that_excludes_a_group_is_not_the_groups_indicator(header):
    """'ohne', 'without', 'non': the residents without a migration background are not the residents with one (the
    words agree but for the negation); an indicator that itself excludes a group keeps its headers."""
    from ml.catalog import Indicator

    own = CATALOG.extended([Indicator(indicator_id="ew_mh", dimension="bevoelkerung", unit="Personen",
                                      name="Einwohner mit Migrationshintergrund", polarity=0, kind="count")])
    matcher = matcher_for(own)
    assert matcher.match(header, "integer").indicator_id != "ew_mh"
    assert matcher.match("inhabitants_with_migration_background", "integer").indicator_id == "ew_mh"
    assert matcher.match("Schulabgänger ohne Abschluss", "integer").indicator_id == "abgaenger_ohne_abschluss"


def test_columns_that_repeat_parts_of_the_region_code_are_set_aside(tmp_path):
    """Berlin's register tables carry the code's parts (Bezirk, Prognoseraum, Bezirksregion, Planungsraum) beside
    it, leading zeros dropped in some editions; they are no indicators. A column that merely shares a digit now
    and then (the inner/outer city flag) is not one of them."""
    rows = [("1011101", "1", "1", "11", "1", "1", "3126"), ("1011102", "1", "1", "11", "2", "1", "63"),
            ("2040503", "2", "4", "5", "3", "2", "812"), ("12214423", "12", "21", "44", "23", "2", "1500")]
    text = "ZEIT;RAUMID;BEZ;PGR;BZR;PLR;STADTRAUM;E_E\n" + "".join(f"2019;{';'.join(r)}\n" for r in rows)
    s = suggest_mapping(write(tmp_path / "EWR201812E_Matrix.csv", text), CATALOG)
    assert s.region_column == "RAUMID" and s.code_parts == ["BEZ", "PGR", "BZR", "PLR"]
    assert "STADTRAUM" in s.unmatched and not set(s.code_parts) & set(s.unmatched)
    mapping = load_mapping(_yaml_file(s.to_yaml()))
    assert mapping.ignore_columns == ["BEZ", "PGR", "BZR", "PLR"]


def test_a_column_naming_ages_is_no_indicator_without_ages(shared_data):
    """Residents aged 6–15 or living at their address for more than 10 years are a part of the residents, never
    'Einwohner': the register's 'EINW10', 'EINW5' and the half-year table's 'inhabitants_age_6_15' … stay
    unmatched (they were proposed as einwohner, the register's at score 0.60)."""
    reg = suggest_mapping(shared_data / "berlin_ewr_plr_cschwab1" / "WHNDAUER2019_Matrix.csv", CATALOG)
    assert {"EINW10", "EINW5"} <= set(reg.unmatched)
    half = suggest_mapping(shared_data / "berlin_lor_population_halfyear_open_lifeworlds" /
                           "berlin-lor-population-2019-02.csv", CATALOG)
    bands = ["inhabitants_age_6_15", "inhabitants_age_18_27", "inhabitants_age_55_65"]
    assert set(bands) <= set(half.unmatched)
    got = {m.column: m.indicator_id for m in half.matches}
    assert got["inhabitants"] == "einwohner" and got["inhabitants_age_below_6"] == "ew_unter6"
    assert got["inhabitants_age_above_65"] == "ew_65plus"
    # the residents appear four times under the same name; only those are offered as einwohner
    assert "einwohner is suggested for 4 columns: 'inhabitants' (score 1.00) is kept" in "".join(half.notes)


def test_a_real_register_tables_code_parts(shared_data):
    s = suggest_mapping(shared_data / "berlin_ewr_plr_cschwab1" / "WHNDAUER2019_Matrix.csv", CATALOG)
    assert s.region_column == "RAUMID" and s.code_parts == ["BEZ", "PGR", "BZR", "PLR"]
    assert any("repeat parts of each row's region code" in n for n in s.notes)


def test_real_layouts_recognised(shared_data):
    assert suggest_mapping(shared_data / "berlin_mss/tesch-ch/mss_2021_indizes.csv", CATALOG).format == "mss"
    inkar = suggest_mapping(shared_data / "germany_kreise_inkar_gerda/county_covariates_inkar_1995_2022.csv", CATALOG)
    assert inkar.format == "inkar"
    long = suggest_mapping(shared_data / "berlin_bzr_kernindikatoren_tsb/bzr_kernindikatoren_2017_long.csv", CATALOG)
    assert long.format == "long" and long.indicator_column == "indicator" and long.value_column == "wert"
    assert long.region_column in ("name", "bzr_id_matched")     # the id column is empty on the Bezirk rows


def test_an_excel_sheet_below_its_title(tmp_path):
    """The same table as an Excel workbook, on a named sheet under two title rows."""
    import io

    import pandas as pd

    text, _ = city_table(5)
    frame = pd.read_csv(io.StringIO(text), sep=";", dtype=str, keep_default_na=False)
    path = tmp_path / "profile.xlsx"
    with pd.ExcelWriter(path) as xl:
        pd.DataFrame({"a": ["leer"]}).to_excel(xl, sheet_name="Hinweise", index=False)
        frame.to_excel(xl, sheet_name="Stadtteile", index=False, startrow=2)
        xl.sheets["Stadtteile"]["A1"] = "Stadtteilprofile, Stand 31.12.2013"
    s = suggest_mapping(path, CATALOG, sheet="Stadtteile")
    assert {m.indicator_id for m in s.matches} == {"einwohner", "haushalte", "wanderungssaldo", "arbeitslosenquote"}
    assert s.sheet == "Stadtteile" and "sheet: 'Stadtteile'" in s.to_yaml() and s.header_line > 1
    out = CliRunner().invoke(main, ["mapping", "suggest", str(path), "--sheet", "Stadtteile"])
    assert out.exit_code == 0 and "header_line:" in out.output


def test_a_reference_year_column_is_the_period(tmp_path):
    """Open-data tables often name the year 'stand_year' or 'Berichtsjahr': the suggestion takes it as the period."""
    path = tmp_path / "gemeinden.csv"
    path.write_text("stand_year,ags,name,area_km2\n2002,14161000,Chemnitz,220.86\n2003,14161000,Chemnitz,220.9\n",
                    encoding="utf-8")
    s = suggest_mapping(path, CATALOG)
    assert s.period_column == "stand_year" and "period_column: 'stand_year'" in s.to_yaml()
    assert not any("set period" in n for n in s.notes)


def test_the_year_in_the_file_name_is_the_period_when_the_table_names_none(tmp_path):
    """A table of indices without a period column or title (Berlin's health and social structure atlas): the year
    in its file name is proposed, to be checked; without one the mapping asks for it."""
    text = "id,health_and_social_index,health_sub_index\n01011101,0.87,1.63\n01011103,-1.55,-2.40\n"
    named = write(tmp_path / "atlas-2022-00-planning-areas.csv", text)
    s = suggest_mapping(named, CATALOG)
    assert s.period == "2022" and s.unmatched == ["health_and_social_index", "health_sub_index"]
    assert "period: '2022'   # from the file name: check it" in s.to_yaml()
    plain = suggest_mapping(write(tmp_path / "atlas.csv", text), CATALOG)
    assert plain.period is None and "# period: 'YYYY'" in plain.to_yaml()
    assert any("set period" in n for n in plain.notes)


def test_a_file_name_naming_a_part_of_the_year_is_read_against_its_folder(tmp_path):
    """Half-yearly files (Berlin's population, '…-2015-01' and '…-2015-02'): the year's last part is the year,
    the first gets no period, so that both are not imported as 2015; months and quarters likewise; a single file
    ending in '-01' cannot tell which."""
    text = "id,inhabitants\n14599010,3420\n"
    for half in ("01", "02"):
        write(tmp_path / "halves" / f"pop-2015-{half}.csv", text)
    first = suggest_mapping(tmp_path / "halves" / "pop-2015-01.csv", CATALOG)
    assert first.period is None and "# period: '2015'   # the file name names a part of the year" in first.to_yaml()
    assert any("half-year 1 of 2015, not the year's last (half-year 2)" in n for n in first.notes)
    last = suggest_mapping(tmp_path / "halves" / "pop-2015-02.csv", CATALOG)
    assert last.period == "2015" and "period: '2015'   # from the file name" in last.to_yaml()
    assert "\n# period: file_name   # instead: each file's period from its own name" in last.to_yaml()
    assert "file_name" not in first.to_yaml()
    for month in range(1, 13):
        write(tmp_path / "months" / f"alo_2020_{month:02d}.csv", text)
    assert suggest_mapping(tmp_path / "months" / "alo_2020_12.csv", CATALOG).period == "2020"
    march = suggest_mapping(tmp_path / "months" / "alo_2020_03.csv", CATALOG)
    assert march.period is None and any("month 3 of 2020" in n for n in march.notes)
    assert suggest_mapping(write(tmp_path / "q" / "x-2021-Q4.csv", text), CATALOG).period == "2021"
    alone = suggest_mapping(write(tmp_path / "one" / "pop-2019-01.csv", text), CATALOG)
    assert alone.period is None and any("a month, quarter or half-year?" in n for n in alone.notes)


def test_one_column_per_indicator_is_kept_and_repeated_names_are_told_apart(tmp_path, store, settings):
    """Berlin's half-yearly population table repeats 'inhabitants' and has age groups the catalog lacks: the
    suggestion keeps the best column for 'einwohner', comments out the others, and imports as it stands."""
    text = ("id,inhabitants,inhabitants_age_6_15,inhabitants,inhabitants_age_below_6\n"
            "14599010,3420,124,2069,150\n14599020,800,60,120,40\n")
    path = write(tmp_path / "population-2019.csv", text)
    s = suggest_mapping(path, CATALOG)
    columns = {m.column: (m.indicator_id, m.kept) for m in s.matches}
    assert columns["inhabitants"] == ("einwohner", None) and columns["inhabitants (2)"] == ("einwohner", "inhabitants")
    notes = [n for n in s.notes if n.startswith("einwohner is suggested")]
    assert len(notes) == 1 and "'inhabitants' (score 1.00) is kept" in notes[0]
    yaml = s.to_yaml()
    assert "\n  'inhabitants': einwohner" in yaml and "\n#  'inhabitants (2)': einwohner" in yaml
    assert ingest_file(SAMPLE_DIR / "regions.csv", store, settings).status == "ok"
    rep = ingest_file(path, store, settings, mapping=load_mapping(write(tmp_path / "m.yaml", yaml)))
    assert rep.status == "ok" and rep.rows_quarantined == 0
    got = store.observations(region_ids=["14599010"]).set_index("indicator_id")["value"]
    assert got["einwohner"] == 3420.0 and got["ew_unter6"] == 150.0


@pytest.mark.parametrize("cells, decimal, kind", [
    (["2.2", "2.24", "1.94"], ".", "decimal"),       # a decimal point: household sizes
    (["2.2", "2.24", "1.94"], ",", "integer"),       # a decimal comma: the points group thousands (1.234)
    (["1.234", "12.345"], ",", "integer"),
    (["1,234", "12,345"], ".", "integer"),
    (["1,5", "2,25"], ",", "decimal"),
    (["2140.0", "18718.0"], ".", "integer"),         # a count written as a float
    (["2140,0"], ",", "integer"),
    (["12 345", "1\u00a0234"], ",", "integer"),
    (["Altstadt", "Neustadt"], ".", "text"),
    (["", "-", "."], ".", None),
])
def test_the_kind_of_a_column_reads_the_files_decimal_separator(cells, decimal, kind):
    import pandas as pd
    from ml.suggest import _numeric_kind

    assert _numeric_kind(pd.Series(cells), decimal) == kind


def test_a_national_table_of_gemeinden_gives_its_names_and_its_counties_regions(shared_data, tmp_path, store,
                                                                                settings):
    """Zensus 2022 per Gemeinde, cut to one Kreis (Zwickau, 33 Gemeinden): the suggestion finds the name column
    and says that the file can give the region list; imported so, the regions carry their names, and the values
    import onto them (five columns, the household size among them)."""
    lines = (shared_data / "germany_kreise_inkar_gerda/municipality_census2022.csv").read_text(
        encoding="utf-8").splitlines()
    path = write(tmp_path / "zwickau_zensus2022.csv",
                 "\n".join([lines[0]] + [ln for ln in lines[1:] if ln.startswith("14524")]) + "\n")
    s = suggest_mapping(path, CATALOG)
    assert (s.region_column, s.name_column) == ("ags", "municipality_name")
    assert "municipality_name" not in s.unmatched
    assert any("this file can give it" in n and f"'sozialradar mapping suggest {path.name} --regions' proposes it" in n
               for n in s.notes), s.notes
    rep = ingest_file(path, store, settings, fmt="wide", mapping=load_mapping(_yaml_file(s.to_yaml())))
    assert rep.status == "quarantine_over_limit" and rep.rows_accepted == 0     # no regions yet
    regions = suggest_mapping(path, CATALOG, regions=True)      # the level read from the name column's header
    assert (regions.format, regions.name_column, regions.level) == ("regions", "municipality_name", "gemeinde")
    rep = ingest_file(path, store, settings, mapping=load_mapping(_yaml_file(regions.to_yaml())))
    assert rep.status == "ok" and rep.rows_accepted == 33
    names = store.regions().set_index("region_id")["name"]
    assert names["14524030"] == "Crimmitschau, Stadt" and names["14524010"] == "Bernsdorf"
    rep = ingest_file(path, store, settings, fmt="wide", mapping=load_mapping(_yaml_file(s.to_yaml())), force=True)
    assert rep.status == "ok" and rep.rows_accepted == 5 * 33
    got = store.observations(region_ids=["14524030"]).set_index("indicator_id")["value"]
    assert got["haushaltsgroesse"] == pytest.approx(1.94) and got["einwohner"] == 18718


@pytest.mark.parametrize("header", ["E_EW", "Einwohner w", "Einwohner (m)"])
def test_a_letter_the_matcher_cannot_read_is_not_dropped(header):
    """Berlin's register writes residents as E_E, men as E_EM, women as E_EW: 'EW' alone is 'Einwohner', but the
    letters beside it say which part. A header with a letter of its own is no sure match for all residents."""
    m = matcher_for(CATALOG).match(header, "integer")
    assert m.indicator_id != "einwohner" or m.score < 0.7


def test_the_register_matrix_total_is_the_sum_of_its_age_groups_and_women_no_residents(shared_data):
    """Not its letters but its values make E_E the residents: on every row it is the sum of the 32 age groups. Men
    and women (E_EM, E_EW) stay unmatched; the age columns, imported as groups or left aside as sums, are not
    listed as unmatched. The register's matrix of foreigners (E_A00_01 …) proposes its total as auslaender and
    says that its groups are not the residents' ages."""
    folder = shared_data / "berlin_ewr_plr_cschwab1" / "2019"
    s = suggest_mapping(folder / "EWR201812E_Matrix.csv", CATALOG)
    assert {m.column: m.indicator_id for m in s.matches} == {"E_E": "einwohner"}
    assert s.unmatched == ["STADTRAUM", "E_EM", "E_EW"]
    assert any("32 age groups are imported as ew_alter_*" in n for n in s.notes)
    foreign = suggest_mapping(folder / "EWR201812A_Matrix.csv", CATALOG)
    assert {m.column: m.indicator_id for m in foreign.matches} == {"E_A": "auslaender"}
    assert any("of Ausländerinnen und Ausländer" in n and "'E_A'" in n and "not imported" in n for n in foreign.notes)


def test_vom_hundert_is_a_share():
    assert words("Arbeitslose in v. H.")[0] == ["arbeitslose", "anteil"]
    assert words("Anteil 65 u. älter")[0] == ["anteil", "plus"]


@pytest.mark.parametrize("header, indicator, by_term", [
    ("Arbeitslosenquote", "arbeitslosenquote", True),
    # the term as municipal tables write it: the unemployed's share, not the long-term unemployed's among them
    ("Arbeitslosenanteil in %", "arbeitslosenquote", True),
    ("Anteil Langzeitarbeitslose", "langzeitarbeitslose_anteil", False),
    ("HzE-Dichte", "hze_dichte", True),
    ("Arbeitslose je 100 Einwohner 15 bis 64", "arbeitslosenquote", False),
    ("Hilfen zur Erziehung je 1.000 Minderjährige", "hze_dichte", False),
    ("Arbeitslose", "arbeitslose", False),          # a count has no base to differ in
])
def test_a_rate_matched_by_its_term_alone_asks_for_its_base(header, indicator, by_term):
    """A county's 'Arbeitslosenquote' may be the Bundesagentur's (per civilian labour force) while the catalog's
    counts per residents 15–64: a match by the term alone says so; one by the definition does not."""
    m = matcher_for(CATALOG).match(header, "decimal" if by_term or "je" in header else "integer")
    assert (m.indicator_id, m.by_term) == (indicator, by_term)


def test_the_suggestion_names_the_rates_whose_base_is_unchecked(tmp_path):
    text = ("Gemeindeschlüssel;Gemeinde;Arbeitslosenquote;Arbeitslose je 100 Einwohner 55 bis 64;SGB-II-Quote\n"
            "01001000;Flensburg;8,1;6,2;15,2\n01002000;Kiel;7,9;6,0;16,1\n01003000;Lübeck;7,5;5,9;14,0\n")
    s = suggest_mapping(write(tmp_path / "ba_2022.csv", text), CATALOG)
    text = s.to_yaml()
    lines = {line.split(":")[0].strip(" '"): line for line in text.splitlines() if line.startswith("  '")}
    assert "the header names the term, not its base: check" in lines["Arbeitslosenquote"]
    assert "base" not in lines["Arbeitslose je 100 Einwohner 55 bis 64"]
    assert "base" not in lines["SGB-II-Quote"]        # its catalog name is the term itself
    note = next(n for n in s.notes if "matched by the term alone" in n)
    assert note.startswith("arbeitslosenquote: ") and "civilian labour force" in note
    # the mapping still imports as suggested: the note asks for a check, it takes nothing away
    assert load_mapping(_yaml_file(text)).columns["Arbeitslosenquote"] == "arbeitslosenquote"


def test_the_registers_june_stand_by_age(shared_data):
    """Berlin's residents at 30 June 2022 per Planungsraum: eight age groups ('unter6' … '65undmehr'), the total
    'Gesamt' (the groups' sum on every row, so einwohner), no period proposed for a June stand."""
    s = suggest_mapping(shared_data / "berlin_mss" / "einwohnerbestand_06-2022_plr.csv", CATALOG)
    got = {m.column: m.indicator_id for m in s.matches}
    assert got["Gesamt"] == "einwohner" and got["ausländer"] == "auslaender" and got["65undmehr"] == "ew_65plus"
    assert s.unmatched == ["weiblich"] and s.period is None and s.period_hint == "2022"
    assert any("8 age groups" in n for n in s.notes) and any("month 6 of 2022" in n for n in s.notes)
    # '–' for an age group nobody of the area is in: said before the import, which reads it as 0
    assert any(n.startswith("30 cells hold only a dash ('unter6' 4, '6-15' 4, '15-18' 4") and "reads them as 0" in n
               and "add 'dash: missing'" in n for n in s.notes)


def test_a_table_of_foreigners_by_age_proposes_none_of_its_groups_as_the_residents(tmp_path):
    """'auslaender_nach_alter.csv': its 'unter 6' counts foreign children, not ew_unter6; its total is auslaender."""
    text = "Gebiet;Jahr;Insgesamt;unter 6;6 bis unter 18;18 bis unter 65;65 und älter\n" + "".join(
        f"{k};2022;{10 * k + 100};{k};{2 * k};{7 * k + 90};{10}\n" for k in range(1, 6))
    s = suggest_mapping(write(tmp_path / "auslaender_nach_alter.csv", text), CATALOG)
    assert {m.column: m.indicator_id for m in s.matches} == {"Insgesamt": "auslaender"}
    assert any("nor proposed as the residents' counts by age (unter 6, 65 und älter)" in n for n in s.notes)


def test_a_wide_tables_lone_dashes_are_named_and_none_otherwise(tmp_path):
    with_dash = write(tmp_path / "w.csv", "Gemeindeschlüssel;Jahr;Einwohner;Arbeitslose\n14599010;2022;1200;–\n"
                      "14599020;2022;800;12\n")
    s = suggest_mapping(with_dash, CATALOG)
    assert s.format == "wide" and any(n.startswith("1 cell holds only a dash ('Arbeitslose' 1)") for n in s.notes)
    plain = write(tmp_path / "p.csv", "Gemeindeschlüssel;Jahr;Einwohner;Arbeitslose\n14599010;2022;1200;3\n")
    assert not any("only a dash" in n for n in suggest_mapping(plain, CATALOG).notes)


def test_a_catalog_made_after_another_is_dropped_never_meets_the_dropped_ones_matcher():
    """The matcher is kept per catalog; a catalog made right after the last one was dropped takes its address (the
    allocator hands the freed block out again), and, found by address, the old matcher (without the new catalog's
    indicators) answered. The matcher now keeps its catalog: each catalog answers from its own indicators."""
    from ml.catalog import Catalog, Indicator

    def indicators(k):
        return dict(CATALOG.indicators) | {f"own_{k}": Indicator(
            indicator_id=f"own_{k}", dimension="bevoelkerung", unit="Personen",
            name="Einwohner mit Migrationshintergrund", polarity=0, kind="count")}

    catalog = Catalog(CATALOG.dimensions, indicators(0))
    assert matcher_for(catalog).match("inhabitants_with_migration_background", "integer").indicator_id == "own_0"
    for k in range(1, 30):
        ready = indicators(k)           # everything made first, so that the new catalog is the next block handed out
        catalog = None                  # freed at once: the next object of its size takes its address
        catalog = Catalog(CATALOG.dimensions, ready)
        assert matcher_for(catalog).match("inhabitants_with_migration_background", "integer").indicator_id == \
            f"own_{k}"


@pytest.mark.parametrize("header", ["Arbeitslose Veränderung in %", "SGB-II-Leistungsberechtigte Veränderung in %",
                                    "Einwohner Zu-/Abnahme", "Arbeitslose +/- ggü. Vorjahr", "Differenz Einwohner"])
def test_a_change_between_periods_is_no_match_for_the_level_it_changes(header):
    assert matcher_for(CATALOG).match(header, "decimal").indicator_id is None


def test_a_change_the_catalog_holds_is_still_found():
    from ml.catalog import FORMAT_CATALOGS, effective_catalog

    catalog = effective_catalog(_SETTINGS, [FORMAT_CATALOGS["mss"]])
    assert matcher_for(catalog).match("D1 Veränderung S1 über zwei Jahre", "decimal").indicator_id == "mss_d1"


def test_the_changes_beside_each_indicators_years_are_left_unmatched_with_the_reason(tmp_path):
    text = ("Stadtteil;Einwohner;;;Arbeitslose;;\n;2021;2022;Veränderung in %;2021;2022;Veränderung in %\n"
            "Altstadt;3866;3907;1,1;226;167;-26,1\nNeustadt;4850;5052;4,2;383;350;-8,6\n"
            "Nordstadt;12525;12532;0,1;823;727;-11,7\n")
    s = suggest_mapping(write(tmp_path / "kennzahlen.csv", text), CATALOG)
    assert {(m.column, m.indicator_id, m.period) for m in s.matches} == {
        ("Einwohner 2021", "einwohner", "2021"), ("Einwohner 2022", "einwohner", "2022"),
        ("Arbeitslose 2021", "arbeitslose", "2021"), ("Arbeitslose 2022", "arbeitslose", "2022")}
    assert s.unmatched == ["Einwohner Veränderung in %", "Arbeitslose Veränderung in %"]
    assert "#  'Arbeitslose Veränderung in %': ?   # a change between periods, which the monitoring computes " \
           "from the values" in s.to_yaml()


def test_a_year_of_the_file_name_dates_no_column_where_every_column_names_its_own(tmp_path):
    text = "Stadtteil;Einwohner 2021;Einwohner 2022\nAltstadt;3866;3907\nNeustadt;4850;5052\nNordstadt;12525;12532\n"
    s = suggest_mapping(write(tmp_path / "kennzahlen_2023.csv", text), CATALOG)
    assert s.period == "2023" and all(m.period for m in s.matches)
    written = s.to_yaml()
    assert "\nperiod:" not in written and "# period: '2023'   # from the file name: every column above names its own " \
                                          "year; this one only for a column filled in without one" in written
    assert load_mapping(write(tmp_path / "m.yaml", written)).period is None


def test_the_import_names_the_changes_it_leaves_out_as_such(tmp_path, store, settings):
    assert ingest_file(SAMPLE_DIR / "regions.csv", store, settings).status == "ok"
    text = ("Gemeinde;Einwohner 2021;Einwohner 2022;Veränderung in %\nKranichau;4188;4210;0,5\n"
            "Neutal;2770;2761;-0,3\nWaldheim;3071;3050;-0,7\n")
    path = write(tmp_path / "kennzahlen.csv", text)
    report = ingest_file(path, store, settings, mapping=load_mapping(write(
        tmp_path / "m.yaml", suggest_mapping(path, CATALOG).to_yaml())))
    assert report.status == "ok" and report.rows_accepted == 6, (report.message, report.notes)
    assert "1 columns not imported (changes between periods, which the monitoring computes from the values itself): " \
           "Veränderung in % (3 values)" in report.notes, report.notes


def test_a_title_line_with_a_comma_is_no_header_and_a_short_column_of_names_no_column_of_codes(tmp_path):
    """'…, Stand 31.12.2021' above a ';' table: its comma made it a header of two columns, the table's lines all
    'broken' and taken for its footer; two names in 'Gemeinde' were called rows without a code; and the header was
    proposed at the blank line above it."""
    from ml.suggest import find_header

    path = write(tmp_path / "t.csv", "Sozialmonitoring 2022\nTabelle 1: Bevölkerung nach Gemeinden, Stand 31.12.2021\n"
                                     "\nGemeinde;Einwohner\nKranichau;4188\nNeutal;2770\n")
    table, line, titles, _ = find_header(path)
    assert table.header == ["Gemeinde", "Einwohner"] and table.cells.num_rows == 2
    assert line == 4        # the header's own line, not the blank line above it
    assert titles[:2] == ["Sozialmonitoring 2022", "Tabelle 1: Bevölkerung nach Gemeinden Stand 31.12.2021"]
    s = suggest_mapping(path, CATALOG)
    assert s.region_column == "Gemeinde" and s.period == "2021"
    assert not any("without a code" in n for n in s.notes)


def test_a_list_of_codes_without_names_says_the_codes_serve_as_names(shared_data, store, settings, tmp_path):
    """The atlas's table of the 12 Bezirke holds codes and values, no names: proposed as a region list, the codes are
    the names until a list that names them is imported, which then names them."""
    path = (shared_data / "berlin_gssa_2013_2022_open_lifeworlds"
            / "berlin-lor-health-and-social-structure-atlas-2022-00-districts.csv")
    s = suggest_mapping(path, CATALOG, regions=True)
    assert s.format == "regions" and s.region_column == "id" and s.name_column is None
    assert any("and no names: the codes serve as names until a list that names them is imported" in n
               for n in s.notes)
    mapping = load_mapping(_yaml_file(s.to_yaml().replace("# level: stadtteil", "level: bezirk")))
    assert ingest_file(path, store, settings, mapping=mapping).rows_accepted == 12
    assert ingest_file(write(tmp_path / "namen.csv", "id;name;level\n01;Mitte;bezirk\n"), store, settings).status \
        == "ok"
    names = store.regions().set_index("region_id")["name"]
    assert names["01"] == "Mitte" and names["02"] == "02"


def test_a_column_named_only_insgesamt_counts_what_the_title_names(tmp_path, settings):
    """'Insgesamt' beside the kinds of a breakdown counts what the title says the table counts: the residents aged
    65 and older where the title names those ages, not all residents; without a title, the file's name decides."""
    body = "Stadtteil;Insgesamt;Frauen\nAltstadt;1.204;702\nNeustadt;980;560\n"
    titled = write(tmp_path / "tabelle_2_4.csv", "Tabelle 2.4: Einwohner 65 Jahre und älter nach Stadtteilen, "
                                                 "31.12.2022\n\n" + body)
    s = suggest_mapping(titled, CATALOG)
    assert {m.column: m.indicator_id for m in s.matches}.get("Insgesamt") == "ew_65plus"
    plain = write(tmp_path / "einwohner.csv", body)
    assert {m.column: m.indicator_id for m in suggest_mapping(plain, CATALOG).matches}.get("Insgesamt") == "einwohner"

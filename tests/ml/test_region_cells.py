"""Region cells read before an import: a code and a name in one cell ('0011-Großmarkt'), a level column's own words
('Verkehrszellen'), plural level words; and a share or rate whose header writes another base than the catalog's."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml
from hypothesis import given, settings as hsettings, strategies as st

from ml.importers import MappingError, ingest_file, load_mapping
from ml.importers.region_cells import split_cells, written_together
from ml.regions import canonical_level
from ml.suggest import matcher_for, suggest_mapping, written_base
from tests.conftest import write

MSS = "berlin_mss_447plr_cschwab1"

GEBIETE = ("Ebene,Gebiet,Arbeitslose pro 100 EW 18-60 J.\n"
           "Statistische Gebiete,001-Westhafen,20.0\n"
           "Statistische Gebiete,002-Turmstraße,17.4\n"
           "Statistische Gebiete,195-Hönow-West ,19.3\n"
           "Berlin-Statistische Gebiete,Berlin,13.9\n")
ZELLEN = ("Verkehrszellen,Ausländer pro 100 EW\n"
          "0011-Großmarkt,21.7\n"
          "0012-Putlitzstraße,21.3\n"
          '"1951-Riesaer Straße, Hellersdorf",15.1\n'
          "Berlin,14.2\n")


@pytest.mark.parametrize("cell, code, name", [
    ("0011-Großmarkt", "0011", "Großmarkt"),
    ("14522 Mittelsachsen", "14522", "Mittelsachsen"),
    ("01 - Altstadt", "01", "Altstadt"),
    ("1.1: Altstadt-Nord", "1.1", "Altstadt-Nord"),
    ("195-Hönow-West ", "195", "Hönow-West"),
    ("1772-Suermondtstr., Hauptstr.", "1772", "Suermondtstr., Hauptstr."),
    ("Berlin", "Berlin", "Berlin"),             # no number: the whole text is both
    ("12103115", "12103115", "12103115"),       # a code alone
    ("2. Bezirk", "2. Bezirk", "2. Bezirk"),    # an ordinal, no code
])
def test_a_cell_is_read_as_a_code_and_a_name(cell, code, name):
    codes, names, both = split_cells(pd.Series([cell]))
    assert (codes[0], names[0], bool(both[0])) == (code, name, code != name)


@hsettings(max_examples=200, deadline=None)
@given(code=st.from_regex(r"\d{1,8}", fullmatch=True),
       name=st.from_regex(r"[A-Za-zÄÖÜäöüß][A-Za-zäöüß.\-]{0,15}( [A-Za-zäöüß][a-z.]{0,10}){0,2}",
                          fullmatch=True),
       sep=st.sampled_from(["-", " ", " - ", ": ", "–", " – "]))
def test_any_number_and_name_are_read_apart_again(code, name, sep):
    codes, names, both = split_cells(pd.Series([f"{code}{sep}{name}"]))
    assert bool(both[0]) and codes[0] == code and names[0] == name


def test_a_column_of_names_or_of_codes_alone_is_not_written_together():
    assert written_together(pd.Series(["0011-Großmarkt", "0012-Putlitzstraße", "0021-Emdener Straße", "Berlin"]))
    assert not written_together(pd.Series(["Westhafen", "Turmstraße", "Hönow-West", "Berlin"]))
    assert not written_together(pd.Series(["12103115", "12103116", "12103117"]))
    assert not written_together(pd.Series(["0011-Großmarkt", "0012-Putlitzstraße"]))      # too few to tell


def test_plural_level_words_are_levels():
    assert [canonical_level(w) for w in ("Bezirke", "Planungsräume", "Gemeinden", "Stadtteile", "Ortschaften",
                                        "Sozialräume", "Kreise")] == [
        "bezirk", "planungsraum", "gemeinde", "stadtteil", "ortsteil", "sozialregion", "kreis"]
    assert canonical_level("Verkehrszellen") is None


def test_levels_must_name_levels_of_the_store(tmp_path):
    with pytest.raises(MappingError, match="'Verkehrszellen': 'zelle'.*a level is one of land"):
        load_mapping(write(tmp_path / "m.yaml", "format: regions\nlevels: {'Verkehrszellen': zelle}\n"))


def test_a_region_list_of_codes_and_names_in_one_cell_with_levels_of_its_own(store, settings, tmp_path, catalog):
    s = suggest_mapping(write(tmp_path / "gebiete.csv", GEBIETE), catalog, regions=True)
    assert s.code_and_name and s.unknown_levels == {"Statistische Gebiete": 3, "Berlin-Statistische Gebiete": 1}
    text = s.to_yaml()
    assert "code_and_name: true" in text and "#   'Statistische Gebiete': ?   # 3 rows" in text
    # the analyst names the level of the file's word
    mapping = text.replace("# levels:", "levels:").replace("#   'Statistische Gebiete': ?", "  'Statistische Gebiete': "
                                                                                         "bezirksregion")
    assert yaml.safe_load(mapping)["levels"] == {"Statistische Gebiete": "bezirksregion"}
    report = ingest_file(tmp_path / "gebiete.csv", store, settings,
                         mapping=load_mapping(write(tmp_path / "m.yaml", mapping)))
    assert (report.rows_accepted, report.rows_quarantined) == (3, 1)
    regions = store.regions().set_index("region_id")
    assert regions.loc["001", "name"] == "Westhafen" and regions.loc["195", "name"] == "Hönow-West"
    assert set(regions["level"]) == {"bezirksregion"}
    assert any("3 of 4 cells of 'Gebiet' read as a code and a name ('001-Westhafen': '001', 'Westhafen'); 1 without "
               "a number kept whole" in n for n in report.notes)
    reasons = store.quarantine(report.import_id)["reason"].tolist()
    assert reasons == ["unknown level (allowed: land, kreis, sozialregion, gemeinde, bezirk, prognoseraum, "
                       "bezirksregion, stadtteil, ortsteil, planungsraum; a word of the file's own: name its level "
                       "with levels: in the mapping)"]


def test_values_of_regions_written_with_their_names_land_on_the_codes(store, settings, tmp_path, catalog):
    assert ingest_file(write(tmp_path / "r.csv", "region_id,name,level\n0011,Großmarkt,planungsraum\n"
                             "0012,Putlitzstraße,planungsraum\n1951,Riesaer Straße,planungsraum\n"),
                       store, settings).status == "ok"
    s = suggest_mapping(write(tmp_path / "vz_2003.csv", ZELLEN), catalog)
    assert s.region_column == "Verkehrszellen" and s.code_and_name
    mapping = yaml.safe_load(s.to_yaml())
    mapping["columns"] = {"Ausländer pro 100 EW": "auslaender_anteil"}
    report = ingest_file(tmp_path / "vz_2003.csv", store, settings,
                         mapping=load_mapping(write(tmp_path / "m.yaml", yaml.safe_dump(mapping))))
    assert (report.rows_accepted, report.rows_quarantined) == (3, 1)
    values = store.con.execute("SELECT region_id, value FROM observations ORDER BY 1").fetchall()
    assert values == [("0011", 21.7), ("0012", 21.3), ("1951", 15.1)]


def test_a_header_writing_another_base_is_not_matched_to_a_rate_per_1000(catalog):
    assert written_base("Wanderungs-saldo pro 100 EW") == 100 and written_base("je 1.000 Einwohner") == 1000
    assert written_base("Anteil in %") == 100 and written_base("Veränderung in Prozentpunkten") is None
    matcher = matcher_for(catalog)
    assert matcher.match("Wanderungssaldo je 1.000 Einwohner", "decimal").indicator_id == "wanderungssaldo"
    assert matcher.match("Wanderungs-saldo pro 1000 EW", "decimal").indicator_id == "wanderungssaldo"
    assert matcher.match("Wanderungs-saldo pro 100 EW", "decimal").indicator_id != "wanderungssaldo"
    assert matcher.match("Ausländer pro 100 EW", "decimal").indicator_id == "auslaender_anteil"


def test_the_period_is_the_stand_the_headers_name_and_a_column_of_dates_is_left_aside(tmp_path, catalog):
    """Two editions named for the year after their stand: one's headers write 'am 31.12.02', the other's '2004' and
    a 'Jahr' column of dates. Read from the headers, both are their stands, two years apart; by the file names and the
    headers mixed, they would have been a year apart."""
    older = suggest_mapping(write(tmp_path / "2003_vz.csv", "Gebiet,Arbeitslose 31.12.02 pro 100 EW,Langzeit-"
                                  "arbeitslose am 31.12.02 pro 100 EW,Ausländer pro 100 EW\n0011-A,1,2,3\n"
                                  "0012-B,1,2,3\n0021-C,1,2,3\n"), catalog)
    assert (older.period, older.period_source) == ("2002", "the headers")
    assert any(n.startswith("2 of the headers name 2002") for n in older.notes)
    later = suggest_mapping(write(tmp_path / "2005_vz.csv", "Gebiet,Jahr,Ausländer pro 100 EW am 31.12.2004,Über "
                                  "64-Jährige pro 100 EW 2004\n0011-A,31/ Dec 04,3,4\n0012-B,31/ Dec 04,3,4\n"
                                  "0021-C,31/ Dec 04,3,4\n"), catalog)
    text = later.to_yaml()
    assert later.period == "2004" and "period_column" not in text and "ignore_columns: ['Jahr']   # no periods" in text
    assert any(n.startswith("'Jahr' holds no period the import reads ('31/ Dec 04'") for n in later.notes)
    # a file named for the year its headers name, and one whose headers name several years, keep their reading
    same = suggest_mapping(write(tmp_path / "2004_vz.csv", "Gebiet,A am 31.12.2004,B 2004\n0011-A,3,4\n0012-B,3,"
                                 "4\n0021-C,3,4\n"), catalog)
    mixed = suggest_mapping(write(tmp_path / "2005_x.csv", "Gebiet,A am 31.12.2003,B 2004\n0011-A,3,4\n0012-B,3,"
                                  "4\n0021-C,3,4\n"), catalog)
    assert (same.period, mixed.period, mixed.period_source) == ("2004", "2005", "the file name")


def test_the_mss_of_2005_on_its_grid_before_the_lor(store, settings, shared_data, tmp_path):
    """The real tables: 195 Statistische Gebiete, then the 338 Verkehrszellen below them (their parent: the first
    three digits of their code)."""
    folder = shared_data / MSS
    gebiete = ("format: regions\nregion_column: 'Gebiet'\ncode_and_name: true\n"
               "levels: {'Statistische Gebiete': bezirksregion}\n")
    zellen = ("format: regions\nregion_column: 'Gebiet'\ncode_and_name: true\n"
              "levels: {'Verkehrszellen': planungsraum}\nparent_code: 3\n")
    first = ingest_file(folder / "2005_MSS_SG_cut.csv", store, settings,
                        mapping=load_mapping(write(tmp_path / "sg.yaml", gebiete)))
    second = ingest_file(folder / "2005_MSS_cut.csv", store, settings,
                         mapping=load_mapping(write(tmp_path / "vz.yaml", zellen)))
    assert (first.status, first.rows_accepted, second.status, second.rows_accepted) == ("ok", 195, "ok", 338)
    regions = store.regions().set_index("region_id")
    assert regions.loc["0011", ["name", "parent_id", "level"]].tolist() == ["Großmarkt", "001", "planungsraum"]
    assert regions.loc["001", "name"] == "Westhafen"
    assert regions.loc["1772", "name"] == "Suermondtstr., Hauptstr."      # a name with a comma, quoted
    assert regions[regions["level"] == "planungsraum"]["parent_id"].isin(regions.index).all()


def test_levels_without_a_level_column_and_code_and_name_without_a_region_column_are_refused(store, settings,
                                                                                             tmp_path):
    table = write(tmp_path / "r.csv", "Gebiet,Name\n0011,Großmarkt\n0012,Putlitzstraße\n")
    report = ingest_file(table, store, settings, mapping=load_mapping(write(
        tmp_path / "m.yaml", "format: regions\nregion_column: 'Gebiet'\nlevels: {'Verkehrszellen': planungsraum}\n")))
    assert report.status == "failed" and "levels names the level of the words of a level column" in report.message
    report = ingest_file(write(tmp_path / "w.csv", "Wert,Ausländer pro 100 EW\n1,2\n"), store, settings,
                         mapping=load_mapping(write(tmp_path / "n.yaml", "format: wide\ncode_and_name: true\n")))
    assert report.status == "failed" and "code_and_name reads each region's code and name" in report.message
    assert store.regions().empty

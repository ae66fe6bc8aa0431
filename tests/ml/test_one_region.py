"""Tables of the whole city, one region over the years: its foreigners by residence status, printed with the years
across (the Ausländerbehörde's table of Flensburg's Sozialatlas), and its residents by age with the years down.
Read turned by the years alone, matched where the catalog has the rows, imported with ``region:``; the age groups
give the city its counts by age (all residents, 65 and older) in the values ``features`` stores of it."""

import csv

import pandas as pd

import pytest

from ml.catalog import effective_catalog
from ml.importers import detect_format, ingest_file, load_mapping
from ml.importers.mapping import Mapping
from ml.io import read_table
from ml.suggest import suggest_mapping
from tests.conftest import write

STATUS = [("permanent_residency", "Unbefristetes Aufenthaltsrecht", "aufenthalt_unbefristet"),
          ("permanent_residency_according_eu_freedom_movement_act", "davon nach dem FreizügG/EU",
           "aufenthalt_freizuegig"),
          ("permanent_residency_third_country_nationality", "davon Drittstaatsangehörige mit Niederlassungserlaubnis",
           "aufenthalt_niederlassung"),
          ("without_permanent_residency", "Befristeter Aufenthaltstitel", "aufenthalt_befristet"),
          ("asylum_seeker", "Aufenthaltsgestattung (Asylsuchende)", "asylsuchende"),
          ("suspension_of_deportation", "Duldung", "geduldete")]
"""The real table's columns, the labels a German print gives its rows, and the catalog indicator each is."""

CITY = "region_id;name;level\n01001;Flensburg;kreis\n"


def _dotted(v) -> str:
    return f"{int(v):,}".replace(",", ".")


def _status_print(shared_data, tmp_path):
    """The Ausländerbehörde's real counts (2016–2021), printed as a Sozialatlas prints them: a title, the status down,
    the years across, thousands with a dot, the source under the table. Returns (path, {(indicator, year): value})."""
    rows = list(csv.DictReader(open(shared_data / "flensburg_sozialatlas" / "csv" /
                                    "fl_non_german_nationals_residence_status.csv", encoding="utf-8")))
    text = ("Tabelle 7: Ausländerinnen und Ausländer in Flensburg nach Aufenthaltsstatus (jeweils 31.12.)\n\n"
            "Aufenthaltsstatus;" + ";".join(r["year"] for r in rows) + "\n"
            + "".join(label + ";" + ";".join(_dotted(r[col]) for r in rows) + "\n" for col, label, _ in STATUS)
            + "\nQuelle: Ausländerzentralregister; Stadt Flensburg, Ausländerbehörde\n")
    expected = {(ind, r["year"]): float(r[col]) for col, _, ind in STATUS for r in rows}
    return write(tmp_path / "aufenthaltsstatus.csv", text), expected


def test_the_citys_foreigners_by_residence_status_are_read_turned_matched_and_imported(shared_data, tmp_path):
    """On the command line, as an analyst goes: the city into the store, the suggestion (the rows matched, the city
    named by the title as the table's one region), the import of the suggestion as written."""
    from ml.store import Store
    from tests.conftest import cli_with

    path, expected = _status_print(shared_data, tmp_path)
    config = write(tmp_path / "sozialradar.yaml", f"store:\n  path: {tmp_path / 'monitoring.duckdb'}\n"
                   "features:\n  level: stadtteil\n")
    run = cli_with(config, tmp_path / "q")
    run("ingest", write(tmp_path / "stadt.csv", CITY + "1;Altstadt;stadtteil\n2;Neustadt;stadtteil\n"))
    said = run("mapping", "suggest", path, "--out", tmp_path / "m.yaml")
    assert "6 columns matched, 0 without a match" in said
    assert "the header's 6 cells are years, 6 of its 6 rows name catalog indicators" in said
    assert "a table of one region: its title or file name names 'Flensburg', the store's region 01001" in said
    assert "no region column found" not in said
    mapping = load_mapping(tmp_path / "m.yaml")
    assert mapping.region == "01001" and mapping.regions_in_columns
    assert {c: spec for c, spec in mapping.columns.items()} == {label: ind for _, label, ind in STATUS}
    out = run("ingest", path, "--mapping", tmp_path / "m.yaml")
    assert f"read {len(expected)} = accepted {len(expected)} + quarantined 0" in out
    with Store(tmp_path / "monitoring.duckdb", read_only=True) as store:
        got = store.observations(region_ids=["01001"]).set_index(["indicator_id", "period"])["value"].to_dict()
    assert got == expected
    # the Unionsbürger and the Drittstaatsangehörige are the two parts of the unlimited right, in every year
    for year in {y for _, y in expected}:
        assert got[("aufenthalt_freizuegig", year)] + got[("aufenthalt_niederlassung", year)] == \
            got[("aufenthalt_unbefristet", year)]


@pytest.mark.parametrize("title, found", [
    ("Ausländerinnen und Ausländer in Flensburg nach Aufenthaltsstatus", "01001"),
    ("Einwohner der Stadt Flensburg, Stand 31.12.", "01001"),
    ("Altstadt und Neustadt im Vergleich", None),               # two regions: which one is not said
    ("Ausländer in Flensburger Betrieben", None),                # no word of its own
    ("Bevölkerung in Flensburg-Mürwik", "11"),                   # the longer name, not its part
    ("Bevölkerung nach Altersgruppen", None),
])
def test_the_title_names_the_tables_one_region_where_it_names_one(tmp_path, settings, title, found):
    places = {"01001": "Flensburg", "1": "Altstadt", "2": "Neustadt", "11": "Flensburg-Mürwik"}
    path = write(tmp_path / "t.csv", f"{title}\nJahr;Einwohner;Arbeitslose\n2021;90.164;4.410\n2022;91.113;4.102\n")
    s = suggest_mapping(path, effective_catalog(settings, []), places=places)
    assert s.region == found and s.region_column is None
    assert (f"region: '{found}'" in s.to_yaml()) if found else ("# region: ''" in s.to_yaml())


def test_a_file_named_for_its_one_region_is_that_regions_table(tmp_path, settings):
    path = write(tmp_path / "einwohner_muerwik_2015-2022.csv", "Jahr;Einwohner\n2021;14.100\n2022;14.250\n")
    s = suggest_mapping(path, effective_catalog(settings, []), places={"01001": "Flensburg", "11": "Mürwik"})
    assert s.region == "11" and "region: '11'   # the table's one region: 'Mürwik' in its title or file name" in \
        s.to_yaml()


def test_a_table_of_several_rows_per_period_is_not_given_the_titles_region(tmp_path, settings):
    path = write(tmp_path / "t.csv", "Einwohner in Flensburg\nJahr;Einwohner\n2021;5.100\n2021;4.800\n")
    s = suggest_mapping(path, effective_catalog(settings, []), places={"01001": "Flensburg"})
    assert s.region is None and any(n.startswith("no region column found") for n in s.notes)


def test_a_table_of_years_across_is_read_turned_whatever_its_rows_name(tmp_path, settings):
    """Rows the catalog lacks (a library's loans): the years across make it one region's table all the same, its
    rows listed as columns without a match, not a table of the regions '2020', '2021'."""
    path = write(tmp_path / "bibliothek.csv", "Kennwert der Stadtbibliothek;2020;2021;2022\nEntleihungen;412.300;"
                 "388.120;401.950\nBesuche;201.400;150.220;233.870\nVeranstaltungen;310;122;405\n")
    s = suggest_mapping(path, effective_catalog(settings, []))
    assert s.regions_in_columns and s.period_column == "Jahr" and s.region_column is None
    assert s.unmatched == ["Entleihungen", "Besuche", "Veranstaltungen"] and not s.matches
    assert any(n.startswith("the years stand in the header and each row is an indicator (the header's 3 cells "
                            "are years)") for n in s.notes)
    assert not any(n.startswith("no region column found") for n in s.notes)
    # a breakdown in the corner (the Schuldnerberatung's clients by household type): its kinds down, turned too
    kinds = write(tmp_path / "schuldnerberatung.csv", "Haushaltstyp;2021;2022\nalleinlebende Männer;767;386\n"
                  "alleinerziehende Mütter;381;210\nPaare mit Kindern;528;198\n")
    s = suggest_mapping(kinds, effective_catalog(settings, []))
    assert s.regions_in_columns and s.unmatched == ["alleinlebende Männer", "alleinerziehende Mütter",
                                                    "Paare mit Kindern"]


@pytest.mark.parametrize("corner", ["Gemeinde", "Name", "", "Gemeindeschlüssel", "Bezirk"])
def test_regions_down_with_the_years_across_are_not_turned(tmp_path, settings, corner):
    """The usual series per region, one indicator over the years: its rows are the regions, whatever it counts."""
    path = write(tmp_path / "einwohner.csv", f"Einwohner nach Gemeinden\n{corner};2019;2020;2021\nKranichau;4.210;"
                 "4.230;4.250\nNeutal;2.761;2.750;2.740\nWaldheim;3.050;3.010;3.000\n")
    s = suggest_mapping(path, effective_catalog(settings, []))
    assert not s.regions_in_columns and s.region_column == corner


def test_rows_that_are_the_stores_regions_are_regions_whatever_the_corner_says(tmp_path, settings):
    places = pd.DataFrame({"region_id": ["1", "2", "3"], "name": ["Kranichau", "Neutal", "Waldheim"],
                           "level": "gemeinde", "parent_id": None})
    path = write(tmp_path / "t.csv", "Arbeitslose im Jahresdurchschnitt;2020;2021\nKranichau;131;120\nNeutal;74;80\n"
                 "Waldheim;97;90\n")
    assert not suggest_mapping(path, effective_catalog(settings, []), places=places).regions_in_columns
    # without a store too: the corner names one indicator, counted per row over the years
    assert not suggest_mapping(path, effective_catalog(settings, [])).regions_in_columns
    other = write(tmp_path / "t2.csv", "Stand am 31.12.;2020;2021\nKranichau;131;120\nNeutal;74;80\nWaldheim;97;90\n")
    assert not suggest_mapping(other, effective_catalog(settings, []), places=places).regions_in_columns


AGES = ("Einwohnerinnen und Einwohner der Stadt nach Altersgruppen (31.12.)\n"
        "Jahr;unter 18 Jahre;18 bis unter 30 Jahre;30 bis unter 45 Jahre;45 bis unter 65 Jahre;65 bis unter 80 Jahre;"
        "80 Jahre und älter\n"
        "2021;14.947;19.330;19.457;24.785;12.885;6.478\n"
        "2022;15.295;19.406;20.036;25.121;12.930;6.553\n"
        "Quelle: Melderegister\n")
"""The whole city's residents by age (Flensburg's, 2021 and 2022), one row per year, no region column."""


def test_the_citys_residents_by_age_are_a_table_by_age_of_one_region(tmp_path, store, settings):
    from features.pipeline import other_level_values

    path = write(tmp_path / "alter.csv", AGES)
    assert detect_format(read_table(path, header_line=2).header) == "age"
    s = suggest_mapping(path, effective_catalog(settings, []))
    assert s.format == "age" and s.period_column == "Jahr" and s.region_column is None
    assert any("set region: its code or name" in n for n in s.notes)
    assert ingest_file(write(tmp_path / "stadt.csv", CITY), store, settings).status == "ok"
    without = ingest_file(path, store, settings, mapping=Mapping(header_line=2, format="age"))
    assert without.status == "failed" and "region: its code or name" in without.message
    mapping = load_mapping(write(tmp_path / "m.yaml", s.to_yaml().replace("# region: ''", "region: '01001'")))
    report = ingest_file(path, store, settings, mapping=mapping)
    assert report.status == "ok" and report.format == "age" and report.rows_quarantined == 0
    obs = store.observations(region_ids=["01001"])
    assert obs["indicator_id"].str.startswith("ew_alter_").sum() == 12
    # the page of the city reads its residents, those 65 and older and their share, summed from the groups
    values = other_level_values(obs, store.regions(), effective_catalog(settings, []), settings)
    got = values.set_index(["indicator_id", "period"])["value"]
    assert got[("einwohner", "2022")] == 15295 + 19406 + 20036 + 25121 + 12930 + 6553
    assert got[("ew_65plus", "2021")] == 12885 + 6478
    assert got[("anteil_65plus", "2022")] == pytest.approx(100 * (12930 + 6553) / 99341)
    assert not values["indicator_id"].str.startswith("ew_alter_").any()
    # as the features job calls it, with the counts by age the pipeline summed: the same values
    from features.age_counts import age_counts

    counted, _ = age_counts(obs, effective_catalog(settings, []), settings.features.population_indicator)
    again = other_level_values(counted, store.regions(), effective_catalog(settings, []), settings, counted=True)
    pd.testing.assert_frame_equal(again, values)


def test_the_city_becomes_the_parent_of_its_stadtteile_list_by_one_line(shared_data, tmp_path, store, settings):
    """Flensburg's real list of Stadtteile names no parent; the store holds the city, imported as a list of one row:
    the suggestion proposes it as every Stadtteil's parent (commented out), and 'parent:' makes it so."""
    districts = shared_data / "flensburg_sozialatlas" / "csv" / "fl_district.csv"
    assert ingest_file(write(tmp_path / "stadt.csv", CITY), store, settings).status == "ok"
    as_regions = Mapping(format="regions", region_column="id", name_column="name", level="stadtteil")
    assert ingest_file(districts, store, settings, mapping=as_regions).status == "ok"
    s = suggest_mapping(districts, effective_catalog(settings, []), places=store.region_names())
    assert s.format == "regions" and s.parent == "01001"
    assert "# parent: '01001'   # every region's parent: Flensburg (kreis), the store's one region above the list" in \
        s.to_yaml()
    text = s.to_yaml().replace("# parent:", "parent:").replace("# level: stadtteil", "level: stadtteil")
    report = ingest_file(districts, store, settings, mapping=load_mapping(write(tmp_path / "m.yaml", text)))
    assert report.status == "ok" and "parent: every region of the list (13) lies in 01001" in report.notes
    regions = store.region_names().set_index("region_id")
    assert (regions.loc[regions["level"] == "stadtteil", "parent_id"] == "01001").sum() == 13
    assert pd.isna(regions.loc["01001", "parent_id"])
    # now that the store has them under the city, nothing is proposed
    assert suggest_mapping(districts, effective_catalog(settings, []), places=store.region_names()).parent is None


def test_one_parent_is_a_region_the_store_holds_and_no_list_names_parents_beside_it(tmp_path, store, settings):
    path = write(tmp_path / "st.csv", "id;name\n1;Altstadt\n2;Neustadt\n")
    refused = ingest_file(path, store, settings, mapping=Mapping(format="regions", region_column="id",
                                                                 name_column="name", level="stadtteil", parent="01001"))
    assert refused.status == "failed" and "parent: '01001' is no region of the store or of this list" in refused.message
    with pytest.raises(ValueError, match="parent .* and parent_column exclude each other"):
        Mapping(format="regions", parent="01001", parent_column="Stadt")
    with_column = write(tmp_path / "st2.csv", "id;name;parent\n1;Altstadt;01001\n")
    assert ingest_file(write(tmp_path / "stadt.csv", CITY), store, settings).status == "ok"
    both = ingest_file(with_column, store, settings, mapping=Mapping(format="regions", region_column="id",
                                                                     name_column="name", level="stadtteil",
                                                                     parent="01001"))
    assert both.status == "failed" and "and the file has a parent column 'parent'" in both.message


def test_no_parent_is_proposed_where_two_regions_could_be_it(tmp_path, settings):
    places = pd.DataFrame({"region_id": ["01001", "01002", "1"], "name": ["Flensburg", "Kiel", "Altstadt"],
                           "level": ["kreis", "kreis", "stadtteil"], "parent_id": [None, None, None]})
    path = write(tmp_path / "st.csv", "id;name\n1;Altstadt\n2;Neustadt\n")
    assert suggest_mapping(path, effective_catalog(settings, []), places=places).parent is None
    assert suggest_mapping(path, effective_catalog(settings, []), places=places.iloc[[0, 2]]).parent == "01001"


def test_the_stores_one_region_above_all_others_is_proposed_commented_out_where_no_title_names_one(tmp_path,
                                                                                                   settings):
    """A table of one region whose title names none: the store's one region above all others is proposed, commented
    out (the analyst says whether the table is its). Not where two regions could be it, nor where the store's regions
    stand side by side, nor for a table without a period column (its region column may just not be found)."""
    places = pd.DataFrame({"region_id": ["01001", "1", "2"], "name": ["Flensburg", "Altstadt", "Neustadt"],
                           "level": ["kreis", "stadtteil", "stadtteil"], "parent_id": [None, "01001", "01001"]})
    path = write(tmp_path / "t.csv", "Ratsuchende nach Jahren\nJahr;Ratsuchende\n2021;2489\n2022;1235\n")
    s = suggest_mapping(path, effective_catalog(settings, []), places=places)
    assert s.region == "01001" and s.region_unnamed
    assert "# region: '01001'   # the store's one region above all others, Flensburg (kreis): no title line names " \
           "a region; remove the '# ' if the table is its" in s.to_yaml()
    assert any("the store's one region above all others, Flensburg (kreis), is proposed" in n for n in s.notes)
    two = pd.concat([places, pd.DataFrame({"region_id": ["01002"], "name": ["Kiel"], "level": ["kreis"],
                                           "parent_id": [None]})], ignore_index=True)
    flat = places.assign(level="stadtteil", parent_id=None)
    for other in (two, flat):
        s = suggest_mapping(path, effective_catalog(settings, []), places=other)
        assert s.region is None and "# region: ''" in s.to_yaml()
    no_period = write(tmp_path / "u.csv", "Ratsuchende;Beratungen\n10;20\n12;30\n")
    s = suggest_mapping(no_period, effective_catalog(settings, []), places=places)
    assert s.region is None and not s.region_unnamed

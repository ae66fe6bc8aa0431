"""Region lists written as a hierarchy (one row per finest region, a code and a name column per level), as cities
publish their LOR or Stadtteil keys: recognised by the suggestion, imported as regions of every level with parents."""

import re
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings as hsettings
from hypothesis import strategies as st

from ml.catalog import load_catalog
from ml.config import CatalogConfig
from ml.importers import ingest_file, load_mapping
from ml.importers.mapping import Mapping
from ml.importers.region_list import UNKNOWN_PARENT, adapt_regions, clean_names, pad_lost_zeros
from ml.io import read_table
from ml.suggest import suggest_mapping
from tests.conftest import write

# Berlin's shape: Bezirk 01, Prognoseraum 0101, Bezirksregion 010111, Planungsraum 01011101; the codes of the finer
# levels count only under their parent; names written only on a region's first row (merged cells), one wrapped
HIERARCHY = (
    "bezirk_id,bezirk_name,prg_id,prg_name,bzr_id,bzr_name,pnr_id,pnr_name\n"
    "01,Mitte,01,Zentrum,11,Tiergarten Süd,01,Stülerstr.\n"
    "01,Mitte,01,Zentrum,11,Tiergarten Süd,02,Großer Tiergarten\n"
    "01,Mitte,02,Moabit,12,Moabit West,03,Huttenkiez\n"
    '02,Friedrichshain-Kreuzberg,01,"Kreuzberg\n   Nord",11,"Südliche-\nFriedrichstadt",01,Askanischer Platz\n'
    "02,Friedrichshain-Kreuzberg,01, ,11, ,02,Mehringplatz\n"
)


@pytest.fixture(scope="module")
def catalog():
    cfg = CatalogConfig()
    return load_catalog(cfg.dimensions, cfg.indicators)


def test_suggested_hierarchy_imports_every_level_with_its_parent(store, settings, tmp_path, catalog):
    path = write(tmp_path / "lor.csv", HIERARCHY)
    s = suggest_mapping(path, catalog)
    assert s.format == "regions"
    assert [(h["level"], h["id"], h["local"]) for h in s.hierarchy] == [
        ("bezirk", "bezirk_id", False), ("prognoseraum", "prg_id", True), ("bezirksregion", "bzr_id", True),
        ("planungsraum", "pnr_id", True)]
    rep = ingest_file(path, store, settings, mapping=load_mapping(write(tmp_path / "m.yaml", s.to_yaml())))
    assert rep.status == "ok" and (rep.rows_read, rep.rows_accepted, rep.rows_quarantined) == (13, 13, 0)
    assert any("5 rows hold 13 regions on 4 levels" in n for n in rep.notes)
    regions = store.regions().set_index("region_id")
    assert regions["level"].value_counts().to_dict() == {
        "planungsraum": 5, "bezirksregion": 3, "prognoseraum": 3, "bezirk": 2}
    # the same local code under two parents is two regions; the full code is the parent's followed by its own
    assert regions.loc["01011101", ["name", "parent_id"]].tolist() == ["Stülerstr.", "010111"]
    assert regions.loc["02011101", ["name", "parent_id"]].tolist() == ["Askanischer Platz", "020111"]
    assert regions.loc["0201", "name"] == "Kreuzberg Nord" and regions.loc["020111", "name"] == "Südliche-Friedrichstadt"
    assert regions.loc["02011102", "parent_id"] == "020111" and pd.isna(regions.loc["01", "parent_id"])


def test_asked_for_as_a_region_list_the_hierarchy_is_found_too(tmp_path, catalog):
    """'mapping suggest --regions' on a key written as a hierarchy proposes the same hierarchy as without it (before,
    it proposed no column: 'codes in None'); a table with no column of places says so in words."""
    path = write(tmp_path / "lor.csv", HIERARCHY)
    plain, asked = suggest_mapping(path, catalog), suggest_mapping(path, catalog, regions=True)
    assert asked.format == "regions" and asked.hierarchy == plain.hierarchy and asked.to_yaml() == plain.to_yaml()
    numbers = suggest_mapping(write(tmp_path / "n.csv", "wert;anzahl\n1,5;3\n2,5;4\n"), catalog, regions=True)
    assert numbers.region_column is None and "None" not in " ".join(numbers.notes)
    assert numbers.notes[0].startswith("a region list, but no column of codes or names was found: name it")


def test_a_level_the_suggestion_cannot_name_is_left_to_the_analyst(store, settings, tmp_path, catalog):
    text = "amt_id,amt_name,viertel_id,viertel_name\n1,Nord,11,Hafen\n1,Nord,12,Altstadt\n2,Süd,21,Heide\n"
    s = suggest_mapping(write(tmp_path / "key.csv", text), catalog)
    assert [(h["level"], h["local"]) for h in s.hierarchy] == [(None, False), (None, False)]
    assert "level: '', id: 'amt_id'" in s.to_yaml() and "# set the level: land|" in s.to_yaml()
    fixed = s.to_yaml().replace("level: '', id: 'amt_id'", "level: bezirk, id: 'amt_id'").replace(
        "level: '', id: 'viertel_id'", "level: stadtteil, id: 'viertel_id'")
    rep = ingest_file(write(tmp_path / "key.csv", text), store, settings,
                      mapping=load_mapping(write(tmp_path / "m.yaml", fixed)))
    assert rep.status == "ok" and rep.rows_accepted == 5
    assert store.regions().set_index("region_id").loc["12", "parent_id"] == "1"
    # as suggested, the import quarantines every region for its missing level instead of guessing one
    unset = ingest_file(write(tmp_path / "key2.csv", text), store, settings,
                        mapping=load_mapping(write(tmp_path / "m2.yaml", s.to_yaml())))
    assert unset.rows_accepted == 0 and unset.rows_quarantined == 5


def test_berlins_lor_2021_key_with_bracketed_headers_and_a_named_bezirk(shared_data, store, settings, tmp_path,
                                                                        catalog):
    """Berlin's key of the 542 Planungsräume (2021): 'Planungsraum (Nummer)'/'Planungsraum (Name)' pairs and a
    'Bezirk' column of names, beside a UUID, the area and the date of the data."""
    key = shared_data / "berlin_mss" / "LOR_2021.csv"
    s = suggest_mapping(key, catalog)
    assert s.format == "regions" and [(h["level"], h["id"], h["name"], h["local"]) for h in s.hierarchy] == [
        ("bezirk", "Bezirk", None, False),
        ("prognoseraum", "Prognoseraum (Nummer)", "Prognoseraum (Name)", False),
        ("bezirksregion", "Bezirksregion (Nummer)", "Bezirksregion (Name)", False),
        ("planungsraum", "Planungsraum (Nummer)", "Planungsraum (Name)", False)]
    assert "{level: 'bezirk', id: 'Bezirk'}" in s.to_yaml()
    rep = ingest_file(key, store, settings, mapping=load_mapping(write(tmp_path / "lor.yaml", s.to_yaml())))
    assert rep.status == "ok" and rep.rows_quarantined == 0
    regions = store.regions().set_index("region_id")
    assert regions["level"].value_counts().to_dict() == {
        "planungsraum": 542, "bezirksregion": 143, "prognoseraum": 58, "bezirk": 12}
    assert regions.loc["01100101", ["name", "parent_id"]].tolist() == ["Stülerstraße", "011001"]
    assert regions.loc["0110", ["name", "parent_id"]].tolist() == ["Zentrum", "Mitte"]
    assert regions.loc["Mitte", "level"] == "bezirk" and pd.isna(regions.loc["Mitte", "parent_id"])


def test_a_level_named_alone_needs_code_and_name_pairs_beside_it(tmp_path, catalog):
    """'Bezirk' alone beside one pair is no key; 'techn. Schlüssel (UUID)' is no code column of a level."""
    one_pair = "Bezirk,Planungsraum (Nummer),Planungsraum (Name)\nMitte,01100101,Stülerstraße\n"
    assert suggest_mapping(write(tmp_path / "a.csv", one_pair), catalog).hierarchy == []
    uuid = ("techn. Schlüssel (UUID),Bezirksregion (Nummer),Bezirksregion (Name),Planungsraum (Nummer),"
            "Planungsraum (Name)\nA1,011001,Tiergarten Süd,01100101,Stülerstraße\n")
    s = suggest_mapping(write(tmp_path / "b.csv", uuid), catalog)
    assert [h["id"] for h in s.hierarchy] == ["Bezirksregion (Nummer)", "Planungsraum (Nummer)"]


def test_a_data_table_with_its_regions_levels_beside_it_is_no_key(tmp_path, catalog):
    text = ("bezirk_id,bezirk_name,bzr_id,bzr_name,einwohner,arbeitslose,sgb2_empfaenger\n"
            "01,Mitte,11,Tiergarten Süd,14000,700,2100\n01,Mitte,12,Moabit,15000,800,2500\n")
    assert suggest_mapping(write(tmp_path / "t.csv", text), catalog).hierarchy == []


def test_a_region_written_with_two_names_is_quarantined(store, settings, tmp_path):
    text = HIERARCHY + "01,Mitte,02,Moabit,12,Moabit Ost,04,Beusselkiez\n"
    mapping = write(tmp_path / "m.yaml", "hierarchy:\n  - {level: bezirk, id: bezirk_id, name: bezirk_name}\n"
                    "  - {level: bezirksregion, id: bzr_id, name: bzr_name, local: true}\n")
    rep = ingest_file(write(tmp_path / "lor.csv", text), store, settings, mapping=load_mapping(mapping))
    assert rep.format == "regions" and rep.rows_read == rep.rows_accepted + rep.rows_quarantined
    q = store.quarantine(rep.import_id)
    assert set(q["value"]) == {"0112"} and q["reason"].str.contains("more than once").all()
    assert "0112" not in set(store.regions()["region_id"]) and "0111" in set(store.regions()["region_id"])


def test_a_missing_hierarchy_column_is_named(store, settings, tmp_path):
    mapping = write(tmp_path / "m.yaml", "hierarchy:\n  - {level: bezirk, id: bezirks_id, name: bezirk_name}\n")
    rep = ingest_file(write(tmp_path / "lor.csv", HIERARCHY), store, settings, mapping=load_mapping(mapping))
    assert rep.status == "failed" and "'bezirks_id'" in rep.message and "bezirk_id" in rep.message


@given(st.lists(st.sampled_from([*"abAÜü- /\n\t\r", "und", "oder"]), max_size=30).map("".join))
def test_clean_names_are_tidy_and_stable(text):
    out = clean_names(pd.Series([text])).iloc[0]
    assert out == out.strip() and "  " not in out and "\n" not in out and "\t" not in out
    assert clean_names(pd.Series([out])).iloc[0] == out
    assert out.replace(" ", "").replace("-", "").replace("/", "") == "".join(
        c for c in text if c not in " -/\n\t\r")


def test_names_broken_at_a_lines_end_are_joined(shared_data):
    """A table set from print: a word hyphenated at the line's end ('Gesund-⏎brunnen', or the break turned into
    blanks) is one word, a compound broken after its hyphen keeps it, a hyphen before 'und' stays a hyphen."""
    written = ["Gesund-        brunnen", "Friedrichs-      hain West", "Treptow- Köpenick 1", "Schöneberg-\nNord",
               "Gesund-\nbrunnen", "Nord- und Südstadt", "Ost 1 - Reginhardstr.", "Steglitz - Zehlendorf",
               "Tegel/\nSüd"]
    assert clean_names(pd.Series(written)).tolist() == [
        "Gesundbrunnen", "Friedrichshain West", "Treptow-Köpenick 1", "Schöneberg-Nord", "Gesundbrunnen",
        "Nord- und Südstadt", "Ost 1 - Reginhardstr.", "Steglitz - Zehlendorf", "Tegel/Süd"]
    # Berlin's LOR key as the open-data project prints it: every such name read whole
    key = pd.read_csv(shared_data / "berlin_bzr_kernindikatoren_tsb" / "preprocessed_lor_447plr_hierarchy.csv",
                      dtype=str)
    names = pd.concat([key[c] for c in key.columns if "name" in c]).dropna()
    assert names.str.contains(r"\w-\s").any()
    cleaned = set(clean_names(names))
    assert {"Gesundbrunnen", "Friedrichshain West", "Treptow-Köpenick 1", "Frohnau-Hermsdorf"} <= cleaned
    assert not any(re.search(r"\w-\s", n) for n in cleaned)


def test_berlins_lor_key_and_the_health_atlas_from_raw_files(shared_data, store, settings, tmp_path):
    """The path of an analyst with Berlin's LOR key and the health and social structure atlas (GSSA) 2022: the
    key as suggested, a catalog file of their own for the atlas's five indices, the atlas as suggested."""
    from ml.config import load_settings

    lor = shared_data / "berlin_bzr_kernindikatoren_tsb" / "preprocessed_lor_447plr_hierarchy.csv"
    cfg = CatalogConfig()
    s = suggest_mapping(lor, load_catalog(cfg.dimensions, cfg.indicators))
    rep = ingest_file(lor, store, settings, mapping=load_mapping(write(tmp_path / "lor.yaml", s.to_yaml())))
    assert rep.status == "ok" and rep.rows_quarantined == 0
    assert any("the codes of 15 region(s) in column 'pnr_id' are written without leading zeros" in n for n in rep.notes)
    assert store.regions()["level"].value_counts().to_dict() == {
        "planungsraum": 448, "bezirksregion": 138, "prognoseraum": 60, "bezirk": 12}
    own = write(tmp_path / "gssa.csv", "indicator_id,name,dimension,unit,polarity,kind,frequency\n"
                "gssa_gsi,Gesundheits- und Sozialindex,gesundheit,Index,-1,index,annual\n"
                "gssa_soz,Index Beschäftigung und Soziales,arbeit,Index,-1,index,annual\n"
                "gssa_erwerb,Teilindex Erwerbsleben,arbeit,Index,-1,index,annual\n"
                "gssa_status,Teilindex sozialer Status,intervention,Index,-1,index,annual\n"
                "gssa_gesundheit,Teilindex Gesundheit,gesundheit,Index,-1,index,annual\n")
    mine = load_settings(env={"SOZIALRADAR_STORE__PATH": str(settings.store.path),
                              "SOZIALRADAR_INGEST__REPORT_DIR": str(tmp_path / "q"),
                              "SOZIALRADAR_CATALOG__INDICATORS": f'["{own}"]'})
    from ml.catalog import effective_catalog

    atlas = (shared_data / "berlin_gssa_2013_2022_open_lifeworlds"
             / "berlin-lor-health-and-social-structure-atlas-2022-00-planning-areas.csv")
    s = suggest_mapping(atlas, effective_catalog(mine))
    assert s.period == "2022" and {m.column: m.indicator_id for m in s.matches} == {
        "health_and_social_index": "gssa_gsi", "employment_and_social_index": "gssa_soz",
        "working_life_sub_index": "gssa_erwerb", "social_status_sub_index": "gssa_status",
        "health_sub_index": "gssa_gesundheit"}
    rep = ingest_file(atlas, store, mine, mapping=load_mapping(write(tmp_path / "a.yaml", s.to_yaml())))
    # all 428 of the atlas's Planungsräume are in the key; 13 of them only since the key's codes written without
    # leading zeros ('0801031' for '08010301') are read with the level's two digits
    assert rep.status == "ok" and (rep.rows_accepted, rep.rows_quarantined) == (428 * 5, 0)
    obs = store.observations(region_ids=["01011103"]).set_index("indicator_id")["value"]
    assert obs["gssa_gsi"] == pytest.approx(-1.5584612)


def test_leading_zeros_a_spreadsheet_dropped_are_put_back(store, settings, tmp_path):
    """Berlin's LOR key as exported: 15 Planungsräume have '1' … '9' instead of '01' … '09', so '0801031' would
    not be the '08010301' of every data table."""
    text = HIERARCHY + "02,Friedrichshain-Kreuzberg,01,,11,,3,Wassertorplatz\n"
    mapping = write(tmp_path / "m.yaml", "hierarchy:\n  - {level: bezirk, id: bezirk_id, name: bezirk_name}\n"
                    "  - {level: prognoseraum, id: prg_id, name: prg_name, local: true}\n"
                    "  - {level: bezirksregion, id: bzr_id, name: bzr_name, local: true}\n"
                    "  - {level: planungsraum, id: pnr_id, name: pnr_name, local: true}\n")
    rep = ingest_file(write(tmp_path / "lor.csv", text), store, settings, mapping=load_mapping(mapping))
    assert rep.status == "ok" and rep.rows_quarantined == 0
    regions = store.regions().set_index("region_id")
    assert regions.loc["02011103", "name"] == "Wassertorplatz" and "0201113" not in regions.index
    assert any("planungsraum: the codes of 1 region(s) in column 'pnr_id' are written without leading zeros" in n
               for n in rep.notes)


@given(st.integers(2, 4), st.sets(st.integers(0, 999), min_size=5, max_size=40), st.data())
def test_padding_restores_stripped_codes_and_leaves_a_plain_numbering(width, numbers, data):
    codes = sorted(f"{n % 10 ** width:0{width}d}" for n in numbers)
    codes = list(dict.fromkeys(codes))
    stripped = data.draw(st.sets(st.sampled_from(codes), max_size=len(codes) // 5))
    written = pd.Series([c.lstrip("0") or "0" if c in stripped else c for c in codes], dtype=object)
    padded, short, w = pad_lost_zeros(written)
    assert padded.tolist() == codes and w == width
    assert short.sum() == sum(1 for c in stripped if (c.lstrip("0") or "0") != c)
    plain = pd.Series([str(n) for n in range(1, 13)], dtype=object)       # '1' … '12': a numbering without zeros
    out, short, _ = pad_lost_zeros(plain)
    assert out.tolist() == plain.tolist() and not short.any()


def test_parents_from_the_leading_digits_of_each_code(store, settings, tmp_path):
    """A Gemeinde list with 8-digit AGS and no parent column (the census table): parent_code 5 makes each
    Gemeinde's Kreis its parent. parent_level creates the Kreise the store lacks, named by code until a region list
    names them, and counts them as read; a Kreis in the file itself (a 5-digit code) is kept with its name and has no
    parent by its code; without parent_level a Kreis the store lacks is an unknown parent."""
    text = "ags,name\n01054,Nordfriesland\n01054001,Achtrup\n01054002,Ahrenshöft\n01001000,\"Flensburg, Stadt\"\n"
    path = write(tmp_path / "gemeinden.csv", text)
    mapping = write(tmp_path / "m.yaml", "format: regions\nregion_column: ags\nlevel: gemeinde\nparent_code: 5\n")
    rep = ingest_file(path, store, settings, mapping=load_mapping(mapping))
    assert rep.status == "quarantine_over_limit" and rep.rows_quarantined == 1      # Flensburg's Kreis 01001
    quarantined = pd.read_csv(rep.report_path, sep=";", dtype=str)
    assert quarantined[["value", "reason"]].values.tolist() == [["01001", UNKNOWN_PARENT]]
    created = write(tmp_path / "m2.yaml", mapping.read_text() + "parent_level: Kreis\n")
    rep = ingest_file(path, store, settings, mapping=load_mapping(created))
    assert rep.status == "ok" and (rep.rows_read, rep.rows_accepted, rep.rows_quarantined) == (5, 5, 0)
    assert any(n.startswith("1 kreis region(s) created from the first 5 characters of the codes, named like "
                            "'Kreis 01001'") for n in rep.notes)
    regions = store.regions().set_index("region_id")
    assert regions.loc["01054001", "parent_id"] == "01054" and regions.loc["01001000", "parent_id"] == "01001"
    assert regions.loc["01054", "name"] == "Nordfriesland" and regions.loc["01001", ["name", "level"]].tolist() == [
        "Kreis 01001", "kreis"]
    assert regions.loc["01054", "level"] == "gemeinde"         # one level for every row, as the mapping says
    with_parent = write(tmp_path / "p.csv", "ags,name,parent_id\n01054001,Achtrup,01054\n")
    failed = ingest_file(with_parent, store, settings, mapping=load_mapping(created))
    assert failed.status == "failed" and "keep one of the two" in failed.message
    for extra, message in (("hierarchy: [{level: kreis, id: ags}]\n", "parent_code .* and hierarchy .* exclude each "
                                                                       "other"),):
        with pytest.raises(ValueError, match=message):
            load_mapping(write(tmp_path / "x.yaml", mapping.read_text() + extra))
    with pytest.raises(ValueError, match="parent_level names the level of the parents that parent_code derives"):
        load_mapping(write(tmp_path / "y.yaml", "format: regions\nregion_column: ags\nparent_level: kreis\n"))


def test_a_list_of_ags_and_names_is_suggested_as_regions_with_the_kreis_as_parent(store, settings, tmp_path,
                                                                                   catalog):
    """A code and a name column alone are a region list; 8-digit AGS get the parent_code lines, commented, and the
    list imports once the level is set and they are taken in. Other codes get no such lines."""
    path = write(tmp_path / "liste.csv", "ags;Gemeindename\n01054001;Achtrup\n01054002;Ahrenshöft\n01001000;Flensburg\n")
    s = suggest_mapping(path, catalog)
    assert s.format == "regions" and s.parent_code == 5
    text = s.to_yaml()
    assert "# parent_code: 5" in text and "# parent_level: kreis" in text
    edited = (text.replace("# level: stadtteil", "level: gemeinde #").replace("# parent_code", "parent_code")
              .replace("# parent_level", "parent_level"))
    rep = ingest_file(path, store, settings, mapping=load_mapping(write(tmp_path / "m.yaml", edited)))
    assert rep.status == "ok" and rep.rows_accepted == 5
    assert store.regions().set_index("region_id").loc["01054002", "parent_id"] == "01054"
    other = suggest_mapping(write(tmp_path / "viertel.csv", "nr;Stadtteilname\n11;Hafen\n12;Altstadt\n"), catalog)
    assert other.format == "regions" and other.parent_code is None and "parent_code" not in other.to_yaml()


def test_a_list_of_kreise_names_the_kreise_created_for_the_gemeinden(store, settings, tmp_path, catalog):
    """The path of a county with the census table: the Gemeinden's Kreise are created as 'Kreis 01054'; a list of
    the Kreise ('Kreisschlüssel; Kreis', a header no alias names) is suggested as a region list of level kreis,
    its names taken from the 'Kreis' column, and importing it names the created Kreise and keeps their Gemeinden."""
    gemeinden = write(tmp_path / "gemeinden.csv", "ags;Gemeindename\n01054001;Achtrup\n01055001;Ahrensbök\n")
    mapping = write(tmp_path / "g.yaml", "format: regions\nregion_column: ags\nlevel: gemeinde\nparent_code: 5\n"
                                         "parent_level: kreis\n")
    assert ingest_file(gemeinden, store, settings, mapping=load_mapping(mapping)).status == "ok"
    assert store.regions().set_index("region_id").loc["01054", "name"] == "Kreis 01054"
    kreise = write(tmp_path / "kreise.csv", "Kreisschlüssel;Kreis\n01054;Nordfriesland\n01055;Ostholstein\n")
    s = suggest_mapping(kreise, catalog)
    assert (s.format, s.region_column, s.name_column, s.level) == ("regions", "Kreisschlüssel", "Kreis", "kreis")
    assert "level: kreis   # check it" in s.to_yaml() and "read from the header: check it" in " ".join(s.notes)
    rep = ingest_file(kreise, store, settings, mapping=load_mapping(write(tmp_path / "k.yaml", s.to_yaml())))
    assert rep.status == "ok" and rep.rows_accepted == 2
    regions = store.regions().set_index("region_id")
    assert regions.loc[["01054", "01055"], "name"].tolist() == ["Nordfriesland", "Ostholstein"]
    assert regions.loc[["01054", "01055"], "level"].tolist() == ["kreis", "kreis"]
    assert regions.loc[["01054001", "01055001"], "parent_id"].tolist() == ["01054", "01055"]


def test_a_table_of_stand_years_gives_each_region_from_its_latest_stand(store, settings, tmp_path, catalog):
    """A Land's register table (a row per Gemeinde and stand year, codes in 'ags', names in 'name') read as a region
    list with the mapping that 'mapping suggest --regions' proposes: each Gemeinde once, named as in its latest
    stand; a Gemeinde merged away keeps the name of its last stand. Without a period column a repeated code is
    still quarantined: nothing says which row is right."""
    text = ("stand_year,ags,kreis,name,pop_total\n"
            "2013,14524330,14524,\"Zwickau, Stadt\",91564\n"
            "2024,14524330,14524,\"Zwickau, Stadt, Hochschulstadt\",87593\n"
            "2013,14524010,14524,Bernsdorf,2140\n2024,14524010,14524,Bernsdorf,2038\n"
            "2013,14524999,14524,Altgemeinde,900\n")
    path = write(tmp_path / "bevoelkerung.csv", text)
    s = suggest_mapping(path, catalog, regions=True)
    assert (s.format, s.region_column, s.name_column, s.level) == ("regions", "ags", "name", "gemeinde")
    assert ("the level 'gemeinde' is read from the codes (Gemeindeschlüssel: 8-digit AGS or 12-digit ARS): check it"
            in " ".join(s.notes))
    rep = ingest_file(path, store, settings, mapping=load_mapping(write(tmp_path / "m.yaml", s.to_yaml())))
    assert rep.status == "ok" and (rep.rows_read, rep.rows_accepted, rep.rows_quarantined, rep.rows_left_out) == (
        3, 3, 0, 2)
    assert any("a table of 2 periods ('stand_year'): each region read from its row of the latest period it has, 2 "
               "earlier rows left out; 1 region(s) named differently over the periods keep the latest name (e.g. "
               "14524330: 'Zwickau, Stadt' in 2013, 'Zwickau, Stadt, Hochschulstadt' in 2024)" in n for n in rep.notes)
    names = store.regions().set_index("region_id")["name"]
    assert names.to_dict() == {"14524330": "Zwickau, Stadt, Hochschulstadt", "14524010": "Bernsdorf",
                               "14524999": "Altgemeinde"}
    # the same file as a table of values: its regions are not imported, and the note says how they would be
    values = suggest_mapping(path, catalog)
    assert values.format == "wide" and values.code_parts == ["kreis"]
    assert f"'sozialradar mapping suggest {path.name} --regions' proposes it" in " ".join(values.notes)
    undated = write(tmp_path / "liste.csv", "ags,name\n14524330,Zwickau\n14524330,Zwickau\n")
    rep = ingest_file(undated, store, settings, mapping=load_mapping(write(tmp_path / "u.yaml", s.to_yaml())))
    assert rep.rows_quarantined == 2


@hsettings(deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(2000, 2024), st.sampled_from(["Au", "Berg", "Tal", "Ried"])),
                min_size=1, max_size=25, unique_by=lambda r: (r[0], r[1])), st.randoms())
def test_each_region_of_a_dated_table_is_named_as_in_its_latest_period(rows, rnd):
    """Whatever the order of the rows, a region list read from a table of several periods holds each code once,
    with the name of its latest period; a code of earlier periods only whose names name one code of the last period
    that begins after it is that region renumbered, unless two such codes of the same region meet in a period (then
    all of that region's stay)."""
    rows = list(rows)
    rnd.shuffle(rows)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.csv"
        path.write_text("jahr;code;name\n" + "".join(f"{y};{c:02d};{n}\n" for c, y, n in rows), encoding="utf-8")
        accepted, quarantined = adapt_regions(read_table(path), Mapping(format="regions", region_column="code",
                                                                        name_column="name", level="stadtteil"),
                                              frozenset(), [])
    assert quarantined.empty
    expected = {f"{c:02d}": n for c, y, n in sorted(rows, key=lambda r: r[1])}
    for old in _renumbered_oracle(rows):
        del expected[f"{old:02d}"]
    assert dict(zip(accepted["region_id"], accepted["name"])) == expected


def _renumbered_oracle(rows) -> set[int]:
    """The codes the rule on renumbered regions leaves out, computed the plain way (a table whose codes all stand
    once is read as it is: one period per region is no history)."""
    if len({c for c, _, _ in rows}) == len(rows):
        return set()
    last = max(y for _, y, _ in rows)
    years = {c: {y for c2, y, _ in rows if c2 == c} for c, _, _ in rows}
    now = {c: n for c, y, n in rows if y == last}
    target = {}
    for code in (c for c in years if max(years[c]) < last):
        found = set()
        for name in {n for c, _, n in rows if c == code}:
            named = [c for c, n in now.items() if n == name]
            found |= set(named) if len(named) == 1 else set()
        if len(found) == 1 and min(years[next(iter(found))]) > max(years[code]):
            target[code] = found.pop()
    clashing = {target[a] for a in target for b in target if a != b and target[a] == target[b] and years[a] & years[b]}
    return {code for code, region in target.items() if region not in clashing}


def test_a_mapping_names_the_name_column_and_an_unknown_key_names_the_keys(store, settings, tmp_path):
    """A region list whose name column no alias names ('Ort') is read with name_column; a key the mapping does not
    know ('names_column') is refused with the close key and the list of keys."""
    path = write(tmp_path / "orte.csv", "nr;Ort\n11;Hafen\n12;Altstadt\n")
    rep = ingest_file(path, store, settings, mapping=load_mapping(write(
        tmp_path / "m.yaml", "format: regions\nregion_column: nr\nname_column: Ort\nlevel: stadtteil\n")))
    assert rep.status == "ok" and store.regions().set_index("region_id").loc["12", "name"] == "Altstadt"
    with pytest.raises(ValueError, match=r"names_column: no such key \(did you mean name_column( or \w+)?\?\); the "
                                         r"keys of a mapping are format, header_line, .*name_column"):
        load_mapping(write(tmp_path / "x.yaml", "format: regions\nregion_column: nr\nnames_column: Ort\n"))


def test_a_code_repeated_within_one_period_of_a_dated_table_is_still_quarantined(store, settings, tmp_path):
    """Only rows of earlier periods are left out: two rows of one code in the latest period are the conflict any
    region list quarantines, not a stand year to pass over."""
    text = "jahr;code;name\n2020;11;Hafen\n2024;11;Hafen\n2024;11;Hafenviertel\n2024;12;Altstadt\n"
    rep = ingest_file(write(tmp_path / "t.csv", text), store, settings, mapping=load_mapping(write(
        tmp_path / "m.yaml", "format: regions\nregion_column: code\nname_column: name\nlevel: stadtteil\n")))
    assert rep.rows_quarantined == 2 and rep.rows_accepted == 1
    assert store.regions()["region_id"].tolist() == ["12"]


def test_a_parent_column_of_any_name_and_parents_keyed_as_a_gis_keys_them(store, settings, tmp_path, catalog):
    """A list of statistical Bezirke whose parent column has a header of the city's own ('Stadtteil_Nr'): the
    mapping names it. Parents written behind the level's letters ('STGT01') or with other leading zeros are read as
    the store's Stadtteile; a parent no region is is quarantined with what to do."""
    stadtteile = write(tmp_path / "stadtteile.csv", "id,name\n1,Altstadt\n2,Neustadt\n10,Fruerlund\n")
    rep = ingest_file(stadtteile, store, settings, mapping=load_mapping(write(
        tmp_path / "s.yaml", "format: regions\nregion_column: id\nname_column: name\nlevel: stadtteil\n")))
    assert rep.rows_accepted == 3
    text = ("bezirk,bezeichnung,Stadtteil_Nr\n011,St. Nikolai,STGT01\n012,St. Marien,STGT01\n021,Duborg,STGT02\n"
            "101,Blasberg,STGT10\n")
    bezirke = write(tmp_path / "bezirke.csv", text)
    mapping = write(tmp_path / "b.yaml", "format: regions\nregion_column: bezirk\nname_column: bezeichnung\n"
                    "level: ortsteil\nparent_column: Stadtteil_Nr\n")
    rep = ingest_file(bezirke, store, settings, mapping=load_mapping(mapping))
    assert rep.status == "ok" and (rep.rows_accepted, rep.rows_quarantined) == (4, 0)
    assert "parent codes in 'Stadtteil_Nr' that are no region of the store read as its codes (behind the letters " \
           "'STGT'): STGT01 → 1 and 2 more" in rep.notes
    parents = store.regions().set_index("region_id")["parent_id"]
    assert parents[["011", "012", "021", "101"]].tolist() == ["1", "1", "2", "10"]
    # without the mapping's parent_column, 'Stadtteil_Nr' is no parent column: the Bezirke have none
    rep = ingest_file(bezirke, store, settings, mapping=load_mapping(write(
        tmp_path / "plain.yaml", mapping.read_text().replace("parent_column: Stadtteil_Nr\n", ""))), force=True)
    assert rep.rows_accepted == 4 and store.regions().set_index("region_id")["parent_id"][["011"]].isna().all()
    # leading zeros, and a parent that is no region: '03' names none, and is quarantined with what to do
    zeros = write(tmp_path / "zeros.csv", "bezirk,bezeichnung,Stadtteil_Nr\n011,St. Nikolai,01\n031,Klues,03\n")
    rep = ingest_file(zeros, store, settings, mapping=load_mapping(mapping))
    assert (rep.rows_accepted, rep.rows_quarantined) == (1, 1)
    assert "parent codes in 'Stadtteil_Nr' that are no region of the store read as its codes (with other leading " \
           "zeros): 01 → 1; 1 name no region" in rep.notes
    quarantined = pd.read_csv(rep.report_path, sep=";", dtype=str)
    assert quarantined[["value", "reason"]].values.tolist() == [["03", UNKNOWN_PARENT]]
    missing = write(tmp_path / "missing.yaml", mapping.read_text().replace("Stadtteil_Nr", "Stadtteil"))
    failed = ingest_file(bezirke, store, settings, mapping=load_mapping(missing), force=True)
    assert failed.status == "failed" and "'Stadtteil'" in failed.message
    for extra, message in (("parent_code: 1\n", "parent_column .* and parent_code .* exclude each other"),
                           ("hierarchy: [{level: kreis, id: bezirk}]\n", "parent_column .* and hierarchy .* exclude")):
        with pytest.raises(ValueError, match=message):
            load_mapping(write(tmp_path / "x.yaml", mapping.read_text() + extra))


@hsettings(deadline=None, max_examples=40)
@given(st.sets(st.integers(1, 60), min_size=2, max_size=15), st.from_regex(r"[A-Z]{1,5}", fullmatch=True),
       st.integers(0, 3), st.data())
def test_property_parents_behind_letters_name_the_store_s_regions(numbers, prefix, zeros, data):
    """Whatever the letters and the zeros before the numbers, each parent written so names the store's region of
    that number; a parent without a region is quarantined, not read as another."""
    from ml.importers.region_list import _read_parents

    known = frozenset(str(n) for n in numbers)
    absent = data.draw(st.integers(61, 99))
    parents = [*map(str, sorted(numbers)), str(absent)]
    # the rows' own codes are no letters and a number: a parent 'X1' would name the row 'X1' of this very table
    frame = pd.DataFrame({"region_id": [f"ot-{i}" for i in range(len(parents))], "name": "n", "level": "ortsteil",
                          "parent_id": [f"{prefix}{p.zfill(len(p) + zeros)}" for p in parents], "geometry": "",
                          "line": range(2, len(parents) + 2)})
    notes: list[str] = []
    read = _read_parents(frame, [False] * len(frame), known, "PARENT", notes)
    assert read["parent_id"].tolist()[:-1] == parents[:-1]
    assert read["parent_id"].iloc[-1] == frame["parent_id"].iloc[-1]
    accepted, quarantined = adapt_regions_checked(read, known)
    assert len(accepted) == len(numbers) and quarantined["reason"].tolist() == [UNKNOWN_PARENT]
    assert f"(behind the letters {prefix!r})" in notes[0] and notes[0].endswith("; 1 name no region")


def adapt_regions_checked(frame, known):
    """The row checks of a region list on ``frame``."""
    from ml.importers.region_list import _checked

    return _checked(frame, [False] * len(frame), [False] * len(frame), known)


@pytest.mark.parametrize("header, found", [("PARENT_AREA_ID", True), ("PARENT_ARE", True), ("parent_code", True),
                                           ("Übergeordnete Einheit", True), ("Parents", False),
                                           ("parents_single", False)])
def test_the_suggestion_finds_a_parent_column_by_its_header_and_a_level_named_in_words(tmp_path, catalog, header,
                                                                                        found):
    """A GIS's table of areas: the parent column by its header ('PARENT_AREA_ID', which a shapefile cuts to
    'PARENT_ARE'), not a column of parents as a subject; a level named in a column of its own on every row, and
    said where it is no level of the store."""
    text = (f"AREA_ID,AREA_NAME,LEVEL_NAME,{header}\nSTBZ011,St. Nikolai,STATISTISCHER BEZIRK,STGT01\n"
            "STBZ012,St. Marien,STATISTISCHER BEZIRK,STGT01\nSTBZ021,Duborg,STATISTISCHER BEZIRK,STGT02\n")
    s = suggest_mapping(write(tmp_path / "bezirke.csv", text), catalog, regions=True)
    assert s.region_column == "AREA_ID" and s.name_column == "AREA_NAME" and s.level is None
    assert (s.parent_column == header) is found
    assert ("parent_column: " in s.to_yaml()) is found
    assert "set the level of its regions (level:): 'LEVEL_NAME' names it 'STATISTISCHER BEZIRK' on every row, no " \
           "level of the store" in s.notes[0]
    assert "('STATISTISCHER BEZIRK' in the file)" in s.to_yaml()
    stadtteile = suggest_mapping(write(tmp_path / "t.csv", text.replace("STATISTISCHER BEZIRK", "Stadtteil")),
                                 catalog, regions=True)
    assert stadtteile.level == "stadtteil" and "the level 'stadtteil' is read from 'LEVEL_NAME'" in stadtteile.notes[0]
    assert "level: stadtteil   # check it" in stadtteile.to_yaml()

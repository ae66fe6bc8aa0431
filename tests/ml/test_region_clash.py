"""A region list whose codes are those of regions another file brought, as other regions (another level, another
name), is refused with them named, every time; a spelling of the same name, a name for a region named by its code,
a new parent, a later edition of the same file and --force change them as before."""

import pytest

from ml.importers import ingest_file, load_mapping
from tests.conftest import cli_with, write

LAENDER = ("region_id;name;level;parent_id\n01;Schleswig-Holstein;land;\n10;Saarland;land;\n11;Berlin;land;\n"
           "01001;Flensburg, Stadt;kreis;01\n10041;Regionalverband Saarbrücken;kreis;10\n11000;Berlin;kreis;11\n")
STADTTEILE = "id,name\n1,Altstadt\n2,Neustadt\n10,Fruerlund\n11,Mürwik\n"
AS_STADTTEILE = "format: regions\nregion_column: id\nname_column: name\nlevel: stadtteil\n"


@pytest.fixture
def laender(store, settings, tmp_path):
    assert ingest_file(write(tmp_path / "laender.csv", LAENDER), store, settings).status == "ok"
    return store


def regions(store):
    return store.regions().set_index("region_id")[["name", "level", "parent_id"]]


def test_a_list_of_other_regions_under_the_same_codes_is_refused_every_time(laender, settings, tmp_path):
    before = regions(laender)
    table = write(tmp_path / "fl_district.csv", STADTTEILE)
    mapping = load_mapping(write(tmp_path / "m.yaml", AS_STADTTEILE))
    for _ in range(2):          # refused again, not taken for an identical content already imported
        rep = ingest_file(table, laender, settings, mapping=mapping)
        assert rep.status == "refused" and rep.regions_changed == 0
        assert rep.message.startswith("this region list would make 2 regions that laender.csv (import #1) brought "
                                      "into the store other regions — 10 'Saarland' (land; 1 region below it) "
                                      "would become 'Fruerlund' (stadtteil); 11 'Berlin' (land; 1 region below it) "
                                      "would become 'Mürwik' (stadtteil)"), rep.message
        assert "keep this grid in a store of its own" in rep.message and "--force" in rep.message
        assert regions(laender).equals(before)          # nothing stored, not even the new '1' and '2'
    # as a correction, on purpose
    rep = ingest_file(table, laender, settings, mapping=mapping, force=True)
    assert rep.status == "ok"
    after = regions(laender)
    assert after.loc["10", "name"] == "Fruerlund" and after.loc["10", "level"] == "stadtteil"


def test_the_same_regions_written_otherwise_or_given_parents_and_names_are_changed(laender, settings, tmp_path):
    """Another file that spells a name otherwise, names a region the store knows by its code alone, or gives
    parents: no other regions, so no refusal. The same file's later edition renames as before."""
    coded = write(tmp_path / "codes.csv", "region_id;name;level;parent_id\n01002;01002;kreis;\n"
                  "01003;Kreis 01003;kreis;\n")
    assert ingest_file(coded, laender, settings).status == "ok"
    spelt = write(tmp_path / "kreise.csv", "region_id;name;level;parent_id\n01001;Flensburg;kreis;01\n"
                  "10041;Regionalverband Saarbrücken;kreis;10\n11000;Berlin;kreis;11\n01002;Kiel, Landeshauptstadt;"
                  "kreis;01\n01003;Lübeck;kreis;01\n")
    rep = ingest_file(spelt, laender, settings)
    assert rep.status == "ok", rep.message
    after = regions(laender)
    assert after.loc["01001", "name"] == "Flensburg" and after.loc["01002", "parent_id"] == "01"
    assert after.loc["01002", "name"] == "Kiel, Landeshauptstadt" and after.loc["01003", "name"] == "Lübeck"
    renamed = write(tmp_path / "laender.csv", LAENDER.replace("11;Berlin;land", "11;Land Berlin;land"))
    assert ingest_file(renamed, laender, settings).status == "ok"
    assert regions(laender).loc["11", "name"] == "Land Berlin"


def test_flensburgs_stadtteile_in_a_store_of_inkars_kreise(shared_data, tmp_path):
    """The real files through the command line: INKAR's 400 Kreise in their 16 Länder, then Flensburg's 13
    Stadtteile, coded 1 to 13: the Länder 10 to 13 would have become Fruerlund, Mürwik, Engelsby and Tarup, the
    Kreise of the Saarland, Berlin, Brandenburg and Mecklenburg-Vorpommern Stadtteile' children (exit 1)."""
    config = write(tmp_path / "sozialradar.yaml", f"store:\n  path: {tmp_path / 'store' / 'monitoring.duckdb'}\n")
    run = cli_with(config, tmp_path / "quarantine")
    run("ingest", shared_data / "germany_kreise_inkar_gerda" / "county_covariates_inkar_1995_2022.csv")
    district = shared_data / "flensburg_sozialatlas" / "csv" / "fl_district.csv"
    run("mapping", "suggest", district, "--out", tmp_path / "regions.yaml")
    with open(tmp_path / "regions.yaml", "a", encoding="utf-8") as f:
        f.write("level: stadtteil\n")
    out = " ".join(run("ingest", district, "--mapping", tmp_path / "regions.yaml", code=1).split())
    assert ("REFUSED, nothing stored (read 13 rows): this region list would make 4 regions that "
            "county_covariates_inkar_1995_2022.csv (import #1) brought into the store other regions — 10 'Saarland' "
            "(land; 6 regions below it) would become 'Fruerlund' (stadtteil); 11 'Berlin' (land; 1 region below "
            "it) would become 'Mürwik' (stadtteil)") in out
    info = run("store", "info")
    assert "regions: 416  kreis 400 (in land), land 16\n" in info

"""Boundary crosswalks as cities write them: columns found by what their headers say, German numbers and percent
weights read, bad rows named by line, and a crosswalk given to `mapping suggest` told apart from a table of values."""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from ml.crosswalk import crosswalk_roles, read_crosswalk
from ml.io import FileFormatError
from ml.suggest import suggest_mapping
from tests.conftest import write

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


@pytest.mark.parametrize("header, roles", [
    (["old_id", "new_id", "weight"], (0, 1, 2)),
    (["plr_id_pre2021", "plr_id_2021", "mapping_type", "weight", "note"], (0, 1, 3)),
    (["PLR_neu", "PLR_alt", "Flächenanteil in %"], (1, 0, 2)),
    (["Stadtteil bisher", "Stadtteil neu", "Bevölkerungsanteil"], (0, 1, 2)),
    (["PLR 2021", "PLR 2006", "Gewicht"], (1, 0, 2)),
    (["von", "nach", "Anteil"], (0, 1, 2)),
    (["from_id", "to_id", "share"], (0, 1, 2)),
])
def test_the_roles_are_read_from_what_the_headers_say(header, roles):
    """Words for old and new in any language the cities use, else the earlier of two years is the old grid."""
    found = crosswalk_roles(header)
    assert (found["old_id"], found["new_id"], found["weight"]) == roles


@pytest.mark.parametrize("header, missing", [
    (["a", "b", "c"], "the old areas' codes and the new areas' codes and the weight"),
    (["PLR alt", "PLR neu", "Typ"], "the weight"),
    (["Gebiet", "Ziel", "Gewicht"], "the old areas' codes"),
])
def test_headers_that_do_not_tell_the_roles_are_named(header, missing):
    assert crosswalk_roles(header).startswith(missing + " not told apart by the header")


@hsettings(max_examples=150, deadline=None)
@given(st.sampled_from(["alt", "old", "bisher", "von", "pre2020"]), st.sampled_from(["neu", "new", "nach", "2021"]),
       st.sampled_from(["weight", "Gewicht", "Flächenanteil", "Anteil in %", "share"]),
       st.sampled_from(["PLR", "Stadtteil", "Gebiet", "id"]), st.sampled_from(["_", " ", "-"]),
       st.permutations([0, 1, 2]))
def test_roles_hold_in_any_order_and_spelling(old, new, weight, area, sep, order):
    """Whatever the words and the columns' order, the old, new and weight columns are found where they are."""
    columns = [f"{area}{sep}{old}", f"{area}{sep}{new}", weight]
    header = [columns[i] for i in order]
    found = crosswalk_roles(header)
    assert isinstance(found, dict)
    assert [header[found[k]] for k in ("old_id", "new_id", "weight")] == columns


def test_german_numbers_and_percent_weights_are_read(tmp_path):
    """A crosswalk as a German office writes it: ';', decimal comma, weights in percent."""
    path = write(tmp_path / "umschluessel.csv", "PLR alt;PLR neu;Flächenanteil in %\n0101;010101;62,5\n"
                                                 "0101;010102;37,5\n0102;010103;100\n")
    cw = read_crosswalk(path)
    assert cw.values.tolist() == [["0101", "010101", 0.625], ["0101", "010102", 0.375], ["0102", "010103", 1.0]]


def test_bad_rows_are_named_with_the_columns_and_a_percent_hint(tmp_path):
    """Weights above 1 without a '%' in the header: the error names the line, the columns, and the likely cause."""
    path = write(tmp_path / "cw.csv", "alt;neu;Anteil\n0101;010101;62,5\n0101;010102;37,5\n")
    with pytest.raises(FileFormatError, match=r"cw.csv:2: .*'alt'.*'neu'.*'Anteil'.*2 row\(s\) do not; weights "
                                              r"above 1 look like percent"):
        read_crosswalk(path)
    with pytest.raises(FileFormatError, match="cw.csv:3: .*'Anteil', or empty.*1 row"):
        read_crosswalk(write(tmp_path / "cw.csv", "alt;neu;Anteil\n0101;010101;0,6\n0101;010102;k.A.\n"))


def test_a_crosswalk_of_codes_alone_is_read_with_its_weights_left_open(tmp_path):
    """A 'Zuordnung' of old and new codes, with a column of notes: every pair once, each weight empty (features
    completes them); an empty cell of a weight column is left open too, and a row lacking a code is named."""
    path = write(tmp_path / "zuordnung.csv", "Sozialraum alt;Sozialraum neu;Bemerkung\n01;11;umbenannt\n02;12;\n"
                                              "02;13;geteilt\n02;13;geteilt\n")
    cw = read_crosswalk(path)
    assert cw[["old_id", "new_id"]].values.tolist() == [["01", "11"], ["02", "12"], ["02", "13"]]
    assert cw["weight"].isna().all()
    partly = read_crosswalk(write(tmp_path / "teils.csv", "alt;neu;Gewicht\n01;11;0,4\n01;12;0,6\n02;13;\n"))
    assert partly["weight"].tolist()[:2] == [0.4, 0.6] and np.isnan(partly["weight"].iloc[2])
    with pytest.raises(FileFormatError, match=r"lücke.csv:3: crosswalk rows need an old code \('alt'\) and a new "):
        read_crosswalk(write(tmp_path / "lücke.csv", "alt;neu\n01;11\n;12\n"))


def test_weights_under_a_header_that_does_not_say_so_are_not_taken_for_none(tmp_path):
    """A third column whose numbers add up to one per split old area is weights, whatever its header: the crosswalk
    is not read without them, and the error names the column."""
    path = write(tmp_path / "x.csv", "alt;neu;Wert\n01;11;0,25\n01;12;0,75\n02;13;1\n03;14;0,5\n03;15;0,5\n")
    with pytest.raises(FileFormatError, match=r"the weight not told apart by the header \(the column 'Wert' adds up"):
        read_crosswalk(path)


def test_a_crosswalk_is_suggested_as_what_it_is_and_a_table_of_values_is_not(tmp_path, catalog):
    """`mapping suggest` on a crosswalk says where it goes (features --crosswalk) and proposes nothing to import;
    a table whose share column does not add up to one per old code stays a table of values."""
    path = write(tmp_path / "umschluessel.csv", "Stadtteil bisher;Stadtteil neu;Bevölkerungsanteil\n11;21;0,6\n"
                                                 "11;22;0,4\n12;22;1\n13;23;0,25\n13;24;0,75\n")
    s = suggest_mapping(path, catalog)
    assert s.format == "crosswalk" and s.region_column is None
    text = s.to_yaml()
    assert "sozialradar features --crosswalk umschluessel.csv" in text
    assert not [line for line in text.splitlines() if line and not line.startswith("#")]
    codes = write(tmp_path / "zuordnung.csv", "PLR alt;PLR neu;Name neu\n0101;010101;Mitte\n0102;010102;Wedding\n")
    alone = suggest_mapping(codes, catalog)
    assert alone.format == "crosswalk" and "no weights: features completes them" in alone.to_yaml()
    counted = write(tmp_path / "werte.csv", "PLR alt;PLR neu;Einwohner\n0101;010101;1200\n0102;010102;800\n")
    assert suggest_mapping(counted, catalog).format != "crosswalk"
    years = write(tmp_path / "jahre.csv", "Gebiet;Einwohner 2019;Einwohner 2021\nA;1200;1250\nB;800;790\n")
    assert suggest_mapping(years, catalog).format != "crosswalk"
    values = write(tmp_path / "werte_2022.csv", "Stadtteil 2021;Stadtteil 2022;Anteil Ausländer\n11;21;12,5\n"
                                                "11;22;14,1\n13;23;9,0\n13;24;8,2\n")
    assert suggest_mapping(values, catalog).format != "crosswalk"


@pytest.mark.skipif(not SHARED.is_dir(), reason="needs ../shared/data")
def test_berlins_published_crosswalk_is_read_and_recognised(catalog):
    path = SHARED / "berlin_lor_crosswalk_gentriduck" / "seed_lor_crosswalk_2006_to_2021.csv"
    cw = read_crosswalk(path)
    assert len(cw) == 3055 and cw["old_id"].nunique() == 448 and cw["weight"].between(0, 1).all()
    assert suggest_mapping(path, catalog).format == "crosswalk"


def test_ingest_refuses_a_crosswalk_and_says_where_it_goes(store, settings, tmp_path):
    """A crosswalk given to the import is not taken for values: the import fails, names it, and stores nothing."""
    from ml.importers import ingest_file

    path = write(tmp_path / "umschluessel.csv", "PLR alt;PLR neu;Gewicht\n0101;010101;0,6\n0101;010102;0,4\n"
                                                 "0102;010103;1\n0103;010104;0,5\n0103;010105;0,5\n")
    rep = ingest_file(path, store, settings)
    assert rep.status == "failed" and "a crosswalk of old areas onto new ones" in rep.message
    assert "sozialradar features --crosswalk" in rep.message and store.observations().empty

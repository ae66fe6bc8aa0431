"""Region lists whose codes nest (an AGS with its Land and Kreise, a city's Bezirk 1 and Stadtteil 101): each row's
level by the length of its code, its parent the longest code its own begins with; suggested from the codes."""

import pandas as pd
import pytest
from hypothesis import given, settings as hsettings
from hypothesis import strategies as st

from ml.importers import ingest_file, load_mapping
from ml.importers.code_levels import levels_by_code, nested_codes
from ml.importers.mapping import Mapping
from ml.suggest import suggest_mapping
from tests.conftest import write

# a Land office's list: the Land, a Direktionsbezirk (three digits, no level of the store), Kreise without a level
# word in their names (Erzgebirgskreis) and a kreisfreie Stadt that is Kreis and Gemeinde under one name
GEMEINDEVERZEICHNIS = (
    "Schlüssel;Gebiet;Einwohner\n14;Freistaat Sachsen;4043002\n145;Direktionsbezirk Chemnitz;1400000\n"
    "14511;Chemnitz, Stadt;243105\n14511000;Chemnitz, Stadt;243105\n14521;Erzgebirgskreis;333000\n"
    "14521010;Amtsberg;3700\n14521020;Annaberg-Buchholz, Stadt;19700\n14522;Landkreis Mittelsachsen;300000\n"
    "14522010;Altmittweida;2000\n")


def test_a_gemeindeverzeichnis_gives_land_kreise_and_gemeinden_with_their_parents(store, settings, tmp_path, catalog):
    path = write(tmp_path / "gemeindeverzeichnis.csv", GEMEINDEVERZEICHNIS)
    s = suggest_mapping(path, catalog, regions=True)
    assert s.format == "regions" and (s.region_column, s.name_column) == ("Schlüssel", "Gebiet")
    assert s.code_levels == {2: "land", 3: None, 5: "kreis", 8: "gemeinde"} and s.level is None
    text = s.to_yaml()
    assert ("code_levels: {2: land, 5: kreis, 8: gemeinde}   # each row's level by the length of its code: check; "
            "3 digits: no level, quarantined") in text
    rep = ingest_file(path, store, settings, mapping=load_mapping(write(tmp_path / "m.yaml", text)))
    # the Direktionsbezirk is the one row quarantined, with the reason; the rest is in the store
    assert (rep.rows_accepted, rep.rows_quarantined) == (8, 1)
    assert ("code_levels: 1 land, 3 kreis, 4 gemeinde by the length of their codes; each region's parent the longest "
            "code its own begins with (7 of the 7 below the coarsest found one)") in rep.notes
    q = pd.read_csv(rep.report_path, sep=";", dtype=str)
    assert q["reason"].tolist() == ["a code of 3 characters: code_levels names no level for it (the Regierungsbezirk "
                                    "of an AGS)"]
    regions = store.regions().set_index("region_id")
    assert regions.loc["14521", ["name", "level", "parent_id"]].tolist() == ["Erzgebirgskreis", "kreis", "14"]
    assert regions.loc["14521020", ["level", "parent_id"]].tolist() == ["gemeinde", "14521"]
    assert regions.loc["14511000", "parent_id"] == "14511" and pd.isna(regions.loc["14", "parent_id"])


def test_kreise_created_from_codes_get_their_names_from_a_list_that_holds_them(store, settings, tmp_path):
    """A register of Gemeinden alone creates its Kreise from the codes ('Kreis 14521'); a later list with the
    Kreise names them, and a list of Gemeinden alone finds their parents in the store."""
    gemeinden = write(tmp_path / "g.csv", "ags;name\n14521010;Amtsberg\n14521020;Annaberg-Buchholz, Stadt\n")
    rep = ingest_file(gemeinden, store, settings, mapping=Mapping(format="regions", region_column="ags",
                                                                 level="gemeinde", parent_code=5, parent_level="kreis"))
    assert rep.status == "ok" and store.regions().set_index("region_id").loc["14521", "name"] == "Kreis 14521"
    ingest_file(write(tmp_path / "gv.csv", GEMEINDEVERZEICHNIS), store, settings, mapping=Mapping(
        format="regions", region_column="Schlüssel", name_column="Gebiet",
        code_levels={2: "land", 5: "kreis", 8: "gemeinde"}))
    assert store.regions().set_index("region_id").loc["14521", "name"] == "Erzgebirgskreis"
    later = write(tmp_path / "neu.csv", "ags;name\n14521030;Aue-Bad Schlema, Stadt\n")
    rep = ingest_file(later, store, settings, mapping=Mapping(format="regions", region_column="ags",
                                                             code_levels={8: "gemeinde"}))
    assert rep.status == "ok" and store.regions().set_index("region_id").loc["14521030", "parent_id"] == "14521"


def test_a_citys_own_numbering_is_left_for_the_analyst_to_name_and_areas_numbered_in_turn_do_not_nest(tmp_path,
                                                                                                      catalog):
    city = write(tmp_path / "stadt.csv", "Nr.;Name\n1;Mitte\n101;Altstadt\n102;Hafen\n2;Nord\n201;Heide\n")
    s = suggest_mapping(city, catalog, regions=True)
    assert s.code_levels == {1: None, 3: None}
    assert "# code_levels: {1: ?, 3: ?}   # each row's level by the length of its code: check" in s.to_yaml()
    assert nested_codes(pd.Series([str(i) for i in range(1, 14)])) is None       # '12' does not lie in '1'
    assert nested_codes(pd.Series(["01", "02", "03"])) is None                     # one length
    assert nested_codes(pd.Series(["1", "20", "305", "4711"])) is None             # lengths, but no nesting
    numbered = write(tmp_path / "stadtteile.csv", "Nr.;Name\n" + "".join(f"{i};Teil {i}\n" for i in range(1, 14)))
    assert suggest_mapping(numbered, catalog, regions=True).code_levels == {}


@pytest.mark.parametrize("mapping, message", [
    (dict(code_levels={2: "land"}, level="gemeinde"), "code_levels .* and level exclude each other"),
    (dict(code_levels={2: "land"}, parent_code=2), "code_levels .* and parent_code exclude each other"),
    (dict(code_levels={2: "land"}, parent_column="oben"), "code_levels .* and parent_column exclude each other"),
    (dict(code_levels={2: "regierungsbezirk"}), "code_levels names levels the store does not have"),
])
def test_code_levels_refuses_what_contradicts_it(mapping, message):
    with pytest.raises(ValueError, match=message):
        Mapping(format="regions", region_column="code", **mapping)


@hsettings(max_examples=40, deadline=None)
@given(tree=st.lists(st.lists(st.integers(0, 3), min_size=0, max_size=3), min_size=1, max_size=4))
def test_property_every_region_gets_its_longest_prefix_as_parent(tree):
    """Kreise 2 digits under Land '9', Gemeinden 3 more under them, listed in any order: each Gemeinde's parent
    is its Kreis, each Kreis's the Land."""
    rows = [("9", "land")]
    for k, gemeinden in enumerate(tree):
        kreis = f"9{k:02d}"
        rows.append((kreis, "kreis"))
        rows += [(f"{kreis}{g:03d}", "gemeinde") for g in dict.fromkeys(gemeinden)]
    rows = rows[::-1]
    frame = pd.DataFrame({"region_id": [r for r, _ in rows], "name": [r for r, _ in rows], "level": "",
                          "parent_id": "", "geometry": "", "line": range(2, len(rows) + 2)})
    out, outside, refused = levels_by_code(frame, {1: "land", 3: "kreis", 6: "gemeinde"}, frozenset(), None)
    assert not outside.any() and refused.empty
    got = out.set_index("region_id")
    for code, level in rows:
        assert got.loc[code, "level"] == level
        assert got.loc[code, "parent_id"] == {"land": "", "kreis": "9", "gemeinde": code[:3]}[level]

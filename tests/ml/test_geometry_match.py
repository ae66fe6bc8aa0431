"""Which region each polygon of a map file is: ids read from the key whose codes (failing that, names) name the
most regions of the store, per object of a TopoJSON file; the command line on Berlin's TopoJSON of three levels."""

import json

import pandas as pd
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from ml.geometry import GeometryError
from ml.geometry_match import read_geometry
from tests.conftest import cli_with, write

REGIONS = pd.DataFrame({
    "region_id": ["01", "02", "0101", "0102", "0201"],
    "name": ["Mitte", "Nord", "Altstadt", "Hafen", "Am Wald"],
    "level": ["bezirk", "bezirk", "planungsraum", "planungsraum", "planungsraum"]})


def square(k, d=0.01):
    x, y = 13 + k * d, 52.0
    return {"type": "Polygon", "coordinates": [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]]}


def feature(k, **props):
    return {"type": "Feature", "properties": props, "geometry": square(k)}


def save(tmp_path, doc, name="map.geojson"):
    return write(tmp_path / name, json.dumps(doc))


def test_the_key_with_the_store_s_codes_is_chosen_over_a_running_number(tmp_path):
    doc = {"type": "FeatureCollection", "features": [
        feature(0, id=1, OBJECTID=1, PLR="0101", PLRNAME="Altstadt"),
        feature(1, id=2, OBJECTID=2, PLR="0102", PLRNAME="Hafen"),
        feature(2, id=3, OBJECTID=3, PLR="0201", PLRNAME="Am Wald (Nord)")]}
    frame, (report,) = read_geometry(save(tmp_path, doc), REGIONS)
    assert frame["region_id"].tolist() == ["0101", "0102", "0201"]
    assert report["key"] == "PLR" and report["by"] == "codes" and report["levels"] == {"planungsraum": 3}
    assert report["name_key"] == "PLRNAME" and frame["name"].tolist()[:2] == ["Altstadt", "Hafen"]
    # an explicit property is read as codes, whatever it names; the report says what became of them
    frame, (report,) = read_geometry(save(tmp_path, doc), REGIONS, id_property="OBJECTID")
    assert frame["region_id"].tolist() == ["01", "02", "3"] and report["rewritten"] == 2
    assert report["unmatched"] == ["3"] and report["levels"] == {"bezirk": 2}


def test_an_id_on_two_features_named_as_another_region_not_drawn_is_asked_about(tmp_path):
    regions = pd.concat([REGIONS, pd.DataFrame({"region_id": ["0202"], "name": ["Hafen"],
                                                "level": ["planungsraum"]})], ignore_index=True)
    doc = {"type": "FeatureCollection", "features": [
        feature(0, id="0102", name="Hafen"), feature(5, id="0102", name="Hafen"),
        feature(1, id="0101", name="Altstadt"),
        feature(2, id="01", name="Mitte"), feature(3, id="01", name="Mitte")]}
    frame, (report,) = read_geometry(save(tmp_path, doc), regions)
    # Mitte on two features is an exclave (no other region of its name); Hafen may be 0202 under a wrong id
    assert report["namesakes"] == [("0102", "Hafen", "0202")] and frame.attrs["duplicates"] == ["01", "0102"]
    doc["features"].append(feature(6, id="0202", name="Hafen"))
    assert read_geometry(save(tmp_path, doc), regions)[1][0]["namesakes"] == []


def test_features_without_a_shape_are_left_out_and_named(tmp_path):
    doc = {"type": "FeatureCollection", "features": [
        feature(0, id="0101"), {"type": "Feature", "properties": {"id": "0102"}, "geometry": None},
        {"type": "Feature", "properties": {"id": "01"}, "geometry": None}, feature(1, id="01")]}
    frame, (report,) = read_geometry(save(tmp_path, doc), REGIONS)
    assert frame["region_id"].tolist() == ["0101", "01"] and frame.attrs["without_shape"] == ["0102"]
    assert frame.attrs["duplicates"] == [] and report["regions"] == 3
    doc["features"] = doc["features"][1:3]
    with pytest.raises(GeometryError, match=r"none of the 2 feature\(s\) has a geometry"):
        read_geometry(save(tmp_path, doc), REGIONS)
    topo = {"type": "Topology", "arcs": [], "objects": {"o": {"type": "GeometryCollection", "geometries": [
        {"type": None, "properties": {"id": "0102"}}]}}}
    with pytest.raises(GeometryError, match="none of the 1 feature"):
        read_geometry(save(tmp_path, topo), REGIONS)


def test_a_running_number_that_reads_as_codes_loses_to_the_codes_the_names_confirm(tmp_path):
    """OBJECTID 1, 2 reads as the codes 01, 02 as well as BEZ '002', '001' does: the names beside decide."""
    doc = {"type": "FeatureCollection", "features": [feature(0, OBJECTID=1, BEZ="002", BEZNAME="Nord"),
                                                     feature(1, OBJECTID=2, BEZ="001", BEZNAME="Mitte")]}
    frame, (report,) = read_geometry(save(tmp_path, doc), REGIONS)
    assert report["key"] == "BEZ" and frame["region_id"].tolist() == ["02", "01"]


def test_codes_with_other_leading_zeros_and_names_when_no_codes_fit(tmp_path):
    doc = {"type": "FeatureCollection", "features": [feature(0, schluessel="001", name="Mitte", einheit="m²"),
                                                     feature(1, schluessel=2, name="Nord", einheit="²")]}
    frame, (report,) = read_geometry(save(tmp_path, doc), REGIONS)
    assert frame["region_id"].tolist() == ["01", "02"] and report["rewritten"] == 2
    named = {"type": "FeatureCollection", "features": [
        feature(0, id="9001", bezeichnung="Altstadt"), feature(1, id="9002", bezeichnung="HAFEN"),
        feature(2, id="0201", bezeichnung="Neubaugebiet")]}
    frame, (report,) = read_geometry(save(tmp_path, named), REGIONS)
    # names name two regions, the file's own codes one (of another region): read by names, and said so
    assert report["by"] == "names" and report["key"] == "bezeichnung"
    assert frame["region_id"].tolist() == ["0101", "0102", "Neubaugebiet"]
    assert report["unmatched"] == ["Neubaugebiet"] and report["codes"] == ("the feature ids", 1)


def test_a_map_of_the_whole_land_read_by_names_onto_a_store_of_one_kreis(tmp_path):
    """The map has 80 Gemeinden of other Kreise before the store's three, and codes of its own: the three are found
    by their names, the others are named as not in the store."""
    others = [feature(k, nr=f"9{k:03d}", gemeinde=f"Anderswo {k}") for k in range(80)]
    ours = [feature(80 + k, nr=f"8{k:03d}", gemeinde=name) for k, name in enumerate(["Altstadt", "Hafen", "Am Wald"])]
    frame, (report,) = read_geometry(save(tmp_path, {"type": "FeatureCollection", "features": others + ours}),
                                     REGIONS)
    assert report["by"] == "names" and report["key"] == "gemeinde" and report["regions"] == 3
    assert set(frame["region_id"]) >= {"0101", "0102", "0201"} and len(report["unmatched"]) == 80


def test_a_key_whose_values_repeat_is_no_id_and_nothing_found_is_an_error(tmp_path):
    doc = {"type": "FeatureCollection", "features": [
        feature(k, bezirk="Mitte", nummer=f"77{k}", datum="2021-01-01") for k in range(3)]}
    with pytest.raises(GeometryError, match=r"no property of the features holds codes or names of the store's "
                                            r"regions \(properties: bezirk, nummer, datum; the store's codes look "
                                            r"like '01', '02', '0101'\); name it with --id-property"):
        read_geometry(save(tmp_path, doc), REGIONS)
    with pytest.raises(GeometryError, match="the store has no regions: import the region list first"):
        read_geometry(save(tmp_path, doc), REGIONS.iloc[:0])
    with pytest.raises(GeometryError, match=r"feature 1: no region id in property 'kenn' \(its properties: bezirk"):
        read_geometry(save(tmp_path, {"type": "FeatureCollection", "features": [
            feature(0, kenn="0101"), feature(1, bezirk="Mitte")]}), REGIONS, id_property="kenn")


def test_topojson_objects_are_levels_read_each_by_its_own_key(tmp_path):
    arcs = [[[13.0 + k * 0.01, 52.0], [13.01 + k * 0.01, 52.0], [13.01 + k * 0.01, 52.01], [13.0 + k * 0.01, 52.01],
             [13.0 + k * 0.01, 52.0]] for k in range(4)]
    topo = {"type": "Topology", "arcs": arcs, "objects": {
        "planungsraeume": {"type": "GeometryCollection", "geometries": [
            {"type": "Polygon", "arcs": [[0]], "properties": {"plr_id": "0101", "plr_name": "Altstadt"}},
            {"type": "Polygon", "arcs": [[1]], "properties": {"plr_id": "0102", "plr_name": "Hafen"}}]},
        "bezirke": {"type": "GeometryCollection", "geometries": [
            {"type": "Polygon", "arcs": [[2]], "properties": {"BEZ": "001", "BEZNAME": "Mitte"}},
            {"type": "Polygon", "arcs": [[3]], "properties": {"BEZ": "002", "BEZNAME": "Nord"}}]}}}
    path = save(tmp_path, topo, "karte.topojson")
    frame, reports = read_geometry(path, REGIONS)
    assert frame["region_id"].tolist() == ["0101", "0102", "01", "02"]
    assert [(r["object"], r["key"], r["levels"]) for r in reports] == [
        ("planungsraeume", "plr_id", {"planungsraum": 2}), ("bezirke", "BEZ", {"bezirk": 2})]
    frame, reports = read_geometry(path, REGIONS, objects=["bezirke"])
    assert frame["region_id"].tolist() == ["01", "02"] and len(reports) == 1
    with pytest.raises(GeometryError, match=r"no object 'kreise' in the topology \(it has: planungsraeume, bezirke"):
        read_geometry(path, REGIONS, objects=["kreise"])
    with pytest.raises(GeometryError, match="--object names an object of a TopoJSON file"):
        read_geometry(save(tmp_path, {"type": "FeatureCollection", "features": [feature(0, id="01")]}), REGIONS,
                      objects=["bezirke"])
    # one region drawn in two objects: which is meant cannot be told
    topo["objects"]["bezirke"]["geometries"][0]["properties"]["BEZ"] = "0101"
    topo["objects"]["bezirke"]["geometries"][1]["properties"]["BEZ"] = "0102"
    with pytest.raises(GeometryError, match="'0101' has polygons in two objects of the file \\('planungsraeume', "
                                            "'bezirke'\\); import one object"):
        read_geometry(save(tmp_path, topo, "karte.topojson"), REGIONS)
    with pytest.raises(GeometryError, match="expected a GeoJSON FeatureCollection or a TopoJSON Topology "
                                            r"\(the document is a 'Feature'\)"):
        read_geometry(save(tmp_path, feature(0, id="01")), REGIONS)


def test_codes_behind_a_level_s_letters_and_codes_before_names_are_read_apart(tmp_path):
    """A municipal GIS's keys: 'PLR0101' and '0101 Altstadt'. A number before another region's name is not that
    region; the names are read after the number."""
    doc = {"type": "FeatureCollection", "features": [
        feature(0, AREA_ID="PLR0101", AREA_NAME="0101 Altstadt"),
        feature(1, AREA_ID="PLR0102", AREA_NAME="0102 Hafen"),
        feature(2, AREA_ID="PLR201", AREA_NAME="201 Am Wald")]}
    frame, (report,) = read_geometry(save(tmp_path, doc), REGIONS)
    assert frame["region_id"].tolist() == ["0101", "0102", "0201"] and frame["name"].tolist()[0] == "Altstadt"
    assert report["key"] == "AREA_ID" and report["read"] == "prefix 'PLR'" and report["rewritten"] == 1
    assert report["name_key"] == "AREA_NAME"
    # the numbers before the names alone: '0102 Sankt Georg' names no region, though 0102 is Hafen's code
    doc = {"type": "FeatureCollection", "features": [
        feature(0, bez="0101 Altstadt"), feature(1, bez="0102 Sankt Georg"), feature(2, bez="0201 Am Wald")]}
    frame, (report,) = read_geometry(save(tmp_path, doc), REGIONS)
    assert report["key"] == "bez" and report["read"] == "code and name" and report["by"] == "codes"
    assert report["regions"] == 2 and report["unmatched"] == ["0102 Sankt Georg"]
    assert frame["name"].tolist() == ["Altstadt", "Sankt Georg", "Am Wald"]
    # a store whose names carry the number too: the code counts where the whole text is its name
    numbered = REGIONS.assign(name=lambda d: d["region_id"] + " " + d["name"])
    frame, (report,) = read_geometry(save(tmp_path, doc), numbered)
    assert report["regions"] == 2 and frame["name"].tolist() == ["0101 Altstadt", "Sankt Georg", "0201 Am Wald"]
    # names alone behind numbers of another numbering: read by the names
    doc = {"type": "FeatureCollection", "features": [
        feature(0, bez="7 Altstadt"), feature(1, bez="8 Hafen"), feature(2, bez="9 Am Wald")]}
    frame, (report,) = read_geometry(save(tmp_path, doc), REGIONS)
    assert report["by"] == "names" and frame["region_id"].tolist() == ["0101", "0102", "0201"]


def test_finer_areas_naming_the_region_they_lie_in_are_joined_into_it(tmp_path):
    """Six squares in a row, each an area of its own ('STBZ011' …) naming its Planungsraum ('PLR0101'): each
    region is drawn as one rectangle, not as a MultiPolygon of squares; an exclave stays a part of its own."""
    import shapely

    parents = ["0101", "0101", "0101", "0102", "0102", "0201"]
    doc = {"type": "FeatureCollection", "features": [
        feature(k, AREA_ID=f"STBZ{k:03d}", AREA_NAME=f"{k:03d} Bezirk {'ABCDEF'[k]}", PARENT="PLR" + p)
        for k, p in enumerate(parents)] + [feature(9, AREA_ID="STBZ009", AREA_NAME="009 Insel", PARENT="PLR0201")]}
    frame, (report,) = read_geometry(save(tmp_path, doc), REGIONS)
    assert report["key"] == "PARENT" and report["joined"] == {"areas": 7, "key": "AREA_ID"}
    assert frame.attrs["duplicates"] == [] and report["namesakes"] == []
    shapes = {r: shapely.from_geojson(g) for r, g in zip(frame["region_id"], frame["geometry"])}
    assert shapes["0101"].geom_type == "Polygon" and shapes["0101"].area == pytest.approx(3e-4)
    assert shapes["0101"].length == pytest.approx(0.08)              # a rectangle's outline: no inner borders
    assert shapes["0201"].geom_type == "MultiPolygon" and len(shapes["0201"].geoms) == 2
    assert frame["name"].isna().all()                                # the areas' names are not the regions'
    # fewer areas than half again the regions are exclaves, merged as they are
    frame, (report,) = read_geometry(save(tmp_path, {"type": "FeatureCollection",
                                                     "features": [doc["features"][k] for k in (0, 3, 4, 5)]}),
                                     REGIONS)
    assert "joined" not in report and frame.attrs["duplicates"] == ["0102"]


@hsettings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 9_999), min_size=3, max_size=12, unique=True), st.integers(1, 6),
       st.text("ABCDEFGHKLMNPRSTUVWXYZ", min_size=1, max_size=5), st.sampled_from(["", "_", "-", " "]),
       st.sampled_from([" ", " - ", "-", ": "]))
def test_property_codes_behind_letters_and_before_names_find_their_region(numbers, width, letters, glue, between):
    """Codes written behind one prefix of letters, with any width, or before the region's name, with any of the
    usual separators: every polygon goes to its region, and the names are read without the number."""
    codes = [str(n) for n in numbers]
    names = [f"Ort {'abcdefghij'[n % 10]}{'klmnoprstu'[n // 10 % 10]}{n // 100}" for n in numbers]
    regions = pd.DataFrame({"region_id": codes, "name": names, "level": ["stadtteil"] * len(codes)})
    for key in ("kennung", "bezeichnung"):
        features = [feature(k, **{key: f"{letters}{glue}{n:0{width}d}" if key == "kennung"
                                  else f"{n:0{width}d}{between}{name}"})
                    for k, (n, name) in enumerate(zip(numbers, names))]
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as tmp:
            frame, (report,) = read_geometry(save(Path(tmp), {"type": "FeatureCollection", "features": features}),
                                             regions)
        assert frame["region_id"].tolist() == codes and report["key"] == key
        if key == "bezeichnung":
            assert frame["name"].tolist() == names


@hsettings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 99_999), min_size=1, max_size=12, unique=True), st.integers(2, 8),
       st.lists(st.integers(0, 3), min_size=12, max_size=12), st.randoms(use_true_random=False))
def test_property_codes_written_with_any_leading_zeros_find_their_region(numbers, width, pads, rnd):
    """Codes of one width in the store, written in the file with any number of leading zeros (or as numbers)
    beside a running number and a decoy of the same kind: every polygon goes to its region."""
    width = max(width, len(str(max(numbers))))
    codes = [str(n).zfill(width) for n in numbers]
    regions = pd.DataFrame({"region_id": codes, "name": [f"Gebiet {c}" for c in codes],
                            "level": ["planungsraum"] * len(codes)})
    features = []
    for k, (n, pad) in enumerate(zip(numbers, pads)):
        written = n if pad == 0 else "0" * pad + str(n)
        features.append(feature(k, lfd=100_000 + k, schluessel=written, decoy=f"x{rnd.randint(0, 10**6)}"))
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        frame, (report,) = read_geometry(save(Path(tmp), {"type": "FeatureCollection", "features": features}),
                                         regions)
    assert frame["region_id"].tolist() == codes and report["key"] == "schluessel"


@pytest.mark.realdata
def test_berlins_topojson_of_three_levels_through_the_command_line(shared_data, tmp_path):
    """The LOR key as region list, then the TopoJSON a dashboard of Berlin draws: every object goes to its level,
    the Bezirke's '004' to '04'; the polygons of another edition of the grid are named."""
    run = cli_with(write(tmp_path / "sozialradar.yaml", f"store:\n  path: {tmp_path / 'store.duckdb'}\n"),
                   tmp_path / "quarantine")
    key = shared_data / "berlin_bzr_kernindikatoren_tsb" / "preprocessed_lor_447plr_hierarchy.csv"
    run("mapping", "suggest", key, "--out", tmp_path / "lor.yaml")
    run("ingest", key, "--mapping", tmp_path / "lor.yaml")
    out = run("geometry", shared_data / "berlin_bzr_kernindikatoren_tsb" / "map-borders_lor447_topojson.json")
    # the Prognoseräume, which the file does not draw, are joined from their Bezirksregionen
    assert "geometry of 597 regions stored (657 regions have one)" in out
    assert "drawn as the union of their parts, having no polygon of their own: 60 prognoseraum" in out
    assert ("object 'lor_planungsraeume': 447 feature(s), ids from the codes in 'spatial_name': regions 447 "
            "planungsraum; names from 'spatial_alias'") in out
    assert ("object 'bezirksgrenzen': 12 feature(s), ids from the codes in 'Gemeinde_schluessel': regions 12 bezirk; "
            "12 code(s) written with other leading zeros than the store's; names from 'Gemeinde_name'") in out
    assert "object 'lor_bezirksregionen': 138 feature(s), ids from the codes in 'spatial_name'" in out
    # the TopoJSON is the grid of 2006: 09041402 is Allende II there, Siedlung Krämmereiheide in the LOR key
    assert "09041402 'Allende II' vs 'Siedlung Krämmereiheide'" in out
    # the Prognoseräume of 2021 carry codes of their own: read by their names, and said so
    out = run("geometry", shared_data / "berlin_lor_geometry" / "lor_prognoseraeume_from2021_58_simplified.geojson")
    assert ("58 feature(s), ids from the names in 'name': regions 41 prognoseraum (its codes, the feature ids, name "
            "only 1 of the store's regions: another numbering, or another edition of the grid?") in out
    assert "17 polygon(s) name no region of the store and were not stored" in out
    # of the 41 read by name, Tegel of 2021 is another area than the Tegel of 2006 its Bezirksregionen draw
    assert ("1 polygon(s) cover another area than the region's parts draw (another edition of the grid, read by a "
            "name that stayed?): 1221 'Tegel', 53% in common") in out
    # the simplified GeoJSON draws Charlottenburg's Schloßstraße under the id of Steglitz's
    out = run("geometry", shared_data / "berlin_lor_geometry" / "lor_planungsraeume_until2020_447_simplified.geojson")
    assert ("448 feature(s), ids from the codes in 'id': regions 447 planungsraum; 06010102 is on several features "
            "named 'Schloßstraße', the name of 04030417 as well, which the file does not draw: is one of them "
            "04030417?") in out
    from ml.store import Store

    with Store(tmp_path / "store.duckdb") as store:
        regions = store.regions()
    drawn = regions[regions["geometry"].notna()]
    # the 447 of the TopoJSON, and 09041403 of the later GeoJSON
    assert drawn["level"].value_counts().to_dict() == {"planungsraum": 448, "bezirksregion": 138, "prognoseraum": 60,
                                                       "bezirk": 12}

"""Region geometry: GeoJSON parsing and checks (unit and property tests), the store table, generated polygons,
and Berlin's real PLR polygons."""

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from ml.geometry import (
    GeometryError, feature_collection, map_layer, name_mismatches, parse_geojson, read_geojson, store_geometry,
    synthetic_polygons,
)
from ml.paths import SAMPLE_DIR


def square(x, y, d=0.01, closed=True):
    ring = [[x, y], [x + d, y], [x + d, y + d], [x, y + d]]
    return ring + [ring[0]] if closed else ring


def fc(*features, crs=None):
    doc = {"type": "FeatureCollection", "features": list(features)}
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    return doc


def feat(rid, geometry, name=None, key="id"):
    props = {key: rid}
    if name:
        props["name"] = name
    return {"type": "Feature", "properties": props, "geometry": geometry}


def area(ring):
    x, y = np.array(ring).T
    return 0.5 * abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1)))


def test_polygon_and_multipolygon_with_leading_zeros_and_closing():
    doc = fc(feat("01011101", {"type": "Polygon", "coordinates": [square(13.3, 52.5, closed=False)]}, "Stüler"),
             feat("02", {"type": "MultiPolygon", "coordinates": [[square(13.0, 52.0)], [square(13.1, 52.1)]]}),
             crs="urn:ogc:def:crs:OGC:1.3:CRS84")
    frame = parse_geojson(json.dumps(doc))
    assert list(frame["region_id"]) == ["01011101", "02"]
    g = json.loads(frame.loc[0, "geometry"])
    assert g["type"] == "Polygon" and g["coordinates"][0][0] == g["coordinates"][0][-1]  # ring closed
    assert json.loads(frame.loc[1, "geometry"])["type"] == "MultiPolygon"
    assert frame.loc[0, "name"] == "Stüler" and frame.attrs["duplicates"] == []


def test_duplicate_ids_merge_into_a_multipolygon_and_are_reported():
    doc = fc(feat("7", {"type": "Polygon", "coordinates": [square(13.0, 52.0)]}),
             feat("7", {"type": "Polygon", "coordinates": [square(13.2, 52.0)]}))
    frame = parse_geojson(doc)
    assert len(frame) == 1 and frame.attrs["duplicates"] == ["7"]
    assert len(json.loads(frame.loc[0, "geometry"])["coordinates"]) == 2


@pytest.mark.parametrize("doc, match", [
    ("{not json", "not JSON"),
    ({"type": "Feature"}, "FeatureCollection"),
    (fc(), "no features"),
    (fc(feat("1", {"type": "Point", "coordinates": [13.0, 52.0]})), "only Polygon"),
    (fc(feat("1", {"type": "Polygon", "coordinates": [square(390000.0, 5820000.0, 100)]})), "--crs, e.g. EPSG:25832"),
    (fc(feat("1", {"type": "Polygon", "coordinates": [[[13, 52], [13.1, 52]]]})), "at least 4"),
    (fc(feat("1", {"type": "Polygon", "coordinates": [[[13, "x"], [13.1, 52], [13, 52.1], [13, 52]]]})), "not numeric"),
    (fc(feat(None, {"type": "Polygon", "coordinates": [square(13, 52)]})), "no region id"),
    (fc(feat("1", {"type": "Polygon", "coordinates": [square(13, 52)]}), crs="EPSG:999999"), "is unknown"),
    (fc(feat("1", {"type": "Polygon", "coordinates": [square(13, 52)]}), crs="EPSG:5783"), "a height system"),
    ({"type": "FeatureCollection", "features": [{"properties": ["x"], "geometry": None}]}, "properties must be"),
    ({"type": "FeatureCollection", "crs": ["x"], "features": [[1]]}, "not an object"),
])
def test_unusable_documents_are_rejected_with_the_reason(doc, match):
    with pytest.raises(GeometryError, match=match):
        parse_geojson(doc if isinstance(doc, str) else json.dumps(doc))


def _utm_northing(lat: float) -> float:
    """The UTM northing of a point on the central meridian: 0.9996 × the meridian arc of GRS80 from the equator,
    integrated numerically (an oracle independent of the projection library)."""
    import math

    from scipy.integrate import quad

    a, f = 6378137.0, 1 / 298.257222101
    e2 = f * (2 - f)
    return 0.9996 * quad(lambda p: a * (1 - e2) / (1 - e2 * math.sin(p) ** 2) ** 1.5, 0, math.radians(lat))[0]


@pytest.mark.parametrize("crs, meridian", [("urn:ogc:def:crs:EPSG::25833", 15.0), ("EPSG:25832", 9.0),
                                           ("http://www.opengis.net/def/crs/EPSG/0/25833", 15.0)])
def test_etrs89_utm_coordinates_are_converted_to_wgs84(crs, meridian):
    """Points on a UTM zone's central meridian (easting 500,000 m) at 52.5° and 51°: the file's crs member, or
    the caller's, names the system; the polygon comes back in longitude/latitude to a centimetre."""
    ring = [[500000.0, _utm_northing(52.5)], [500100.0, _utm_northing(52.5)], [500000.0, _utm_northing(51.0)]]
    doc = fc(feat("7", {"type": "Polygon", "coordinates": [ring]}))
    for frame in (parse_geojson(dict(doc, crs={"type": "name", "properties": {"name": crs}})),
                  parse_geojson(doc, crs=crs)):
        out = np.array(json.loads(frame.loc[0, "geometry"])["coordinates"][0])
        assert np.allclose(out[[0, 2, 3]], [[meridian, 52.5], [meridian, 51.0], [meridian, 52.5]], atol=2e-7)
        assert out[1, 0] > meridian and abs(out[1, 1] - 52.5) < 1e-4      # 100 m east
    with pytest.raises(GeometryError, match="outside WGS84.*--crs"):
        parse_geojson(doc)


def test_the_id_property_is_configurable(tmp_path):
    path = tmp_path / "g.geojson"
    path.write_text(json.dumps(fc(feat("0815", {"type": "Polygon", "coordinates": [square(9, 50)]}, key="PLR_ID"))))
    assert read_geojson(path, id_property="PLR_ID")["region_id"].tolist() == ["0815"]
    with pytest.raises(GeometryError, match="no region id"):
        read_geojson(path)
    with pytest.raises(GeometryError, match="not found"):
        read_geojson(tmp_path / "missing.geojson")


@pytest.mark.parametrize("name, head, kind", [
    ("gemeinden.shp", b"\x00\x00\x27\x0a" + bytes(96), "a shapefile"),
    ("karte.dat", b"\x00\x00\x27\x0a" + bytes(96), "a shapefile"),
    ("gemeinden.gpkg", b"SQLite format 3\x00", "a GeoPackage"),
    ("export", b"SQLite format 3\x00", "a GeoPackage")])
def test_map_formats_of_another_kind_are_named_and_read_by_the_map_reader(tmp_path, name, head, kind):
    """The GeoJSON reader names a GIS file and the reader that takes it; that reader, given a broken one, says what
    it took it for and GDAL's reason."""
    from ml.geometry_match import read_geometry

    path = tmp_path / name
    path.write_bytes(head)
    with pytest.raises(GeometryError, match=f"{name}: {kind}, not GeoJSON or TopoJSON: 'sozialradar geometry' "
                                            "reads it"):
        read_geojson(path)
    regions = pd.DataFrame({"region_id": ["01"], "name": ["Mitte"], "level": "bezirk"})
    with pytest.raises(GeometryError, match=f"{name}: {kind} that cannot be read"):
        read_geometry(path, regions)


def test_geojson_not_in_utf8_is_refused(tmp_path):
    (tmp_path / "latin1.geojson").write_bytes('{"type": "FeatureCollection", "name": "Übersicht"}'.encode("cp1252"))
    with pytest.raises(GeometryError, match=r"not UTF-8 text \(GeoJSON and TopoJSON are UTF-8\)"):
        read_geojson(tmp_path / "latin1.geojson")


coord = st.tuples(st.floats(-180, 180, allow_nan=False), st.floats(-90, 90, allow_nan=False))


@hsettings(max_examples=60, deadline=None)
@given(st.lists(st.lists(coord, min_size=3, max_size=8).filter(lambda r: r[0] != r[-1]), min_size=1, max_size=5),
       st.lists(st.text(alphabet="0123456789ABC", min_size=1, max_size=8), min_size=1, max_size=5))
def test_property_valid_polygons_round_trip(rings, ids):
    """Open rings of three or more positions are closed; ids and every ring survive."""
    features = [feat(ids[k % len(ids)], {"type": "Polygon", "coordinates": [[list(p) for p in ring]]})
                for k, ring in enumerate(rings)]
    frame = parse_geojson(fc(*features))
    assert set(frame["region_id"]) == {ids[k % len(ids)] for k in range(len(rings))}
    for g in frame["geometry"]:
        geom = json.loads(g)
        polys = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
        for poly in polys:
            for ring in poly:
                assert ring[0] == ring[-1] and len(ring) >= 4
    back = feature_collection(frame)
    assert len(back["features"]) == len(frame)


@hsettings(max_examples=100, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                        st.sampled_from(["type", "features", "geometry", "properties", "coordinates", "id", "crs"]),
                        inner, max_size=4), max_leaves=20))
def test_property_arbitrary_json_gives_a_frame_or_a_geometry_error(doc):
    try:
        frame = parse_geojson(json.dumps(doc))
    except GeometryError:
        return
    assert isinstance(frame, pd.DataFrame) and len(frame) >= 1


json_values = st.recursive(st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=4),
                           lambda inner: st.lists(inner, max_size=5) | st.dictionaries(
                               st.sampled_from(["type", "coordinates", "id", "name", "properties"]), inner,
                               max_size=3), max_leaves=25)


@hsettings(max_examples=150, deadline=None)
@given(st.lists(st.fixed_dictionaries({}, optional={
    "type": st.sampled_from(["Feature", "x"]), "id": json_values,
    "properties": json_values | st.fixed_dictionaries({"id": json_values}),
    "geometry": json_values | st.fixed_dictionaries({"type": st.sampled_from(["Polygon", "MultiPolygon"]),
                                                    "coordinates": json_values})}), min_size=1, max_size=4),
    json_values)
def test_property_feature_collections_with_arbitrary_members(features, crs):
    """Whatever the features hold, the parser answers with a frame or a GeometryError, never another error."""
    try:
        frame = parse_geojson({"type": "FeatureCollection", "crs": crs, "features": features})
    except GeometryError:
        return
    assert frame["region_id"].map(lambda r: isinstance(r, str) and r != "").all()


@pytest.mark.parametrize("n", [1, 7, 53, 60])
def test_generated_polygons_tile_the_county_without_gaps(n):
    frame = synthetic_polygons([f"r{k}" for k in range(n)], seed=3)
    assert len(frame) == n and frame["region_id"].is_unique
    rings = [json.loads(g)["coordinates"][0] for g in frame["geometry"]]
    assert all(ring[0] == ring[-1] and len(ring) == 5 for ring in rings)
    cols = int(np.ceil(np.sqrt(n * 0.8 / 0.5)))
    if n % cols == 0:  # a full grid covers the whole rectangle exactly once
        assert sum(area(r) for r in rings) == pytest.approx(0.8 * 0.5, rel=1e-3)
    assert parse_geojson(feature_collection(frame))["region_id"].tolist() == frame["region_id"].tolist()


def test_embedded_sample_geometry_covers_every_gemeinde():
    regions = pd.read_csv(SAMPLE_DIR / "regions.csv", dtype=str)
    frame = read_geojson(SAMPLE_DIR / "geometry.geojson")
    gem = set(regions.loc[regions["level"] == "gemeinde", "region_id"])
    assert set(frame["region_id"]) == gem
    assert name_mismatches(frame, regions) == []


def test_store_geometry_sets_region_polygons_and_reports(store):
    store.upsert_regions(pd.DataFrame({"region_id": ["1", "2"], "name": ["Nord", "Süd"], "level": ["gemeinde"] * 2,
                                       "parent_id": [None, None]}), None)
    first = parse_geojson(fc(feat("1", {"type": "Polygon", "coordinates": [square(9, 50)]}, "Nord"),
                             feat("2", {"type": "Polygon", "coordinates": [square(9.1, 50)]}, "Sued-West")))
    counts = store_geometry(store, first)
    assert counts["stored"] == 2 and counts["unknown"] == 0 and counts["total"] == 2
    assert counts["name_mismatches"] == [("2", "Sued-West", "Süd")]
    again = parse_geojson(fc(feat("2", {"type": "Polygon", "coordinates": [square(9.5, 50)]}),
                             feat("3", {"type": "Polygon", "coordinates": [square(9.6, 50)]})))
    counts = store_geometry(store, again)
    assert counts["stored"] == 1 and counts["unknown"] == 1 and counts["total"] == 2
    table = store.regions().set_index("region_id")
    assert json.loads(table.loc["2", "geometry"])["coordinates"][0][0] == [9.5, 50.0]
    assert json.loads(table.loc["1", "geometry"])["coordinates"][0][0] == [9.0, 50.0]
    # a later region list without geometry keeps the polygons
    store.upsert_regions(pd.DataFrame({"region_id": ["1"], "name": ["Nordstadt"], "level": ["gemeinde"],
                                       "parent_id": [None]}), None)
    table = store.regions().set_index("region_id")
    assert table.loc["1", "name"] == "Nordstadt" and table.loc["1", "geometry"] is not None


def test_regions_named_by_their_codes_take_the_geometrys_names(store):
    """A table of codes alone (Berlin's open MSS files per Bezirksregion) names its regions by their codes; a
    geometry that names them gives them its names, and says so. A region with a name of its own keeps it: that is a
    mismatch, as before."""
    store.upsert_regions(pd.DataFrame({"region_id": ["010112", "010113", "2"], "name": ["010112", "010113", "Süd"],
                                       "level": ["bezirksregion"] * 3, "parent_id": ["01", "01", None]}), None)
    def polygon(x):
        return {"type": "Polygon", "coordinates": [square(x, 52.5)]}

    frame = parse_geojson(fc(feat("010112", polygon(13.3), "Regierungsviertel"), feat("010113", polygon(13.4)),
                             feat("2", polygon(13.5), "Nord")))
    counts = store_geometry(store, frame)
    assert counts["named"] == [("010112", "Regierungsviertel")]
    assert counts["name_mismatches"] == [("2", "Nord", "Süd")]
    names = store.regions().set_index("region_id")["name"]
    assert names.to_dict() == {"010112": "Regierungsviertel", "010113": "010113", "2": "Süd"}
    assert store_geometry(store, frame)["named"] == []          # named once; the next import finds names


@pytest.mark.realdata
def test_berlin_plr_polygons(shared_data):
    frame = read_geojson(shared_data / "berlin_lor_geometry" / "lor_planungsraeume_until2020_447_simplified.geojson")
    assert len(frame) == 447 and frame["region_id"].str.len().eq(8).all()
    # one PLR id is on two features in this file (merged and reported)
    assert frame.attrs["duplicates"] == ["06010102"]
    lon_lat = np.array([p for g in frame["geometry"] for ring in json.loads(g)["coordinates"]
                        for p in (ring if json.loads(g)["type"] == "Polygon" else [q for r in ring for q in r])])
    assert 13.0 < lon_lat[:, 0].min() < lon_lat[:, 0].max() < 13.8 and 52.3 < lon_lat[:, 1].min() < 52.7


@pytest.mark.realdata
def test_berlins_plr_polygons_against_the_lor_keys_abbreviated_names(shared_data, store, settings, tmp_path):
    """The LOR key writes 'Stülerstr.', the polygons 'Stülerstraße': the same name, no sign of another grid. What
    is left are names that really differ (an abbreviation without a full stop, another spelling)."""
    from ml.catalog import load_catalog
    from ml.config import CatalogConfig
    from ml.importers import ingest_file, load_mapping
    from ml.suggest import suggest_mapping

    key = shared_data / "berlin_bzr_kernindikatoren_tsb" / "preprocessed_lor_447plr_hierarchy.csv"
    mapping = tmp_path / "lor.yaml"
    cfg = CatalogConfig()
    mapping.write_text(suggest_mapping(key, load_catalog(cfg.dimensions, cfg.indicators)).to_yaml(), encoding="utf-8")
    assert ingest_file(key, store, settings, mapping=load_mapping(mapping)).status == "ok"
    frame = read_geojson(shared_data / "berlin_lor_geometry" / "lor_planungsraeume_until2020_447_simplified.geojson")
    named = store.regions().set_index("region_id")["name"]
    assert named["01011101"] == "Stülerstr." and frame.set_index("region_id").loc["01011101", "name"] == "Stülerstraße"
    assert name_mismatches(frame, store.regions()) == [
        ("01033203", "Humboldthain Nordwest", "Humboldthain NW"), ("09020601", "Schnellerstraße", "Schnellerstr"),
        ("09041402", "Siedlung Kämmereiheide", "Siedlung Krämmereiheide")]


@pytest.mark.parametrize("a, b, same", [
    ("Stülerstr.", "Stülerstraße", True), ("Nördl. Landwehrkanal", "Nördlicher Landwehrkanal", True),
    ("Görlitz, Stadt", "Görlitz", True), ("Jürgensby", "JUERGENSBY", True), ("Westliche Höhe", "Westliche-Höhe", True),
    ("Humboldthain NW", "Humboldthain Nordwest", False), ("Nord", "Süd", False), ("Str.", "Straße Nord", False)])
def test_same_name_reads_abbreviations_and_designations(a, b, same):
    from ml.regions import same_name

    assert same_name(a, b) is same and same_name(b, a) is same


def test_a_table_as_a_map_layer_keeps_numbers_and_withheld_cells_out():
    regions = pd.DataFrame({"region_id": ["01", "02", "03"], "name": ["A", "B", "C"],
                            "geometry": [json.dumps({"type": "Polygon", "coordinates": [square(13, 52)]}),
                                         json.dumps({"type": "Polygon", "coordinates": [square(13.1, 52)]}), None]})
    table = pd.DataFrame({"Gebiet": ["01", "02", "03"], "Name": ["A", "B", "C"], "Jahr": ["2024"] * 3,
                          "Quote": [1.5, "gesperrt", 2.25], "Anzahl": [3, 4, 5], "Klasse": ["hoch", None, "gesperrt"]})
    layer = map_layer(table, regions)
    first, second, third = (f["properties"] for f in layer["features"])
    assert first == {"Gebiet": "01", "Name": "A", "Jahr": "2024", "Quote": 1.5, "Anzahl": 3, "Klasse": "hoch"}
    assert second["Quote"] is None and second["gesperrt"] == "Quote" and second["Klasse"] is None
    assert third["Klasse"] == "gesperrt" and "gesperrt" not in third      # a column of words keeps its words
    assert isinstance(first["Anzahl"], int) and json.dumps(layer, allow_nan=False)
    assert [f["geometry"] is None for f in layer["features"]] == [False, False, True]
    assert [f["id"] for f in layer["features"]] == ["01", "02", "03"]
    with pytest.raises(ValueError, match="several rows per region \\('01' among them\\)"):
        map_layer(pd.concat([table, table.iloc[:1]]), regions)

"""TopoJSON read as GeoJSON: arcs joined and reversed, quantized positions decoded, objects by level (unit and
property tests), and Berlin's TopoJSON of three levels against the GeoJSON of the same Planungsräume."""

import json

import numpy as np
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from ml.geometry import GeometryError, centroid, parse_geojson, read_geojson
from ml.topojson import TopologyError, is_topology, topology_collections


def two_squares(quantized: bool) -> dict:
    """Two unit squares side by side sharing the border x = 1: arc 0 the shared border (south to north), arc 1
    the rest of the left square, arc 2 the rest of the right one."""
    arcs = [[[1, 0], [1, 1]], [[1, 1], [0, 1], [0, 0], [1, 0]], [[1, 0], [2, 0], [2, 1], [1, 1]]]
    topo = {"type": "Topology", "objects": {"squares": {"type": "GeometryCollection", "geometries": [
        {"type": "Polygon", "arcs": [[0, 1]], "properties": {"code": "01", "name": "West"}},
        {"type": "Polygon", "arcs": [[~0, 2]], "properties": {"code": "02", "name": "Ost"}, "id": 7}]}}}
    if not quantized:
        topo["arcs"] = arcs
        return topo
    # the same squares at 13°E 52°N, a step of 0.001°, stored as integer differences
    topo["transform"] = {"scale": [0.001, 0.001], "translate": [13.0, 52.0]}
    topo["arcs"] = [[arc[0]] + [[b[0] - a[0], b[1] - a[1]] for a, b in zip(arc, arc[1:])]
                    for arc in ([[x * 10, y * 10] for x, y in arc] for arc in arcs)]
    return topo


def rings_of(collection):
    return [f["geometry"]["coordinates"][0] for f in collection["features"]]


def test_arcs_are_joined_and_a_negative_index_walks_an_arc_backwards():
    coll = topology_collections(two_squares(quantized=False))["squares"]
    west, east = rings_of(coll)
    assert west == [[1, 0], [1, 1], [0, 1], [0, 0], [1, 0]]
    assert east == [[1, 1], [1, 0], [2, 0], [2, 1], [1, 1]]   # the shared border walked north to south
    assert [f["properties"]["code"] for f in coll["features"]] == ["01", "02"]
    assert "id" not in coll["features"][0] and coll["features"][1]["id"] == 7


def test_quantized_positions_are_decoded_with_the_transform():
    west, east = rings_of(topology_collections(two_squares(quantized=True))["squares"])
    assert np.allclose(west, [[13.01, 52.0], [13.01, 52.01], [13.0, 52.01], [13.0, 52.0], [13.01, 52.0]])
    assert np.allclose(east, [[13.01, 52.01], [13.01, 52.0], [13.02, 52.0], [13.02, 52.01], [13.01, 52.01]])
    # read on as GeoJSON: two regions, rings closed, in WGS84
    frame = parse_geojson(topology_collections(two_squares(quantized=True))["squares"], id_property="code")
    assert frame["region_id"].tolist() == ["01", "02"] and frame["name"].tolist() == ["West", "Ost"]


def test_multipolygons_nested_collections_holes_and_the_choice_of_objects():
    topo = {"type": "Topology", "arcs": [[[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]], [[1, 1], [1, 2], [2, 2], [1, 1]],
                                         [[10, 10], [11, 10], [11, 11], [10, 10]]],
            "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
            "objects": {
                "stadtteile": {"type": "GeometryCollection", "geometries": [
                    {"type": "GeometryCollection", "geometries": [
                        {"type": "Polygon", "arcs": [[0], [1]], "properties": {"id": "A"}}]},
                    {"type": "MultiPolygon", "arcs": [[[2]], [[~1]]], "properties": {"id": "B"}}]},
                "bezirke": {"type": "Polygon", "arcs": [[0]], "properties": {"id": "Z"}}}}
    both = topology_collections(topo)
    assert list(both) == ["stadtteile", "bezirke"]
    a, b = both["stadtteile"]["features"]
    assert len(a["geometry"]["coordinates"]) == 2                        # outer ring and hole
    assert b["geometry"]["type"] == "MultiPolygon" and b["geometry"]["coordinates"][1][0][0] == [1, 1]
    assert b["geometry"]["coordinates"][1][0][1] == [2, 2]                # the hole's arc walked backwards
    assert both["bezirke"]["crs"] == topo["crs"]
    assert list(topology_collections(topo, ["bezirke"])) == ["bezirke"]
    with pytest.raises(TopologyError, match=r"no object 'kreise' in the topology \(it has: stadtteile, bezirke\)"):
        topology_collections(topo, ["kreise"])


@pytest.mark.parametrize("change, match", [
    (lambda t: t.pop("arcs"), "no list of arcs"),
    (lambda t: t.update(objects={}), "no objects"),
    (lambda t: t["objects"]["squares"]["geometries"][0].update(arcs=[[0, 5]]), "arc 5 does not exist"),
    (lambda t: t["objects"]["squares"]["geometries"][0].update(arcs=[[0, "1"]]), "is not an integer"),
    (lambda t: t["objects"]["squares"]["geometries"][0].update(arcs=[[]]), "a ring needs a list of arc indices"),
    (lambda t: t["objects"]["squares"]["geometries"][1].update(type="MultiPolygon", arcs=[0]), "list of polygons"),
    (lambda t: t["arcs"].append([[1, 2]]), "at least two positions"),
    (lambda t: t["arcs"].append([[1, 2], [1, "x"]]), "at least two positions"),
    (lambda t: t.update(transform={"scale": [1]}), "'scale' and 'translate'"),
    (lambda t: t["objects"]["squares"].update(geometries=None), "needs a list of geometries"),
])
def test_unreadable_topologies_are_refused_with_the_reason(change, match):
    topo = two_squares(quantized=False)
    change(topo)
    with pytest.raises(TopologyError, match=match):
        topology_collections(topo)


def test_is_topology():
    assert is_topology(two_squares(True)) and not is_topology({"type": "FeatureCollection"})
    assert not is_topology([1]) and not is_topology(None)


def _encode(rings, split, reverse, scale):
    """A topology of one Polygon per ring, each ring stored as two arcs (cut at ``split``), the second stored
    backwards where ``reverse``, quantized with ``scale`` (None: plain coordinates)."""
    arcs, geometries = [], []
    for k, (ring, cut, back) in enumerate(zip(rings, split, reverse)):
        closed = ring + [ring[0]]
        cut = 1 + cut % (len(closed) - 2)
        first, second = closed[:cut + 1], closed[cut:]
        indices = [len(arcs), len(arcs) + 1]
        if back:
            second, indices[1] = second[::-1], ~(len(arcs) + 1)
        arcs += [first, second]
        geometries.append({"type": "Polygon", "arcs": [indices], "properties": {"nr": k}})
    topo = {"type": "Topology", "objects": {"o": {"type": "GeometryCollection", "geometries": geometries}}}
    if scale is None:
        topo["arcs"] = arcs
        return topo
    topo["transform"] = {"scale": [scale, scale], "translate": [-180.0, -90.0]}
    grid = [[[round((x + 180) / scale), round((y + 90) / scale)] for x, y in arc] for arc in arcs]
    topo["arcs"] = [[arc[0]] + [[b[0] - a[0], b[1] - a[1]] for a, b in zip(arc, arc[1:])] for arc in grid]
    return topo


coord = st.tuples(st.floats(-179, 179, allow_nan=False), st.floats(-89, 89, allow_nan=False))


@hsettings(max_examples=80, deadline=None)
@given(st.lists(st.lists(coord, min_size=3, max_size=9, unique=True), min_size=1, max_size=4),
       st.lists(st.integers(0, 50), min_size=4, max_size=4), st.lists(st.booleans(), min_size=4, max_size=4),
       st.sampled_from([None, 1e-3, 1e-6]))
def test_property_rings_cut_into_arcs_come_back_whole(rings, split, reverse, scale):
    """Every ring, stored as two arcs (one of them backwards) and quantized or not, decodes to the same ring, to
    within half a quantization step."""
    features = topology_collections(_encode(rings, split, reverse, scale))["o"]["features"]
    assert len(features) == len(rings)
    for ring, feature in zip(rings, features):
        back = np.array(feature["geometry"]["coordinates"][0])
        assert back.shape == (len(ring) + 1, 2) and (back[0] == back[-1]).all()
        assert np.abs(back[:-1] - np.array(ring)).max() <= (scale or 0) / 2 + 1e-9


json_values = st.recursive(st.none() | st.booleans() | st.floats() | st.integers(-3, 3) | st.text(max_size=3),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                               st.sampled_from(["type", "arcs", "geometries", "properties", "scale", "translate"]),
                               inner, max_size=3), max_leaves=20)


@hsettings(max_examples=150, deadline=None)
@given(json_values, json_values, st.sampled_from(["Polygon", "MultiPolygon", "GeometryCollection", "Point", None]))
def test_property_arbitrary_topologies_give_collections_or_a_topology_error(arcs, member, kind):
    """Whatever a topology holds, the reader answers with FeatureCollections or a TopologyError; read on, they give
    a frame or a GeometryError, never another error."""
    topo = {"type": "Topology", "arcs": arcs if isinstance(arcs, list) else [[[0, 0], [1, 1]]],
            "objects": {"o": {"type": kind, "arcs": member, "geometries": member, "properties": {"id": "1"}}}}
    try:
        collections = topology_collections(topo)
    except TopologyError:
        return
    for coll in collections.values():
        assert coll["type"] == "FeatureCollection"
        try:
            parse_geojson(coll)
        except GeometryError:
            pass


@pytest.mark.realdata
def test_berlins_topojson_of_three_levels_is_the_geojson_of_the_same_planungsraeume(shared_data):
    path = shared_data / "berlin_bzr_kernindikatoren_tsb" / "map-borders_lor447_topojson.json"
    collections = topology_collections(json.loads(path.read_text(encoding="utf-8")))
    assert {name: len(c["features"]) for name, c in collections.items()} == {
        "lor_planungsraeume": 447, "bezirksgrenzen": 12, "lor_bezirksregionen": 138}
    plr = parse_geojson(collections["lor_planungsraeume"], id_property="spatial_name").set_index("region_id")
    derived = read_geojson(shared_data / "berlin_lor_geometry" / "lor_planungsraeume_until2020_447_simplified.geojson")
    derived = derived.set_index("region_id")
    # the TopoJSON is the grid of 2006, the GeoJSON a later one: Allende II (09041403) came from a part of
    # 09041402; and the GeoJSON draws Charlottenburg's Schloßstraße (04030417) as a second part of Steglitz's
    # (06010102), where the TopoJSON has 04030417
    assert centroid(plr.loc["04030417", "geometry"]) == pytest.approx((52.5136, 13.2952), abs=1e-3)
    second = json.loads(derived.loc["06010102", "geometry"])["coordinates"][0]
    assert centroid({"type": "Polygon", "coordinates": second}) == pytest.approx((52.5136, 13.2952), abs=1e-3)
    assert set(derived.index) - set(plr.index) == {"09041403"} and set(plr.index) - set(derived.index) == {"04030417"}
    metres = []
    for rid in sorted(set(plr.index) & set(derived.index) - {"06010102"}):
        (lat_a, lon_a), (lat_b, lon_b) = centroid(plr.loc[rid, "geometry"]), centroid(derived.loc[rid, "geometry"])
        metres.append(np.hypot((lat_a - lat_b) * 111_320, (lon_a - lon_b) * 111_320 * np.cos(np.radians(52.5))))
    # the same shapes (the GeoJSON simplified): centroids metres apart, except where the grid changed
    assert np.median(metres) < 5 and np.percentile(metres, 98) < 50

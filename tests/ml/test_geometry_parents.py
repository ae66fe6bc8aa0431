"""Polygons of regions that no map file draws, joined from their parts: slivers between the parts closed, enclaves
kept, a region's own polygon never replaced, a joined one joined again when its parts change; on Berlin, the
Bezirksregionen and Bezirke joined from the Planungsräume against the city's own polygons of them."""

import json

import numpy as np
import pandas as pd
import shapely

from ml.geometry_parents import is_derived, join_parent_polygons, overlap_with_parts
from tests.conftest import cli_with, write


def text(shape) -> str:
    return shapely.to_geojson(shape)


def county(store, shapes: dict):
    """A Kreis with three Sozialregionen of Gemeinden; ``shapes`` the Gemeinden's polygons."""
    rows = [("K", "Kreis", "kreis", None)]
    rows += [(s, f"Sozialregion {s}", "sozialregion", "K") for s in ("S1", "S2", "S3")]
    rows += [(g, f"Gemeinde {g}", "gemeinde", parent) for g, parent in (
        ("G1", "S1"), ("G2", "S1"), ("G3", "S1"), ("G4", "S1"),
        ("R1", "S2"), ("R2", "S2"), ("R3", "S2"), ("R4", "S2"), ("C", "S3"), ("D", "S3"))]
    store.upsert_regions(pd.DataFrame(rows, columns=["region_id", "name", "level", "parent_id"]), None)
    store.set_geometry(pd.DataFrame({"region_id": list(shapes), "geometry": [text(s) for s in shapes.values()]}))


def four_squares(x0: float, notch: float):
    """Four unit squares around the point (x0 + 1, 1), each missing a small triangle at that corner: their union has
    a small hole, as parts of a simplified map that do not share every border exactly."""
    centre = shapely.Polygon([(x0 + 1 - notch, 1), (x0 + 1, 1 - notch), (x0 + 1 + notch, 1), (x0 + 1, 1 + notch)])
    return [shapely.box(x0 + i, j, x0 + i + 1, j + 1).difference(centre) for j in (0, 1) for i in (0, 1)]


def test_slivers_between_the_parts_are_closed_and_an_enclave_kept(store):
    g = four_squares(0, 0.02)
    ring = shapely.box(4, 0, 7, 3)                            # S2: a ring of four parts around the Gemeinde C
    r = [ring.intersection(shapely.box(4, 0, 7, 1)), ring.intersection(shapely.box(4, 2, 7, 3)),
         shapely.box(4, 1, 5, 2), shapely.box(6, 1, 7, 2)]
    county(store, {"G1": g[0], "G2": g[1], "G3": g[2], "G4": g[3], "R1": r[0], "R2": r[1], "R3": r[2], "R4": r[3],
                   "C": shapely.box(5, 1, 6, 2)})
    out = join_parent_polygons(store)
    assert out["joined"] == {"sozialregion": 2} and out["ids"] == ["S1", "S2"]
    # S3 lacks D's polygon, and the Kreis lacks S3's: named, not drawn
    assert out["partial"] == {"sozialregion": 1, "kreis": 1} and out["lacking"] == [("S3", ["D"]), ("K", ["S3"])]
    shapes = dict(store.regions()[["region_id", "geometry"]].itertuples(index=False))
    s1, s2 = shapely.from_geojson(shapes["S1"]), shapely.from_geojson(shapes["S2"])
    assert s1.geom_type == "Polygon" and len(s1.interiors) == 0 and s1.equals(shapely.box(0, 0, 2, 2))
    assert len(s2.interiors) == 1 and shapely.Polygon(s2.interiors[0]).equals(shapely.box(5, 1, 6, 2))
    assert json.loads(shapes["S1"])["derived"] == "union of 4 parts" and is_derived(shapes["S1"])
    assert not is_derived(shapes["G1"]) and shapes["K"] is None
    # outer rings counter-clockwise, as GeoJSON turns them
    assert shapely.Polygon(json.loads(shapes["S1"])["coordinates"][0]).exterior.is_ccw


def test_a_small_hole_another_region_fills_stays_and_the_kreis_joins_last(store):
    g = four_squares(0, 0.005)
    small = shapely.box(0.99, 0.99, 1.01, 1.01)                # a Gemeinde of S3 inside S1's parts: an enclave
    county(store, {"G1": g[0].difference(small), "G2": g[1].difference(small), "G3": g[2].difference(small),
                   "G4": g[3].difference(small), "R1": shapely.box(3, 0, 4, 1), "R2": shapely.box(4, 0, 5, 1),
                   "R3": shapely.box(3, 1, 4, 2), "R4": shapely.box(4, 1, 5, 2), "C": small,
                   "D": shapely.box(6, 0, 7, 1)})
    out = join_parent_polygons(store)
    assert out["joined"] == {"sozialregion": 3, "kreis": 1} and out["partial"] == {}
    shapes = dict(store.regions()[["region_id", "geometry"]].itertuples(index=False))
    s1 = shapely.from_geojson(shapes["S1"])
    assert len(s1.interiors) == 1 and shapely.Polygon(s1.interiors[0]).equals(small)
    kreis = shapely.from_geojson(shapes["K"])
    assert kreis.geom_type == "MultiPolygon" and json.loads(shapes["K"])["derived"] == "union of 3 parts"
    assert np.isclose(kreis.area, 4 + 4 + 1)


def test_a_polygon_of_its_own_is_kept_and_a_joined_one_follows_its_parts(store):
    g = four_squares(0, 0.0)
    county(store, {"G1": g[0], "G2": g[1], "G3": g[2], "G4": g[3], "R1": shapely.box(3, 0, 4, 1),
                   "R2": shapely.box(4, 0, 5, 1), "R3": shapely.box(3, 1, 4, 2), "R4": shapely.box(4, 1, 5, 2)})
    own = text(shapely.box(3, 0, 5, 2.5))                      # S2 from a map file of its own
    # it covers a fifth more than its Gemeinden draw: named, with the share in common (4 of 5)
    frame = pd.DataFrame({"region_id": ["S2", "S1"], "name": ["Sozialregion S2", None],
                          "geometry": [own, text(shapely.box(0, 0, 2, 2.1))]})
    assert overlap_with_parts(frame, store.regions()) == [("S2", "Sozialregion S2", 0.8)]
    store.set_geometry(pd.DataFrame({"region_id": ["S2"], "geometry": [own]}))
    assert join_parent_polygons(store)["ids"] == ["S1"]
    store.set_geometry(pd.DataFrame({"region_id": ["G4"], "geometry": [text(shapely.box(1, 1, 3, 2))]}))
    assert join_parent_polygons(store)["ids"] == ["S1"]       # joined again: its part changed
    shapes = dict(store.regions()[["region_id", "geometry"]].itertuples(index=False))
    assert shapes["S2"] == own and shapely.from_geojson(shapes["S1"]).area == 5


def test_berlins_bezirksregionen_and_bezirke_joined_from_the_planungsraeume(shared_data, tmp_path):
    """The LOR key as region list, only the Planungsräume's map: the Bezirksregionen, Prognoseräume and Bezirke are
    drawn from them, within a few metres of the city's own polygons of those levels. Charlottenburg's Schloßstraße,
    which the simplified map draws under another id, leaves its Bezirksregion, Prognoseraum and Bezirk undrawn, and
    the command says which part each lacks."""
    run = cli_with(write(tmp_path / "sozialradar.yaml", f"store:\n  path: {tmp_path / 'store.duckdb'}\n"),
                   tmp_path / "quarantine")
    key = shared_data / "berlin_bzr_kernindikatoren_tsb" / "preprocessed_lor_447plr_hierarchy.csv"
    run("mapping", "suggest", key, "--out", tmp_path / "lor.yaml")
    run("ingest", key, "--mapping", tmp_path / "lor.yaml")
    maps = shared_data / "berlin_lor_geometry"
    out = run("geometry", maps / "lor_planungsraeume_until2020_447_simplified.geojson")
    assert ("drawn as the union of their parts, having no polygon of their own: 137 bezirksregion, 59 prognoseraum, "
            "11 bezirk") in out
    assert ("without a polygon, as some of their parts have none: 1 bezirksregion, 1 prognoseraum, 1 bezirk "
            "(040304 lacks 04030417; 0403 lacks 040304; 04 lacks 0403)") in out
    from ml.store import Store

    with Store(tmp_path / "store.duckdb", read_only=True) as store:
        shapes = {r: g for r, g in store.regions()[["region_id", "geometry"]].itertuples(index=False) if g}
    for name, floor in (("lor_bezirksregionen_until2020_138_simplified.geojson", 0.99),
                        ("berlin_bezirke_12_simplified.geojson", 0.99)):
        overlap = {}
        for feature in json.loads((maps / name).read_text(encoding="utf-8"))["features"]:
            rid = str(feature["properties"]["id"])
            if rid in shapes:
                a, b = shapely.from_geojson(shapes[rid]), shapely.geometry.shape(feature["geometry"])
                overlap[rid] = a.intersection(b).area / a.union(b).area
        assert np.median(list(overlap.values())) > 0.998
        # all but Steglitz's Schloßstraße, whose map holds Charlottenburg's as a second part
        assert {r for r, v in overlap.items() if v < floor} <= {"060101"}
    assert not any(len(p.interiors) for r, g in shapes.items() if is_derived(g)
                   for p in shapely.get_parts(shapely.from_geojson(g)))
    # the Bezirksregionen's map of their own replaces the joined ones, Schloß Charlottenburg's included: every
    # Prognoseraum and Bezirk is joined again, from them
    out = run("geometry", maps / "lor_bezirksregionen_until2020_138_simplified.geojson")
    assert "drawn as the union of their parts, having no polygon of their own: 60 prognoseraum, 12 bezirk" in out
    assert "without a polygon" not in out

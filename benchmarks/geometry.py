"""Map files read against the store's regions. Berlin's LOR: the TopoJSON of three levels with each object's ids
found (ours) beside the same polygons as three GeoJSON files (one per level, each border written out on both sides,
the ids in ``id``) read with their id property named (the anchor); and the simplified GeoJSON of the Planungsräume
converted to ETRS89 / UTM 33 and read back with its ``crs`` member, beside the same file in WGS84. And a map of
Germany's 10,786 Gemeinden as the federal agency's VG250 writes it (22 properties; the codes and names of the census
2022 in ``germany_kreise_inkar_gerda``, generated squares as shapes): ids found by the codes, and by the names where
the store's codes are others, beside the same file read with ``AGS`` named. One process, the two in turn, median of
the rounds (one round for the reading by names). The same Gemeinden drawn with 300 positions each, in ETRS89 / UTM 32,
as a GeoPackage and as a zipped shapefile (ours, through GDAL) beside the same map as GeoJSON (the anchor).

Flensburg's own shapefiles as the city publishes them (``flensburg_sozialatlas/raw``): the 13 Stadtteile keyed
``STGT03`` and ``03 Nordstadt`` read onto the store's ``3``, and the 41 statistical Bezirke joined into the Stadtteile
each names; beside GDAL's read of the same file alone (the anchor), with the joined Stadtteile's overlap with their own
polygons.

    .venv/bin/python benchmarks/geometry.py [--rounds 5] [--flensburg-only]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ml.catalog import effective_catalog  # noqa: E402
from ml.config import load_settings  # noqa: E402
from ml.geometry import centroid, feature_collection, parse_geojson, read_geojson  # noqa: E402
from ml.geometry_match import _same, read_geometry  # noqa: E402
from ml.importers import ingest_file, load_mapping  # noqa: E402
from ml.store import Store  # noqa: E402
from ml.suggest import suggest_mapping  # noqa: E402
from measure import SHARED, timed  # noqa: E402

TOPO = SHARED / "berlin_bzr_kernindikatoren_tsb" / "map-borders_lor447_topojson.json"
GEOJSON = [SHARED / "berlin_lor_geometry" / name for name in (
    "lor_planungsraeume_until2020_447_simplified.geojson", "lor_bezirksregionen_until2020_138_simplified.geojson",
    "berlin_bezirke_12_simplified.geojson")]
KEY = SHARED / "berlin_bzr_kernindikatoren_tsb" / "preprocessed_lor_447plr_hierarchy.csv"


def lor_regions(tmp: Path):
    """The LOR key of 2006 as the store's region list, imported with its suggestion as it stands."""
    settings = load_settings(env={"SOZIALRADAR_STORE__PATH": str(tmp / "store.duckdb"),
                                  "SOZIALRADAR_INGEST__REPORT_DIR": str(tmp / "quarantine")})
    mapping = tmp / "lor.yaml"
    mapping.write_text(suggest_mapping(KEY, effective_catalog(settings, [])).to_yaml(), encoding="utf-8")
    with Store(settings.store.path) as store:
        report = ingest_file(KEY, store, settings, mapping=load_mapping(mapping))
        if report.status != "ok":
            raise SystemExit(f"{KEY}: {report.status} {report.message}")
        return store.region_names()


def to_utm(path: Path, out: Path) -> None:
    """The GeoJSON at ``path`` with every position in ETRS89 / UTM 33 (EPSG:25833), named in its crs member."""
    from pyproj import Transformer

    forward = Transformer.from_crs("EPSG:4326", "EPSG:25833", always_xy=True)
    doc = json.loads(path.read_text(encoding="utf-8"))

    def ring(r):
        x, y = forward.transform(*np.asarray(r, float).T)
        return np.column_stack([x, y]).tolist()

    for feat in doc["features"]:
        g = feat["geometry"]
        polys = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
        polys = [[ring(r) for r in p] for p in polys]
        g["coordinates"] = polys[0] if g["type"] == "Polygon" else polys
    doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25833"}}
    out.write_text(json.dumps(doc), encoding="utf-8")


def _positions(geometry: str) -> int:
    g = json.loads(geometry)
    polys = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
    return sum(len(ring) for p in polys for ring in p)


def _arc_positions(path: Path) -> int:
    return sum(len(arc) for arc in json.loads(path.read_text(encoding="utf-8"))["arcs"])


def main() -> None:
    """Print the two comparisons as tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--flensburg-only", action="store_true", help="Only Flensburg's own shapefiles.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        flensburg(args.rounds)
        if args.flensburg_only:
            return
        regions = lor_regions(tmp)
        # each round from scratch, as a command reads a file once: the remembered name comparisons cleared
        ours_s, (frame, reports) = timed(lambda: (_same.cache_clear(), read_geometry(TOPO, regions))[1], args.rounds)
        levels = []
        for rep in reports:
            part = read_geometry(TOPO, regions, objects=[rep["object"]])[0]
            path = tmp / f"{rep['object']}.geojson"
            path.write_text(json.dumps(feature_collection(part)), encoding="utf-8")
            levels.append(path)
        anchor_s, frames = timed(lambda: [read_geojson(p) for p in levels], args.rounds)
        positions = sum(_positions(g) for g in frame["geometry"])
        print(f"positions after decoding: {positions:,}; the TopoJSON stores {_arc_positions(TOPO):,} in its arcs\n")
        print("| reading | collections | features | regions of the store | ids from | s (median) |")
        print("|---|---|---|---|---|---|")
        found = ", ".join(f"{r['object']}: {r['key']}" for r in reports)
        print(f"| TopoJSON, ids found (ours) | {len(reports)} | {sum(r['features'] for r in reports)} | "
              f"{frame['region_id'].isin(set(regions['region_id'])).sum()} | {found} | {ours_s:.3f} |")
        known = sum(int(f["region_id"].isin(set(regions["region_id"])).sum()) for f in frames)
        print(f"| the same as 3 GeoJSON, id named (anchor) | 3 | {sum(len(f) for f in frames)} | {known} | id | {anchor_s:.3f} |")
        print(f"\nratio ours/anchor {ours_s / anchor_s:.2f}")

        utm = tmp / "plr_25833.geojson"
        to_utm(GEOJSON[0], utm)
        conv_s, converted = timed(lambda: parse_geojson(utm.read_text(encoding="utf-8")), args.rounds)
        plain_s, plain = timed(lambda: read_geojson(GEOJSON[0]), args.rounds)
        err = []
        for a, b in zip(converted["geometry"], plain["geometry"]):
            ca, cb = np.asarray(json.loads(a)["coordinates"][0]), np.asarray(json.loads(b)["coordinates"][0])
            if ca.ndim == 3:
                ca, cb = ca[0], cb[0]
            metres = np.hypot((ca[:, 0] - cb[:, 0]) * 111_320 * np.cos(np.radians(52.5)),
                              (ca[:, 1] - cb[:, 1]) * 111_320)
            err.append(float(metres.max()))
        shift = max(np.hypot(*(np.subtract(centroid(a), centroid(b)) * 111_320))
                    for a, b in zip(converted["geometry"], plain["geometry"]))
        print("\n| Planungsräume | features | s (median) | largest position error, mm | largest centroid shift, mm |")
        print("|---|---|---|---|---|")
        print(f"| ETRS89 / UTM 33, converted (ours) | {len(converted)} | {conv_s:.3f} | {max(err) * 1000:.2f} | {shift * 1000:.2f} |")
        print(f"| WGS84 as published (anchor) | {len(plain)} | {plain_s:.3f} | – | – |")
        print(f"\nratio ours/anchor {conv_s / plain_s:.2f}")
        germany(tmp, args.rounds)
        gis_formats(tmp, args.rounds)
        joined_parents(tmp, args.rounds)


def vg250_like(path: Path) -> pd.DataFrame:
    """Write a GeoJSON of Germany's Gemeinden with the properties of BKG's VG250 (codes and names of the census
    2022, generated squares) to ``path``; the Gemeinden as a store's region list."""
    census = pd.read_csv(SHARED / "germany_kreise_inkar_gerda" / "municipality_census2022.csv", dtype={"ags": str})
    features = []
    for k, (ags, name, residents) in enumerate(zip(census["ags"], census["municipality_name"],
                                                    census["population_census22"])):
        x, y = 6 + (k % 100) * 0.09, 47 + (k // 100) * 0.07
        props = {"ADE": 6, "GF": 4, "BSG": 1, "ARS": ags[:5] + "0" + ags[5:] + "0", "AGS": ags,
                 "SDV_ARS": ags + "0000", "GEN": name.split(",")[0], "BEZ": "Gemeinde", "IBZ": 60, "BEM": "--",
                 "NBD": "ja", "SN_L": ags[:2], "SN_R": ags[2], "SN_K": ags[3:5], "SN_V1": "00", "SN_V2": "00",
                 "SN_G": ags[5:], "NUTS": "DE" + ags[:3], "EWZ": int(residents) if residents == residents else 0,
                 "KFL": round(10 + k % 97 * 1.3, 2), "DEBKG_ID": f"DEBKGDL2{k:08d}", "WSK": "2022-01-01"}
        ring = [[x, y], [x + 0.05, y], [x + 0.05, y + 0.05], [x, y + 0.05], [x, y]]
        features.append({"type": "Feature", "properties": props, "geometry": {"type": "Polygon",
                                                                              "coordinates": [ring]}})
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return pd.DataFrame({"region_id": census["ags"], "name": census["municipality_name"], "level": "gemeinde"})


def germany(tmp: Path, rounds: int) -> None:
    """The VG250-like map of Germany's Gemeinden: ids by codes, by names, and with the id property named."""
    path = tmp / "vg250_gem.geojson"
    regions = vg250_like(path)
    other = regions.assign(region_id="X" + regions["region_id"])      # a store whose codes the file does not write
    codes_s, (frame, (codes_rep,)) = timed(lambda: (_same.cache_clear(), read_geometry(path, regions))[1], rounds)
    names_s, (named, (names_rep,)) = timed(lambda: (_same.cache_clear(), read_geometry(path, other))[1], 1)
    anchor_s, plain = timed(lambda: read_geojson(path, id_property="AGS"), rounds)
    print("\n| Gemeinden (VG250's properties) | features | regions of the store | ids from | s (median) |")
    print("|---|---|---|---|---|")
    print(f"| by codes found (ours) | {codes_rep['features']} | {codes_rep['regions']} | {codes_rep['key']} | "
          f"{codes_s:.2f} |")
    print(f"| by names found, the store's codes others (ours) | {names_rep['features']} | {names_rep['regions']} | "
          f"{names_rep['key']} ({len(names_rep['unmatched'])} names not one region) | {names_s:.2f} |")
    print(f"| AGS named (anchor) | {len(plain)} | {int(plain['region_id'].isin(set(regions['region_id'])).sum())} "
          f"| AGS | {anchor_s:.2f} |")
    print(f"\nratio ours (codes) / anchor {codes_s / anchor_s:.2f}")


def gis_formats(tmp: Path, rounds: int, vertices: int = 300) -> None:
    """The Gemeinden as a GIS office hands them out: each a ring of ``vertices`` positions (the VG250's Gemeinden
    have a few hundred), in ETRS89 / UTM 32, as a GeoPackage and as a zipped shapefile (in a folder, Latin-1 table),
    read with their ids found; the anchor is the same map as GeoJSON in UTM 32 read by the same reader. GDAL's own
    read of each file (pyogrio, no conversion) is shown beside."""
    import warnings
    import zipfile

    import shapely
    from pyogrio.raw import read as gdal_read, write as gdal_write
    from pyproj import Transformer

    census = pd.read_csv(SHARED / "germany_kreise_inkar_gerda" / "municipality_census2022.csv", dtype={"ags": str})
    regions = pd.DataFrame({"region_id": census["ags"], "name": census["municipality_name"], "level": "gemeinde"})
    angle = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    project = Transformer.from_crs(4326, 25832, always_xy=True)
    shapes = []
    for k in range(len(census)):
        x, y = 6 + (k % 100) * 0.09, 47 + (k // 100) * 0.07
        lon, lat = x + 0.025 * (1 + 0.2 * np.sin(5 * angle)) * np.cos(angle), y + 0.02 * np.sin(angle)
        shapes.append(shapely.Polygon(np.column_stack(project.transform(lon, lat))))
    fields = {"AGS": census["ags"].to_numpy(object), "GEN": census["municipality_name"].str.split(",").str[0]
              .to_numpy(object), "BEZ": np.full(len(census), "Gemeinde", dtype=object)}
    wkb = shapely.to_wkb(shapes)
    gpkg, folder = tmp / "vg250.gpkg", tmp / "vg250_ebenen"
    folder.mkdir()
    gdal_write(str(gpkg), wkb, list(fields.values()), list(fields), layer="vg250_gem", geometry_type="Polygon",
               crs="EPSG:25832")
    with warnings.catch_warnings():          # a few Sorbian names have letters Latin-1 lacks: '?' in the shapefile
        warnings.simplefilter("ignore", RuntimeWarning)
        gdal_write(str(folder / "VG250_GEM.shp"), wkb, list(fields.values()), list(fields), geometry_type="Polygon",
                   crs="EPSG:25832", encoding="ISO-8859-1")
    shp_zip = tmp / "vg250.utm32s.shape.zip"
    with zipfile.ZipFile(shp_zip, "w") as archive:
        for part in folder.iterdir():
            archive.write(part, f"vg250_ebenen/{part.name}")
    geojson = tmp / "vg250_gem_utm32.geojson"
    geojson.write_text(json.dumps({"type": "FeatureCollection", "crs": {"type": "name", "properties": {
        "name": "urn:ogc:def:crs:EPSG::25832"}}, "features": [
            {"type": "Feature", "properties": {k: str(v[i]) for k, v in fields.items()},
             "geometry": json.loads(shapely.to_geojson(g))} for i, g in enumerate(shapes)]}), encoding="utf-8")
    anchor_s, (plain, _) = timed(lambda: (_same.cache_clear(), read_geometry(geojson, regions))[1], rounds)
    print(f"\n| Gemeinden, {vertices} positions each, ETRS89 / UTM 32 | MB | regions of the store | s (median) "
          "| GDAL's read alone, s | ratio to GeoJSON |")
    print("|---|---|---|---|---|---|")
    for label, path, gdal_path in (("GeoPackage (ours)", gpkg, str(gpkg)),
                                   ("zipped shapefile in a folder (ours)", shp_zip,
                                    f"/vsizip/{shp_zip}/vg250_ebenen/VG250_GEM.shp")):
        ours_s, (frame, (rep,)) = timed(lambda: (_same.cache_clear(), read_geometry(path, regions))[1], rounds)
        gdal_s, _ = timed(lambda: gdal_read(gdal_path), rounds)
        agree = (frame.set_index("region_id")["geometry"] == plain.set_index("region_id")["geometry"]).mean()
        print(f"| {label} | {path.stat().st_size / 1e6:.1f} | {rep['regions']} (shapes as the GeoJSON's: "
              f"{agree:.0%}) | {ours_s:.2f} | {gdal_s:.2f} | {ours_s / anchor_s:.2f} |")
    print(f"| GeoJSON, crs member (anchor) | {geojson.stat().st_size / 1e6:.1f} | "
          f"{int(plain['region_id'].isin(set(regions['region_id'])).sum())} | {anchor_s:.2f} | – | 1.00 |")


def _group_unions(regions: pd.DataFrame) -> int:
    """The anchor of the joining: each parent's parts united with shapely, the deepest first, nothing checked or
    stored. Returns how many parents were united."""
    import shapely

    shape = {r: shapely.from_geojson(g) for r, g in zip(regions["region_id"], regions["geometry"]) if g}
    level_parts = regions.dropna(subset=["parent_id"]).groupby("parent_id")["region_id"].agg(list)
    done = 0
    for _ in range(4):                       # a level per pass, upwards
        for parent, kids in level_parts.items():
            if parent not in shape and all(k in shape for k in kids):
                shape[parent] = shapely.union_all([shape[k] for k in kids])
                done += 1
    return done


def _timed_joins(store: Store, rounds: int) -> tuple[tuple[float, dict], float]:
    """The joining of ``store``'s parents timed (each round from the polygons as read, the joined ones dropped), and
    the anchor's unions of the same parts."""
    from ml.geometry_parents import join_parent_polygons

    base = store.regions()

    def ours():
        store.set_geometry(base[["region_id", "geometry"]])
        return join_parent_polygons(store)
    return timed(ours, rounds), timed(lambda: _group_unions(base), rounds)[0]


def joined_parents(tmp: Path, rounds: int) -> None:
    """Regions without a polygon joined from their parts: Berlin's Bezirksregionen, Prognoseräume and Bezirke from the
    simplified Planungsräume (compared with the city's own polygons of two of those levels), and Germany's 400 Kreise
    and 16 Länder from the 10,786 generated Gemeinden of the VG250-like map. Ours (slivers closed, stored) against
    shapely's union of each parent's parts alone (the anchor)."""
    import shapely

    from ml.geometry import store_geometry
    from ml.geometry_parents import is_derived

    settings = load_settings(env={"SOZIALRADAR_STORE__PATH": str(tmp / "store.duckdb")})
    print("\n| joined from their parts | parents joined | s (median) | shapely's unions alone, s | ratio |"
          " overlap with the city's own polygons (median, lowest) |")
    print("|---|---|---|---|---|---|")
    with Store(settings.store.path) as store:
        store_geometry(store, read_geojson(GEOJSON[0]))
        (ours_s, out), anchor_s = _timed_joins(store, rounds)
        shapes = {r: g for r, g in zip(*store.regions()[["region_id", "geometry"]].values.T) if g}
    overlaps = []
    for path in GEOJSON[1:]:
        for feature in json.loads(path.read_text(encoding="utf-8"))["features"]:
            rid = str(feature["properties"]["id"])
            if is_derived(shapes.get(rid)):
                a, b = shapely.from_geojson(shapes[rid]), shapely.geometry.shape(feature["geometry"])
                overlaps.append(a.intersection(b).area / a.union(b).area)
    joined = ", ".join(f"{n} {lv}" for lv, n in out["joined"].items())
    print(f"| Berlin: Planungsräume → Bezirksregionen, Prognoseräume, Bezirke | {joined} | {ours_s:.2f} | "
          f"{anchor_s:.2f} | {ours_s / anchor_s:.2f} | {np.median(overlaps):.4f}, {min(overlaps):.3f} "
          f"({len(overlaps)} compared) |")
    census = pd.read_csv(SHARED / "germany_kreise_inkar_gerda" / "municipality_census2022.csv", dtype={"ags": str})
    path = tmp / "vg250_gem.geojson"
    vg250_like(path)
    frame = read_geojson(path, id_property="AGS")
    kreise = sorted({a[:5] for a in census["ags"]})
    regions = pd.concat([
        pd.DataFrame({"region_id": census["ags"], "name": census["municipality_name"], "level": "gemeinde",
                      "parent_id": census["ags"].str[:5]}),
        pd.DataFrame({"region_id": kreise, "name": kreise, "level": "kreis", "parent_id": [k[:2] for k in kreise]}),
        pd.DataFrame({"region_id": sorted({k[:2] for k in kreise}), "name": "Land", "level": "land",
                      "parent_id": None})], ignore_index=True)
    germany_store = load_settings(env={"SOZIALRADAR_STORE__PATH": str(tmp / "germany.duckdb")})
    with Store(germany_store.store.path) as store:
        store.upsert_regions(regions, None)
        store_geometry(store, frame)
        (ours_s, out), anchor_s = _timed_joins(store, rounds)
    joined = ", ".join(f"{n} {lv}" for lv, n in out["joined"].items())
    print(f"| Germany (VG250-like squares): Gemeinden → Kreise → Länder | {joined} | {ours_s:.2f} | "
          f"{anchor_s:.2f} | {ours_s / anchor_s:.2f} | – |")


def flensburg(rounds: int) -> None:
    """Flensburg's two shapefiles read onto its 13 Stadtteile (the codes 1 … 13 and names of ``fl_district.csv``):
    ours (keys found and read apart, positions converted, the Bezirke joined) against GDAL's read alone."""
    import pyogrio
    import shapely

    raw = SHARED / "flensburg_sozialatlas" / "raw"
    table = pd.read_csv(SHARED / "flensburg_sozialatlas" / "csv" / "fl_district.csv", dtype=str)
    regions = pd.DataFrame({"region_id": table["id"], "name": table["name"], "level": "stadtteil"})
    print("\n| Flensburg's shapefile | features | regions of the store | ids from | s (median) | GDAL's read alone, s |"
          " ratio | overlap with the Stadtteile's own polygons (lowest, median) |")
    print("|---|---|---|---|---|---|---|---|")
    own = None
    for name in ("flensburg_stadtteile.zip", "flensburg_stadtbezirke.zip"):
        ours_s, (frame, (report,)) = timed(lambda: (_same.cache_clear(), read_geometry(raw / name, regions))[1],
                                           rounds)
        anchor_s, _ = timed(lambda: pyogrio.read_arrow(raw / name), rounds)
        shapes = dict(zip(frame["region_id"], frame["geometry"].map(shapely.from_geojson)))
        if own is None:
            own, overlap = shapes, "–"
        else:
            shares = [own[r].intersection(g).area / own[r].union(g).area for r, g in shapes.items()]
            overlap = f"{min(shares):.5f}, {np.median(shares):.5f}"
        how = f"{report['key']} ({report['read']})" + (f", {report['joined']['areas']} areas joined"
                                                      if report.get("joined") else "")
        print(f"| {name} | {report['features']} | {report['regions']} | {how} | {ours_s:.3f} | {anchor_s:.3f} | "
              f"{ours_s / anchor_s:.1f} | {overlap} |")


if __name__ == "__main__":
    main()

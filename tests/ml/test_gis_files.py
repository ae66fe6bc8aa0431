"""Map files as a GIS office hands them out, read through GDAL: Berlin's Planungsräume as a zipped shapefile in
ETRS89 / UTM 33 with a Latin-1 table, the Musterkreis as a GeoPackage of levels beside a layer of points, a table in
UTF-8 whose .cpg went missing, KML; errors that say what a file holds and what to name."""

import json
import zipfile

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings as hsettings, strategies as st
from pyogrio.raw import write as write_layer
from pyproj import Transformer

from ml.geometry import GeometryError, centroid
from ml.geometry_match import read_geometry
from tests.conftest import cli_with, write


def to_utm(geometry: dict, epsg: int):
    """A GeoJSON geometry in WGS84 as a shapely geometry in ``epsg``."""
    transformer = Transformer.from_crs(4326, epsg, always_xy=True)
    return shapely.transform(shapely.geometry.shape(geometry),
                             lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))


def save_layer(path, shapes, fields: dict, layer=None, crs="EPSG:25833", geometry_type="MultiPolygon",
               encoding=None, append=False, driver=None):
    """Shapes and their fields written as a GIS file (the driver from the suffix unless named)."""
    names = list(fields)
    write_layer(str(path), shapely.to_wkb(shapes), [np.asarray(fields[n], dtype=object) for n in names], names,
                layer=layer, geometry_type=geometry_type, crs=crs, encoding=encoding, append=append, driver=driver)
    return path


def lor(shared_data):
    geojson = shared_data / "berlin_lor_geometry" / "lor_planungsraeume_until2020_447_simplified.geojson"
    return geojson, json.loads(geojson.read_text(encoding="utf-8"))["features"]


def test_berlins_planungsraeume_as_a_zipped_shapefile_in_utm_read_as_the_geojson(shared_data, tmp_path):
    """The simplified GeoJSON written as a GIS office would hand it out: ETRS89 / UTM 33, a table in Latin-1 without
    a .cpg, zipped in a folder. The same regions, names and shapes come back (positions within a centimetre)."""
    geojson, features = lor(shared_data)
    regions = pd.DataFrame({"region_id": [f["properties"]["id"] for f in features],
                            "name": [f["properties"]["name"] for f in features],
                            "level": "planungsraum"}).drop_duplicates("region_id")
    folder = tmp_path / "lor_plr"
    folder.mkdir()
    save_layer(folder / "LOR_PLR.shp", [to_utm(f["geometry"], 25833) for f in features],
               {"PLR_ID": [f["properties"]["id"] for f in features],
                "PLR_NAME": [f["properties"]["name"] for f in features]}, encoding="ISO-8859-1")
    (folder / "LOR_PLR.cpg").unlink()
    assert b"Stra\xdfe" in (folder / "LOR_PLR.dbf").read_bytes()          # Latin-1 on disk
    archive = tmp_path / "lor_plr.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for part in folder.iterdir():
            z.write(part, f"lor_plr/{part.name}")
    frame, (report,) = read_geometry(archive, regions)
    expected, _ = read_geometry(geojson, regions)
    assert report["part"] == "layer" and report["object"] is None and report["key"] == "PLR_ID"
    assert report["regions"] == 447 and report["name_key"] == "PLR_NAME" and frame.attrs["notes"] == []
    assert frame.attrs["duplicates"] == ["06010102"]                      # the GeoJSON's two Schloßstraßen
    got, want = frame.set_index("region_id"), expected.set_index("region_id")
    assert sorted(got.index) == sorted(want.index)
    assert got.loc["01011101", "name"] == "Stülerstraße" and (got["name"] == want.loc[got.index, "name"]).all()
    shift = max(np.hypot(*np.subtract(centroid(got.loc[r, "geometry"]), centroid(want.loc[r, "geometry"])))
                for r in got.index)
    assert shift < 1e-7                                                    # degrees: about a centimetre
    # the folder unpacked reads the same; a second edition beside it is a second layer, named by its path
    (folder / "alt").mkdir()
    for part in ("shp", "shx", "dbf", "prj"):
        (folder / "alt" / f"LOR_PLR.{part}").write_bytes((folder / f"LOR_PLR.{part}").read_bytes())
    with pytest.raises(GeometryError, match="'01011101' has polygons in two layers of the file \\('LOR_PLR', "
                                            "'alt/LOR_PLR'\\); import one layer with --object"):
        read_geometry(folder, regions)
    again, (report,) = read_geometry(folder, regions, objects=["alt/LOR_PLR"])
    assert report["object"] is None and again["geometry"].tolist() == frame["geometry"].tolist()


@pytest.mark.realdata
def test_flensburgs_own_shapefiles_of_stadtteile_and_of_statistical_bezirke(shared_data, tmp_path):
    """The city's GIS keys its Stadtteile 'STGT03' and '03 Nordstadt', the store '3' and 'Nordstadt'; its 41
    statistical Bezirke name the Stadtteil each lies in ('PARENT_ARE'): joined, they draw the Stadtteile again."""
    from ml.store import Store

    run = cli_with(write(tmp_path / "sozialradar.yaml", f"store:\n  path: {tmp_path / 'store.duckdb'}\n"),
                   tmp_path / "quarantine")
    fl = shared_data / "flensburg_sozialatlas"
    run("mapping", "suggest", fl / "csv" / "fl_district.csv", "--out", tmp_path / "regions.yaml")
    with open(tmp_path / "regions.yaml", "a") as f:
        f.write("level: stadtteil\n")
    run("ingest", fl / "csv" / "fl_district.csv", "--mapping", tmp_path / "regions.yaml")
    out = run("geometry", fl / "raw" / "flensburg_stadtteile.zip")
    assert "geometry of 13 regions stored (13 regions have one)" in out
    assert ("13 feature(s), ids from the codes in 'AREA_ID' (behind the letters 'STGT'): regions 13 stadtteil; 9 "
            "code(s) written with other leading zeros than the store's; names from 'AREA_NAME'") in out
    assert "named differently" not in out and "not stored" not in out
    with Store(tmp_path / "store.duckdb", read_only=True) as store:
        own = store.regions().set_index("region_id")["geometry"]
    assert shapely.from_geojson(own["3"]).contains(shapely.Point(9.4189, 54.8093))   # Nordstadt, north of the port
    out = run("geometry", fl / "raw" / "flensburg_stadtbezirke.zip")
    assert ("41 feature(s), ids from the codes in 'PARENT_ARE' (behind the letters 'STGT'): regions 13 stadtteil; "
            "27 code(s) written with other leading zeros than the store's; the file draws finer areas (41, told apart "
            "by 'AREA_ID'): each region drawn as the union of the areas that name it") in out
    assert "MultiPolygon" not in out
    with Store(tmp_path / "store.duckdb", read_only=True) as store:
        joined = store.regions().set_index("region_id")["geometry"]
    for rid in own.index:
        a, b = shapely.from_geojson(own[rid]), shapely.from_geojson(joined[rid])
        assert b.geom_type == "Polygon" and len(b.interiors) == 0
        assert a.intersection(b).area / a.union(b).area > 0.999
    # by its names: the numbers before them are the Bezirke's, not the Stadtteile's ('011 St. Nikolai' is no 11)
    frame, (report,) = read_geometry(fl / "raw" / "flensburg_stadtbezirke.zip",
                                     pd.DataFrame({"region_id": own.index, "name": None, "level": "stadtteil"})
                                     .assign(name=lambda d: d["region_id"].map(names_of_flensburg(fl))),
                                     id_property="AREA_NAME")
    assert report["read"] == "code and name" and report["regions"] == 0 and len(report["unmatched"]) == 41


def names_of_flensburg(fl):
    """The Stadtteile's names by their code, from the city's own table."""
    table = pd.read_csv(fl / "csv" / "fl_district.csv", dtype=str)
    return dict(zip(table["id"], table["name"]))


def test_a_table_in_utf8_whose_cpg_went_missing_is_read_as_utf8(tmp_path):
    regions = pd.DataFrame({"region_id": ["01", "02"], "name": ["Süd", "Groß Nord"], "level": "gemeinde"})
    shapes = [shapely.box(400000, 5700000, 401000, 5701000), shapely.box(401000, 5700000, 402000, 5701000)]
    path = save_layer(tmp_path / "orte.shp", shapes, {"GEN": ["Süd", "Groß Nord"]}, crs="EPSG:25832",
                      geometry_type="Polygon", encoding="UTF-8")
    frame, (report,) = read_geometry(path, regions)
    assert frame["name"].tolist() == ["Süd", "Groß Nord"] and frame.attrs["notes"] == []    # the .cpg says UTF-8
    (tmp_path / "orte.cpg").unlink()
    frame, (report,) = read_geometry(path, regions)
    assert report["by"] == "names" and report["key"] == "GEN" and frame["region_id"].tolist() == ["01", "02"]
    assert frame["name"].tolist() == ["Süd", "Groß Nord"]
    assert frame.attrs["notes"] == ["layer 'orte': the table's text read as UTF-8 (no .cpg file names its encoding)"]


def musterkreis_geopackage(path, sample_dir):
    """The Musterkreis's polygons as a county's GIS keeps them: a GeoPackage in ETRS89 / UTM 33 with a layer per
    level (the Gemeinden's keys as numbers, the Sozialregionen by name), polling stations as points, a table of
    contacts without geometry, and the Wahlbezirke, which are no regions of the store."""
    regions = pd.read_csv(sample_dir / "regions.csv", dtype=str)
    features = json.loads((sample_dir / "geometry.geojson").read_text(encoding="utf-8"))["features"]
    shape_of = {f["properties"]["id"]: to_utm(f["geometry"], 25833) for f in features}
    gemeinden = regions[regions["level"] == "gemeinde"]
    save_layer(path, [shape_of[r] for r in gemeinden["region_id"]],
               {"AGS": [int(r) for r in gemeinden["region_id"]], "GEN": gemeinden["name"].tolist()},
               layer="gemeinden")
    sozial = regions[regions["level"] == "sozialregion"]
    merged = [shapely.union_all([shape_of[r] for r in regions.loc[regions["parent_id"] == s, "region_id"]
                                 if r in shape_of]) for s in sozial["region_id"]]
    save_layer(path, merged, {"Bezeichnung": sozial["name"].tolist()}, layer="sozialregionen", append=True)
    save_layer(path, [shapely.centroid(m) for m in merged], {"Wahllokal": [f"Schule {k}" for k in range(len(merged))]},
               layer="wahllokale", geometry_type="Point", append=True)
    save_layer(path, [shapely.buffer(shapely.centroid(m), 500) for m in merged],
               {"WBZ": [f"9{k:02d}" for k in range(len(merged))]}, layer="wahlbezirke", geometry_type="Polygon",
               append=True)
    return regions, gemeinden, sozial


def test_a_geopackage_of_levels_reads_each_layer_and_names_what_it_left_aside(tmp_path):
    from ml.paths import SAMPLE_DIR

    path = tmp_path / "kreis.gpkg"
    regions, gemeinden, sozial = musterkreis_geopackage(path, SAMPLE_DIR)
    frame, reports = read_geometry(path, regions[["region_id", "name", "level"]])
    by_layer = {r["object"]: r for r in reports}
    assert set(by_layer) == {"gemeinden", "sozialregionen"} and {r["part"] for r in reports} == {"layer"}
    assert by_layer["gemeinden"]["key"] == "AGS" and by_layer["gemeinden"]["levels"] == {"gemeinde": 53}
    assert by_layer["sozialregionen"]["by"] == "names" and by_layer["sozialregionen"]["levels"] == {"sozialregion": 7}
    assert frame.attrs["notes"] == ["layers without polygons left aside: wahllokale (points)",
                                    "layers naming no region of the store left aside: wahlbezirke"]
    assert len(frame) == 60
    # the shapes went to UTM and back: each Gemeinde's centre where the sample draws it
    sample = json.loads((SAMPLE_DIR / "geometry.geojson").read_text(encoding="utf-8"))["features"]
    want = {f["properties"]["id"]: centroid(f["geometry"]) for f in sample}
    got = frame.set_index("region_id")["geometry"]
    assert max(np.hypot(*np.subtract(centroid(got[r]), want[r])) for r in gemeinden["region_id"]) < 1e-7
    # a layer named: that layer only; a layer of points or one the file lacks: said so
    frame, (report,) = read_geometry(path, regions, objects=["sozialregionen"])
    assert frame["region_id"].str.contains("SR").all() and frame.attrs["notes"] == []
    with pytest.raises(GeometryError, match="the layer 'wahllokale' holds points, not the polygons of regions"):
        read_geometry(path, regions, objects=["wahllokale"])
    with pytest.raises(GeometryError, match=r"no layer 'kreise' in kreis.gpkg \(it has: gemeinden \(polygons\), "
                                            r"sozialregionen \(polygons\), wahllokale \(points\), wahlbezirke"):
        read_geometry(path, regions, objects=["kreise"])


def test_the_geopackage_through_the_command_line(tmp_path):
    from ml.paths import SAMPLE_DIR

    run = cli_with(write(tmp_path / "sozialradar.yaml", f"store:\n  path: {tmp_path / 'store.duckdb'}\n"),
                   tmp_path / "quarantine")
    run("ingest", SAMPLE_DIR / "regions.csv")
    musterkreis_geopackage(tmp_path / "kreis.gpkg", SAMPLE_DIR)
    out = run("geometry", tmp_path / "kreis.gpkg")
    assert "geometry of 60 regions stored (61 regions have one)" in out
    assert "layer 'gemeinden': 53 feature(s), ids from the codes in 'AGS': regions 53 gemeinde; names from 'GEN'" in out
    assert "layer 'sozialregionen': 7 feature(s), ids from the names in 'Bezeichnung': regions 7 sozialregion\n" in out
    assert "layers without polygons left aside: wahllokale (points)" in out
    assert "layers naming no region of the store left aside: wahlbezirke" in out
    assert "drawn as the union of their parts, having no polygon of their own: 1 kreis" in out
    out = run("store", "info")
    assert ("polygons for the map: gemeinde 53 of 53, sozialregion 7 of 7, kreis 1 of 1 (1 joined from their "
            "parts)") in out


def test_files_without_a_map_and_parts_of_a_shapefile_say_what_to_name(tmp_path):
    regions = pd.DataFrame({"region_id": ["01"], "name": ["Süd"], "level": "gemeinde"})
    archive = tmp_path / "lieferung.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("liesmich.txt", "Gebiete")
        z.writestr("gebiete.geojson", "{}")
    with pytest.raises(GeometryError, match=r"holds no shapefile, GeoPackage, KML, GML or FlatGeobuf \(it holds: "
                                            r"liesmich.txt, gebiete.geojson\) \(GeoJSON or TopoJSON: unpack it"):
        read_geometry(archive, regions)
    with pytest.warns(UserWarning, match="'crs' was not provided"):        # a shapefile without a .prj
        path = save_layer(tmp_path / "orte.shp", [shapely.box(400000, 5700000, 401000, 5701000)], {"GEN": ["Süd"]},
                          crs=None, geometry_type="Polygon")
    with pytest.raises(GeometryError, match=r"a shapefile's table; name the shapefile itself: .*orte.shp"):
        read_geometry(tmp_path / "orte.dbf", regions)
    # no .prj: the positions are no longitudes and latitudes, and the error asks for the system
    with pytest.raises(GeometryError, match="outside WGS84 .* --crs"):
        read_geometry(path, regions)
    frame, (report,) = read_geometry(path, regions, crs="EPSG:25832")
    assert frame["region_id"].tolist() == ["01"] and 6.0 < centroid(frame["geometry"][0])[1] < 9.0
    (tmp_path / "kaputt.gpkg").write_bytes(b"SQLite format 3\x00" + bytes(100))
    with pytest.raises(GeometryError, match="a GeoPackage that cannot be read .*file is not a database"):
        read_geometry(tmp_path / "kaputt.gpkg", regions)


def test_kml_written_by_a_web_map_is_read_by_its_names(tmp_path):
    regions = pd.DataFrame({"region_id": ["0101", "0102"], "name": ["Altstadt", "Hafen"], "level": "stadtteil"})
    shapes = [shapely.box(13.0, 52.0, 13.01, 52.01), shapely.box(13.01, 52.0, 13.02, 52.01)]
    path = save_layer(tmp_path / "stadtteile.kml", shapes, {"Name": ["Altstadt", "Hafen"],
                                                           "Description": ["", ""]},
                      crs="EPSG:4326", geometry_type="Polygon", driver="KML")
    frame, (report,) = read_geometry(path, regions)
    assert report["by"] == "names" and frame["region_id"].tolist() == ["0101", "0102"]


@hsettings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40), st.integers(2, 30), st.booleans()),
                min_size=1, max_size=6, unique_by=lambda t: (t[0], t[1])),
       st.sampled_from([25832, 25833, 31468]))
def test_polygons_with_holes_come_back_from_a_shapefile_of_any_german_system(tmp_path_factory, boxes, epsg):
    """Squares (some with a hole), in WGS84 around Germany, written as a shapefile in UTM or Gauss-Krüger and read
    back: every region's rings as written, holes kept; to a centimetre from ETRS89, to a few metres from DHDN
    (Gauss-Krüger), whose datum PROJ converts by other means in either direction."""
    tmp = tmp_path_factory.mktemp("shp")
    ids, shapes, wanted = [], [], []
    for k, (i, j, size, hole) in enumerate(boxes):
        x, y, d = 9.0 + i * 0.05, 50.0 + j * 0.05, size * 0.001
        outer = [[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]
        inner = [[x + d / 4, y + d / 4], [x + d / 4, y + d * 3 / 4], [x + d * 3 / 4, y + d * 3 / 4],
                 [x + d * 3 / 4, y + d / 4], [x + d / 4, y + d / 4]]
        geometry = {"type": "Polygon", "coordinates": [outer, inner] if hole else [outer]}
        ids.append(f"{k + 1:03d}")
        shapes.append(to_utm(geometry, epsg))
        wanted.append(geometry)
    path = save_layer(tmp / "gebiete.shp", shapes, {"SCHLUESSEL": ids}, crs=f"EPSG:{epsg}",
                      geometry_type="Polygon")
    regions = pd.DataFrame({"region_id": ids, "name": ids, "level": "gebiet"})
    frame, (report,) = read_geometry(path, regions)
    assert frame["region_id"].tolist() == ids and report["key"] == "SCHLUESSEL"
    tolerance = 1e-7 if epsg != 31468 else 5e-5
    for text, want in zip(frame["geometry"], wanted):
        got = shapely.from_geojson(text)
        assert len(got.interiors) == len(want["coordinates"]) - 1
        assert shapely.hausdorff_distance(got, shapely.geometry.shape(want)) < tolerance


def test_a_gis_layer_s_table_is_read_as_a_table_and_a_layer_named_with_sheet(tmp_path):
    """A county's region key kept in its GIS: the table of the GeoPackage's first layer of polygons by default, a
    layer named with ``sheet``; numbers as a CSV export writes them; what the file holds named where it is not."""
    from ml.io import FileFormatError, read_table
    from ml.paths import SAMPLE_DIR

    path = tmp_path / "kreis.gpkg"
    _, gemeinden, sozial = musterkreis_geopackage(path, SAMPLE_DIR)
    table = read_table(path)
    assert table.header == ["AGS", "GEN"] and table.column(0).tolist() == gemeinden["region_id"].tolist()
    assert table.column(1).tolist() == gemeinden["name"].tolist() and table.lines[0] == 2
    assert table.notes == ["the table of a GeoPackage (row numbers stand for lines)",
                           "the table of the layer 'gemeinden'; the file's other layers: sozialregionen (polygons), "
                           "wahllokale (points), wahlbezirke (polygons) (--sheet or a mapping's sheet: names one)"]
    assert read_table(path, sheet="sozialregionen").column(0).tolist() == sozial["name"].tolist()
    with pytest.raises(FileFormatError, match=r"no layer 'kreise' in kreis.gpkg \(it has: gemeinden \(polygons\)"):
        read_table(path, sheet="kreise")
    archive = tmp_path / "tabellen.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("werte.csv", "id;wert\n1;2\n")
    with pytest.raises(FileFormatError, match=r"the zip archive holds no shapefile, GeoPackage, KML, GML or "
                                              r"FlatGeobuf \(it holds: werte.csv\)"):
        read_table(archive)


@hsettings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12),
                          st.integers(-10**9, 10**9), st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False))),
                min_size=1, max_size=8))
def test_property_a_geopackage_s_table_reads_back_as_its_text(tmp_path_factory, rows):
    """Any text, whole number and decimal (or none) written into a GeoPackage comes back as the text a CSV export
    writes: the text as it was, the number in digits, an empty cell for none."""
    from ml.io import read_table

    path = tmp_path_factory.mktemp("gpkg") / "t.gpkg"
    shapes = [shapely.box(k, 0, k + 1, 1) for k in range(len(rows))]
    save_layer(path, shapes, {"name": [r[0] for r in rows], "n": [r[1] for r in rows],
                              "x": [np.nan if r[2] is None else r[2] for r in rows]}, geometry_type="Polygon")
    table = read_table(path)
    assert table.column(0).tolist() == [r[0] for r in rows]
    assert table.column(1).tolist() == [str(r[1]) for r in rows]
    assert [float(v) if v else None for v in table.column(2)] == [r[2] for r in rows]


@pytest.mark.realdata
def test_flensburgs_statistical_bezirke_as_a_region_list_from_the_shapefile_itself(shared_data, tmp_path):
    """The city keeps its 41 statistical Bezirke in its GIS only: the shapefile's table gives the region list, each
    Bezirk under the Stadtteil its table names ('STGT01', read as the store's Stadtteil 1); the same file gives their
    polygons, read by the codes as the store holds them, and the Stadtteile's, as the union of their Bezirke."""
    from ml.store import Store

    run = cli_with(write(tmp_path / "sozialradar.yaml", f"store:\n  path: {tmp_path / 'store.duckdb'}\n"),
                   tmp_path / "quarantine")
    archive = shared_data / "flensburg_sozialatlas" / "raw" / "flensburg_stadtbezirke.zip"
    out = run("mapping", "suggest", archive, "--regions", "--out", tmp_path / "bezirke.yaml")
    assert "'LEVEL_NAME' names it 'STATISTISCHER BEZIRK' on every row" in out
    mapping = (tmp_path / "bezirke.yaml").read_text(encoding="utf-8")
    assert "format: regions" in mapping and "region_column: 'AREA_ID'" in mapping
    assert "name_column: 'AREA_NAME'" in mapping and "parent_column: 'PARENT_ARE'" in mapping
    with open(tmp_path / "bezirke.yaml", "a", encoding="utf-8") as f:
        f.write("level: ortsteil\n")
    # before the Stadtteile are in the store, no parent is known: every row is refused, and says why
    out = run("ingest", archive, "--mapping", tmp_path / "bezirke.yaml", code=1)
    assert "read 41 = accepted 0 + quarantined 41" in out and "mostly: unknown parent region" in out
    out = run("ingest", shared_data / "flensburg_sozialatlas" / "csv" / "fl_district.csv", "--mapping",
              write(tmp_path / "stadtteile.yaml", "format: regions\nregion_column: id\nname_column: name\n"
                    "level: stadtteil\n"))
    assert "accepted 13" in out
    out = run("ingest", archive, "--mapping", tmp_path / "bezirke.yaml", "--force")
    assert "read 41 = accepted 41 + quarantined 0" in out and "the table of a zip archive" in out
    assert "parent codes in 'PARENT_ARE' that are no region of the store read as its codes (behind the letters " \
           "'STGT'): STGT01 → 1 and 12 more" in out
    out = run("geometry", archive)
    assert "41 feature(s), ids from the codes in 'AREA_ID': regions 41 ortsteil; names from 'AREA_NAME'" in out
    assert "drawn as the union of their parts, having no polygon of their own: 13 stadtteil" in out
    assert "regions: 54  ortsteil 41 (in stadtteil), stadtteil 13\n" in run("store", "info")
    with Store(tmp_path / "store.duckdb", read_only=True) as store:
        regions = store.regions().set_index("region_id")
    assert regions.loc["STBZ011", "name"] == "011 St. Nikolai" and regions["geometry"].notna().all()
    bezirke = regions[regions["level"].eq("ortsteil")]
    # each Bezirk's number begins with its Stadtteil's ('011', '012', '013' lie in Stadtteil 1, '131' in 13)
    assert (bezirke["parent_id"] == bezirke.index.str[4:6].str.lstrip("0")).all()
    assert bezirke["parent_id"].value_counts().to_dict()["11"] == 6


@pytest.mark.parametrize("suffix", [".fgb", ".gml"])
def test_flensburgs_stadtteile_exported_as_flatgeobuf_or_gml_read_as_the_shapefile(shared_data, tmp_path, suffix):
    """A GIS exports the same layer as FlatGeobuf or GML: the same keys found and read apart, the same polygons,
    and its table read for a region list."""
    from pyogrio.raw import read as read_layer

    from ml.io import read_table

    fl = shared_data / "flensburg_sozialatlas"
    meta, _, wkb, fields = read_layer(str(fl / "raw" / "flensburg_stadtteile.zip"))
    path = save_layer(tmp_path / f"stadtteile{suffix}", shapely.from_wkb(wkb),
                      {name: values for name, values in zip(meta["fields"], fields)}, layer="stadtteile",
                      crs=meta["crs"], geometry_type=meta["geometry_type"])
    regions = pd.DataFrame({"region_id": list(names_of_flensburg(fl)), "level": "stadtteil"}).assign(
        name=lambda d: d["region_id"].map(names_of_flensburg(fl)))
    shapefile, (expected,) = read_geometry(fl / "raw" / "flensburg_stadtteile.zip", regions)
    frame, (report,) = read_geometry(path, regions)
    assert (report["key"], report["read"], report["regions"]) == ("AREA_ID", expected["read"], 13)
    ours = dict(zip(frame["region_id"], frame["geometry"].map(shapely.from_geojson)))
    for rid, geometry in zip(shapefile["region_id"], shapefile["geometry"].map(shapely.from_geojson)):
        assert ours[rid].symmetric_difference(geometry).area <= 1e-9 * geometry.area
    table = read_table(path)
    assert "AREA_ID" in table.header and table.cells.num_rows == 13

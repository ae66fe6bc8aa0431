"""Map files as a GIS office hands them out: shapefiles (alone or zipped), GeoPackages, KML, GML, FlatGeobuf.

A county's areas come from its GIS as a shapefile (often zipped, with a ``.prj`` naming the reference system and a
``.cpg`` the text encoding of its table) or a GeoPackage of several layers; the federal agency's VG250 holds the
Länder, Kreise and Gemeinden as layers of one file. GDAL (through pyogrio) reads them. Each layer of polygons becomes
a GeoJSON FeatureCollection under the layer's name, its reference system in the ``crs`` member, which
``ml.geometry_match`` reads like the objects of a TopoJSON file (one level each). Layers of points or lines and
tables without a geometry are left aside and named. A shapefile's table without a ``.cpg`` is read as Latin-1, as
GDAL does, unless its text reads as UTF-8 (an export that left the ``.cpg`` out); the notes say which.

A layer's table is a table too (:func:`gis_table`, read by ``ml.io.read_table``): a city that keeps its region key
in its GIS only (Flensburg's statistical Bezirke: code, name, the Stadtteil each lies in) imports it from the map file.
"""

from __future__ import annotations

import math
import warnings
import zipfile
from datetime import date, datetime
from pathlib import Path

import numpy as np

from ml.geometry import GeometryError

GIS_SUFFIXES = {".shp": "a shapefile", ".zip": "a zip archive", ".gpkg": "a GeoPackage", ".kml": "KML",
                ".kmz": "KML", ".gml": "GML", ".fgb": "FlatGeobuf"}
"""The map files read through GDAL, by suffix."""

_JSON_SUFFIXES = (".geojson", ".topojson", ".json")
_POLYGONAL = ("polygon", "surface", "unknown", "geometry")   # a layer's declared type that may hold polygons


def gis_kind(path: Path) -> str | None:
    """What kind of GIS file ``path`` is ('a shapefile', 'a GeoPackage', 'a folder' of such files …; by its suffix,
    or by its first bytes for a shapefile, GeoPackage or zip archive named otherwise), or None for a file of another
    kind (GeoJSON, TopoJSON)."""
    if path.is_dir():
        return "a folder"
    kind = GIS_SUFFIXES.get(path.suffix.lower())
    if kind is not None:
        return kind
    head = path.open("rb").read(16)
    if head.startswith(b"\x00\x00\x27\x0a"):
        return "a shapefile"
    if head.startswith(b"SQLite format 3"):
        return "a GeoPackage"
    if head.startswith(b"PK\x03\x04"):
        return "a zip archive"
    return None


def _readable(names: list[str]) -> list[str]:
    """The map files among ``names`` (paths in a folder or an archive), in their order."""
    return [n for n in names if Path(n).suffix.lower() in GIS_SUFFIXES and Path(n).suffix.lower() != ".zip"
            and "__MACOSX" not in n]


def _sources(path: Path) -> list[tuple[str, str]]:
    """The files to open, as (GDAL path, the name a layer of it goes by where the file has one layer): the file
    itself, or every map file in a folder or inside a zip archive (in folders too, as the VG250's downloads keep
    them)."""
    kind = gis_kind(path)
    if kind == "a folder":
        inside = [str(p.relative_to(path)) for p in sorted(path.rglob("*")) if p.is_file()]
        found = _readable(inside)
        if not found:
            raise GeometryError(f"{path}: the folder holds no shapefile, GeoPackage, KML, GML or FlatGeobuf")
        return [(str(path / m), Path(m).stem) for m in found]
    if kind != "a zip archive":
        return [(str(path), path.stem)]
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.namelist() if not m.endswith("/") and "__MACOSX" not in m]
    except zipfile.BadZipFile:
        raise GeometryError(f"{path}: not a readable zip archive") from None
    readable = _readable(members)
    if not readable:
        held = ", ".join(members[:8]) + (" …" if len(members) > 8 else "") if members else "nothing"
        also = " (GeoJSON or TopoJSON: unpack it and name the file)" if any(
            m.lower().endswith(_JSON_SUFFIXES) for m in members) else ""
        raise GeometryError(f"{path}: the zip archive holds no shapefile, GeoPackage, KML, GML or FlatGeobuf "
                            f"(it holds: {held}){also}")
    return [(f"/vsizip/{path.resolve()}/{m}", Path(m).stem) for m in readable]


def _python(value):
    """A field's value as JSON allows it: numbers and text as they are, a date as ISO text, NaN as None."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, bytes):
        return None
    return value


def _utf8_read_as_latin1(columns: list[np.ndarray]) -> bool:
    """Whether the text of a table read as Latin-1 is UTF-8 in truth ('StÃ¼lerstraÃŸe'): every text encodes back to
    bytes that decode as UTF-8, and some text changes."""
    changed = False
    for column in columns:
        for value in column:
            if not isinstance(value, str) or value.isascii():
                continue
            try:
                fixed = value.encode("latin-1").decode("utf-8")
            except UnicodeError:
                return False
            changed = changed or fixed != value
    return changed


def _rings(shape) -> dict | None:
    """A shapely (Multi)Polygon as a GeoJSON geometry whose rings are arrays of positions (no detour through
    text); None for a row without a shape, the geometry's own type for one that is no polygon."""
    import shapely

    if shape is None or shape.is_empty:
        return None
    if shape.geom_type not in ("Polygon", "MultiPolygon"):
        return {"type": shape.geom_type, "coordinates": []}
    polygons = [[shapely.get_coordinates(p.exterior)] + [shapely.get_coordinates(r) for r in p.interiors]
                for p in shapely.get_parts(shape)]
    return {"type": "MultiPolygon", "coordinates": polygons} if shape.geom_type == "MultiPolygon" else \
        {"type": "Polygon", "coordinates": polygons[0]}


def _features(wkb: np.ndarray, names: list[str], columns: list[np.ndarray], where: str) -> list[dict]:
    """GeoJSON features from a layer's geometries (WKB, None for a row without a shape) and its fields; rings
    turned as GeoJSON turns them (the outer one counter-clockwise; a shapefile stores it clockwise)."""
    import shapely

    try:
        shapes = shapely.orient_polygons(shapely.from_wkb(wkb), exterior_cw=False)
    except shapely.errors.GEOSException as exc:
        raise GeometryError(f"{where}: a geometry cannot be read ({exc}; curves? save the layer with linear "
                            "geometries)") from None
    out = []
    for k, shape in enumerate(shapes):
        props = {name: _python(column[k]) for name, column in zip(names, columns)}
        out.append({"type": "Feature", "properties": props, "geometry": _rings(shape)})
    return out


def _layer_collection(source: str, layer: str, where: str) -> tuple[dict, str | None]:
    """One layer as a FeatureCollection (its ``crs`` member the layer's system), and a note on its text encoding
    where the table's text was read as UTF-8 for want of a ``.cpg``."""
    from pyogrio.errors import DataLayerError, DataSourceError
    from pyogrio.raw import read

    try:
        meta, _, wkb, columns = read(source, layer=layer, force_2d=True)
    except (DataSourceError, DataLayerError) as exc:
        raise GeometryError(f"{where}: cannot be read ({exc})") from None
    names = [str(n) for n in meta["fields"]]
    columns, fixed = _as_utf8(meta, list(columns))
    note = f"{where}: the table's text read as UTF-8 (no .cpg file names its encoding)" if fixed else None
    collection = {"type": "FeatureCollection", "features": _features(wkb, names, columns, where)}
    if meta.get("crs"):
        collection["crs"] = {"type": "name", "properties": {"name": meta["crs"]}}
    return collection, note


def _as_utf8(meta: dict, columns: list[np.ndarray]) -> tuple[list[np.ndarray], bool]:
    """A table's columns with text GDAL read as Latin-1 (no ``.cpg``) read as UTF-8 where it is UTF-8, and whether
    it was."""
    if str(meta.get("encoding") or "").upper() != "ISO-8859-1" or not _utf8_read_as_latin1(columns):
        return columns, False
    return [np.array([v.encode("latin-1").decode("utf-8") if isinstance(v, str) else v for v in column],
                     dtype=object) for column in columns], True


def _kind_of_layer(geometry_type) -> str:
    """A layer's declared geometry type in words: 'polygons', 'points', 'lines', or 'no geometry'."""
    text = str(geometry_type or "").lower()
    if not text or text == "none":
        return "no geometry"
    if any(tag in text for tag in _POLYGONAL):
        return "polygons"
    return "points" if "point" in text else "lines" if ("line" in text or "curve" in text) else text


def gis_collections(path: Path | str, objects: list[str] | None = None) -> tuple[dict[str | None, dict], list[str]]:
    """The layers of polygons of a GIS file as GeoJSON FeatureCollections by layer name (under None where the file
    has one, as a GeoJSON file's collection), and notes: the layers left aside (points, lines, tables), a table's
    text read as UTF-8. ``objects`` names the layers to read.

    Raises :class:`GeometryError` for a file GDAL cannot open, a layer named that the file lacks or that holds no
    polygons, and a file without a layer of polygons (listing its layers and what they hold)."""
    path = Path(path)
    if not path.exists():
        raise GeometryError(f"file not found: {path}")
    with warnings.catch_warnings(record=True) as said:      # GDAL's warnings, said once each in the notes
        warnings.simplefilter("always", RuntimeWarning)
        out, notes = _read_layers(path, objects)
    gdal = list(dict.fromkeys(str(w.message) for w in said if issubclass(w.category, RuntimeWarning)))
    return out, notes + [f"GDAL: {text}" for text in gdal]


def _layers(path: Path) -> list[tuple[str, str, str, str]]:
    """Every layer of a GIS file, folder or archive as (GDAL path, its layer, the name it is shown by, what it holds:
    'polygons', 'points', 'lines', 'no geometry')."""
    from pyogrio import list_layers
    from pyogrio.errors import DataSourceError

    layers: list[tuple[str, str, str, str]] = []
    for source, stem in _sources(path):
        try:
            found = list_layers(source)
        except DataSourceError as exc:
            inner = f" ({source.split('/')[-1]} in the archive)" if source.startswith("/vsizip/") else ""
            raise GeometryError(f"{path}{inner}: {gis_kind(path)} that cannot be read ({exc})") from None
        for name, geometry_type in found:
            shown = str(name) if len(found) > 1 else stem
            if any(shown == other for _, _, other, _ in layers):      # two files of one name in two folders
                inner = source.split(".zip/", 1)[-1] if ".zip/" in source else str(Path(source).relative_to(path))
                shown = inner.rsplit(".", 1)[0] + ("" if len(found) == 1 else f":{name}")
            layers.append((source, str(name), shown, _kind_of_layer(geometry_type)))
    return layers


def _read_layers(path: Path, objects: list[str] | None) -> tuple[dict[str | None, dict], list[str]]:
    layers = _layers(path)
    held = {shown: kind for _, _, shown, kind in layers}
    if objects:
        missing = [o for o in objects if o not in held]
        if missing:
            raise GeometryError(f"no layer {', '.join(map(repr, missing))} in {path.name} (it has: "
                                f"{', '.join(f'{n} ({k})' for n, k in held.items())})")
        other = [o for o in objects if held[o] != "polygons"]
        if other:
            raise GeometryError(f"the layer {other[0]!r} holds {held[other[0]]}, not the polygons of regions")
    chosen = [(s, layer, shown) for s, layer, shown, k in layers if (shown in objects if objects else k == "polygons")]
    if not chosen:
        raise GeometryError(f"{path.name} has no layer of polygons (it has: "
                            f"{', '.join(f'{n} ({k})' for n, k in held.items())})")
    notes = []
    if not objects:
        aside = [f"{shown} ({k})" for _, _, shown, k in layers if k != "polygons"]
        if aside:
            notes.append("layers without polygons left aside: " + ", ".join(aside))
    out: dict[str | None, dict] = {}
    for source, layer, shown in chosen:
        collection, note = _layer_collection(source, layer, f"layer {shown!r}")
        out[shown if len(chosen) > 1 else None] = collection
        if note:
            notes.append(note)
    return out, notes


def gis_table(path: Path | str, layer: str | None = None) -> tuple[list[str], list[list[str]], list[str]]:
    """The table of a layer of a GIS file (a county's region key kept in its GIS: codes, names, the parent of each
    area) as text: its header, its columns (a cell of no value ''; a whole number without '.0'), and notes. The layer
    named, else the first layer of polygons (else the first layer), the others named in the notes. The text encoding
    is checked as for the map (:func:`gis_collections`).

    Raises :class:`GeometryError` for a file GDAL cannot open or a layer the file lacks."""
    from pyogrio.errors import DataLayerError, DataSourceError
    from pyogrio.raw import read

    path = Path(path)
    layers = _layers(path)
    held = {shown: (source, name, kind) for source, name, shown, kind in layers}
    if layer is not None and layer not in held:
        raise GeometryError(f"no layer {layer!r} in {path.name} (it has: "
                            f"{', '.join(f'{n} ({v[2]})' for n, v in held.items())})")
    shown = layer or next((n for n, v in held.items() if v[2] == "polygons"), next(iter(held)))
    source, name, _ = held[shown]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            meta, _, _, columns = read(source, layer=name, read_geometry=False)
    except (DataSourceError, DataLayerError) as exc:
        raise GeometryError(f"{path}: the layer {shown!r} cannot be read ({exc})") from None
    columns, fixed = _as_utf8(meta, list(columns))
    notes = ["the table's text read as UTF-8 (no .cpg file names its encoding)"] if fixed else []
    if len(held) > 1:
        notes.append(f"the table of the layer {shown!r}; the file's other layers: "
                     + ", ".join(f"{n} ({v[2]})" for n, v in held.items() if n != shown)
                     + " (--sheet or a mapping's sheet: names one)")
    return [str(f) for f in meta["fields"]], [[_cell(v) for v in column] for column in columns], notes


def _cell(value) -> str:
    """A value of a GIS table as the text a CSV export would write."""
    value = _python(value)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _field(values: list) -> np.ndarray:
    """A column of a layer for GDAL: whole numbers as integers (floats where a cell is empty), numbers as floats
    (an empty cell NaN, written as null), anything else as text."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        if len(present) == len(values) and all(isinstance(v, int) for v in present):
            return np.asarray(values, dtype=np.int64)
        return np.asarray([np.nan if v is None else float(v) for v in values], dtype=float)
    return np.asarray([None if v is None else str(v) for v in values], dtype=object)


def write_geopackage(collection: dict, out: Path | str, layer: str) -> None:
    """A GeoJSON FeatureCollection in WGS84 (a map layer of ``ml.geometry.map_layer``) written as the layer
    ``layer`` of a GeoPackage, the file a GIS opens with the column names kept (a shapefile would cut them to ten
    characters). Features without a polygon are written without a geometry; an existing file is replaced."""
    import shapely
    from pyogrio.raw import write

    features = collection["features"]
    names = list(dict.fromkeys(k for f in features for k in f["properties"]))
    shapes = [None if f["geometry"] is None else shapely.geometry.shape(f["geometry"]) for f in features]
    if any(s is not None and s.geom_type == "MultiPolygon" for s in shapes):
        shapes = [shapely.MultiPolygon([s]) if s is not None and s.geom_type == "Polygon" else s for s in shapes]
        kind = "MultiPolygon"
    else:
        kind = "Polygon"
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    write(str(out), shapely.to_wkb(shapes), [_field([f["properties"].get(n) for f in features]) for n in names],
          names, layer=layer, driver="GPKG", geometry_type=kind, crs="EPSG:4326")

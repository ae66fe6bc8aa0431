"""Region geometry: GeoJSON polygons per region, read and checked, stored, and generated for the synthetic county.

The store keeps a region's polygon in ``regions.geometry`` (the data contract's optional geometry): a GeoJSON
Polygon or MultiPolygon in WGS84 longitude/latitude, as text. Coordinates of another reference system (ETRS89 / UTM,
Gauss-Krüger …, named by the file's ``crs`` member or by the caller) are converted with pyproj; positions are kept
to seven decimals (about a centimetre). Several features with the same id (an exclave drawn separately) are merged into
one MultiPolygon. The dashboard draws its map from these rows; regions without a row are listed, not drawn.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from ml.regions import same_name
from ml.store import Store

class GeometryError(ValueError):
    """A GeoJSON document that cannot be used, with the reason (and the feature it concerns)."""


def _positions(ring, where: str) -> tuple[np.ndarray, np.ndarray]:
    """The longitudes (or eastings) and latitudes (or northings) of a ring's positions, a third value (a height)
    left out; :class:`GeometryError` naming the first position that is none."""
    try:
        arr = np.asarray(ring, dtype=float)
    except (TypeError, ValueError):
        arr = None
    if arr is not None and arr.ndim == 2 and arr.shape[1] >= 2:
        return arr[:, 0], arr[:, 1]
    xs, ys = [], []
    for pos in ring:       # positions of several lengths, or one that is no position: find which
        if not isinstance(pos, (list, tuple)) or len(pos) < 2:
            raise GeometryError(f"{where}: a position must be [longitude, latitude]")
        try:
            xs.append(float(pos[0]))
            ys.append(float(pos[1]))
        except (TypeError, ValueError):
            raise GeometryError(f"{where}: position {pos!r} is not numeric") from None
    return np.asarray(xs), np.asarray(ys)


def _check_ring(ring, where: str, project=None) -> list[list[float]]:
    if not isinstance(ring, (list, np.ndarray)) or len(ring) < 3:
        raise GeometryError(f"{where}: a linear ring needs at least 4 positions (the last repeating the first)")
    xs, ys = _positions(ring, where)
    if project is not None and np.isfinite(xs).all() and np.isfinite(ys).all():
        xs, ys = project(xs, ys)
    bad = ~(np.isfinite(xs) & np.isfinite(ys) & (np.abs(xs) <= 180) & (np.abs(ys) <= 90))
    if bad.any():
        k = int(np.argmax(bad))
        raise GeometryError(f"{where}: position {[float(xs[k]), float(ys[k])]!r} is outside WGS84 "
                            "longitude/latitude (projected coordinates? name their reference system: the file's crs "
                            "member, or --crs, e.g. EPSG:25832 or EPSG:25833 for ETRS89 / UTM)")
    if xs[0] != xs[-1] or ys[0] != ys[-1]:
        xs, ys = np.append(xs, xs[0]), np.append(ys, ys[0])   # close the ring
    if len(xs) < 4:
        raise GeometryError(f"{where}: a linear ring needs at least 4 positions (the last repeating the first)")
    return np.round(np.column_stack([xs, ys]), 7).tolist()


def _polygons(geometry, where: str, project=None) -> list[list[list[list[float]]]]:
    """The polygons (each a list of rings) of a Polygon or MultiPolygon, in WGS84 (``project`` converts)."""
    if not isinstance(geometry, dict):
        raise GeometryError(f"{where}: geometry missing")
    kind, coords = geometry.get("type"), geometry.get("coordinates")
    if kind == "Polygon":
        parts = [coords]
    elif kind == "MultiPolygon":
        parts = coords
    else:
        raise GeometryError(f"{where}: geometry type {kind!r}; only Polygon and MultiPolygon are regions")
    if not isinstance(parts, list) or not parts:
        raise GeometryError(f"{where}: no coordinates")
    out = []
    for poly in parts:
        if not isinstance(poly, list) or not poly:
            raise GeometryError(f"{where}: a polygon needs at least one ring")
        out.append([_check_ring(ring, where, project) for ring in poly])
    return out


def _crs_text(document: dict) -> str:
    """The name in a document's ``crs`` member (GeoJSON 2008, TopoJSON), or ''."""
    crs = document.get("crs")
    crs = crs.get("properties") if isinstance(crs, dict) else None
    return str(crs.get("name", "")) if isinstance(crs, dict) else ""


def projection(crs: str):
    """A function (xs, ys) → (longitudes, latitudes) from the coordinate reference system ``crs`` ('EPSG:25833',
    'urn:ogc:def:crs:EPSG::25832', a PROJ string …) to WGS84; None when ``crs`` is WGS84 longitude/latitude
    already. :class:`GeometryError` for a system that is unknown or not one of positions on the earth."""
    if not crs or any(tag in crs for tag in ("CRS84", "EPSG::4326", "EPSG:4326", "EPSG/0/4326")):
        return None
    from pyproj import CRS, Transformer
    from pyproj.exceptions import CRSError

    try:
        source = CRS.from_user_input(crs)
    except CRSError:
        raise GeometryError(f"coordinate reference system {crs!r} is unknown (write it as EPSG:25833, for "
                            "instance)") from None
    if source.is_geographic and source.equals(CRS.from_epsg(4326), ignore_axis_order=True):
        return None
    if not (source.is_projected or source.is_geographic):
        raise GeometryError(f"coordinate reference system {crs!r} is not a system of positions on the earth (a "
                            "height system?)")
    transformer = Transformer.from_crs(source, CRS.from_epsg(4326), always_xy=True)

    def project(xs, ys):
        lon, lat = transformer.transform(np.asarray(xs, float), np.asarray(ys, float))
        return np.asarray(lon, float), np.asarray(lat, float)

    return project


def features_of(document: dict, crs: str | None = None) -> list[dict]:
    """The features of a FeatureCollection, each as ``k`` (its place), ``properties``, ``id`` (the feature's own
    id or None) and ``polygons`` in WGS84 (none for a feature whose geometry is null: a row without a shape, which
    GeoJSON and TopoJSON allow); ``crs`` overrides the document's own system."""
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise GeometryError("expected a GeoJSON FeatureCollection")
    project = projection(crs if crs else _crs_text(document))
    features = document.get("features")
    if not isinstance(features, list) or not features:
        raise GeometryError("the FeatureCollection has no features")
    out = []
    for k, feat in enumerate(features):
        if not isinstance(feat, dict):
            raise GeometryError(f"feature {k}: not an object")
        props = feat.get("properties") or {}
        if not isinstance(props, dict):
            raise GeometryError(f"feature {k}: properties must be an object")
        own = props.get("id", feat.get("id"))
        where = f"feature {k}" + (f" ({str(own).strip()})" if usable(own) else "")
        shape = feat.get("geometry")
        out.append({"k": k, "properties": props, "id": feat.get("id"),
                    "polygons": [] if shape is None and "geometry" in feat else _polygons(shape, where, project)})
    if not any(f["polygons"] for f in out):
        raise GeometryError(f"none of the {len(out)} feature(s) has a geometry")
    return out


def usable(value) -> bool:
    """Whether a property value can be a region's code or name: text, or an integer number."""
    if value is None or isinstance(value, bool):
        return False
    if isinstance(value, float):
        return math.isfinite(value) and value == int(value)
    return isinstance(value, (str, int)) and str(value).strip() != ""


def as_text(value) -> str:
    """A usable property value as the text of a code or name ('0815' stays '0815', 1101.0 becomes '1101')."""
    return str(int(value)) if isinstance(value, float) else str(value).strip()


def value_of(feature: dict, key: str | None):
    """A feature's value for ``key``: a property, or (key None) the property 'id' or the feature's own id."""
    props = feature["properties"]
    return props.get("id", feature["id"]) if key is None else props.get(key)


def geometry_text(polygons: list, **members) -> str:
    """The store's text of a region's polygons (each a list of rings of [longitude, latitude]): a GeoJSON Polygon,
    or a MultiPolygon where there are several, compact, with any further ``members`` after the coordinates."""
    geometry = {"type": "Polygon", "coordinates": polygons[0]} if len(polygons) == 1 else \
        {"type": "MultiPolygon", "coordinates": polygons}
    return json.dumps({**geometry, **members}, separators=(",", ":"))


def frame_of(features: list[dict], ids: list[str], names: list[str | None]) -> pd.DataFrame:
    """One row per region id (features of one id merged into a MultiPolygon, listed in ``attrs['duplicates']``;
    the ids of features without a shape, and not drawn by another, in ``attrs['without_shape']``)."""
    parts: dict[str, list] = {}
    first_name: dict[str, str | None] = {}
    counts: dict[str, int] = {}
    empty = set()
    for feat, rid, name in zip(features, ids, names):
        if not feat["polygons"]:
            empty.add(rid)
            continue
        counts[rid] = counts.get(rid, 0) + 1
        parts.setdefault(rid, []).extend(feat["polygons"])
        first_name.setdefault(rid, name)
    rows = [{"region_id": rid, "name": first_name[rid], "geometry": geometry_text(polys)}
            for rid, polys in parts.items()]
    frame = pd.DataFrame(rows, columns=["region_id", "name", "geometry"])
    frame.attrs["duplicates"] = sorted(r for r, c in counts.items() if c > 1)
    frame.attrs["without_shape"] = sorted(empty - set(parts))
    return frame


def load_document(document: str | dict):
    """A JSON document parsed (text) or as given (already parsed); :class:`GeometryError` for text not JSON."""
    if isinstance(document, str):
        try:
            return json.loads(document)
        except json.JSONDecodeError as exc:
            raise GeometryError(f"not JSON: {exc.msg} at line {exc.lineno}") from None
    return document


def no_id(feature: dict, where: str) -> GeometryError:
    """The error for a feature without a region id in ``where`` ('property 'PLR_ID''), listing its properties."""
    have = ", ".join(sorted(map(str, feature["properties"]))) or "none"
    return GeometryError(f"feature {feature['k']}: no region id in {where} (its properties: {have})")


def parse_geojson(document: str | dict, id_property: str = "id", crs: str | None = None) -> pd.DataFrame:
    """Rows ``region_id``, ``name`` (or None), ``geometry`` (GeoJSON text, WGS84) from a FeatureCollection.

    Ids that occur on several features are merged into one MultiPolygon and listed in
    ``frame.attrs["duplicates"]`` (an exclave, or an error in the source worth checking). Coordinates of another
    reference system (the document's ``crs`` member, or ``crs``) are converted to WGS84.

    The region id is the feature property ``id_property`` (or the feature's own ``id``), kept as text with its
    leading zeros. Raises :class:`GeometryError` naming the feature for anything unusable.
    """
    features = features_of(load_document(document), crs)
    ids = []
    for feat in features:
        rid = feat["properties"].get(id_property, feat["id"])
        if not usable(rid):
            raise no_id(feat, f"property {id_property!r}")
        ids.append(as_text(rid))
    names = [None if feat["properties"].get("name") is None else str(feat["properties"]["name"])
             for feat in features]
    return frame_of(features, ids, names)


def read_geojson(path: Path | str, id_property: str = "id") -> pd.DataFrame:
    """The features of a GeoJSON FeatureCollection file as a frame (one row per feature, its id from
    ``id_property``); :class:`GeometryError` when the file is missing, not UTF-8 or not a FeatureCollection."""
    return parse_geojson(read_text(path), id_property)


def read_text(path: Path | str) -> str:
    """The text of a GeoJSON or TopoJSON file; :class:`GeometryError` when it is missing, not UTF-8, or a map file
    of another kind (a shapefile, a GeoPackage …, as ``ml.gis_files.gis_kind`` tells them: named, with the reader
    that takes it, ``ml.geometry_match.read_geometry``)."""
    from ml.gis_files import gis_kind

    path = Path(path)
    if not path.is_file():
        raise GeometryError(f"file not found: {path}")
    kind = gis_kind(path)
    if kind is not None:
        raise GeometryError(f"{path}: {kind}, not GeoJSON or TopoJSON: 'sozialradar geometry' reads it "
                            "(ml.geometry_match.read_geometry)")
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise GeometryError(f"{path}: not UTF-8 text (GeoJSON and TopoJSON are UTF-8)") from None


def name_mismatches(frame: pd.DataFrame, regions: pd.DataFrame) -> list[tuple[str, str, str]]:
    """(region_id, name in the geometry, name in the store) where both names exist and are not the same name
    (:func:`ml.regions.same_name`: 'Stülerstraße' is 'Stülerstr.') — a sign that the geometry's ids follow
    another edition of the grid."""
    if "name" not in frame.columns:
        return []
    names = regions.set_index("region_id")["name"]
    out = []
    for r in frame.itertuples():
        if r.name is None or r.region_id not in names.index or not isinstance(names[r.region_id], str):
            continue
        if not same_name(str(r.name), names[r.region_id]):
            out.append((r.region_id, str(r.name), names[r.region_id]))
    return out


def store_geometry(store: Store, frame: pd.DataFrame) -> dict:
    """Set the polygons of the regions in ``frame`` that the store knows (others keep theirs). Returns
    ``stored``; ``unknown`` — ids the store has no region for (not stored: import the region list first) —;
    ``total`` regions with geometry; ``name_mismatches`` (see :func:`name_mismatches`); and ``named``: the regions
    whose name was their code (imported from a table of codes alone), which take the geometry's name, as
    (region_id, name) — no mismatch, a name given."""
    regions = store.regions()
    placeholder = set(regions.loc[regions["name"].astype(str) == regions["region_id"].astype(str), "region_id"])
    mismatches = name_mismatches(frame, regions)
    named = [(r, geo) for r, geo, _ in mismatches if r in placeholder and geo.strip()]
    mismatches = [m for m in mismatches if m[0] not in placeholder]
    stored = store.set_geometry(frame)
    store.name_unnamed_regions(dict(named))
    total = int(store.regions()["geometry"].notna().sum())
    return {"stored": stored, "unknown": int((~frame["region_id"].isin(set(regions["region_id"]))).sum()),
            "total": total, "name_mismatches": mismatches, "named": named}


def feature_collection(frame: pd.DataFrame, properties: dict[str, dict] | None = None) -> dict:
    """A FeatureCollection of stored rows; ``properties`` adds per-region properties."""
    properties = properties or {}
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": r.region_id, "geometry": json.loads(r.geometry),
         "properties": {"region_id": r.region_id, **properties.get(r.region_id, {})}}
        for r in frame.itertuples()]}


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)) \
        and not _missing(value)


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, (float, np.floating)) and math.isnan(value))


def map_layer(frame: pd.DataFrame, regions: pd.DataFrame, withheld: str = "gesperrt") -> dict:
    """A table for planners (a column ``Gebiet`` of region ids, one row per region) as a GeoJSON FeatureCollection
    for a GIS (QGIS and the like): each row a feature with its region's polygon (null where the store has none),
    the columns as properties. A column of numbers keeps numbers; a cell ``withheld`` in it becomes null, and the
    property ``gesperrt`` lists the columns withheld in that row, so that no count of a small area appears and the
    column stays numeric. ``ValueError`` where a region has several rows (a map shows one value per area)."""
    if "Gebiet" not in frame.columns:
        raise ValueError("a map layer needs the column 'Gebiet' (the region ids)")
    repeated = frame["Gebiet"][frame["Gebiet"].duplicated()]
    if len(repeated):
        raise ValueError(f"the table has several rows per region ({repeated.iloc[0]!r} among them): a map shows one "
                         "row per area")
    shapes = dict(zip(regions["region_id"].astype(str), regions["geometry"])) if "geometry" in regions else {}
    numeric = {c for c in frame.columns if any(_is_number(v) for v in frame[c])
               and all(_is_number(v) or _missing(v) or v == withheld for v in frame[c])}
    features = []
    for row in frame.to_dict(orient="records"):
        props, hidden = {}, []
        for c, value in row.items():
            if c in numeric and isinstance(value, str):       # withheld
                hidden.append(c)
                value = None
            props[c] = None if _missing(value) else value.item() if isinstance(value, np.generic) else value
        if hidden:
            props["gesperrt"] = ", ".join(hidden)
        shape = shapes.get(str(row["Gebiet"]))
        features.append({"type": "Feature", "id": str(row["Gebiet"]), "properties": props,
                         "geometry": json.loads(shape) if isinstance(shape, str) else None})
    return {"type": "FeatureCollection", "features": features}


def synthetic_polygons(region_ids: list[str], seed: int = 0, west: float = 12.30, south: float = 50.55,
                       width: float = 0.80, height: float = 0.50) -> pd.DataFrame:
    """Simple generated polygons for a synthetic county: a grid of cells whose shared corners are jittered,
    so neighbours fit without gaps; one cell per region in the given order (row by row, north to south)."""
    n = len(region_ids)
    if n == 0:
        raise GeometryError("no regions to draw")
    cols = int(math.ceil(math.sqrt(n * width / height)))
    rows = int(math.ceil(n / cols))
    rng = np.random.default_rng(seed)
    dx, dy = width / cols, height / rows
    xs = west + dx * (np.arange(cols + 1)[None, :] + rng.uniform(-0.28, 0.28, (rows + 1, cols + 1)))
    ys = south + height - dy * (np.arange(rows + 1)[:, None] + rng.uniform(-0.28, 0.28, (rows + 1, cols + 1)))
    # the outline stays straight
    xs[:, 0], xs[:, -1] = west, west + width
    ys[0, :], ys[-1, :] = south + height, south
    out = []
    for k, rid in enumerate(region_ids):
        i, j = divmod(k, cols)
        ring = [(i, j), (i, j + 1), (i + 1, j + 1), (i + 1, j), (i, j)]
        coords = [[round(float(xs[a, b]), 5), round(float(ys[a, b]), 5)] for a, b in ring]
        out.append({"region_id": rid, "name": None,
                    "geometry": json.dumps({"type": "Polygon", "coordinates": [coords]}, separators=(",", ":"))})
    return pd.DataFrame(out)


def centroid(geometry: str | dict | None) -> tuple[float, float] | None:
    """The (latitude, longitude) of a Polygon or MultiPolygon's centroid: area-weighted over the outer rings
    (planar in degrees, which is close enough for a municipality or a city district); None without geometry."""
    if geometry is None or (isinstance(geometry, float) and math.isnan(geometry)) or geometry == "":
        return None
    geo = json.loads(geometry) if isinstance(geometry, str) else geometry
    polygons = [geo["coordinates"]] if geo.get("type") == "Polygon" else geo.get("coordinates", [])
    total = cx = cy = 0.0
    for poly in polygons:
        ring = np.asarray(poly[0], float)[:, :2]
        x, y = ring[:, 0], ring[:, 1]
        cross = x[:-1] * y[1:] - x[1:] * y[:-1]
        area = cross.sum() / 2
        if area == 0:
            continue
        cx += ((x[:-1] + x[1:]) * cross).sum() / 6
        cy += ((y[:-1] + y[1:]) * cross).sum() / 6
        total += area
    if total == 0:
        ring = np.asarray(polygons[0][0], float) if polygons else None
        return None if ring is None else (float(ring[:, 1].mean()), float(ring[:, 0].mean()))
    return cy / total, cx / total

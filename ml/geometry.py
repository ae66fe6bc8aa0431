"""Region geometry: GeoJSON polygons per region, read and checked, stored, and generated for the synthetic county.

The store keeps a region's polygon in ``regions.geometry`` (the data contract's optional geometry): a GeoJSON
Polygon or MultiPolygon in WGS84 longitude/latitude, as text. Several features with the same id (an exclave drawn separately) are merged into
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


def _check_ring(ring, where: str) -> list[list[float]]:
    if not isinstance(ring, list) or len(ring) < 3:
        raise GeometryError(f"{where}: a linear ring needs at least 4 positions (the last repeating the first)")
    out = []
    for pos in ring:
        if not isinstance(pos, (list, tuple)) or len(pos) < 2:
            raise GeometryError(f"{where}: a position must be [longitude, latitude]")
        try:
            lon, lat = float(pos[0]), float(pos[1])
        except (TypeError, ValueError):
            raise GeometryError(f"{where}: position {pos!r} is not numeric") from None
        if not (math.isfinite(lon) and math.isfinite(lat)) or not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise GeometryError(f"{where}: position {pos!r} is outside WGS84 longitude/latitude "
                                "(projected coordinates? convert to EPSG:4326 first)")
        out.append([lon, lat])
    if out[0] != out[-1]:
        out.append(out[0])  # close the ring
    if len(out) < 4:
        raise GeometryError(f"{where}: a linear ring needs at least 4 positions (the last repeating the first)")
    return out


def _polygons(geometry, where: str) -> list[list[list[list[float]]]]:
    """The polygons (each a list of rings) of a Polygon or MultiPolygon."""
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
        out.append([_check_ring(ring, where) for ring in poly])
    return out


def parse_geojson(document: str | dict, id_property: str = "id") -> pd.DataFrame:
    """Rows ``region_id``, ``name`` (or None), ``geometry`` (GeoJSON text) from a FeatureCollection.

    Ids that occur on several features are merged into one MultiPolygon and listed in
    ``frame.attrs["duplicates"]`` (an exclave, or an error in the source worth checking).

    The region id is the feature property ``id_property`` (or the feature's own ``id``), kept as text with its
    leading zeros. Raises :class:`GeometryError` naming the feature for anything unusable.
    """
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError as exc:
            raise GeometryError(f"not JSON: {exc.msg} at line {exc.lineno}") from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise GeometryError("expected a GeoJSON FeatureCollection")
    crs = document.get("crs")
    crs = crs.get("properties") if isinstance(crs, dict) else None
    crs = str(crs.get("name", "")) if isinstance(crs, dict) else ""
    if crs and not any(tag in crs for tag in ("CRS84", "4326")):
        raise GeometryError(f"coordinate reference system {crs!r}; expected WGS84 (CRS84 / EPSG:4326)")
    features = document.get("features")
    if not isinstance(features, list) or not features:
        raise GeometryError("the FeatureCollection has no features")
    parts: dict[str, list] = {}
    names: dict[str, str | None] = {}
    counts: dict[str, int] = {}
    for k, feat in enumerate(features):
        if not isinstance(feat, dict):
            raise GeometryError(f"feature {k}: not an object")
        props = feat.get("properties") or {}
        if not isinstance(props, dict):
            raise GeometryError(f"feature {k}: properties must be an object")
        rid = props.get(id_property, feat.get("id"))
        if rid is None or (isinstance(rid, float) and not math.isfinite(rid)) or str(rid).strip() == "":
            raise GeometryError(f"feature {k}: no region id in property {id_property!r}")
        rid = str(rid).strip()
        counts[rid] = counts.get(rid, 0) + 1
        parts.setdefault(rid, []).extend(_polygons(feat.get("geometry"), f"feature {k} ({rid})"))
        name = props.get("name")
        names.setdefault(rid, str(name) if name is not None else None)
    rows = []
    for rid, polys in parts.items():
        geom = {"type": "Polygon", "coordinates": polys[0]} if len(polys) == 1 else \
            {"type": "MultiPolygon", "coordinates": polys}
        rows.append({"region_id": rid, "name": names[rid], "geometry": json.dumps(geom, separators=(",", ":"))})
    frame = pd.DataFrame(rows)
    frame.attrs["duplicates"] = sorted(r for r, c in counts.items() if c > 1)
    return frame


def read_geojson(path: Path | str, id_property: str = "id") -> pd.DataFrame:
    """The features of a GeoJSON FeatureCollection file as a frame (one row per feature, its id from
    ``id_property``); :class:`GeometryError` when the file is missing, not UTF-8 or not a FeatureCollection."""
    path = Path(path)
    if not path.is_file():
        raise GeometryError(f"file not found: {path}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise GeometryError(f"{path}: not UTF-8 text") from None
    return parse_geojson(text, id_property)


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
    ``total`` regions with geometry; and ``name_mismatches`` (see :func:`name_mismatches`)."""
    regions = store.regions()
    mismatches = name_mismatches(frame, regions)
    stored = store.set_geometry(frame)
    total = int(store.regions()["geometry"].notna().sum())
    return {"stored": stored, "unknown": int((~frame["region_id"].isin(set(regions["region_id"]))).sum()),
            "total": total, "name_mismatches": mismatches}


def feature_collection(frame: pd.DataFrame, properties: dict[str, dict] | None = None) -> dict:
    """A FeatureCollection of stored rows; ``properties`` adds per-region properties."""
    properties = properties or {}
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": r.region_id, "geometry": json.loads(r.geometry),
         "properties": {"region_id": r.region_id, **properties.get(r.region_id, {})}}
        for r in frame.itertuples()]}


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

"""Polygons of regions that no map file draws, joined from their parts: a Sozialraum from its Gemeinden.

Counties define their Sozialräume (Sozialregionen, Planungsräume) as groups of Gemeinden or Ortsteile; the GIS office
has the Gemeinden, rarely the groups. A region of the store without a polygon whose parts (the regions whose parent
it is) all have one is drawn as their union, level by level upwards (the Kreis from the Sozialregionen so drawn).
The stored GeoJSON geometry says so in a member ``derived`` ("union of 7 parts"); such a polygon is joined again when
the parts change, and a polygon of the region's own, from a map file, replaces it. Where a map file brings a polygon
for a region whose parts are drawn, the two are compared (:func:`overlap_with_parts`): a polygon that covers another
area than its parts is named.

Parts from a simplified map do not share every border exactly: their union has slivers between them, small holes no
region of the store fills. A hole smaller than :data:`SLIVER_SHARE` of the union's area that no other region's polygon
covers is the drawing's, not a hole of the area, and is closed; a larger one (an enclave: a kreisfreie Stadt in its
Landkreis), or one another region fills, stays.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.geometry import geometry_text
from ml.regions import region_depth
from ml.store import Store

SLIVER_SHARE = 0.005
"""A hole below this share of a joined polygon's area that no other region fills is closed (Berlin's Bezirksregionen
joined from the simplified Planungsräume: 285 such holes, the largest 0.23 % of its region's area)."""

PARTS_AGREE = 0.9
"""A region's polygon from a map file that covers the area its parts draw by less than this share (intersection over
union) is named: Berlin's Prognoseraum Tegel of 2021 read by its name onto the one of 2006 covers 53 %, the other 40
Prognoseräume read so 96.7 % and more."""

_MARK = '"derived":'


def is_derived(geometry) -> bool:
    """Whether a stored geometry (GeoJSON text) was joined from the region's parts."""
    return isinstance(geometry, str) and _MARK in geometry[-60:]


def _shape(text: str):
    import shapely

    return shapely.from_geojson(text)


def _close_slivers(union, others: tuple, parts: set[str]) -> object:
    """``union`` with its small holes closed where no polygon of ``others`` (an STRtree of the shapes of the parts'
    level, the shapes, their region ids) but the ``parts`` themselves covers half of them."""
    import shapely

    tree, shapes, ids = others
    polygons = []
    for part in shapely.get_parts(union):
        kept = []
        for ring in part.interiors:
            hole = shapely.Polygon(ring)
            if hole.area >= SLIVER_SHARE * union.area:
                kept.append(ring)
                continue
            near = [k for k in tree.query(hole) if ids[k] not in parts] if tree is not None else []
            covered = sum(shapely.intersection(hole, shapes[k]).area for k in near)
            if covered >= 0.5 * hole.area:
                kept.append(ring)
        polygons.append(shapely.Polygon(part.exterior, kept))
    return shapely.MultiPolygon(polygons) if len(polygons) > 1 else polygons[0]


def _text(shape, **members) -> str:
    """A joined polygon as the store's GeoJSON text (outer rings counter-clockwise, positions to seven decimals), with
    ``members`` (``derived``: that it was joined from the region's parts)."""
    import shapely

    shape = shapely.orient_polygons(shape, exterior_cw=False)
    polygons, parts = [], shapely.get_parts(shape)
    tiny = 1e-6 * shape.area if len(parts) > 1 else -1.0
    for part, area in zip(parts, shapely.area(parts)):
        outer = np.round(shapely.get_coordinates(part.exterior), 7)
        if area < tiny and shapely.Polygon(outer).area == 0:
            continue                                        # a sliver of no area once rounded
        polygons.append([outer.tolist()] + [np.round(shapely.get_coordinates(r), 7).tolist() for r in part.interiors])
    return geometry_text(polygons, **members)


def joined_areas(areas: list[tuple[str, list]]) -> dict[str, str]:
    """The areas of a map file joined by the region each lies in: ``areas`` as (region id, the area's polygons, each
    a list of rings) -> {region id: the union's GeoJSON text}, slivers between the areas closed where no area of
    another region fills them (Flensburg's statistical Bezirke joined into its Stadtteile)."""
    import shapely

    ids, shapes = [], []
    for rid, polygons in areas:
        for rings in polygons:
            ids.append(rid)
            shapes.append(shapely.Polygon(rings[0], rings[1:]))
    shapes = list(shapely.make_valid(np.array(shapes, dtype=object)))
    tree, members = shapely.STRtree(shapes), {}
    for k, rid in enumerate(ids):
        members.setdefault(rid, []).append(shapes[k])
    out = {}
    for rid, own in members.items():
        union = _union_shapes(own)
        if union is not None:
            out[rid] = _text(_close_slivers(union, (tree, shapes, ids), {rid}))
    return out


def _drawn_and_parts(regions: pd.DataFrame) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The stored polygons by region id, and each parent's parts (the regions whose parent it is)."""
    shape = {r: g for r, g in zip(regions["region_id"], regions["geometry"]) if isinstance(g, str)}
    children: dict[str, list[str]] = {}
    for rid, parent in zip(regions["region_id"], regions["parent_id"]):
        if isinstance(parent, str):
            children.setdefault(parent, []).append(rid)
    return shape, children


def _union(texts: list[str]):
    """The union of polygons (GeoJSON texts) as a (Multi)Polygon; made valid, lines and points of the result left
    out."""
    return _union_shapes([_shape(t) for t in texts])


def _union_shapes(shapes: list):
    """The union of shapely polygons as a (Multi)Polygon; made valid, lines and points of the result left out."""
    import shapely

    union = shapely.make_valid(shapely.union_all(shapes))
    polygons = [p for p in shapely.get_parts(union) if p.geom_type in ("Polygon", "MultiPolygon")]
    flat = [q for p in polygons for q in shapely.get_parts(p)]
    return None if not flat else flat[0] if len(flat) == 1 else shapely.MultiPolygon(flat)


def join_parent_polygons(store: Store) -> dict:
    """Draw every region without a polygon of its own whose parts all have one as the union of its parts, the
    deepest levels first, and store them. Returns ``joined`` ({level: number of regions}), ``ids`` (the regions
    joined), ``partial`` ({level: number}): regions without a polygon some of whose parts lack one, and
    ``lacking``: (region, its parts without a polygon) for each of those, deepest first."""
    import shapely

    regions = store.regions()
    regions = regions.assign(region_id=regions["region_id"].astype(str))
    shape, children = _drawn_and_parts(regions)
    own = {r for r, g in shape.items() if not is_derived(g)}
    level = dict(zip(regions["region_id"], regions["level"].astype(str)))
    depth = region_depth(regions)
    trees: dict[str, tuple] = {}

    def level_tree(lv: str) -> tuple:
        """The shapes of a level (as they stand when first asked: a level's parts are joined before their
        parents), in an STRtree."""
        if lv not in trees:
            ids = [r for r in shape if level.get(r) == lv]
            shapes = [_shape(shape[r]) for r in ids]
            trees[lv] = (shapely.STRtree(shapes) if shapes else None, shapes, ids)
        return trees[lv]

    joined, partial, new, lacking = {}, {}, {}, []
    for parent in sorted(children, key=lambda r: -depth.get(r, 0)):
        if parent in own or parent not in level:
            continue
        kids = children[parent]
        if not all(k in shape for k in kids):
            partial[level[parent]] = partial.get(level[parent], 0) + 1
            lacking.append((parent, [k for k in kids if k not in shape]))
            continue
        union = _union([shape[k] for k in kids])
        if union is None:
            continue
        text = _text(_close_slivers(union, level_tree(level[kids[0]]), set(kids)),
                     derived=f"union of {len(kids)} parts")
        shape[parent] = new[parent] = text
        joined[level[parent]] = joined.get(level[parent], 0) + 1
    if new:
        store.set_geometry(pd.DataFrame({"region_id": list(new), "geometry": list(new.values())}))
    return {"joined": joined, "ids": sorted(new), "partial": partial, "lacking": lacking}


def overlap_with_parts(frame: pd.DataFrame, regions: pd.DataFrame) -> list[tuple[str, str, float]]:
    """(region id, name, share) for each polygon of ``frame`` (rows ``region_id``, ``name``, ``geometry`` about to be
    stored) whose region's parts all have a polygon in ``regions`` (the store's) and which covers the area those
    parts draw by less than :data:`PARTS_AGREE` (intersection over union): the polygon of another edition of the
    grid read by a name that stayed, or parts that are not the region's. Sorted by the share, smallest first."""
    regions = regions.assign(region_id=regions["region_id"].astype(str))
    shape, children = _drawn_and_parts(regions)
    out = []
    for rid, name, text in zip(frame["region_id"].astype(str), frame["name"], frame["geometry"]):
        kids = children.get(rid)
        if not kids or not all(k in shape for k in kids):
            continue
        parts, new = _union([shape[k] for k in kids]), _shape(text)
        if parts is None:
            continue
        share = float(new.intersection(parts).area / new.union(parts).area)
        if share < PARTS_AGREE:
            out.append((rid, name if isinstance(name, str) else "", share))
    return sorted(out, key=lambda t: t[2])

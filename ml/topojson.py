"""TopoJSON read as GeoJSON: the format many city dashboards draw their maps from.

A TopoJSON ``Topology`` stores each border once, as an arc, and a polygon as the list of arcs around it (a negative
index ``~i`` is arc ``i`` walked backwards). With a ``transform`` the arcs are quantized: integer positions, each
one the difference to the one before, scaled and translated back to coordinates. One file often holds several
objects, one per level of the grid (Planungsräume, Bezirksregionen, Bezirke).

:func:`topology_collections` turns every object into a GeoJSON FeatureCollection (``ml.geometry`` reads those), and
:func:`is_topology` tells a document of this kind from a GeoJSON one.
"""

from __future__ import annotations

import numpy as np


class TopologyError(ValueError):
    """A TopoJSON document that cannot be read, with the reason (and the object or arc it concerns)."""


def is_topology(document) -> bool:
    """Whether ``document`` (parsed JSON) is a TopoJSON Topology."""
    return isinstance(document, dict) and document.get("type") == "Topology"


def _decoded_arcs(topology: dict) -> list[np.ndarray]:
    """Every arc as an array of (x, y) coordinates, quantized arcs decoded with the topology's transform."""
    arcs = topology.get("arcs")
    if not isinstance(arcs, list):
        raise TopologyError("the topology has no list of arcs")
    transform = topology.get("transform")
    scale = translate = None
    if transform is not None:
        try:
            scale = np.asarray(transform["scale"], float)[:2]
            translate = np.asarray(transform["translate"], float)[:2]
        except (KeyError, TypeError, ValueError, IndexError):
            raise TopologyError("the topology's transform needs 'scale' and 'translate' of two numbers each") \
                from None
        if scale.shape != (2,) or translate.shape != (2,) or not np.isfinite([*scale, *translate]).all():
            raise TopologyError("the topology's transform needs 'scale' and 'translate' of two numbers each")
    out = []
    for k, arc in enumerate(arcs):
        try:
            positions = np.asarray([p[:2] for p in arc], float) if isinstance(arc, list) else None
        except (TypeError, ValueError, IndexError):
            positions = None
        if positions is None or positions.ndim != 2 or positions.shape[1] != 2 or len(positions) < 2:
            raise TopologyError(f"arc {k}: expected a list of at least two positions [x, y]")
        if not np.isfinite(positions).all():
            raise TopologyError(f"arc {k}: a position is not a finite number")
        if scale is not None:
            positions = np.cumsum(positions, axis=0) * scale + translate
        out.append(positions)
    return out


def _ring(indices, arcs: list[np.ndarray], where: str) -> list[list[float]]:
    """The coordinates of a ring given as arc indices: the arcs joined, each after the first without its first
    position (the last of the arc before)."""
    if not isinstance(indices, list) or not indices:
        raise TopologyError(f"{where}: a ring needs a list of arc indices")
    parts = []
    for n, index in enumerate(indices):
        if isinstance(index, bool) or not isinstance(index, int):
            raise TopologyError(f"{where}: arc index {index!r} is not an integer")
        arc = index if index >= 0 else ~index
        if arc >= len(arcs):
            raise TopologyError(f"{where}: arc {arc} does not exist (the topology has {len(arcs)})")
        positions = arcs[arc] if index >= 0 else arcs[arc][::-1]
        parts.append(positions if n == 0 else positions[1:])
    return np.concatenate(parts).tolist()


def _geometry(obj: dict, arcs: list[np.ndarray], where: str) -> dict | None:
    """The GeoJSON geometry of a Polygon or MultiPolygon object; None for a geometry without shape."""
    kind = obj.get("type")
    if kind is None:
        return None
    if kind == "Polygon":
        rings = obj.get("arcs")
        if not isinstance(rings, list):
            raise TopologyError(f"{where}: a Polygon needs a list of rings")
        return {"type": "Polygon", "coordinates": [_ring(r, arcs, where) for r in rings]}
    if kind == "MultiPolygon":
        polygons = obj.get("arcs")
        if not isinstance(polygons, list) or not all(isinstance(p, list) for p in polygons):
            raise TopologyError(f"{where}: a MultiPolygon needs a list of polygons")
        return {"type": "MultiPolygon", "coordinates": [[_ring(r, arcs, where) for r in p] for p in polygons]}
    # Points and lines are kept as they are (their positions quantized or not), so that ml.geometry names them
    return {"type": kind, "coordinates": obj.get("coordinates")}


def _features(obj: dict, arcs: list[np.ndarray], where: str) -> list[dict]:
    """The features of one object: a GeometryCollection's members (nested collections flattened), or the object."""
    if not isinstance(obj, dict):
        raise TopologyError(f"{where}: not an object")
    if obj.get("type") == "GeometryCollection":
        members = obj.get("geometries")
        if not isinstance(members, list):
            raise TopologyError(f"{where}: a GeometryCollection needs a list of geometries")
        out = []
        for k, member in enumerate(members):
            out.extend(_features(member, arcs, f"{where}, geometry {k}"))
        return out
    feature = {"type": "Feature", "properties": obj.get("properties") or {},
               "geometry": _geometry(obj, arcs, where)}
    if "id" in obj:
        feature["id"] = obj["id"]
    return [feature]


def topology_collections(topology: dict, objects: list[str] | None = None) -> dict[str, dict]:
    """Each object of a TopoJSON ``Topology`` (or only those named in ``objects``) as a GeoJSON
    FeatureCollection, by object name, in the file's order; the topology's ``crs`` member goes with each.

    Raises :class:`TopologyError` naming the object or arc for anything unreadable, and for an object named in
    ``objects`` that the file lacks (listing those it has)."""
    if not is_topology(topology):
        raise TopologyError("expected a TopoJSON Topology")
    found = topology.get("objects")
    if not isinstance(found, dict) or not found:
        raise TopologyError("the topology has no objects")
    if objects:
        missing = [name for name in objects if name not in found]
        if missing:
            raise TopologyError(f"no object {', '.join(map(repr, missing))} in the topology (it has: "
                                f"{', '.join(found)})")
    arcs = _decoded_arcs(topology)
    out = {}
    for name, obj in found.items():
        if objects and name not in objects:
            continue
        collection = {"type": "FeatureCollection", "features": _features(obj, arcs, f"object {name!r}")}
        if "crs" in topology:
            collection["crs"] = topology["crs"]
        out[name] = collection
    return out


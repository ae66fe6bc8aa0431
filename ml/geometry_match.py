"""Which region each polygon of a map file is: GeoJSON, TopoJSON or a GIS file read against the store's regions.

A city's map file rarely writes its region ids in a property called ``id``: the Planungsräume of Berlin's TopoJSON
keep them in ``spatial_name``, its Bezirke write ``004`` for the store's ``04``, the VG250's Gemeinden ``AGS``, other
maps give names only. Each collection (a GeoJSON file, each object of a TopoJSON file, each layer of a GeoPackage or
of a zip of shapefiles: one level each) takes its ids from the key whose codes name the most regions of the store,
failing that from the key whose names do; the report says which, on which level, and what named none. An explicit
``id_property`` reads that property only.

A municipal GIS writes its own keys: the level's letters before the number (Flensburg's ``STGT03`` for the
Stadtteil ``3``), or the number before the name (``03 Nordstadt``). Such a key is read apart (the ``read`` of the
report); a number before a name counts only where the name is that region's. A file of finer areas, each naming the
region it lies in (Flensburg's statistical Bezirke with their ``PARENT_ARE``), draws each region as the union of its
areas (``joined`` in the report), not as a MultiPolygon of them.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from ml.geometry import (
    GeometryError, as_text, features_of, frame_of, load_document, no_id, read_text, usable, value_of,
)
from ml.regions import RegionLookup, canonical_level, same_name

_same = lru_cache(maxsize=1 << 16)(same_name)
"""``same_name`` remembered: a map file's candidate keys compare the same names many times."""

PARTS_PER_REGION = 1.5
"""A key naming the store's regions on at least this many features per region, beside a key of the features' own,
names the regions the file's areas belong to: they are joined (Flensburg's 41 statistical Bezirke with the
Stadtteil each is in); fewer are a region's exclaves, merged as they are."""


@lru_cache(maxsize=1 << 16)
def _name_part(text: str) -> str:
    """The name of a text that writes a code before it ('03 Nordstadt', '0011-Großmarkt'); other texts whole."""
    from ml.importers.region_cells import split_cell

    apart = split_cell(text)
    return apart[1] if apart else text


def _names(text: str, name: str) -> bool:
    """Whether a property's text names the region of ``name``: as written, or after the number before it."""
    return _same(text, name) or (_name_part(text) != text and _same(_name_part(text), name))


def _readings(texts: list[str]) -> tuple[list[str], list[str], str | None]:
    """A key's texts as codes and as names, and how they were read apart: as written (None); a code and a name in
    each text ('03 Nordstadt', as :mod:`ml.importers.region_cells` reads a table's cells where it writes so), 'code
    and name'; or codes behind one prefix of letters that every text shares ('STGT03', 'STGT10'), without it:
    "prefix 'STGT'". A key of plain codes or names is given up at its first texts."""
    from ml.importers.region_cells import SHARE, behind_letters, split_cell

    written = [t for t in dict.fromkeys(texts) if t]
    allowed, misses, apart = max(int(len(written) * (1 - SHARE) + 1e-9), 1), 0, {}
    for text in written:            # as ml.importers.region_cells.written_together, a text a time
        found = split_cell(text)
        if found is None:
            misses += 1
            if misses > allowed:
                break
        else:
            apart[text] = found
    else:
        if len(apart) >= 3:
            return [apart[t][0] if t in apart else t for t in texts], \
                [apart[t][1] if t in apart else t for t in texts], "code and name"
    behind = behind_letters(texts)
    if behind is None:
        return texts, texts, None
    return behind[0], texts, f"prefix {behind[1]!r}"


def collections(document: str | dict, objects: list[str] | None = None) -> dict[str | None, dict]:
    """The FeatureCollections of a document: a GeoJSON one under the key None, or each object of a TopoJSON
    Topology (only those named in ``objects``) under its name."""
    from ml.topojson import TopologyError, is_topology, topology_collections

    document = load_document(document)
    if is_topology(document):
        try:
            return topology_collections(document, objects)
        except TopologyError as exc:
            raise GeometryError(f"TopoJSON: {exc}") from None
    if isinstance(document, dict) and document.get("type") == "FeatureCollection":
        if objects:
            raise GeometryError("--object names an object of a TopoJSON file or a layer of a GeoPackage or zip "
                                "archive; this is a GeoJSON FeatureCollection")
        return {None: document}
    kind = document.get("type") if isinstance(document, dict) else None
    raise GeometryError("expected a GeoJSON FeatureCollection or a TopoJSON Topology" +
                        (f" (the document is a {kind!r})" if isinstance(kind, str) else ""))


def map_collections(path: Path | str, objects: list[str] | None = None) -> tuple[dict[str | None, dict], list[str]]:
    """The FeatureCollections of a map file, and notes on reading it: a GeoJSON or TopoJSON file's (see
    :func:`collections`), or the layers of polygons of a shapefile, a zip or folder of them, a GeoPackage, KML …
    (see :func:`ml.gis_files.gis_collections`), each named by its object or layer."""
    from ml.gis_files import gis_collections, gis_kind

    path = Path(path)
    if path.exists() and gis_kind(path) is not None:
        return gis_collections(path, objects)
    part = {".dbf": "table", ".shx": "index", ".prj": "reference system", ".cpg": "encoding"}.get(path.suffix.lower())
    if part is not None:
        shp = path.with_suffix(".shp")
        raise GeometryError(f"{path}: a shapefile's {part}; name the shapefile itself" +
                            (f": {shp}" if shp.is_file() else f" ({shp.name}, beside it)"))
    return collections(read_text(path), objects), []


def _store_codes(regions: pd.DataFrame) -> tuple[set[str], dict[int, str | None]]:
    """The store's codes, and those of digits by their number (None where two codes have one number), to read
    a code written with more or fewer leading zeros ('004' for '04')."""
    ids = set(regions["region_id"].astype(str))
    by_number: dict[int, str | None] = {}
    for rid in ids:
        if rid.isascii() and rid.isdigit():
            by_number[int(rid)] = None if int(rid) in by_number else rid
    return ids, by_number


def _by_code(texts: list[str], ids: set[str], by_number: dict[int, str | None],
             read: list[str] | None = None) -> list[str | None]:
    """The region each text names as a code: as written, or as ``read`` apart (:func:`_readings`), with any
    leading zeros."""
    read = texts if read is None else read
    return [t if t in ids else r if r in ids else by_number.get(int(r)) if r.isascii() and r.isdigit() else None
            for t, r in zip(texts, read)]


def _by_name(texts: list[str], lookup) -> list[str | None]:
    """The region each text names, on the one level where most of the texts name a region (no search for names
    spelt alike: over thousands of texts and regions it would take minutes, and its advice is for an import's
    report)."""
    distinct = list(dict.fromkeys(t for t in texts if t))
    found = {t: lookup.resolve(t, suggest=False)[0] for t in distinct}
    found[""] = None
    level_of = dict(zip(lookup.regions["region_id"].astype(str), lookup.regions["level"].astype(str)))
    levels = pd.Series([level_of[c] for c in found.values() if c is not None])
    if levels.empty:
        return [None] * len(texts)
    level = levels.value_counts().index[0]
    if canonical_level(level) == level:
        found = {t: lookup.resolve(t, level, suggest=False)[0] if t else None for t in found}
    return [found[t] for t in texts]


def _may_be_names(texts: list[str]) -> bool:
    """Whether a key's texts may be the regions' names: words, different on at least half of the features (not a
    parent's name repeated, not a date)."""
    written = {t for t in texts if t and any(ch.isalpha() for ch in t)}
    return len(written) * 2 >= len(texts)


def _candidate_keys(features: list[dict]) -> list[str | None]:
    """The keys a region id may be read from: None (the property 'id' or the feature's own id), then every
    property with a usable value on at least half of the features, in the order of the first feature."""
    keys: list[str | None] = [None] if any(usable(value_of(f, None)) for f in features) else []
    seen: dict[str, int] = {}
    for feat in features:
        for key, value in feat["properties"].items():
            if key != "id" and usable(value):
                seen[key] = seen.get(key, 0) + 1
    return keys + [k for k, n in seen.items() if n * 2 >= len(features)]


def _key_name(key: str | None) -> str:
    return "the feature ids" if key is None else f"property {key!r}"


def _confirmed(features: list[dict], codes: list[str | None], store_names: dict) -> int:
    """How many features name, in one of their properties, the region their code reads as."""
    out = 0
    for feat, code in zip(features, codes):
        name = store_names.get(code) if code else None
        if isinstance(name, str) and any(isinstance(v, str) and _names(v, name) for v in feat["properties"].values()):
            out += 1
    return out


def _texts(features: list[dict], key: str | None) -> list[str]:
    """Each feature's value for ``key`` as text ('' where it has none that could be a code or a name)."""
    out = []
    for feat in features:
        value = value_of(feat, key)
        out.append(as_text(value) if usable(value) else "")
    return out


def _match(features: list[dict], regions: pd.DataFrame, id_property: str | None,
           candidates: dict[str | None, list[str]]) -> tuple[list[str], dict]:
    """Each feature's region id and how it was read: from ``id_property``, or from the key whose codes (failing
    that, names) name the most regions of the store; ``candidates`` the texts of every candidate key."""
    ids, by_number = _store_codes(regions)
    texts_of = {id_property: candidates.get(id_property) or _texts(features, id_property)} if id_property \
        else candidates
    store_names = dict(zip(regions["region_id"].astype(str), regions["name"]))
    apart = {key: _readings(texts) for key, texts in texts_of.items()}
    read = {key: _by_code(texts, ids, by_number, apart[key][0]) for key, texts in texts_of.items()}
    for key, (_, names, how) in apart.items():
        if how == "code and name":   # '011 St. Nikolai' is not the region 11 named Mürwik
            read[key] = [c if c is None or n == t or _names(t, str(store_names.get(c) or "")) else None
                         for c, n, t in zip(read[key], names, texts_of[key])]
    counts = {key: len({c for c in codes if c}) for key, codes in read.items()}
    best: tuple[int, int, str | None, str, list[str | None]] | None = None
    best_rank: tuple[int, int, int] = (-1, -1, -1)
    for order, (key, codes) in enumerate(read.items()):
        # most regions first; among as many, the key whose regions the features' names confirm, then the one
        # written as the store writes it (a running number 1, 2, 3 also reads as the codes 01, 02, 03)
        tied = counts[key] > 0 and sum(1 for n in counts.values() if n == counts[key]) > 1
        rank = (counts[key], _confirmed(features, codes, store_names) if tied else 0,
                sum(1 for t, c in zip(texts_of[key], codes) if c == t))
        if rank > best_rank:
            best, best_rank = (rank[0], order, key, "codes", codes), rank
    by_codes = best
    if id_property is None and best is not None and best[0] < len({t for t in texts_of[best[2]] if t}):
        lookup = RegionLookup(regions[["region_id", "name", "level"]])
        for order, key in enumerate(texts_of):
            texts = apart[key][1]
            if not _may_be_names(texts):
                continue
            names = _by_name(texts, lookup)
            score = len({c for c in names if c})
            if score > best[0]:
                best = (score, order, key, "names", names)
    if best is None or (best[0] == 0 and id_property is None):
        return _unmatched(features, texts_of, regions)
    score, _, key, how, found = best
    texts = texts_of[key]
    for feat, text in zip(features, texts):
        if not text:
            raise no_id(feat, _key_name(key))
    level_of = dict(zip(regions["region_id"].astype(str), regions["level"].astype(str)))
    levels = pd.Series([level_of[c] for c in {c for c in found if c}], dtype=object).value_counts()
    # read apart only where a text is not the code as written ('STBZ011' in a store that holds 'STBZ011')
    read_apart = apart[key][2] if any(c != t for t, c in zip(texts, found) if c) or not any(found) else None
    report = {"features": len(features), "key": key, "by": how, "regions": score, "read": read_apart,
              "levels": {str(k): int(v) for k, v in levels.items()},
              "rewritten": sum(1 for t, r, c in zip(texts, apart[key][0], found)
                               if c and c != t and c != r and how == "codes"),
              "unmatched": sorted({t for t, c in zip(texts, found) if not c})}
    if how == "names" and by_codes is not None and by_codes[2] != key:
        report["codes"] = (_key_name(by_codes[2]), by_codes[0])   # the file's own codes, and the regions they name
    return [c or t for t, c in zip(texts, found)], report


class NoRegionsError(GeometryError):
    """No property of a collection's features holds codes or names of the store's regions."""


def _unmatched(features: list[dict], texts_of: dict, regions: pd.DataFrame) -> tuple[list[str], dict]:
    """No key names a region of the store: the feature ids as they are where they exist (reported as unknown),
    else an error that lists the properties and what the store's codes look like."""
    if None in texts_of and all(texts_of[None]):
        texts = texts_of[None]
        return texts, {"features": len(features), "key": None, "by": "codes", "regions": 0, "levels": {},
                       "rewritten": 0, "unmatched": sorted(set(texts))}
    if regions.empty:
        raise GeometryError("the store has no regions: import the region list first, then the polygons")
    have = ", ".join(map(str, dict.fromkeys(k for f in features for k in f["properties"]))) or "none"
    sample = ", ".join(repr(r) for r in regions["region_id"].astype(str).head(3))
    raise NoRegionsError(f"no property of the features holds codes or names of the store's regions (properties: "
                         f"{have}; the store's codes look like {sample}); name it with --id-property")


def _agreeing(pairs, key: str, names: dict) -> int:
    """How many (feature, region id) pairs write the store's name of the region in the property ``key``."""
    return sum(1 for f, rid in pairs if isinstance(names.get(rid), str)
               and isinstance(f["properties"].get(key), str) and _names(f["properties"][key], names[rid]))


def _display_names(features: list[dict], ids: list[str], regions: pd.DataFrame, report: dict,
                   candidates: dict[str | None, list[str]]) -> list[str | None]:
    """The name of each feature as the geometry writes it: the key read by names, the property 'name', or the
    property (of ``candidates``, the texts of each candidate key) whose text is the store's name of the region most
    often."""
    names = dict(zip(regions["region_id"].astype(str), regions["name"]))

    def shown(text: str, rid: str) -> str:
        """The text, without the number before it unless the store's name has it too ('011 St. Nikolai')."""
        return text if isinstance(names.get(rid), str) and _same(text, names[rid]) else _name_part(text)

    if report["by"] == "names" or report.get("read") == "code and name":
        return [shown(as_text(value_of(f, report["key"])), rid) for f, rid in zip(features, ids)]
    if any("name" in f["properties"] for f in features):
        return [None if f["properties"].get("name") is None else str(f["properties"]["name"]) for f in features]
    best, best_score = None, 0
    for key, texts in candidates.items():
        if key is None or key == report["key"] or not _may_be_names(texts):
            continue
        sample = list(zip(features, ids))[:20]
        if _agreeing(sample, key, names) * 2 < sum(1 for _, rid in sample if rid in names):
            continue    # not the names on the first features already (a gml id, a description)
        score = _agreeing(zip(features, ids), key, names)
        if score > best_score:
            best, best_score = key, score
    if best is None or best_score * 2 < sum(1 for rid in ids if rid in names):
        return [None] * len(features)
    report["name_key"] = best
    return [None if f["properties"].get(best) is None else shown(str(f["properties"][best]), rid)
            for f, rid in zip(features, ids)]


def _namesakes(ids: list[str], names: list[str | None], regions: pd.DataFrame) -> list[tuple[str, str, str]]:
    """(id, name, other id) for an id on several features whose name another region of its level bears, a region
    the file draws nowhere: one of the features may be that region under a wrong id (Berlin's two Planungsräume
    'Schloßstraße'), not an exclave."""
    counts = pd.Series(ids).value_counts()
    level_of = dict(zip(regions["region_id"].astype(str), regions["level"].astype(str)))
    drawn, out = set(ids), []
    for rid in sorted(counts[counts > 1].index):
        written = {n for i, n in zip(ids, names) if i == rid and n}
        for other, other_name, level in regions[["region_id", "name", "level"]].itertuples(index=False):
            if (other not in drawn and level == level_of.get(rid) and isinstance(other_name, str)
                    and any(_same(n, other_name) for n in written)):
                out.append((rid, other_name, str(other)))
    return out


def _areas_key(features: list[dict], ids: list[str], shaped: list[int], report: dict,
               candidates: dict[str | None, list[str]]) -> str | None:
    """The key of the features' own areas where the ids name the regions those areas lie in (at least
    :data:`PARTS_PER_REGION` areas per region, and a key telling that many more areas apart): the key, else None."""
    drawn = len({ids[k] for k in shaped})
    if not report["regions"] or not drawn or len(shaped) < PARTS_PER_REGION * drawn:
        return None
    for key, texts in candidates.items():
        if key != report["key"] and len({texts[k] for k in shaped if texts[k]}) >= PARTS_PER_REGION * drawn:
            return "id" if key is None else key
    return None


def _joined_frame(features: list[dict], ids: list[str], names: list[str | None]) -> pd.DataFrame:
    """One row per region id, its features' areas joined (:func:`ml.geometry_parents.joined_areas`); the ids of
    features without a shape, and not drawn by another, in ``attrs['without_shape']``."""
    from ml.geometry_parents import joined_areas

    texts = joined_areas([(rid, f["polygons"]) for f, rid in zip(features, ids) if f["polygons"]])
    first_name: dict[str, str | None] = {}
    for f, rid, name in zip(features, ids, names):
        if f["polygons"]:
            first_name.setdefault(rid, name)
    frame = pd.DataFrame([{"region_id": rid, "name": first_name[rid], "geometry": text} for rid, text in texts.items()],
                         columns=["region_id", "name", "geometry"])
    frame.attrs["duplicates"] = []
    frame.attrs["without_shape"] = sorted({rid for f, rid in zip(features, ids) if not f["polygons"]} - set(texts))
    return frame


def read_geometry(path: Path | str, regions: pd.DataFrame, id_property: str | None = None,
                  objects: list[str] | None = None, crs: str | None = None) -> tuple[pd.DataFrame, list[dict]]:
    """The polygons of a map file (GeoJSON, TopoJSON, a shapefile or a zip of them, a GeoPackage, KML …; every
    object or layer of polygons, or those in ``objects``) as rows ``region_id``, ``name``, ``geometry`` (WGS84;
    coordinates of another system, named by the file or by ``crs``, converted), and one report per collection: its
    ``object`` (and whether that ``part`` is an 'object' or a 'layer'), ``features``, the ``key`` its ids come from
    and whether ``by`` codes or names, the ``regions`` of the store they name, on which ``levels``, how many codes
    were ``rewritten`` (other leading zeros), the texts ``unmatched``, and ``namesakes``: an id on several features
    whose name is also that of another region of the level, not drawn in the file, as (id, name, other id).

    Without ``id_property`` each collection's ids come from the key whose codes name the most regions of
    ``regions`` (the store's), and failing codes from the key whose names do. A collection none of whose keys names
    a region of the store, in a file of several read whole, is left aside; ``frame.attrs['notes']`` says so, and
    names the layers without polygons and a table's text read as UTF-8."""
    from ml.gis_files import gis_kind

    frames, reports, aside = [], [], []
    found, notes = map_collections(path, objects)
    part = "layer" if gis_kind(Path(path)) else "object"       # a GIS file's layers, a TopoJSON file's objects
    for name, collection in found.items():
        try:
            features = features_of(collection, crs)
            candidates = {key: _texts(features, key) for key in _candidate_keys(features)}
            ids, report = _match(features, regions, id_property, candidates)
        except NoRegionsError as exc:
            if len(found) > 1 and not objects and not regions.empty:   # another level of the file than the store's
                aside.append((name, exc))
                continue
            raise GeometryError(f"{part} {name!r}: {exc}" if name is not None else str(exc)) from None
        except GeometryError as exc:
            raise GeometryError(f"{part} {name!r}: {exc}" if name is not None else str(exc)) from None
        names = _display_names(features, ids, regions, report, candidates)
        shaped = [k for k, f in enumerate(features) if f["polygons"]]
        areas_key = _areas_key(features, ids, shaped, report, candidates)
        if areas_key is not None:
            frames.append(_joined_frame(features, ids, names))
            report["joined"] = {"areas": len(shaped), "key": areas_key}
            report["namesakes"] = []
        else:
            frames.append(frame_of(features, ids, names))
            report["namesakes"] = _namesakes([ids[k] for k in shaped], [names[k] for k in shaped], regions)
        reports.append({"object": name, "part": part, **report})
    if not frames:
        name, exc = aside[0]
        raise GeometryError(f"no {part} of the file names regions of the store; {part} {name!r}: {exc}")
    if aside:
        notes = notes + [f"{part}s naming no region of the store left aside: " + ", ".join(n for n, _ in aside)]
    frame = pd.concat(frames, ignore_index=True)
    clash = frame["region_id"][frame["region_id"].duplicated()]
    if len(clash):
        drawn_in = [r["object"] for r, f in zip(reports, frames) if clash.iloc[0] in set(f["region_id"])]
        raise GeometryError(f"the region {clash.iloc[0]!r} has polygons in two {part}s of the file "
                            f"({', '.join(map(repr, drawn_in))}); import one {part} with --object")
    frame.attrs["duplicates"] = sorted({d for f in frames for d in f.attrs["duplicates"]})
    frame.attrs["without_shape"] = sorted({d for f in frames for d in f.attrs["without_shape"]})
    frame.attrs["notes"] = notes
    return frame, reports

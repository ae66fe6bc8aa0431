"""Tables in JSON files, as open-data portals and a city's own services deliver them.

A JSON file holds its table in one of these forms, wherever it sits in the file:

* a list of records (objects): at the top, or under a key (``{"detail": [...]}``, a CKAN answer's
  ``result.records``); a GeoJSON's features give their ``properties`` (and ``id``), an ArcGIS service's their
  ``attributes``;
* an object of records under their keys (``{"01001": {...}, "01002": {...}}``): the key is the column ``key``;
* an object of columns, lists of equal length (``{"code": [...], "value": [...]}``);
* JSON Lines (``.jsonl``, ``.ndjson``, or lines of objects under another name): a record per line.

The largest table (by its cells: rows times fields) is read, and the others are named in the notes; ``sheet`` names
one by its path (``detail``, ``result.records``, ``objects.plr.geometries``). A record's nested objects become
columns named by their path (``age_groups.age_0_to_under_7``). A list of records inside each record (a region's
series, ``{"code": "01", "values": [{"year": 2020, "value": 3.1}, …]}``) gives a row per item, the record's own
fields repeated; lists of plain values (coordinates, tags) are left aside and named. Numbers keep the text they are
written in (``13.70`` stays ``13.70``), ``null`` is written ``null`` (no value, as the validator reads it; the mark
of a withheld count where a source uses it so), a field a record lacks is an empty cell. A row's line is the line of
the file its record starts on; a file written on one line numbers its rows by record instead (the notes say which).

Longer than 450 lines because each form of a JSON table is found, flattened and located line by line in one place.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from json.decoder import scanstring
from pathlib import Path

JSON_SUFFIXES = (".json", ".jsonl", ".ndjson", ".geojson")
_LINE_SUFFIXES = (".jsonl", ".ndjson")
_WS = re.compile(r"[ \t\n\r]*")
_LOOKS_JSON = re.compile(rb"\A(?:\xef\xbb\xbf)?[ \t\r\n]*(?:\{[ \t\r\n]*[\"}]|\[[ \t\r\n]*[{\[\]])")
_DECODER = json.JSONDecoder(parse_float=str, parse_int=str, parse_constant=str)
_MAX_DEPTH = 8


class JsonTableError(ValueError):
    """The file is no JSON, or holds no table."""


@dataclass
class JsonTable:
    """The columns of a JSON file's table, as text, with the line (or record number) of each row."""

    header: list[str]
    columns: list[list[str]]
    lines: list[int]
    notes: list[str] = field(default_factory=list)
    problems: list[tuple[int, str, str]] = field(default_factory=list)
    """Lines of a JSON Lines file that hold no record: (line, text, reason)."""
    groups: list[str] = field(default_factory=list)
    """The object each column is nested in within its record ('age_groups' for 'age_groups.age_0_to_under_7'),
    '' for a record's own field."""


def is_json(path: Path) -> bool:
    """Whether ``path`` is a JSON file: by its suffix, or, named otherwise (an API's download ``data?f=json``),
    by its first bytes (an object opening with a key, a list opening with an object or a list)."""
    path = Path(path)
    if path.suffix.lower() in JSON_SUFFIXES:
        return True
    if not path.is_file():
        return False
    with path.open("rb") as handle:
        return bool(_LOOKS_JSON.match(handle.read(256)))


def _text(value: object) -> str:
    """A scalar as the cell's text: numbers as written (the decoder keeps them as text), null as 'null' (a mark of
    no value, which a source may use for a count withheld: ``withheld: ['null']``); a field a record lacks is an
    empty cell."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    return str(value)


@dataclass
class _Table:
    path: tuple[str, ...]
    form: str          # 'records', 'keyed', 'columns'
    rows: int
    width: int = 1
    """The fields of its records (or its columns): a list of 12 fields' descriptions beside 5 records of 12 fields
    each (a CKAN answer's ``fields``) is the smaller table."""


def _similar_keys(items: list[dict]) -> bool:
    """Whether objects look like records of one table: most share most of their keys."""
    first = set(items[0])
    union = set().union(*items)
    common = set.intersection(*(set(i) for i in items))
    return bool(first) and len(common) >= 0.5 * len(union)


def _tables(node: object, path: tuple[str, ...] = (), depth: int = 0) -> list[_Table]:
    """Every table in the document, by its path."""
    found: list[_Table] = []
    if depth > _MAX_DEPTH:
        return found
    if isinstance(node, list):
        dicts = [i for i in node if isinstance(i, dict)]
        if dicts and len(dicts) >= 0.9 * len(node):
            found.append(_Table(path, "records", len(node), _width(dicts)))
        return found
    if not isinstance(node, dict):
        return found
    values = list(node.values())
    if len(values) >= 3 and all(isinstance(v, dict) for v in values) and _similar_keys(values) \
            and not any(isinstance(x, (dict, list)) and _tables(x) for v in values for x in v.values()):
        found.append(_Table(path, "keyed", len(values), _width(values)))
        return found
    lists = [v for v in values if isinstance(v, list) and v and not any(isinstance(i, (dict, list)) for i in v)]
    if len(lists) >= 2 and len({len(v) for v in lists}) == 1 and len(lists[0]) >= 3:     # not a TopoJSON's transform
        found.append(_Table(path, "columns", len(lists[0]), len(lists)))
    for key, value in node.items():
        found.extend(_tables(value, (*path, str(key)), depth + 1))
    return found


def _width(records: list[dict]) -> int:
    """The fields of records, their nested objects' fields counted each (of the first hundred records)."""
    def leaves(obj: dict, prefix: str = "") -> set[str]:
        out: set[str] = set()
        for k, v in obj.items():
            out |= leaves(v, f"{prefix}{k}.") if isinstance(v, dict) and k not in _SHAPE else {f"{prefix}{k}"}
        return out
    return len(set().union(*(leaves(r) for r in records[:100])))


def _at(node: object, path: tuple[str, ...]) -> object:
    for part in path:
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def _parse_path(text: str) -> tuple[str, ...]:
    return tuple(p for p in str(text).strip().strip(".").split(".") if p) if str(text).strip() else ()


def _members(text: str, pos: int) -> list[tuple[str, int]]:
    """The keys (or indices) of the object (or array) opening at ``pos`` with the offset where each value starts."""
    out: list[tuple[str, int]] = []
    opening = text[pos]
    closing = "}" if opening == "{" else "]"
    pos = _WS.match(text, pos + 1).end()
    if text[pos] == closing:
        return out
    index = 0
    while True:
        if opening == "{":
            key, pos = scanstring(text, pos + 1)
            pos = _WS.match(text, pos).end() + 1           # the colon
            pos = _WS.match(text, pos).end()
        else:
            key, index = str(index), index + 1
        _, end = _DECODER.raw_decode(text, pos)
        out.append((key, pos))
        pos = _WS.match(text, end).end()
        if text[pos] != ",":
            return out
        pos = _WS.match(text, pos + 1).end()


def _offset(text: str, pos: int, path: tuple[str, ...]) -> int:
    for part in path:
        pos = dict(_members(text, pos))[part]
    return pos


def _flat(obj: dict, prefix: str, out: dict[str, str], aside: dict[str, int], inner: dict[str, list],
          groups: dict[str, str]) -> None:
    """A record's fields into ``out`` by their paths, the object each is nested in into ``groups``; lists of
    records into ``inner``, lists of plain values counted into ``aside``."""
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            _flat(value, name + ".", out, aside, inner, groups)
        elif isinstance(value, list):
            if value and all(isinstance(i, dict) for i in value):
                inner[name] = value
            elif value:
                aside[name] = aside.get(name, 0) + 1
            else:
                inner.setdefault(name, [])
        else:
            out[name] = _text(value)
            groups.setdefault(name, prefix[:-1])


_SHAPE = ("geometry", "arcs", "bbox", "coordinates")
"""A feature's keys that draw its shape (GeoJSON's geometry, TopoJSON's arcs), beside the object of its fields."""


def _unwrapped(records: list[dict], notes: list[str]) -> list[dict]:
    """A GeoJSON's features as their properties (and id), an ArcGIS service's as their attributes: where every
    record holds its fields in one object beside a geometry and a type."""
    wrappers = set()
    for rec in records:
        objects = [k for k, v in rec.items() if isinstance(v, dict) and k not in _SHAPE]
        plain = [k for k, v in rec.items() if not isinstance(v, dict) and k not in _SHAPE]
        if len(objects) != 1 or any(k not in ("type", "id") for k in plain):
            return records
        wrappers.add(objects[0])
    if len(wrappers) != 1:
        return records
    wrapper = wrappers.pop()
    if any(k in rec for rec in records for k in _SHAPE):
        notes.append(f"the geometry of the {len(records)} features is left aside ('sozialradar geometry' reads "
                     "the areas' shapes); their fields are read from '" + wrapper + "'")
    return [{**({"id": rec["id"]} if "id" in rec else {}), **rec[wrapper]} for rec in records]


def _rows_of_records(records: list[dict], lines: list[int], notes: list[str], groups: dict[str, str],
                     item_lines: list[list[int]] | None = None) -> tuple[list[dict], list[int]]:
    """The records flattened into rows (see the module text); ``item_lines``: the line of each item of each
    record's one list of records, where the file tells it (else the record's line)."""
    records = _unwrapped(records, notes)
    flat, aside, inners = [], {}, []
    for rec in records:
        out: dict[str, str] = {}
        inner: dict[str, list] = {}
        _flat(rec, "", out, aside, inner, groups)
        flat.append(out)
        inners.append(inner)
    nested = sorted({k for inner in inners for k, v in inner.items() if v})
    if aside:
        notes.append("lists of plain values are left aside: " + ", ".join(
            f"'{k}' ({n} record{'s' if n != 1 else ''})" for k, n in aside.items()))
    if len(nested) > 1:
        notes.append("each record holds several lists of records (" + ", ".join(f"'{k}'" for k in nested)
                     + "); they are left aside, and each record is one row of its own fields")
    if len(nested) != 1:
        return flat, lines
    key = nested[0]
    rows, row_lines = [], []
    own = set().union(*(set(r) for r in flat))
    for number, (out, inner, line) in enumerate(zip(flat, inners, lines)):
        items = inner.get(key, [])
        if not items:
            rows.append(out)
            row_lines.append(line)
            continue
        its = item_lines[number] if item_lines is not None and len(item_lines[number]) == len(items) else None
        for j, item in enumerate(items):
            item_line = its[j] if its is not None else line
            fields: dict[str, str] = {}
            deeper: dict[str, list] = {}
            inside: dict[str, str] = {}
            _flat(item, "", fields, aside, deeper, inside)
            for k, g in inside.items():
                groups.setdefault(f"{key}.{k}" if k in own else k, f"{key}.{g}".rstrip(".") if k in own else g)
            rows.append({**out, **{(f"{key}.{k}" if k in own else k): v for k, v in fields.items()}})
            row_lines.append(item_line)
    notes.append(f"each record's list '{key}' gives a row per item, the record's own fields repeated "
                 f"({len(records)} records, {len(rows)} rows)")
    return rows, row_lines


def _decode(data: bytes, path: Path) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding in ("utf-8", "utf-16"):
        if encoding == "utf-16" and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            continue
        try:
            return data.decode(encoding).lstrip("\ufeff")
        except UnicodeDecodeError:
            continue
    raise JsonTableError(f"{path}: a JSON file must be UTF-8, and this one is not (save it as UTF-8)")


def _json_lines(text: str, path: Path) -> tuple[list[dict], list[int], list[tuple[int, str, str]]]:
    records, lines, problems = [], [], []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            value = _DECODER.decode(line)
        except json.JSONDecodeError as exc:
            problems.append((number, line.strip()[:200], f"no JSON record: {exc.msg} at column {exc.colno}"))
            continue
        if not isinstance(value, dict):
            problems.append((number, line.strip()[:200], "a line of a JSON Lines file must hold an object"))
            continue
        records.append(value)
        lines.append(number)
    if not records:
        raise JsonTableError(f"{path}: neither JSON nor JSON Lines (no line holds an object)")
    return records, lines, problems


def _describe(table: _Table) -> str:
    where = f"under '{'.'.join(table.path)}'" if table.path else "at the top of the file"
    kind = {"records": "records", "keyed": "records under their keys", "columns": "rows of columns"}[table.form]
    return f"{table.rows} {kind} {where}"


def read_json(path: Path, sheet: str | int | None = None) -> JsonTable:
    """The table of a JSON (or JSON Lines) file (see the module text); ``sheet``: its path in the file where
    the file holds several."""
    path = Path(path)
    text = _decode(path.read_bytes(), path)
    start = _WS.match(text, 0).end()
    if start >= len(text):
        raise JsonTableError(f"{path}: the file is empty")
    notes: list[str] = []
    problems: list[tuple[int, str, str]] = []
    groups: dict[str, str] = {}
    doc: object = None
    error: json.JSONDecodeError | None = None
    if path.suffix.lower() not in _LINE_SUFFIXES:
        try:
            doc, end = _DECODER.raw_decode(text, start)
            if text[end:].strip():
                doc = None
                error = json.JSONDecodeError("more than one value in the file", text, _WS.match(text, end).end())
        except json.JSONDecodeError as exc:
            error = exc
    newlines = [m.start() for m in re.finditer("\n", text)]

    def line_of(offset: int) -> int:
        return bisect_right(newlines, offset - 1) + 1

    if doc is None:
        first = text[start:].split("\n", 1)[0].strip()
        if path.suffix.lower() not in _LINE_SUFFIXES and not first.startswith("{"):
            raise JsonTableError(f"{path}: not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})")
        try:
            records, lines, problems = _json_lines(text, path)
        except JsonTableError:
            if error is not None:
                raise JsonTableError(f"{path}: not valid JSON: {error.msg} (line {error.lineno}, column "
                                     f"{error.colno})") from None
            raise
        notes.append(f"JSON Lines: {len(records)} records, a row per line")
        rows, row_lines = _rows_of_records(records, lines, notes, groups)
        return _as_table(rows, row_lines, notes, problems, groups)
    tables = _tables(doc)
    if sheet is not None and str(sheet).strip():
        wanted = _parse_path(str(sheet))
        try:
            node = _at(doc, wanted)
        except (KeyError, IndexError, ValueError, TypeError):
            raise JsonTableError(f"{path}: no '{sheet}' in the file; its tables: "
                                 + ("; ".join(_describe(t) for t in tables) or "none")) from None
        chosen = next((t for t in _tables(node, wanted) if t.path == wanted), None)
        if chosen is None:
            raise JsonTableError(f"{path}: '{sheet}' holds no table (no list of records, no object of records or "
                                 "columns); its tables: " + ("; ".join(_describe(t) for t in tables) or "none"))
    elif tables:
        chosen = max(tables, key=lambda t: (t.rows * t.width, t.rows, -len(t.path)))
    elif isinstance(doc, dict):
        chosen = _Table((), "single", 1)
    else:
        raise JsonTableError(f"{path}: holds no table (no list of records, no object of records or columns)")
    others = [t for t in tables if t.path != chosen.path and not _below(t.path, chosen.path)
              and not _below(chosen.path, t.path)]
    pos = _offset(text, start, chosen.path)
    node = _at(doc, chosen.path)
    if chosen.form == "single":
        notes.append("the file holds one record: a table of one row")
        rows, row_lines = _rows_of_records([node], [line_of(pos)], notes, groups)
    elif chosen.form == "columns":
        names = [k for k, v in node.items() if isinstance(v, list) and len(v) == chosen.rows
                 and not any(isinstance(i, (dict, list)) for i in v)]
        offsets = dict(_members(text, pos))
        first_items = _members(text, offsets[names[0]])
        rows = [{n: _text(node[n][i]) for n in names} for i in range(chosen.rows)]
        row_lines = [line_of(o) for _, o in first_items]
        left = [k for k in node if k not in names]
        notes.append(f"the table is {_describe(chosen)}" + (f"; left aside beside them: {', '.join(left)}"
                                                             if left else ""))
    else:
        members = _members(text, pos)
        if chosen.form == "keyed":
            name = next(n for n in ("key", "record_key", "_key") if not any(n in v for v in node.values()))
            records = [{name: k, **v} for k, v in node.items()]
        else:
            records = [r if isinstance(r, dict) else None for r in node]
            for (index, _), r in zip(members, node):
                if r is None:
                    notes.append(f"item {int(index) + 1} of the list is no record ({str(r)[:40]}); left aside")
        kept = [(r, o) for r, (_, o) in zip(records, members) if r is not None]
        records = [r for r, _ in kept]
        lines = [line_of(o) for _, o in kept]
        notes.append(f"the table is {_describe(chosen)}")
        nested = {k for r in records for k in _nested_lists(r)}
        item_lines = None
        if len(nested) == 1 and chosen.form == "records":
            key = nested.pop()
            item_lines = [[line_of(off) for _, off in _members(text, _offset(text, o, tuple(key.split("."))))]
                          if _at_flat(r, key) else [] for r, o in kept]
        rows, row_lines = _rows_of_records(records, lines, notes, groups, item_lines)
    if others:
        notes.append("the file holds other tables, left aside (name one with 'sheet'): "
                     + "; ".join(_describe(t) for t in others))
    parts = [k for k in (doc if isinstance(doc, dict) else {}) if chosen.path[:1] != (k,)
             and not any(t.path[:1] == (k,) for t in others)]
    if parts and chosen.form != "single":
        notes.append("left aside beside the table: " + ", ".join(_part(p, doc[p]) for p in parts))
    if len(set(row_lines)) < len(row_lines):
        notes.append("the records share lines (a file written on one line): rows are numbered by record")
        row_lines = list(range(1, len(rows) + 1))
    return _as_table(rows, row_lines, notes, problems, groups)


def _part(key: str, value: object) -> str:
    """A part of the file beside its table, with its values where they are a few (a total to check against)."""
    if isinstance(value, dict) and 0 < len(value) <= 6 and not any(isinstance(v, (dict, list)) for v in value.values()):
        return f"'{key}' (" + ", ".join(f"{k} {_text(v)}" for k, v in value.items()) + ")"
    if not isinstance(value, (dict, list)):
        return f"'{key}' ({_text(value)[:60]})"
    return f"'{key}'"


def _below(path: tuple[str, ...], parent: tuple[str, ...]) -> bool:
    return len(path) > len(parent) and path[:len(parent)] == parent


def _nested_lists(record: dict, prefix: str = "") -> dict[str, list]:
    """The lists of records inside a record, by their dotted path (not below a GeoJSON feature's geometry)."""
    out: dict[str, list] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and key != "geometry":
            out.update(_nested_lists(value, name + "."))
        elif isinstance(value, list) and value and all(isinstance(i, dict) for i in value):
            out[name] = value
    return out


def _at_flat(record: dict, dotted: str) -> list:
    node: object = record
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return []
        node = node[part]
    return node if isinstance(node, list) else []


def _as_table(rows: list[dict], lines: list[int], notes: list[str], problems: list[tuple[int, str, str]],
              groups: dict[str, str]) -> JsonTable:
    header: dict[str, None] = {}
    for row in rows:
        header.update(dict.fromkeys(row))
    names = list(header)
    if not names:
        raise JsonTableError("the records hold no fields")
    return JsonTable(header=names, columns=[[row.get(n, "") for row in rows] for n in names], lines=lines,
                     notes=notes, problems=problems, groups=[groups.get(n, "") for n in names])

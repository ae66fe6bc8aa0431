"""Region lists: code (or a name serving as one), name, level, parent, geometry; checked row by row."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ml.contracts import LEVELS
from ml.importers.common import FOOTER_START, cell_column
from ml.importers.mapping import Mapping, column_position, find_column, list_code_column
from ml.importers.code_levels import levels_by_code
from ml.importers.sum_rows import read_sum_rows
from ml.io import FileFormatError, RawTable
from ml.parsing import INVALID_CODE, MISSING_MARKERS, names_no_region, normalize_codes
from ml.regions import canonical_level, name_key


_WRAP = re.compile(r"(?<=/)[ \t]*[\r\n]\s*")
_HYPHENATED = re.compile(r"(?<=[^\W\d_])-\s+(?!(?:und|oder|bis|sowie|bzw)\b)(?=[a-zäöüß])")
"""A word broken at a line's end ('Gesund-⏎brunnen', 'Friedrichs-      hain' where a line break became blanks)."""
_COMPOUND = re.compile(r"(?<=[^\W\d_])-\s+(?=[A-ZÄÖÜ])")
"""A compound name broken after its hyphen ('Treptow- Köpenick', 'Schöneberg-⏎Nord')."""


def clean_names(names: pd.Series) -> pd.Series:
    """Region names as written in a spreadsheet cell or a table set from print, tidied: a word broken at a line's
    end is joined ('Gesund-⏎brunnen', 'Friedrichs-   hain' = 'Gesundbrunnen', 'Friedrichshain'; 'Nord- und Süd'
    stays), a compound broken after its hyphen keeps the hyphen ('Treptow- Köpenick' = 'Treptow-Köpenick'), a line
    break after a slash joins too; every other run of blanks and line breaks is one blank."""
    text = names.astype("str").str.replace(_WRAP, "", regex=True)
    text = text.str.replace(_HYPHENATED, "", regex=True).str.replace(_COMPOUND, "-", regex=True)
    return text.str.replace(r"\s+", " ", regex=True).str.strip()


def pad_lost_zeros(code: pd.Series, share: float = 0.8) -> tuple[pd.Series, pd.Series, int]:
    """One level's codes with the leading zeros a spreadsheet dropped put back: where every code is digits and at
    least ``share`` of the cells have one width, the longest, shorter ones are left-padded to it ('1' among
    '02' … '99' is '01'). Returns the codes, which cells were padded, and the width. A numbering without
    zeros ('1' … '12') has no such majority and stays as written."""
    present = code[code.ne("")]
    none = pd.Series(False, index=code.index)
    if present.empty or not present.str.fullmatch(r"\d+").all():
        return code, none, 0
    widths = present.str.len()
    width = int(widths.max())
    if (widths == width).mean() < share:
        return code, none, 0
    short = code.ne("") & code.str.len().lt(width)
    return code.where(~short, code.str.zfill(width)), short, width


def _hierarchy_frame(table: RawTable, mapping: Mapping, notes: list[str] | None = None) -> pd.DataFrame:
    """A region list written as a hierarchy as the rows of a plain one: per level, each region once (at the line
    where it first appears), its parent the region of the level before. A region written twice with another name or
    parent stays twice, so that the checks quarantine it. Leading zeros lost from a local level's codes are put
    back (:func:`pad_lost_zeros`), with a note."""
    h = table.header
    parts, parent = [], pd.Series("", index=range(table.cells.num_rows), dtype=object)
    for spec in mapping.hierarchy:
        code = cell_column(table, column_position(h, spec.id, f"the {spec.level} code")).str.strip()
        # a code joined to its parent's must keep its width, or '0301' + '1' is not '030101'
        code, short, width = pad_lost_zeros(code) if spec.local else (code, code.eq(None), 0)
        if short.any() and notes is not None:
            padded = (parent + "/" + code)[short].nunique()
            notes.append(f"{spec.level}: the codes of {padded} region(s) in column {spec.id!r} are written without "
                         f"leading zeros; read with {width} digits like the level's other codes ('{'1'.zfill(width)}' "
                         "for '1')")
        name = cell_column(table, column_position(h, spec.name, f"the {spec.level} name")) if spec.name else code
        full = (parent + code).where(code.ne(""), "") if spec.local else code
        part = pd.DataFrame({"region_id": full.to_numpy(), "name": clean_names(name).to_numpy(),
                             "level": canonical_level(spec.level) or spec.level.strip().lower(),
                             "parent_id": parent.to_numpy(), "geometry": "", "line": table.lines})
        part = part[part["region_id"].ne("")]
        # a name written only on a region's first row (merged cells in a spreadsheet) holds for its other rows
        named = part[part["name"].ne("")].drop_duplicates("region_id").set_index("region_id")["name"]
        blank = part["name"].eq("") & part["region_id"].isin(named.index)
        part.loc[blank, "name"] = part.loc[blank, "region_id"].map(named)
        parts.append(part.drop_duplicates(["region_id", "name", "parent_id"]))
        parent = full.reset_index(drop=True)
    return pd.concat(parts, ignore_index=True)


def adapt_regions(table: RawTable, mapping: Mapping, known: frozenset[str],
                  notes: list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Validate a region list; returns (accepted regions, quarantined rows); ``notes`` receives what was read
    differently from the cells."""
    h = table.header
    if mapping.hierarchy:
        frame = _hierarchy_frame(table, mapping, notes)
        # each level has its own code width: nothing is padded beyond a level's own
        codes, bad = normalize_codes(frame["region_id"])
        parents, bad_parent = normalize_codes(frame["parent_id"])
        return _checked(frame.assign(region_id=codes.to_numpy(), parent_id=parents.to_numpy()), bad, bad_parent,
                        known)
    idx = {role: find_column(h, role) for role in ("region_id", "name", "level", "parent_id", "geometry")}
    idx["region_id"] = list_code_column(h, mapping.region_column)
    idx["name"] = find_column(h, "name", mapping.name_column)
    idx["parent_id"] = find_column(h, "parent_id", mapping.parent_column)
    if idx["name"] is None and mapping.region_column is not None:
        idx["name"] = idx["region_id"]          # a list of names only: the names are the ids
    missing = [r for r in ("region_id", "name", "level")
               if idx[r] is None and not (r == "level" and (mapping.level or mapping.code_levels))]
    if missing:
        raise FileFormatError(
            f"{table.path}: a region list needs column(s) {', '.join(missing)}; header is {', '.join(h)} (name the "
            "code column with region_column in a --mapping, the names' with name_column, and give a level for all "
            "with level: "
            f"{'|'.join(LEVELS)})")
    codes, bad = normalize_codes(cell_column(table, idx["region_id"]), mapping.region_code_width)
    parents, bad_parent = normalize_codes(cell_column(table, idx["parent_id"]), mapping.region_code_width)
    if mapping.parent_code is not None:
        if idx["parent_id"] is not None:
            raise FileFormatError(f"{table.path}: parent_code takes each region's parent from its own code, and the "
                                  f"file has a parent column {h[idx['parent_id']]!r}: keep one of the two")
        n = mapping.parent_code
        parents = pd.Series(np.where(codes.str.len().to_numpy() > n, codes.str[:n].to_numpy(), ""), dtype=object)
        bad_parent = np.zeros(len(codes), dtype=bool)
    frame = pd.DataFrame({
        "region_id": codes.to_numpy(),
        "name": clean_names(cell_column(table, idx["name"])).to_numpy(),
        "level": (cell_column(table, idx["level"]).map(lambda t: canonical_level(t) or t.strip().lower()).to_numpy()
                  if idx["level"] is not None
                  else np.full(table.cells.num_rows, canonical_level(str(mapping.level)) or str(mapping.level).strip().lower(),
                               dtype=object)),
        "parent_id": parents.to_numpy(),
        "geometry": cell_column(table, idx["geometry"]).to_numpy(),
        "line": table.lines,
    })
    frame, bad, bad_parent = _latest_rows(table, mapping, frame, np.asarray(bad, bool), np.asarray(bad_parent, bool),
                                          notes)
    if (rest := frame["name"].astype(str).map(names_no_region).to_numpy()).any():
        # 'ohne Zuordnung' in a list of the Jobcenter's areas: the remainder no area takes is no region
        if notes is not None:
            shown = ", ".join(repr(n) for n in pd.unique(frame.loc[rest, "name"])[:3])
            notes.append(f"{int(rest.sum())} row(s) name no region ({shown}): the remainder not assigned to any "
                         "area, left out (a table of values leaves its rows out with outside_regions: leave_out)")
        frame, bad, bad_parent = (frame[~rest].reset_index(drop=True), np.asarray(bad, bool)[~rest],
                                  np.asarray(bad_parent, bool)[~rest])
    if mapping.sum_rows:
        frame, bad, bad_parent = read_sum_rows(frame, bad, bad_parent, idx["level"] is not None, notes)
    if mapping.code_levels:
        ok = ~np.asarray(bad, bool)
        levels = {int(n): canonical_level(str(w)) or str(w) for n, w in mapping.code_levels.items()}
        leveled, outside, refused = levels_by_code(frame[ok], levels, known, notes)
        frame = pd.concat([leveled, frame[~ok]], ignore_index=True)
        bad_parent = np.r_[np.asarray(bad_parent, bool)[ok][~outside] & leveled["parent_id"].eq("").to_numpy(),
                           np.asarray(bad_parent, bool)[~ok]]
        bad = np.r_[np.zeros(len(leveled), bool), np.ones(int((~ok).sum()), bool)]
        accepted, quarantined = _checked(frame, bad, bad_parent, known)
        return accepted, pd.concat([refused, quarantined], ignore_index=True)
    if mapping.parent is not None:
        frame, bad_parent = _one_parent(table, frame, mapping, idx["parent_id"], known, notes)
    if mapping.parent_level is not None:
        frame, bad, bad_parent = _created_parents(frame, bad, known, mapping, notes)
    if idx["parent_id"] is not None:
        frame = _read_parents(frame, bad_parent, known, h[idx["parent_id"]], notes)
    return _checked(frame, bad, bad_parent, known)




def _one_parent(table: RawTable, frame: pd.DataFrame, mapping: Mapping, parent_at: int | None, known: frozenset[str],
                notes: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """``frame`` with the mapping's ``parent`` as every region's parent (not its own), and no parent code invalid; a
    parent that is no region of the store or the list is refused, as is a list that names parents of its own."""
    if parent_at is not None:
        raise FileFormatError(f"{table.path}: parent: gives every region one parent, and the file has a parent column "
                              f"{table.header[parent_at]!r}: keep one of the two")
    code = normalize_codes(pd.Series([str(mapping.parent)]), mapping.region_code_width)[0].iat[0]
    if code not in known and code not in set(frame["region_id"]):
        raise FileFormatError(f"{table.path}: parent: {mapping.parent!r} is no region of the store or of this list: "
                              "import a region list holding it first (its code, name and level, e.g. "
                              "'Schlüssel;Name;Ebene' / '01001;Flensburg;kreis')")
    parents = np.where(frame["region_id"].eq(code).to_numpy(), "", code)
    notes.append(f"parent: every region of the list ({int((parents != '').sum())}) lies in {code}")
    return frame.assign(parent_id=parents), np.zeros(len(frame), dtype=bool)


def without_footer(table: RawTable, mapping: Mapping, notes: list[str] | None = None, what: str = "list") -> RawTable:
    """A region list (or a table of values, ``what``) without the rows after it — the source, notes, a legend of
    the signs ('– = Zahlenwert unbekannt'): each no valid code or name, nothing in the other cells, the first after
    a blank line or begun as a footer is (``Quelle:``, ``1)``, ``x =``); ``notes`` names them. Not read as
    regions or values, nor quarantined."""
    if mapping.hierarchy:
        return table
    at = (list_code_column(table.header, mapping.region_column) if what == "list"
          else find_column(table.header, "region_id", mapping.region_column))
    if at is None:
        return table
    _, bad = normalize_codes(cell_column(table, at), mapping.region_code_width)
    footer = _footer(table, np.asarray(bad, bool), at, notes, what)
    return _head(table, table.cells.num_rows - footer) if footer else table


def _footer(table: RawTable, bad: np.ndarray, code_at: int, notes: list[str] | None, what: str = "list") -> int:
    """How many rows at the end of ``table`` are its footer (:func:`without_footer`)."""
    n = table.cells.num_rows
    others = [cell_column(table, i) for i in range(table.cells.num_columns) if i != code_at]
    text = cell_column(table, code_at)
    k = n
    while k > 0 and bad[k - 1] and text.iat[k - 1].strip() and all(not str(c.iat[k - 1]).strip() for c in others):
        k -= 1
    while k < n:
        gap = k > 0 and int(table.lines[k]) - int(table.lines[k - 1]) > 1
        if gap or FOOTER_START.match(text.iat[k].strip()):
            break
        k += 1          # a row the checks quarantine, not a footer
    if k < n and notes is not None:
        shown = ", ".join(repr(t.strip()[:50]) for t in text.iloc[k:k + 3])
        notes.append(f"{n - k} line{'s' if n - k != 1 else ''} after the {what} (the source, notes, a legend of its "
                     f"signs) left out: {shown}{' …' if n - k > 3 else ''}")
    return n - k


def _head(table: RawTable, rows: int) -> RawTable:
    """``table`` with its first ``rows`` rows only."""
    from dataclasses import replace

    return replace(table, cells=table.cells.slice(0, rows), lines=table.lines[:rows], _frame=None)


def _read_parents(frame: pd.DataFrame, bad_parent: np.ndarray, known: frozenset[str], column: str,
                  notes: list[str] | None) -> pd.DataFrame:
    """Parent codes that are no region of the store or the file, read as one: without the letters before the
    number that every such code shares ('STGT01', a municipal GIS's key of the Stadtteil 1), and with other leading
    zeros ('01' for '1'), where the number names one region only. The others stay as written (an unknown parent,
    quarantined); ``notes`` says what was read."""
    from ml.importers.region_cells import behind_letters

    ids = set(known) | set(frame["region_id"])
    written = frame["parent_id"].where(~np.asarray(bad_parent, bool), "")
    open_ = [t for t in dict.fromkeys(written) if t and t not in ids]
    if not open_:
        return frame
    behind = behind_letters(open_)
    numbers = behind[0] if behind else open_
    by_number: dict[int, str | None] = {}
    for rid in ids:
        if rid.isascii() and rid.isdigit():
            by_number[int(rid)] = None if int(rid) in by_number else rid
    found = {}
    for text, number in zip(open_, numbers):
        code = number if number in ids else (by_number.get(int(number)) if number.isascii() and number.isdigit()
                                             else None)
        if code is not None:
            found[text] = code
    if not found:
        return frame
    if notes is not None:
        first = next(iter(found.items()))
        notes.append(f"parent codes in {column!r} that are no region of the store read as its codes"
                     + (f" (behind the letters {behind[1]!r})" if behind else " (with other leading zeros)")
                     + f": {first[0]} → {first[1]}" + (f" and {len(found) - 1} more" if len(found) > 1 else "")
                     + (f"; {len(open_) - len(found)} name no region" if len(found) < len(open_) else ""))
    return frame.assign(parent_id=frame["parent_id"].map(lambda t: found.get(t, t)))


def _latest_rows(table: RawTable, mapping: Mapping, frame: pd.DataFrame, bad: np.ndarray, bad_parent: np.ndarray,
                 notes: list[str] | None) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """A table of several periods read as a region list (one row per region and period): each region from its row
    of the latest period, so that a name changed over the years (a town that became a 'Stadt') is the current one
    and the earlier rows are no repeated codes. Rows of one region in one period stay, and a code repeated there is
    quarantined as in any region list. A file without a period column is left as it is."""
    from ml.importers.common import period_position
    from ml.parsing import parse_periods

    p = period_position(table, mapping)
    if p is None or not frame["region_id"].duplicated().any():
        return frame, bad, bad_parent
    periods, why = parse_periods(cell_column(table, p))
    order = pd.Series(np.where(why.eq("").to_numpy(), periods.to_numpy(), ""), index=frame.index)
    valid = ~bad
    latest = (order.where(valid, "").groupby(frame["region_id"]).transform("max"))
    keep = ~valid | order.eq(latest)
    renumbered, said = _renumbered(frame, order, valid)
    keep &= ~renumbered
    renamed = frame[valid].groupby("region_id")["name"].nunique().gt(1)
    if notes is not None:
        n_periods = order[valid & order.ne("")].nunique()
        note = (f"a table of {n_periods} periods ({table.header[p]!r}): each region read from its row of the latest "
                f"period it has, {int((~keep).sum())} earlier rows left out")
        if renamed.any():
            first = renamed[renamed].index[0]
            names = frame.loc[frame["region_id"].eq(first), ["name"]].assign(o=order).sort_values("o")
            note += (f"; {int(renamed.sum())} region(s) named differently over the periods keep the latest name "
                     f"(e.g. {first}: {names['name'].iloc[0]!r} in {names['o'].iloc[0]}, "
                     f"{names['name'].iloc[-1]!r} in {names['o'].iloc[-1]})")
        notes.append(note)
        notes += [said] if said else []
    k = keep.to_numpy()
    return frame[k].reset_index(drop=True), bad[k], bad_parent[k]


def _renumbered(frame: pd.DataFrame, order: pd.Series, valid: np.ndarray) -> tuple[pd.Series, str | None]:
    """The rows of codes that end before the table's last period and whose names, read as a table of values reads
    them (:class:`ml.regions.RegionLookup`, over the codes of the last period with their names there), name one code
    that begins after them (Saxony's Gemeinden, renumbered in the Kreis reform of 2008): the same region renumbered,
    no region of its own. Where two such codes of one region meet in a period (two Gersdorfs, in two Kreise), all of
    that region's stay, as does a code whose names name none or several. Returns the rows to leave out and a note."""
    from ml.regions import RegionLookup

    rows = frame.assign(p=order)[valid & order.ne("").to_numpy()]
    spans = rows.groupby("region_id")["p"].agg(["min", "max"])
    last = spans["max"].max() if len(spans) else ""
    ended = spans.index[spans["max"] < last]
    if not len(ended):
        return pd.Series(False, index=frame.index), None
    now = rows[rows["p"].eq(last)].drop_duplicates("region_id")
    names = rows[rows["region_id"].isin(ended)].drop_duplicates(["region_id", "name"])
    found = RegionLookup(now[["region_id", "name", "level"]].reset_index(drop=True)).resolve_all(
        [(n, None) for n in names["name"]])
    named = pd.DataFrame({"code": names["region_id"].to_numpy(), "to": [c for c, _ in found]})
    target = {code: to.iloc[0] for code, group in named.groupby("code") for to in [group["to"].dropna()]
              if to.nunique() == 1 and spans.loc[to.iloc[0], "min"] > spans.loc[code, "max"]}
    periods = rows.groupby("region_id")["p"].agg(set)
    for region in set(target.values()):
        olds = [c for c, t in target.items() if t == region]
        if any(periods[a] & periods[b] for i, a in enumerate(olds) for b in olds[i + 1:]):
            for c in olds:
                del target[c]
    if not target:
        return pd.Series(False, index=frame.index), None
    latest = rows.sort_values("p").groupby("region_id")["name"].last()
    shown = ", ".join(f"{c} {latest[c]!r} → {t}" for c, t in sorted(target.items())[:5])
    return frame["region_id"].isin(list(target)), (
        f"{len(target)} code(s) of earlier periods only are, by their names, a code of the later periods ({shown}"
        f"{' …' if len(target) > 5 else ''}): regions renumbered, not regions of their own; a table of values reads "
        "their rows onto the later codes by the names beside them")


def _created_parents(frame: pd.DataFrame, bad: np.ndarray, known: frozenset[str], mapping: Mapping,
                     notes: list[str] | None) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The parents that ``parent_code`` derives and neither the store nor the file holds, added as regions of
    ``parent_level`` named by level and code ('Kreis 01054'), each at the first line that names it."""
    level = canonical_level(mapping.parent_level) or mapping.parent_level.strip().lower()
    wanted = frame[frame["parent_id"].ne("") & ~bad].drop_duplicates("parent_id")
    new = wanted[~wanted["parent_id"].isin(set(known) | set(frame["region_id"]))]
    if new.empty:
        return frame, bad, np.zeros(len(frame), dtype=bool)
    title = level[:1].upper() + level[1:]
    added = pd.DataFrame({"region_id": new["parent_id"].to_numpy(), "name": [f"{title} {c}" for c in new["parent_id"]],
                          "level": level, "parent_id": "", "geometry": "", "line": new["line"].to_numpy()})
    if notes is not None:
        notes.append(f"{len(added)} {level} region(s) created from the first {mapping.parent_code} characters of the "
                     f"codes, named like {added['name'].iloc[0]!r} until a region list names them")
    out = pd.concat([added, frame], ignore_index=True)
    return out, np.concatenate([np.zeros(len(added), bool), bad]), np.zeros(len(out), dtype=bool)


UNKNOWN_PARENT = "unknown parent region (neither a region of the store nor of this file: import the parents first)"


def _checked(frame: pd.DataFrame, bad, bad_parent, known: frozenset[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The row checks of a region list: codes, names, levels, parents, duplicates."""
    bad, bad_parent = np.asarray(bad, bool), np.asarray(bad_parent, bool)
    reason = np.full(len(frame), "", dtype=object)
    column = np.full(len(frame), "", dtype=object)
    value = np.full(len(frame), "", dtype=object)

    def fail(mask, why, col, val):
        m = np.asarray(mask, bool) & (reason == "")
        reason[m], column[m] = why, col
        value[m] = np.asarray(val, dtype=object)[m]

    fail(bad, INVALID_CODE, "region_id", frame["region_id"])
    fail(frame["name"].eq("").to_numpy(), "name missing", "name", frame["name"])
    fail(~frame["level"].isin(LEVELS).to_numpy(), f"unknown level (allowed: {', '.join(LEVELS)}; a word of the "
         "file's own: name its level with levels: in the mapping)", "level", frame["level"])
    has_parent = frame["parent_id"].ne("").to_numpy()
    fail(has_parent & bad_parent, "invalid parent code", "parent_id", frame["parent_id"])
    dup = frame["region_id"].duplicated(keep=False).to_numpy()
    two_levels = frame.groupby("region_id")["level"].transform("nunique").gt(1).to_numpy()
    fail(dup & two_levels, "the same id on two levels (a name used for a Bezirk and a Stadtteil, say): ids must be "
         "unique; give a code column (region_column in a --mapping) or distinct names", "region_id", frame["region_id"])
    fail(dup, "region_id appears more than once in the file", "region_id", frame["region_id"])
    known_all = set(known) | set(frame.loc[reason == "", "region_id"])
    fail(has_parent & ~frame["parent_id"].isin(known_all).to_numpy(), UNKNOWN_PARENT, "parent_id",
         frame["parent_id"])
    ok = reason == ""
    accepted = frame[ok].drop(columns=["line"]).replace({"parent_id": {"": None}})
    accepted["geometry"] = accepted["geometry"].where(~accepted["geometry"].str.strip().isin(MISSING_MARKERS), None)
    quarantined = pd.DataFrame({"line": frame.loc[~ok, "line"].to_numpy(), "column": column[~ok],
                                "value": value[~ok], "reason": reason[~ok]})
    return accepted, quarantined


_ID_WORDS = "id|nr|nummer|schluessel|schlüssel|code|kennziffer"
_ID_END = re.compile(rf"(?i)(?:[\s_\-]*(?:{_ID_WORDS})|\s*\(\s*(?:{_ID_WORDS})\s*\))$")
_NAME_END = re.compile(r"(?i)(?:[\s_\-]*(?:name|bezeichnung)|\s*\(\s*(?:name|bezeichnung)\s*\))$")
"""The end of a code or a name column's header: ``bzr_id``, ``BZR-Name``, ``Planungsraum (Nummer)``."""


def guess_hierarchy(header: list[str], frame: pd.DataFrame) -> list[dict]:
    """A region list written as a hierarchy, recognised from its header and cells (for ``mapping suggest``): pairs
    of a code and a name column of one stem (``bzr_id``/``bzr_name``, ``Planungsraum (Nummer)``/``Planungsraum
    (Name)``), and a column named by a level alone (``Bezirk``) whose cells are then the region's code and name,
    ordered coarse to fine by how many distinct regions each holds, the level read from the stem (``bzr`` =
    bezirksregion; None when the stem names no level), ``local`` where a code repeats under different parents.
    Empty when fewer than two pairs are found or other columns outnumber the pairs (a data table)."""
    ids, names = {}, {}
    for i, h in enumerate(header):
        if (m := _ID_END.search(h)) and m.start() > 0:
            ids.setdefault(name_key(h[:m.start()]), i)
        elif (m := _NAME_END.search(h)) and m.start() > 0:
            names.setdefault(name_key(h[:m.start()]), i)
    stems = [s for s in ids if s in names]
    if len(stems) >= 2:
        # a level named alone beside the pairs (LOR 2021: 'Bezirk' holds the Bezirk's name): its cells are its codes
        levels = {canonical_level(s) for s in stems}
        for i, h in enumerate(header):
            key = name_key(h)
            if key not in ids and key not in names and canonical_level(key) and canonical_level(key) not in levels:
                ids[key] = names[key] = i
                levels.add(canonical_level(key))
                stems.append(key)
    # a table of indicators with its regions' levels beside them is a data table, not a key: the columns outside
    # the pairs (full codes and the like) must be fewer than the pairs
    if len(stems) < 2 or len(header) - 2 * len(stems) > len(stems):
        return []
    cells = {s: (frame[f"c{ids[s]}"].astype("str").str.strip(), clean_names(frame[f"c{names[s]}"])) for s in stems}
    stems.sort(key=lambda s: (cells[s][1].replace("", np.nan).nunique(), ids[s]))
    out, parent = [], pd.Series("", index=frame.index, dtype=object)
    for s in stems:
        code = cells[s][0]
        pairs = pd.DataFrame({"p": parent.to_numpy(), "c": code.to_numpy()}).drop_duplicates()
        local = bool(parent.ne("").any() and pairs["c"].duplicated().any())
        out.append({"level": canonical_level(s), "id": header[ids[s]],
                    "name": header[names[s]] if names[s] != ids[s] else None, "local": local})
        parent = (parent + code) if local else code
    return out

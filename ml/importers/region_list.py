"""Region lists: code (or a name serving as one), name, level, parent, geometry; checked row by row."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.contracts import LEVELS
from ml.importers.common import cell_column
from ml.importers.mapping import Mapping, find_column
from ml.io import FileFormatError, RawTable
from ml.parsing import INVALID_CODE, MISSING_MARKERS, normalize_codes
from ml.regions import canonical_level


def adapt_regions(table: RawTable, mapping: Mapping, known: frozenset[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Validate a region list; returns (accepted regions, quarantined rows)."""
    h = table.header
    idx = {role: find_column(h, role) for role in ("region_id", "name", "level", "parent_id", "geometry")}
    idx["region_id"] = find_column(h, "region_id", mapping.region_column)
    if idx["name"] is None and mapping.region_column is not None:
        idx["name"] = idx["region_id"]          # a list of names only: the names are the ids
    missing = [r for r in ("region_id", "name", "level") if idx[r] is None and not (r == "level" and mapping.level)]
    if missing:
        raise FileFormatError(
            f"{table.path}: a region list needs column(s) {', '.join(missing)}; header is {', '.join(h)} (name the "
            "code column with region_column in a --mapping, and give a level for all with level: "
            f"{'|'.join(LEVELS)})")
    codes, bad = normalize_codes(cell_column(table, idx["region_id"]), mapping.region_code_width)
    parents, bad_parent = normalize_codes(cell_column(table, idx["parent_id"]), mapping.region_code_width)
    frame = pd.DataFrame({
        "region_id": codes.to_numpy(),
        "name": cell_column(table, idx["name"]).str.strip().to_numpy(),
        "level": (cell_column(table, idx["level"]).map(lambda t: canonical_level(t) or t.strip().lower()).to_numpy()
                  if idx["level"] is not None
                  else np.full(table.cells.num_rows, canonical_level(str(mapping.level)) or str(mapping.level).strip().lower(),
                               dtype=object)),
        "parent_id": parents.to_numpy(),
        "geometry": cell_column(table, idx["geometry"]).to_numpy(),
        "line": table.lines,
    })
    reason = np.full(len(frame), "", dtype=object)
    column = np.full(len(frame), "", dtype=object)
    value = np.full(len(frame), "", dtype=object)

    def fail(mask, why, col, val):
        m = np.asarray(mask, bool) & (reason == "")
        reason[m], column[m] = why, col
        value[m] = np.asarray(val, dtype=object)[m]

    fail(bad, INVALID_CODE, "region_id", frame["region_id"])
    fail(frame["name"].eq("").to_numpy(), "name missing", "name", frame["name"])
    fail(~frame["level"].isin(LEVELS).to_numpy(), f"unknown level (allowed: {', '.join(LEVELS)})", "level", frame["level"])
    has_parent = frame["parent_id"].ne("").to_numpy()
    fail(has_parent & bad_parent, "invalid parent code", "parent_id", frame["parent_id"])
    dup = frame["region_id"].duplicated(keep=False).to_numpy()
    two_levels = frame.groupby("region_id")["level"].transform("nunique").gt(1).to_numpy()
    fail(dup & two_levels, "the same id on two levels (a name used for a Bezirk and a Stadtteil, say): ids must be "
         "unique; give a code column (region_column in a --mapping) or distinct names", "region_id", frame["region_id"])
    fail(dup, "region_id appears more than once in the file", "region_id", frame["region_id"])
    known_all = set(known) | set(frame.loc[reason == "", "region_id"])
    fail(has_parent & ~frame["parent_id"].isin(known_all).to_numpy(), "unknown parent region", "parent_id",
         frame["parent_id"])
    ok = reason == ""
    accepted = frame[ok].drop(columns=["line"]).replace({"parent_id": {"": None}})
    accepted["geometry"] = accepted["geometry"].where(~accepted["geometry"].str.strip().isin(MISSING_MARKERS), None)
    quarantined = pd.DataFrame({"line": frame.loc[~ok, "line"].to_numpy(), "column": column[~ok],
                                "value": value[~ok], "reason": reason[~ok]})
    return accepted, quarantined

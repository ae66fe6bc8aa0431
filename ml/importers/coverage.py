"""Which of the store's regions an import left without a value: a table that covers nearly every region of a level
but not all of them (Berlin's health and social structure atlas leaves out Forst Grunewald and the Planungsräume too
small to publish; a row lost on the way from a spreadsheet looks the same) is named in the import report. A table of a
part of the level (one grid of two, a Landkreis's rows of a Land's table) is no gap and says nothing."""

from __future__ import annotations

NEARLY_ALL = 0.8
"""A level's regions with a value of the import, at least this share of the store's: the others are named."""

SHOWN = 5
"""Regions named per level; the rest are counted."""


def regions_without_values(con, accepted: str) -> list[str]:
    """Notes, one per level the import (the view ``accepted``) holds values of, naming the store's regions of that
    level without a value or a withheld cell in it, where the import covers at least :data:`NEARLY_ALL` of them."""
    rows = con.execute(f"""
        WITH got AS (SELECT DISTINCT a.region_id, r.level FROM {accepted} a JOIN regions r USING (region_id)),
        per_level AS (SELECT level, count(*) AS n FROM got GROUP BY level)
        SELECT r.level, any_value(l.n) AS n, count(*) AS total,
               list(r.region_id || ' (' || r.name || ')' ORDER BY r.region_id) FILTER (WHERE g.region_id IS NULL)
        FROM regions r JOIN per_level l USING (level) LEFT JOIN got g USING (region_id)
        GROUP BY r.level ORDER BY r.level""").fetchall()
    notes = []
    for level, n, total, missing in rows:
        if n == total or n < NEARLY_ALL * total:
            continue
        more = f" and {len(missing) - SHOWN} more" if len(missing) > SHOWN else ""
        notes.append(f"no value in this import for {len(missing)} of the store's {total} regions of level {level!r}: "
                     f"{', '.join(missing[:SHOWN])}{more}: left out of the table (too small to publish?), or their "
                     "rows quarantined")
    return notes

"""Which of the store's regions an import left without a value: a table that covers nearly every region of a level
in a period but not all of them (Berlin's health and social structure atlas leaves out Forst Grunewald and the
Planungsräume too small to publish; a row lost on the way from a spreadsheet, or a stand that lacks a few Gemeinden,
looks the same) is named in the import report. A table of a part of the level (one grid of two, a Landkreis's rows
of a Land's table) is no gap and says nothing."""

from __future__ import annotations

NEARLY_ALL = 0.8
"""A level's regions with a value of the import in a period, at least this share of the store's: the others are
named."""

SHOWN = 5
"""Regions (and periods) named per note; the rest are counted."""


def regions_without_values(con, accepted: str) -> list[str]:
    """Notes naming, per level and period the import (the view ``accepted``) holds values of, the store's regions of
    that level without a value or a withheld cell in it, where the import covers at least :data:`NEARLY_ALL` of
    them; periods that miss the same regions share one note."""
    rows = con.execute(f"""
        WITH got AS (SELECT DISTINCT a.region_id, a.period, r.level FROM {accepted} a JOIN regions r USING (region_id)),
        per_level AS (SELECT level, period, count(*) AS n FROM got GROUP BY level, period)
        SELECT r.level, l.period, any_value(l.n) AS n, count(*) AS total,
               list(r.region_id || ' (' || r.name || ')' ORDER BY r.region_id) FILTER (WHERE g.region_id IS NULL)
        FROM regions r JOIN per_level l USING (level)
        LEFT JOIN got g ON g.region_id = r.region_id AND g.period = l.period
        GROUP BY r.level, l.period ORDER BY r.level, l.period""").fetchall()
    gaps: dict[tuple[str, int, tuple[str, ...]], list[str]] = {}
    for level, period, n, total, missing in rows:
        if n < total and n >= NEARLY_ALL * total:
            gaps.setdefault((level, total, tuple(missing)), []).append(period)
    notes = []
    for (level, total, missing), periods in gaps.items():
        more = f" and {len(missing) - SHOWN} more" if len(missing) > SHOWN else ""
        when = ", ".join(periods) if len(periods) <= SHOWN else f"{len(periods)} periods, {periods[0]} to {periods[-1]}"
        notes.append(f"no value in this import for {len(missing)} of the store's {total} regions of level {level!r} "
                     f"in {when}: {', '.join(missing[:SHOWN])}{more}: left out of the table (too small to publish? "
                     "formed later, by a merger?), or their rows quarantined")
    return notes

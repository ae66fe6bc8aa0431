"""Codes the store lacks, read by the names beside them (:mod:`ml.validation`): whether their periods meet those the
file gives the same region under another code (:func:`periods_apart`), and whether a count jumps where the code
changes (:func:`joined_series`). Saxony's register gives a Gemeinde under its old code up to 2005 and under its new
one from 2009; where Gemeinden merged under one of their names in between, the old code's residents are a part of
the new Gemeinde's (Striegistal: 2,075 residents in 2005 under its old code, 5,359 in 2009 under its new one). The
import keeps such values (they are right for the old area) and names the regions."""

from __future__ import annotations

import duckdb
import pyarrow as pa

JUMP = 1.25
"""A count that grows by more than this factor, or falls below its inverse, where the code changes."""

SHOWN = 3
"""Regions named in the note; the rest are counted."""


def periods_apart(con: duckdb.DuckDBPyConnection, rows: list[tuple[str, str, str, str]], level_cell: str
                  ) -> tuple[list[tuple[str, str, str, str]], list[tuple[str, str, str]]]:
    """Of the codes a name read as the store's region (``rows``: code, level cell, name, region), those whose
    periods meet no period the file gives that region under another code (its own, or another code the name
    reads so), and for the others (code, level cell, the quarantine reason)."""
    periods: dict[tuple[str, str], set[str]] = {}
    code_of: dict[tuple[str, str], str] = {}
    for raw, lvl, code, period in con.execute(f"""
            SELECT DISTINCT c.raw, c.lvl, c.code, p.period
            FROM v_src s
            JOIN v_codes c ON c.raw = coalesce(s.region_id, '') AND c.lvl = trim(coalesce({level_cell}, ''))
            JOIN v_periods p ON p.raw = coalesce(s.period, '')
            WHERE p.period IS NOT NULL""").fetchall():
        periods.setdefault((raw, lvl), set()).add(period)
        code_of[(raw, lvl)] = code
    by_name = {(raw, lvl): region for raw, lvl, _, region in rows}
    # every (code, level cell) the file gives each region under: its own code, and the codes read by a name
    givers: dict[str, list[tuple[str, str]]] = {}
    for key, code in code_of.items():
        givers.setdefault(by_name.get(key, code), []).append(key)
    kept, clashes = [], []
    for raw, lvl, nm, region in rows:
        mine = periods.get((raw, lvl), set())
        met = [(other, mine & periods[other]) for other in givers.get(region, [])
               if other != (raw, lvl) and mine & periods[other]]
        if not met:
            kept.append((raw, lvl, nm, region))
            continue
        other = met[0][0]
        common = sorted(set().union(*(c for _, c in met)))
        how = f"as {other[0]!r}, another code with that name" if other in by_name else "under its own code"
        clashes.append((raw, lvl, f"unknown region; the name beside the code, {nm!r}, is that of the region {region}, "
                                  f"which the file also gives {how} in {', '.join(common[:3])}"
                                  f"{' …' if len(common) > 3 else ''}: the name cannot tell which row is the region"))
    return kept, clashes


def joined_series(con: duckdb.DuckDBPyConnection, by_name: list[tuple[str, str, str]]) -> str | None:
    """A note on the codes of ``by_name`` (code, name, the store's region) whose last count before the region's own
    code differs from the region's first count under it by more than :data:`JUMP`, from the accepted rows of the
    temp table ``v_checked`` and the source cells ``v_src``; None where none does."""
    con.register("v_by_name", pa.table({"raw": pa.array([r for r, _, _ in by_name], pa.string())}))
    try:
        rows = con.execute(f"""
            WITH lines AS (SELECT DISTINCT s.line, coalesce(s.region_id, '') AS raw FROM v_src s
                           WHERE coalesce(s.region_id, '') IN (SELECT raw FROM v_by_name)),
            counts AS (SELECT c.line, c.region_id, c.indicator_id, c.period, c.value FROM v_checked c
                       JOIN v_cat k USING (indicator_id)
                       WHERE c.q IS NULL AND k.kind = 'count' AND c.value > 0
                         AND c.region_id IN (SELECT region_id FROM v_checked c2 SEMI JOIN lines l ON c2.line = l.line)),
            old AS (SELECT c.region_id, c.indicator_id, any_value(l.raw) AS raw, max(c.period) AS p,
                           arg_max(c.value, c.period) AS v
                    FROM counts c JOIN lines l ON c.line = l.line GROUP BY ALL),
            own AS (SELECT region_id, indicator_id, min(period) AS p, arg_min(value, period) AS v
                    FROM counts c ANTI JOIN lines l ON c.line = l.line GROUP BY ALL)
            SELECT o.raw, o.region_id, o.indicator_id, o.p, o.v, n.p, n.v
            FROM old o JOIN own n USING (region_id, indicator_id)
            WHERE n.p > o.p AND (n.v > {JUMP} * o.v OR n.v * {JUMP} < o.v)
            ORDER BY abs(ln(n.v / o.v)) DESC""").fetchall()
    finally:
        con.unregister("v_by_name")
    if not rows:
        return None
    names = {raw: nm for raw, nm, _ in by_name}
    first: dict[str, tuple] = {}
    for row in rows:
        first.setdefault(row[1], row)
    shown = "; ".join(f"{raw} {names.get(raw, '')!r} → {region}: {ind} {p0} {v0:,.0f}, {p1} {v1:,.0f}"
                      for raw, region, ind, p0, v0, p1, v1 in list(first.values())[:SHOWN])
    more = " …" if len(first) > SHOWN else ""
    return (f"{len(first)} of the regions read by a name change a count by more than a quarter where the code changes "
            f"({shown}{more}): merged with others under that name? The earlier values are the old area's; check them")

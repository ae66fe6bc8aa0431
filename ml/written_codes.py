"""Region codes a table writes otherwise than the store: read as the store's where exactly one of its codes is meant.

Both work on the validation's temporary tables inside DuckDB (``v_codes``: each distinct written code, ``v_regions``:
the store's regions) and rewrite ``v_codes.code``: :func:`resolve_lost_zeros` for a code whose leading zeros a
spreadsheet dropped, :func:`resolve_ars` for a Gemeinde written by its Regionalschlüssel where the store holds its
Gemeindeschlüssel, or the reverse (:func:`ml.regions.gemeindeschluessel` is the same reading for one code).
"""

from __future__ import annotations

import duckdb
import pyarrow as pa


def resolve_lost_zeros(con: duckdb.DuckDBPyConnection) -> tuple[int, str]:
    """Cells of digits that are no known code but one known code with leading zeros (a spreadsheet dropped them:
    '1011101' for Berlin's '01011101', '1001' for Flensburg's '01001'): read as that code. A cell two codes could
    be ('101' for '0101' and '00101') stays as written. Returns how many distinct codes were read so, and one
    example."""
    rows = con.execute("""
        WITH open_ AS (SELECT DISTINCT code FROM v_codes
                       WHERE regexp_full_match(code, '[1-9][0-9]*') AND code NOT IN (SELECT region_id FROM v_regions))
        SELECT o.code, min(r.region_id) AS padded FROM open_ o
        JOIN v_regions r ON r.region_id LIKE '0%' AND ltrim(r.region_id, '0') = o.code
        GROUP BY o.code HAVING count(*) = 1 ORDER BY o.code""").fetchall()
    return _rewrite(con, rows)


def resolve_ars(con: duckdb.DuckDBPyConnection) -> tuple[int, str]:
    """Cells that are no known code but the Amtlicher Regionalschlüssel (ARS, 12 digits: Land, Regierungsbezirk,
    Kreis, Gemeindeverband, Gemeinde) of a Gemeinde the store holds by its Amtlicher Gemeindeschlüssel (AGS, 8
    digits: the ARS without the Gemeindeverband's four) — or the reverse, an AGS where the store holds the ARS (the
    one of its codes that is that AGS): read as the store's code. Statistical offices publish either; a leading
    zero a spreadsheet dropped is put back first. Returns how many distinct codes were read so, and one example."""
    rows = con.execute("""
        WITH open_ AS (SELECT DISTINCT code FROM v_codes WHERE code NOT IN (SELECT region_id FROM v_regions)
                       AND regexp_full_match(code, '[0-9]{7,8}|[0-9]{11,12}')),
             ars AS (SELECT region_id, substr(region_id, 1, 5) || substr(region_id, 10, 3) AS ags FROM v_regions
                     WHERE regexp_full_match(region_id, '[0-9]{12}')),
             found AS (
                SELECT o.code, r.region_id FROM open_ o JOIN v_regions r
                  ON length(o.code) >= 11
                 AND r.region_id IN (substr(lpad(o.code, 12, '0'), 1, 5) || substr(lpad(o.code, 12, '0'), 10, 3),
                                     ltrim(substr(lpad(o.code, 12, '0'), 1, 5) || substr(lpad(o.code, 12, '0'), 10, 3),
                                           '0'))
                UNION ALL
                SELECT o.code, a.region_id FROM open_ o JOIN ars a
                  ON length(o.code) <= 8 AND a.ags = lpad(o.code, 8, '0'))
        SELECT code, min(region_id) FROM found GROUP BY code HAVING count(DISTINCT region_id) = 1
        ORDER BY code""").fetchall()
    return _rewrite(con, rows)


def _rewrite(con: duckdb.DuckDBPyConnection, rows: list[tuple[str, str]]) -> tuple[int, str]:
    """``v_codes`` with each written code of ``rows`` (written, the store's) as the store's; how many, one example."""
    if not rows:
        return 0, ""
    con.register("v_rewritten", pa.table({"code": pa.array([r[0] for r in rows], pa.string()),
                                          "stored": pa.array([r[1] for r in rows], pa.string())}))
    try:
        con.execute("UPDATE v_codes SET code = w.stored FROM v_rewritten w WHERE v_codes.code = w.code")
    finally:
        con.unregister("v_rewritten")
    return len(rows), f"{rows[0][0]} → {rows[0][1]}"

"""Editions that repeat the one before exactly: an indicator whose values in one period equal those of the period
before in every region (a column copied from the year before in a spreadsheet, an export that wrote one edition twice). The
values are imported as they are; the import report names the repetition: ``features`` measures no change from or
to the later period, and the forecast takes its values as gaps."""

from __future__ import annotations

from ml.contracts import COPY_MIN_DISTINCT as MIN_DISTINCT, COPY_MIN_REGIONS as MIN_REGIONS


def repeated_editions(con, accepted: str) -> list[str]:
    """Notes on the indicator-periods of this import (the view ``accepted``) whose values, region by region, equal
    those of the indicator's period before (of the same length: a year after a year) in the store after the merge,
    where the indicator moves at least as often as it stands still (an area or another attribute that rarely
    changes repeats by right; two editions alone tell nothing). Found by a fingerprint per indicator and period
    (number of values, distinct values, an order-free hash of region and value), so that a national table of
    millions of rows costs one grouping; each repetition found is checked region by region."""
    rows = con.execute(f"""
        WITH touched AS (SELECT DISTINCT indicator_id, period FROM {accepted}),
        prints AS (
            SELECT indicator_id, period, count(*) AS n, count(DISTINCT value) AS k,
                   bit_xor((hash(region_id) % 1000000007) * 1000003 + hash(value) % 1000000007) AS h
            FROM observations
            WHERE value IS NOT NULL AND indicator_id IN (SELECT indicator_id FROM touched)
            GROUP BY indicator_id, period),
        steps AS (
            SELECT indicator_id, period, n, k, lag(period) OVER w AS before,
                   coalesce(n = lag(n) OVER w AND h = lag(h) OVER w, false) AS same
            FROM prints WINDOW w AS (PARTITION BY indicator_id, length(period) ORDER BY period)),
        judged AS (
            SELECT *, count(*) FILTER (WHERE same) OVER (PARTITION BY indicator_id) AS n_same,
                   count(*) FILTER (WHERE before IS NOT NULL AND NOT same) OVER (PARTITION BY indicator_id) AS n_moved
            FROM steps)
        SELECT indicator_id, before, period, n FROM judged
        WHERE same AND n >= {MIN_REGIONS} AND k >= {MIN_DISTINCT} AND n_moved >= greatest(n_same, 1)
          AND EXISTS (SELECT 1 FROM touched t WHERE t.indicator_id = judged.indicator_id
                      AND t.period IN (judged.before, judged.period))
        ORDER BY before, period, indicator_id""").fetchall()
    # a fingerprint can collide: each pair found is checked region by region
    rows = [r for r in rows if con.execute(
        "SELECT count(*) FROM observations x JOIN observations y ON x.region_id = y.region_id "
        "AND x.indicator_id = y.indicator_id AND x.value = y.value "
        "WHERE x.indicator_id = ? AND x.period = ? AND y.period = ?", list(r[:3])).fetchall()[0][0] == r[3]]
    pairs: dict[tuple[str, str, int], list[str]] = {}
    for indicator, first, second, n in rows:
        pairs.setdefault((first, second, n), []).append(indicator)
    return [f"the values of {first} and {second} are identical in all {n:,} regions for {', '.join(ids[:8])}"
            f"{f' … ({len(ids)} indicators)' if len(ids) > 8 else ''}: a copied edition or column? They are "
            f"imported as they are, no change from or to {second} is measured, and the forecast takes them as gaps; "
            "check the source"
            for (first, second, n), ids in pairs.items()]

"""Validation of observations in long form: every cell is accepted or quarantined with a reason.

Input is text as read from a file (a pyarrow Table or pandas frame with ``line``, ``region_id``,
``indicator_id``, ``period``, ``value`` and optionally ``column``, ``numerator``, ``denominator``,
``flag``). The checks run as one set-based pass inside DuckDB; accepted rows stay there as the temporary
table ``v_accepted`` for the store to merge, quarantined rows come back as a frame naming line, column,
value and reason. ``rows in == accepted + quarantined`` always holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from ml.catalog import Catalog
from ml.contracts import FLAGS
from ml.parsing import INVALID_CODE, MISSING_MARKERS, REMAINDER_PATTERN, install_macros
from ml.qualifiers import ESTIMATED, qualifier_note, split_qualifiers
from ml.renumbered import joined_series, periods_apart
from ml.written_codes import resolve_ars, resolve_lost_zeros
from ml.regions import RegionLookup

REQUIRED_COLUMNS = ("line", "region_id", "indicator_id", "period", "value")
OPTIONAL_COLUMNS = ("column", "numerator", "denominator", "flag", "region_level", "region_name")

FLAG_ALIASES = {
    "": "ok", "ok": "ok", "suppressed": "suppressed", "gesperrt": "suppressed", "geheim": "suppressed",
    "estimated": "estimated", "geschätzt": "estimated", "geschaetzt": "estimated", "imputed": "imputed",
    "imputiert": "imputed",
}


@dataclass(frozen=True)
class Rules:
    """What a valid observation is: catalog, known regions, period range, number format."""

    catalog: Catalog
    regions: frozenset[str]
    period_min: int
    period_max: int
    decimal: str
    consistency_tolerance: float = 0.06
    code_width: int | None = None
    lookup: RegionLookup | None = None
    """Resolves region names (and names with their level) to codes; without it only codes are accepted."""
    level_hint: str | None = None
    """The level of every region named in the file (``level`` in the mapping), for names on two levels."""
    leave_out_outside: bool = False
    """Rows of well-formed codes the store has no region for are left out, not quarantined (``outside_regions:
    leave_out`` in the mapping: a national table of which the county imports its own regions)."""


UNKNOWN_REGION = "unknown region (not in the store's regions; import the regions first)"
UNKNOWN_NAMED = ("unknown region (neither the code nor the name beside it is a region of the store: merged into "
                 "another since, or outside the store's area?)")
"""A code the store lacks on a row whose name beside it names no region of the store either."""
UNKNOWN_NAMES = "unknown region (the names beside the code over the periods name different regions of the store)"
NO_REGION = "no region (the cell says no value or names none: a remainder not assigned to any area?)"
"""A row whose region cell is a marker of no value ('NULL', '-') or names the remainder ('ohne Zuordnung',
:data:`ml.parsing.REMAINDER`): the city's unassigned remainder, say."""


@dataclass
class Validated:
    """The outcome of validating long text cells in DuckDB: the view of accepted rows and the quarantined ones with
    reasons."""
    n_in: int
    n_accepted: int
    quarantined: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    accepted_table: str = "v_accepted"
    repeated_keys: int = 0
    left_out: int = 0
    """Rows of regions outside the store's regions, left out (:attr:`Rules.leave_out_outside`)."""

    def accepted(self, con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
        """The accepted, typed observations as a DataFrame."""
        return con.execute(f"SELECT * FROM {self.accepted_table} ORDER BY region_id, indicator_id, period").df()


NEGATIVE_RATE = ("negative rate (a rate is never negative; a signed value, such as a migration balance per 100 "
                 "residents, is of kind index in the catalog)")


def catalog_table(catalog: Catalog) -> pa.Table:
    """The catalog as a pyarrow table for the validation's joins: indicator_id, kind, frequency, the valid range
    (lo, hi), the scale of derived values and whether their numerator may be negative."""
    rows = []
    for ind in catalog:
        lo, hi = ind.valid_range
        signed = ind.numerator is not None and ind.numerator in catalog and catalog[ind.numerator].kind == "balance"
        rows.append((ind.indicator_id, ind.kind, ind.frequency, lo, hi, ind.scale if ind.numerator else None, signed))
    cols = list(zip(*rows)) if rows else [[]] * 7
    return pa.table({
        "indicator_id": pa.array(cols[0], pa.string()), "kind": pa.array(cols[1], pa.string()),
        "frequency": pa.array(cols[2], pa.string()), "lo": pa.array(cols[3], pa.float64()),
        "hi": pa.array(cols[4], pa.float64()), "scale": pa.array(cols[5], pa.float64()),
        "signed_numerator": pa.array(cols[6], pa.bool_()),
    })


def _resolve_names(con: duckdb.DuckDBPyConnection, rules: Rules) -> None:
    """Cells that are no known code: looked up as region names (few distinct texts, resolved in Python)."""
    open_ = con.execute("SELECT raw, lvl FROM v_codes WHERE raw <> '' AND code NOT IN (SELECT region_id FROM v_regions)"
                        ).fetchall()
    resolved = rules.lookup.resolve_all([(raw, lvl or rules.level_hint) for raw, lvl in open_])
    rows = [(raw, lvl, code, why) for (raw, lvl), (code, why) in zip(open_, resolved)
            if code is not None or why is not None]
    if not rows:
        return
    _set_codes(con, "v_named", rows, ("raw", "lvl", "code", "why"), "code = coalesce(n.code, v_codes.code), "
               "code_ok = n.code IS NOT NULL OR v_codes.code_ok, why = n.why")


def _set_codes(con: duckdb.DuckDBPyConnection, name: str, rows: list[tuple], columns: tuple[str, ...],
               assignment: str) -> None:
    """``UPDATE v_codes SET assignment`` from ``rows`` (text tuples of ``columns``, the first two ``raw`` and
    ``lvl``) registered as ``name``."""
    cols = list(zip(*rows))
    con.register(name, pa.table({c: pa.array(cols[i], pa.string()) for i, c in enumerate(columns)}))
    try:
        con.execute(f"UPDATE v_codes SET {assignment} FROM {name} n WHERE v_codes.raw = n.raw AND v_codes.lvl = n.lvl")
    finally:
        con.unregister(name)


def _resolve_by_row_names(con: duckdb.DuckDBPyConnection, rules: Rules, level_cell: str) -> list[tuple[str, str, str]]:
    """Codes that are no region of the store, on rows that write a region's name beside the code (a mapping's
    ``name_column``): the name finds the region where it names one, at the level the row or the mapping gives,
    else at the one level of the file's other codes (regions renumbered since the table was written: Berlin's
    Reinickendorf, 2008; Saxony's Gemeinden in the Kreis reform of 2008). A table may hold a region under its old
    code in the years before and under its own code after: read so where the periods do not meet. Where they meet
    (a period the file gives the region under its own code or under another code read by the same name:
    Saxony's two Gersdorfs, in two Kreise), the name cannot tell which row is the region, and those rows are
    quarantined saying so (``level_cell`` is the SQL of a row's level cell). Returns (code, name, the store's
    code) for each code read so, for the import report."""
    open_ = con.execute("SELECT raw, lvl, nm FROM v_codes WHERE nm <> '' AND code NOT IN "
                        "(SELECT region_id FROM v_regions) ORDER BY raw").fetchall()
    if not open_:
        return []
    known = con.execute("SELECT DISTINCT code FROM v_codes WHERE code IN (SELECT region_id FROM v_regions)"
                        ).fetchall()
    levels = rules.lookup.regions.set_index(rules.lookup.regions["region_id"].astype("str"))["level"]
    held = {str(levels.get(c)) for (c,) in known if c in levels.index}
    level = rules.level_hint or (held.pop() if len(held) == 1 else None)
    # a code written with several names over the periods (a town renamed, 'Wiesa' then 'Thermalbad Wiesenbad') is
    # read where those that name a region of the store name one and the same
    found = iter(rules.lookup.resolve_all([(n, lvl or level) for _, lvl, nm in open_ for n in nm.split("\x1f")]))
    regions = [{c for c, _ in (next(found) for _ in nm.split("\x1f")) if c is not None} for _, _, nm in open_]
    rows = [(raw, lvl, nm.replace("\x1f", " / "), next(iter(r))) for (raw, lvl, nm), r in zip(open_, regions)
            if len(r) == 1]
    if unread := [(raw, lvl, UNKNOWN_NAMED if not r else UNKNOWN_NAMES) for (raw, lvl, _), r in zip(open_, regions)
                  if len(r) != 1]:
        _set_codes(con, "v_unread", unread, ("raw", "lvl", "why"), "why = coalesce(v_codes.why, n.why)")
    if not rows:
        return []
    rows, clashes = periods_apart(con, rows, level_cell)
    if clashes:
        _set_codes(con, "v_clash", clashes, ("raw", "lvl", "why"), "why = n.why")
    if rows:
        _set_codes(con, "v_renamed", rows, ("raw", "lvl", "name", "code"), "code = n.code, code_ok = TRUE, why = NULL")
    return [(raw, nm, code) for raw, _, nm, code in rows]


def _marks_taken_off(cells: pa.Table | pd.DataFrame) -> pa.Table | pd.DataFrame:
    """The cells with no mark of official statistics beside a value ('92550 p', '(12,0)'): where any cell has one,
    an Arrow table with the values taken off and the marks in a column ``qualifier`` (:mod:`ml.qualifiers`); else
    the cells as they came (a table of plain numbers costs one vectorised look at the last characters)."""
    frame = isinstance(cells, pd.DataFrame)
    values = pa.array(cells["value"].astype(object), pa.string(), from_pandas=True) if frame else cells.column("value")
    if not pa.types.is_string(values.type) and not pa.types.is_large_string(values.type):
        return cells
    cleaned, marks = split_qualifiers(values)
    if marks is None:
        return cells
    table = pa.Table.from_pandas(cells.astype({"value": object}), preserve_index=False) if frame else cells
    return table.set_column(table.column_names.index("value"), "value", cleaned).append_column("qualifier", marks)


def _flag_case(expr: str) -> str:
    whens = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in FLAG_ALIASES.items())
    return f"CASE {expr} {whens} ELSE NULL END"


def validate_long(con: duckdb.DuckDBPyConnection, cells: pa.Table | pd.DataFrame, rules: Rules) -> Validated:
    """Check and type text cells on ``con``; leaves the accepted rows in the temp table ``v_accepted``."""
    names = cells.column_names if isinstance(cells, pa.Table) else list(cells.columns)
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        raise ValueError(f"validate_long: missing column(s) {', '.join(missing)}")
    if rules.decimal not in (",", "."):
        raise ValueError(f"decimal must be ',' or '.'; got {rules.decimal!r}")
    install_macros(con)
    cells = _marks_taken_off(cells)
    names = cells.column_names if isinstance(cells, pa.Table) else list(cells.columns)
    opt = {c: (f"s.{c}" if c in names else ("'value'" if c == "column" else "''")) for c in OPTIONAL_COLUMNS}
    qualifier = "s.qualifier" if "qualifier" in names else "''"
    con.register("v_src", cells)
    con.register("v_regions", pa.table({"region_id": pa.array(sorted(rules.regions), pa.string())}))
    con.register("v_cat", catalog_table(rules.catalog))
    dec = rules.decimal
    try:
        # codes and periods repeat (a thousand regions, a few years in a million rows): each distinct text is
        # parsed once and joined back, the values (nearly all distinct) are parsed row by row
        width = 'NULL' if rules.code_width is None else int(rules.code_width)
        # the name a row writes beside its code, where a code is always written with one name
        name = f"trim(coalesce({opt['region_name']}, ''))"
        named = f"coalesce(string_agg(DISTINCT nullif({name}, ''), chr(31) ORDER BY nullif({name}, '')), '')" \
            if "region_name" in names else "''"
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE v_codes AS
            SELECT raw, lvl, code, sr_code_ok(code) AS code_ok, NULL::VARCHAR AS why, nm,
                   -- a cell of no value, or one naming the remainder no area takes: no region (once per distinct cell)
                   trim(raw) IN ({", ".join("'" + m.replace("'", "''") + "'" for m in MISSING_MARKERS if m)})
                   OR regexp_matches(lower(trim(raw)), '{REMAINDER_PATTERN.replace("'", "''")}') AS nowhere
            FROM (SELECT raw, lvl, sr_code(raw, {width}::INTEGER) AS code, nm
                  FROM (SELECT coalesce(region_id, '') AS raw, trim(coalesce({opt['region_level']}, '')) AS lvl,
                               {named} AS nm
                        FROM v_src s GROUP BY ALL))""")
        con.execute("""
            CREATE OR REPLACE TEMP TABLE v_periods AS
            SELECT raw, sr_period(raw) AS period FROM (SELECT DISTINCT coalesce(period, '') AS raw FROM v_src)""")
        padded, example = resolve_lost_zeros(con)
        keys, key_example = resolve_ars(con)
        by_name: list[tuple[str, str, str]] = []
        if rules.lookup is not None:
            _resolve_names(con, rules)
            # a table of more regions than the store's (outside_regions: leave_out) has codes the store lacks by
            # design: a name there may be another Land's Neustadt
            by_name = [] if rules.leave_out_outside else _resolve_by_row_names(con, rules, opt['region_level'])
        con.execute(
            f"""
            CREATE OR REPLACE TEMP VIEW v_parsed AS
            SELECT s.line, {opt['column']} AS src_column,
                   s.region_id AS raw_region, s.indicator_id AS raw_ind, s.period AS raw_period,
                   s.value AS raw_value, {opt['numerator']} AS raw_num, {opt['denominator']} AS raw_den,
                   {opt['flag']} AS raw_flag,
                   rc.code AS region_id, rc.code_ok, rc.why AS region_why, rc.nowhere,
                   trim(coalesce(s.indicator_id, '')) AS indicator_id,
                   rp.period AS period,
                   sr_finite(sr_number_clean(s.c_value, '{dec}')) AS value, sr_cell_kind_clean(s.c_value) AS value_kind,
                   sr_finite(sr_number_clean(s.c_num, '{dec}')) AS numerator, sr_cell_kind_clean(s.c_num) AS num_kind,
                   sr_finite(sr_number_clean(s.c_den, '{dec}')) AS denominator, sr_cell_kind_clean(s.c_den) AS den_kind,
                   {_flag_case("lower(trim(coalesce(" + opt['flag'] + ", '')))")} AS flag_code,
                   {qualifier} AS qualifier
            -- each cell cleaned once (the macros copy their argument wherever they name it)
            FROM (SELECT s.*, sr_clean(s.value) AS c_value, sr_clean({opt['numerator']}) AS c_num,
                         sr_clean({opt['denominator']}) AS c_den FROM v_src s) s
            JOIN v_codes rc ON rc.raw = coalesce(s.region_id, '') AND rc.lvl = trim(coalesce({opt['region_level']}, ''))
            JOIN v_periods rp ON rp.raw = coalesce(s.period, '')
            """,
        )
        reason = f"""
            CASE
            WHEN p.region_id = '' THEN {{'r': 'region code missing', 'c': 'region_id', 'v': p.raw_region}}
            WHEN p.nowhere THEN {{'r': '{NO_REGION}', 'c': 'region_id', 'v': p.raw_region}}
            WHEN p.region_why IS NOT NULL THEN {{'r': p.region_why, 'c': 'region_id', 'v': p.raw_region}}
            WHEN NOT p.code_ok THEN {{'r': '{INVALID_CODE}', 'c': 'region_id', 'v': p.raw_region}}
            WHEN r.region_id IS NULL THEN {{'r': '{UNKNOWN_REGION.replace("'", "''")}', 'c': 'region_id',
                 'v': p.region_id}}
            WHEN c.indicator_id IS NULL THEN {{'r': 'unknown indicator (not in the catalog)', 'c': 'indicator_id',
                 'v': p.raw_ind}}
            WHEN p.period IS NULL THEN {{'r': sr_period_reason(p.raw_period), 'c': 'period', 'v': p.raw_period}}
            WHEN CAST(left(p.period, 4) AS INTEGER) NOT BETWEEN {int(rules.period_min)} AND {int(rules.period_max)}
                 THEN {{'r': 'period out of range {int(rules.period_min)}..{int(rules.period_max)}', 'c': 'period',
                 'v': p.raw_period}}
            WHEN c.frequency = 'annual' AND length(p.period) = 7 THEN {{'r': 'monthly period for an annual indicator',
                 'c': 'period', 'v': p.raw_period}}
            WHEN c.frequency = 'monthly' AND length(p.period) = 4 THEN {{'r': 'annual period for a monthly indicator (expected YYYY-MM)',
                 'c': 'period', 'v': p.raw_period}}
            WHEN p.flag_code IS NULL THEN {{'r': 'unknown flag (allowed: {", ".join(FLAGS)})', 'c': 'flag', 'v': p.raw_flag}}
            WHEN p.value_kind = 'missing' AND p.flag_code <> 'suppressed' THEN {{'r': 'value missing',
                 'c': p.src_column, 'v': p.raw_value}}
            WHEN p.value_kind = 'text' AND p.value IS NULL THEN {{'r': coalesce(sr_sheet_error_clean(trim(p.raw_value)),
                 'not a number (decimal separator ''{dec}'')'), 'c': p.src_column, 'v': p.raw_value}}
            WHEN c.kind = 'share' AND (p.value < 0 OR p.value > 100) THEN {{'r': 'share outside [0, 100]',
                 'c': p.src_column, 'v': p.raw_value}}
            WHEN c.kind = 'count' AND p.value < 0 THEN {{'r': 'negative count', 'c': p.src_column, 'v': p.raw_value}}
            WHEN c.kind = 'rate' AND p.value < 0 AND c.lo = 0 THEN {{'r': '{NEGATIVE_RATE}', 'c': p.src_column,
                 'v': p.raw_value}}
            WHEN p.value < c.lo OR p.value > c.hi THEN {{'r': printf('value outside the indicator''s valid range [%g, %g]',
                 c.lo, c.hi), 'c': p.src_column, 'v': p.raw_value}}
            WHEN p.num_kind = 'text' AND p.numerator IS NULL THEN {{'r': 'numerator is not a number', 'c': 'numerator',
                 'v': p.raw_num}}
            WHEN p.num_kind = 'secret' THEN {{'r': 'numerator is suppressed; give the flag instead', 'c': 'numerator',
                 'v': p.raw_num}}
            WHEN p.numerator < 0 AND NOT c.signed_numerator THEN {{'r': 'negative numerator', 'c': 'numerator',
                 'v': p.raw_num}}
            WHEN p.den_kind = 'text' AND p.denominator IS NULL THEN {{'r': 'denominator is not a number',
                 'c': 'denominator', 'v': p.raw_den}}
            WHEN p.den_kind = 'secret' THEN {{'r': 'denominator is suppressed; give the flag instead',
                 'c': 'denominator', 'v': p.raw_den}}
            WHEN p.denominator < 0 THEN {{'r': 'negative denominator', 'c': 'denominator', 'v': p.raw_den}}
            WHEN p.value IS NOT NULL AND p.numerator IS NOT NULL AND p.denominator = 0 AND p.numerator <> 0
                 THEN {{'r': 'denominator is 0 but numerator is not', 'c': 'denominator', 'v': p.raw_den}}
            WHEN p.value IS NOT NULL AND p.numerator IS NOT NULL AND p.denominator > 0 AND c.scale IS NOT NULL
                 AND abs(c.scale * p.numerator / p.denominator - p.value)
                     > greatest({float(rules.consistency_tolerance)}, abs(p.value) * 1e-3)
                 THEN {{'r': printf('value %g does not match scale·numerator/denominator = %.4g', p.value,
                 c.scale * p.numerator / p.denominator), 'c': p.src_column, 'v': p.raw_value}}
            ELSE NULL END
        """
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE v_checked AS
            SELECT p.line, p.src_column, p.raw_value, p.region_id, p.indicator_id, p.period, p.value,
                   p.numerator, p.denominator,
                   CASE WHEN p.value_kind = 'secret' THEN 'suppressed'
                        WHEN p.qualifier IN ({", ".join(repr(e) for e in ESTIMATED)}) AND p.flag_code = 'ok'
                        THEN 'estimated' ELSE p.flag_code END AS flag,
                   p.qualifier, {reason} AS q
            FROM v_parsed p
            LEFT JOIN v_regions r ON r.region_id = p.region_id
            LEFT JOIN v_cat c ON c.indicator_id = p.indicator_id
            """
        )
        left_out, n_outside, outside, nowhere, said = 0, 0, [], 0, []
        if rules.leave_out_outside:
            # a national table of which the store holds some regions: the others' rows are left out and counted,
            # and so are the rows of no region (a remainder not assigned to any area)
            left_out, n_outside, outside, nowhere, said = con.execute(
                "SELECT count(*), count(DISTINCT region_id) FILTER (WHERE q.r = ?), "
                "(list(DISTINCT region_id ORDER BY region_id) FILTER (WHERE q.r = ?))[1:5], "
                "count(*) FILTER (WHERE q.r = ?), (list(DISTINCT q.v ORDER BY q.v) FILTER (WHERE q.r = ?))[1:3] "
                "FROM v_checked WHERE q.r IN (?, ?)",
                [UNKNOWN_REGION, UNKNOWN_REGION, NO_REGION, NO_REGION, UNKNOWN_REGION, NO_REGION]).fetchone()
            con.execute("DELETE FROM v_checked WHERE q IS NOT NULL AND q.r IN (?, ?)", [UNKNOWN_REGION, NO_REGION])
        # keys first (cheap), details only for the few repeated keys
        con.execute(
            """
            CREATE OR REPLACE TEMP TABLE v_dups AS
            WITH keys AS (SELECT region_id, indicator_id, period FROM v_checked WHERE q IS NULL
                          GROUP BY ALL HAVING count(*) > 1)
            SELECT c.region_id, c.indicator_id, c.period, count(*) AS n,
                   count(DISTINCT hash(c.value, c.numerator, c.denominator, c.flag)) AS n_sig,
                   string_agg(c.line || ' (' || c.src_column || ': ' || coalesce(c.raw_value, '') || ')', ', '
                              ORDER BY c.line, c.src_column) AS places
            FROM v_checked c SEMI JOIN keys USING (region_id, indicator_id, period)
            WHERE c.q IS NULL GROUP BY ALL
            """
        )
        con.execute(
            """
            CREATE OR REPLACE TEMP VIEW v_accepted AS
            SELECT c.region_id, c.indicator_id, c.period, c.value, c.numerator, c.denominator, c.flag
            FROM v_checked c ANTI JOIN (SELECT * FROM v_dups WHERE n_sig > 1) d
                 USING (region_id, indicator_id, period)
            WHERE c.q IS NULL
            """
        )
        quarantined = con.execute(
            """
            SELECT line, q.c AS "column", coalesce(q.v, '') AS value, q.r AS reason FROM v_checked WHERE q IS NOT NULL
            UNION ALL
            SELECT c.line, c.src_column, coalesce(c.raw_value, ''),
                   'conflicting duplicate: lines ' || d.places || ' give different values for this region, indicator and period'
            FROM v_checked c JOIN v_dups d USING (region_id, indicator_id, period)
            WHERE c.q IS NULL AND d.n_sig > 1
            ORDER BY 1, 2
            """
        ).df()
        joined = joined_series(con, by_name) if by_name else None
        marks = dict(con.execute("SELECT qualifier, count(*) FROM v_checked WHERE q IS NULL AND qualifier <> '' "
                                 "GROUP BY ALL").fetchall())
        n_in = con.execute("SELECT count(*) FROM v_checked").fetchall()[0][0]
        n_acc = n_in - len(quarantined)
        identical = con.execute("SELECT coalesce(sum(n - 1), 0) FROM v_dups WHERE n_sig = 1").fetchall()[0][0]
        n_dup_keys = con.execute("SELECT count(*) FROM v_dups").fetchall()[0][0]
        con.execute("DROP VIEW v_parsed")
    finally:
        con.execute("DROP VIEW IF EXISTS v_parsed")
        con.execute("DROP TABLE IF EXISTS v_codes")
        con.execute("DROP TABLE IF EXISTS v_periods")
        for name in ("v_src", "v_regions", "v_cat"):
            con.unregister(name)
    notes = []
    if padded:
        if rules.lookup is not None:    # '1 → 01 (Schleswig-Holstein, land)': which region the short code became
            stored = rules.lookup.regions.set_index(rules.lookup.regions["region_id"].astype("str"))
            stored = stored[~stored.index.duplicated()]
            code = example.rsplit(" → ", 1)[-1]
            if code in stored.index:
                row = stored.loc[code]
                example += f" ({row.get('name', code)}, {row.get('level', '')})".replace(", )", ")")
        notes.append(f"region codes written without leading zeros read as the store's codes: {example}"
                     + (f" and {padded - 1} more" if padded > 1 else ""))
    if keys:
        notes.append(f"{keys} code(s) read as the store's: the Amtlicher Regionalschlüssel (12 digits) and the "
                     f"Gemeindeschlüssel (8 digits) of one Gemeinde, as offices publish either: {key_example}"
                     + (f" and {keys - 1} more" if keys > 1 else ""))
    zeros = [t for t in by_name if str(t[0]).lstrip("0") == str(t[2]).lstrip("0")]
    if zeros:       # '01' beside 'Altstadt' where the store writes 1: the same code, not a renumbered region
        shown = ", ".join(f"{raw} {nm!r} → {code}" for raw, nm, code in zeros[:3])
        notes.append(f"{len(zeros)} code(s) written with leading zeros the store's codes lack read as the store's, "
                     f"the names beside them agreeing ({shown}{' …' if len(zeros) > 3 else ''})")
    by_name = [t for t in by_name if t not in zeros]
    if by_name:
        shown = ", ".join(f"{raw} {nm!r} → {code}" for raw, nm, code in by_name[:5])
        notes.append(f"{len(by_name)} code(s) that are no region of the store read by the region's name beside them "
                     f"({shown}{' …' if len(by_name) > 5 else ''}): regions renumbered since the table was written, "
                     "or merged with others under that name (two series joined)? check them")
    if joined:
        notes.append(joined)
    if note := qualifier_note(marks):
        notes.append(note)
    if identical:
        notes.append(f"{int(identical)} rows repeat another row exactly; each such observation is stored once")
    if left_out:
        regions = f"{int(n_outside):,} region{'s' if n_outside != 1 else ''}"
        parts = ([f"{int(left_out - nowhere):,} rows of {regions} outside the store's regions (e.g. "
                  f"{', '.join(outside)})"] if left_out > nowhere else []) + (
            [f"{int(nowhere):,} rows of no region ({', '.join(repr(v or '') for v in said)})"] if nowhere else [])
        notes.append(f"{' and '.join(parts)} left out (outside_regions: leave_out)")
    for col in ("line",):
        quarantined[col] = quarantined[col].astype(np.int64)
    for col in ("column", "value", "reason"):
        quarantined[col] = quarantined[col].astype("str")
    if int(n_in) != int(n_acc) + len(quarantined):
        raise RuntimeError(f"row accounting broken: {n_in} in, {n_acc} accepted, {len(quarantined)} quarantined")
    return Validated(n_in=int(n_in), n_accepted=int(n_acc), quarantined=quarantined, notes=notes,
                     repeated_keys=int(n_dup_keys), left_out=int(left_out))

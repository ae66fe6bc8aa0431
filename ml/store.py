"""The monitoring store: one DuckDB file with regions, the catalog, observations and the import trail.

Observations are keyed by (region_id, indicator_id, period). A merge inserts new keys, updates changed
ones and records every change (old and new value, which import) in ``observation_changes``; nothing
is overwritten without a trace. Uniqueness of the key is kept by the merge itself: DuckDB's
index-backed constraints make bulk merges of millions of rows many times slower.

Longer than 450 lines because it is one class, the store, whose methods share the connection, the transaction and
the import accounting; splitting it would spread one invariant (nothing changes without a trace) over several files.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import duckdb
import pandas as pd

from ml.catalog import Catalog
from ml.held_values import HeldValues

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_info (version INTEGER NOT NULL, created_at TIMESTAMP NOT NULL);
CREATE TABLE IF NOT EXISTS dimensions (dimension VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, "order" INTEGER);
CREATE TABLE IF NOT EXISTS indicators (
    indicator_id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, dimension VARCHAR NOT NULL, unit VARCHAR,
    polarity INTEGER NOT NULL, kind VARCHAR NOT NULL, frequency VARCHAR NOT NULL, numerator VARCHAR,
    denominator VARCHAR, scale DOUBLE, monitors VARCHAR, lenses VARCHAR, basis BOOLEAN NOT NULL,
    min DOUBLE, max DOUBLE, source VARCHAR, catalog_file VARCHAR
);
CREATE TABLE IF NOT EXISTS regions (
    region_id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, level VARCHAR NOT NULL, parent_id VARCHAR,
    geometry VARCHAR, import_id INTEGER
);
CREATE TABLE IF NOT EXISTS observations (
    region_id VARCHAR NOT NULL, indicator_id VARCHAR NOT NULL, period VARCHAR NOT NULL,
    value DOUBLE, numerator DOUBLE, denominator DOUBLE, flag VARCHAR NOT NULL, import_id INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS observation_changes (
    import_id INTEGER NOT NULL, old_import_id INTEGER, region_id VARCHAR NOT NULL, indicator_id VARCHAR NOT NULL,
    period VARCHAR NOT NULL, old_value DOUBLE, new_value DOUBLE, old_numerator DOUBLE, new_numerator DOUBLE,
    old_denominator DOUBLE, new_denominator DOUBLE, old_flag VARCHAR, new_flag VARCHAR
);
CREATE SEQUENCE IF NOT EXISTS import_seq START 1;
CREATE TABLE IF NOT EXISTS import_log (
    import_id INTEGER PRIMARY KEY, file VARCHAR NOT NULL, content_hash VARCHAR NOT NULL, format VARCHAR,
    encoding VARCHAR, delimiter VARCHAR, decimal VARCHAR, rows_read BIGINT, rows_accepted BIGINT,
    rows_quarantined BIGINT, rows_inserted BIGINT, rows_updated BIGINT, rows_unchanged BIGINT,
    regions_added BIGINT, blank_lines BIGINT, status VARCHAR NOT NULL, message VARCHAR, notes VARCHAR,
    report VARCHAR, started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS facilities (
    facility_id VARCHAR PRIMARY KEY, name VARCHAR, type VARCHAR NOT NULL, capacity DOUBLE NOT NULL, lat DOUBLE,
    lon DOUBLE, region_id VARCHAR, opened INTEGER, closed INTEGER, import_id INTEGER
);
CREATE TABLE IF NOT EXISTS facility_changes (
    import_id INTEGER NOT NULL, old_import_id INTEGER, facility_id VARCHAR NOT NULL, old_row VARCHAR
);
CREATE TABLE IF NOT EXISTS measures (
    measure_id VARCHAR PRIMARY KEY, title VARCHAR NOT NULL, field VARCHAR, regions VARCHAR NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER, cost_per_year DOUBLE, status VARCHAR NOT NULL, indicators VARCHAR,
    direction INTEGER, import_id INTEGER
);
CREATE TABLE IF NOT EXISTS measure_changes (
    import_id INTEGER NOT NULL, old_import_id INTEGER, measure_id VARCHAR NOT NULL, old_row VARCHAR
);
CREATE TABLE IF NOT EXISTS quarantine (
    import_id INTEGER NOT NULL, file VARCHAR NOT NULL, line BIGINT, "column" VARCHAR, value VARCHAR,
    reason VARCHAR NOT NULL
);
"""

OBS_KEY = ("region_id", "indicator_id", "period")

SAME_DIGITS = 1e-10
"""Two numbers that agree to ten significant digits are one value: a publisher's arithmetic writes -0.7112 as
-0.711199999999998 (Berlin's MSS 2021 as two sources publish it), which is no change of the value. No monitoring
publishes a figure whose eleventh digit means something."""


def differs(new: str, old: str) -> str:
    """SQL: the numbers ``new`` and ``old`` (expressions) differ — one of them missing, or apart by more than
    :data:`SAME_DIGITS` of the larger; false where both are missing."""
    return (f"coalesce((({new}) IS NULL) <> (({old}) IS NULL) OR abs(({new}) - ({old})) > {SAME_DIGITS!r} * "
            f"greatest(abs({new}), abs({old})), false)")

ABORTED = "abgebrochen"
"""Status of an import that was still 'running' when its process died: nothing of it was committed."""


class StoreError(RuntimeError):
    """The store file cannot be used (wrong schema version, locked, not a DuckDB file)."""


@dataclass(frozen=True)
class MergeResult:
    """What merging an import changed: rows inserted, updated (with their change trail) and unchanged."""
    inserted: int
    updated: int
    unchanged: int


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Store:
    """A monitoring store in one DuckDB file. Use as a context manager."""

    def __init__(self, path: Path | str, *, threads: int = 2, read_only: bool = False,
                 memory_limit: str | None = None) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self.threads = threads
        self.memory_limit = memory_limit
        self._con: duckdb.DuckDBPyConnection | None = None
        self._depth = 0
        self.aborted_imports: list[int] = []

    def __enter__(self) -> "Store":
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self) -> None:
        """Open (or create) the database file, create missing tables and mark imports a dead process left running
        as aborted."""
        if self.read_only and not self.path.is_file():
            raise StoreError(f"store not found: {self.path} (run 'sozialradar ingest' first)")
        if not self.read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            config: dict[str, Any] = {"threads": self.threads}
            if self.memory_limit:
                config["memory_limit"] = self.memory_limit
            self._con = duckdb.connect(str(self.path), read_only=self.read_only, config=config)
        except duckdb.Error as exc:
            raise StoreError(f"cannot open store {self.path}: {exc}") from exc
        if not self.read_only:
            self._con.execute(_SCHEMA)
            if self._con.execute("SELECT count(*) FROM schema_info").fetchall()[0][0] == 0:
                self._con.execute("INSERT INTO schema_info VALUES (?, ?)", [SCHEMA_VERSION, _now()])
        version = self._con.execute("SELECT max(version) FROM schema_info").fetchall()[0][0]
        if version != SCHEMA_VERSION:
            raise StoreError(f"{self.path}: schema version {version}; this program needs {SCHEMA_VERSION}")
        if not self.read_only:
            self.aborted_imports = self._mark_aborted()

    def _mark_aborted(self) -> list[int]:
        """Imports left 'running' by a process that died: a writer holds the file alone, so none of them
        is still at work. Their data was never committed; the log says so."""
        rows = self._con.execute("SELECT import_id FROM import_log WHERE status = 'running'").fetchall()
        ids = [int(r[0]) for r in rows]
        if ids:
            self._con.execute(
                "UPDATE import_log SET status = ?, finished_at = ?, message = coalesce(message, ?) "
                "WHERE status = 'running'",
                [ABORTED, _now(), "the import process ended before it finished; nothing of it was stored"])
        return ids

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One transaction; nested uses join the outer one (all of it commits, or none of it)."""
        con = self.con
        if self._depth:
            self._depth += 1
            try:
                yield con
            finally:
                self._depth -= 1
            return
        con.execute("BEGIN")
        self._depth = 1
        try:
            yield con
        except BaseException:
            self._depth = 0
            con.execute("ROLLBACK")
            raise
        self._depth = 0
        con.execute("COMMIT")

    def close(self) -> None:
        """Close the connection (pending work is committed by its transaction, not here)."""
        if self._con is not None:
            self._con.close()
            self._con = None

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The open DuckDB connection (:class:`StoreError` when the store is not open)."""
        if self._con is None:
            raise StoreError("store is not open")
        return self._con

    # catalog and regions -------------------------------------------------------------------------

    def sync_catalog(self, catalog: Catalog) -> int:
        """Write the catalog's dimensions and indicators; returns how many indicator rows changed."""
        dims = pd.DataFrame(
            [(d.dimension, d.name, d.order) for d in catalog.dimensions.values()],
            columns=["dimension", "name", "order"],
        )
        inds = pd.DataFrame([
            {
                "indicator_id": i.indicator_id, "name": i.name, "dimension": i.dimension, "unit": i.unit,
                "polarity": i.polarity, "kind": i.kind, "frequency": i.frequency, "numerator": i.numerator,
                "denominator": i.denominator, "scale": i.scale, "monitors": "|".join(i.monitors),
                "lenses": "|".join(i.lenses), "basis": i.basis, "min": i.min, "max": i.max,
                "source": i.source, "catalog_file": i.catalog_file,
            }
            for i in catalog
        ])
        con = self.con
        con.register("new_dims", dims)
        con.register("new_inds", inds)
        try:
            with self.transaction():
                changed = self._sync_catalog(con)
        finally:
            con.unregister("new_dims")
            con.unregister("new_inds")
        return int(changed)

    @staticmethod
    def _sync_catalog(con) -> int:
        con.execute('INSERT OR REPLACE INTO dimensions SELECT dimension, name, "order" FROM new_dims')
        changed = con.execute(
            "SELECT count(*) FROM new_inds n LEFT JOIN indicators i USING (indicator_id) "
            "WHERE i.indicator_id IS NULL OR (n.name, n.dimension, n.unit, n.polarity, n.kind, n.frequency, "
            "n.numerator, n.denominator, n.scale, n.basis, n.min, n.max) IS DISTINCT FROM "
            "(i.name, i.dimension, i.unit, i.polarity, i.kind, i.frequency, i.numerator, i.denominator, "
            "i.scale, i.basis, i.min, i.max)"
        ).fetchall()[0][0]
        con.execute("INSERT OR REPLACE INTO indicators SELECT * FROM new_inds")
        return changed

    def upsert_regions(self, regions: pd.DataFrame, import_id: int | None) -> int:
        """Insert new regions and update changed ones; returns the number of rows that changed."""
        cols = ["region_id", "name", "level", "parent_id", "geometry"]
        frame = regions.reindex(columns=cols).copy()
        frame["geometry"] = frame["geometry"].astype(object).where(frame["geometry"].notna(), None)
        frame["import_id"] = import_id
        con = self.con
        con.register("new_regions", frame)
        try:
            changed = con.execute(
                "SELECT count(*) FROM new_regions n LEFT JOIN regions r USING (region_id) "
                "WHERE r.region_id IS NULL OR (n.name, n.level, n.parent_id, coalesce(CAST(n.geometry AS VARCHAR), r.geometry)) "
                "IS DISTINCT FROM (r.name, r.level, r.parent_id, r.geometry)"
            ).fetchall()[0][0]
            if changed:
                con.execute(
                    "INSERT OR REPLACE INTO regions SELECT n.region_id, n.name, n.level, n.parent_id, "
                    "coalesce(CAST(n.geometry AS VARCHAR), r.geometry), CAST(n.import_id AS INTEGER) "
                    "FROM new_regions n LEFT JOIN regions r USING (region_id) "
                    "WHERE r.region_id IS NULL OR (n.name, n.level, n.parent_id, "
                    "coalesce(CAST(n.geometry AS VARCHAR), r.geometry)) "
                    "IS DISTINCT FROM (r.name, r.level, r.parent_id, r.geometry)"
                )
        finally:
            con.unregister("new_regions")
        return int(changed)

    REGISTERS = {
        "facilities": ("facility_id", ["facility_id", "name", "type", "capacity", "lat", "lon", "region_id", "opened",
                                       "closed"]),
        "measures": ("measure_id", ["measure_id", "title", "field", "regions", "start", "end", "cost_per_year",
                                    "status", "indicators", "direction"]),
    }
    """The registers (facilities, measures): their key and columns; each keeps a ``<name minus s>_changes`` trail."""

    def upsert_register(self, name: str, frame: pd.DataFrame, import_id: int) -> tuple[int, int, int]:
        """Insert new rows of a register and update changed ones, the old row kept in its changes table; returns
        (inserted, updated, unchanged). A row not in the file stays as it is (close it with a date)."""
        key, cols = self.REGISTERS[name]
        trail = {"facilities": "facility_changes", "measures": "measure_changes"}[name]
        con = self.con
        con.register("new_rows", frame.reindex(columns=cols).assign(import_id=import_id))
        quoted = [f'"{c}"' for c in cols if c != key]
        same = (f"({', '.join('n.' + c for c in quoted)}) IS NOT DISTINCT FROM "
                f"({', '.join('f.' + c for c in quoted)})")
        select = ", ".join(f'CAST(n."{c}" AS INTEGER)' if c in ("opened", "closed", "start", "end", "direction")
                           else f'n."{c}"' for c in cols)
        try:
            new, changed = con.execute(
                f"SELECT count(*) FILTER (WHERE f.{key} IS NULL), count(*) FILTER (WHERE f.{key} IS NOT NULL AND "
                f"NOT {same}) FROM new_rows n LEFT JOIN {name} f USING ({key})").fetchall()[0]
            con.execute(f"INSERT INTO {trail} SELECT n.import_id, f.import_id, f.{key}, to_json(f)::VARCHAR "
                        f"FROM new_rows n JOIN {name} f USING ({key}) WHERE NOT {same}")
            con.execute(f"INSERT OR REPLACE INTO {name} SELECT {select}, n.import_id FROM new_rows n "
                        f"LEFT JOIN {name} f USING ({key}) WHERE f.{key} IS NULL OR NOT {same}")
        finally:
            con.unregister("new_rows")
        return int(new), int(changed), len(frame) - int(new) - int(changed)

    def region_changes_to_other_files(self, regions: pd.DataFrame, file: str) -> pd.DataFrame:
        """The regions of ``regions`` (region_id, name, level) the store holds from an import of a file of another
        name than ``file`` whose name or level would change: region_id, old and new name and level, that file and
        import, the values the store holds of the region and the regions below it."""
        frame = regions.reindex(columns=["region_id", "name", "level"]).astype(object)
        self.con.register("new_regions", frame)
        try:
            rows = self.con.execute(
                "SELECT r.region_id, r.name AS old_name, n.name AS new_name, r.level AS old_level, "
                "n.level AS new_level, l.file, r.import_id, "
                "(SELECT count(*) FROM observations o WHERE o.region_id = r.region_id) AS n_values, "
                "(SELECT count(*) FROM regions c WHERE c.parent_id = r.region_id) AS n_below "
                "FROM new_regions n JOIN regions r USING (region_id) JOIN import_log l ON l.import_id = r.import_id "
                "WHERE (n.name, n.level) IS DISTINCT FROM (r.name, r.level) ORDER BY r.region_id").df()
        finally:
            self.con.unregister("new_regions")
        return rows[[Path(f).name != Path(file).name for f in rows["file"]]].reset_index(drop=True)

    def add_missing_regions(self, regions: pd.DataFrame, import_id: int | None) -> int:
        """Insert regions the store does not know yet; existing ones (names, parents) stay as they are.

        Observation files name their regions in passing; only a region list is allowed to rename.
        """
        known = self.region_ids()
        new = regions[~regions["region_id"].isin(known)]
        return self.upsert_regions(new, import_id) if len(new) else 0

    def set_geometry(self, frame: pd.DataFrame) -> int:
        """Set ``regions.geometry`` from ``frame`` (region_id, geometry) for the regions the store knows;
        returns how many were set."""
        con = self.con
        con.register("new_geometry", frame[["region_id", "geometry"]])
        try:
            n = con.execute("SELECT count(*) FROM new_geometry g JOIN regions r USING (region_id)").fetchall()[0][0]
            con.execute("UPDATE regions SET geometry = g.geometry FROM new_geometry g "
                        "WHERE regions.region_id = g.region_id")
        finally:
            con.unregister("new_geometry")
        return int(n)

    def name_unnamed_regions(self, names: dict[str, str]) -> int:
        """Give the regions of ``names`` (region_id → name) that name whose name is still their code (a list of codes
        alone, as an atlas's table of values, names its regions so); a region with a name of its own keeps it.
        Returns how many were named."""
        if not names:
            return 0
        frame = pd.DataFrame({"region_id": list(names), "new_name": list(names.values())})
        con = self.con
        con.register("new_names", frame)
        try:
            n = con.execute("SELECT count(*) FROM new_names n JOIN regions r USING (region_id) "
                            "WHERE r.name = r.region_id AND n.new_name <> r.name").fetchall()[0][0]
            con.execute("UPDATE regions SET name = n.new_name FROM new_names n WHERE regions.region_id = n.region_id "
                        "AND regions.name = regions.region_id")
        finally:
            con.unregister("new_names")
        return int(n)

    def catalogs_with_values(self) -> frozenset[str]:
        """The catalog files (by name) of the indicators the store holds values of: an earlier import's format
        catalog (INKAR's, the MSS's) whose indicators a later table may name."""
        return frozenset(r[0] for r in self.con.execute(
            "SELECT DISTINCT i.catalog_file FROM indicators i JOIN (SELECT DISTINCT indicator_id FROM observations) o "
            "USING (indicator_id) WHERE i.catalog_file IS NOT NULL").fetchall())

    def held_values(self) -> dict[str, HeldValues]:
        """Per indicator, the quartiles and the number of the values the store holds (every region, level and
        period): what a later table's column must look like to be read as that indicator
        (:mod:`ml.held_values`)."""
        return {r[0]: HeldValues(q25=r[1], median=r[2], q75=r[3], count=int(r[4])) for r in self.con.execute(
            "SELECT indicator_id, quantile_cont(value, 0.25), quantile_cont(value, 0.5), quantile_cont(value, 0.75), "
            "count(*) FROM observations WHERE value IS NOT NULL AND isfinite(value) GROUP BY indicator_id").fetchall()}

    def region_ids(self) -> frozenset[str]:
        """The ids of every region in the store."""
        return frozenset(r[0] for r in self.con.execute("SELECT region_id FROM regions").fetchall())

    def region_names(self) -> pd.DataFrame:
        """Code, name, level and parent of every region (no geometry): for looking regions up by name."""
        return self.con.execute("SELECT region_id, name, level, parent_id FROM regions ORDER BY region_id").df()

    def regions(self) -> pd.DataFrame:
        """The regions table (region_id, name, level, parent_id, geometry)."""
        return self.con.execute("SELECT * FROM regions ORDER BY region_id").df()

    # imports ---------------------------------------------------------------------------------------

    def previous_import(self, content_hash: str) -> dict[str, Any] | None:
        """The last import of a file with this content hash (id, status, counts), or None."""
        rows = self.con.execute(
            "SELECT import_id, file, finished_at, status, format, rows_read, rows_accepted, rows_quarantined, message, "
            "report FROM import_log WHERE content_hash = ? AND status IN ('ok', 'quarantine_over_limit') "
            "ORDER BY import_id DESC LIMIT 1",
            [content_hash],
        ).fetchall()
        if not rows:
            return None
        keys = ("import_id", "file", "finished_at", "status", "format", "rows_read", "rows_accepted",
                "rows_quarantined", "message", "report")
        return dict(zip(keys, rows[0]))

    def regions_since(self, import_id: int) -> int:
        """How many of the store's regions a later import than ``import_id`` added or changed."""
        return int(self.con.execute("SELECT count(*) FROM regions WHERE import_id > ?", [import_id]).fetchall()[0][0])

    def quarantined_for(self, import_id: int, reasons: list[str]) -> bool:
        """Whether an import quarantined any row for one of ``reasons``."""
        return bool(self.con.execute("SELECT EXISTS (SELECT 1 FROM quarantine WHERE import_id = ? AND "
                                     "list_contains(?, reason))", [import_id, reasons]).fetchall()[0][0])

    def begin_import(self, file: str, content_hash: str, fmt: str) -> int:
        """Log a new import as running; returns its id."""
        import_id = self.con.execute("SELECT nextval('import_seq')").fetchall()[0][0]
        self.con.execute(
            "INSERT INTO import_log (import_id, file, content_hash, format, status, started_at) "
            "VALUES (?, ?, ?, ?, 'running', ?)",
            [import_id, file, content_hash, fmt, _now()],
        )
        return int(import_id)

    def finish_import(self, import_id: int, **fields: Any) -> None:
        """Record an import's outcome (status, counts, message) in the import log."""
        if "notes" in fields and not isinstance(fields["notes"], str):
            fields["notes"] = json.dumps(fields["notes"], ensure_ascii=False)
        fields["finished_at"] = _now()
        assignments = ", ".join(f"{k} = ?" for k in fields)
        self.con.execute(f"UPDATE import_log SET {assignments} WHERE import_id = ?", [*fields.values(), import_id])

    def add_quarantine(self, import_id: int, file: str, frame: pd.DataFrame) -> None:
        """Store the quarantined rows of an import with their reasons."""
        if frame.empty:
            return
        q = frame.loc[:, ["line", "column", "value", "reason"]].copy()
        q.insert(0, "file", file)
        q.insert(0, "import_id", import_id)
        self.con.register("new_q", q)
        try:
            self.con.execute('INSERT INTO quarantine SELECT import_id, file, line, "column", value, reason FROM new_q')
        finally:
            self.con.unregister("new_q")

    def merge_observations(self, source: str | pd.DataFrame, import_id: int, *, unique: bool = False) -> MergeResult:
        """Insert new keys, update changed ones (recording old and new), leave identical ones alone.

        ``source`` is a frame or the name of a table on this connection with the observation columns;
        rows repeating a key are merged once (pass ``unique=True`` when the caller knows keys are unique).
        """
        con = self.con
        registered = not isinstance(source, str)
        if registered:
            con.register("staged_in", source)
        relation = "staged_in" if registered else source
        try:
            if unique:
                con.execute(f"CREATE OR REPLACE TEMP VIEW staged_src AS SELECT region_id, indicator_id, period, value, "
                            f"numerator, denominator, flag FROM {relation}")
            else:
                con.execute(
                    "CREATE OR REPLACE TEMP TABLE staged_src AS SELECT DISTINCT ON (region_id, indicator_id, period) "
                    f"region_id, indicator_id, period, value, numerator, denominator, flag FROM {relation}"
                )
            return self._merge_staged(import_id)
        finally:
            con.execute("DROP VIEW IF EXISTS staged_src" if unique else "DROP TABLE IF EXISTS staged_src")
            if registered:
                con.unregister("staged_in")

    def _merge_staged(self, import_id: int) -> MergeResult:
        con = self.con
        n_staged, overlap = self._staged_counts()
        if n_staged == 0:
            return MergeResult(0, 0, 0)
        if overlap == 0:
            # only new keys: one insert, nothing to compare
            with self.transaction():
                con.execute("INSERT INTO observations SELECT region_id, indicator_id, period, value, numerator, "
                            "denominator, flag, ? FROM staged_src", [import_id])
            return MergeResult(int(n_staged), 0, 0)
        with self.transaction():
            con.execute(
                "CREATE OR REPLACE TEMP TABLE diff AS SELECT s.*, o.region_id IS NULL AS is_new, "
                "o.value AS old_value, o.numerator AS old_numerator, o.denominator AS old_denominator, "
                "o.flag AS old_flag, o.import_id AS old_import_id "
                "FROM staged_src s LEFT JOIN observations o USING (region_id, indicator_id, period) "
                f"WHERE o.region_id IS NULL OR {differs('s.value', 'o.value')} OR "
                f"{differs('s.numerator', 'o.numerator')} OR {differs('s.denominator', 'o.denominator')} OR "
                "s.flag IS DISTINCT FROM o.flag"
            )
            inserted, updated = con.execute(
                "SELECT count(*) FILTER (WHERE is_new), count(*) FILTER (WHERE NOT is_new) FROM diff"
            ).fetchall()[0]
            if updated:
                con.execute(
                    "INSERT INTO observation_changes SELECT ?, old_import_id, region_id, indicator_id, period, "
                    "old_value, value, old_numerator, numerator, old_denominator, denominator, old_flag, flag "
                    "FROM diff WHERE NOT is_new",
                    [import_id],
                )
                con.execute(
                    "UPDATE observations o SET value = d.value, numerator = d.numerator, "
                    "denominator = d.denominator, flag = d.flag, import_id = ? FROM diff d "
                    "WHERE NOT d.is_new AND o.region_id = d.region_id AND o.indicator_id = d.indicator_id "
                    "AND o.period = d.period",
                    [import_id],
                )
            if inserted:
                con.execute(
                    "INSERT INTO observations SELECT region_id, indicator_id, period, value, numerator, "
                    "denominator, flag, ? FROM diff WHERE is_new",
                    [import_id],
                )
            con.execute("DROP TABLE diff")
        return MergeResult(int(inserted), int(updated), int(n_staged) - int(inserted) - int(updated))

    def changes_to_other_files(self, relation: str, file: str) -> pd.DataFrame:
        """Known values that ``relation`` (a table of observations on this connection) would change and that were
        imported from a file of another name than ``file``: one row per indicator and source file with the count
        and one example (region, period, old and new value). A value filled in where none was known is no change.
        """
        # imports that brought observations (a region list, a register or a refused file brought none)
        others = [int(i) for i, f in self.con.execute(
            "SELECT import_id, file FROM import_log WHERE coalesce(rows_inserted, 0) + coalesce(rows_updated, 0) > 0 "
            "AND format NOT IN ('regions', 'facilities', 'measures')").fetchall() if Path(f).name != Path(file).name]
        if not others:      # a first table, or editions of this one alone: nothing to compare with
            return pd.DataFrame(columns=["indicator_id", "file", "import_id", "n", "region_id", "period",
                                         "old_value", "new_value"])
        self.con.register("other_imports", pd.DataFrame({"import_id": others}))
        try:
            rows = self._changes_to(relation)
        finally:
            self.con.unregister("other_imports")
        return rows

    def _changes_to(self, relation: str) -> pd.DataFrame:
        return self.con.execute(
            "SELECT s.indicator_id, l.file, o.import_id, count(*) AS n, "
            "arg_min(s.region_id, s.region_id || '|' || s.period) AS region_id, "
            "arg_min(s.period, s.region_id || '|' || s.period) AS period, "
            "arg_min(o.value, s.region_id || '|' || s.period) AS old_value, "
            "arg_min(s.value, s.region_id || '|' || s.period) AS new_value "
            f"FROM (SELECT DISTINCT ON (region_id, indicator_id, period) * FROM {relation}) s "
            "JOIN observations o USING (region_id, indicator_id, period) "
            "JOIN import_log l ON l.import_id = o.import_id SEMI JOIN other_imports x ON x.import_id = o.import_id "
            f"WHERE o.value IS NOT NULL AND {differs('s.value', 'o.value')} "
            "GROUP BY s.indicator_id, l.file, o.import_id ORDER BY n DESC, s.indicator_id"
        ).df()

    def _staged_counts(self) -> tuple[int, int]:
        n_staged = self.con.execute("SELECT count(*) FROM staged_src").fetchall()[0][0]
        overlap = self.con.execute(
            "SELECT count(*) FROM staged_src SEMI JOIN observations USING (region_id, indicator_id, period)"
        ).fetchall()[0][0]
        return int(n_staged), int(overlap)

    def drop_table(self, name: str) -> None:
        """Remove a derived table (when its producer no longer has anything to write)."""
        if name in ("regions", "indicators", "dimensions", "observations", "observation_changes", "import_log",
                    "quarantine", "schema_info", "facilities", "facility_changes", "measures",
                    "measure_changes"):
            raise StoreError(f"{name!r} is a base table of the store and cannot be dropped")
        self.con.execute(f'DROP TABLE IF EXISTS "{name}"')

    def replace_table(self, name: str, frame: pd.DataFrame) -> None:
        """Write a derived table (feature values, profiles ...), replacing an earlier run's."""
        if name in ("regions", "indicators", "dimensions", "observations", "observation_changes", "import_log",
                    "quarantine", "schema_info", "facilities", "facility_changes", "measures",
                    "measure_changes"):
            raise StoreError(f"{name!r} is a base table of the store and cannot be replaced")
        self.con.register("new_frame", frame)
        try:
            self.con.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM new_frame')
        finally:
            self.con.unregister("new_frame")

    def tables(self) -> set[str]:
        """Names of the tables in the store (base and derived)."""
        return {r[0] for r in self.con.execute("SELECT table_name FROM information_schema.tables").fetchall()}

    def table(self, name: str) -> pd.DataFrame:
        """A whole table as a DataFrame."""
        return self.con.execute(f'SELECT * FROM "{name}"').df()

    # reading ---------------------------------------------------------------------------------------

    def observations(self, indicator_ids: list[str] | None = None, region_ids: list[str] | None = None) -> pd.DataFrame:
        """Observations (region_id, indicator_id, period, value, numerator, denominator, flag), optionally only of
        some indicators or regions."""
        sql = "SELECT region_id, indicator_id, period, value, numerator, denominator, flag FROM observations"
        where, params = [], []
        if indicator_ids is not None:
            where.append("list_contains(?, indicator_id)")
            params.append(list(indicator_ids))
        if region_ids is not None:
            where.append("list_contains(?, region_id)")
            params.append(list(region_ids))
        if where:
            sql += " WHERE " + " AND ".join(where)
        return self.con.execute(sql + " ORDER BY region_id, indicator_id, period", params).df()

    def imports(self, limit: int = 20) -> pd.DataFrame:
        """The latest ``limit`` imports of the import log, newest first."""
        return self.con.execute(
            "SELECT import_id, file, format, status, rows_read, rows_accepted, rows_quarantined, rows_inserted, "
            "rows_updated, rows_unchanged, finished_at FROM import_log ORDER BY import_id DESC LIMIT ?",
            [limit],
        ).df()

    def quarantine(self, import_id: int | None = None) -> pd.DataFrame:
        """Quarantined rows (of one import, or all) with their reasons."""
        if import_id is None:
            return self.con.execute('SELECT * FROM quarantine ORDER BY import_id, line').df()
        return self.con.execute('SELECT * FROM quarantine WHERE import_id = ? ORDER BY line', [import_id]).df()

    def info(self) -> dict[str, Any]:
        """Counts for ``store info``: regions per level (those with a polygon, the levels of their parents, those
        named by their codes only), the parents the regions name that the store lacks, indicators, observations,
        periods, imports, tables."""
        con = self.con
        count = lambda table: int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])  # noqa: E731
        levels = dict(con.execute("SELECT level, count(*) FROM regions GROUP BY level ORDER BY 2 DESC").fetchall())
        shaped = dict(con.execute("SELECT level, count(*) FROM regions WHERE geometry IS NOT NULL GROUP BY level"
                                  ).fetchall())
        joined = dict(con.execute(                                       # drawn as the union of their parts
            "SELECT level, count(*) FROM regions WHERE right(geometry, 60) LIKE '%\"derived\":%' GROUP BY level"
        ).fetchall())
        within = {}                                     # the levels of each level's parents
        for level, up in con.execute("SELECT DISTINCT r.level, p.level FROM regions r JOIN regions p "
                                     "ON p.region_id = r.parent_id ORDER BY 1, 2").fetchall():
            within.setdefault(level, []).append(up)
        unnamed = dict(con.execute("SELECT level, count(*) FROM regions WHERE name = region_id GROUP BY level "
                                   "ORDER BY 2 DESC").fetchall())
        orphans = [p for (p,) in con.execute(
            "SELECT DISTINCT r.parent_id FROM regions r LEFT JOIN regions p ON p.region_id = r.parent_id "
            "WHERE r.parent_id IS NOT NULL AND p.region_id IS NULL ORDER BY 1").fetchall()]
        flags = dict(con.execute("SELECT flag, count(*) FROM observations GROUP BY flag ORDER BY 2 DESC").fetchall())
        periods = con.execute(
            "SELECT min(period) FILTER (WHERE length(period) = 4), max(period) FILTER (WHERE length(period) = 4), "
            "min(period) FILTER (WHERE length(period) = 7), max(period) FILTER (WHERE length(period) = 7) "
            "FROM observations"
        ).fetchall()[0]
        catalogs = dict(con.execute(
            "SELECT catalog_file, count(*) FROM indicators GROUP BY catalog_file ORDER BY 1").fetchall())
        years = {int(y) for (y,) in con.execute("SELECT DISTINCT period FROM observations WHERE length(period) = 4 "
                                                "AND regexp_full_match(period, '[0-9]{4}')").fetchall()}
        return {
            "path": str(self.path),
            "size_bytes": self.path.stat().st_size if self.path.exists() else 0,
            "regions": count("regions"),
            "regions_by_level": levels,
            "parent_levels": within,
            "named_by_code": {lv: int(n) for lv, n in unnamed.items()},
            "parents_not_in_store": orphans,
            "polygons_by_level": {lv: int(shaped[lv]) for lv in levels if lv in shaped},
            "polygons_joined_by_level": {lv: int(n) for lv, n in joined.items()},
            "indicators": count("indicators"),
            "indicators_by_catalog": catalogs,
            "observations": count("observations"),
            "observations_by_flag": flags,
            "annual_periods": (periods[0], periods[1]),
            "monthly_periods": (periods[2], periods[3]),
            "years_without_values": [str(y) for y in range(min(years), max(years)) if y not in years] if years else [],
            "imports": count("import_log"),
            "quarantined_rows": count("quarantine"),
            # rows of an import whose file (by name) was imported without refusal since: a mapping corrected, a
            # region list imported first; not what the store lacks now
            "quarantined_since_imported": int(self.con.execute(
                "SELECT count(*) FROM quarantine q WHERE EXISTS (SELECT 1 FROM import_log l WHERE l.import_id > "
                "q.import_id AND l.status = 'ok' AND regexp_extract(l.file, '[^/\\\\]+$') = "
                "regexp_extract(q.file, '[^/\\\\]+$'))").fetchall()[0][0]),
            "changes_recorded": count("observation_changes"),
        }

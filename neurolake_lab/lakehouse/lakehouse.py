"""The lakehouse as a session sees it: Iceberg tables, visible in DuckDB as ``namespace.table``.

Each Iceberg table is a DuckDB view over ``iceberg_scan`` of its current metadata file, so DuckDB
plans every query itself: it reads only the columns a query needs and prunes data files with the
manifests' partition values and column statistics. Before every statement the views are checked
against the catalog's pointers (one indexed SQLite read), so a commit from another kernel is
visible at once and nobody has to register anything. Bare names work when they are unambiguous.
"""

from __future__ import annotations

import contextlib
import difflib
import re
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from neurolake_lab import progress
from neurolake_lab.config import Settings
from neurolake_lab.engine.extensions import load_extension
from neurolake_lab.exceptions import LakehouseError, QueryError
from neurolake_lab.lakehouse import statements, storage
from neurolake_lab.lakehouse.catalog import (
    CatalogConfig,
    PointerReader,
    Pointers,
    catalog_config,
    open_catalog,
)
from neurolake_lab.lakehouse.metadata_files import (  # re-exported: read across the package
    iceberg_columns as iceberg_columns,
)
from neurolake_lab.lakehouse.metadata_files import metadata_json
from neurolake_lab.lakehouse.metadata_files import read_metadata as read_metadata
from neurolake_lab.lakehouse.metadata_files import read_properties as read_properties
from neurolake_lab.lakehouse.naming import (
    display_name,
    local_path,
    qualified,
    quote_ident,
    scan_sql,
)
from neurolake_lab.lakehouse.statements import LakeStatement, TableId
from neurolake_lab.lakehouse.tables import TableWriter, WriteContext, WriteHook, WriteOutcome

if TYPE_CHECKING:
    from datetime import datetime, timedelta

    from pyiceberg.catalog import Catalog
    from pyiceberg.table import Table
    from pyiceberg.table.metadata import TableMetadata

    from neurolake_lab.engine import DuckDBEngine
    from neurolake_lab.engine.duckdb_engine import Lookup, Params
    from neurolake_lab.lakehouse.access_patterns import LayoutSuggestion
    from neurolake_lab.lakehouse.maintenance import MaintenanceReport
    from neurolake_lab.lakehouse.sql_writes import SqlWriter


class Lakehouse:
    """The workspace's Iceberg catalog, mirrored into one session's DuckDB as views."""

    def __init__(self, settings: Settings, engine: DuckDBEngine) -> None:
        self.settings = settings
        self.engine = engine
        #: compliance hooks run on every write before it commits (the compliance layer adds them)
        self.write_hooks: list[WriteHook] = []
        #: column → SQL expression replacing it in a table's view (decryption, for instance)
        self.view_columns: Callable[[TableId, dict[str, str]], dict[str, str]] | None = None
        self._writer: TableWriter | None = None
        self._sql_writer: SqlWriter | None = None
        from neurolake_lab.config import Workspace
        from neurolake_lab.lakehouse.access_patterns import AccessRecorder

        self.access = AccessRecorder(Workspace(settings.workspace).catalog_db, self.column_names)
        self.config: CatalogConfig = catalog_config(settings)
        if self.config.store is not None:
            storage.configure({k: v for k, v in self.config.properties.items() if k[:3] == "s3."})
        self._catalog: Catalog | None = None
        self._reader = PointerReader(self.config, lambda: self.catalog)
        self.pointers: Pointers = {}
        self.namespaces: set[str] = set()
        self._views: dict[TableId, str] = {}  # what DuckDB has: table → metadata location
        self._schemas: set[str] = set()
        self._aliases: dict[str, TableId] = {}  # bare-name views in DuckDB's main schema
        self.shadowed: set[str] = set()  # bare names a session table took over
        self._loaded = False

    # -- catalog ------------------------------------------------------------------------------

    @property
    def catalog(self) -> Catalog:
        """The pyiceberg catalog, opened (and pyiceberg imported) on first use."""
        if self._catalog is None:
            self._catalog = open_catalog(self.config)
        return self._catalog

    def load(self, tid: TableId) -> Table:
        """The pyiceberg table ``tid`` at its current snapshot."""
        from pyiceberg.exceptions import NoSuchTableError

        try:
            return self.catalog.load_table(tid)
        except NoSuchTableError:
            raise self.unknown_table(display_name(tid)) from None

    def unknown_table(self, name: str) -> QueryError:
        """The error for a table name that names no Iceberg table, with the nearest names."""
        known = [display_name(t) for t in self.pointers]
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        hint = f"did you mean {' or '.join(close)}?" if close else None
        return QueryError(f"there is no Iceberg table {name}", kind="unknown_table", hint=hint)

    # -- views --------------------------------------------------------------------------------

    def refresh(self, con: duckdb.DuckDBPyConnection) -> None:
        """Bring the session's views in line with what is committed right now."""
        self.pointers, self.namespaces = self._reader.read()
        if self.pointers == self._views and self.namespaces == self._schemas:
            return
        if self.pointers and not self._loaded:
            self._load_readers(con)
        for ns in sorted(self.namespaces - self._schemas):
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(ns)}")
        for tid in sorted(set(self._views) - set(self.pointers)):
            con.execute(f"DROP VIEW IF EXISTS {qualified(tid)}")
        for tid, location in sorted(self.pointers.items()):
            if self._views.get(tid) != location:
                self._create_view(con, tid, location)
        for ns in sorted(self._schemas - self.namespaces):
            con.execute(f"DROP SCHEMA IF EXISTS {quote_ident(ns)} CASCADE")
        if set(self._views) != set(self.pointers):
            self.access.tables_changed(self.pointers)
        self._views = dict(self.pointers)
        self._schemas = set(self.namespaces)
        self._sync_aliases(con)

    def _load_readers(self, con: duckdb.DuckDBPyConnection) -> None:
        """DuckDB's Iceberg reader, and for an object store its ``httpfs`` and credentials."""
        load_extension(con, "iceberg")
        store = self.config.store
        if store is not None or any(storage.is_remote(loc) for loc in self.pointers.values()):
            load_extension(con, "httpfs")
            if store is not None:
                con.execute(store.secret_sql())
        self._loaded = True

    def select_sql(self, tid: TableId, location: str, snapshot_id: int | None = None) -> str:
        """The SELECT that reads a table: ``iceberg_scan``, with the view column replacements."""
        scan = scan_sql(location, snapshot_id)
        replace = self.view_columns(tid, read_properties(location)) if self.view_columns else {}
        if not replace:
            return f"SELECT * FROM {scan}"
        parts = ", ".join(f"{expr} AS {quote_ident(col)}" for col, expr in replace.items())
        return f"SELECT * REPLACE ({parts}) FROM {scan}"

    def _create_view(self, con: duckdb.DuckDBPyConnection, tid: TableId, location: str) -> None:
        try:
            con.execute(
                f"CREATE OR REPLACE VIEW {qualified(tid)} AS {self.select_sql(tid, location)}"
            )
            return
        except duckdb.Error as exc:
            why = _first_line(exc)
            if storage.is_remote(location) and "HTTP" in why:
                why = storage.storage_failure(exc, "reading its metadata").message
        except LakehouseError as exc:
            why = exc.message
        # an unreadable table must not hide the others; querying it gives the error again
        message = f"table {display_name(tid)} cannot be read: {why}".replace("'", "''")
        con.execute(
            f"CREATE OR REPLACE VIEW {qualified(tid)} AS SELECT error('{message}') AS unreadable"
        )

    def _sync_aliases(self, con: duckdb.DuckDBPyConnection) -> None:
        counts = Counter(name for _, name in self.pointers)
        wanted = {
            name: tid
            for tid in self.pointers
            if counts[(name := tid[1])] == 1 and name not in self.shadowed
        }
        local = {
            row[0]
            for row in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' "
                "UNION ALL SELECT view_name FROM duckdb_views() "
                "WHERE schema_name = 'main' AND NOT internal"
            ).fetchall()
        } - set(self._aliases)
        wanted = {n: t for n, t in wanted.items() if n not in local}
        for name in set(self._aliases) - set(wanted):
            con.execute(f"DROP VIEW IF EXISTS main.{quote_ident(name)}")
        for name, tid in wanted.items():
            if self._aliases.get(name) != tid:
                view = f"main.{quote_ident(name)}"
                con.execute(f"CREATE OR REPLACE VIEW {view} AS SELECT * FROM {qualified(tid)}")
        self._aliases = wanted

    def invalidate_views(self) -> None:
        """Rebuild every view at the next refresh (what they show depends on who may see)."""
        self._views = {}

    def is_alias(self, schema: str, name: str) -> bool:
        """True for the bare-name views this lakehouse made (hidden from table listings)."""
        return schema == "main" and name in self._aliases

    def shadow(self, con: duckdb.DuckDBPyConnection, name: str) -> None:
        """Give a bare name to a session table: drop our alias view of that name."""
        if name in self._aliases:
            con.execute(f"DROP VIEW IF EXISTS main.{quote_ident(name)}")
            del self._aliases[name]
        self.shadowed.add(name)

    # -- statements ---------------------------------------------------------------------------

    def resolve_bare(self, name: str) -> TableId | None:
        """The one Iceberg table with this bare name, if exactly one has it."""
        if name in self.shadowed:
            return None
        found = [tid for tid in self.pointers if tid[1] == name]
        return found[0] if len(found) == 1 else None

    def resolve(self, name: str) -> TableId:
        """``ns.table`` or an unambiguous bare name → the table id; a clear error otherwise."""
        parts = _split_name(name)
        if len(parts) == 2:
            tid = (parts[0], parts[1])
            if tid in self.pointers:
                return tid
        elif len(parts) == 1:
            tid_or_none = self.resolve_bare(parts[0])
            if tid_or_none is not None:
                return tid_or_none
            many = [display_name(t) for t in self.pointers if t[1] == parts[0]]
            if len(many) > 1:
                raise QueryError(
                    f"table name {name} is ambiguous: it could be {' or '.join(sorted(many))}",
                    kind="unknown_table",
                )
        raise self.unknown_table(name)

    def analyze(self, text: str, statement_type: str) -> LakeStatement | None:
        """The lakehouse's reading of a statement (``None``: DuckDB runs it unchanged)."""
        if not statements.needs_lakehouse(text, statement_type):
            return None
        return statements.analyze(text, statement_type, self.namespaces, self.resolve_bare)

    def table_for_file(self, path: str) -> TableId | None:
        """The table whose folder holds ``path`` (to name it in an I/O error)."""
        for tid, location in self.pointers.items():
            meta_dir = location.rsplit("/metadata/", 1)[0]
            root = local_path(meta_dir) or meta_dir
            if path.startswith(root) or path.startswith(meta_dir):
                return tid
        return None

    def close(self) -> None:
        """Release the catalog connections (recorded access patterns are saved first)."""
        with contextlib.suppress(Exception):  # statistics never stop a session from closing
            self.access.flush()
        self._reader.close()
        if self._catalog is not None:
            engine = getattr(self._catalog, "engine", None)  # SQL catalogs: the connection pool
            if engine is not None:
                engine.dispose()
            http = getattr(self._catalog, "_session", None)  # REST catalogs: the HTTP session
            if http is not None:
                with contextlib.suppress(Exception):
                    http.close()
            self._catalog = None

    def current_snapshot_id(self, tid: TableId) -> int | None:
        """The current snapshot of ``tid`` as this session last saw it."""
        location = self.pointers.get(tid)
        if location is None:
            return None
        snapshot_id = metadata_json(location).get("current-snapshot-id")
        return None if snapshot_id in (None, -1) else int(snapshot_id)

    # -- writes -------------------------------------------------------------------------------

    @property
    def writer(self) -> TableWriter:
        """The write path shared by SQL writes, ``Session.write`` and the demo loader."""
        if self._writer is None:
            self._writer = TableWriter(lambda: self.catalog, lambda: self.engine.con, ())
        self._writer.hooks = self.write_hooks
        return self._writer

    @property
    def sql_writer(self) -> SqlWriter:
        """Runs the SQL statements that write to Iceberg tables."""
        if self._sql_writer is None:
            from neurolake_lab.lakehouse.sql_writes import SqlWriter

            self._sql_writer = SqlWriter(
                self.engine, self.writer, self.resolve_ref, self.current_snapshot_id
            )
        return self._sql_writer

    def execute(
        self, stmt: LakeStatement, params: Params, lookup: Lookup | None, ctx: WriteContext
    ) -> WriteOutcome:
        """Carry out a write statement, then show its effect to this session at once."""
        try:
            return self.sql_writer.run(stmt, params, lookup, ctx)
        except OSError as exc:
            if not storage.is_storage_error(exc):
                raise
            target = display_name(stmt.table) if stmt.table else "the table"
            raise storage.storage_failure(exc, f"writing {target}: not committed") from None
        finally:
            self.refresh(self.engine.con)

    def resolve_ref(self, namespace: str | None, name: str) -> TableId | None:
        """The Iceberg table a SQL reference names, or ``None`` when it names none."""
        if namespace is None:
            return self.resolve_bare(name)
        tid = (namespace, name)
        return tid if tid in self.pointers else None

    # -- time travel and history ---------------------------------------------------------------

    def rewrite_time_travel(self, text: str, parameter: Callable[[str], Any] | None = None) -> str:
        """``text`` with ``FOR VERSION|TIMESTAMP AS OF`` references turned into snapshot scans.

        ``parameter`` gives the value of a ``$name`` used as the version or the time.
        """
        from neurolake_lab.lakehouse import time_travel

        def resolve(namespace: str | None, name: str) -> TableId:
            tid = self.resolve_ref(namespace, name)
            if tid is None:
                shown = f"{namespace}.{name}" if namespace else name
                err = self.unknown_table(shown)
                err.message += " (time travel reads Iceberg tables)"
                raise err
            return tid

        return time_travel.rewrite(text, resolve, self.scan_at, self.evaluate, parameter)

    def evaluate(self, expr: str) -> Any:
        """The value of a constant SQL expression (a time travel's version or time)."""
        from neurolake_lab.engine.errors import to_query_error

        try:
            row = self.engine.con.execute(f"SELECT {expr}").fetchone()
        except duckdb.Error as exc:
            raise to_query_error(exc, expr) from None
        return row[0] if row else None

    def snapshot_at(self, tid: TableId, snapshot_id: int | None, when: datetime | None) -> int:
        """The snapshot a time travel reads (by id, or the one current at a time); checked."""
        from neurolake_lab.lakehouse.history import snapshot_for_time, snapshot_for_version

        meta = read_metadata(self.pointers[tid])
        name = display_name(tid)
        if when is not None:
            snapshot_id = snapshot_for_time(meta, name, when)
        assert snapshot_id is not None
        return snapshot_for_version(meta, name, snapshot_id)

    def scan_at(self, tid: TableId, snapshot_id: int | None, when: datetime | None) -> str:
        """The ``iceberg_scan`` call reading ``tid`` at a snapshot (by id, or current at a time)."""
        location = self.pointers[tid]
        snapshot_id = self.snapshot_at(tid, snapshot_id, when)
        if self.view_columns and self.view_columns(tid, read_properties(location)):
            return f"({self.select_sql(tid, location, snapshot_id)})"
        return scan_sql(location, snapshot_id)

    def metadata(self, name: str) -> tuple[TableId, TableMetadata]:
        """The current metadata of the table ``name`` (qualified or an unambiguous bare name)."""
        tid = self.resolve(name)
        return tid, read_metadata(self.pointers[tid])

    def snapshots(self, name: str) -> pa.Table:
        """The snapshots of a table, newest first (what ``%snapshots`` shows)."""
        from neurolake_lab.lakehouse.history import snapshot_rows

        return snapshot_rows(self.metadata(name)[1])

    def rollback(self, name: str, snapshot_id: int, ctx: WriteContext) -> WriteOutcome:
        """Make an earlier snapshot the current one again (newer ones stay, for time travel)."""
        from neurolake_lab.lakehouse.history import snapshot_for_version
        from neurolake_lab.lakehouse.tables import quiet_pyiceberg

        tid = self.resolve(name)
        table = self.load(tid)
        snapshot_for_version(table.metadata, display_name(tid), snapshot_id)
        before = table.metadata.current_snapshot_id
        if before != snapshot_id:
            with quiet_pyiceberg():
                table.manage_snapshots().set_current_snapshot(snapshot_id).commit()
        self.refresh(self.engine.con)
        return WriteOutcome(display_name(tid), "rollback", snapshot_id=snapshot_id)

    def maintain(
        self,
        name: str,
        ctx: WriteContext,
        *,
        expire_older_than: str | timedelta = "7d",
        retain_last: int = 5,
        compact: bool = True,
        small_file_mb: float = 32,
        remove_orphans: bool = True,
        orphans_older_than: str | timedelta = "1d",
    ) -> MaintenanceReport:
        """Expire old snapshots, compact small files and remove orphan files of one table."""
        from neurolake_lab.lakehouse import maintenance as m
        from neurolake_lab.lakehouse.tables import quiet_pyiceberg

        tid = self.resolve(name)
        report = m.MaintenanceReport(display_name(tid))
        table = self.load(tid)
        steps = 2 + int(compact)
        desc = f"maintaining {report.table}"
        with quiet_pyiceberg(), progress.bar(steps, desc, delay=progress.QUICK) as step:
            if compact:
                props = ctx.summary("compact")
                table = m.compact(table, int(small_file_mb * 1024 * 1024), props, report)
                step("compacted")
            table = m.expire_snapshots(
                table, m.parse_duration(expire_older_than), retain_last, report
            )
            step("snapshots expired")
            if remove_orphans:
                m.remove_orphans(table, m.parse_duration(orphans_older_than), report)
            step("done")
        self.refresh(self.engine.con)
        return report

    def column_names(self, tid: TableId) -> set[str]:
        """The column names of an Iceberg table at its current snapshot."""
        location = self.pointers.get(tid)
        if location is None:
            return set()
        return {f.name for f in read_metadata(location).schema().fields}

    def layout(self, name: str) -> LayoutSuggestion | None:
        """The layout this table's recorded access patterns call for (``None``: it has it)."""
        from neurolake_lab.lakehouse.access_patterns import suggest_layout

        tid, meta = self.metadata(name)
        table = display_name(tid)
        return suggest_layout(table, meta, self.access.patterns(table))

    def apply_layout(
        self, name: str, suggestion: LayoutSuggestion, ctx: WriteContext
    ) -> WriteOutcome:
        """Give a table the suggested partitioning/sort order and rewrite its files to match."""
        from pyiceberg.expressions import AlwaysTrue

        from neurolake_lab.lakehouse.partitioning import apply_partitioning, apply_sort_order
        from neurolake_lab.lakehouse.rewrite import read_tasks, replace_files
        from neurolake_lab.lakehouse.statements import parse_layout
        from neurolake_lab.lakehouse.tables import _sort, quiet_pyiceberg

        tid = self.resolve(name)
        partition, order = parse_layout(suggestion.partition_by, suggestion.sort_by)
        with quiet_pyiceberg():
            table = self.load(tid)
            tx = table.transaction()
            apply_partitioning(tx, partition)
            apply_sort_order(tx, order)
            table = tx.commit_transaction()
            tasks = list(table.scan().plan_files())
            if tasks:
                rows = _sort(read_tasks(table, tasks), table)
                props = ctx.summary("apply layout")
                replace_files(table, [t.file for t in tasks], rows, scope=AlwaysTrue(),
                              properties=props)  # fmt: skip
        self.refresh(self.engine.con)
        snapshot = self.current_snapshot_id(tid)
        return WriteOutcome(display_name(tid), "apply layout", snapshot_id=snapshot)

    def io_error(self, err: QueryError) -> LakehouseError | None:
        """A clear error naming the table and file when a query failed on a bad data file."""
        text = err.message + "\n" + (err.hint or "")
        match = _PATH.search(text)
        if not match:
            return None
        path = match.group(1)
        tid = self.table_for_file(path)
        if tid is None:
            return None
        import os

        problem = "is missing" if not os.path.exists(path) else "is damaged or not a data file"
        return LakehouseError(
            f"table {display_name(tid)} cannot be read: its file {path} {problem}",
            hint=f"%snapshots {display_name(tid)} lists earlier snapshots; %rollback to one "
            "that does not use the file, or restore the file",
        )

    def describe(self) -> list[dict[str, Any]]:
        """One entry per Iceberg table: name, columns, rows, files, snapshot, partitioning."""
        from neurolake_lab.lakehouse.partitioning import describe_spec

        out = []
        for tid, location in sorted(self.pointers.items()):
            meta = read_metadata(location)
            snap = meta.current_snapshot()
            summary = snap.summary.additional_properties if snap and snap.summary else {}
            schema = meta.schema()
            out.append(
                {
                    "schema": tid[0],
                    "name": tid[1],
                    "kind": "iceberg",
                    "columns": len(schema.fields),
                    "rows": int(summary.get("total-records", 0)),
                    "files": int(summary.get("total-data-files", 0)),
                    "snapshot_id": meta.current_snapshot_id,
                    "partitioned_by": describe_spec(meta.spec(), schema) or None,
                    "description": meta.properties.get("comment"),
                }
            )
        return out


_PATH = re.compile(r"[\"'](?:file://)?(/[^\"']+\.(?:parquet|avro|json))[\"']")
_NAME_PART = re.compile(r'"((?:[^"]|"")*)"|([^.]+)')


def _split_name(name: str) -> list[str]:
    return [
        (m.group(1).replace('""', '"') if m.group(1) is not None else m.group(2).strip())
        for m in _NAME_PART.finditer(name.strip())
    ]


def _first_line(exc: BaseException) -> str:
    text = str(exc)
    return re.sub(r"^[A-Za-z ]+ Error: ", "", text.splitlines()[0] if text else type(exc).__name__)

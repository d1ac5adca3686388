"""DuckDB, in memory, one per session: runs SQL, returns Arrow, spills to a per-kernel folder."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from neurolake_lab.engine.backend import EngineBackend
from neurolake_lab.engine.errors import missing_table, to_query_error
from neurolake_lab.engine.unnamed import name_fields
from neurolake_lab.exceptions import QueryError

#: Looks a name up in the caller's namespace (a notebook's variables) for replacement scans.
Lookup = Callable[[str], Any]
Params = Mapping[str, Any] | Sequence[Any] | None


@dataclass
class Execution:
    """What one statement produced: an Arrow table (``None`` for DDL) and how long it took."""

    table: pa.Table | None
    column_types: list[str]
    statement_type: str
    sql: str
    execute_ms: float
    fetch_ms: float


def is_frame(obj: Any) -> bool:
    """True for objects DuckDB can scan as a table: pandas, Polars, Arrow, DuckDB relations."""
    module = type(obj).__module__.split(".")[0]
    name = type(obj).__name__
    if module == "pandas":
        return name == "DataFrame"
    if module == "polars":
        return name in {"DataFrame", "LazyFrame"}
    if module == "pyarrow":
        return name in {"Table", "RecordBatch", "RecordBatchReader", "FileSystemDataset", "Dataset"}
    if module in {"duckdb", "_duckdb"}:
        return name == "DuckDBPyRelation"
    return False


class DuckDBEngine(EngineBackend):
    """An in-memory DuckDB database owned by one session.

    Durable state never lives here (docs/architecture.md): the database is in memory and spills
    to a private temporary folder that :meth:`close` removes, so several kernels share a
    workspace freely.
    """

    name = "duckdb"

    def __init__(
        self,
        *,
        spill_root: Path | None = None,
        memory_limit: str | None = None,
        threads: int | None = None,
        timezone: str = "UTC",
    ) -> None:
        if spill_root is not None:
            spill_root.mkdir(parents=True, exist_ok=True)
            _remove_stale_spill_dirs(spill_root)
        self.spill_dir = Path(tempfile.mkdtemp(prefix=f"duckdb-{os.getpid()}-", dir=spill_root))
        atexit.register(shutil.rmtree, self.spill_dir, True)
        config: dict[str, Any] = {
            # Nothing is downloaded at run time; statically linked extensions still load.
            "autoinstall_known_extensions": False,
            "allow_community_extensions": False,
            # Names are resolved from the namespace we are given, not from our own stack frames.
            "python_enable_replacements": False,
            "temp_directory": str(self.spill_dir),
        }
        if memory_limit:
            config["memory_limit"] = memory_limit
        if threads:
            config["threads"] = threads
        self.con = duckdb.connect(":memory:", config=config)
        quoted = timezone.replace("'", "''")
        self.con.execute(f"SET TimeZone = '{quoted}'")  # needs ICU, which DuckDB links statically
        # DuckDB's own progress bar (an unlabelled widget in notebooks) is replaced by the
        # extension's running bar beside the cell: elapsed time and a Cancel button
        self.con.execute("SET enable_progress_bar = false")

    # -- statements -------------------------------------------------------------------------

    def split(self, text: str) -> list[duckdb.Statement]:
        """Split a cell into statements with DuckDB's own parser (each knows its parameters)."""
        try:
            return list(self.con.extract_statements(text))
        except duckdb.Error as exc:
            raise to_query_error(exc, text, self.table_names) from None

    def run(
        self,
        sql: str,
        params: Params = None,
        lookup: Lookup | None = None,
        statement_type: str = "",
    ) -> Execution:
        """Run one statement and fetch its result as Arrow.

        A table name DuckDB does not know is looked up with ``lookup`` (the notebook's variables);
        a DataFrame or Arrow table found there is scanned in place for this statement only.
        """
        if not statement_type:
            stmts = self.split(sql)
            statement_type = stmts[0].type.name if stmts else ""
        registered: list[str] = []
        try:
            while True:
                try:
                    start = time.perf_counter()
                    cursor = self.con.execute(sql, params) if params else self.con.execute(sql)
                    executed = time.perf_counter()
                    description = cursor.description
                    has_rows = bool(description) and not _only_status(description, statement_type)
                    table = name_fields(cursor.to_arrow_table()) if has_rows else None
                    fetched = time.perf_counter()
                    break
                except duckdb.Error as exc:
                    name = missing_table(exc)
                    obj = lookup(name) if (name and lookup and name not in registered) else None
                    if name is None or obj is None or not is_frame(obj):
                        raise to_query_error(exc, sql, self.table_names) from None
                    self.con.register(name, obj)
                    registered.append(name)
                except (KeyboardInterrupt, RuntimeError) as exc:
                    # SIGINT (a kernel interrupt) reaches DuckDB, which stops the query and raises
                    # a plain RuntimeError("Query interrupted"), or Python raises KeyboardInterrupt
                    if isinstance(exc, RuntimeError) and "interrupted" not in str(exc):
                        raise
                    self.con.interrupt()
                    raise QueryError(
                        "the query was cancelled; the session is unchanged and ready",
                        kind="interrupted",
                        sql=sql,
                    ) from None
        finally:
            for name in registered:
                self.con.unregister(name)
        types = [str(col[1]) for col in description] if table is not None else []
        return Execution(
            table=table,
            column_types=types,
            statement_type=statement_type,
            sql=sql,
            execute_ms=(executed - start) * 1000,
            fetch_ms=(fetched - executed) * 1000,
        )

    def explain(self, sql: str, params: Params = None) -> str:
        """DuckDB's physical plan of ``sql`` as text."""
        try:
            rows = self.con.execute(f"EXPLAIN {sql}", params).fetchall()
        except duckdb.Error as exc:
            raise to_query_error(exc, sql, self.table_names) from None
        return "\n".join(str(row[1]) for row in rows)

    # -- catalog ----------------------------------------------------------------------------

    def table_names(self) -> list[str]:
        """Names of the tables and views in the session, bare and qualified."""
        rows = self.con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT internal "
            "UNION ALL SELECT schema_name, view_name FROM duckdb_views() WHERE NOT internal"
        ).fetchall()
        return [name for schema, table in rows for name in (table, f"{schema}.{table}")]

    def tables(self) -> pa.Table:
        """One row per table or view: schema, name, kind, column count, estimated rows."""
        return self.con.execute(
            "SELECT schema_name AS schema, table_name AS name, 'table' AS kind, "
            "column_count AS columns, estimated_size AS rows "
            "FROM duckdb_tables() WHERE NOT internal "
            "UNION ALL SELECT schema_name, view_name, 'view', column_count, NULL "
            "FROM duckdb_views() WHERE NOT internal ORDER BY 1, 2"
        ).to_arrow_table()

    def columns(self, table: str) -> list[tuple[str, str]]:
        """``(name, type)`` of each column of ``table``; raises ``QueryError`` if it is unknown."""
        from sqlglot import exp
        from sqlglot.errors import SqlglotError

        try:
            # ``con.table`` reads only a bare name: ``ns.t`` (and quoted parts) go through SQL
            parsed = exp.to_table(table, dialect="duckdb")
        except SqlglotError:
            parsed = None
        if parsed is None or not isinstance(parsed.this, exp.Identifier):  # not a function call
            raise QueryError(f"{table!r} is not a table name", kind="syntax")
        name = parsed.sql("duckdb")
        try:
            rel = self.con.sql(f"SELECT * FROM {name} LIMIT 0")
        except duckdb.Error as exc:
            raise to_query_error(exc, table, self.table_names) from None
        return [(name, str(dtype)) for name, dtype in zip(rel.columns, rel.types, strict=True)]

    def interrupt(self) -> None:
        """Cancel the running query (safe to call from another thread)."""
        self.con.interrupt()

    def close(self) -> None:
        """Close the database and remove its spill folder."""
        try:
            self.con.close()
        finally:
            shutil.rmtree(self.spill_dir, ignore_errors=True)


#: Statements whose only output is DuckDB's ``Count`` status column, which says nothing useful.
_DDL = {"CREATE", "DROP", "ALTER", "TRANSACTION", "SET", "VARIABLE_SET", "ATTACH", "DETACH",
        "LOAD", "VACUUM", "CREATE_FUNC", "PREPARE", "DEALLOCATE"}  # fmt: skip


def _only_status(description: list[Any], statement_type: str) -> bool:
    return statement_type in _DDL and [col[0] for col in description] == ["Count"]


def _remove_stale_spill_dirs(root: Path) -> None:
    """Remove spill folders left by kernels that were killed (their process no longer exists)."""
    for path in root.glob("duckdb-*-*"):
        pid = path.name.split("-")[1]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

"""``Session``: the one object a notebook holds (``neurolake_lab.connect``).

It owns the session's engine and snippets and turns SQL text into a ``QueryResult``: split into
statements, ``:name`` read as ``$name``, snippets composed as CTEs, parameters bound from the given
values or the caller's variables, the last statement's result returned.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections import ChainMap
from collections.abc import Callable, Mapping, Sequence, Set
from typing import TYPE_CHECKING, Any

from neurolake_lab import snippets as snippet_mod
from neurolake_lab.compliance_api import ComplianceAPI
from neurolake_lab.config import Settings, Workspace, resolve_settings
from neurolake_lab.engine import DuckDBEngine, Execution
from neurolake_lab.engine.params import colon_to_dollar
from neurolake_lab.exceptions import (
    AuditError,
    NeuroLakeError,
    QueryError,
    SnippetError,
    UsageError,
)
from neurolake_lab.lakehouse.dialect import split_cell
from neurolake_lab.lakehouse_api import LakehouseAPI, query_result
from neurolake_lab.lineage_api import LineageAPI
from neurolake_lab.result import QueryResult

if TYPE_CHECKING:
    import pyarrow as pa

    from neurolake_lab.compliance.audit import AuditLog
    from neurolake_lab.compliance.tagging import PiiTagger
    from neurolake_lab.lakehouse import Lakehouse
    from neurolake_lab.lakehouse.tables import WriteContext

_MISSING = object()


class Session(LakehouseAPI, ComplianceAPI, LineageAPI):
    """A connection to a NeuroLake workspace: SQL on DuckDB, snippets, exploration helpers."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.workspace = Workspace(settings.workspace)
        self.snippets: dict[str, str] = {}
        #: where the code running now comes from (notebook, cell id, execution count); the
        #: kernel sets it per cell and writes record it in their snapshot's summary
        self.cell_context: dict[str, Any] | None = None
        self._engine: DuckDBEngine | None = None
        self._lakehouse: Lakehouse | None = None
        self._tagger: PiiTagger | None = None
        self._audit: AuditLog | None = None
        self.notices: list[str] = []

    @property
    def user(self) -> str:
        """Who this session acts as."""
        return self.settings.user

    @property
    def engine(self) -> DuckDBEngine:
        """The session's DuckDB engine, started on first use (kernel start stays fast)."""
        if self._engine is None:
            self._engine = DuckDBEngine(
                spill_root=self.workspace.cache / "spill",
                memory_limit=self.settings.memory_limit,
                threads=self.settings.threads,
                timezone=self.settings.timezone,
            )
        return self._engine

    @property
    def lakehouse(self) -> Lakehouse:
        """The workspace's Iceberg tables as this session sees them (pyiceberg loads lazily)."""
        if self._lakehouse is None:
            from neurolake_lab.lakehouse import Lakehouse

            self._lakehouse = Lakehouse(self.settings, self.engine)
            self.install_compliance_hooks(self._lakehouse)
        return self._lakehouse

    def write_context(self, sql: str | None = None) -> WriteContext:
        """Who writes and from which cell: what a write's snapshot summary records."""
        from neurolake_lab.lakehouse.tables import WriteContext

        return WriteContext(user=self.user, sql=sql, cell=self.cell_context)

    # -- queries --------------------------------------------------------------------------

    def sql(
        self,
        text: str,
        params: Mapping[str, Any] | Sequence[Any] | None = None,
        *,
        namespace: Mapping[str, Any] | None = None,
    ) -> QueryResult:
        """Run the statements in ``text`` and return the last one's result.

        Args:
            text: one or more SQL statements (DuckDB's dialect), separated by ``;``.
            params: values for ``$name``/``:name`` placeholders (a mapping) or for ``?`` (a list).
            namespace: where placeholders without a value and DataFrames used as tables are looked
                up; by default the caller's variables, as ``duckdb.sql`` does.

        Raises:
            QueryError: the SQL is invalid, names an unknown table or column, or fails to run.
        """
        if namespace is None:
            frame = sys._getframe(1)
            namespace = ChainMap(frame.f_locals, frame.f_globals)
        return self._run(text, params, namespace)

    def _run(
        self,
        text: str,
        params: Mapping[str, Any] | Sequence[Any] | None,
        namespace: Mapping[str, Any],
    ) -> QueryResult:
        start = time.perf_counter()
        if not text.strip():
            raise UsageError("there is no SQL to run")
        self.notices = []
        engine = self.engine
        lake = self.lakehouse
        lake.refresh(engine.con)
        text = colon_to_dollar(text)
        if _maybe_time_travel(text):
            text = lake.rewrite_time_travel(text, _parameter(params, namespace))
        statements = split_cell(engine, text)
        if not statements:
            raise UsageError("there is no SQL to run (only comments?)")
        if params is not None and not isinstance(params, Mapping) and len(statements) > 1:
            raise QueryError(
                "positional parameters (?) work with a single statement; use $name for several",
                kind="parameter",
            )
        lookup = namespace.get
        last: Execution | None = None
        audit_id: str | None = None
        lineage_sql, lineage_kind = "", ""
        executed: list[str] = []
        plan_ms = 0.0
        for stmt in statements:
            t0 = time.perf_counter()
            sql = stmt.query.strip()
            sql = snippet_mod.compose(sql, self.snippets)  # returns at once when none is used
            bound = _bind(stmt.named_parameters, params, namespace)
            kind = stmt.type
            plan = lake.analyze(sql, kind)
            plan_ms += (time.perf_counter() - t0) * 1000
            writes = plan is not None and plan.kind != "local_table"
            try:
                if writes:
                    assert plan is not None
                    t1 = time.perf_counter()
                    ctx = self.write_context(sql)
                    graph = None
                    if plan.table is not None:
                        target = f"{plan.table[0]}.{plan.table[1]}"
                        graph = self.statement_lineage(sql, kind, target)
                        ctx.column_lineage = graph.to_report() if graph is not None else None
                    outcome = lake.execute(plan, bound, lookup, ctx)
                    if graph is not None:
                        self.notices.extend(self.emit_lineage(graph, ctx))
                    elapsed = (time.perf_counter() - t1) * 1000
                    last = Execution(outcome.to_arrow(), [], kind, sql, elapsed, 0.0)
                    self.notices.extend(outcome.notices)
                    self.notices.extend(self._layout_notice(plan.table))
                    audit_id = self.record(
                        "write", sql, statement_type=kind, table=outcome.table,
                        operation=outcome.operation, rows_added=outcome.rows_added,
                        rows_removed=outcome.rows_removed, quarantined=outcome.quarantined,
                        snapshot_id=outcome.snapshot_id, sources=self.tables_read(sql),
                    )  # fmt: skip
                else:
                    if plan is not None:  # a session table takes the bare name of a lake table
                        lake.shadow(engine.con, plan.alias or "")
                    try:
                        last = engine.run(sql, bound, lookup, statement_type=kind)
                    except QueryError as err:
                        raise (lake.io_error(err) or err) from None
                    if kind == "SELECT":
                        lake.access.observe(sql)
                    lineage_sql, lineage_kind = sql, kind
                    rows = last.table.num_rows if last.table is not None else None
                    audit_id = self.record(
                        "query", sql, statement_type=kind, rows=rows, tables=self.tables_read(sql)
                    )
            except NeuroLakeError as err:
                if not isinstance(err, AuditError):
                    self.record(
                        "write" if writes else "query", sql, statement_type=kind,
                        error=f"{err.title}: {err.message}",
                    )  # fmt: skip
                raise
            executed.append(sql)
        assert last is not None
        lineage = None
        if last.table is not None and last.table.num_columns and lineage_sql == last.sql:
            graph = self.statement_lineage(lineage_sql, lineage_kind)
            if graph is not None:
                lineage = graph.rename_outputs(last.table.column_names).to_report()
        timings = {
            "plan_ms": plan_ms,
            "execute_ms": last.execute_ms,
            "fetch_ms": last.fetch_ms,
            "total_ms": (time.perf_counter() - start) * 1000,
        }
        return QueryResult(
            last.table,
            sql=text.strip(),
            executed_sql=";\n".join(executed),
            column_types=last.column_types,
            statement_type=last.statement_type,
            timings=timings,
            preview_limit=self.settings.preview_rows,
            notices=self.take_notices(),
            audit_id=audit_id,
            lineage=lineage,
        )

    def take_notices(self) -> list[str]:
        """Messages the last cell produced for the user (quarantined rows, layout advice)."""
        out, self.notices = self.notices, []
        return out

    def explain(
        self,
        text: str,
        params: Mapping[str, Any] | None = None,
        *,
        namespace: Mapping[str, Any] | None = None,
    ) -> str:
        """DuckDB's plan for the last statement of ``text``, without running it."""
        namespace = namespace if namespace is not None else {}
        self.lakehouse.refresh(self.engine.con)
        text = colon_to_dollar(text)
        if _maybe_time_travel(text):
            text = self.lakehouse.rewrite_time_travel(text, _parameter(params, namespace))
        statements = split_cell(self.engine, text)
        if not statements:
            raise UsageError("there is no SQL to explain")
        stmt = statements[-1]
        sql = snippet_mod.compose(stmt.query.strip(), self.snippets)
        return self.engine.explain(sql, _bind(stmt.named_parameters, params, namespace))

    # -- snippets -------------------------------------------------------------------------

    def save_snippet(self, name: str, sql: str) -> None:
        """Keep ``sql`` (one query) under ``name``, usable as a table by later queries."""
        if not name.isidentifier():
            raise SnippetError(f"snippet name {name!r} is not a valid identifier")
        statements = self.engine.split(colon_to_dollar(sql))
        if len(statements) != 1:
            raise SnippetError(f"a snippet holds exactly one query; {name!r} has {len(statements)}")
        query = statements[0].query.strip()
        if name in snippet_mod.referenced(query, {**self.snippets, name: query}):
            raise SnippetError(f"snippet {name!r} cannot use itself")
        self.snippets[name] = query

    # -- exploring ------------------------------------------------------------------------

    def tables(self) -> QueryResult:
        """Every table the session can query: Iceberg tables and the session's own."""
        start = time.perf_counter()
        lake = self.lakehouse
        lake.refresh(self.engine.con)
        table = _table_listing(self.engine.tables(), lake)
        elapsed = (time.perf_counter() - start) * 1000
        return query_result(table, "-- tables", "TABLES", elapsed)

    def describe(self, table: str) -> QueryResult:
        """Columns of ``table`` with their types and whether they allow NULL."""
        self.engine.columns(table)  # a clear error naming the table if it is unknown
        return self._run(f"DESCRIBE {table}", None, {})

    def profile(self, table: str) -> QueryResult:
        """Per-column statistics of ``table``: min, max, distinct values, nulls, quartiles."""
        self.engine.columns(table)
        return self._run(f"SUMMARIZE {table}", None, {})

    # -- lifetime -------------------------------------------------------------------------

    def close(self) -> None:
        """Release the engine and its spill folder; the session can be used again afterwards."""
        lake, audit, engine = self._lakehouse, self._audit, self._engine
        self._lakehouse = self._audit = self._engine = None
        try:
            if lake is not None:
                lake.close()
            if audit is not None:
                audit.close()
        finally:
            if engine is not None:
                engine.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"<neurolake_lab.Session workspace={str(self.settings.workspace)!r} user={self.user!r}>"
        )


def _bind(
    names: Set[str],
    params: Mapping[str, Any] | Sequence[Any] | None,
    namespace: Mapping[str, Any],
) -> dict[str, Any] | Sequence[Any] | None:
    """The values of one statement's placeholders: given ``params`` first, then ``namespace``."""
    if params is not None and not isinstance(params, Mapping):
        return params
    if not names:
        return None
    values: dict[str, Any] = {}
    for name in names:
        value = params.get(name, _MISSING) if params is not None else _MISSING
        if value is _MISSING:
            value = namespace.get(name, _MISSING)
        if value is _MISSING:
            raise QueryError(
                f"parameter ${name} has no value: define a variable {name!r} or pass params",
                kind="parameter",
            )
        values[name] = value
    return values


def _parameter(
    params: Mapping[str, Any] | Sequence[Any] | None, namespace: Mapping[str, Any]
) -> Callable[[str], Any]:
    """Looks up ``$name`` the way statements bind it: given params first, then the namespace."""

    def value(name: str) -> Any:
        found = _bind({name}, params if isinstance(params, Mapping) else None, namespace)
        return found[name] if isinstance(found, dict) else None

    return value


def _maybe_time_travel(text: str) -> bool:
    """Cheap test on every cell: whether it may hold ``FOR VERSION|TIMESTAMP AS OF``."""
    return " OF" in text.upper() and _AS_OF.search(text) is not None


_AS_OF = re.compile(r"\bFOR\s+(?:SYSTEM_)?(?:VERSION|TIMESTAMP|TIME)\s+AS\s+OF\b", re.IGNORECASE)


def _table_listing(local: pa.Table, lake: Lakehouse) -> pa.Table:
    """The session's own tables (not the lakehouse's views) followed by the Iceberg tables."""
    import pyarrow as pa

    rows = [
        {**row, "description": None}
        for row in local.to_pylist()
        if (row["schema"], row["name"]) not in lake.pointers
        and not lake.is_alias(row["schema"], row["name"])
    ]
    for info in lake.describe():
        rows.append(
            {k: info[k] for k in ("schema", "name", "kind", "columns", "rows", "description")}
        )
    fields: list[pa.Field[Any]] = [
        pa.field("schema", pa.string()), pa.field("name", pa.string()),
        pa.field("kind", pa.string()), pa.field("columns", pa.int64()),
        pa.field("rows", pa.int64()), pa.field("description", pa.string()),
    ]  # fmt: skip
    schema = pa.schema(fields)
    return pa.Table.from_pylist(rows, schema=schema)


def connect(
    workspace: str | os.PathLike[str] | None = None, *, user: str | None = None, **settings: Any
) -> Session:
    """Open a session on ``workspace`` (default ``$NEUROLAKE_WORKSPACE``, else ``~/.neurolake``)."""
    return Session(resolve_settings(workspace, user=user, **settings))

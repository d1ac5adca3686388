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
from collections.abc import Mapping, Sequence, Set
from typing import TYPE_CHECKING, Any

from neurolake_lab import snippets as snippet_mod
from neurolake_lab.config import Settings, Workspace, resolve_settings
from neurolake_lab.engine import DuckDBEngine, Execution
from neurolake_lab.engine.params import colon_to_dollar
from neurolake_lab.exceptions import QueryError, SnippetError, UsageError
from neurolake_lab.lakehouse.dialect import split_cell
from neurolake_lab.result import QueryResult

if TYPE_CHECKING:
    from datetime import timedelta

    import pyarrow as pa

    from neurolake_lab.agents.answer import NLResult
    from neurolake_lab.lakehouse import Lakehouse
    from neurolake_lab.lakehouse.maintenance import MaintenanceReport
    from neurolake_lab.lakehouse.quality import QualityRules
    from neurolake_lab.lakehouse.tables import WriteContext, WriteOutcome

_MISSING = object()


class Session:
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
            text = lake.rewrite_time_travel(text)
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
            if plan is not None and plan.kind != "local_table":
                t1 = time.perf_counter()
                outcome = lake.execute(plan, bound, lookup, self.write_context(sql))
                elapsed = (time.perf_counter() - t1) * 1000
                last = Execution(outcome.to_arrow(), [], kind, sql, elapsed, 0.0)
                self.notices.extend(outcome.notices)
            else:
                if plan is not None:  # a session table takes the bare name of an Iceberg table
                    lake.shadow(engine.con, plan.alias or "")
                try:
                    last = engine.run(sql, bound, lookup, statement_type=kind)
                except QueryError as err:
                    raise (lake.io_error(err) or err) from None
            executed.append(sql)
        assert last is not None
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
        )

    def ask(self, question: str, follow_up: bool = False, **options: Any) -> NLResult:
        """Answer a question in plain language with governed SQL (what ``%%nl`` runs).

        Each question stands alone unless ``follow_up=True``, which refines the previous one
        ("only for Germany", "now by month"). The SQL comes from the LLM when one is configured
        (``NEUROLAKE_LLM_BASE_URL`` / ``OPENAI_API_KEY``), else from the offline planner.

        Args:
            question: The question.
            follow_up: Refine the previous question instead of starting afresh.
            **options: ``execute=False`` writes the SQL without running it; ``sql=`` runs this
                (edited) SQL for the question instead; ``mode="offline"|"llm"`` forces a route;
                ``learn=False`` ignores accepted answers.

        Raises:
            PlanningError: The question could not be mapped to the tables (nothing ran).
            QueryError: The SQL failed to run.
            LLMError: The language model failed (endpoint down, key refused, no usable SQL).
        """
        from neurolake_lab.agents import orchestrator_for

        return orchestrator_for(self).ask(question, follow_up, **options)

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
            text = self.lakehouse.rewrite_time_travel(text)
        statements = split_cell(self.engine, text)
        if not statements:
            raise UsageError("there is no SQL to explain")
        stmt = statements[-1]
        sql = snippet_mod.compose(stmt.query.strip(), self.snippets)
        return self.engine.explain(sql, _bind(stmt.named_parameters, params, namespace))

    # -- the lakehouse --------------------------------------------------------------------

    def write(
        self,
        table: str,
        data: Any,
        mode: str = "append",
        *,
        partition_by: Sequence[str] = (),
        sort_by: Sequence[str] = (),
        docs: Mapping[str, str] | None = None,
        description: str | None = None,
        properties: Mapping[str, str] | None = None,
    ) -> WriteOutcome:
        """Write a pandas/Polars/Arrow table to the Iceberg table ``namespace.table``.

        ``mode`` is ``"append"`` or ``"overwrite"``; a table that does not exist is created
        (with ``partition_by`` such as ``["month(order_date)"]``, ``sort_by`` such as
        ``["customer_id"]``, column ``docs`` and a ``description``). Columns match by name;
        the write goes through the table's quality checks and is one commit.
        """
        from neurolake_lab.lakehouse.statements import parse_layout

        if mode not in ("append", "overwrite"):
            raise UsageError(f"mode must be 'append' or 'overwrite', not {mode!r}")
        arrow = _to_arrow(data)
        lake = self.lakehouse
        lake.refresh(self.engine.con)
        tid = _table_id(lake, table)
        ctx = self.write_context()
        writer = lake.writer
        try:
            if writer.exists(tid):
                outcome = writer.append(
                    tid, arrow, ctx, overwrite=mode == "overwrite", by_name=True,
                    operation=f"write ({mode})",
                )  # fmt: skip
            else:
                props = dict(properties or {})
                if description:
                    props["comment"] = description
                partition, order = parse_layout(partition_by, sort_by)
                outcome = writer.create(
                    tid, arrow, ctx, partition_by=partition, sort_by=order, properties=props,
                    docs=docs, operation=f"write ({mode})",
                )  # fmt: skip
        finally:
            lake.refresh(self.engine.con)
        return outcome

    def maintain(
        self,
        table: str,
        *,
        expire_older_than: str | timedelta = "7d",
        retain_last: int = 5,
        compact: bool = True,
        small_file_mb: float = 32,
        remove_orphans: bool = True,
        orphans_older_than: str | timedelta = "1d",
    ) -> MaintenanceReport:
        """Keep a table healthy: expire old snapshots, compact small files, remove orphans.

        Snapshots older than ``expire_older_than`` go, except the newest ``retain_last`` and the
        one current at the cut-off (so time travel inside the retention keeps working). Files
        written but never committed (by a crashed write) are removed once older than
        ``orphans_older_than``. The report says what each step did.
        """
        self.lakehouse.refresh(self.engine.con)
        return self.lakehouse.maintain(
            table, self.write_context(), expire_older_than=expire_older_than,
            retain_last=retain_last, compact=compact, small_file_mb=small_file_mb,
            remove_orphans=remove_orphans, orphans_older_than=orphans_older_than,
        )  # fmt: skip

    def set_quality(
        self,
        table: str,
        *,
        not_null: Sequence[str] = (),
        unique: Sequence[str | Sequence[str]] = (),
        accepted_values: Mapping[str, Sequence[Any]] | None = None,
        ranges: Mapping[str, Sequence[Any]] | None = None,
        rows_per_write: Sequence[int | None] | None = None,
        checks: Sequence[str] = (),
        on_failure: str = "refuse",
    ) -> QualityRules:
        """Declare the quality checks every write to ``table`` must pass (replacing earlier ones).

        ``unique`` keys are column names or lists of columns; ``ranges`` map a column to
        ``[min, max]`` (``None`` for an open end); ``rows_per_write`` is ``[min, max]`` rows per
        write; ``checks`` are SQL predicates each row must satisfy. ``on_failure`` is
        ``"refuse"`` (the write is refused with the offending rows) or ``"quarantine"`` (bad rows
        go to ``<table>__quarantine`` and the rest is written).
        """
        from neurolake_lab.lakehouse.quality import PROPERTY, QualityRules
        from neurolake_lab.lakehouse.tables import quiet_pyiceberg

        rules = QualityRules(
            not_null=list(not_null),
            unique=[[k] if isinstance(k, str) else list(k) for k in unique],
            accepted_values={k: list(v) for k, v in (accepted_values or {}).items()},
            ranges={k: list(v) for k, v in (ranges or {}).items()},
            rows_per_write=list(rows_per_write) if rows_per_write else None,
            checks=list(checks),
            on_failure=on_failure,
        )
        lake = self.lakehouse
        lake.refresh(self.engine.con)
        tid = lake.resolve(table)
        loaded = lake.load(tid)
        known = {f.name for f in loaded.schema().fields}
        unknown = sorted(rules.columns() - known)
        if unknown:
            raise UsageError(f"table {table} has no column {', '.join(unknown)}")
        with quiet_pyiceberg():
            loaded.transaction().set_properties({PROPERTY: rules.to_json()}).commit_transaction()
        lake.refresh(self.engine.con)
        return rules

    def quality(self, table: str) -> QualityRules:
        """The quality checks declared on ``table``."""
        from neurolake_lab.lakehouse.quality import QualityRules

        self.lakehouse.refresh(self.engine.con)
        _, meta = self.lakehouse.metadata(table)
        return QualityRules.from_properties(dict(meta.properties))

    def snapshots(self, table: str) -> QueryResult:
        """The snapshots of an Iceberg table, newest first: id, time, operation, rows, who, cell."""
        self.lakehouse.refresh(self.engine.con)
        return _result(self.lakehouse.snapshots(table), f"-- snapshots of {table}", "SNAPSHOTS")

    def rollback(self, table: str, snapshot_id: int) -> WriteOutcome:
        """Make ``snapshot_id`` the current snapshot of ``table`` again (as ``%rollback``)."""
        self.lakehouse.refresh(self.engine.con)
        return self.lakehouse.rollback(table, int(snapshot_id), self.write_context())

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
        return _result(table, "-- tables", "TABLES", elapsed)

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
        if self._lakehouse is not None:
            self._lakehouse.close()
            self._lakehouse = None
        if self._engine is not None:
            self._engine.close()
            self._engine = None

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


def _maybe_time_travel(text: str) -> bool:
    """Cheap test on every cell: whether it may hold ``FOR VERSION|TIMESTAMP AS OF``."""
    return " OF" in text.upper() and _AS_OF.search(text) is not None


_AS_OF = re.compile(r"\bFOR\s+(?:SYSTEM_)?(?:VERSION|TIMESTAMP|TIME)\s+AS\s+OF\b", re.IGNORECASE)


def _to_arrow(data: Any) -> pa.Table:
    """pandas, Polars, Arrow or anything with the Arrow C stream interface, as a ``pa.Table``."""
    import pyarrow as pa

    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    if type(data).__module__.split(".")[0] == "pandas":
        return pa.Table.from_pandas(data, preserve_index=False)
    if hasattr(data, "to_arrow") and callable(data.to_arrow):  # Polars, QueryResult-likes
        arrow = data.to_arrow()
        return arrow if isinstance(arrow, pa.Table) else pa.table(arrow)
    if hasattr(data, "__arrow_c_stream__"):
        return pa.table(data)
    raise UsageError(f"cannot write a {type(data).__name__}: pass a pandas, Polars or Arrow table")


def _table_id(lake: Lakehouse, name: str) -> tuple[str, str]:
    """``namespace.table`` (or an existing table's unambiguous bare name) as a table id."""
    from neurolake_lab.lakehouse.lakehouse import _split_name

    parts = _split_name(name)
    if len(parts) == 2 and all(parts):
        return parts[0], parts[1]
    if len(parts) == 1:
        tid = lake.resolve_bare(parts[0])
        if tid is not None:
            return tid
    raise UsageError(f"name the table as namespace.table, e.g. 'sales.{parts[-1] or 'orders'}'")


def _result(table: pa.Table, sql: str, kind: str, elapsed: float | None = None) -> QueryResult:
    timings = {"execute_ms": elapsed, "total_ms": elapsed} if elapsed is not None else {}
    return QueryResult(table, sql=sql, statement_type=kind, timings=timings)


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

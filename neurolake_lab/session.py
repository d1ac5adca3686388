"""``Session``: the one object a notebook holds (``neurolake_lab.connect``).

It owns the session's engine and snippets and turns SQL text into a ``QueryResult``: split into
statements, ``:name`` read as ``$name``, snippets composed as CTEs, parameters bound from the given
values or the caller's variables, the last statement's result returned.
"""

from __future__ import annotations

import os
import sys
import time
from collections import ChainMap
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from neurolake_lab import snippets as snippet_mod
from neurolake_lab.compliance.policy.errors import PolicyViolation
from neurolake_lab.compliance_api import ComplianceAPI
from neurolake_lab.config import Settings, Workspace, resolve_settings
from neurolake_lab.cost_api import CostAPI
from neurolake_lab.engine import DuckDBEngine, Execution
from neurolake_lab.engine.params import colon_to_dollar
from neurolake_lab.exceptions import (
    AuditError,
    NeuroLakeError,
    QueryError,
    SnippetError,
    UsageError,
)
from neurolake_lab.lakehouse.dialect import Statement, split_cell
from neurolake_lab.lakehouse.time_travel import has_time_travel
from neurolake_lab.lakehouse_api import LakehouseAPI, query_result
from neurolake_lab.lineage_api import LineageAPI
from neurolake_lab.policy_api import PolicyAPI
from neurolake_lab.result import QueryResult

if TYPE_CHECKING:
    import pyarrow as pa

    from neurolake_lab.agents.answer import NLResult
    from neurolake_lab.cache import CacheKey, ResultCache
    from neurolake_lab.compliance.audit import AuditStore
    from neurolake_lab.compliance.policy import Enforcement, NoPii, PolicyStore
    from neurolake_lab.compliance.tagging import PiiTagger
    from neurolake_lab.cost import CostModel, Prediction
    from neurolake_lab.lakehouse import Lakehouse
    from neurolake_lab.lakehouse.statements import LakeStatement
    from neurolake_lab.lakehouse.tables import WriteContext
    from neurolake_lab.pipelines import Pipelines

_MISSING = object()


class Session(LakehouseAPI, ComplianceAPI, LineageAPI, PolicyAPI, CostAPI):
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
        self._audit: AuditStore | None = None
        self._policies: PolicyStore | None = None
        self._governed: tuple[object, dict[str, dict[str, str]], dict[str, dict[str, Any]]] | None
        self._governed = None
        self._policy_version: str | None = None
        self._cost_model: CostModel | None = None
        self._result_cache: ResultCache | None = None
        self._pipelines: Pipelines | None = None
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
            self.install_policy()
        return self._lakehouse

    @property
    def pipelines(self) -> Pipelines:
        """The workspace's data pipelines: create, run, schedule, monitor them."""
        if self._pipelines is None:
            import dataclasses

            from neurolake_lab.pipelines import Pipelines

            settings = self.settings
            self._pipelines = Pipelines(
                self, lambda user: Session(dataclasses.replace(settings, user=user))
            )
        return self._pipelines

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
        no_pii: bool | str = False,
    ) -> QueryResult:
        """Run the statements in ``text`` and return the last one's result.

        Args:
            text: one or more SQL statements (DuckDB's dialect), separated by ``;``.
            params: values for ``$name``/``:name`` placeholders (a mapping) or for ``?`` (a list).
            namespace: where placeholders without a value and DataFrames used as tables are looked
                up; by default the caller's variables, as ``duckdb.sql`` does.
            no_pii: ``True`` (or ``"mask"``) masks every PII-tagged column the query reads, for
                anyone; ``"drop"`` leaves the result columns derived from PII out.

        Raises:
            QueryError: the SQL is invalid, names an unknown table or column, or fails to run.
        """
        if namespace is None:
            frame = sys._getframe(1)
            namespace = ChainMap(frame.f_locals, frame.f_globals)
        return self._run(text, params, namespace, _no_pii(no_pii))

    def _run(
        self,
        text: str,
        params: Mapping[str, Any] | Sequence[Any] | None,
        namespace: Mapping[str, Any],
        no_pii: NoPii = None,
    ) -> QueryResult:
        start = time.perf_counter()
        if not text.strip():
            raise UsageError("there is no SQL to run")
        self.notices = []
        engine = self.engine
        self.lakehouse.refresh(engine.con)
        text = colon_to_dollar(text)
        statements = split_cell(engine, text)
        if not statements:
            raise UsageError("there is no SQL to run (only comments?)")
        if params is not None and not isinstance(params, Mapping) and len(statements) > 1:
            raise QueryError(
                "positional parameters (?) work with a single statement; use $name for several",
                kind="parameter",
            )
        prediction = self._predict_cell(text, statements, params, namespace, no_pii)
        ran: _Ran | None = None
        executed: list[str] = []
        plan_ms = 0.0
        run_ms = 0.0
        for stmt in statements:
            ran = self._run_statement(stmt, params, namespace, no_pii)
            executed.append(ran.executed)
            plan_ms += ran.plan_ms
            run_ms += ran.execution.execute_ms + ran.execution.fetch_ms
        assert ran is not None
        last = ran.execution
        rows = last.table.num_rows if last.table is not None else None
        if not ran.cached:
            self.record_cost(text, prediction, run_ms, rows)
        lineage = None
        if ran.lineage_kind and last.table is not None and last.table.num_columns:
            graph = self.statement_lineage(ran.sql, ran.lineage_kind)
            if graph is not None:
                if ran.enforcement is not None:
                    graph = graph.mark_masked(m["column"] for m in ran.enforcement.masked)
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
            audit_id=ran.audit_id,
            lineage=lineage,
            compliance=ran.enforcement.to_report() if ran.enforcement is not None else None,
            cost=prediction.to_report(round(run_ms, 3)) if prediction is not None else None,
        )

    def _predict_cell(
        self,
        text: str,
        statements: list[Statement],
        params: Mapping[str, Any] | Sequence[Any] | None,
        namespace: Mapping[str, Any],
        no_pii: NoPii,
    ) -> Prediction | None:
        """The cell's predicted cost, once every statement passed the policy (else it raises).

        Only the plan is looked at (``EXPLAIN`` and Iceberg metadata), never the data; a cell
        reading no table is not predicted.
        """
        if "from" not in text.lower():
            return None
        for stmt in statements:  # cached: running the statement governs it again for free
            self.govern(snippet_mod.compose(stmt.query.strip(), self.snippets), stmt.type, no_pii)
        return self.predict(text, params, namespace=namespace)

    def _run_statement(
        self,
        stmt: Statement,
        params: Mapping[str, Any] | Sequence[Any] | None,
        namespace: Mapping[str, Any],
        no_pii: NoPii,
    ) -> _Ran:
        """Govern, plan and run one statement, and audit it (also when it fails)."""
        t0 = time.perf_counter()
        engine, lake = self.engine, self.lakehouse
        sql = snippet_mod.compose(stmt.query.strip(), self.snippets)  # at once when none is used
        kind = stmt.type
        writes = False
        try:
            bound = _bind(stmt.named_parameters, params, namespace)
            enforcement = self.govern(sql, kind, no_pii)
            run_sql = enforcement.sql if enforcement is not None else sql
            if has_time_travel(run_sql):
                run_sql = lake.rewrite_time_travel(run_sql, _parameter(params, namespace))
                if isinstance(bound, dict):  # a $name used as the version is a literal now
                    left = {n for s in engine.split(run_sql) for n in s.named_parameters}
                    bound = {k: v for k, v in bound.items() if k in left} or None
            plan = lake.analyze(run_sql, kind)
            plan_ms = (time.perf_counter() - t0) * 1000
            decisions = _decisions(enforcement)
            writes = plan is not None and plan.kind != "local_table"
            if writes:
                assert plan is not None
                execution, audit_id = self._write(sql, run_sql, kind, plan, bound, namespace,
                                                  enforcement, decisions)  # fmt: skip
                return _Ran(execution, audit_id, sql, run_sql, enforcement, None, plan_ms)
            if plan is not None:  # a session table takes the bare name of a lakehouse table
                lake.shadow(engine.con, plan.alias or "")
            cache_key = self._cache_key(sql, run_sql, kind, bound, namespace, enforcement, no_pii)
            cached = self.result_cache.get(cache_key) if cache_key is not None else None
            if cached is not None:
                execution = Execution(
                    cached, [str(t).upper() for t in cached.schema.types], kind, run_sql, 0.0, 0.0
                )
                execution.column_types = _duck_types(engine, cached)
            else:
                try:
                    execution = engine.run(run_sql, bound, namespace.get, statement_type=kind)
                except QueryError as err:
                    raise (lake.io_error(err) or err) from None
                if cache_key is not None and execution.table is not None:
                    self.result_cache.put(cache_key, execution.table)
            if kind == "SELECT":
                lake.access.observe(sql)
            rows = execution.table.num_rows if execution.table is not None else None
            audit_id = self.record(
                "query", sql, statement_type=kind, rows=rows, tables=self.tables_read(sql),
                executed_sql=run_sql if run_sql != sql else None,
                cached=True if cached is not None else None, **decisions,
            )  # fmt: skip
            if cached is not None:
                self.notices.append("from the result cache: the tables are at the same snapshots")
            ran = _Ran(execution, audit_id, sql, run_sql, enforcement, kind, plan_ms)
            ran.cached = cached is not None
            return ran
        except NeuroLakeError as err:
            if not isinstance(err, AuditError | PolicyViolation):  # those are audited already
                self.record(
                    "write" if writes else "query", sql, statement_type=kind,
                    error=f"{err.title}: {err.message}",
                )  # fmt: skip
            raise

    def _cache_key(
        self,
        sql: str,
        run_sql: str,
        kind: str,
        bound: Any,
        namespace: Mapping[str, Any],
        enforcement: Enforcement | None,
        no_pii: NoPii,
    ) -> CacheKey | None:
        """The result-cache key of a query over lakehouse tables (``None``: not cacheable).

        Results that show PII in clear are not cached: the cache spills to files.
        """
        import hashlib

        from neurolake_lab.cache import CacheKey

        if kind != "SELECT" or not self.lakehouse.access.tables_in(sql):
            return None
        if enforcement is not None:
            masked = {m["column"] for m in enforcement.masked}
            if any(c["column"] not in masked for c in enforcement.pii_columns):
                return None  # personal data in clear never goes into cache files
        version = enforcement.policy_version if enforcement is not None else "none"
        digest = hashlib.sha256(run_sql.encode()).hexdigest()[:16]
        context = f"{version}|{self.user}|{no_pii}|{digest}"
        key = self.result_cache.key(
            self, sql, policy_context=context, params=bound, namespace=namespace
        )
        return key if isinstance(key, CacheKey) else None

    def _write(
        self,
        sql: str,
        run_sql: str,
        kind: str,
        plan: LakeStatement,
        bound: Any,
        namespace: Mapping[str, Any],
        enforcement: Enforcement | None,
        decisions: dict[str, Any],
    ) -> tuple[Execution, str]:
        """Carry out a lakehouse write (lineage, carried PII tags), then audit it."""
        lake = self.lakehouse
        t1 = time.perf_counter()
        ctx = self.write_context(sql)
        graph = None
        if plan.table is not None:
            target = f"{plan.table[0]}.{plan.table[1]}"
            graph = self.statement_lineage(sql, kind, target)
            if graph is not None and enforcement is not None:
                graph = graph.mark_masked(m["column"] for m in enforcement.masked)
            ctx.column_lineage = graph.to_report() if graph is not None else None
            if plan.kind in ("ctas", "insert", "merge"):
                ctx.carried_tags = self.carried_tags(sql, plan.table)
        outcome = lake.execute(plan, bound, namespace.get, ctx)
        if graph is not None:
            self.notices.extend(self.emit_lineage(graph, ctx))
        elapsed = (time.perf_counter() - t1) * 1000
        self.notices.extend(outcome.notices)
        self.notices.extend(self._layout_notice(plan.table))
        audit_id = self.record(
            "write", sql, statement_type=kind, table=outcome.table, operation=outcome.operation,
            rows_added=outcome.rows_added, rows_removed=outcome.rows_removed,
            rows_updated=outcome.rows_updated or None, quarantined=outcome.quarantined,
            snapshot_id=outcome.snapshot_id, sources=self.tables_read(sql),
            executed_sql=run_sql if run_sql != sql else None,
            **decisions,
        )  # fmt: skip
        return Execution(outcome.to_arrow(), [], kind, run_sql, elapsed, 0.0), audit_id

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
        statements = split_cell(self.engine, colon_to_dollar(text))
        if not statements:
            raise UsageError("there is no SQL to explain")
        stmt = statements[-1]
        sql = snippet_mod.compose(stmt.query.strip(), self.snippets)
        enforcement = self.govern(sql, stmt.type)
        run_sql = enforcement.sql if enforcement is not None else sql
        if has_time_travel(run_sql):
            run_sql = self.lakehouse.rewrite_time_travel(run_sql, _parameter(params, namespace))
        return self.engine.explain(run_sql, _bind(stmt.named_parameters, params, namespace))

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
        self.lakehouse.refresh(self.engine.con)  # Iceberg tables are views made by the refresh
        self.engine.columns(table)  # a clear error naming the table if it is unknown
        return self._run(f"DESCRIBE {table}", None, {})

    def profile(self, table: str) -> QueryResult:
        """Per-column statistics of ``table``: min, max, distinct values, nulls, quartiles."""
        self.lakehouse.refresh(self.engine.con)
        self.engine.columns(table)
        return self._run(f"SUMMARIZE {table}", None, {})

    # -- lifetime -------------------------------------------------------------------------

    def close(self) -> None:
        """Release the engine and its spill folder; the session can be used again afterwards."""
        lake, audit, engine = self._lakehouse, self._audit, self._engine
        policies, self._policies = self._policies, None
        self._lakehouse = self._audit = self._engine = None
        if self._pipelines is not None:
            self._pipelines.close()
            self._pipelines = None
        try:
            if lake is not None:
                lake.close()
            if audit is not None:
                audit.close()
            if policies is not None:
                policies.close()
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


@dataclass
class _Ran:
    """One statement that ran: its result, its audit record, and what governed it."""

    execution: Execution
    audit_id: str
    sql: str  # as asked (snippets composed)
    executed: str  # as run (policy and time travel applied)
    enforcement: Enforcement | None
    lineage_kind: str | None  # the statement type of a query, None for a write
    plan_ms: float
    cached: bool = False


def _duck_types(engine: DuckDBEngine, table: pa.Table) -> list[str]:
    """DuckDB's type names for the columns of an Arrow table (a cached result's columns)."""
    return [str(t) for t in engine.con.from_arrow(table.schema.empty_table()).types]


def _decisions(enforcement: Enforcement | None) -> dict[str, Any]:
    """The policy decisions an audit record of a statement carries (none without a policy)."""
    if enforcement is None or not (
        enforcement.rewritten or enforcement.pii_columns or enforcement.warnings
    ):
        return {}
    report = enforcement.to_report()
    return {"policy_version": enforcement.policy_version, **report}


def _no_pii(value: bool | str | None) -> NoPii:
    """``no_pii=True`` means mask; ``"mask"`` and ``"drop"`` as they say."""
    if value in (None, False):
        return None
    if value is True or value == "mask":
        return "mask"
    if value == "drop":
        return "drop"
    raise UsageError(f"no_pii must be True, 'mask' or 'drop', not {value!r}")


def _parameter(
    params: Mapping[str, Any] | Sequence[Any] | None, namespace: Mapping[str, Any]
) -> Callable[[str], Any]:
    """Looks up ``$name`` the way statements bind it: given params first, then the namespace."""

    def value(name: str) -> Any:
        found = _bind({name}, params if isinstance(params, Mapping) else None, namespace)
        return found[name] if isinstance(found, dict) else None

    return value


def _table_listing(local: pa.Table, lake: Lakehouse) -> pa.Table:
    """The session's own tables (not the lakehouse's views) followed by the Iceberg tables."""
    import pyarrow as pa

    rows = [
        {**row, "description": None}
        for row in local.to_pylist()
        if (row["schema"], row["name"]) not in lake.pointers
        and not lake.is_alias(row["schema"], row["name"])
        and not row["name"].startswith("__nl_")  # the policy's own temp tables (masking salt)
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

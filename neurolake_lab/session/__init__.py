"""``Session``: the one object a notebook holds (``neurolake_lab.connect``).

A thin facade: the session's services (engine, lakehouse, policies, audit, cost model, cache,
index, language model) are built in :class:`~neurolake_lab.services.Services`; a cell runs through
the cell pipeline (:mod:`neurolake_lab.cell`); a question through the agents; the table and PII
methods live in their own facades (``session/tables.py``, ``session/governance.py``). Each method
here builds what it needs and delegates — docs/architecture.md follows one cell through.
"""

from __future__ import annotations

import os
import sys
from collections import ChainMap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from neurolake_lab import snippets as snippet_mod
from neurolake_lab.cell import CellPlan, run_cell
from neurolake_lab.config import Settings, Workspace, resolve_settings
from neurolake_lab.engine.params import colon_to_dollar
from neurolake_lab.exceptions import SnippetError, UsageError
from neurolake_lab.services import Services
from neurolake_lab.session.governance import GovernanceOps
from neurolake_lab.session.tables import TableOps

if TYPE_CHECKING:
    from datetime import timedelta

    from neurolake_lab.agents.answer import NLResult
    from neurolake_lab.agents.orchestrator import Orchestrator
    from neurolake_lab.cache import ResultCache
    from neurolake_lab.compliance.audit import AuditStore
    from neurolake_lab.compliance.pii.tags import PiiTag
    from neurolake_lab.compliance.policy import NoPii, PolicyStore
    from neurolake_lab.context import QueryContext
    from neurolake_lab.cost import CostModel, Prediction
    from neurolake_lab.engine import DuckDBEngine
    from neurolake_lab.lakehouse import Lakehouse
    from neurolake_lab.lakehouse.access_patterns import LayoutSuggestion
    from neurolake_lab.lakehouse.erasure import ErasureReport
    from neurolake_lab.lakehouse.maintenance import MaintenanceReport
    from neurolake_lab.lakehouse.quality import QualityRules
    from neurolake_lab.lakehouse.tables import WriteContext, WriteOutcome
    from neurolake_lab.lineage.tracker import WorkspaceLineage
    from neurolake_lab.pipelines import Pipelines
    from neurolake_lab.pipelines.build import PipelineBuild
    from neurolake_lab.result import QueryResult


class Session:
    """A connection to a NeuroLake workspace: governed SQL and questions, tables, lineage, cost."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.workspace = Workspace(settings.workspace)
        self.services = Services(settings)
        self._tables = TableOps(self.services)
        self._governance = GovernanceOps(self.services)
        self._orchestrator: Orchestrator | None = None
        self._pipelines: Pipelines | None = None

    # -- who, and with what ---------------------------------------------------------------

    @property
    def user(self) -> str:
        """Who this session acts as."""
        return self.settings.user

    @property
    def engine(self) -> DuckDBEngine:
        """The session's DuckDB engine, started on first use (kernel start stays fast)."""
        return self.services.engine

    @property
    def lakehouse(self) -> Lakehouse:
        """The workspace's Iceberg tables as this session sees them (pyiceberg loads lazily)."""
        return self.services.lakehouse

    @property
    def query(self) -> QueryContext:
        """The engine, lakehouse, snippets and settings, as the lower layers take them."""
        return self.services.query

    @property
    def snippets(self) -> dict[str, str]:
        """Saved queries later cells use as tables (``--save``)."""
        return self.services.snippets

    @property
    def cell_context(self) -> dict[str, Any] | None:
        """Where the code running now comes from (notebook, cell id, execution count)."""
        return self.services.cell_context

    @cell_context.setter
    def cell_context(self, value: dict[str, Any] | None) -> None:
        self.services.cell_context = value

    @property
    def audit(self) -> AuditStore:
        """The workspace's tamper-evident audit log (``.verify()``, ``.tail(n)``)."""
        return self.services.audit

    @property
    def policies(self) -> PolicyStore:
        """The workspace's policy store (``policies.yaml``, re-read when it changes)."""
        return self.services.policies

    @property
    def cost_model(self) -> CostModel:
        """The workspace's cost model (history in ``catalog.db``, shared by every kernel)."""
        return self.services.cost_model

    @property
    def result_cache(self) -> ResultCache:
        """Results keyed by SQL, input snapshots and policy context (memory, then disk)."""
        return self.services.result_cache

    def write_context(self, sql: str | None = None) -> WriteContext:
        """Who writes and from which cell: what a write's snapshot summary records."""
        return self.services.write_context(sql)

    def tables_read(self, sql: str) -> dict[str, int | None]:
        """The Iceberg tables ``sql`` names, with the snapshot each is read at now."""
        return self.services.recorder.tables_read(sql)

    def record(self, kind: str, sql: str | None = None, **data: Any) -> str:
        """Append one audit record as this session's user (SQL redacted); returns its id."""
        return self.services.recorder.record(kind, sql, **data)

    @property
    def orchestrator(self) -> Orchestrator:
        """The agents that answer this session's questions (they keep the conversation)."""
        if self._orchestrator is None:
            from neurolake_lab.agents import orchestrator_for

            self._orchestrator = orchestrator_for(self.services)
        return self._orchestrator

    @property
    def pipelines(self) -> Pipelines:
        """The workspace's data pipelines: create, run, schedule, monitor them."""
        if self._pipelines is None:
            import dataclasses

            from neurolake_lab.pipelines import Pipelines

            settings = self.settings
            self._pipelines = Pipelines(
                self,
                lambda user: Session(dataclasses.replace(settings, user=user)),
                build=self._build_pipeline,
            )
        return self._pipelines

    def _build_pipeline(self, question_or_sql: str, into: str, **options: Any) -> PipelineBuild:
        """The Data Engineer builds a pipeline for this session (``pipelines.build``)."""
        orchestrator = self.orchestrator
        context = orchestrator.context(options={"learn": True})
        engineer = orchestrator.engineer
        return engineer.build_pipeline(question_or_sql, into, context, self, **options)

    # -- SQL and questions ----------------------------------------------------------------

    def sql(
        self,
        text: str,
        params: Mapping[str, Any] | Sequence[Any] | None = None,
        *,
        namespace: Mapping[str, Any] | None = None,
        no_pii: bool | str = False,
        engine: str | None = None,
    ) -> QueryResult:
        """Run the statements in ``text`` and return the last one's result.

        Args:
            text: one or more SQL statements (DuckDB's dialect), separated by ``;``.
            params: values for ``$name``/``:name`` placeholders (a mapping) or for ``?`` (a list).
            namespace: where placeholders without a value and DataFrames used as tables are looked
                up; by default the caller's variables, as ``duckdb.sql`` does.
            no_pii: ``True`` (or ``"mask"``) masks every PII-tagged column the query reads, for
                anyone; ``"drop"`` leaves the result columns derived from PII out.
            engine: ``"duckdb"``, ``"daft"`` or ``"daft-ray"`` for this call's queries (default:
                ``$NEUROLAKE_ENGINE``, else DuckDB); governance is the same on each.

        Raises:
            QueryError: the SQL is invalid, names an unknown table or column, or fails to run.
            PolicyViolation: the workspace's policies refuse a statement.
        """
        if namespace is None:
            frame = sys._getframe(1)
            namespace = ChainMap(frame.f_locals, frame.f_globals)
        plan = CellPlan(text, params, namespace, no_pii=no_pii_mode(no_pii), user=self.user,
                        engine=engine)  # fmt: skip
        return run_cell(plan, self.services)

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
        return self.orchestrator.ask(question, follow_up, **options)

    def explain(
        self,
        text: str,
        params: Mapping[str, Any] | None = None,
        *,
        namespace: Mapping[str, Any] | None = None,
    ) -> str:
        """DuckDB's plan for the last statement of ``text``, without running it."""
        from neurolake_lab.cell import explain

        return explain(self.services, text, params, namespace)

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

    # -- cost and preflight ---------------------------------------------------------------

    def predict(
        self,
        text: str,
        params: Mapping[str, Any] | Sequence[Any] | None = None,
        *,
        namespace: Mapping[str, Any] | None = None,
        suggest: bool = True,
    ) -> Prediction | None:
        """The predicted cost of a cell (``None`` when it cannot be planned, e.g. a typo)."""
        from neurolake_lab.cell.predict import predict_text

        return predict_text(self.services, text, params, namespace, suggest=suggest)

    def answered_by_cache(
        self,
        text: str,
        *,
        namespace: Mapping[str, Any] | None = None,
        no_pii: bool | str = False,
        engine: str | None = None,
    ) -> bool:
        """Whether the result cache would answer the cell now (it then needs no prediction)."""
        from neurolake_lab.cell.cache import text_answered

        return text_answered(
            self.services, text, namespace if namespace is not None else {},
            no_pii=no_pii_mode(no_pii), user=self.user, engine=engine,
        )  # fmt: skip

    def preflight(
        self, text: str, *, no_pii: bool | str = False, engine: str | None = None
    ) -> dict[str, Any]:
        """Cost, lineage and compliance of a ``%%sql`` cell, without running it.

        A cell the result cache would answer says so (``cached``) and is not predicted.
        """
        from neurolake_lab.cell import preflight

        return preflight(self.services, text, no_pii_mode(no_pii), engine)

    def preflight_question(self, question: str) -> dict[str, Any]:
        """Preflight of a ``%%nl`` question (the offline planner's SQL; never the LLM)."""
        from neurolake_lab.agents.preflight import preflight_question

        return preflight_question(self.orchestrator, question)

    # -- exploring ------------------------------------------------------------------------

    def tables(self) -> QueryResult:
        """Every table the session can query: Iceberg tables and the session's own."""
        return self._tables.tables()

    def describe(self, table: str) -> QueryResult:
        """Columns of ``table`` with their types and whether they allow NULL."""
        return self._explore("DESCRIBE", table)

    def profile(self, table: str) -> QueryResult:
        """Per-column statistics of ``table``: min, max, distinct values, nulls, quartiles."""
        return self._explore("SUMMARIZE", table)

    def _explore(self, verb: str, table: str) -> QueryResult:
        self.lakehouse.refresh(self.engine.con)
        self.engine.columns(table)  # a clear error naming the table if it is unknown
        return run_cell(CellPlan(f"{verb} {table}", user=self.user), self.services)

    def lineage(self, target: str, direction: str = "upstream", depth: int = 5) -> WorkspaceLineage:
        """The lineage of a stored column (``ns.t.col``) or table (``ns.t``) across writes.

        Follows the column lineage every write recorded in its snapshot summary, ``depth``
        writes far, ``"upstream"`` (where it came from) or ``"downstream"`` (what was made
        from it).
        """
        return self.services.lineage.lineage(target, direction, depth)

    # -- tables (session/tables.py) -------------------------------------------------------

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
        (with ``partition_by`` such as ``["month(order_date)"]``, ``sort_by``, column ``docs``
        and a ``description``). Columns match by name; the write is checked and is one commit.
        """
        return self._tables.write(
            table, data, mode, partition_by=partition_by, sort_by=sort_by, docs=docs,
            description=description, properties=properties,
        )  # fmt: skip

    def snapshots(self, table: str) -> QueryResult:
        """The snapshots of an Iceberg table, newest first: id, time, operation, rows, who, cell."""
        return self._tables.snapshots(table)

    def rollback(self, table: str, snapshot_id: int) -> WriteOutcome:
        """Make ``snapshot_id`` the current snapshot of ``table`` again (as ``%rollback``)."""
        return self._tables.rollback(table, snapshot_id)

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

        Time travel inside the retention keeps working; the report says what each step did.
        """
        return self._tables.maintain(
            table, expire_older_than=expire_older_than, retain_last=retain_last, compact=compact,
            small_file_mb=small_file_mb, remove_orphans=remove_orphans,
            orphans_older_than=orphans_older_than,
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

        ``on_failure`` is ``"refuse"`` (the write is refused with the offending rows) or
        ``"quarantine"`` (bad rows go to ``<table>__quarantine`` and the rest is written).
        """
        return self._tables.set_quality(
            table, not_null=not_null, unique=unique, accepted_values=accepted_values,
            ranges=ranges, rows_per_write=rows_per_write, checks=checks, on_failure=on_failure,
        )  # fmt: skip

    def quality(self, table: str) -> QualityRules:
        """The quality checks declared on ``table``."""
        return self._tables.quality(table)

    def layout(self, table: str) -> LayoutSuggestion | None:
        """The partitioning/sort order the table's recorded access patterns call for, if any."""
        return self._tables.layout(table)

    def apply_layout(self, table: str) -> WriteOutcome:
        """Apply the suggested layout: new partitioning/sort order, files rewritten to match."""
        return self._tables.apply_layout(table)

    # -- PII (session/governance.py) ------------------------------------------------------

    def classify_pii(self, table: str) -> dict[str, PiiTag]:
        """The PII tag of every column of ``table`` (classifying columns without one now)."""
        return self._governance.classify_pii(table)

    def set_pii(self, table: str, column: str, entity: str | None) -> PiiTag:
        """Override the tag of one column (``entity=None``: not PII); overrides persist."""
        return self._governance.set_pii(table, column, entity)

    def erase(self, table: str, predicate: str) -> ErasureReport:
        """Right to erasure: delete the rows matching ``predicate`` from ``table`` for good."""
        return self._governance.erase(table, predicate)

    def publish_policy(self, text: str) -> int:
        """Make ``text`` the shared policy in force (PostgreSQL catalog; the owner only)."""
        return self._governance.publish_policy(text)

    # -- lifetime -------------------------------------------------------------------------

    def close(self) -> None:
        """Release the engine and its spill folder; the session can be used again afterwards."""
        if self._pipelines is not None:
            self._pipelines.close()
            self._pipelines = None
        self.services.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"<neurolake_lab.Session workspace={str(self.settings.workspace)!r} user={self.user!r}>"
        )


def no_pii_mode(value: bool | str | None) -> NoPii:
    """``no_pii=True`` means mask; ``"mask"`` and ``"drop"`` as they say."""
    if value in (None, False):
        return None
    if value is True or value == "mask":
        return "mask"
    if value == "drop":
        return "drop"
    raise UsageError(f"no_pii must be True, 'mask' or 'drop', not {value!r}")


def connect(
    workspace: str | os.PathLike[str] | None = None, *, user: str | None = None, **settings: Any
) -> Session:
    """Open a session on ``workspace`` (default ``$NEUROLAKE_WORKSPACE``, else ``~/.neurolake``)."""
    return Session(resolve_settings(workspace, user=user, **settings))

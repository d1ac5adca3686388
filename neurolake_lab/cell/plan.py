"""``CellPlan``: one cell on its way through the pipeline, as plain data.

The stages (one module each, run in the order ``pipeline.py`` writes down) read and fill it in:
the statements and their parsed parts, the bound parameters, who runs it, what the policies
decided, the predicted cost, the cache key, what ran and how long each part took. Nothing here
acts; a newcomer can print a plan to see what happened to a cell.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from neurolake_lab.cache import CacheKey
    from neurolake_lab.compliance.policy import Enforcement, NoPii
    from neurolake_lab.cost import Prediction
    from neurolake_lab.engine import Execution
    from neurolake_lab.engine.params import Bound, Params
    from neurolake_lab.lakehouse.dialect import Statement
    from neurolake_lab.lakehouse.statements import LakeStatement
    from neurolake_lab.lakehouse.tables import WriteOutcome
    from neurolake_lab.result import QueryResult


@dataclass
class StatementPlan:
    """One statement of the cell.

    Attributes:
        statement: As split from the cell (text, DuckDB's statement type, ``$name`` parameters).
        sql: The statement with the session's snippets composed in (what was asked).
        bound: The values bound to its parameters.
        enforcement: What the policies did to it (``None``: nothing to govern).
        run_sql: What runs: policy rewrites and time travel applied.
        target: The lakehouse's reading of it (a write to an Iceberg table, a session table...).
        cache_key: Its result-cache key, when its result may be cached.
        execution: What it produced.
        outcome: For a write, what the commit did (rows added and removed, the snapshot).
        cached: Whether the result came from the result cache.
        audit_id: Its audit record.
        lineage: For a write, the column lineage committed with it (report shape).
        plan_ms: Time from the start of the statement to the start of its execution.
    """

    statement: Statement
    sql: str
    bound: Bound = None
    enforcement: Enforcement | None = None
    run_sql: str = ""
    target: LakeStatement | None = None
    cache_key: CacheKey | None = None
    execution: Execution | None = None
    outcome: WriteOutcome | None = None
    cached: bool = False
    audit_id: str | None = None
    lineage: dict[str, Any] | None = None
    started: float = field(default_factory=time.perf_counter)
    plan_ms: float = 0.0

    @property
    def kind(self) -> str:
        """DuckDB's statement type (``SELECT``, ``CREATE``...)."""
        return self.statement.type

    @property
    def writes(self) -> bool:
        """Whether it writes to the lakehouse (rather than querying or a session table)."""
        return self.target is not None and self.target.kind != "local_table"


@dataclass
class CellPlan:
    """One cell: its text, its context, its statements and what became of them.

    Attributes:
        text: The cell's SQL as written.
        params: Values given for its placeholders (mapping or sequence), if any.
        namespace: Where other placeholders and DataFrames used as tables are looked up.
        no_pii: ``"mask"``/``"drop"`` to hide every PII column for anyone (``--no-pii``).
        user: Who runs it.
        engine: The engine for its queries (``None``: the session's, see ``cell.engines``).
        audit: Whether the pipeline records what it did (a preview does not).
        question: For a ``%%nl`` answer, the question it answers: the cell is audited once, as
            the question with the SQL it became and what the policies decided.
        drafted_sql: For a ``%%nl`` answer, the SQL written for the question (before review).
        source: For a ``%%nl`` answer, where the SQL came from (planner, template, llm, edited).
        statements: Its statements, in order.
        prediction: Its predicted cost (``None`` when it reads no table or cannot be planned).
        lineage: The column lineage of its result (report shape).
        notices: Messages for the user (quarantined rows, layout advice, cache hits).
        result: The result of the last statement.
        timings: Milliseconds per part.
    """

    text: str
    params: Params = None
    namespace: Mapping[str, Any] = field(default_factory=dict)
    no_pii: NoPii = None
    user: str = ""
    engine: str | None = None
    audit: bool = True
    question: str | None = None
    drafted_sql: str | None = None
    source: str | None = None
    statements: list[StatementPlan] = field(default_factory=list)
    prediction: Prediction | None = None
    lineage: dict[str, Any] | None = None
    notices: list[str] = field(default_factory=list)
    result: QueryResult | None = None
    timings: dict[str, float] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)

    @property
    def last(self) -> StatementPlan:
        """The last statement (whose result is the cell's)."""
        return self.statements[-1]

    @property
    def run_ms(self) -> float:
        """Time spent running statements (execute and fetch), all of them."""
        return sum(
            s.execution.execute_ms + s.execution.fetch_ms
            for s in self.statements
            if s.execution is not None
        )

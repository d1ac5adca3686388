"""``NLResult``: the answer to a question (``Session.ask``, ``%%nl``).

It carries the question, how it was read (``intent``, ``explanation``), the SQL, the query's
result (a :class:`~neurolake_lab.result.QueryResult`, or None when only SQL was asked for) and the
cell report with ``kind: "nl"``. Its display in a notebook is that report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from neurolake_lab import report as report_contract
from neurolake_lab.pages import with_pages

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from neurolake_lab.agents.intent import Intent
    from neurolake_lab.result import QueryResult


class NLResult:
    """A question, its reading, its SQL and its result.

    Attributes:
        question: As asked.
        intent: How it was read (:class:`~neurolake_lab.agents.intent.Intent`).
        sql: The SQL written for it (before compliance rewrites; ``executed_sql`` after).
        executed_sql: What ran (or would run, for SQL-only answers).
        result: The query's result; None when the question was not run (``execute=False``).
        explanation: One or two sentences on how the question was read.
        report: The cell report (``kind: "nl"``, with ``question`` and ``intent``).
        source: ``planner``, ``template`` or ``llm``.
        audit_id: The audit record of the run, if it ran.
    """

    def __init__(
        self,
        *,
        question: str,
        intent: Intent,
        sql: str,
        executed_sql: str,
        result: QueryResult | None,
        explanation: str,
        report: dict[str, Any],
        source: str,
        audit_id: str | None = None,
    ) -> None:
        self.question = question
        self.intent = intent
        self.sql = sql
        self.executed_sql = executed_sql
        self.result = result
        self.explanation = explanation
        self.report = report
        self.source = source
        self.audit_id = audit_id

    def arrow(self) -> pa.Table:
        """The result as Arrow (raises when the question was not run)."""
        return self._ran().arrow()

    def df(self) -> pd.DataFrame:
        """The result as pandas (raises when the question was not run)."""
        return self._ran().df()

    def _ran(self) -> QueryResult:
        if self.result is None:
            from neurolake_lab.exceptions import UsageError

            raise UsageError("this question was not run (SQL only); run it with execute=True")
        return self.result

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        if self.result is None:
            return report_contract.report_bundle(self.report)
        paged = with_pages(self.report, self.result.arrow())
        return report_contract.report_bundle(paged)

    def __repr__(self) -> str:
        return f"{self.explanation}\n{self.sql}\n{report_contract.report_text(self.report)}"

"""The compliance step of a ``%%nl`` cell: an interface the compliance layer fills in.

The orchestrator hands every generated query to a :class:`ComplianceAgent` before it runs; the
agent may rewrite it (mask columns, add row filters), refuse it, and says what it did in the
report's ``compliance`` part. Until the policy engine is wired in, :class:`PassThroughCompliance`
lets the query through unchanged and reports nothing — it decides nothing, so it claims nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from neurolake_lab.agents.intent import Intent
    from neurolake_lab.exceptions import NeuroLakeError
    from neurolake_lab.services import Services


@dataclass(frozen=True)
class ReviewRequest:
    """What the compliance and optimizer steps are asked about.

    Attributes:
        question: The question as asked.
        sql: The SQL to review.
        intent: How the question was read.
        user: Who asks.
        services: The session's services (its engine, lakehouse, policies, cost model).
        pii_columns: PII column names per table id, as the metadata index knows them.
    """

    question: str
    sql: str
    intent: Intent
    user: str
    services: Services
    pii_columns: dict[str, set[str]] = field(default_factory=dict)


@dataclass
class ComplianceDecision:
    """The compliance step's answer: the SQL to run and the report's ``compliance`` part.

    ``refusal``, when set, is raised instead of running anything.
    """

    sql: str
    pii_columns: list[dict[str, Any]] = field(default_factory=list)
    masked: list[dict[str, Any]] = field(default_factory=list)
    row_filters: list[dict[str, Any]] = field(default_factory=list)
    denied: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    refusal: NeuroLakeError | None = None

    def report(self) -> dict[str, Any]:
        """The report's ``compliance`` object."""
        return {
            "pii_columns": list(self.pii_columns),
            "masked": list(self.masked),
            "row_filters": list(self.row_filters),
            "denied": list(self.denied),
            "warnings": list(self.warnings),
        }


@runtime_checkable
class ComplianceAgent(Protocol):
    """Reviews a query before it runs (perceive -> reason -> act in one call)."""

    name: str

    def review(self, request: ReviewRequest) -> ComplianceDecision:
        """The decision on ``request.sql``."""
        ...


class PassThroughCompliance:
    """The default until the policy engine is wired in: the SQL runs as written."""

    name = "compliance (pass-through)"

    def review(self, request: ReviewRequest) -> ComplianceDecision:
        """Lets the query through unchanged."""
        return ComplianceDecision(sql=request.sql)

"""The optimizer step of a ``%%nl`` cell: an interface the cost model fills in.

After compliance, the orchestrator asks an :class:`OptimizerAgent` for a prediction of the
query's cost (and, optionally, a cheaper equivalent SQL); the answer fills the report's ``cost``
part. Until the predictive optimizer is wired in, :class:`PassThroughOptimizer` predicts nothing
and changes nothing, so the report says honestly that there is no prediction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from neurolake_lab.agents.compliance import ReviewRequest


@dataclass
class OptimizerDecision:
    """The SQL to run and the predicted cost (None where there is no prediction)."""

    sql: str
    predicted_ms: float | None = None
    estimated_rows: int | None = None
    estimated_bytes: int | None = None
    confidence: float | None = None
    suggestions: list[dict[str, Any]] = field(default_factory=list)

    def cost(self) -> dict[str, Any]:
        """The prediction part of the report's ``cost`` object."""
        return {
            "predicted_ms": self.predicted_ms,
            "estimated_rows": self.estimated_rows,
            "estimated_bytes": self.estimated_bytes,
            "confidence": self.confidence,
            "suggestions": list(self.suggestions),
        }


@runtime_checkable
class OptimizerAgent(Protocol):
    """Predicts a query's cost and may propose a cheaper equivalent."""

    name: str

    def review(self, request: ReviewRequest) -> OptimizerDecision:
        """The decision on ``request.sql``."""
        ...


class PassThroughOptimizer:
    """The default until the cost model is wired in: no prediction, no rewrite."""

    name = "optimizer (pass-through)"

    def review(self, request: ReviewRequest) -> OptimizerDecision:
        """Predicts nothing and keeps the SQL."""
        return OptimizerDecision(sql=request.sql)

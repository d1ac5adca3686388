"""What the cost model says about a cell before it runs: ``Prediction`` and its ``Suggestion``s."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from neurolake_lab.cost.estimate import StatementEstimate


@dataclass(frozen=True)
class Suggestion:
    """A cheaper way to write the cell, with what the cost model expects it to save.

    ``rewrite`` is the whole cell rewritten (apply it with one click or ``--optimize``);
    ``equivalent`` is True when the rewrite returns exactly the same result, False when it
    changes what is returned on purpose (fewer columns, a ``LIMIT``), which ``message`` says.
    """

    kind: str
    message: str
    rewrite: str | None = None
    predicted_ms: float | None = None
    predicted_saving_ms: float | None = None
    predicted_saving_bytes: int | None = None
    equivalent: bool = True

    def to_report(self) -> dict[str, Any]:
        """The suggestion as the cell report's ``cost.suggestions[]`` entry."""
        out: dict[str, Any] = {
            "kind": self.kind,
            "message": self.message,
            "equivalent": self.equivalent,
        }
        if self.rewrite is not None:
            out["rewrite"] = self.rewrite
        if self.predicted_saving_ms is not None:
            out["predicted_saving_ms"] = round(max(self.predicted_saving_ms, 0.0), 3)
        if self.predicted_saving_bytes is not None:
            out["predicted_saving_bytes"] = max(int(self.predicted_saving_bytes), 0)
        return out


@dataclass
class Prediction:
    """Predicted cost of a cell: duration, rows out, bytes scanned, and how sure that is.

    ``basis`` says where the duration came from: ``"analytic"`` (fixed rates, no history yet),
    ``"model"`` (the learned model), ``"repeat"`` (earlier runs of the same statement over the
    same snapshots) or ``"none"`` (nothing in the cell can be planned, e.g. only ``SET``).
    """

    predicted_ms: float | None
    estimated_rows: int | None
    estimated_bytes: int | None
    confidence: float | None
    suggestions: list[Suggestion] = field(default_factory=list)
    statements: list[StatementEstimate] = field(default_factory=list)
    basis: str = "none"
    #: log-space standard deviation of the duration error (what ``confidence`` is made of)
    spread: float | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def to_report(self, actual_ms: float | None = None) -> dict[str, Any]:
        """The cell report's ``cost`` part (``schema/report.schema.json``)."""
        return {
            "predicted_ms": round(self.predicted_ms, 3) if self.predicted_ms is not None else None,
            "estimated_rows": self.estimated_rows,
            "estimated_bytes": self.estimated_bytes,
            "actual_ms": actual_ms,
            "confidence": round(self.confidence, 3) if self.confidence is not None else None,
            "suggestions": [s.to_report() for s in self.suggestions],
        }

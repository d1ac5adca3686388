"""What the cost model says about a cell before it runs: ``Prediction`` and its ``Suggestion``s."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from neurolake_lab.cost.cardinality import JoinEstimate
from neurolake_lab.cost.estimate import StatementEstimate

#: z of the 10th and 90th percentiles: the interval shown is where 80% of outcomes fall
INTERVAL_Z = 1.2816
#: predicted and actual further apart than this (either way) are flagged in the report
MISPREDICTION_FACTOR = 5.0
#: a suggestion is a warning only when it saves at least this share of the predicted time ...
WARNING_SHARE = 0.25
#: ... and at least this much time (a 0.4 ms saving is never worth an orange badge)
WARNING_MIN_MS = 100.0
#: advice without a rewrite (an exploding join) is a warning when the cell may take this long
ADVICE_WARNING_MS = 1000.0


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
    #: the share of the cell's predicted time the rewrite saves
    saving_share: float | None = None
    #: ``warning`` when it matters (a large share of a noticeable time), else ``info``
    severity: str = "info"

    def to_report(self) -> dict[str, Any]:
        """The suggestion as the cell report's ``cost.suggestions[]`` entry."""
        out: dict[str, Any] = {
            "kind": self.kind,
            "message": self.message,
            "equivalent": self.equivalent,
            "severity": self.severity,
        }
        if self.saving_share is not None:
            out["saving_share"] = round(min(max(self.saving_share, 0.0), 1.0), 3)
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
    #: log-space spread of the rows-out estimate
    rows_spread: float | None = None
    #: the joins of the cell's statements, classified, with their estimated rows
    joins: list[JoinEstimate] = field(default_factory=list)

    @property
    def interval_ms(self) -> tuple[float, float] | None:
        """Where the duration falls 80% of the time (10th and 90th percentile), if predicted."""
        if self.predicted_ms is None or self.spread is None:
            return None
        k = math.exp(INTERVAL_Z * self.spread)
        return self.predicted_ms / k, self.predicted_ms * k

    @property
    def rows_interval(self) -> tuple[int, int] | None:
        """Where the rows out fall 80% of the time, if estimated."""
        if self.estimated_rows is None or self.rows_spread is None:
            return None
        k = math.exp(INTERVAL_Z * self.rows_spread)
        return math.floor(self.estimated_rows / k), math.ceil(self.estimated_rows * k)

    def to_report(
        self, actual_ms: float | None = None, actual_rows: int | None = None
    ) -> dict[str, Any]:
        """The cell report's ``cost`` part (``schema/report.schema.json``).

        Predicted and actual side by side (time and rows), the interval, how the joins were
        read, and ``misprediction`` when the two differ by more than ``MISPREDICTION_FACTOR``.
        """
        out: dict[str, Any] = {
            "predicted_ms": round(self.predicted_ms, 3) if self.predicted_ms is not None else None,
            "estimated_rows": self.estimated_rows,
            "estimated_bytes": self.estimated_bytes,
            "actual_ms": actual_ms,
            "confidence": round(self.confidence, 3) if self.confidence is not None else None,
            "suggestions": [s.to_report() for s in self.suggestions],
            "basis": self.basis,
        }
        interval = self.interval_ms
        if interval is not None:
            out["interval_ms"] = {"low": round(interval[0], 3), "high": round(interval[1], 3)}
        rows = self.rows_interval
        if rows is not None:
            out["rows_interval"] = {"low": rows[0], "high": rows[1]}
        if actual_rows is not None:
            out["actual_rows"] = actual_rows
        if self.joins:
            out["joins"] = [j.to_report() for j in self.joins]
        out["misprediction"] = misprediction(self.predicted_ms, actual_ms)
        return out


def misprediction(predicted_ms: float | None, actual_ms: float | None) -> dict[str, Any] | None:
    """``{ratio, direction, factor}`` when actual and predicted differ by more than 5x."""
    if predicted_ms is None or actual_ms is None or predicted_ms <= 0 or actual_ms <= 0:
        return None
    ratio = max(actual_ms / predicted_ms, predicted_ms / actual_ms)
    if ratio <= MISPREDICTION_FACTOR:
        return None
    direction = "slower" if actual_ms > predicted_ms else "faster"
    return {"ratio": round(ratio, 1), "direction": direction, "factor": MISPREDICTION_FACTOR}

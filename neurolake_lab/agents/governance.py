"""The orchestrator's compliance and optimizer steps: the workspace's policies and cost model.

These are the seed's ``ComplianceAgent`` and ``OptimizerAgent``.

``PolicyComplianceAgent`` says, before anything runs, what the policies will do to the generated
query (it never rewrites: the cell pipeline governs every statement when it runs, on every path, so
the same rewrite cannot be skipped or applied twice). ``CostOptimizerAgent`` predicts the query's
cost with the workspace's learned model and lists cheaper rewrites; with ``optimize`` it runs the
best one that returns the same result.
"""

from __future__ import annotations

from neurolake_lab.agents.compliance import ComplianceDecision, ReviewRequest
from neurolake_lab.agents.optimizer import OptimizerDecision


class PolicyComplianceAgent:
    """Reviews a generated query against the workspace's policies (perceive → reason)."""

    name = "compliance (workspace policies)"

    def review(self, request: ReviewRequest) -> ComplianceDecision:
        """What the policies do to ``request.sql`` for ``request.user``; a refusal raises."""
        from neurolake_lab.compliance.policy import PolicyViolation

        try:
            result = request.services.governor.govern(request.sql, "SELECT", audit=False)
        except PolicyViolation as err:
            # run it anyway through the cell pipeline, which audits the attempt and raises the same
            enforcement = err.enforcement
            return ComplianceDecision(
                sql=request.sql,
                denied=[dict(d) for d in enforcement.denied] if enforcement else [],
                warnings=[err.message],
            )
        if result is None:
            return ComplianceDecision(sql=request.sql)
        report = result.to_report()
        return ComplianceDecision(
            sql=request.sql,
            pii_columns=report["pii_columns"],
            masked=report["masked"],
            row_filters=report["row_filters"],
            denied=report["denied"],
            warnings=report["warnings"],
        )


class CostOptimizerAgent:
    """Predicts a query's cost and proposes (or, asked to, applies) a cheaper equivalent."""

    name = "optimizer (workspace cost model)"

    def __init__(self, *, optimize: bool = False) -> None:
        self.optimize = optimize

    def review(self, request: ReviewRequest) -> OptimizerDecision:
        """The prediction for ``request.sql`` (the SQL unchanged unless ``optimize``)."""
        from neurolake_lab.cell.predict import predict_text
        from neurolake_lab.optimizer import best

        prediction = predict_text(request.services, request.sql)
        if prediction is None:
            return OptimizerDecision(sql=request.sql)
        sql = request.sql
        chosen = best(prediction.suggestions) if self.optimize else None
        if chosen is not None and chosen.rewrite:
            sql = chosen.rewrite
        return OptimizerDecision(
            sql=sql,
            predicted_ms=prediction.predicted_ms,
            estimated_rows=prediction.estimated_rows,
            estimated_bytes=prediction.estimated_bytes,
            confidence=prediction.confidence,
            suggestions=[s.to_report() for s in prediction.suggestions],
        )

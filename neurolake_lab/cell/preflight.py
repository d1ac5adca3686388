"""Preflight: what a cell would cost, touch and have done to it by the policies — without running.

The same stages as a run, up to the point where something would happen: the cell is prepared,
every statement governed and its writes authorized (a refused statement is reported, never
planned, and not audited: a preview is not an attempt), the cost predicted, and the lineage of
its last query computed. The JupyterLab extension shows this beside the cell while the user
types. A cell the result cache would answer is not predicted (the same check ``%%sql`` makes
before it decides whether to ask): its answer says ``cached`` and costs nothing.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from neurolake_lab.cell.cache import answered
from neurolake_lab.cell.plan import CellPlan
from neurolake_lab.cell.predict import predict_text
from neurolake_lab.cell.prepare import prepare
from neurolake_lab.exceptions import NeuroLakeError

if TYPE_CHECKING:
    from neurolake_lab.compliance.policy import NoPii
    from neurolake_lab.services import Services

EMPTY_COMPLIANCE: dict[str, list[Any]] = {
    "pii_columns": [], "masked": [], "row_filters": [], "denied": [], "warnings": [],
}  # fmt: skip


def empty_preflight() -> dict[str, Any]:
    """A preflight that found nothing (no SQL, or no table read)."""
    return {
        "cost": None,
        "lineage": {"nodes": [], "edges": []},
        "compliance": {k: list(v) for k, v in EMPTY_COMPLIANCE.items()},
        "error": None,
        "cached": False,
    }


def cached_cost(rows: int) -> dict[str, Any]:
    """The ``cost`` of a cell the result cache answers: nothing is read, ``rows`` come back."""
    return {
        "predicted_ms": 0.0, "estimated_rows": rows, "estimated_bytes": 0, "confidence": None,
        "suggestions": [],
    }  # fmt: skip


def preflight(
    services: Services, text: str, no_pii: NoPii = None, engine: str | None = None
) -> dict[str, Any]:
    """Cost, lineage and compliance of a ``%%sql`` cell, without running it.

    The prediction and the lineage are those of the last query of the cell. ``engine`` is the
    cell's ``--engine`` (results run on another engine are cached apart).
    """
    start = time.perf_counter()
    out = empty_preflight()
    plan = CellPlan(text, no_pii=no_pii, user=services.user, engine=engine, audit=False)
    try:
        prepare(plan, services)
        enforcement = None
        for step in plan.statements:
            enforcement = services.governor.govern(step.sql, step.kind, no_pii, audit=False)
            target = services.lakehouse.analyze(step.sql, step.kind)
            if target is not None and target.kind != "local_table":  # may this user write?
                services.authorizer.require_statement(target, audit=False)
        last = plan.last
        if enforcement is not None:
            out["compliance"] = enforcement.to_report()
        graph = services.lineage.statement_lineage(last.sql, last.kind)
        if graph is not None:
            if enforcement is not None:
                graph = graph.mark_masked(m["column"] for m in enforcement.masked)
            out["lineage"] = graph.to_report()
        if answered(plan, services):
            execution = last.execution
            table = execution.table if execution is not None else None
            out["cached"] = True
            out["cost"] = cached_cost(table.num_rows if table is not None else 0)
        else:
            prediction = predict_text(services, text)
            out["cost"] = prediction.to_report() if prediction is not None else None
    except NeuroLakeError as err:
        from neurolake_lab.compliance.policy import PolicyViolation

        if isinstance(err, PolicyViolation) and err.enforcement is not None:
            out["compliance"] = err.enforcement.to_report()
        out["error"] = {"title": err.title, "message": err.message, "hint": err.hint}
    out["preflight_ms"] = round((time.perf_counter() - start) * 1000, 3)
    return out

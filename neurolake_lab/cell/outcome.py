"""Stage: the cell's ``QueryResult`` — the last statement's result with everything the report shows.

What ran (every statement's executed SQL), timings, notices, the audit id, lineage, what the
policies did and the cost predicted and measured: the cell report is built from it.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from neurolake_lab.result import QueryResult

if TYPE_CHECKING:
    from neurolake_lab.cell.plan import CellPlan
    from neurolake_lab.services import Services


def outcome(plan: CellPlan, services: Services) -> None:
    """Fill ``plan.result``."""
    last = plan.last
    execution = last.execution
    assert execution is not None
    plan.timings.update(
        plan_ms=sum(s.plan_ms for s in plan.statements),
        execute_ms=execution.execute_ms,
        fetch_ms=execution.fetch_ms,
        total_ms=(time.perf_counter() - plan.started) * 1000,
    )
    prediction = plan.prediction
    enforcement = last.enforcement
    plan.result = QueryResult(
        execution.table,
        sql=plan.text.strip(),
        executed_sql=";\n".join(s.run_sql for s in plan.statements),
        column_types=execution.column_types,
        statement_type=execution.statement_type,
        timings=dict(plan.timings),
        preview_limit=services.settings.preview_rows,
        notices=list(plan.notices),
        audit_id=last.audit_id,
        lineage=plan.lineage,
        compliance=enforcement.to_report() if enforcement is not None else None,
        cost=prediction.to_report(round(plan.run_ms, 3)) if prediction is not None else None,
    )

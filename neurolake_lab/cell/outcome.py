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
        cost=prediction.to_report(round(plan.run_ms, 3), _actual_rows(plan))
        if prediction is not None
        else None,
        withheld=withheld(plan, services),
        cached=last.cached,
    )


def _actual_rows(plan: CellPlan) -> int | None:
    """Rows the last statement returned, or wrote (what its estimate is compared with)."""
    last = plan.last
    if last.outcome is not None:
        return last.outcome.rows_added
    table = last.execution.table if last.execution is not None else None
    return table.num_rows if table is not None else None


def withheld(plan: CellPlan, services: Services) -> list[dict[str, str]]:
    """Result columns whose values the saved notebook must not carry in clear.

    Personal data this user sees in clear (the owner, or a role a rule allows) that a reader of
    the notebook would see masked stays out of the saved outputs (the report's preview and its
    HTML/text), unless the owner allows it: ``[notebook] save_clear_pii = true`` in
    ``neurolake.toml`` or ``NEUROLAKE_SAVE_CLEAR_PII=1`` (off by default; docs/policies.md).
    The result itself (``_``, ``-o``) keeps every value.
    """
    last = plan.last
    if last.writes or last.enforcement is None or save_clear_pii(services):
        return []
    hidden = services.governor.withheld_for_readers(last.enforcement, last.sql)
    if not hidden:
        return []
    execution = last.execution
    names = list(execution.table.column_names) if execution and execution.table else []
    edges = (plan.lineage or {}).get("edges", [])
    out: dict[str, dict[str, str]] = {}
    for edge in edges:
        target = str(edge.get("target", ""))
        if edge.get("source") in hidden and target.startswith("output."):
            column = target.removeprefix("output.")
            out.setdefault(column, {"column": column, "source": str(edge["source"])})
    by_name = {h.rsplit(".", 1)[-1].lower(): h for h in hidden}
    for name in names:  # no lineage for a column: its name decides
        if name not in out and name.lower() in by_name:
            out[name] = {"column": name, "source": by_name[name.lower()]}
    if not out and not edges:  # nothing tells which column holds it: keep none in clear
        out = {n: {"column": n, "source": ", ".join(hidden)} for n in names}
    return [out[n] for n in names if n in out]


def save_clear_pii(services: Services) -> bool:
    """Whether the owner chose to save personal data in clear in notebooks (off by default)."""
    import os

    from neurolake_lab.config import _flag

    env = os.environ.get("NEUROLAKE_SAVE_CLEAR_PII")
    if env:
        return _flag(env)
    table = services.settings.extra.get("notebook", {})
    return _flag(table.get("save_clear_pii", False)) if isinstance(table, dict) else False

"""``EXPLAIN`` of a cell's last statement as it would run: governed, time travel resolved."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from neurolake_lab.cell.govern import govern
from neurolake_lab.cell.plan import CellPlan
from neurolake_lab.cell.prepare import prepare
from neurolake_lab.engine.params import bind, parameter_lookup
from neurolake_lab.exceptions import UsageError
from neurolake_lab.lakehouse.time_travel import has_time_travel

if TYPE_CHECKING:
    from neurolake_lab.services import Services


def explain(
    services: Services,
    text: str,
    params: Mapping[str, Any] | None = None,
    namespace: Mapping[str, Any] | None = None,
) -> str:
    """DuckDB's plan for the last statement of ``text``, without running it."""
    if not text.strip():
        raise UsageError("there is no SQL to explain")
    plan = CellPlan(text, params, namespace or {}, user=services.user)
    prepare(plan, services)
    step = plan.last
    govern(plan, step, services)
    if has_time_travel(step.run_sql):
        step.run_sql = services.lakehouse.rewrite_time_travel(
            step.run_sql, parameter_lookup(params, plan.namespace)
        )
    bound = bind(step.statement.named_parameters, params, plan.namespace)
    return services.engine.explain(step.run_sql, bound)

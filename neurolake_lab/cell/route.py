"""Stage: bind a statement's parameters, resolve time travel, and decide where it goes.

``FOR VERSION/TIMESTAMP AS OF`` is rewritten after the policy (so masks apply to old snapshots
too) into a scan of that snapshot; a ``$name`` used as the version becomes a literal there. The
lakehouse then reads the statement: a write to an Iceberg table (executed by the lakehouse, one
commit), a session table, or a query DuckDB runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from neurolake_lab.engine.params import bind, parameter_lookup
from neurolake_lab.lakehouse.time_travel import has_time_travel

if TYPE_CHECKING:
    from neurolake_lab.cell.plan import CellPlan, StatementPlan
    from neurolake_lab.services import Services


def bind_parameters(plan: CellPlan, step: StatementPlan, services: Services) -> None:
    """The values of the statement's placeholders (given params first, then the namespace)."""
    step.bound = bind(step.statement.named_parameters, plan.params, plan.namespace)


def route(plan: CellPlan, step: StatementPlan, services: Services) -> None:
    """Time travel resolved and the lakehouse's reading of the statement (``step.target``)."""
    lake = services.lakehouse
    if has_time_travel(step.run_sql):
        step.run_sql = lake.rewrite_time_travel(
            step.run_sql, parameter_lookup(plan.params, plan.namespace)
        )
        if isinstance(step.bound, dict):  # a $name used as the version is a literal now
            left = {n for s in services.engine.split(step.run_sql) for n in s.named_parameters}
            step.bound = {k: v for k, v in step.bound.items() if k in left} or None
    step.target = lake.analyze(step.run_sql, step.kind)
    if step.target is not None and not step.writes:
        # a session table takes the bare name of a lakehouse table
        lake.shadow(services.engine.con, step.target.alias or "")

"""Stage: the workspace's policies applied to each statement (the one place a cell is governed).

``govern_cell`` checks every statement before the first one runs, so a refused statement stops
the cell before anything changed; ``govern`` gives each statement its enforcement again when it
runs (a cached lookup). A refused statement is audited by the governor (a question's, with the
question, by the audit stage) and raises ``PolicyViolation``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from neurolake_lab.engine.params import parameter_lookup

if TYPE_CHECKING:
    from neurolake_lab.cell.plan import CellPlan, StatementPlan
    from neurolake_lab.services import Services


def govern_cell(plan: CellPlan, services: Services) -> None:
    """Govern every statement of the cell before any runs (only cells that read tables)."""
    if "from" not in plan.text.lower():
        return
    lookup = parameter_lookup(plan.params, plan.namespace)
    for step in plan.statements:
        services.governor.govern(
            step.sql, step.kind, plan.no_pii, audit=_audits(plan), parameter=lookup
        )


def govern(plan: CellPlan, step: StatementPlan, services: Services) -> None:
    """Govern one statement: its enforcement and the SQL that runs (before time travel)."""
    step.enforcement = services.governor.govern(
        step.sql, step.kind, plan.no_pii, audit=_audits(plan),
        parameter=parameter_lookup(plan.params, plan.namespace),
    )  # fmt: skip
    step.run_sql = step.enforcement.sql if step.enforcement is not None else step.sql


def _audits(plan: CellPlan) -> bool:
    """Whether the governor audits a refusal itself (a question's is audited with the question)."""
    return plan.audit and plan.question is None

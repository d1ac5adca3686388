"""Stage: may this user make this change? Every SQL write is checked here before it runs.

After ``route`` the lakehouse has read the statement (which table it writes, and how); the
workspace's authorizer (``compliance/authorize.py``) then decides whether the user may write,
alter or drop that table or set the properties it sets. A refusal is audited there and stops the
cell with one error that names the privilege needed; the statements before it stay done.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from neurolake_lab.cell.plan import CellPlan, StatementPlan
    from neurolake_lab.services import Services


def authorize(plan: CellPlan, step: StatementPlan, services: Services) -> None:
    """Refuse a write to the lakehouse the user has no privilege for."""
    if step.writes:
        assert step.target is not None
        services.authorizer.require_statement(step.target, sql=step.sql, audit=plan.audit)

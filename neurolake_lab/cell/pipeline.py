"""The cell pipeline: the order of the stages, written down once.

A ``%%sql`` cell, ``Session.sql``, the SQL of a ``%%nl`` answer and every other governed path run
through :func:`run_cell`. Stages are plain functions over the :class:`CellPlan` and the session's
:class:`~neurolake_lab.services.Services`; to add one, write a module here and put it in its
place below (docs/architecture.md walks through a cell).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from neurolake_lab.cell.audit import audit, audit_failure
from neurolake_lab.cell.authorize import authorize
from neurolake_lab.cell.cache import keep, lookup
from neurolake_lab.cell.execute import execute, observe
from neurolake_lab.cell.govern import govern, govern_cell
from neurolake_lab.cell.lineage import lineage
from neurolake_lab.cell.outcome import outcome
from neurolake_lab.cell.predict import learn, predict
from neurolake_lab.cell.prepare import prepare
from neurolake_lab.cell.route import bind_parameters, route
from neurolake_lab.compliance.policy.errors import PolicyViolation
from neurolake_lab.exceptions import NeuroLakeError

if TYPE_CHECKING:
    from neurolake_lab.cell.plan import CellPlan, StatementPlan
    from neurolake_lab.result import QueryResult
    from neurolake_lab.services import Services

CellStage = Callable[["CellPlan", "Services"], None]
StatementStage = Callable[["CellPlan", "StatementPlan", "Services"], None]

#: Once per cell, before any statement runs: nothing has changed if one of these refuses.
BEFORE: tuple[CellStage, ...] = (prepare, govern_cell, predict)
#: For each statement in turn (a statement may use what the one before it made).
EACH: tuple[StatementStage, ...] = (
    bind_parameters, govern, route, authorize, lookup, execute, keep, observe, audit,
)  # fmt: skip
#: Once per cell, after its last statement ran.
AFTER: tuple[CellStage, ...] = (learn, lineage, outcome)


def run_cell(plan: CellPlan, services: Services) -> QueryResult:
    """Run the cell through every stage; its result is the last statement's.

    Raises:
        NeuroLakeError: a stage refused or failed (the statement's failure is audited; the
            statements before it stay done, the ones after it do not run).
    """
    try:
        for cell_stage in BEFORE:
            cell_stage(plan, services)
    except PolicyViolation as err:
        if plan.statements:  # a question refused before it ran: audited with the question
            audit_failure(plan, plan.statements[0], services, err)
        raise
    for step in plan.statements:
        try:
            for stage in EACH:
                stage(plan, step, services)
        except NeuroLakeError as err:
            audit_failure(plan, step, services, err)
            raise
    for cell_stage in AFTER:
        cell_stage(plan, services)
    assert plan.result is not None
    return plan.result

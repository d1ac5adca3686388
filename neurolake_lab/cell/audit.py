"""Stage: every statement in the audit log — who, what, when, which snapshots, what policy did.

Queries record the rows they returned and the snapshot of each table they read; writes record the
commit (operation, rows added and removed, quarantined rows, the new snapshot) and their sources.
A statement that fails is recorded with its error (refusals are recorded by the governor).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from neurolake_lab.compliance.governor import decisions
from neurolake_lab.compliance.policy.errors import PolicyViolation
from neurolake_lab.exceptions import AuditError

if TYPE_CHECKING:
    from neurolake_lab.cell.plan import CellPlan, StatementPlan
    from neurolake_lab.exceptions import NeuroLakeError
    from neurolake_lab.services import Services


def audit(plan: CellPlan, step: StatementPlan, services: Services) -> None:
    """Append the statement's audit record; ``step.audit_id`` is its id."""
    recorder = services.recorder
    executed = step.run_sql if step.run_sql != step.sql else None
    outcome = step.outcome
    if outcome is not None:
        step.audit_id = recorder.record(
            "write", step.sql, statement_type=step.kind, table=outcome.table,
            operation=outcome.operation, rows_added=outcome.rows_added,
            rows_removed=outcome.rows_removed, rows_updated=outcome.rows_updated or None,
            quarantined=outcome.quarantined,
            snapshot_id=outcome.snapshot_id, sources=recorder.tables_read(step.sql),
            executed_sql=executed, **decisions(step.enforcement),
        )  # fmt: skip
        return
    table = step.execution.table if step.execution is not None else None
    step.audit_id = recorder.record(
        "query", step.sql, statement_type=step.kind,
        rows=table.num_rows if table is not None else None,
        tables=recorder.tables_read(step.sql), executed_sql=executed,
        cached=True if step.cached else None, **decisions(step.enforcement),
    )  # fmt: skip


def audit_failure(step: StatementPlan, services: Services, err: NeuroLakeError) -> None:
    """Record a statement that failed (refusals and audit failures are recorded already)."""
    if isinstance(err, AuditError | PolicyViolation):
        return
    services.recorder.record(
        "write" if step.writes else "query", step.sql, statement_type=step.kind,
        error=f"{err.title}: {err.message}",
    )  # fmt: skip

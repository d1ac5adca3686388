"""Stage: every statement in the audit log — who, what, when, which snapshots, what policy did.

Queries record the rows they returned and the snapshot of each table they read; writes record the
commit (operation, rows added and removed, quarantined rows, the new snapshot) and their sources.
A ``%%nl`` answer is one ``nl`` record: the question, the SQL it became, what ran and what the
policies decided. A statement that fails is recorded with its error (refusals of SQL cells are
recorded by the governor and the authorizer, refusals of a question here, so the question is kept
with them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from neurolake_lab.cell.engines import audited
from neurolake_lab.compliance.audit.summary import decision
from neurolake_lab.compliance.authorize import NotAuthorized
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
    # the engine that ran it: --engine, else $NEUROLAKE_ENGINE or the setting (not the cache's)
    engine = audited(plan, services) if not step.cached else None
    outcome = step.outcome
    if outcome is not None:
        step.audit_id = recorder.record(
            "write", step.sql, statement_type=step.kind, table=outcome.table,
            operation=outcome.operation, rows_added=outcome.rows_added,
            rows_removed=outcome.rows_removed, rows_updated=outcome.rows_updated or None,
            quarantined=outcome.quarantined,
            snapshot_id=outcome.snapshot_id, sources=recorder.tables_read(step.sql),
            executed_sql=executed, **decisions(step.enforcement), **asked(plan),
        )  # fmt: skip
        return
    table = step.execution.table if step.execution is not None else None
    decided = decisions(step.enforcement)
    if plan.question is not None:
        step.audit_id = recorder.record(
            "nl", plan.drafted_sql or step.sql, statement_type=step.kind,
            rows=table.num_rows if table is not None else None,
            tables=recorder.tables_read(step.sql), executed_sql=step.run_sql,
            cached=True if step.cached else None, decision=decision(decided), **decided,
            engine=engine,
            **asked(plan), cell=services.cell_context,
        )  # fmt: skip
        return
    step.audit_id = recorder.record(
        "query", step.sql, statement_type=step.kind,
        rows=table.num_rows if table is not None else None,
        tables=recorder.tables_read(step.sql), executed_sql=executed,
        cached=True if step.cached else None, engine=engine,
        **decided,
    )  # fmt: skip


def asked(plan: CellPlan) -> dict[str, Any]:
    """What an audit record of a ``%%nl`` answer carries besides the SQL (nothing for SQL)."""
    if plan.question is None:
        return {}
    return {"question": plan.question, "source": plan.source}


def audit_failure(
    plan: CellPlan, step: StatementPlan, services: Services, err: NeuroLakeError
) -> None:
    """Record a statement that failed (refusals and audit failures are recorded already)."""
    if not plan.audit or isinstance(err, AuditError):
        return
    if isinstance(err, PolicyViolation | NotAuthorized) and plan.question is None:
        return
    if plan.question is not None:
        data: dict[str, Any] = {}
        if isinstance(err, PolicyViolation) and err.enforcement is not None:
            data = err.enforcement.to_audit()
            data.pop("executed_sql", None)
        services.recorder.record(
            "nl", plan.drafted_sql or step.sql, statement_type=step.kind,
            error=f"{err.title}: {err.message}", **data, **asked(plan), cell=services.cell_context,
            decision=decision({**data, "error": f"{err.title}: {err.message}"}),
        )  # fmt: skip
        return
    services.recorder.record(
        "write" if step.writes else "query", step.sql, statement_type=step.kind,
        error=f"{err.title}: {err.message}",
    )  # fmt: skip

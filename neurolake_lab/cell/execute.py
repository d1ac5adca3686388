"""Stage: run the statement — DuckDB for a query, the lakehouse for a write (one commit each).

A write carries its column lineage and the PII tags its new columns copy into the commit; after
it, the lineage goes to a configured OpenLineage endpoint and the table's layout advice (from
recorded access patterns) becomes a notice. A query's access pattern is recorded for that advice.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from neurolake_lab.cell.engines import backend_for
from neurolake_lab.engine import Execution
from neurolake_lab.engine.backend import UnsupportedByEngine
from neurolake_lab.exceptions import QualityError, QueryError

if TYPE_CHECKING:
    from neurolake_lab.cell.plan import CellPlan, StatementPlan
    from neurolake_lab.lakehouse import Lakehouse
    from neurolake_lab.services import Services


def execute(plan: CellPlan, step: StatementPlan, services: Services) -> None:
    """Run the statement unless the cache answered it; fills ``step.execution``."""
    step.plan_ms = (time.perf_counter() - step.started) * 1000
    if step.execution is not None:
        return
    backend = backend_for(plan, services)
    if step.writes:
        if backend is not services.engine:  # no silent fallback to the kernel's DuckDB
            raise UnsupportedByEngine(
                backend.name, f"{step.kind} statements: writes commit through DuckDB and the "
                "lakehouse", hint="run this cell with --engine duckdb",
            )  # fmt: skip
        write(plan, step, services)
        return
    lake = services.lakehouse
    try:
        step.execution = backend.run(
            step.run_sql, step.bound, plan.namespace.get, statement_type=step.kind
        )
    except UnsupportedByEngine:
        raise
    except QueryError as err:
        raise (lake.io_error(err) or err) from None


def observe(plan: CellPlan, step: StatementPlan, services: Services) -> None:
    """Record which columns a query filters and sorts on (the layout advice learns from it)."""
    if step.kind == "SELECT" and not step.writes:
        services.lakehouse.access.observe(step.sql)


def write(plan: CellPlan, step: StatementPlan, services: Services) -> None:
    """Carry out a lakehouse write with its lineage and carried PII tags."""
    lake = services.lakehouse
    target = step.target
    assert target is not None
    t0 = time.perf_counter()
    ctx = services.write_context(step.sql, target.table)
    graph = None
    if target.table is not None:
        name = f"{target.table[0]}.{target.table[1]}"
        graph = services.lineage.statement_lineage(step.sql, step.kind, name)
        if graph is not None and step.enforcement is not None:
            graph = graph.mark_masked(m["column"] for m in step.enforcement.masked)
        ctx.column_lineage = step.lineage = graph.to_report() if graph is not None else None
        if target.kind in ("ctas", "insert", "merge"):
            ctx.carried_tags = services.governor.carried_tags(step.sql, target.table)
        elif target.kind == "alter":  # tags follow field ids through renames: bind them first
            services.tagger.bind(target.table)
    try:
        outcome = lake.execute(target, step.bound, plan.namespace.get, ctx)
    except QualityError as err:
        if target.table is not None and err.rows is not None:
            _hide_rows(err, target.table, services)
        raise
    if graph is not None:
        plan.notices.extend(services.lineage.emit_lineage(graph, ctx))
    elapsed = (time.perf_counter() - t0) * 1000
    plan.notices.extend(outcome.notices)
    plan.notices.extend(layout_notice(lake, target.table))
    step.outcome = outcome
    step.execution = Execution(outcome.to_arrow(), [], step.kind, step.run_sql, elapsed, 0.0)


def _hide_rows(err: QualityError, table: tuple[str, str], services: Services) -> None:
    """Hide the offending rows of a refused write from a user who may not see the table whole.

    They are the stored, clear rows (an UPDATE rewrites whole rows): such a user gets the counts.
    """
    from neurolake_lab.lakehouse.naming import qualified

    hidden = services.governor.hidden(f"SELECT * FROM {qualified(table)}")
    if hidden:
        err.rows = None
        err.hint = "The offending rows are not shown: they hold data the policy hides from you."


def layout_notice(lake: Lakehouse, table: tuple[str, str] | None) -> list[str]:
    """After a write: the layout the table's access patterns call for, as a notice."""
    if table is None or table not in lake.pointers:
        return []
    try:
        suggestion = lake.layout(f"{table[0]}.{table[1]}")
    except Exception:  # advice must never fail a write that succeeded
        return []
    return [suggestion.message] if suggestion is not None else []

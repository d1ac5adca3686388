"""Stage: the column lineage of the cell's result, for its report.

The lineage of the last statement, with masked edges marked and output columns named as the
result names them. (A write's lineage is computed before it runs, in ``execute``, because it is
committed with the snapshot.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from neurolake_lab.lineage.tracker import LINEAGE_TYPES

if TYPE_CHECKING:
    from neurolake_lab.cell.plan import CellPlan
    from neurolake_lab.services import Services


def lineage(plan: CellPlan, services: Services) -> None:
    """Fill ``plan.lineage`` from the last statement, when it is a query with columns."""
    step = plan.last
    table = step.execution.table if step.execution is not None else None
    if step.writes or step.kind not in LINEAGE_TYPES or table is None or not table.num_columns:
        return
    graph = services.lineage.statement_lineage(step.sql, step.kind)
    if graph is None:
        return
    if step.enforcement is not None:
        graph = graph.mark_masked(m["column"] for m in step.enforcement.masked)
    plan.lineage = graph.rename_outputs(table.column_names).to_report()

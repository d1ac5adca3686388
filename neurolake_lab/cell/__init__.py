"""The cell pipeline: one cell's plan, run through its stages (``pipeline.py`` gives the order).

* :class:`~neurolake_lab.cell.plan.CellPlan` — the cell as data, filled in by the stages;
* :func:`~neurolake_lab.cell.pipeline.run_cell` — prepare, govern, predict, then per statement
  bind, govern, route, cache, execute, audit, then learn, lineage and the result;
* :func:`~neurolake_lab.cell.preflight.preflight` — the same stages up to execution, for the
  extension's live preview; :func:`~neurolake_lab.cell.explain.explain` — DuckDB's plan.
"""

from neurolake_lab.cell.explain import explain
from neurolake_lab.cell.pipeline import run_cell
from neurolake_lab.cell.plan import CellPlan, StatementPlan
from neurolake_lab.cell.preflight import preflight

__all__ = ["CellPlan", "StatementPlan", "explain", "preflight", "run_cell"]

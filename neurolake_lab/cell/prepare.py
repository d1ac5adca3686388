"""Stage: split the cell into statements, with ``:name`` read as ``$name`` and snippets composed.

The lakehouse's views are brought up to the catalog's current snapshots first, so every later
stage sees the tables as other kernels last committed them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from neurolake_lab import snippets
from neurolake_lab.cell.plan import StatementPlan
from neurolake_lab.engine.params import colon_to_dollar
from neurolake_lab.exceptions import QueryError, UsageError
from neurolake_lab.lakehouse.dialect import split_cell

if TYPE_CHECKING:
    from neurolake_lab.cell.plan import CellPlan
    from neurolake_lab.services import Services


def prepare(plan: CellPlan, services: Services) -> None:
    """Fill ``plan.statements`` from ``plan.text``.

    Raises:
        UsageError: there is no SQL in the cell.
        QueryError: the SQL does not split into statements (a syntax error), or ``?``
            parameters are given to several statements.
    """
    if not plan.text.strip():
        raise UsageError("there is no SQL to run")
    engine = services.engine
    services.lakehouse.refresh(engine.con)
    statements = split_cell(engine, colon_to_dollar(plan.text))
    if not statements:
        raise UsageError("there is no SQL to run (only comments?)")
    if plan.params is not None and not isinstance(plan.params, Mapping) and len(statements) > 1:
        raise QueryError(
            "positional parameters (?) work with a single statement; use $name for several",
            kind="parameter",
        )
    plan.statements = [
        StatementPlan(s, snippets.compose(s.query.strip(), services.snippets)) for s in statements
    ]

"""Exploring a large table without a ``LIMIT`` reads (and returns) all of it.

A cell that selects rows (no aggregate, no ``GROUP BY``) from a large table, without ``LIMIT``,
is expected to return many rows, of which the notebook shows a preview. With a ``LIMIT`` DuckDB
stops reading once it has enough rows (or keeps only the top rows of an ``ORDER BY``). The
rewrite returns the first rows only, which the message says; it is not the same result.
"""

from __future__ import annotations

from sqlglot import exp

from neurolake_lab.optimizer.context import Candidate, RuleContext

KIND = "missing_limit"
#: rows out from which a query counts as "returning a large table"
MIN_ROWS = 10_000
#: the limit the rewrite adds (overridable through ``[cost] explore_limit`` in the settings)
DEFAULT_LIMIT = 1000


def candidates(ctx: RuleContext) -> list[Candidate]:
    """The cell with ``LIMIT n`` appended, when it would return many rows of a large table."""
    tree = ctx.tree
    if not isinstance(tree, exp.Select | exp.Union) or tree.args.get("limit"):
        return []
    if isinstance(tree, exp.Select) and (
        tree.args.get("group") or any(e.find(exp.AggFunc) for e in tree.expressions)
    ):
        return []
    rows = ctx.estimate.estimated_rows
    min_rows = int(ctx.settings.get("explore_min_rows", MIN_ROWS))
    if rows < min_rows:
        return []
    limit = int(ctx.settings.get("explore_limit", DEFAULT_LIMIT))
    text = ctx.sql.rstrip().rstrip(";").rstrip()
    return [
        Candidate(
            KIND,
            f"this query returns ~{rows:,} rows; to explore, LIMIT {limit:,} returns the first "
            f"{limit:,} (not the same result: the rest are left out)",
            f"{text}\nLIMIT {limit}",
            equivalent=False,
        )
    ]

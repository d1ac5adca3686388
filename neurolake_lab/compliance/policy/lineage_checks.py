"""What the policy asks column lineage: the denied columns a statement needs, the PII it returns.

Which denied columns a statement really needs, and which result columns come from personal data
(``no_pii="drop"``).

``referenced_columns`` over-approximates what a statement reads; lineage is exact where it
resolves, so where it does, it narrows the denials and names the columns to drop.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlglot import exp
from sqlglot.errors import SqlglotError

from neurolake_lab.compliance.policy.dialect import to_sql
from neurolake_lab.compliance.policy.model import TagInfo

#: ``{"ns.t": {column: duckdb_type}}``: the tables lineage resolves against.
Columns = Mapping[str, Mapping[str, str]]


def narrow_denied(
    tree: exp.Expr, candidates: list[dict[str, str]], columns: Columns
) -> list[dict[str, str]]:
    """Keep the denied columns the statement really needs, when its lineage is exact.

    ``referenced_columns`` over-approximates (a star in a CTE the outer query never reads
    from counts); column lineage knows which stored columns reach the result or decide its
    rows. Where lineage cannot be exact, every candidate stays denied. The subquery's
    ``error()`` for a denied column is the backstop if the statement evaluates it anyway.
    """
    if not candidates:
        return []
    query = (
        tree.expression
        if isinstance(tree, exp.Create)
        and isinstance(tree.expression, exp.Query)
        and str(tree.args.get("kind", "")).upper() == "VIEW"
        else tree
    )
    if not isinstance(query, exp.Query | exp.Insert | exp.Create):
        return candidates
    from neurolake_lab.lineage import LineageError, query_lineage

    schema = {t: dict(columns[t]) for t in columns}
    try:
        graph = query_lineage(query, schema)
    except (LineageError, SqlglotError):
        return candidates
    if graph.warnings or graph.unresolved:
        return candidates
    sources = {e.source.lower() for e in graph.edges}
    return [d for d in candidates if d["column"].lower() in sources]


def drop_pii(
    tree: exp.Expr,
    rewritten: str | None,
    columns: Columns,
    tags: Mapping[str, Mapping[str, Any]],
    warnings: list[str],
) -> tuple[list[str], str | None]:
    """For ``no_pii="drop"``: the query without result columns derived from PII.

    Returns the dropped columns and the query that leaves them out (``None``: nothing to drop,
    or lineage cannot tell exactly, and the columns stay masked); ``warnings`` gets why.
    """
    if not isinstance(tree, exp.Query):
        return [], None
    from neurolake_lab.lineage import LineageError, query_lineage

    schema = {t: dict(columns[t]) for t in columns}
    try:
        graph = query_lineage(tree, schema)
    except (LineageError, SqlglotError):
        graph = None
    if graph is None or graph.warnings or graph.unresolved:
        warnings.append("PII columns could not be dropped exactly; they are masked instead")
        return [], None
    pii_sources = {
        f"{table}.{col}".lower()
        for table, cols in tags.items()
        for col, tag in cols.items()
        if (info := TagInfo.of(tag)) is not None and info.is_pii
    }
    drop = {e.target for e in graph.edges if e.direct and e.source.lower() in pii_sources}
    keep = [i for i, out in enumerate(graph.outputs, start=1) if out not in drop]
    dropped = [out.split(".", 1)[1] for out in graph.outputs if out in drop]
    if not dropped:
        return [], None
    if not keep:
        warnings.append(
            "every column of the result is personal data: they are masked instead of dropped"
        )
        return [], None
    inner = rewritten if rewritten is not None else to_sql(tree)
    warnings.append("personal data left out of the result: " + ", ".join(dropped))
    projection = ", ".join(f"#{i}" for i in keep)
    return dropped, f"SELECT {projection} FROM ({inner}) AS nl_no_pii"

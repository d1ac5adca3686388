"""The rewrite as edits of the user's own text, where that is safe.

Printing a whole statement back from sqlglot's tree can change it in small ways (sqlglot's DuckDB
round trip is good, not perfect) and costs time. So when the statement only *reads* governed
tables, the governed references are replaced in the original text, by their token positions:
``FROM retail.customers AS c`` → ``FROM (SELECT ... FROM memory.retail.customers ...) AS c``, and
``retail.customers.email`` loses its ``retail.`` (the subquery is named ``customers``).
Everything else — spacing, comments, DuckDB syntax sqlglot would respell — stays as written.

It declines (``None``; the caller prints the rewritten tree instead) when a reference carries
time travel or a ``SUMMARIZE``, for ``TABLE t`` (a subquery cannot follow ``TABLE``), when the
statement writes to a governed table it reads (UPDATE, DELETE), or when the tree's positions do
not match the text (a tree ``qualify`` rewrote).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from sqlglot import exp

from neurolake_lab.compliance.policy.plans import TablePlan
from neurolake_lab.compliance.policy.rewrite import INNER_ARGS

Edit = tuple[int, int, str]  # [start, end) of the text, and what replaces it
_TABLE_STATEMENT = re.compile(r"^\s*TABLE\b", re.I)


def splice(
    text: str,
    tree: exp.Expr,
    refs: Sequence[tuple[exp.Table, str, str]],
    plans: Mapping[str, TablePlan],
) -> str | None:
    """``text`` with each governed reference replaced by its plan's subquery, or ``None``."""
    if _TABLE_STATEMENT.match(text):
        return None  # ``TABLE t`` is ``SELECT * FROM t``: the tree's spelling takes a subquery
    edits: list[Edit] = []
    unaliased: set[tuple[str, str]] = set()
    for node, table, pos in refs:
        plan = plans[table]
        if plan.template_sql is None:
            continue
        if pos != "read" or isinstance(node.parent, exp.Summarize):
            return None
        if any(node.args.get(key) for key in INNER_ARGS):
            return None
        parts = [p for p in (node.args.get("catalog"), node.args.get("db"), node.this) if p]
        spans = [_span(p, text) for p in parts]
        if any(s is None for s in spans):
            return None
        alias = node.args.get("alias")
        if (
            isinstance(alias, exp.TableAlias)
            and alias.this is not None
            and _span(alias.this, text) is None
        ):
            return None  # an alias the text does not have: a qualified tree, print it
        first, last = spans[0], spans[-1]
        assert first is not None and last is not None
        subquery = "(" + plan.template_sql + ")"
        if not node.alias:
            subquery += " AS " + text[last[0] : last[1]]
            if node.db:
                unaliased.add((node.db.lower(), node.name.lower()))
        edits.append((first[0], last[1], subquery))
    if unaliased:
        for column in tree.find_all(exp.Column):
            if column.db and (column.db.lower(), column.table.lower()) in unaliased:
                head = column.args.get("catalog") or column.args.get("db")
                table_part = column.args.get("table")
                start = _span(head, text) if isinstance(head, exp.Identifier) else None
                end = _span(table_part, text) if isinstance(table_part, exp.Identifier) else None
                if start is None or end is None:
                    return None
                edits.append((start[0], end[0], ""))  # drop "ns." before "t.col"
    return _apply(text, edits)


def _span(identifier: exp.Expr, text: str) -> tuple[int, int] | None:
    """Where an identifier stands in ``text`` (checked against its name), as [start, end)."""
    meta = identifier.meta if isinstance(identifier, exp.Identifier) else {}
    start, end = meta.get("start"), meta.get("end")
    if not isinstance(start, int) or not isinstance(end, int):
        return None
    written = text[start : end + 1]
    if written.strip('"').replace('""', '"').lower() != identifier.name.lower():
        return None
    return start, end + 1


def _apply(text: str, edits: list[Edit]) -> str | None:
    out = text
    previous = len(text) + 1
    for start, end, replacement in sorted(edits, key=lambda e: e[0], reverse=True):
        if end > previous:
            return None  # overlapping edits: the tree is not this text
        out = out[:start] + replacement + out[end:]
        previous = start
    return out

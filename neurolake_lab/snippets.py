"""Saved queries (``%%sql --save name``) that later cells use as tables, composed as CTEs.

As in JupySQL, a snippet may use other snippets; composing a query adds every snippet it needs,
dependencies first, as common table expressions in front of the query (sqlglot edits the AST, so
queries that already have a ``WITH`` clause, and ``CREATE TABLE ... AS`` / ``INSERT`` statements,
compose correctly).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import sqlglot
from sqlglot import exp

from neurolake_lab.exceptions import SnippetError


def _parse(sql: str) -> exp.Expr | None:
    """Parse ``sql`` with sqlglot; ``None`` where sqlglot cannot parse (valid) DuckDB SQL."""
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError:
        return None
    return tree


def referenced(sql: str, names: Mapping[str, str]) -> set[str]:
    """Snippet names used as unqualified tables in ``sql`` and not shadowed by its own CTEs."""
    tree = _parse(sql)
    if tree is None:
        return {n for n in names if re.search(rf"\b(?:FROM|JOIN)\s+{re.escape(n)}\b", sql, re.I)}
    own = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    return {
        t.name
        for t in tree.find_all(exp.Table)
        if not t.db and t.name in names and t.name not in own
    }


def _order(sql: str, snippets: Mapping[str, str]) -> list[str]:
    """The snippets ``sql`` needs, each after the snippets it needs itself."""
    ordered: list[str] = []
    visiting: list[str] = []

    def visit(name: str) -> None:
        if name in ordered:
            return
        if name in visiting:
            cycle = " -> ".join([*visiting[visiting.index(name) :], name])
            raise SnippetError(f"snippets refer to each other in a cycle: {cycle}")
        visiting.append(name)
        for dep in sorted(referenced(snippets[name], snippets)):
            visit(dep)
        visiting.pop()
        ordered.append(name)

    for name in sorted(referenced(sql, snippets)):
        visit(name)
    return ordered


def might_use(sql: str, snippets: Mapping[str, str]) -> bool:
    """A cheap pre-check (a word search) so cells that use no snippet are never parsed here."""
    return bool(snippets) and any(re.search(rf"\b{re.escape(n)}\b", sql) for n in snippets)


def compose(sql: str, snippets: Mapping[str, str]) -> str:
    """``sql`` with the snippets it uses added as CTEs; unchanged if it uses none.

    >>> compose("SELECT * FROM big", {"big": "SELECT * FROM t WHERE x > 1"})
    'WITH big AS (SELECT * FROM t WHERE x > 1) SELECT * FROM big'
    """
    if not might_use(sql, snippets):
        return sql
    needed = _order(sql, snippets)
    if not needed:
        return sql
    tree = _parse(sql)
    if tree is None:
        return _compose_text(sql, needed, snippets)
    query = tree if isinstance(tree, exp.Query) else tree.find(exp.Query)
    if query is None:
        raise SnippetError(f"snippets can be used in queries only, not in: {sql.split()[0]}")
    parsed = {n: _parse(snippets[n]) for n in needed}
    if any(tree is None for tree in parsed.values()):
        return _compose_text(sql, needed, snippets)
    ctes = [
        exp.CTE(this=parsed[n], alias=exp.TableAlias(this=exp.to_identifier(n))) for n in needed
    ]
    existing = query.args.get("with_") or query.args.get("with")
    if existing is not None:
        existing.set("expressions", [*ctes, *existing.expressions])
    else:
        query.set("with_" if "with_" in query.arg_types else "with", exp.With(expressions=ctes))
    return tree.sql(dialect="duckdb")


_LEADING_WITH = re.compile(r"^\s*WITH(\s+RECURSIVE)?\s+", re.I)
_PLAIN_QUERY = re.compile(r"^\s*(SELECT|FROM|VALUES|\()", re.I)


def _compose_text(sql: str, needed: list[str], snippets: Mapping[str, str]) -> str:
    """Compose by text for SQL sqlglot cannot parse: queries only, CTEs put first."""
    ctes = ", ".join(f"{n} AS ({snippets[n]})" for n in needed)
    match = _LEADING_WITH.match(sql)
    if match:
        return f"{sql[: match.end()]}{ctes}, {sql[match.end() :]}"
    if _PLAIN_QUERY.match(sql):
        return f"WITH {ctes} {sql}"
    raise SnippetError(f"cannot add snippets {', '.join(needed)} to this statement: {sql[:60]}")

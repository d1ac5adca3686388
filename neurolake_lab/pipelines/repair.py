"""Repair a pipeline's SQL after a source column or table was renamed.

The rewrite is made on sqlglot's tree, so only references to the renamed column *of that table*
change (through its aliases; an unqualified name only when no other source has a column of that
name). The pipeline's output keeps its columns: a renamed column selected bare is aliased back to
its old name, and ``SELECT *`` becomes ``SELECT * RENAME (new AS old)``, so the target is written
exactly as before.

>>> rename_column("SELECT o.amount, sum(o.amount) AS total FROM s.orders o GROUP BY 1",
...               "s.orders", "amount", "amount_usd", {})
'SELECT o.amount_usd AS amount, SUM(o.amount_usd) AS total FROM s.orders AS o GROUP BY 1'
"""

from __future__ import annotations

from collections.abc import Mapping, Set

import sqlglot
from sqlglot import exp

from neurolake_lab.exceptions import QueryError


def _parse(sql: str) -> exp.Expr:
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise QueryError(f"cannot parse the pipeline's SQL: {exc}", kind="syntax") from None
    if tree is None:
        raise QueryError("the pipeline's SQL is empty", kind="syntax")
    return tree


def _matches(node: exp.Table, table: str) -> bool:
    ns, _, name = table.rpartition(".")
    if node.name.lower() != name.lower():
        return False
    return not node.db or node.db.lower() == ns.lower()


def rename_column(sql: str, table: str, old: str, new: str, others: Mapping[str, Set[str]]) -> str:
    """``sql`` reading column ``new`` of ``table`` where it read ``old``.

    Args:
        sql: The pipeline's SELECT.
        table: The source table (``ns.t``) whose column was renamed.
        old: The name the SQL uses.
        new: The column's name now.
        others: Column names (lower case) of the other tables the SQL reads, by table, to know
            whether an unqualified ``old`` could mean one of them.
    """
    from sqlglot.optimizer.scope import Scope, traverse_scope

    tree = _parse(sql)
    changed = False
    for scope in traverse_scope(tree):
        aliases = {
            alias.lower() for alias, src in scope.sources.items()
            if isinstance(src, exp.Table) and _matches(src, table)
        }  # fmt: skip
        if not aliases:
            continue
        ambiguous = False
        for alias, src in scope.sources.items():
            if alias.lower() in aliases:
                continue
            if isinstance(src, exp.Table):
                name = f"{src.db}.{src.name}" if src.db else src.name
                ambiguous |= old.lower() in others.get(name, set())
            elif isinstance(src, Scope) and isinstance(src.expression, exp.Query):
                ambiguous |= old.lower() in {c.lower() for c in src.expression.named_selects}
        select = scope.expression
        for column in scope.columns:
            if column.name.lower() != old.lower():
                continue
            qualifier = column.table.lower()
            if qualifier and qualifier not in aliases:
                continue
            if not qualifier and ambiguous:
                raise QueryError(
                    f"{old} is unqualified and more than one source could have it; qualify it",
                    kind="ambiguous",
                )
            replacement = column.copy()
            replacement.set("this", exp.to_identifier(new))
            if column.parent is select and column.arg_key == "expressions":
                column.replace(exp.alias_(replacement, old))  # the output keeps its name
            else:
                column.replace(replacement)
            changed = True
        for item in select.expressions if isinstance(select, exp.Select) else []:
            star = item.this if isinstance(item, exp.Column) else item
            if not isinstance(star, exp.Star):
                continue
            qualifier = item.table.lower() if isinstance(item, exp.Column) else ""
            if qualifier and qualifier not in aliases:
                continue
            star.set("rename", [*(star.args.get("rename") or []), exp.alias_(exp.column(new), old)])
            changed = True
    if not changed:
        raise QueryError(f"the pipeline's SQL does not use {table}.{old}", kind="unknown_column")
    return tree.sql("duckdb")


def rename_table(sql: str, old: str, new: str) -> str:
    """``sql`` reading table ``new`` where it read ``old`` (aliases kept, so columns still bind)."""
    tree = _parse(sql)
    ns, _, name = new.rpartition(".")
    found = False
    for node in list(tree.find_all(exp.Table)):
        if not _matches(node, old):
            continue
        alias = node.alias_or_name
        node.set("db", exp.to_identifier(ns))
        node.set("this", exp.to_identifier(name))
        if not node.alias:  # columns qualified with the old bare name still bind
            node.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
        found = True
    if not found:
        raise QueryError(f"the pipeline's SQL does not read {old}", kind="unknown_table")
    return tree.sql("duckdb")

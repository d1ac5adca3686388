"""The rewrite: governed table references become subqueries that mask and filter.

Every reference that reads a governed table (``FROM ns.customers AS c``) is replaced by its plan's
subquery (``FROM (SELECT * REPLACE (temp.main.nl_mask_redact("email") AS "email") FROM
memory.ns.customers WHERE <row filter>) AS c``). Everything above it — projections, WHERE, JOIN
conditions, GROUP BY, ORDER BY, HAVING, windows, function arguments, stars, struct packing of the
whole row — sees only masked values and filtered rows, whatever the query does with them. Time
travel, samples and pivots stay with the reference. The target of an UPDATE or DELETE cannot be
a subquery, so there the masked columns are masked where the statement reads them (WHERE, SET
values, RETURNING) and the row filter joins the WHERE.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlglot import exp

from neurolake_lab.compliance.policy.masking import denied_expression, mask_expression
from neurolake_lab.compliance.policy.plans import TablePlan

# Arguments of a reference that belong to the stored table (kept inside the subquery) ...
INNER_ARGS = ("version", "when", "changes", "system_time", "only", "partition")
# ... and those that belong to the reference in its query (moved onto the subquery).
_OUTER_ARGS = ("sample", "pivots", "joins", "laterals")


def replace_reads(root: exp.Expr, reads: Iterable[tuple[exp.Table, TablePlan]]) -> None:
    """Replace each governed reference in ``root`` (modified in place) by its subquery."""
    for table, plan in reads:
        if plan.template is None:
            continue
        strip = not table.alias and bool(table.db or table.catalog)
        parent = table.parent
        subquery = governed_subquery(table, plan)
        if isinstance(parent, exp.Summarize) and table.arg_key == "this":
            table.replace(exp.Select(expressions=[exp.Star()]).from_(subquery))
        else:
            table.replace(subquery)
        if strip:
            _strip_qualifiers(root, table)


def governed_subquery(table: exp.Table, plan: TablePlan) -> exp.Subquery:
    """``(SELECT <masked *> FROM memory.<ns>.<t> WHERE <filters>) AS <alias>`` for a reference.

    The subquery reads the lakehouse table by its catalog-qualified name, whatever the reference
    said: a session table or view that shares a bare name never stands in for it.
    """
    assert plan.template is not None
    select = plan.template.copy()
    inner = select.args["from_"].this
    for key in INNER_ARGS:
        value = table.args.get(key)
        if value is not None:
            inner.set(key, value.copy() if isinstance(value, exp.Expr) else value)
    alias = table.args.get("alias")
    alias = (
        alias.copy()
        if isinstance(alias, exp.TableAlias)
        else exp.TableAlias(this=exp.to_identifier(table.name))
    )
    subquery = exp.Subquery(this=select, alias=alias)
    for key in _OUTER_ARGS:
        value = table.args.get(key)
        if value:
            subquery.set(
                key, [v.copy() for v in value] if isinstance(value, list) else value.copy()
            )
    return subquery


def _strip_qualifiers(root: exp.Expr, table: exp.Table) -> None:
    """``ns.t.col`` → ``t.col``: the subquery is named ``t``, the schema is gone."""
    name = table.name.lower()
    db = (table.db or "").lower()
    for column in root.find_all(exp.Column):
        if column.table.lower() == name and column.db and column.db.lower() == db:
            column.set("db", None)
            column.set("catalog", None)


def govern_write_target(statement: exp.Update | exp.Delete, plan: TablePlan) -> None:
    """Mask and filter what an UPDATE/DELETE reads of its own target table (in place).

    Masked columns are masked in the WHERE, the SET values and RETURNING (so a DELETE cannot
    probe clear values by the rows it removes); denied ones raise if evaluated; the row filter is
    added to the WHERE, so only rows the user may see are changed. ``RETURNING *`` is spelled
    out with the masked columns (hashed ones redacted there: DuckDB allows no subquery in
    RETURNING, and the hash reads its salt through one).
    """
    target = statement.this
    assert isinstance(target, exp.Table)
    alias = target.alias_or_name.lower()
    restricted = plan.restricted

    def masked(column: exp.Column, returning: bool) -> exp.Expr | None:
        name = column.name.lower()
        decision = restricted.get(name)
        if decision is None or column.table.lower() not in ("", alias):
            return None
        if decision.action == "mask" and decision.method is not None:
            method = _returning_method(decision.method) if returning else decision.method
            return mask_expression(
                exp.column(column.name, table=column.table or None),
                method,
                table=plan.table,
                name=name,
            )
        spelled, duckdb_type = plan.columns[name]
        return denied_expression(f"{plan.table}.{spelled}", decision.policy, duckdb_type)

    parts: list[tuple[exp.Expr, bool]] = []
    if isinstance(statement, exp.Update):
        parts.extend((e.expression, False) for e in statement.expressions if isinstance(e, exp.EQ))
    for key in ("where", "returning"):
        part = statement.args.get(key)
        if isinstance(part, exp.Expr):
            parts.append((part, key == "returning"))
    for part, in_returning in parts:
        for column in list(part.find_all(exp.Column)):
            replacement = masked(column, in_returning)
            if replacement is not None:
                column.replace(replacement)

    returning = statement.args.get("returning")
    if isinstance(returning, exp.Returning) and any(
        isinstance(e, exp.Star) for e in returning.expressions
    ):
        returning.set("expressions", _spelled_out(plan, alias))

    if plan.filters:
        condition = exp.and_(
            *(exp.Paren(this=_qualified(f.condition, alias)) for f in plan.filters)
        )
        where = statement.args.get("where")
        if isinstance(where, exp.Where):
            condition = exp.and_(exp.Paren(this=where.this), condition)
        statement.set("where", exp.Where(this=condition))


def _returning_method(method: str) -> str:
    """DuckDB allows no subquery in RETURNING, and the hash reads its salt through one."""
    return "redact" if method == "hash" else method


def _spelled_out(plan: TablePlan, alias: str) -> list[exp.Expr]:
    out: list[exp.Expr] = []
    for col, (name, duckdb_type) in plan.columns.items():
        column = exp.column(name, table=alias, quoted=True)
        decision = plan.restricted.get(col)
        if decision is None:
            out.append(column)
        elif decision.action == "mask" and decision.method is not None:
            method = _returning_method(decision.method)
            masked = mask_expression(column, method, table=plan.table, name=col)
            out.append(exp.alias_(masked, name, quoted=True))
        else:
            value = denied_expression(f"{plan.table}.{name}", decision.policy, duckdb_type)
            out.append(exp.alias_(value, name, quoted=True))
    return out


def _qualified(condition: exp.Expr, alias: str) -> exp.Expr:
    """A row filter's columns qualified with the target's name (UPDATE ... FROM has others)."""
    out = condition.copy()
    for column in out.find_all(exp.Column):
        if not column.table:
            column.set("table", exp.to_identifier(alias))
    return out

"""The rewrite: governed table references become subqueries that mask and filter.

Every reference that reads a governed table (``FROM ns.customers AS c``) is replaced by its plan's
subquery (``FROM (SELECT * REPLACE (temp.main.nl_mask_redact("email") AS "email") FROM
memory.ns.customers WHERE <row filter>) AS c``). Everything above it — projections, WHERE, JOIN
conditions, GROUP BY, ORDER BY, HAVING, windows, function arguments, stars, struct packing of the
whole row — sees only masked values and filtered rows, whatever the query does with them. Time
travel, samples and pivots stay with the reference. The target of an UPDATE or DELETE cannot be
a subquery: ``write_target`` moves the statement's own expressions into a query over it instead.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlglot import exp

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

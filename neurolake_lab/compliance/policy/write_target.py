"""What an UPDATE or DELETE may read of its own target: the governed rows, never the stored ones.

A read of a governed table becomes a subquery (``rewrite``), but the target of an UPDATE or
DELETE cannot: the statement has to change the stored rows. So the statement is split in two.
Its own expressions — the WHERE, the SET values, the tables of ``USING``/``FROM`` — run in a
query over the governed subquery (masked columns, row filters), which also carries each row's
``rowid`` as :data:`ROW_ID`; the statement itself only matches stored rows by that id::

    DELETE FROM ns.t AS c WHERE <p>
    → DELETE FROM ns.t AS c WHERE rowid IN
      (SELECT c.__nl_rowid FROM (<governed ns.t>, rowid AS __nl_rowid) AS c WHERE <p>)

    UPDATE ns.t AS c SET x = <e> WHERE <p>
    → UPDATE ns.t AS c SET x = __nl_new.x FROM
      (SELECT c.__nl_rowid, <e> AS x FROM (<governed ns.t>, ...) AS c WHERE <p>) AS __nl_new
      WHERE c.rowid = __nl_new.__nl_rowid

Whatever the user's expressions do — name a column, the whole row (``c::VARCHAR``,
``to_json(c)``), ``COLUMNS(*)``, a correlated subquery, ``error(...)`` — they see what a SELECT
of the table would show them, and the rows the statement changes are the rows they can see. The
lakehouse aims both the statement and the governed subquery (the one selecting ``rowid AS
__nl_rowid``) at the copy of the rows it stages (``lakehouse.staging.retarget``), so the row ids
agree. ``RETURNING`` (which cannot hold a subquery) reads the stored row: its masked columns are
masked in place and ``*`` is spelled out with them.
"""

from __future__ import annotations

from sqlglot import exp

from neurolake_lab.compliance.policy.masking import denied_expression, mask_expression
from neurolake_lab.compliance.policy.plans import TablePlan
from neurolake_lab.lakehouse.staging import NEW_ROWS, ROW_ID


def govern_write_target(statement: exp.Update | exp.Delete, plan: TablePlan) -> None:
    """Rewrite ``statement`` (in place) so its expressions read only the governed target."""
    from neurolake_lab.compliance.policy.rewrite import governed_subquery

    target = statement.this
    assert isinstance(target, exp.Table)
    alias = exp.to_identifier(target.alias_or_name, quoted=True)
    governed = governed_subquery(target, plan)
    template = governed.this
    assert isinstance(template, exp.Select)
    template.set("expressions", [*template.expressions, exp.alias_("rowid", ROW_ID)])
    inner = exp.Select(
        expressions=[exp.column(ROW_ID, table=alias.copy())], from_=exp.From(this=governed)
    )
    where = statement.args.get("where")
    if isinstance(where, exp.Where):
        inner.set("where", where.pop())
    if isinstance(statement, exp.Delete):
        for extra in statement.args.get("using") or []:
            _cross_join(inner, extra)
        statement.set("using", None)
        rowids = exp.Subquery(this=inner)
        statement.set("where", exp.Where(this=exp.In(this=exp.column("rowid"), query=rowids)))
    else:
        source = statement.args.get("from_")
        if isinstance(source, exp.From):
            _cross_join(inner, source.this)
        new = exp.to_identifier(NEW_ROWS)
        for assignment in statement.expressions:
            if not isinstance(assignment, exp.EQ):
                continue
            name = assignment.this.name
            value = exp.Alias(
                this=assignment.expression.pop(), alias=exp.to_identifier(name, quoted=True)
            )
            inner.append("expressions", value)
            assignment.set("expression", exp.column(name, table=new.copy(), quoted=True))
        statement.set("from_", exp.From(this=exp.Subquery(this=inner, alias=new.copy())))
        match = exp.EQ(
            this=exp.column("rowid", table=alias.copy()),
            expression=exp.column(ROW_ID, table=new.copy()),
        )
        statement.set("where", exp.Where(this=match))
    _govern_returning(statement, plan, target.alias_or_name.lower())


def _cross_join(select: exp.Select, source: exp.Expr) -> None:
    """Add a table of the statement's ``USING``/``FROM`` (moved, with its joins) to ``select``."""
    source.pop()
    joins = source.args.get("joins") or []
    source.set("joins", None)
    select.append("joins", exp.Join(this=source, kind="CROSS"))
    for join in joins:
        select.append("joins", join)


def _govern_returning(statement: exp.Update | exp.Delete, plan: TablePlan, alias: str) -> None:
    """Mask the target's restricted columns where RETURNING reads them; ``*`` spelled out."""
    returning = statement.args.get("returning")
    if not isinstance(returning, exp.Returning):
        return
    for column in list(returning.find_all(exp.Column)):
        if column.table.lower() not in ("", alias):
            continue
        if column.name.lower() == alias and column.name.lower() not in plan.columns:
            # the whole row: only its governed columns, spelled out
            column.replace(exp.Struct(expressions=_spelled_out(plan, alias)))
            continue
        replacement = _restricted(plan, column)
        if replacement is not None:
            column.replace(replacement)
    if any(isinstance(e, exp.Star) for e in returning.expressions):
        returning.set("expressions", _spelled_out(plan, alias))


def _restricted(plan: TablePlan, column: exp.Column) -> exp.Expr | None:
    decision = plan.restricted.get(column.name.lower())
    if decision is None:
        return None
    if decision.action == "mask" and decision.method is not None:
        return mask_expression(
            exp.column(column.name, table=column.table or None),
            _returning_method(decision.method),
            table=plan.table,
            name=column.name.lower(),
        )
    spelled, duckdb_type = plan.columns[column.name.lower()]
    return denied_expression(f"{plan.table}.{spelled}", decision.policy, duckdb_type)


def _returning_method(method: str) -> str:
    """DuckDB allows no subquery in RETURNING, and the hash reads its key through one."""
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

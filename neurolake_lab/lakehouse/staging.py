"""Where a copy-on-write UPDATE/DELETE/MERGE stages the rows it changes, and how it aims at them.

Shared by ``sql_writes`` and ``merge``: the statement is re-aimed at a DuckDB copy of the target's
rows (``TARGET``), and only the parameters the re-aimed part uses are bound.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from sqlglot import exp

if TYPE_CHECKING:
    from neurolake_lab.engine import DuckDBEngine
    from neurolake_lab.engine.duckdb_engine import Params
    from neurolake_lab.lakehouse.statements import TableId

#: The temporary table holding the target's rows while a statement changes them.
TARGET = "__nl_target"
#: Names of the tables a write stages its rows in (or registers them as), by prefix: governed
#: SQL may not read them (the guard refuses them), since they hold rows as stored.
STAGING_PREFIXES = (
    "__nl_target", "__nl_old", "__nl_merge", "__nl_incoming", "__nl_existing", "__nl_conform",
    "__nl_rows", "__nl_bad", "__nl_staged",
)  # fmt: skip
#: What a governed write target's subquery calls each row's ``rowid`` (how the lakehouse finds
#: the subquery to aim it at the staged rows), the rows an UPDATE computes, and the row number
#: a staged copy carries.
ROW_ID = "__nl_rowid"
NEW_ROWS = "__nl_new"
ROW = "__nl_row"


def params_for(engine: DuckDBEngine, sql: str, params: Params) -> Params:
    """The subset of a statement's named parameters that ``sql`` (a part of it) uses."""
    if params is None or not isinstance(params, Mapping):
        return params
    statements = engine.split(sql)
    names: set[str] = set()
    for stmt in statements:
        names |= set(stmt.named_parameters)
    return {k: v for k, v in params.items() if k in names} or None


def retarget(tree: exp.Expr, alias: str, tid: TableId) -> str:
    """The DELETE/UPDATE/MERGE ``tree`` aimed at the DuckDB copy of the table's rows.

    Columns qualified with the table's own name (``sales.orders.id``) are re-qualified with the
    alias the copy gets. A governed statement's view of its target (the subquery selecting
    ``rowid AS __nl_rowid``, see ``compliance.policy.write_target``) reads the copy too, so the
    row ids it hands the statement are the copy's.
    """
    copy = tree.copy()
    for column in copy.find_all(exp.Column):
        if column.table == tid[1] and column.db in ("", tid[0]):
            column.set("db", None)
            column.set("table", exp.to_identifier(alias, quoted=True))
    template = governed_template(copy)
    if template is not None:
        source = template.args["from_"]
        source.set("this", exp.Table(this=exp.to_identifier(TARGET)))
    target = exp.Table(
        this=exp.to_identifier(TARGET),
        alias=exp.TableAlias(this=exp.to_identifier(alias, quoted=True)),
    )
    copy.set("this", target)
    return copy.sql("duckdb")


def governed_template(tree: exp.Expr) -> exp.Select | None:
    """The governed subquery of a write's own target: it selects ``rowid AS __nl_rowid``."""
    for select in tree.find_all(exp.Select):
        for projection in select.expressions:
            if (
                isinstance(projection, exp.Alias)
                and projection.alias == ROW_ID
                and isinstance(projection.this, exp.Column)
                and projection.this.name.lower() == "rowid"
                and isinstance(select.args.get("from_"), exp.From)
            ):
                return select
    return None


def governed_rows(tree: exp.Expr) -> tuple[exp.Select, set[str]] | None:
    """A governed UPDATE/DELETE's query of the rows it changes, and its masked columns.

    ``None`` for a statement the policy left as written. The query's WHERE is the user's; the
    lakehouse prunes files with the part of it on the other (unmasked) columns.
    """
    template = governed_template(tree)
    if template is None:
        return None
    governed = template.parent
    select = governed.parent.parent if governed is not None and governed.parent else None
    if not isinstance(governed, exp.Subquery) or not isinstance(select, exp.Select):
        return None
    changed: set[str] = set()
    for star in template.find_all(exp.Star):
        for replaced in star.args.get("replace") or []:
            changed.add(replaced.alias_or_name)
    return select, changed

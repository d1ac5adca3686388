"""Check generated SQL before anything runs: one read-only query on known tables DuckDB can plan.

Two gates, cheapest first: sqlglot reads the SQL (exactly one statement, a query, no table
functions that read files or other databases, every table a lakehouse table or a CTE), then
DuckDB's ``EXPLAIN`` binds it against the session's views (unknown columns, type errors). Either
failure raises :class:`~neurolake_lab.exceptions.QueryError` with a message a model can act on,
which is what the repair loop sends back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from neurolake_lab.exceptions import QueryError

if TYPE_CHECKING:
    from neurolake_lab.context import QueryContext
    from neurolake_lab.index.model import SchemaSnapshot

#: Table functions a generated query may use (they read no files and no other database).
SAFE_TABLE_FUNCTIONS = frozenset({"range", "generate_series", "unnest"})


def check_query(sql: str, snapshot: SchemaSnapshot) -> str:
    """``sql`` if it is one read-only query over known tables; else a clear QueryError."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except SqlglotError as exc:
        raise QueryError(f"the SQL does not parse: {_first_line(exc)}", kind="syntax",
                         sql=sql) from None  # fmt: skip
    if len(statements) != 1:
        raise QueryError(f"expected one query, got {len(statements)} statements", kind="syntax",
                         sql=sql)  # fmt: skip
    tree = statements[0]
    if not isinstance(tree, exp.Query):
        kind = type(tree).__name__.upper()
        raise QueryError(f"only read-only SELECT queries may run from a question, not {kind}",
                         kind="not_allowed", sql=sql)  # fmt: skip
    for node in tree.walk():
        if isinstance(node, exp.Insert | exp.Update | exp.Delete | exp.Create | exp.Drop |
                      exp.Command | exp.Alter):  # fmt: skip
            raise QueryError("only read-only queries may run from a question", kind="not_allowed",
                             sql=sql)  # fmt: skip
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    known = {t.lower() for t in snapshot.tables} | {t.split(".", 1)[1].lower() for t in
                                                    snapshot.tables}  # fmt: skip
    for table in tree.find_all(exp.Table):
        func = table.this
        if isinstance(func, exp.Func) or table.args.get("this") is None:
            name = func.sql_name().lower() if isinstance(func, exp.Func) else ""
            if isinstance(func, exp.Anonymous):
                name = str(func.this).lower()
            if name not in SAFE_TABLE_FUNCTIONS:
                raise QueryError(f"the table function {name or '?'}() is not allowed here",
                                 kind="not_allowed", sql=sql)  # fmt: skip
            continue
        ref = ".".join(p for p in (table.db, table.name) if p).lower()
        if not table.db and ref in ctes:
            continue
        if ref not in known:
            names = ", ".join(sorted(snapshot.tables)[:12])
            raise QueryError(f"unknown table {ref!r}; the tables are: {names}",
                             kind="unknown_table", sql=sql)  # fmt: skip
    return sql


def explain(sql: str, query: QueryContext) -> None:
    """Let DuckDB bind and plan ``sql`` (nothing runs); raises QueryError when it cannot."""
    query.engine.explain(sql)


def validate(sql: str, query: QueryContext, snapshot: SchemaSnapshot) -> str:
    """Both gates; returns the SQL unchanged."""
    check_query(sql, snapshot)
    explain(sql, query)
    return sql


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__

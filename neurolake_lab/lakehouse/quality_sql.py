"""The SQL a quality check may hold: one expression over the row it checks, and nothing else.

A check is a string a user turns into executed SQL, run on every write by whoever writes — so it
is not run as written. It must parse as one expression whose columns are the table's own, whose
functions are DuckDB's pure scalar built-ins (called as ``system.main.<name>``, which no user
macro can shadow), with no subquery, table, star, aggregate, window or parameter in it, and none
of the functions that raise with a value in the message, read settings or state, or have side
effects (``error``, ``getvariable``, ``current_setting``, ``nextval`` ...). So a check reads the
row in front of it and nothing more: a subquery over another table, or ``error(email)``, is
refused when the check is set and again when a write would run it.

Example:
    >>> print(check_sql(
    ...     "upper(country) IN ('DE', 'FR') AND email LIKE '%@%'",
    ...     ["country", "email"],
    ... ))
    system.main.UPPER(country) IN ('DE', 'FR') AND email LIKE '%@%'
    >>> try:
    ...     check_sql("error(email) IS NULL", {"email"})
    ... except LakehouseError as err:
    ...     print(err.message)
    quality check 'error(email) IS NULL' calls error(), which a check may not call
"""

from __future__ import annotations

import re
from collections.abc import Collection
from functools import cache
from typing import Final

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from neurolake_lab.engine.system_functions import SYNTAX, qualify_functions
from neurolake_lab.exceptions import LakehouseError

#: Scalar built-ins a check may not call: they raise with a value in the message, read the
#: session's settings or state, or change it.
_DENIED: Final = frozenset(
    {
        "error", "getvariable", "current_setting", "nextval", "currval", "setseed",
        "current_query", "current_query_id", "current_schema", "current_schemas",
        "current_database", "current_catalog", "current_connection_id", "current_transaction_id",
        "txid_current", "in_search_path", "version", "pg_sleep", "current_role", "current_user",
        "session_user", "user",
    }
)  # fmt: skip
#: Built-in macros that are pure functions of their arguments (the others read the catalog).
_MACRO_PREFIXES: Final = ("list_", "array_", "map_", "json")
_MACROS: Final = frozenset(
    {"nullif", "split_part", "date_add", "fdiv", "fmod", "round_even", "roundbankers",
     "days_in_month", "ago", "md5_number_lower", "md5_number_upper", "geomean", "wavg"}
)  # fmt: skip
#: Nodes a check may not hold: other rows or tables, parameters, statements.
_REFUSED: Final = {
    exp.Query: "a subquery",
    exp.Subquery: "a subquery",
    exp.Table: "a table",
    exp.Exists: "a subquery",
    exp.Star: "a star",
    exp.Window: "a window function",
    exp.AggFunc: "an aggregate",
    exp.Placeholder: "a parameter",
    exp.Parameter: "a parameter",
}
_CALL: Final = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\(")


def check_sql(predicate: str, columns: Collection[str], table: str | None = None) -> str:
    """The check ``predicate`` as it runs, or a ``LakehouseError`` naming what it may not hold.

    Args:
        predicate: The check as the user wrote it.
        columns: The table's columns (a check may read only these, unqualified or qualified
            with the table's own name).
        table: The table's name (``t`` of ``ns.t``), for qualified columns.
    """
    try:
        tree = sqlglot.parse_one(predicate, read="duckdb")
    except SqlglotError as exc:
        raise _refused(predicate, f"does not parse ({str(exc).splitlines()[0]})") from None
    if tree is None or not isinstance(tree, exp.Condition) or isinstance(tree, exp.Query):
        raise _refused(predicate, "is not an expression")
    known = {c.lower() for c in columns}
    for node in tree.walk():
        for kind, what in _REFUSED.items():
            if isinstance(node, kind):
                raise _refused(predicate, f"holds {what}; a check reads only its own row")
        if isinstance(node, exp.Column):
            _check_column(predicate, node, known, table)
        elif isinstance(node, exp.Func) and not isinstance(node, SYNTAX):
            _check_call(predicate, node)
    return str(qualify_functions(tree).sql("duckdb"))


def validate(checks: Collection[str], columns: Collection[str], table: str) -> None:
    """Refuse (``LakehouseError``) the first of ``checks`` a table ``ns.t`` may not hold."""
    for predicate in checks:
        check_sql(predicate, columns, table.rsplit(".", 1)[-1])


def check_columns(predicate: str) -> set[str]:
    """The (lower-cased) columns a check reads.

    None when it does not parse: then it is refused where it would run.
    """
    try:
        tree = sqlglot.parse_one(predicate, read="duckdb")
    except SqlglotError:
        return set()
    return {c.name.lower() for c in tree.find_all(exp.Column)} if tree is not None else set()


def _check_column(predicate: str, column: exp.Column, known: set[str], table: str | None) -> None:
    qualifier = column.table.lower()
    if column.args.get("db") or (qualifier and qualifier != (table or "").lower()):
        raise _refused(predicate, f"names {column.sql('duckdb')}; a check names its own columns")
    if column.name.lower() not in known:
        raise _refused(predicate, f"names {column.name}, which the table does not have")
    column.set("table", None)  # checks run over the incoming rows, under another name


def _check_call(predicate: str, node: exp.Func) -> None:
    match = _CALL.match(node.sql("duckdb"))
    if match is None:
        return  # syntax, not a call (CAST, CASE, EXTRACT(... FROM ...), operators)
    name = match.group(1).lower()
    if name in _DENIED:
        raise _refused(predicate, f"calls {name}(), which a check may not call")
    if name not in _allowed():
        raise _refused(
            predicate, f"calls {name}(), which is not one of DuckDB's own scalar functions"
        )


def _refused(predicate: str, why: str) -> LakehouseError:
    return LakehouseError(
        f"quality check {predicate!r} {why}",
        hint="A check is one SQL expression over the row's own columns, with DuckDB's scalar "
        "functions: e.g. amount >= 0, email LIKE '%@%', status IN ('open', 'closed')",
    )


@cache
def _allowed() -> frozenset[str]:
    """DuckDB's scalar functions and pure macros (lower case), read once from its catalog."""
    import duckdb

    con = duckdb.connect()
    try:
        rows = con.execute(
            "SELECT DISTINCT lower(function_name), function_type FROM duckdb_functions() "
            "WHERE internal AND function_type IN ('scalar', 'macro')"
        ).fetchall()
    finally:
        con.close()
    return (
        frozenset(
            str(name)
            for name, kind in rows
            if kind == "scalar" or str(name).startswith(_MACRO_PREFIXES) or name in _MACROS
        )
        - _DENIED
    )

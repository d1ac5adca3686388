"""DuckDB's own functions: which names they take, and calls that no user object can redirect.

DuckDB looks an unqualified function up in the session's schemas before its built-ins, so
``CREATE TEMP MACRO md5(x) AS x`` would change what every later ``md5(...)`` means — operators
too (``+``, ``||``, ``~~`` for LIKE are functions in its catalog). Masks and row filters must mean
what the policy says whatever the user defined, so (1) the guard refuses definitions that take a
built-in's name (:func:`is_builtin`), and (2) the rewrite calls built-ins by their full name,
``system.main.md5(...)`` (:func:`system_call`, :func:`qualify_functions`), which a user's macro
cannot shadow.

Example:
    >>> import sqlglot
    >>> cond = sqlglot.parse_one("upper(country) = 'FR'", read="duckdb")
    >>> qualify_functions(cond).sql("duckdb")
    "system.main.UPPER(country) = 'FR'"
"""

from __future__ import annotations

import re
from functools import cache
from typing import Final

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

#: Where DuckDB keeps its built-in functions (and Python UDFs registered on a connection).
SYSTEM: Final = ("system", "main")
_CALL: Final = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\(")
#: sqlglot nodes printed with syntax of their own (not ``name(args)``), never qualified.
SYNTAX: Final = (
    exp.Connector, exp.Unary, exp.Cast, exp.TryCast, exp.Case, exp.If,
    exp.Extract, exp.Interval, exp.Between, exp.In, exp.Exists, exp.Coalesce, exp.Struct,
    exp.Array, exp.Window, exp.AggFunc,
)  # fmt: skip


@cache
def builtin_names() -> frozenset[str]:
    """Every function, macro and operator name DuckDB defines itself (lower case).

    Read once per process from a fresh in-memory DuckDB: its catalog is the source of truth (it
    also lists operators such as ``+`` and ``~~``, which a user macro could otherwise shadow).
    """
    import duckdb

    con = duckdb.connect()
    try:
        rows = con.execute(
            "SELECT DISTINCT lower(function_name) FROM duckdb_functions() WHERE internal"
        ).fetchall()
    finally:
        con.close()
    return frozenset(str(r[0]) for r in rows)


def is_builtin(name: str) -> bool:
    """Whether ``name`` is one of DuckDB's own functions, macros or operators."""
    return name.lower() in builtin_names()


def system_call(name: str, *args: exp.Expr) -> exp.Expr:
    """``system.main.<name>(args)``: a built-in called by its full name."""
    call = exp.Anonymous(this=name, expressions=list(args))
    return exp.Dot.build([exp.to_identifier(SYSTEM[0]), exp.to_identifier(SYSTEM[1]), call])


def qualify_functions(condition: exp.Expr) -> exp.Expr:
    """A copy of ``condition`` whose built-in function calls name ``system.main``.

    Calls printed as ``name(args)`` whose name DuckDB defines are qualified; syntax that only
    looks like a call (``CAST``, ``EXTRACT(... FROM ...)``, ``COALESCE``) and operators stay as
    they are (operators cannot be qualified in SQL; the guard keeps their names from being
    redefined). A call whose qualified form would not read back is left unqualified.
    """
    root = condition.copy()
    for node in reversed(list(root.dfs())):  # innermost calls first
        if not isinstance(node, exp.Func) or isinstance(node, SYNTAX):
            continue
        printed = node.sql("duckdb")
        match = _CALL.match(printed)
        if match is None or not is_builtin(match.group(1)) or not _one_call(printed):
            continue
        qualified = exp.Dot.build(
            [exp.to_identifier(SYSTEM[0]), exp.to_identifier(SYSTEM[1]), node.copy()]
        )
        try:
            sqlglot.parse_one(qualified.sql("duckdb"), read="duckdb")
        except SqlglotError:
            continue
        if node is root:
            return qualified
        node.replace(qualified)
    return root


def _one_call(printed: str) -> bool:
    """Whether ``name(...)`` is one call: its first parenthesis closes at the very end."""
    depth, quote = 0, ""
    for i, ch in enumerate(printed):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i == len(printed) - 1
    return False

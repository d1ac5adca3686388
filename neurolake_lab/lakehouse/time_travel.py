"""``FOR VERSION AS OF`` / ``FOR TIMESTAMP AS OF`` on table references, rewritten for DuckDB.

DuckDB's parser does not know the Spark/Trino spelling, so a cell that uses it is split into
statements with sqlglot's tokenizer, and every versioned reference to an Iceberg table becomes
``iceberg_scan(<metadata file>, snapshot_from_id => <id>) AS <alias>``: DuckDB then reads exactly
that snapshot, with the schema the table had then. Statements without a versioned reference are
passed through as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError
from sqlglot.tokenizer_core import TokenType

from neurolake_lab.exceptions import QueryError
from neurolake_lab.lakehouse.statements import TableId

AS_OF = re.compile(r"\bFOR\s+(?:SYSTEM_)?(?:VERSION|TIMESTAMP|TIME)\s+AS\s+OF\b", re.IGNORECASE)

#: Finds the Iceberg table of a reference: ``(namespace or None, name)`` → table id.
Resolve = Callable[[str | None, str], TableId]
#: The ``iceberg_scan(...)`` call that reads ``table`` at a snapshot given as id or as a time.
ScanAt = Callable[[TableId, int | None, datetime | None], str]
#: Evaluates a constant SQL expression in DuckDB and returns its Python value.
Evaluate = Callable[[str], Any]


def has_time_travel(text: str) -> bool:
    """Cheap test, run on every cell: whether ``text`` may hold a versioned table reference."""
    return AS_OF.search(text) is not None


def split_statements(text: str) -> list[str]:
    """Split SQL on top-level semicolons using sqlglot's tokenizer (strings and comments safe)."""
    try:
        tokens = sqlglot.Dialect.get_or_raise("duckdb").tokenize(text)
    except Exception as exc:  # sqlglot's TokenError
        raise QueryError(f"cannot read the SQL: {exc}", kind="syntax", sql=text) from None
    parts: list[str] = []
    start = 0
    for tok in tokens:
        if tok.token_type == TokenType.SEMICOLON:
            chunk = text[start : tok.start].strip()
            if chunk:
                parts.append(chunk)
            start = tok.end + 1
    tail = text[start:].strip()
    if tail:
        parts.append(tail)
    return parts


def rewrite(
    text: str,
    resolve: Resolve,
    scan_at: ScanAt,
    evaluate: Evaluate,
    parameter: Callable[[str], Any] | None = None,
) -> str:
    """``text`` with every ``FOR VERSION|TIMESTAMP AS OF`` reference turned into a snapshot scan.

    ``parameter`` gives the value of a ``$name`` used as the version or time.
    """
    out = []
    for chunk in split_statements(text):
        if has_time_travel(chunk):
            chunk = _rewrite_one(chunk, resolve, scan_at, evaluate, parameter)
        out.append(chunk)
    return ";\n".join(out)


def _rewrite_one(
    text: str,
    resolve: Resolve,
    scan_at: ScanAt,
    evaluate: Evaluate,
    parameter: Callable[[str], Any] | None,
) -> str:
    try:
        tree = sqlglot.parse_one(text, read="duckdb")
    except ParseError as exc:
        first = str(exc).splitlines()[0]
        raise QueryError(f"cannot parse the statement: {first}", kind="syntax", sql=text) from None
    changed = False
    for table in list(tree.find_all(exp.Table)):
        version = table.args.get("version")
        if not isinstance(version, exp.Version):
            continue
        tid = resolve(table.db or None, table.name)
        asked = version_of(table, evaluate, parameter)
        if asked is None:  # a $name without a value: DuckDB names the missing parameter
            asked = _snapshot_id(version.expression, table, evaluate), None
        call = scan_at(tid, *asked)
        alias = table.alias or table.name
        replacement = sqlglot.parse_one(f"SELECT * FROM {call} AS {_quote(alias)}", read="duckdb")
        scan = replacement.args["from_"].this
        table.replace(scan)
        changed = True
    return tree.sql("duckdb") if changed else text


def version_of(
    table: exp.Table, evaluate: Evaluate, parameter: Callable[[str], Any] | None = None
) -> tuple[int | None, datetime | None] | None:
    """What a versioned reference asks for: ``(snapshot id, None)`` or ``(None, time)``.

    ``None`` when the reference is not versioned, or names its version with a ``$name`` whose
    value is not known here.
    """
    version = table.args.get("version")
    if not isinstance(version, exp.Version):
        return None
    value = version.expression
    if isinstance(value, exp.Placeholder):
        if parameter is None:
            return None
        value = _literal(parameter(value.name), value.name)
    if str(version.name).upper() in ("VERSION", "SYSTEM_VERSION"):
        return _snapshot_id(value, table, evaluate), None
    return None, _timestamp(value, evaluate)


def _literal(value: Any, name: str) -> exp.Expr:
    """A bound parameter's value as a SQL literal (a snapshot id or a time)."""
    if isinstance(value, bool) or value is None:
        raise QueryError(f"parameter ${name} has no snapshot id or time", kind="parameter")
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, datetime):
        return exp.Literal.string(value.isoformat())
    return exp.Literal.string(str(value))


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _snapshot_id(value: exp.Expr, table: exp.Table, evaluate: Evaluate) -> int:
    raw = value.name if isinstance(value, exp.Literal) else evaluate(value.sql("duckdb"))
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise QueryError(
            f"FOR VERSION AS OF needs a snapshot id (a number) for {table.sql('duckdb')}, "
            f"not {value.sql('duckdb')}",
            kind="time_travel",
            hint="%snapshots <table> lists the snapshot ids",
        ) from None


def _timestamp(value: exp.Expr, evaluate: Evaluate) -> datetime:
    sql = value.sql("duckdb")
    try:
        # as a UTC wall-clock TIMESTAMP: DuckDB hands TIMESTAMPTZ values to Python only via pytz
        when = evaluate(f"timezone('UTC', CAST({sql} AS TIMESTAMPTZ))")
    except QueryError:
        raise QueryError(
            f"FOR TIMESTAMP AS OF needs a time, such as '2026-01-31 12:00:00'; {sql} is not one",
            kind="time_travel",
        ) from None
    if not isinstance(when, datetime):
        raise QueryError(f"FOR TIMESTAMP AS OF {sql} is not a time", kind="time_travel")
    return when if when.tzinfo else when.replace(tzinfo=UTC)

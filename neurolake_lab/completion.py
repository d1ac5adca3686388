"""Completion and inspection inside ``%%sql`` cells: tables, their columns, keywords, functions.

Table references are found with sqlglot when the SQL parses, and with a forgiving pattern while the
user is still typing (half-written SQL rarely parses).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from neurolake_lab.session import Session

_WORD_BEFORE = re.compile(r"[A-Za-z_][\w.]*$")
_WORD_AFTER = re.compile(r"^[\w.]*")
_FROM_JOIN = re.compile(
    r"\b(?:FROM|JOIN|UPDATE|INTO|TABLE)\s+([A-Za-z_][\w.]*)(?:\s+(?:AS\s+)?([A-Za-z_]\w*))?",
    re.IGNORECASE,
)
_TABLE_POSITION = re.compile(
    r"\b(?:FROM|JOIN|INTO|UPDATE|TABLE|DESCRIBE|SUMMARIZE)\s+$", re.IGNORECASE
)
_NOT_ALIAS = {
    "where", "join", "left", "right", "inner", "outer", "full", "cross", "on", "group", "order",
    "limit", "using", "natural", "union", "except", "intersect", "having", "window", "qualify",
    "select", "set", "values", "as", "positional", "anti", "semi", "asof", "lateral",
}  # fmt: skip


@dataclass
class Completion:
    """Matches for the word that ends at the cursor, and where that word starts and ends."""

    matches: list[str]
    cursor_start: int
    cursor_end: int


def sql_region(code: str, cursor_pos: int) -> tuple[str, int] | None:
    """The SQL text of a ``%%sql`` cell or ``%sql`` line holding the cursor, and its offset."""
    stripped = code.lstrip()
    if stripped.startswith("%%sql"):
        lead = len(code) - len(stripped)
        newline = code.find("\n", lead)
        if newline == -1 or cursor_pos <= newline:
            return None  # the cursor is on the magic line (options)
        return code[newline + 1 :], newline + 1
    line_start = code.rfind("\n", 0, cursor_pos) + 1
    line_end = code.find("\n", cursor_pos)
    line = code[line_start : line_end if line_end != -1 else len(code)]
    match = re.match(r"\s*(?:\w+\s*=\s*)?%sql\s", line)
    if match:
        return line[match.end() :], line_start + match.end()
    return None


def referenced_tables(sql: str) -> dict[str, str]:
    """Alias or name → table for the tables ``sql`` reads or writes."""
    found: dict[str, str] = {}
    for match in _FROM_JOIN.finditer(sql):
        table, alias = match.group(1), match.group(2)
        found[table] = table
        found[table.rsplit(".", 1)[-1]] = table
        if alias and alias.lower() not in _NOT_ALIAS:
            found[alias] = table
    return found


@lru_cache(maxsize=1)
def _keywords_and_functions() -> tuple[list[str], list[str]]:
    import duckdb

    con = duckdb.connect()
    keywords = sorted(
        r[0].upper() for r in con.execute("SELECT keyword_name FROM duckdb_keywords()").fetchall()
    )
    rows = con.execute(
        "SELECT DISTINCT function_name FROM duckdb_functions() "
        "WHERE function_type IN ('scalar', 'aggregate', 'table', 'table_macro', 'macro')"
    ).fetchall()
    functions = sorted({r[0] for r in rows if r[0].isidentifier() and not r[0].startswith("_")})
    con.close()
    return keywords, functions


def complete_sql(session: Session, code: str, cursor_pos: int) -> Completion | None:
    """Completions at ``cursor_pos`` if it is inside SQL, else ``None`` (Python completes)."""
    region = sql_region(code, cursor_pos)
    if region is None:
        return None
    sql, offset = region
    before = code[offset:cursor_pos]
    word_match = _WORD_BEFORE.search(before)
    word = word_match.group() if word_match else ""
    start = cursor_pos - len(word)
    engine = session.engine
    tables = referenced_tables(sql)
    if "." in word:
        qualifier, _, prefix = word.rpartition(".")
        matches = []
        if qualifier in tables:
            matches = [c for c, _ in _safe_columns(session, tables[qualifier])]
        # a schema-qualified table name, e.g. main.sal -> main.sales
        matches += [
            n.rpartition(".")[2] for n in engine.table_names() if n.startswith(qualifier + ".")
        ]
        return Completion(_filter(matches, prefix), start + len(qualifier) + 1, cursor_pos)
    table_names = [n for n in engine.table_names() if "." not in n]
    if _TABLE_POSITION.search(before[: len(before) - len(word)]):
        return Completion(
            _filter(table_names, word) if word else sorted(table_names), start, cursor_pos
        )
    columns = [c for t in dict.fromkeys(tables.values()) for c, _ in _safe_columns(session, t)]
    keywords, functions = _keywords_and_functions()
    if not word:
        return Completion(sorted(dict.fromkeys(columns + table_names)), start, cursor_pos)
    upper = word.isupper()
    ranked = (
        _filter(columns, word)
        + _filter(table_names, word)
        + [k if upper else k.lower() for k in _filter(keywords, word)]
        + _filter(functions, word)
    )
    return Completion(list(dict.fromkeys(ranked)), start, cursor_pos)


def _filter(names: list[str], prefix: str) -> list[str]:
    low = prefix.lower()
    return sorted(n for n in set(names) if n.lower().startswith(low) and n != prefix)


def _safe_columns(session: Session, table: str) -> list[tuple[str, str]]:
    from neurolake_lab.exceptions import QueryError

    try:
        return session.engine.columns(table)
    except QueryError:
        return []


def inspect_sql(session: Session, code: str, cursor_pos: int) -> dict[str, str] | None:
    """A table's schema when the cursor is on a table name inside SQL, else ``None``."""
    region = sql_region(code, cursor_pos)
    if region is None:
        return None
    left = _WORD_BEFORE.search(code[:cursor_pos])
    right = _WORD_AFTER.match(code[cursor_pos:])
    name = (left.group() if left else "") + (right.group() if right else "")
    if not name:
        return None
    tables = referenced_tables(region[0])
    table = tables.get(name, name)
    columns = _safe_columns(session, table)
    if not columns:
        return None
    width = max(len(c) for c, _ in columns)
    lines = [f"Table {table} ({len(columns)} columns)"]
    lines += [f"  {c.ljust(width)}  {t}" for c, t in columns]
    md = [f"**{table}**", "", "| column | type |", "| --- | --- |"]
    md += [f"| `{c}` | {t} |" for c, t in columns]
    return {"text/plain": "\n".join(lines), "text/markdown": "\n".join(md)}

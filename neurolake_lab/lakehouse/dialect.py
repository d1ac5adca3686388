"""The SQL NeuroLake reads: DuckDB's dialect plus the lakehouse's few extensions.

DuckDB's parser splits a cell into statements (and knows each one's parameters). The Spark/Iceberg
spellings it does not parse are read here instead: ``INSERT OVERWRITE [TABLE] t ...``,
``ALTER TABLE t WRITE [LOCALLY] ORDERED BY ...``, ``ALTER TABLE t SET TBLPROPERTIES (...)`` and
``FOR VERSION|TIMESTAMP AS OF`` (rewritten
for DuckDB later, after the policy has governed the statement; see ``time_travel``). Only when
DuckDB rejects a cell that holds one of them is the cell split with sqlglot's tokenizer, so
ordinary SQL takes DuckDB's path unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlglot
from sqlglot import exp

from neurolake_lab.exceptions import QueryError
from neurolake_lab.lakehouse.time_travel import AS_OF, has_time_travel, split_statements

if TYPE_CHECKING:
    from neurolake_lab.engine import DuckDBEngine

_EXTENSION = re.compile(
    r"^\s*(?:(?P<insert>INSERT\s+OVERWRITE)\b|ALTER\s+TABLE\s+\S+\s+(?:WRITE\s+(?:LOCALLY\s+)?"
    r"ORDERED\s+BY|SET\s+TBLPROPERTIES)\b)",
    re.IGNORECASE,
)
_ANYWHERE = re.compile(
    rf"\b(?:INSERT\s+OVERWRITE|WRITE\s+(?:LOCALLY\s+)?ORDERED\s+BY|SET\s+TBLPROPERTIES)\b|"
    rf"{AS_OF.pattern}",
    re.I,
)
#: The statement type a time-travel statement gets from its sqlglot node (DuckDB's names).
_TYPES = {
    "Select": "SELECT", "Union": "SELECT", "Intersect": "SELECT", "Except": "SELECT",
    "Create": "CREATE", "Insert": "INSERT", "Update": "UPDATE", "Delete": "DELETE",
}  # fmt: skip


@dataclass(frozen=True)
class Statement:
    """One statement of a cell: its text, DuckDB's statement type and its ``$name`` parameters."""

    query: str
    type: str
    named_parameters: frozenset[str]


def split_cell(engine: DuckDBEngine, text: str) -> list[Statement]:
    """The statements of a cell, DuckDB's and the lakehouse's alike."""
    try:
        return _duckdb_statements(engine, text)
    except QueryError as err:
        if err.kind != "syntax" or not _ANYWHERE.search(text):
            raise
    out: list[Statement] = []
    for chunk in split_statements(text):
        match = _EXTENSION.match(chunk)
        if match:
            kind = "INSERT" if match.group("insert") else "ALTER"
            out.append(Statement(chunk, kind, _parameters(chunk)))
        elif has_time_travel(chunk):  # time travel: rewritten for DuckDB after the policy ran
            tree = _parse(chunk)
            kind = _TYPES.get(type(tree).__name__, "SELECT")
            out.append(Statement(chunk, kind, _parameters(chunk)))
        else:
            out.extend(_duckdb_statements(engine, chunk))
    return out


def _duckdb_statements(engine: DuckDBEngine, text: str) -> list[Statement]:
    found = engine.split(text)
    if all(s.query.strip() for s in found):
        return [Statement(s.query, s.type.name, frozenset(s.named_parameters)) for s in found]
    # DuckDB expands some statements into several without text (a PIVOT without IN lists
    # becomes CREATE TYPE + SELECT): each such statement is kept whole, as the user wrote it
    out: list[Statement] = []
    for chunk in split_statements(text):
        parts = engine.split(chunk)
        if len(parts) == 1 and parts[0].query.strip():
            out.append(Statement(parts[0].query, parts[0].type.name,
                                 frozenset(parts[0].named_parameters)))  # fmt: skip
        elif parts:
            named = frozenset(n for p in parts for n in p.named_parameters)
            out.append(Statement(chunk.strip(), parts[-1].type.name, named))
    return out


def _parse(text: str) -> exp.Expr:
    try:
        tree = sqlglot.parse_one(text, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        first = str(exc).splitlines()[0]
        raise QueryError(f"cannot parse the statement: {first}", kind="syntax", sql=text) from None
    return tree


def _parameters(text: str) -> frozenset[str]:
    return frozenset(p.name for p in _parse(text).find_all(exp.Placeholder) if p.name)

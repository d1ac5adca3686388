"""Statements that hold another statement: ``EXPLAIN``, ``PREPARE``, ``CALL`` and ``SHOW <table>``.

The parser reads them as opaque text, so the policy takes the inner statement out, governs it
like any other and puts the wrapper back: ``EXPLAIN (FORMAT JSON) SELECT email FROM t`` explains
the masked query. ``SHOW t`` is DuckDB's ``DESCRIBE t`` (the table's columns and types).

Example:
    >>> unwrap("EXPLAIN (FORMAT JSON) SELECT 1")
    Wrapped(kind='explain', head='EXPLAIN (FORMAT JSON) ', body='SELECT 1')
    >>> unwrap("SHOW retail.orders")
    Wrapped(kind='show', head='', body='DESCRIBE retail.orders')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

_PREPARE: Final = re.compile(r"^\s*(?P<head>PREPARE\s+\S+?\s+AS\s+)(?P<body>.*)$", re.I | re.S)
_EXPLAIN: Final = re.compile(
    r"^\s*(?P<head>EXPLAIN(?:\s+ANALYZE)?\s*(?:\([^()]*\)\s*)?)(?P<body>\S.*)$", re.I | re.S
)
_CALL: Final = re.compile(r"^\s*CALL\s+(?P<body>.*)$", re.I | re.S)
_SHOW: Final = re.compile(r'^\s*SHOW\s+(?P<name>[\w"]+(?:\.[\w"]+){0,2})\s*;?\s*$', re.I)
#: What ``SHOW <word>`` lists when the word is not a table.
_SHOW_WORDS: Final = frozenset({"tables", "databases", "schemas", "all", "functions"})


@dataclass(frozen=True)
class Wrapped:
    """A wrapper statement taken apart: ``head + governed(body)`` is what runs."""

    kind: str  # explain, prepare, call, show
    head: str
    body: str


def unwrap(source: str) -> Wrapped | None:
    """The wrapper and the statement it holds, or ``None`` for any other statement."""
    match = _EXPLAIN.match(source)
    if match:
        head = match.group("head")
        return Wrapped("explain", head if head.endswith(" ") else head + " ", match.group("body"))
    match = _PREPARE.match(source)
    if match:
        return Wrapped("prepare", match.group("head"), match.group("body"))
    match = _CALL.match(source)
    if match:
        return Wrapped("call", "CALL ", match.group("body"))
    match = _SHOW.match(source)
    if match and match.group("name").strip('"').lower() not in _SHOW_WORDS:
        return Wrapped("show", "", f"DESCRIBE {match.group('name')}")
    return None

"""Turn DuckDB's exceptions into one short ``QueryError`` that names the problem.

DuckDB's messages are good but carry a class prefix ("Catalog Error: ...") and sometimes suggest a
system table ("Did you mean pg_attrdef?") for a typo of a user's table; this keeps the message, the
LINE/caret context and a useful suggestion, and drops the rest.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable

import duckdb

from neurolake_lab.exceptions import QueryError

_PREFIX = re.compile(r"^[A-Za-z ]+ Error: ")
_DID_YOU_MEAN = re.compile(r'Did you mean "([^"]+)"\?')
_CANDIDATES = re.compile(r"Candidate (?:bindings|tables): (.+)")
_MISSING_TABLE = re.compile(r'Table with name "?([^"!\s]+)"? does not exist')
_MISSING_COLUMN = re.compile(r'Referenced column "([^"]+)" not found')
_MISSING_FUNCTION = re.compile(r'Function with name "?([^"!\s]+)"? does not exist')
_SYSTEM = ("pg_", "duckdb_", "sqlite_", "information_schema")


def missing_table(exc: BaseException) -> str | None:
    """The table name DuckDB could not find, if that is what ``exc`` says."""
    if isinstance(exc, duckdb.CatalogException):
        match = _MISSING_TABLE.search(str(exc))
        if match:
            return match.group(1)
    return None


def _kind(exc: BaseException, text: str) -> str:
    if isinstance(exc, duckdb.ParserException):
        return "syntax"
    if isinstance(exc, duckdb.CatalogException):
        if _MISSING_TABLE.search(text):
            return "unknown_table"
        if _MISSING_FUNCTION.search(text):
            return "unknown_function"
        return "catalog"
    if isinstance(exc, duckdb.BinderException):
        if _MISSING_COLUMN.search(text) or "Referenced table" in text:
            return "unknown_column"
        if "No function matches" in text or "Could not choose a best candidate" in text:
            return "type"
        return "binder"
    if isinstance(exc, duckdb.ConversionException):
        return "conversion"
    if isinstance(exc, duckdb.ConstraintException):
        return "constraint"
    if isinstance(exc, duckdb.OutOfMemoryException):
        return "out_of_memory"
    if isinstance(exc, duckdb.InterruptException) or "Query interrupted" in text:
        return "interrupted"
    if isinstance(exc, duckdb.InvalidInputException) and "parameter" in text.lower():
        return "parameter"
    return "error"


def _line_context(text: str) -> str | None:
    """DuckDB's ``LINE 1: ...`` and caret lines, which point at the problem in the SQL."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("LINE "):
            return "\n".join(lines[i : i + 2])
    return None


def to_query_error(
    exc: BaseException, sql: str, known_tables: Callable[[], Iterable[str]] | None = None
) -> QueryError:
    """Build the ``QueryError`` for a DuckDB exception raised while running ``sql``."""
    text = str(exc)
    kind = _kind(exc, text)
    first = _PREFIX.sub("", text.splitlines()[0] if text else type(exc).__name__).rstrip("!")
    suggestion: str | None = None
    if kind == "unknown_table":
        match = _MISSING_TABLE.search(text)
        missing = match.group(1) if match else ""
        suggested = _DID_YOU_MEAN.search(text)
        candidate = suggested.group(1) if suggested else None
        if candidate is None or candidate.startswith(_SYSTEM):
            names = list(known_tables()) if known_tables else []
            close = difflib.get_close_matches(missing, names, n=1, cutoff=0.6)
            candidate = close[0] if close else None
        suggestion = candidate
    elif kind == "unknown_column":
        match = _CANDIDATES.search(text)
        if match:
            suggestion = match.group(1).split(",")[0].strip().strip('"')
    else:
        suggested = _DID_YOU_MEAN.search(text)
        if suggested:
            suggestion = suggested.group(1)
    if kind == "type":
        # "No function matches ... 'sum(DECIMAL, INTEGER)'. You might ...": keep the first sentence
        first = first.split(". ")[0] + "."
    if kind == "interrupted":
        first = "the query was cancelled; the session is unchanged and ready"
    hints = []
    if suggestion:
        hints.append(f'Did you mean "{suggestion}"?')
    context = _line_context(text)
    if context:
        hints.append(context)
    return QueryError(
        first, kind=kind, suggestion=suggestion, hint="\n".join(hints) or None, sql=sql
    )

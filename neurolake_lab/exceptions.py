"""Errors NeuroLake raises, named for what happened (one module, as pyiceberg does).

Every error a user can cause carries a short message that names the problem; in IPython it renders
as that message alone (``_render_traceback_``), never as a traceback of NeuroLake's internals.
"""

from __future__ import annotations


class NeuroLakeError(Exception):
    """Base class of every error NeuroLake raises on purpose."""

    #: A short title shown before the message, e.g. "SQL syntax error".
    title: str = "NeuroLake error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n{self.hint}" if self.hint else self.message

    def _render_traceback_(self) -> list[str]:
        """Lines IPython shows instead of a traceback: the title, the message and the hint."""
        red, bold, reset = "\x1b[31m", "\x1b[1m", "\x1b[0m"
        lines = [f"{red}{bold}{self.title}:{reset} {self.message}"]
        if self.hint:
            lines.append(self.hint)
        return lines


class WorkspaceError(NeuroLakeError):
    """The workspace folder or its settings cannot be used."""

    title = "Workspace error"


class QueryError(NeuroLakeError):
    """A query failed; ``kind`` says how (syntax, unknown table, unknown column, type, ...)."""

    title = "Query error"

    def __init__(
        self,
        message: str,
        *,
        kind: str = "error",
        hint: str | None = None,
        suggestion: str | None = None,
        sql: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.kind = kind
        self.suggestion = suggestion
        self.sql = sql
        self.title = _TITLES.get(kind, "Query error")


_TITLES = {
    "syntax": "SQL syntax error",
    "unknown_table": "Unknown table",
    "unknown_column": "Unknown column",
    "unknown_function": "Unknown function",
    "type": "Type error",
    "conversion": "Conversion error",
    "constraint": "Constraint violated",
    "parameter": "Parameter error",
    "interrupted": "Query interrupted",
    "out_of_memory": "Out of memory",
}


class SnippetError(NeuroLakeError):
    """A saved snippet cannot be used (unknown name, or snippets that refer to each other)."""

    title = "Snippet error"


class UsageError(NeuroLakeError):
    """A magic or command was called with options it does not understand."""

    title = "Usage error"


class LakehouseError(NeuroLakeError):
    """An Iceberg table or namespace cannot be read or written as asked."""

    title = "Lakehouse error"


class QualityError(LakehouseError):
    """A write was refused because rows break the table's declared quality checks.

    ``violations`` maps each failed check (e.g. ``not_null(customer_id)``) to the number of rows
    that break it, and ``rows`` holds a sample of the offending rows with the check they broke.
    """

    title = "Quality check failed"

    def __init__(self, message: str, *, violations: dict[str, int], rows: object = None) -> None:
        super().__init__(message)
        self.violations = violations
        self.rows = rows


class LLMError(NeuroLakeError):
    """Talking to the language model failed, or its settings cannot be used.

    Messages name the endpoint (never the API key) and, where it helps, how to carry on without
    the LLM (``NEUROLAKE_LLM=offline``).
    """

    title = "LLM error"


class LLMUnavailableError(LLMError):
    """The LLM endpoint cannot be reached, or keeps failing (connection refused, 5xx, 429)."""

    title = "LLM unavailable"


class LLMAuthError(LLMError):
    """The LLM endpoint refused the API key (HTTP 401/403)."""

    title = "LLM key refused"


class LLMTimeoutError(LLMError):
    """The LLM endpoint did not answer within the configured timeout."""

    title = "LLM timeout"


class LLMOutputError(LLMError):
    """The LLM answered with something that cannot be used (not a completion, no SQL in it)."""

    title = "LLM output error"


class AuditError(NeuroLakeError):
    """The audit log cannot record or read a record (bad input, I/O failure, a broken chain)."""

    title = "Audit log error"


class PiiError(NeuroLakeError):
    """PII classification cannot run, or a stored PII tag cannot be read."""

    title = "PII classification error"


class CostModelError(NeuroLakeError):
    """The cost model cannot read or write its history, or an update file cannot be used."""

    title = "Cost model error"


class ResultCacheError(NeuroLakeError):
    """The result cache cannot store or read an entry (its folder, a damaged file)."""

    title = "Result cache error"


class PlanningError(NeuroLakeError):
    """A question could not be mapped to the workspace's tables: nothing was run.

    The message says what was not understood; ``suggestions`` holds the closest tables and
    columns (``namespace.table[.column]``), also shown as the hint.
    """

    title = "Could not read the question"

    def __init__(
        self,
        message: str,
        *,
        question: str = "",
        suggestions: list[str] | None = None,
        hint: str | None = None,
    ) -> None:
        self.question = question
        self.suggestions = list(suggestions or [])
        if hint is None and self.suggestions:
            hint = "Closest tables and columns: " + ", ".join(self.suggestions)
        super().__init__(message, hint=hint)

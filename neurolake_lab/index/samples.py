"""Sample distinct values of low-cardinality text columns, for mapping words such as 'Germany'.

Only columns that are not PII (tagged, reported or suspected) are sampled, only text and boolean
columns, and only when they are low-cardinality: at most :data:`MAX_DISTINCT` distinct values and
at most one value per :data:`MIN_ROWS_PER_VALUE` rows, or a handful for a small table (a unique
name column of a small table is an identifier, not a category). Values longer than
:data:`MAX_VALUE_CHARS` mean free text: skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from neurolake_lab.index.model import ColumnInfo

if TYPE_CHECKING:
    import duckdb

MAX_DISTINCT = 200
MIN_ROWS_PER_VALUE = 5
MAX_VALUE_CHARS = 64
#: A handful of values is a category even in a small table (when no value is unique to a row).
SMALL = 20


def _low_cardinality(distinct: int, rows: int) -> bool:
    """Few values for many rows: a category, not an identifier.

    Example:
        >>> _low_cardinality(12, 5000), _low_cardinality(3, 10), _low_cardinality(200, 200)
        (True, True, False)
    """
    if distinct > MAX_DISTINCT:
        return False
    return distinct * MIN_ROWS_PER_VALUE <= rows or (distinct <= SMALL and 2 * distinct <= rows)


class SampleScope(Protocol):
    """Which columns a shared index may hold samples of: those every user sees whole.

    The index is shared by every user of the workspace, whichever session refreshes it, so it
    keeps values only of columns no policy masks or denies for anyone, of tables no row filter
    restricts for anyone (the compliance layer's governor answers).
    """

    @property
    def policy_version(self) -> str: ...  # noqa: D102

    def shared_columns(self, table_id: str, columns: Sequence[str]) -> set[str]: ...  # noqa: D102


def candidates(
    columns: Sequence[ColumnInfo], scope: SampleScope | None = None, table_id: str = ""
) -> list[ColumnInfo]:
    """The columns worth sampling: non-PII text (or boolean) columns every user may see."""
    cols = [c for c in columns if not c.is_pii and (c.is_text or c.is_boolean)]
    if scope is not None and cols:
        shared = scope.shared_columns(table_id, [c.name for c in cols])
        cols = [c for c in cols if c.name in shared]
    return cols


def quote_ident(name: str) -> str:
    """``name`` as a DuckDB identifier."""
    return '"' + name.replace('"', '""') + '"'


def table_ref(table_id: str) -> str:
    """``namespace.table`` as a quoted DuckDB reference."""
    ns, _, name = table_id.rpartition(".")
    return f"{quote_ident(ns)}.{quote_ident(name)}"


def sample_values(
    con: duckdb.DuckDBPyConnection,
    table_id: str,
    columns: Sequence[ColumnInfo],
    scope: SampleScope | None = None,
) -> dict[str, tuple[int, tuple[str, ...]]]:
    """``{column: (distinct count, values most frequent first)}`` for the low-cardinality ones.

    One pass counts distinct values of every candidate column (exactly, with a cap: a column is
    only worth sampling when the count is small); a second query per kept column reads its values
    in order of frequency. With a ``scope``, only columns every user sees whole are sampled.
    """
    cols = candidates(columns, scope, table_id)
    if not cols:
        return {}
    ref = table_ref(table_id)
    names = [quote_ident(c.name) for c in cols]
    counts_sql = ", ".join(f"count(DISTINCT {n}), max(length(CAST({n} AS VARCHAR)))" for n in names)
    counted = con.execute(f"SELECT count(*), {counts_sql} FROM {ref}").fetchone()
    if counted is None:
        return {}
    total = int(counted[0] or 0)
    out: dict[str, tuple[int, tuple[str, ...]]] = {}
    for i, col in enumerate(cols):
        distinct, longest = counted[1 + 2 * i], counted[2 + 2 * i]
        if not distinct or not _low_cardinality(int(distinct), total):
            continue
        if (longest or 0) > MAX_VALUE_CHARS:
            continue
        name = quote_ident(col.name)
        values = con.execute(
            f"SELECT CAST({name} AS VARCHAR) FROM {ref} WHERE {name} IS NOT NULL "
            f"GROUP BY {name} ORDER BY count(*) DESC, 1 LIMIT {MAX_DISTINCT}"
        ).fetchall()
        out[col.name] = (int(distinct), tuple(str(v[0]) for v in values))
    return out

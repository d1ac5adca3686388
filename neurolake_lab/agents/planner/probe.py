"""Small questions the planner asks of the data itself, cached per schema view.

Schema linking reads the metadata index; a few judgements need the rows: whether a column is a
key (unique, never NULL), whether one column's values are found in another's (an undeclared
foreign key), what the latest date in a column is (to read "last month" on data that ends in the
past), and which non-PII column holds a word the index did not sample ("Chicago"). Each is one
aggregate query over DuckDB's views of the lakehouse tables; answers are cached for the life of
the view (which is rebuilt when any table changes). PII columns are never probed for values, and
every probe runs through the session's policy (a restricted user's question cannot confirm a
value in rows or columns hidden from them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from neurolake_lab.index.samples import quote_ident, table_ref

if TYPE_CHECKING:
    import duckdb

    from neurolake_lab.index.model import ColumnInfo

#: Share of a child column's distinct values that must be found in the parent's key.
OVERLAP = 0.95


class DataProbe:
    """Cached probes of one schema's data through a DuckDB connection."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, govern: Callable[[str], str] | None = None
    ) -> None:
        self.con = con
        #: each probe runs as the session's user may read (row filters, masks, denied columns)
        self.govern = govern or (lambda sql: sql)
        self._cache: dict[tuple[Any, ...], Any] = {}

    def _one(self, key: tuple[Any, ...], sql: str, params: Sequence[Any] = ()) -> Any:
        if key not in self._cache:
            try:
                self._cache[key] = self.con.execute(self.govern(sql), list(params)).fetchone()
            except Exception:  # a table that cannot be read answers nothing, never fails a plan
                self._cache[key] = None
        return self._cache[key]

    def unique(self, table: str, column: str) -> bool:
        """Whether ``column`` has no NULL and no repeated value (a key)."""
        col = quote_ident(column)
        row = self._one(
            ("unique", table, column),
            f"SELECT count(*), count(DISTINCT {col}), count({col}) FROM {table_ref(table)}",
        )
        return bool(row) and row[0] > 0 and row[0] == row[1] == row[2]

    def found_in(self, child: str, column: str, parent: str, key: str) -> float:
        """Share of ``child.column``'s distinct values that ``parent.key`` holds (0 when none)."""
        c, k = quote_ident(column), quote_ident(key)
        row = self._one(
            ("found", child, column, parent, key),
            f"SELECT count(*), count(p.{k}) FROM (SELECT DISTINCT {c} AS v FROM "
            f"{table_ref(child)} WHERE {c} IS NOT NULL) AS c LEFT JOIN "
            f"(SELECT DISTINCT {k} FROM {table_ref(parent)}) AS p ON c.v = p.{k}",
        )
        return row[1] / row[0] if row and row[0] else 0.0

    def latest(self, table: str, column: str) -> dt.date | None:
        """The latest date in a date/timestamp column (None for an empty table)."""
        col = quote_ident(column)
        row = self._one(("latest", table, column),
                        f"SELECT max({col})::DATE FROM {table_ref(table)}")  # fmt: skip
        return row[0] if row and row[0] is not None else None

    def max_abs(self, table: str, column: str) -> float | None:
        """The largest absolute value of a number column (None for an empty table)."""
        col = quote_ident(column)
        row = self._one(("max_abs", table, column),
                        f"SELECT max(abs({col}))::DOUBLE FROM {table_ref(table)}")  # fmt: skip
        return float(row[0]) if row and row[0] is not None else None

    def constant_within(self, table: str, column: str, group: str) -> bool:
        """Whether ``column`` has one value within each value of ``group`` (seats per model)."""
        c, g = quote_ident(column), quote_ident(group)
        row = self._one(("constant", table, column, group),
                        f"SELECT max(n) FROM (SELECT count(DISTINCT {c}) AS n FROM "
                        f"{table_ref(table)} GROUP BY {g})")  # fmt: skip
        return bool(row) and row[0] == 1

    def values(self, text: str, table: str, columns: Sequence[ColumnInfo]) -> list[tuple[str, str]]:
        """(column id, stored value) of the ``columns`` (non-PII text) holding ``text``.

        An exact match (case-insensitive) first; else a value that starts with ``text`` as
        whole words ("Delta" -> 'Delta Air Lines'), when exactly one such value exists.
        """
        cols = [c for c in columns if c.is_text and not c.is_pii]
        if not cols:
            return []
        names = [quote_ident(c.name) for c in cols]
        key = (text.casefold(), table, tuple(names))
        exact = " OR ".join(f"lower({n}) = lower($1)" for n in names)
        picks = ", ".join(f"max(CASE WHEN lower({n}) = lower($1) THEN {n} END)" for n in names)
        row = self._one(("values", *key), f"SELECT {picks} FROM {table_ref(table)} WHERE {exact}",
                        [text])  # fmt: skip
        found = [(c.id, str(v)) for c, v in zip(cols, row or (), strict=False) if v is not None]
        if found or len(text) < 4:
            return found
        like = [f"lower({n}) LIKE lower($1) || ' %'" for n in names]
        counts = ", ".join(f"count(DISTINCT CASE WHEN {w} THEN {n} END), max(CASE WHEN {w} "
                           f"THEN {n} END)" for w, n in zip(like, names, strict=True))  # fmt: skip
        row = self._one(("prefix", *key), f"SELECT {counts} FROM {table_ref(table)}", [text])
        for i, col in enumerate(cols):
            if row and row[2 * i] == 1:
                found.append((col.id, str(row[2 * i + 1])))
        return found

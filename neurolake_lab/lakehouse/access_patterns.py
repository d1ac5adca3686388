"""Access patterns: which columns of each Iceberg table queries filter and join on.

The seed's ``AccessPatternTracker``: the engine records, per table and column, how often queries
use it in equality filters, range filters and joins. A layout suggestion (partition or sort order)
follows from that record, is shown to the user, and is applied only on request.

Recording stays off the hot path: a query that names an Iceberg table is only remembered (its text);
parsing and counting happen in batches, and the counts go to a small SQLite table in the
workspace's ``catalog.db``, shared by every kernel (SQLite's locking, WAL).
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import sqlglot
from sqlglot import exp

from neurolake_lab.lakehouse.statements import TableId

if TYPE_CHECKING:
    from pyiceberg.table.metadata import TableMetadata

#: Kinds of use recorded for a column.
EQ, RANGE, JOIN = "eq", "range", "join"
_RANGE_NODES = (exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Between)
_EQ_NODES = (exp.EQ, exp.In)
FLUSH_EVERY = 25
#: Queries that must have used a column before a layout is suggested for it.
MIN_EVIDENCE = 3

_SCHEMA = """
CREATE TABLE IF NOT EXISTS neurolake_access_patterns (
    table_name TEXT NOT NULL,
    column_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    uses INTEGER NOT NULL,
    last_used REAL NOT NULL,
    PRIMARY KEY (table_name, column_name, kind)
)"""


@dataclass(frozen=True)
class LayoutSuggestion:
    """A partitioning or sort order for a table, with the evidence behind it."""

    table: str
    partition_by: list[str]
    sort_by: list[str]
    reason: str

    @property
    def message(self) -> str:
        """What the user reads: what, why, and how to apply it."""
        what = []
        if self.partition_by:
            what.append(f"partitioning by {', '.join(self.partition_by)}")
        if self.sort_by:
            what.append(f"sorting by {', '.join(self.sort_by)}")
        return (
            f"Layout suggestion for {self.table}: {' and '.join(what)} — {self.reason}. "
            f"Apply it with %layout {self.table} --apply (or Session.apply_layout)."
        )


class AccessRecorder:
    """Collects the queries a session runs on Iceberg tables and counts their column uses."""

    def __init__(self, db_path: Path, columns_of: Callable[[TableId], set[str]]) -> None:
        self.db_path = db_path
        self._columns_of = columns_of
        self._pending: list[tuple[str, list[TableId]]] = []
        self._names: dict[str, list[TableId]] = {}
        self._pattern: re.Pattern[str] | None = None
        # One statement is looked up by the policy, the audit redaction, the audit's snapshot
        # list, the result cache and ``observe`` in turn: the last answer is kept for them.
        self._last: tuple[str, list[TableId]] = ("", [])

    def tables_changed(self, tables: Iterable[TableId]) -> None:
        """Learn the current table names (called when the catalog's tables change)."""
        self._names = {}
        self._last = ("", [])
        for tid in tables:
            self._names.setdefault(tid[1].lower(), []).append(tid)
        words = sorted(self._names, key=len, reverse=True)
        self._pattern = (
            re.compile(r"\b(" + "|".join(map(re.escape, words)) + r")\b", re.IGNORECASE)
            if words
            else None
        )

    def tables_in(self, sql: str) -> list[TableId]:
        """The Iceberg tables whose names appear in ``sql`` (a regex search, no parsing)."""
        if self._pattern is None:
            return []
        if self._last[0] != sql:
            found = {m.group(1).lower() for m in self._pattern.finditer(sql)}
            self._last = (sql, [t for name in sorted(found) for t in self._names[name]])
        return list(self._last[1])

    def observe(self, sql: str) -> None:
        """Remember a query if it names an Iceberg table (cheap: one regex search)."""
        tables = self.tables_in(sql)
        if not tables:
            return
        self._pending.append((sql, tables))
        if len(self._pending) >= FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        """Count the remembered queries' column uses into the shared store."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        counts: Counter[tuple[str, str, str]] = Counter()
        for sql, tables in pending:
            for key in _uses(sql, tables, self._columns_of):
                counts[key] += 1
        if not counts:
            return
        now = time.time()
        with self._connect() as con:
            con.executemany(
                "INSERT INTO neurolake_access_patterns VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (table_name, column_name, kind) DO UPDATE SET "
                "uses = uses + excluded.uses, last_used = excluded.last_used",
                [(t, c, k, n, now) for (t, c, k), n in counts.items()],
            )

    def patterns(self, table: str) -> dict[str, Counter[str]]:
        """Column → uses per kind, for one table (``ns.table``)."""
        self.flush()
        out: dict[str, Counter[str]] = {}
        if not self.db_path.exists():
            return out
        with self._connect() as con:
            rows = con.execute(
                "SELECT column_name, kind, uses FROM neurolake_access_patterns "
                "WHERE table_name = ?",
                (table,),
            ).fetchall()
        for column, kind, uses in rows:
            out.setdefault(column, Counter())[kind] += uses
        return out

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.db_path, timeout=30, isolation_level=None)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute(_SCHEMA)
        return con


def _uses(
    sql: str, tables: list[TableId], columns_of: Callable[[TableId], set[str]]
) -> Iterable[tuple[str, str, str]]:
    """``(table, column, kind)`` for every filter or join condition on the given tables."""
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        return []
    if tree is None:
        return []
    aliases: dict[str, TableId] = {}
    for ref in tree.find_all(exp.Table):
        for tid in tables:
            if ref.name.lower() == tid[1].lower() and ref.db in ("", tid[0]):
                aliases[ref.alias_or_name.lower()] = tid
    if not aliases:
        return []
    found: set[tuple[str, str, str]] = set()
    conditions: list[tuple[exp.Expr, str | None]] = []
    for where in tree.find_all(exp.Where, exp.Having):
        conditions.append((where.this, None))
    for join in tree.find_all(exp.Join):
        if join.args.get("on") is not None:
            conditions.append((join.args["on"], JOIN))
        for ident in join.args.get("using") or []:
            for tid in set(aliases.values()):
                if ident.name in columns_of(tid):
                    found.add((f"{tid[0]}.{tid[1]}", ident.name, JOIN))
    for condition, forced in conditions:
        for node in condition.find_all(*_RANGE_NODES, *_EQ_NODES):
            kind = forced or (RANGE if isinstance(node, _RANGE_NODES) else EQ)
            for column in node.find_all(exp.Column):
                owner = _owner(column, aliases, columns_of)
                if owner is not None:
                    found.add((f"{owner[0]}.{owner[1]}", column.name, kind))
    return found


def _owner(
    column: exp.Column, aliases: dict[str, TableId], columns_of: Callable[[TableId], set[str]]
) -> TableId | None:
    if column.table:
        tid = aliases.get(column.table.lower())
        return tid if tid is not None and column.name in columns_of(tid) else None
    owners = {tid for tid in aliases.values() if column.name in columns_of(tid)}
    return owners.pop() if len(owners) == 1 else None


def suggest_layout(
    table: str, meta: TableMetadata, patterns: dict[str, Counter[str]]
) -> LayoutSuggestion | None:
    """The layout the recorded access patterns call for, if it differs from the current one.

    A date or timestamp column often filtered by range suggests monthly (or daily, for large
    tables) partitions; another column often filtered by equality suggests a sort order, so
    that each file's min/max statistics let DuckDB skip the others.
    """
    schema = meta.schema()
    summary = (
        meta.current_snapshot().summary.additional_properties if meta.current_snapshot() else {}
    )
    rows = int(summary.get("total-records", 0) or 0)
    partitioned = {schema.find_column_name(f.source_id) for f in meta.spec().fields}
    sorted_on = [schema.find_column_name(f.source_id) for f in meta.sort_order().fields]
    ranked = sorted(patterns.items(), key=lambda kv: -(kv[1][RANGE] + kv[1][EQ]))
    for column, uses in ranked:
        try:
            field = schema.find_field(column)
        except ValueError:
            continue
        kind = str(field.field_type)
        if uses[RANGE] >= MIN_EVIDENCE and kind in ("date", "timestamp", "timestamptz"):
            if column in partitioned:
                continue
            grain = "day" if rows > 50_000_000 else "month"
            return LayoutSuggestion(
                table, [f"{grain}({column})"], [],
                f"{uses[RANGE]} queries filtered {column} by range; {grain}ly partitions let "
                "them skip the files of other periods",
            )  # fmt: skip
        if uses[EQ] + uses[RANGE] >= MIN_EVIDENCE and column not in partitioned:
            if sorted_on[:1] == [column]:
                continue
            return LayoutSuggestion(
                table, [], [column],
                f"{uses[EQ] + uses[RANGE]} queries filtered on {column}; files sorted by it "
                "have narrow min/max ranges, so most files are skipped",
            )  # fmt: skip
    return None

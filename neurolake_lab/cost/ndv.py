"""Column statistics for cardinality estimation: distinct counts and value ranges.

Join selectivity needs the number of distinct values of each join key; a filter's needs the
column's range. Both come from what exists without reading the data where possible:

* **Iceberg metadata**: every data file records each column's lower and upper bound and its null
  count, so the table's range is known, and for an integer or date column ``upper - lower + 1``
  bounds its distinct count (a dense key such as ``order_id`` 1..N is exactly N).
* **DuckDB**: ``approx_count_distinct`` (HyperLogLog, about 2% error) over the one column, once
  per table snapshot and column. Snapshots never change, so the figure is kept in the process and
  in the workspace's ``catalog.db`` (``neurolake_cost_ndv``, keyed by the snapshot's metadata
  file) for every kernel of the workspace. Only the column is read; no value is stored.

Why not Iceberg's Puffin statistics: pyiceberg 0.12 writes none, so tables written here never
have them; when another engine wrote them, their ``ndv`` would be the same figure.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb

    from neurolake_lab.cost.table_stats import TableFiles

#: tables larger than this get their distinct counts from metadata bounds only (reading one
#: column of a billion rows to plan a query would cost more than the mistakes it avoids)
MAX_COUNTED_ROWS = 50_000_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS neurolake_cost_ndv (
    location TEXT NOT NULL,
    snapshot_id INTEGER,
    column_name TEXT NOT NULL,
    ndv REAL NOT NULL,
    PRIMARY KEY (location, column_name)
)
"""


@dataclass(frozen=True)
class ColumnStats:
    """What is known of one column of one table snapshot.

    ``ndv`` is the distinct count (``None``: unknown), ``source`` where it came from (``duckdb``,
    ``bounds``); ``low``/``high`` the column's range over all files (``None`` when the type has
    no usable order or the files record no bounds).
    """

    rows: int
    ndv: float | None
    source: str
    low: Any = None
    high: Any = None
    nulls: int = 0

    @property
    def unique(self) -> bool:
        """Whether the column is (nearly) a key: one row per distinct value."""
        return self.ndv is not None and self.ndv >= 0.9 * max(self.rows - self.nulls, 1)


class ColumnStatistics:
    """Distinct counts and ranges of Iceberg columns, remembered per snapshot.

    Args:
        catalog_db: the workspace's ``catalog.db`` where counted figures are kept (``None``:
            only in this process).
    """

    def __init__(self, catalog_db: Path | None = None) -> None:
        self.catalog_db = catalog_db
        self._memory: OrderedDict[tuple[str, str], ColumnStats] = OrderedDict()
        self._lock = threading.Lock()
        self._local = threading.local()

    def get(
        self,
        files: TableFiles,
        location: str,
        column: str,
        con: duckdb.DuckDBPyConnection | None,
        relation: str | None,
    ) -> ColumnStats:
        """The statistics of ``column`` of the snapshot ``files`` describes.

        ``relation`` is how DuckDB reads the table (its view name); with ``con`` the distinct
        count is counted there when the metadata cannot give it and it is not known yet.
        """
        key = (location, column.lower())
        with self._lock:
            hit = self._memory.get(key)
        if hit is not None:
            return hit
        stats = bounds_stats(files, column)
        counted = self._stored(location, column)
        countable = con is not None and relation is not None and files.rows <= MAX_COUNTED_ROWS
        if counted is None and countable and not stats.unique:
            assert con is not None and relation is not None
            counted = _count(con, relation, column)
            if counted is not None:
                self._store(location, files.snapshot_id, column, counted)
        if counted is not None:
            stats = ColumnStats(stats.rows, counted, "duckdb", stats.low, stats.high, stats.nulls)
        with self._lock:
            self._memory[key] = stats
            while len(self._memory) > 4096:
                self._memory.popitem(last=False)
        return stats

    # -- the shared store ----------------------------------------------------------------------

    def _con(self) -> sqlite3.Connection | None:
        if self.catalog_db is None:
            return None
        con: sqlite3.Connection | None = getattr(self._local, "con", None)
        if con is None:
            try:
                con = sqlite3.connect(self.catalog_db, timeout=30, isolation_level=None)
                con.execute("PRAGMA busy_timeout=30000")
                con.execute(_SCHEMA)
            except sqlite3.Error:
                return None  # statistics are an optimisation: without the store, count again
            self._local.con = con
        return con

    def _stored(self, location: str, column: str) -> float | None:
        con = self._con()
        if con is None:
            return None
        try:
            row = con.execute(
                "SELECT ndv FROM neurolake_cost_ndv WHERE location = ? AND column_name = ?",
                (location, column.lower()),
            ).fetchone()
        except sqlite3.Error:
            return None
        return float(row[0]) if row else None

    def _store(self, location: str, snapshot: int | None, column: str, ndv: float) -> None:
        con = self._con()
        if con is None:
            return
        try:
            con.execute(
                "INSERT OR REPLACE INTO neurolake_cost_ndv VALUES (?, ?, ?, ?)",
                (location, snapshot, column.lower(), ndv),
            )
        except sqlite3.Error:
            return

    def close(self) -> None:
        """Close this thread's connection to the store."""
        con = getattr(self._local, "con", None)
        if con is not None:
            con.close()
            self._local.con = None


def _count(con: duckdb.DuckDBPyConnection, relation: str, column: str) -> float | None:
    import duckdb

    quoted = '"' + column.replace('"', '""') + '"'
    try:
        cursor = con.cursor()  # its own cursor: never disturbs a result the session holds
        try:
            row = cursor.execute(
                f"SELECT approx_count_distinct({quoted}) FROM {relation}"
            ).fetchone()
        finally:
            cursor.close()
    except duckdb.Error:
        return None
    return float(row[0]) if row and row[0] is not None else None


_ORDERED = (int, float, Decimal, dt.date, dt.datetime)


def bounds_stats(files: TableFiles, column: str) -> ColumnStats:
    """Range, null count and a distinct-count bound of ``column`` from the files' metadata."""
    from pyiceberg.conversions import from_bytes
    from pyiceberg.types import DateType, IntegerType, LongType, PrimitiveType

    rows = files.rows
    ids = files.field_ids.get(column.lower())
    if not ids:
        return ColumnStats(rows, None, "none")
    field = files.schema.find_field(ids[0])
    ftype = field.field_type
    if not isinstance(ftype, PrimitiveType):
        return ColumnStats(rows, None, "none")
    low: Any = None
    high: Any = None
    nulls = 0
    for f in files.files:
        nulls += int((f.null_value_counts or {}).get(ids[0], 0))
        lo = (f.lower_bounds or {}).get(ids[0])
        hi = (f.upper_bounds or {}).get(ids[0])
        try:
            lo_v = from_bytes(ftype, lo) if lo is not None else None
            hi_v = from_bytes(ftype, hi) if hi is not None else None
        except (ValueError, TypeError, KeyError):
            continue
        if isinstance(lo_v, _ORDERED) and (low is None or lo_v < low):
            low = lo_v
        if isinstance(hi_v, _ORDERED) and (high is None or hi_v > high):
            high = hi_v
    ndv: float | None = None
    dense = isinstance(ftype, IntegerType | LongType | DateType)
    if dense and low is not None and high is not None:
        span = int(high) - int(low) + 1  # dates are days since the epoch in the metadata
        ndv = float(max(1, min(span, rows - nulls)))
    return ColumnStats(rows, ndv, "bounds" if ndv is not None else "none", low, high, nulls)

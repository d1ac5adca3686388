"""How fast this machine runs DuckDB: a tiny probe query, timed, smoothed over recent readings.

The analytic estimate's rates are in *probe units*: a query predicted at 50 probes takes 50 times
as long as the probe does. A machine that is slow, or busy for a long while (other kernels, other
users on two cores), runs the probe slower by the same factor it runs every query, so a new
workspace with no history is not off by that factor; the learned model corrects what the probe
cannot see.

One reading is the median of five runs of the probe (an aggregate over 500,000 generated rows,
about a millisecond on a quiet laptop), taken at most once a minute per connection. A single
reading swings with the moment it is taken in (3.5 to 12.5 ms on a shared two-core machine within
minutes), and a reading taken in a busy second would scale every prediction of the next minute,
and with it whether a cell asks before it runs. So each reading is kept in the workspace's
``catalog.db`` (SQLite, safe for the many kernels of one workspace) and the speed used is the
median of the last readings of the past half hour at the same DuckDB thread count: one busy or
quiet moment moves it little, a machine that stays busy moves it within minutes.
"""

from __future__ import annotations

import sqlite3
import statistics
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

PROBE_SQL = "SELECT sum(range % 7) FROM range(500000)"
#: how long one probe reading is trusted
MAX_AGE_S = 60.0
#: the probe's time on the reference machine the rates were first written for (a floor)
MIN_PROBE_MS = 0.2
#: runs of the probe in one reading (their median is the reading)
PROBE_RUNS = 5
#: how far back stored readings count, and how many of the latest are used
WINDOW_S = 30 * 60.0
WINDOW_READINGS = 15

_SCHEMA = """
CREATE TABLE IF NOT EXISTS neurolake_speed_readings (
    recorded_at REAL NOT NULL,
    threads INTEGER NOT NULL,
    probe_ms REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS neurolake_speed_readings_at ON neurolake_speed_readings (recorded_at);
"""

_lock = threading.Lock()
_reading: tuple[float, float] | None = None  # (monotonic time, probe ms) of the last probe
#: readings per connection (sessions may differ in DuckDB threads), by ``id`` of the connection
_by_con: dict[int, tuple[float, float]] = {}


class SpeedReadings:
    """The probe readings of one workspace, in its ``catalog.db`` (shared by its kernels).

    Written in short transactions with a busy timeout, like the cost history; readings older
    than the window are deleted as new ones come in.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()

    def _con(self) -> sqlite3.Connection:
        con: sqlite3.Connection | None = getattr(self._local, "con", None)
        if con is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            con.execute("PRAGMA busy_timeout=30000")
            con.executescript(_SCHEMA)
            self._local.con = con
        return con

    def add(self, threads: int, ms: float, at: float | None = None) -> None:
        """Keep one reading (``at``: its wall-clock time, now by default)."""
        now = time.time() if at is None else at
        con = self._con()
        con.execute(
            "INSERT INTO neurolake_speed_readings (recorded_at, threads, probe_ms) VALUES (?,?,?)",
            (now, threads, ms),
        )
        con.execute("DELETE FROM neurolake_speed_readings WHERE recorded_at < ?", (now - WINDOW_S,))

    def recent(self, threads: int) -> list[float]:
        """The latest readings of the window at ``threads`` DuckDB threads, newest first."""
        rows = (
            self._con()
            .execute(
                "SELECT probe_ms FROM neurolake_speed_readings"
                " WHERE threads = ? AND recorded_at >= ? ORDER BY recorded_at DESC LIMIT ?",
                (threads, time.time() - WINDOW_S, WINDOW_READINGS),
            )
            .fetchall()
        )
        return [float(r[0]) for r in rows]

    def close(self) -> None:
        """Close this thread's connection."""
        con = getattr(self._local, "con", None)
        if con is not None:
            con.close()
            self._local.con = None


def probe_ms(
    con: duckdb.DuckDBPyConnection | None,
    *,
    refresh: bool = False,
    readings: SpeedReadings | None = None,
) -> float | None:
    """The machine's probe time in milliseconds (``None`` without a connection to time it on).

    With ``readings`` (the workspace's store) a new reading is kept there and the median of the
    recent ones is returned; without, the new reading alone.
    """
    global _reading
    now = time.monotonic()
    with _lock:
        reading = _by_con.get(id(con)) if con is not None else _reading
    if reading is not None and not refresh and now - reading[0] < MAX_AGE_S:
        return reading[1]
    if con is None:
        return reading[1] if reading is not None else None
    cursor = con.cursor()
    try:
        times = []
        for _ in range(PROBE_RUNS):
            t0 = time.perf_counter()
            cursor.execute(PROBE_SQL).fetchall()
            times.append((time.perf_counter() - t0) * 1000)
        row = cursor.execute("SELECT current_setting('threads')").fetchone()
        threads = int(row[0]) if row else 0
    finally:
        cursor.close()
    ms = statistics.median(times)
    if readings is not None:
        try:
            readings.add(threads, ms)
            ms = statistics.median(readings.recent(threads) or [ms])
        except (sqlite3.Error, OSError):
            pass  # a store that cannot be written leaves this reading alone, never a failure
    ms = max(ms, MIN_PROBE_MS)
    with _lock:
        _reading = (time.monotonic(), ms)
        if len(_by_con) > 64:
            _by_con.clear()
        _by_con[id(con)] = _reading
    return ms


def forget() -> None:
    """Forget every reading of this process (the next prediction probes again)."""
    global _reading
    with _lock:
        _reading = None
        _by_con.clear()

"""How fast this machine runs DuckDB right now: a tiny probe query, timed, every minute at most.

The analytic estimate's rates are in *probe units*: a query predicted at 50 probes takes 50 times
as long as the probe does now. A machine that is busy (other kernels, other users on two cores)
or slow runs the probe slower by the same factor it runs every query, so a new workspace with
no history is not off by that factor; the learned model corrects what the probe cannot see.
The probe (an aggregate over 500,000 generated rows, on every thread DuckDB uses) costs about
a millisecond on a quiet laptop; its median of three is kept for a minute.
"""

from __future__ import annotations

import statistics
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

PROBE_SQL = "SELECT sum(range % 7) FROM range(500000)"
#: how long one probe reading is trusted
MAX_AGE_S = 60.0
#: the probe's time on the reference machine the rates were first written for (a floor)
MIN_PROBE_MS = 0.2

_lock = threading.Lock()
_reading: tuple[float, float] | None = None  # (monotonic time, probe ms) of the last probe
#: readings per connection (sessions may differ in DuckDB threads), by ``id`` of the connection
_by_con: dict[int, tuple[float, float]] = {}


def probe_ms(con: duckdb.DuckDBPyConnection | None, *, refresh: bool = False) -> float | None:
    """The probe's current time in milliseconds (``None`` without a connection to time it on)."""
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
        for _ in range(3):
            t0 = time.perf_counter()
            cursor.execute(PROBE_SQL).fetchall()
            times.append((time.perf_counter() - t0) * 1000)
    finally:
        cursor.close()
    ms = max(statistics.median(times), MIN_PROBE_MS)
    with _lock:
        _reading = (time.monotonic(), ms)
        if len(_by_con) > 64:
            _by_con.clear()
        _by_con[id(con)] = _reading
    return ms


def forget() -> None:
    """Forget every reading (the next prediction probes again)."""
    global _reading
    with _lock:
        _reading = None
        _by_con.clear()

"""The speed probe: readings smoothed over the workspace's recent ones (issue 18)."""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import pytest

from neurolake_lab.cost import speed
from neurolake_lab.cost.speed import WINDOW_S, SpeedReadings, probe_ms


@pytest.fixture(autouse=True)
def _fresh() -> None:
    speed.forget()


def _threads(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT current_setting('threads')").fetchone()
    assert row is not None
    return int(row[0])


def test_one_busy_reading_does_not_move_the_speed(tmp_path: Path) -> None:
    """Ten readings of 1 ms in the store: a reading now (whatever the machine does) is one of
    eleven, so the speed used stays the median of the quiet ones."""
    con = duckdb.connect()
    store = SpeedReadings(tmp_path / "catalog.db")
    for _ in range(10):
        store.add(_threads(con), 1.0)
    assert probe_ms(con, refresh=True, readings=store) == 1.0
    assert len(store.recent(_threads(con))) == 11
    # a very busy moment recorded by another kernel of the workspace changes nothing either
    SpeedReadings(tmp_path / "catalog.db").add(_threads(con), 50.0)
    assert probe_ms(con, refresh=True, readings=store) == 1.0


def test_a_machine_that_stays_busy_moves_the_speed(tmp_path: Path) -> None:
    con = duckdb.connect()
    store = SpeedReadings(tmp_path / "catalog.db")
    threads = _threads(con)
    for _ in range(3):
        store.add(threads, 1.0)
    for _ in range(9):
        store.add(threads, 8.0)
    assert probe_ms(con, refresh=True, readings=store) == 8.0


def test_old_readings_and_other_thread_counts_do_not_count(tmp_path: Path) -> None:
    con = duckdb.connect()
    store = SpeedReadings(tmp_path / "catalog.db")
    threads = _threads(con)
    for _ in range(10):
        store.add(threads, 1000.0, at=time.time() - WINDOW_S - 60)
        store.add(threads + 7, 1000.0)
    ms = probe_ms(con, refresh=True, readings=store)
    assert ms is not None and ms < 1000.0
    assert len(store.recent(threads)) == 1  # the expired ones were deleted, not only skipped


def test_without_a_store_a_reading_is_the_probe_alone() -> None:
    con = duckdb.connect()
    ms = probe_ms(con, refresh=True)
    assert ms is not None and ms >= speed.MIN_PROBE_MS
    assert probe_ms(con) == ms  # kept for a minute

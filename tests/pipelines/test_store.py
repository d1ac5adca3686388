"""Pipeline state in the catalog database: it survives restarts; the lease admits one runner."""

from __future__ import annotations

import doctest
import multiprocessing
import subprocess
import sys
import time
from pathlib import Path

import pytest

from neurolake_lab.pipelines import monitor, repair, schedule
from neurolake_lab.pipelines.model import Pipeline, Run
from neurolake_lab.pipelines.store import PipelineStore, holder_id


def store_at(path: Path) -> PipelineStore:
    return PipelineStore(f"sqlite:///{path / 'catalog.db'}")


def test_the_doctests_hold() -> None:
    for module in (schedule, repair, monitor):
        assert doctest.testmod(module).failed == 0


def test_definitions_runs_and_sql_versions_survive_a_new_store(tmp_path: Path) -> None:
    first = store_at(tmp_path)
    p = Pipeline("p1", "SELECT 1 AS x", "a.b", owner="ann", schedule="every 1h")
    first.save(p, reason="created")
    first.save_run(Run("r1", "p1", "manual", status="succeeded", rows_written=3))
    p.sql, p.version = "SELECT 2 AS x", 2
    first.save(p, reason="changed")
    first.close()
    again = store_at(tmp_path)
    assert again.require("p1").sql == "SELECT 2 AS x"
    assert [v["sql"] for v in again.sql_versions("p1")] == ["SELECT 1 AS x", "SELECT 2 AS x"]
    assert again.runs("p1")[0].rows_written == 3
    again.delete("p1")
    assert again.get("p1") is None and again.runs("p1") == []


def test_an_unknown_pipeline_names_the_nearest(tmp_path: Path) -> None:
    store = store_at(tmp_path)
    store.save(Pipeline("daily_totals", "SELECT 1 AS x", "a.b", owner="ann"))
    with pytest.raises(Exception, match="daily_total") as info:
        store.require("daily_total")
    assert "did you mean daily_totals" in str(info.value)


def test_a_lease_has_one_holder_until_it_expires_or_is_released(tmp_path: Path) -> None:
    store = store_at(tmp_path)
    a, b = holder_id(), holder_id()
    assert store.acquire("p", a, ttl=30)
    assert not store.acquire("p", b, ttl=30)
    assert store.acquire("p", a, ttl=30)  # re-entrant for its holder
    assert store.renew("p", a, ttl=30) and not store.renew("p", b, ttl=30)
    store.release("p", a)
    assert store.acquire("p", b, ttl=0.2)
    time.sleep(0.3)
    assert store.lease_holder("p") is None
    assert store.acquire("p", a, ttl=30)  # expired: taken over
    assert not store.renew("p", b, ttl=30)


def test_a_lease_of_a_dead_process_on_this_machine_is_taken_at_once(tmp_path: Path) -> None:
    store = store_at(tmp_path)
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    dead = holder_id().split(":")[0] + f":{child.pid}:abcd1234"
    assert store.acquire("p", dead, ttl=600)
    assert not store.acquire("p", holder_id(), ttl=30)  # alive: it holds the lease
    child.kill()
    child.wait()
    assert store.lease_holder("p") is None
    assert store.acquire("p", holder_id(), ttl=30)


def _race(path: str, barrier: object, results: object) -> None:
    store = PipelineStore(f"sqlite:///{path}/catalog.db")
    barrier.wait()  # type: ignore[attr-defined]
    results.put(store.acquire("p", holder_id(), ttl=60))  # type: ignore[attr-defined]


def test_processes_racing_for_a_lease_get_exactly_one(tmp_path: Path) -> None:
    store_at(tmp_path).close()  # tables exist
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(4), ctx.Queue()
    procs = [ctx.Process(target=_race, args=(str(tmp_path), barrier, results)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    won = [results.get(timeout=5) for _ in procs]
    assert won.count(True) == 1

"""Fault injection: real faults, and the Monitor's diagnosis and fix for each.

Every test checks the same three things: no row is lost (or written twice), the target stays at
its last good snapshot when a run fails, and the incident names the right cause and the right fix.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import neurolake_lab
from neurolake_lab.config import Workspace
from neurolake_lab.pipelines.model import Pipeline
from neurolake_lab.session import Session

TOTALS = "SELECT o.cust, sum(o.amount) AS total, count(*) AS n FROM raw.orders o GROUP BY o.cust"

GRANT_BOB = 'grants:\n  - {name: bob-own, users: [bob], tables: ["bob.*"], privileges: [write]}\n'


def rows(session: Session, sql: str) -> list[tuple]:
    return [tuple(r.values()) for r in session.sql(sql, namespace={}).arrow().to_pylist()]


def snapshot(session: Session, table: str) -> int | None:
    session.lakehouse.refresh(session.engine.con)
    ns, name = table.split(".")
    return session.lakehouse.current_snapshot_id((ns, name))


@pytest.fixture
def workspace(workspace: Path) -> Path:
    # quick retries: the backoff doubles from 50 ms
    Workspace(workspace).ensure()
    (workspace / "neurolake.toml").write_text(
        (workspace / "neurolake.toml").read_text()
        + "pipeline_retries = 2\npipeline_backoff_seconds = 0.05\n"
    )
    return workspace


@pytest.fixture
def lake(session: Session) -> Session:
    session.sql(
        "CREATE TABLE raw.orders AS SELECT range AS id, range * 2 AS amount, "
        "'c' || (range % 3) AS cust, 1 AS qty FROM range(9)"
    )
    return session


def incident(session: Session, name: str, check: str = "failure") -> dict[str, Any]:
    found = [i.to_json() for i in session.pipelines.incidents(name) if i.check == check]
    assert found, f"no {check} incident for {name}"
    return found[0]


def test_a_renamed_source_column_is_repaired_from_field_ids_and_lineage(lake: Session) -> None:
    lake.pipelines.create("totals", TOTALS, "mart.totals", mode="merge", key="cust")
    lake.pipelines.run("totals")
    lake.sql("ALTER TABLE raw.orders RENAME COLUMN amount TO amount_usd")
    lake.sql("INSERT INTO raw.orders VALUES (9, 100, 'c3', 1)")
    run = lake.pipelines.run("totals")
    assert run.status == "healed" and run.rows_written == 1
    found = incident(lake, "totals")
    assert found["cause"] == "column_renamed" and found["status"] == "fixed"
    assert found["evidence"] == {"table": "raw.orders", "old": "amount", "new": "amount_usd",
                                 "lineage": True}  # fmt: skip
    repair = next(a for a in found["actions"] if a["kind"] == "repair_sql")
    assert repair["old_sql"] == TOTALS and "o.amount_usd" in repair["new_sql"]
    assert "tried on a sample first" in repair["detail"]
    # the repaired SQL is the pipeline's now, as version 2; the old one is kept
    versions = lake.pipelines.sql_versions("totals")
    assert [v["version"] for v in versions] == [1, 2] and versions[1]["author"] == "monitor"
    assert lake.pipelines.get("totals").sql == repair["new_sql"]
    # the target kept its columns and holds every row once
    assert lake.sql("SELECT * FROM mart.totals LIMIT 0").columns == ["cust", "total", "n"]
    assert rows(lake, "SELECT cust, total FROM mart.totals ORDER BY cust") == [
        ("c0", 18), ("c1", 24), ("c2", 30), ("c3", 100),
    ]  # fmt: skip
    # the incident is in the audit log with both SQL texts
    audited = [r for r in lake.audit.tail(30) if r.kind == "pipeline_incident"]
    assert any(r.data.get("new_sql") == repair["new_sql"] for r in audited)
    history = lake.pipelines.history("totals", limit=1)[0]
    assert history["status"] == "healed" and history["fixes"][0]["kind"] == "repair_sql"
    assert lake.pipelines.run("totals").status == "succeeded"  # no second repair


def test_a_renamed_source_table_is_followed_by_its_uuid(lake: Session) -> None:
    lake.pipelines.create("copy", "SELECT id, amount FROM raw.orders", "mart.copy",
                          mode="merge", key="id")  # fmt: skip
    lake.pipelines.run("copy")
    lake.sql("ALTER TABLE raw.orders RENAME TO orders_v2")
    run = lake.pipelines.run("copy")
    assert run.status == "healed"
    found = incident(lake, "copy")
    assert found["cause"] == "table_renamed" and found["evidence"]["new_name"] == "raw.orders_v2"
    assert lake.pipelines.get("copy").sources == ["raw.orders_v2"]


def test_a_dropped_source_table_pauses_and_alerts_with_the_target_untouched(
    lake: Session,
) -> None:
    lake.pipelines.create("totals", TOTALS, "mart.totals", mode="merge", key="cust",
                          schedule="every 1h")  # fmt: skip
    good = lake.pipelines.run("totals")
    before = rows(lake, "SELECT * FROM mart.totals ORDER BY cust")
    lake.sql("DROP TABLE raw.orders")
    run = lake.pipelines.run("totals")
    assert run.status == "failed" and run.snapshot_id == good.snapshot_id
    assert snapshot(lake, "mart.totals") == good.snapshot_id
    assert rows(lake, "SELECT * FROM mart.totals ORDER BY cust") == before
    found = incident(lake, "totals")
    assert (found["cause"], found["status"]) == ("table_dropped", "alerted")
    assert [a["kind"] for a in found["actions"]] == ["pause"]
    pipeline = lake.pipelines.get("totals")
    assert pipeline.status == "paused" and "raw.orders" in (pipeline.paused_reason or "")
    assert lake.pipelines.list()[0]["health"] == "paused"
    audited = [r for r in lake.audit.tail(20) if r.kind in ("pipeline", "pipeline_incident")]
    assert any(r.data.get("action") == "pause" and r.data.get("by") == "monitor" for r in audited)


def test_a_quality_rule_violated_quarantines_the_bad_rows(lake: Session) -> None:
    lake.pipelines.create("copy", "SELECT id, amount FROM raw.orders", "mart.copy",
                          checks={"checks": ["amount < 100"]})  # fmt: skip
    lake.pipelines.run("copy")
    good = snapshot(lake, "mart.copy")
    lake.sql("INSERT INTO raw.orders VALUES (50, 500, 'c0', 1), (51, 5, 'c0', 1)")
    run = lake.pipelines.run("copy")
    assert run.status == "healed" and run.rows_quarantined == 1
    found = incident(lake, "copy")
    assert found["cause"] == "bad_rows" and found["status"] == "fixed"
    assert found["evidence"]["violations"] == {"check(amount < 100)": 1}
    assert found["actions"][0]["kind"] == "quarantine"
    assert snapshot(lake, "mart.copy") != good
    # nothing lost: every source row is in the target or in its quarantine (second run's)
    assert rows(lake, "SELECT count(*) FROM mart.copy") == [(9 + 10,)]
    assert rows(lake, "SELECT id FROM mart.copy__quarantine") == [(50,)]
    quality = incident(lake, "copy", "quality")
    assert "1 rows" in quality["detail"]
    # the table's own rule stays "refuse": quarantining was this run's fix only
    assert lake.quality("mart.copy").on_failure == "refuse"


def test_a_source_column_added_evolves_the_target(lake: Session) -> None:
    lake.pipelines.create("all", "SELECT * FROM raw.orders", "mart.all")
    lake.pipelines.run("all")
    lake.sql("ALTER TABLE raw.orders ADD COLUMN region VARCHAR")
    lake.sql("INSERT INTO raw.orders VALUES (20, 1, 'c0', 1, 'EU')")
    run = lake.pipelines.run("all")
    assert run.status == "healed"
    found = incident(lake, "all")
    assert found["cause"] == "column_changed" and found["actions"][0]["kind"] == "add_column"
    assert rows(lake, "SELECT count(*), count(region) FROM mart.all") == [(19, 1)]


def test_a_denied_owner_is_paused_not_retried(lake: Session, workspace: Path) -> None:
    lake.sql("CREATE TABLE crm.people AS SELECT 1 AS id, 'x@example.com' AS email")
    (workspace / "policies.yaml").write_text(GRANT_BOB)
    with neurolake_lab.connect(workspace, user="bob") as bob:
        bob.pipelines.create("contacts", "SELECT id, email FROM crm.people", "bob.contacts")
        bob.pipelines.run("contacts")
        (workspace / "policies.yaml").write_text(
            GRANT_BOB
            + "rules:\n  - name: no-email\n    users: [bob]\n    columns: [crm.people.email]\n"
            "    action: deny\n"
        )
        run = bob.pipelines.run("contacts")
        assert run.status == "failed"
        found = incident(bob, "contacts")
        assert found["cause"] == "permission_denied"
        assert [a["kind"] for a in found["actions"]] == ["pause"]
        assert rows(bob, "SELECT count(*) FROM bob.contacts") == [(1,)]


# -- the storage fails ------------------------------------------------------------------------


class Storage:
    """A place for a namespace's files whose writes can be made to fail, for real."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.mounted = False
        self.filler = root / "filler"

    def mount(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(self.root)],
                                capture_output=True, text=True)  # fmt: skip
        self.mounted = result.returncode == 0
        if not self.mounted and os.geteuid() == 0:
            pytest.skip(f"cannot mount a small file system here: {result.stderr.strip()}")

    def fill(self) -> None:
        """Full (tmpfs), or (without mount rights, not root) refused by permissions."""
        if not self.mounted:
            for path in self.root.rglob("*"):
                if path.is_dir():
                    path.chmod(0o555)
            return
        with open(self.filler, "wb") as fh:
            try:
                while True:
                    fh.write(b"\0" * (1 << 20))
                    fh.flush()
            except OSError:
                pass

    def read_only(self) -> None:
        if not self.mounted:
            self.fill()
            return
        subprocess.run(["mount", "-o", "remount,ro", str(self.root)], check=True)

    def repair(self) -> None:
        if not self.mounted:
            for path in self.root.rglob("*"):
                if path.is_dir():
                    path.chmod(0o755)
            return
        subprocess.run(["mount", "-o", "remount,rw", str(self.root)], check=True)
        self.filler.unlink(missing_ok=True)

    def unmount(self) -> None:
        if self.mounted:
            subprocess.run(["umount", "-l", str(self.root)], check=False)


@pytest.fixture
def storage(lake: Session, tmp_path: Path) -> Any:
    store = Storage(tmp_path / "small")
    store.mount()
    lake.lakehouse.catalog.create_namespace("fault", {"location": (store.root / "fault").as_uri()})
    lake.lakehouse.refresh(lake.engine.con)
    lake.pipelines.create("copy", "SELECT id, amount FROM raw.orders", "fault.copy",
                          mode="merge", key="id")  # fmt: skip
    assert lake.pipelines.run("copy").status == "succeeded"
    yield store
    store.repair()
    store.unmount()


@pytest.mark.parametrize("fault", ["full", "read_only"])
def test_a_write_error_retries_then_pauses_with_the_target_at_its_last_snapshot(
    lake: Session, storage: Storage, fault: str
) -> None:
    good = snapshot(lake, "fault.copy")
    lake.sql("INSERT INTO raw.orders SELECT range, range, 'c0', 1 FROM range(100, 120)")
    storage.fill() if fault == "full" else storage.read_only()
    run = lake.pipelines.run("copy")
    assert run.status == "failed" and snapshot(lake, "fault.copy") == good
    found = incident(lake, "copy")
    expected = "transient_io" if storage.mounted else "permission_denied"
    assert found["cause"] == expected and found["status"] == "alerted"
    kinds = [a["kind"] for a in found["actions"]]
    if storage.mounted:
        assert kinds == ["retry", "retry", "retry", "pause"]  # two retries, then it gives up
        why = "no space left" if fault == "full" else "read-only file system"
        assert why in found["detail"].lower()
    assert lake.pipelines.get("copy").status == "paused"
    assert rows(lake, "SELECT count(*) FROM fault.copy") == [(9,)]
    # fixed and resumed: every row arrives once
    storage.repair()
    lake.pipelines.resume("copy")
    assert lake.pipelines.run("copy").status == "succeeded"
    assert rows(lake, "SELECT count(*), count(DISTINCT id) FROM fault.copy") == [(29, 29)]


def test_a_write_error_that_clears_during_the_backoff_is_healed(
    lake: Session, storage: Storage
) -> None:
    if not storage.mounted:
        pytest.skip("needs a file system that fills up")
    lake.sql("INSERT INTO raw.orders SELECT range, range, 'c0', 1 FROM range(100, 120)")
    storage.fill()
    pipelines = lake.pipelines
    waited: list[float] = []

    def backoff(seconds: float) -> None:  # the disk is cleaned up while the Monitor waits
        waited.append(seconds)
        storage.repair()

    run = pipelines.runner.run(pipelines.get("copy"), lake, "manual", sleep=backoff)
    assert run is not None and run.status == "healed" and waited == [0.05]
    found = incident(lake, "copy")
    assert (found["cause"], found["status"]) == ("transient_io", "fixed")
    assert rows(lake, "SELECT count(*), count(DISTINCT id) FROM fault.copy") == [(29, 29)]


# -- the process dies ---------------------------------------------------------------------------

SLOW = (
    "SELECT e.id FROM raw.events e, (SELECT sum(hash(range)) AS h FROM range(300000000)) "
    "WHERE h IS NOT NULL"
)


def test_a_run_killed_mid_run_loses_nothing_and_is_redone_once(
    session: Session, workspace: Path
) -> None:
    session.sql("CREATE TABLE raw.events AS SELECT range AS id FROM range(40)")
    session.pipelines.create("slow", SLOW, "mart.events")  # append: a rerun must not double
    session.pipelines.run("slow")
    good = snapshot(session, "mart.events")
    store = session.pipelines.store
    child = subprocess.Popen([sys.executable, "-m", "neurolake_lab.cli", "pipelines", "run", "slow",
                              "--workspace", str(workspace)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    deadline = time.monotonic() + 60
    while not store.running() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert store.running(), "the run never started"
    time.sleep(1.0)  # well inside the query
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert snapshot(session, "mart.events") == good
    # the next look (here: a manual run; a scheduler does the same) recovers the dead run
    recovered = session.pipelines.recover()
    assert [r.status for r in recovered] == ["interrupted"]
    found = incident(session, "slow", "interrupted")
    assert found["cause"] == "killed" and found["evidence"]["committed_snapshot"] is None
    assert store.lease_holder("slow") is None  # its lease died with it
    assert session.pipelines.run("slow").status == "succeeded"
    assert rows(session, "SELECT count(*), count(DISTINCT id) FROM mart.events") == [(80, 40)]


def test_a_run_killed_after_its_commit_is_not_written_twice(session: Session) -> None:
    session.sql("CREATE TABLE raw.events AS SELECT range AS id FROM range(10)")
    session.pipelines.create("copy", "SELECT id FROM raw.events", "mart.events")
    run = session.pipelines.run("copy")
    # the state a process killed between its commit and its record leaves behind
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    store = session.pipelines.store
    run.status, run.ended_at = "running", None
    run.holder = f"{run.holder.split(':')[0]}:{child.pid}:deadbeef"
    store.save_run(run)
    assert store.acquire("copy", run.holder, ttl=600)
    (recovered,) = session.pipelines.recover()
    assert recovered.status == "succeeded" and recovered.snapshot_id == run.snapshot_id
    found = incident(session, "copy", "interrupted")
    assert found["actions"][0]["kind"] == "recover"
    assert rows(session, "SELECT count(*) FROM mart.events") == [(10,)]


# -- checks after runs and on the schedule ----------------------------------------------------


def test_row_counts_are_judged_against_the_pipelines_own_history(lake: Session) -> None:
    lake.pipelines.create("snap", "SELECT id, amount FROM raw.orders", "mart.snap",
                          mode="overwrite")  # fmt: skip
    for i in range(6):
        lake.sql(f"INSERT INTO raw.orders VALUES ({100 + i}, 1, 'c0', 1)")
        assert lake.pipelines.run("snap").status == "succeeded"
    assert not [i for i in lake.pipelines.incidents("snap") if i.check == "row_count"]
    lake.sql("DELETE FROM raw.orders WHERE id > 2")
    lake.pipelines.run("snap")
    found = incident(lake, "snap", "row_count")
    assert found["status"] == "alerted" and found["evidence"]["rows"] == 3
    assert found["evidence"]["low"] > 3 and found["evidence"]["median"] == 12.5
    assert lake.pipelines.list()[0]["health"] == "warning"


def test_schema_drift_of_a_source_is_reported(lake: Session) -> None:
    lake.pipelines.create("totals", TOTALS, "mart.totals", mode="merge", key="cust")
    lake.pipelines.run("totals")
    lake.sql("ALTER TABLE raw.orders ADD COLUMN note VARCHAR")
    lake.sql("ALTER TABLE raw.orders ALTER COLUMN qty TYPE BIGINT")
    assert lake.pipelines.run("totals").status == "succeeded"
    found = incident(lake, "totals", "schema_drift")
    assert "raw.orders.note was added" in found["detail"]
    assert "raw.orders.qty changed type from int to long" in found["detail"]


def test_a_stale_scheduled_pipeline_raises_one_freshness_incident(lake: Session) -> None:
    lake.pipelines.create("hourly", TOTALS, "mart.totals", schedule="every 1h")
    store = lake.pipelines.store
    pipeline: Pipeline = store.require("hourly")
    pipeline.created_at -= 4 * 3600
    store.save(pipeline)
    lake.pipelines.pause("hourly")
    lake.pipelines.resume("hourly")
    monitor = lake.pipelines.monitor
    raised = monitor.check_freshness(store.require("hourly"), lake)
    assert raised is not None and raised.check == "freshness"
    assert monitor.check_freshness(store.require("hourly"), lake) is None  # once per stale spell
    record = next(r for r in reversed(lake.audit.tail(5)) if r.kind == "pipeline_incident")
    assert record.data["check"] == "freshness" and json.dumps(record.data)

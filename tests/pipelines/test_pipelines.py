"""Session.pipelines: define, run (append, overwrite, merge), schedule, govern, inspect."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import neurolake_lab
from neurolake_lab.exceptions import QueryError, UsageError
from neurolake_lab.pipelines.store import PipelineError
from neurolake_lab.session import Session

TOTALS = "SELECT cust, sum(amount) AS total, count(*) AS n FROM raw.orders GROUP BY cust"

GRANT_BOB = 'grants:\n  - {name: bob-own, users: [bob], tables: ["bob.*"], privileges: [write]}\n'


def rows(session: Session, sql: str) -> list[tuple]:
    return [tuple(r.values()) for r in session.sql(sql, namespace={}).arrow().to_pylist()]


@pytest.fixture
def lake(session: Session) -> Session:
    session.sql(
        "CREATE TABLE raw.orders AS SELECT range AS id, range * 2 AS amount, "
        "'c' || (range % 3) AS cust FROM range(9)"
    )
    return session


def test_a_merge_pipeline_upserts_without_duplicates_across_reruns(lake: Session) -> None:
    p = lake.pipelines.create("totals", TOTALS, "mart.totals", mode="merge", key="cust")
    assert p.sources == ["raw.orders"] and p.owner == lake.user
    first = lake.pipelines.run("totals")
    assert first.status == "succeeded" and first.rows_written == 3
    assert rows(lake, "SELECT * FROM mart.totals ORDER BY cust") == [
        ("c0", 18, 3), ("c1", 24, 3), ("c2", 30, 3),
    ]  # fmt: skip
    again = lake.pipelines.run("totals")  # nothing changed: nothing written, no new snapshot
    assert again.status == "succeeded" and again.rows_written == 0
    assert again.snapshot_id == first.snapshot_id
    lake.sql("INSERT INTO raw.orders VALUES (100, 1, 'c1'), (101, 5, 'c9')")
    third = lake.pipelines.run("totals")
    assert third.rows_written == 2  # c1 updated, c9 inserted
    assert rows(lake, "SELECT count(*), count(DISTINCT cust) FROM mart.totals") == [(4, 4)]
    assert rows(lake, "SELECT total FROM mart.totals WHERE cust = 'c1'") == [(25,)]
    rules = lake.quality("mart.totals")  # the key is declared on the target
    assert rules.unique == [["cust"]] and "cust" in rules.not_null


def test_append_and_overwrite_modes(lake: Session) -> None:
    lake.pipelines.create("log", "SELECT id, amount FROM raw.orders WHERE id < 2", "mart.log")
    lake.pipelines.run("log")
    lake.pipelines.run("log")
    assert rows(lake, "SELECT count(*) FROM mart.log") == [(4,)]
    lake.pipelines.create("snap", "SELECT cust, max(amount) AS top FROM raw.orders GROUP BY 1",
                          "mart.snap", mode="overwrite")  # fmt: skip
    for _ in range(2):
        assert lake.pipelines.run("snap").rows_written == 3
    assert rows(lake, "SELECT count(*) FROM mart.snap") == [(3,)]


def test_checks_guard_the_target_from_the_first_run(lake: Session) -> None:
    lake.pipelines.create(
        "big", "SELECT id, amount FROM raw.orders", "mart.big",
        checks={"checks": ["amount < 10"], "on_failure": "quarantine"},
    )  # fmt: skip
    run = lake.pipelines.run("big")
    assert run.status == "succeeded" and run.rows_written == 5 and run.rows_quarantined == 4
    assert rows(lake, "SELECT count(*) FROM mart.big__quarantine") == [(4,)]
    incidents = lake.pipelines.incidents("big")
    assert [(i.check, i.cause) for i in incidents] == [("quality", "bad_rows")]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"sql": "SELECT id FROM raw.nope"}, QueryError, "nope"),
        ({"sql": "SELECT 1 AS a; SELECT 2 AS b"}, UsageError, "one query"),
        ({"sql": "DELETE FROM raw.orders"}, UsageError, "one query"),
        ({"mode": "merge"}, UsageError, "needs a key"),
        ({"mode": "merge", "key": "nope"}, UsageError, "not a column"),
        ({"mode": "upsert"}, UsageError, "mode"),
        ({"schedule": "now and then"}, UsageError, "schedule"),
        ({"into": "totals"}, UsageError, "namespace.table"),
        ({"name": "bad name!"}, UsageError, "not valid"),
        ({"checks": {"not_null": ["zzz"]}}, UsageError, "zzz"),
        ({"checks": {"on_failure": "ignore"}}, Exception, "on_failure"),
    ],
)
def test_a_bad_definition_is_one_clear_error_and_nothing_is_stored(
    lake: Session, kwargs: dict, error: type[Exception], match: str
) -> None:
    args = {"name": "p", "sql": TOTALS, "into": "mart.t", **kwargs}
    with pytest.raises(error, match=match):
        lake.pipelines.create(**args)
    assert lake.pipelines.list() == []


def test_an_existing_target_must_take_the_columns(lake: Session) -> None:
    lake.sql("CREATE TABLE mart.t (cust VARCHAR)")
    with pytest.raises(UsageError, match="no column total"):
        lake.pipelines.create("p", TOTALS, "mart.t")


def test_replacing_keeps_the_old_sql_as_a_version(lake: Session) -> None:
    lake.pipelines.create("p", TOTALS, "mart.t")
    with pytest.raises(PipelineError, match="exists"):
        lake.pipelines.create("p", TOTALS, "mart.t")
    lake.pipelines.create("p", TOTALS + " HAVING count(*) > 1", "mart.t", replace=True)
    versions = lake.pipelines.sql_versions("p")
    assert [v["version"] for v in versions] == [1, 2] and versions[0]["sql"] == TOTALS
    assert lake.pipelines.get("p").version == 2


def test_pause_resume_delete_and_list(lake: Session) -> None:
    lake.pipelines.create("p", TOTALS, "mart.t", schedule="every 1h")
    listed = lake.pipelines.list()[0]
    assert (listed["health"], listed["status"], listed["next_run"] is not None) == (
        "new", "active", True,
    )  # fmt: skip
    lake.pipelines.pause("p", reason="maintenance window")
    assert lake.pipelines.list()[0]["health"] == "paused"
    lake.pipelines.resume("p")
    lake.pipelines.run("p")
    assert lake.pipelines.list()[0]["health"] == "ok"
    lake.pipelines.delete("p")
    assert lake.pipelines.list() == []
    assert rows(lake, "SELECT count(*) FROM mart.t") == [(3,)]  # the table stays


def test_history_lists_each_run(lake: Session) -> None:
    lake.pipelines.create("p", TOTALS, "mart.t", mode="merge", key="cust")
    run = lake.pipelines.run("p")
    (entry,) = lake.pipelines.history("p")
    assert entry["run_id"] == run.id and entry["status"] == "succeeded"
    assert entry["rows_written"] == 3 and entry["snapshot_id"] == run.snapshot_id
    assert entry["start"] <= entry["end"] and entry["incidents"] == [] and entry["fixes"] == []


def test_runs_are_governed_audited_and_in_the_lineage(lake: Session) -> None:
    lake.pipelines.create("p", TOTALS, "mart.t", mode="merge", key="cust")
    run = lake.pipelines.run("p")
    records = lake.audit.tail(12)
    kinds = [r.kind for r in records]
    assert "pipeline" in kinds and "pipeline_run" in kinds
    write = next(r for r in records if r.id == run.audit_id)
    assert write.kind == "write" and write.data["operation"] == "merge"
    assert write.data["table"] == "mart.t" and write.data["sources"]
    done = next(r for r in records if r.kind == "pipeline_run")
    assert done.data["status"] == "succeeded" and done.data["run_id"] == run.id
    summary = lake.lakehouse.load(("mart", "t")).current_snapshot().summary.additional_properties
    assert json.loads(summary["neurolake.cell"])["run_id"] == run.id
    upstream = lake.lineage("mart.t.total")
    assert any(e.source == "raw.orders.amount" for e in upstream.edges)


def test_a_pipeline_runs_as_its_owner_and_only_they_or_the_workspace_owner_change_it(
    lake: Session, workspace: Path
) -> None:
    lake.sql("CREATE TABLE crm.people AS SELECT 1 AS id, 'ann@example.com' AS email")
    (workspace / "policies.yaml").write_text(GRANT_BOB)  # bob may write his own namespace
    with neurolake_lab.connect(workspace, user="bob") as bob:
        bob.pipelines.create("contacts", "SELECT id, email FROM crm.people", "bob.contacts")
        assert bob.pipelines.run("contacts").status == "succeeded"
        assert "@" not in rows(bob, "SELECT email FROM bob.contacts")[0][0]  # masked for bob
    with neurolake_lab.connect(workspace, user="mallory") as mallory:
        for action in ("run", "pause", "delete"):
            with pytest.raises(PipelineError, match="belongs to bob"):
                getattr(mallory.pipelines, action)("contacts")
    run = lake.pipelines.run("contacts")  # the workspace owner may, and it runs as bob
    assert run.status == "succeeded"
    record = next(r for r in reversed(lake.audit.tail(10)) if r.kind == "pipeline_run")
    assert record.user == "bob"
    assert rows(lake, "SELECT count(*) FROM bob.contacts") == [(2,)]
    assert "@" not in rows(lake, "SELECT max(email) FROM bob.contacts")[0][0]


def test_run_due_follows_the_schedule_and_skips_paused_pipelines(lake: Session) -> None:
    lake.pipelines.create("hourly", TOTALS, "mart.h", mode="merge", key="cust",
                          schedule="every 1h")  # fmt: skip
    lake.pipelines.create("paused", TOTALS, "mart.p", schedule="every 1h")
    lake.pipelines.pause("paused")
    lake.pipelines.create("manual", TOTALS, "mart.m")
    now = datetime.now(UTC)
    assert lake.pipelines.run_due(now) == []  # created just now: first run in an hour
    runs = lake.pipelines.run_due(now + timedelta(hours=1, minutes=1))
    assert [r.pipeline for r in runs] == ["hourly"] and runs[0].trigger == "schedule"
    assert lake.pipelines.run_due(now + timedelta(hours=1, minutes=2)) == []
    hourly = lake.pipelines.get("hourly")
    nxt = lake.pipelines.next_run(hourly)
    assert now + timedelta(hours=1, minutes=59) < nxt < now + timedelta(hours=2, minutes=1)
    # a scheduler that was away for hours runs once, for the latest slot, not once per slot
    assert len(lake.pipelines.run_due(now + timedelta(hours=5, minutes=30))) == 1
    assert lake.pipelines.run_due(now + timedelta(hours=5, minutes=40)) == []
    assert lake.pipelines.next_run(hourly) > now + timedelta(hours=5, minutes=59)


def test_state_survives_a_restart(lake: Session, workspace: Path) -> None:
    lake.pipelines.create("p", TOTALS, "mart.t", schedule="daily at 02:00")
    lake.pipelines.run("p")
    lake.close()
    with neurolake_lab.connect(workspace) as again:
        (listed,) = again.pipelines.list()
        assert listed["schedule"] == "daily at 02:00" and listed["last_status"] == "succeeded"
        assert again.pipelines.run("p").status == "succeeded"
        assert len(again.pipelines.history("p")) == 2

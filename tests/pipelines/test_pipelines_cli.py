"""``neurolake pipelines``: what cron, systemd timers and CI call."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import neurolake_lab
from neurolake_lab.session import Session

NEUROLAKE = [sys.executable, "-m", "neurolake_lab.cli", "pipelines"]


def cli(*args: str, workspace: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*NEUROLAKE, *args, "--workspace", str(workspace)],
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def make_due(session: Session, name: str) -> None:
    """Pretend the pipeline was defined two hours ago: its hourly run is due."""
    store = session.pipelines.store
    pipeline = store.require(name)
    pipeline.created_at -= 7200
    store.save(pipeline)


def test_two_schedulers_at_once_run_a_pipeline_once(session: Session, workspace: Path) -> None:
    session.sql("CREATE TABLE raw.events AS SELECT range AS id FROM range(50)")
    # an append pipeline: run twice, it would write every row twice
    session.pipelines.create(
        "copy", "SELECT e.id FROM raw.events e, range(300000) r WHERE r.range = 0",
        "mart.events", schedule="every 1h",
    )  # fmt: skip
    make_due(session, "copy")
    session.close()
    procs = [subprocess.Popen([*NEUROLAKE, "run-due", "--workspace", str(workspace)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]  # fmt: skip
    outs = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    with neurolake_lab.connect(workspace) as again:
        assert again.sql("SELECT count(*), count(DISTINCT id) FROM mart.events").arrow().to_pylist() \
            == [{"count_star()": 50, "count(DISTINCT id)": 50}]  # fmt: skip
        statuses = [r["status"] for r in again.pipelines.history("copy")]
        assert statuses.count("succeeded") == 1 and set(statuses) <= {"succeeded", "skipped"}


def test_list_run_history_incidents_pause(session: Session, workspace: Path) -> None:
    session.sql("CREATE TABLE raw.events AS SELECT range AS id FROM range(5)")
    session.pipelines.create("copy", "SELECT id FROM raw.events", "mart.events", mode="merge",
                             key="id", schedule="every 1h")  # fmt: skip
    session.close()
    run = cli("run", "copy", workspace=workspace)
    assert run.returncode == 0 and "copy: succeeded (5 rows)" in run.stdout, run.stderr
    listed = cli("list", "--json", workspace=workspace)
    (row,) = [json.loads(line) for line in listed.stdout.splitlines()]
    assert row["name"] == "copy" and row["health"] == "ok"
    history = cli("history", "copy", "--json", workspace=workspace)
    assert json.loads(history.stdout.splitlines()[0])["rows_written"] == 5
    assert cli("incidents", workspace=workspace).stdout == ""
    assert cli("pause", "copy", workspace=workspace).stdout.strip() == "pipeline copy: paused"
    assert cli("run-due", workspace=workspace).stdout == ""
    missing = cli("run", "nope", workspace=workspace)
    assert missing.returncode == 1 and "there is no pipeline 'nope'" in missing.stderr

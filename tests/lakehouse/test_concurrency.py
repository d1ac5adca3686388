"""Several kernels on one workspace: no lost rows, no torn tables, clear errors on bad files."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from neurolake_lab.exceptions import LakehouseError
from neurolake_lab.session import Session

pytestmark = pytest.mark.slow


def start(workspace: Path, code: str) -> subprocess.Popen[str]:
    """A separate Python process (a second kernel) running ``code`` with ``session`` open."""
    script = "import neurolake_lab\nsession = neurolake_lab.connect()\n" + textwrap.dedent(code)
    env = {**os.environ, "NEUROLAKE_WORKSPACE": str(workspace)}
    return subprocess.Popen(
        [sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def finish(proc: subprocess.Popen[str]) -> None:
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err


def test_two_processes_appending_lose_no_rows(session: Session, workspace: Path) -> None:
    session.sql("CREATE TABLE c.events (writer INTEGER, seq INTEGER)")
    code = """
        for i in range(15):
            session.sql(f"INSERT INTO c.events SELECT {w}, {i} * 10 + range FROM range(10)")
    """
    procs = [start(workspace, f"w = {w}\n" + textwrap.dedent(code)) for w in (1, 2)]
    for proc in procs:
        finish(proc)
    got = (
        session.sql(
            "SELECT writer, count(*) AS n, count(DISTINCT seq) AS d FROM c.events GROUP BY 1 ORDER BY 1"
        )
        .arrow()
        .to_pylist()
    )
    assert got == [{"writer": 1, "n": 150, "d": 150}, {"writer": 2, "n": 150, "d": 150}]
    assert len(session.snapshots("c.events")) == 30  # one commit per insert (the create has none)


def test_two_processes_updating_the_same_file_lose_no_updates(
    session: Session, workspace: Path
) -> None:
    session.sql("CREATE TABLE c.counters AS SELECT range AS id, 0 AS n FROM range(2)")
    code = """
        for _ in range(8):
            session.sql(f"UPDATE c.counters SET n = n + 1 WHERE id = {w}")
    """
    procs = [start(workspace, f"w = {w}\n" + textwrap.dedent(code)) for w in (0, 1)]
    for proc in procs:
        finish(proc)
    assert session.sql("SELECT id, n FROM c.counters ORDER BY id").arrow().to_pylist() == [
        {"id": 0, "n": 8}, {"id": 1, "n": 8}
    ]  # fmt: skip


def test_a_process_killed_mid_write_leaves_the_last_snapshot(
    session: Session, workspace: Path
) -> None:
    session.sql("CREATE TABLE c.big (id BIGINT, payload VARCHAR)")
    proc = start(
        workspace,
        """
        import pyarrow as pa
        batch = pa.table({"id": pa.array(range(200_000), pa.int64()),
                          "payload": pa.array(["x" * 40] * 200_000)})
        print("ready", flush=True)
        while True:
            session.write("c.big", batch)
        """,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    deadline = time.monotonic() + 60
    while len(session.snapshots("c.big")) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.137)  # land somewhere inside the next write
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    total = session.sql("SELECT count(*) FROM c.big").arrow().column(0)[0].as_py()
    assert total > 0 and total % 200_000 == 0  # whole writes only
    snaps = session.snapshots("c.big").arrow().to_pylist()
    assert snaps[0]["total_rows"] == total
    # files the killed write had put in place are orphans: maintenance removes them
    report = session.maintain("c.big", expire_older_than="30d", orphans_older_than="0s")
    assert session.sql("SELECT count(*) FROM c.big").arrow().column(0)[0].as_py() == total
    assert report.orphans_removed >= 0
    session.sql("INSERT INTO c.big VALUES (1, 'after')")  # and the table takes writes again


def test_missing_or_corrupt_data_file_is_a_clear_error(session: Session) -> None:
    session.sql("CREATE TABLE c.f AS SELECT range AS id FROM range(10)")
    session.sql("INSERT INTO c.f SELECT range + 100 FROM range(10)")
    files = sorted(Path(session.settings.workspace, "warehouse", "c", "f").rglob("*.parquet"))
    files[0].write_bytes(b"not parquet at all" * 10)
    with pytest.raises(LakehouseError) as info:
        session.sql("SELECT sum(id) FROM c.f")
    assert "c.f" in info.value.message and str(files[0]) in info.value.message
    assert "damaged" in info.value.message
    files[0].unlink()
    with pytest.raises(LakehouseError, match="is missing"):
        session.sql("SELECT sum(id) FROM c.f")
    # the session and other tables are unaffected
    assert session.sql("SELECT 42 AS x").arrow().column(0)[0].as_py() == 42

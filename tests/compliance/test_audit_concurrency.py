"""Several processes append at once, or die mid-loop: no record is interleaved, lost or broken."""

import itertools
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from neurolake_lab.compliance.audit import AuditLog, VerifyResult
from neurolake_lab.compliance.audit.keys import load_key

ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("audit_worker.py")


@pytest.fixture(autouse=True)
def _no_env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEUROLAKE_AUDIT_KEY", raising=False)


def start_worker(
    workspace: Path, user: str, count: int, start_file: Path | None = None
) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [sys.executable, str(WORKER), str(workspace), user, str(count)]
    if start_file is not None:
        args.append(str(start_file))
    return subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


def test_two_processes_append_500_each_at_once(workspace: Path) -> None:
    go = workspace / "go"
    workers = [start_worker(workspace, name, 500, go) for name in ("k1", "k2")]
    time.sleep(0.5)  # both interpreters up and waiting
    go.touch()
    ids: dict[str, list[str]] = {}
    for name, proc in zip(("k1", "k2"), workers, strict=True):
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        ids[name] = out.split()
        assert len(ids[name]) == 500

    log = AuditLog(workspace)
    result = log.verify()
    assert result == VerifyResult(True, 1000, None, None, False)
    records = list(log.records())
    assert [r.seq for r in records] == list(range(1, 1001))
    for name in ("k1", "k2"):
        mine = [r for r in records if r.user == name]
        assert [r.id for r in mine] == ids[name]  # every returned id, in its own order
        assert [r.data["n"] for r in mine] == list(range(500))
    users = [r.user for r in records]
    switches = sum(a != b for a, b in itertools.pairwise(users))
    assert switches > 1, "the workers did not overlap; the test proved nothing"


def test_killed_appender_leaves_a_log_that_verifies(workspace: Path) -> None:
    returned: list[str] = []
    for round_ in range(3):
        proc = start_worker(workspace, f"doomed{round_}", 0)
        assert proc.stdout is not None
        got: list[str] = []
        while len(got) < 40 + 17 * round_:
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else "worker ended"
            got.append(line.strip())
        proc.send_signal(signal.SIGKILL)  # mid-loop, possibly mid-write
        proc.wait(timeout=30)
        proc.stdout.close()
        if proc.stderr:
            proc.stderr.close()
        returned += got

        result = AuditLog(workspace).verify()
        assert result.ok, result
        assert result.first_bad is None
        # every append that returned is in the log, and the log verifies up to its last whole one
        in_log = {r.id for r in AuditLog(workspace).records()}
        assert set(returned) <= in_log
        assert result.records == len(in_log) >= len(returned)

    log = AuditLog(workspace)
    log.append("maintenance", user="admin", action="after the crashes")
    assert log.verify() == VerifyResult(True, len(list(log.records())), None, None, False)


def _append_in_child(workspace: str, count: int) -> None:
    log = _forked_log
    assert log is not None
    for i in range(count):
        log.append("query", user="child", n=i)


_forked_log: AuditLog | None = None


def test_forked_child_with_an_inherited_log_does_not_share_the_lock(workspace: Path) -> None:
    global _forked_log
    log = AuditLog(workspace)
    log.append("query", user="parent", n=-1)  # files and lock open before the fork
    _forked_log = log
    try:
        ctx = multiprocessing.get_context("fork")
        child = ctx.Process(target=_append_in_child, args=(str(workspace), 300))
        child.start()
        for i in range(300):
            log.append("query", user="parent", n=i)
        child.join(60)
        assert child.exitcode == 0
    finally:
        _forked_log = None
    result = AuditLog(workspace).verify()
    assert result == VerifyResult(True, 601, None, None, False)
    assert [r.data["n"] for r in log.records() if r.user == "child"] == list(range(300))


def _load_key(workspace: str, queue: "multiprocessing.Queue[bytes | None]") -> None:
    queue.put(load_key(Path(workspace), create=True))


def test_processes_racing_to_create_the_key_agree_on_one(workspace: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    queue: multiprocessing.Queue[bytes | None] = ctx.Queue()
    procs = [ctx.Process(target=_load_key, args=(str(workspace), queue)) for _ in range(6)]
    for p in procs:
        p.start()
    keys = {queue.get(timeout=60) for _ in procs}
    for p in procs:
        p.join(30)
    assert len(keys) == 1 and None not in keys
    assert [p.name for p in (workspace / "keys").iterdir()] == ["audit.key"]


def test_verify_and_tail_while_another_process_appends(workspace: Path) -> None:
    AuditLog(workspace).append("maintenance", user="admin", action="start")
    proc = start_worker(workspace, "busy", 400)
    log = AuditLog(workspace)
    checks = 0
    while proc.poll() is None:
        result = log.verify()  # a consistent snapshot: never a half-written record or head
        assert result.ok and not result.incomplete_tail and result.reason is None, result
        tail = log.tail(5)
        assert [r.seq for r in tail] == list(range(tail[0].seq, tail[0].seq + len(tail)))
        checks += 1
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert checks > 1
    assert log.verify() == VerifyResult(True, 401, None, None, False)

"""The audit log's API: appending, reading, JSON safety, the key, the head table and the CLI."""

import dataclasses
import doctest
import enum
import json
import os
import re
import sqlite3
import stat
import subprocess
import sys
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from neurolake_lab.compliance import audit as audit_pkg
from neurolake_lab.compliance.audit import KINDS, AuditLog, AuditRecord, json_safe
from neurolake_lab.compliance.audit import keys as keys_mod
from neurolake_lab.compliance.audit import lines as lines_mod
from neurolake_lab.compliance.audit import log as log_mod
from neurolake_lab.compliance.audit import record as record_mod
from neurolake_lab.compliance.audit.record import canonical
from neurolake_lab.exceptions import AuditError, NeuroLakeError

ROOT = Path(__file__).resolve().parents[2]
ID = re.compile(r"^a-\d{6}-[0-9a-f]{6}$")


@pytest.fixture(autouse=True)
def _no_env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEUROLAKE_AUDIT_KEY", raising=False)


def test_append_returns_ids_and_records_read_back(workspace: Path) -> None:
    log = AuditLog(workspace)
    ids = [
        log.append("query", user="ada", sql="SELECT 1", executed_sql="SELECT 1", rows=1),
        log.append("nl", user="bob", question="how many customers?", rows=3),
        log.append("policy_decision", user="ada", masked=["email"], denied=[]),
    ]
    log.close()
    assert all(ID.match(i) for i in ids) and len(set(ids)) == 3
    assert [i[2:8] for i in ids] == ["000001", "000002", "000003"]

    records = list(AuditLog(workspace).records())  # a fresh instance: it is on disk
    assert [r.id for r in records] == ids
    assert [r.seq for r in records] == [1, 2, 3]
    assert [r.kind for r in records] == ["query", "nl", "policy_decision"]
    assert records[1].user == "bob"
    assert records[1].data == {"question": "how many customers?", "rows": 3}
    assert records[0].prev == "0" * 64
    assert records[1].prev == records[0].hash and records[2].prev == records[1].hash
    for r in records:
        ts = datetime.fromisoformat(r.ts)
        assert r.ts.endswith("Z") and ts.utcoffset() == timedelta(0)
        assert abs(datetime.now(UTC) - ts) < timedelta(minutes=5)
    result = AuditLog(workspace).verify()
    assert result == type(result)(True, 3, None, None, False)


def test_stored_lines_are_canonical_json_chained_by_sha256(workspace: Path) -> None:
    log = AuditLog(workspace)
    log.append("write", user="ada", table="retail.orders", snapshot_id=123, rows=10)
    log.append("write", user="ada", table="retail.orders", snapshot_id=124, rows=5)
    raw = (workspace / "audit" / "audit.jsonl").read_bytes().splitlines()
    assert len(raw) == 2
    first = json.loads(raw[0])
    assert raw[0] == json.dumps(first, sort_keys=True, separators=(",", ":")).encode()
    body = {k: v for k, v in first.items() if k not in ("hash", "mac")}
    import hashlib

    assert first["hash"] == hashlib.sha256(canonical(body)).hexdigest()
    assert json.loads(raw[1])["prev"] == first["hash"]
    assert log.tail(1)[0].line() == raw[1] + b"\n"


def test_values_are_made_json_safe(workspace: Path) -> None:
    class Color(enum.Enum):
        RED = "red"

    @dataclasses.dataclass
    class Tag:
        entity: str
        score: float

    u = uuid.UUID(int=7)
    data = {
        "d": date(2026, 10, 1),
        "ts": datetime(2026, 10, 1, 12, 30, tzinfo=UTC),
        "t": time(8, 15),
        "dt": timedelta(seconds=90),
        "amount": Decimal("12.50"),
        "cols": {"phone", "email"},
        "pair": ("a", 1),
        "nan": float("nan"),
        "inf": float("inf"),
        "raw": b"\x00\xff",
        "color": Color.RED,
        "tag": Tag("EMAIL_ADDRESS", 0.9),
        "id": u,
        "path": Path("/x/y"),
        "by_int": {10: "ten", 9: "nine", None: "none", True: "yes"},
        "nested": [{"s": frozenset({3, 1})}],
    }
    expected = {
        "d": "2026-10-01",
        "ts": "2026-10-01T12:30:00+00:00",
        "t": "08:15:00",
        "dt": 90.0,
        "amount": "12.50",
        "cols": ["email", "phone"],
        "pair": ["a", 1],
        "nan": None,
        "inf": None,
        "raw": "AP8=",
        "color": "red",
        "tag": {"entity": "EMAIL_ADDRESS", "score": 0.9},
        "id": str(u),
        "path": "/x/y",
        "by_int": {"10": "ten", "9": "nine", "null": "none", "true": "yes"},
        "nested": [{"s": [1, 3]}],
    }
    assert json_safe(data) == expected
    log = AuditLog(workspace)
    log.append("query", user="ada", **data)
    assert log.tail(1)[0].data == expected
    assert log.verify().ok  # keys that sort differently as ints and strings still verify


def test_refuses_unknown_kind_missing_user_and_unstorable_values(workspace: Path) -> None:
    log = AuditLog(workspace)
    with pytest.raises(AuditError, match="unknown audit record kind 'select'"):
        log.append("select", user="ada")
    with pytest.raises(AuditError, match="needs the user"):
        log.append("query", user="")
    with pytest.raises(AuditError, match=r"type object in the audit log \(at data.x.y\[1\]\)"):
        log.append("query", user="ada", x={"y": [1, object()]})
    with pytest.raises(AuditError, match="key of type tuple"):
        log.append("query", user="ada", x={(1, 2): 3})
    assert issubclass(AuditError, NeuroLakeError)
    assert list(log.records()) == []
    assert log.verify().records == 0
    documented = {
        "query", "nl", "write", "policy_decision", "policy_change", "refusal", "erasure",
        "maintenance", "pipeline", "pipeline_run", "pipeline_incident", "nl_feedback",
    }  # fmt: skip
    assert documented == KINDS


def test_tail_returns_the_latest_records_oldest_first(workspace: Path) -> None:
    log = AuditLog(workspace)
    assert log.tail() == []
    for i in range(30):
        log.append("query", user="ada", n=i)
    assert [r.data["n"] for r in log.tail()] == list(range(10, 30))
    assert [r.seq for r in log.tail(3)] == [28, 29, 30]
    assert len(log.tail(100)) == 30
    assert log.tail(0) == []


def test_long_records_cross_read_chunks(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lines_mod, "CHUNK", 64)  # many chunk boundaries inside each line
    log = AuditLog(workspace)
    big = "SELECT " + ", ".join(f"c{i}" for i in range(40_000))
    for i in range(5):
        log.append("query", user="ada", sql=big if i % 2 else "SELECT 1", n=i)
    assert [r.data["n"] for r in log.tail(4)] == [1, 2, 3, 4]
    assert log.tail(2)[0].data["sql"] == big
    assert log.verify().ok
    assert log.append("query", user="ada", n=5).startswith("a-000006-")  # tip found backwards
    assert AuditLog(workspace).append("query", user="ada", n=6).startswith("a-000007-")
    assert AuditLog(workspace).verify().records == 7


def test_verify_of_a_new_workspace_is_ok_and_creates_nothing(workspace: Path) -> None:
    before = sorted(p.name for p in workspace.iterdir())
    result = AuditLog(workspace).verify()
    assert result.ok and result.records == 0 and not result.incomplete_tail
    assert list(AuditLog(workspace).records()) == [] and AuditLog(workspace).tail() == []
    assert sorted(p.name for p in workspace.iterdir()) == before


def test_key_is_created_outside_audit_with_0600(workspace: Path) -> None:
    AuditLog(workspace).append("maintenance", user="ada", action="start")
    key_file = workspace / "keys" / "audit.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert re.fullmatch(r"[0-9a-f]{64}\n", key_file.read_text())
    assert not list((workspace / "audit").glob("*key*"))
    assert list((workspace / "keys").iterdir()) == [key_file]  # no temporary file left
    assert keys_mod.load_key(workspace, create=False) == key_file.read_text().strip().encode()


def test_env_key_is_used_and_a_different_key_fails_verify(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEUROLAKE_AUDIT_KEY", "correct horse battery staple")
    log = AuditLog(workspace)
    log.append("query", user="ada", sql="SELECT 1")
    assert not (workspace / "keys").exists()
    assert log.verify().ok
    monkeypatch.setenv("NEUROLAKE_AUDIT_KEY", "another key of enough length")
    result = AuditLog(workspace).verify()
    assert not result.ok and result.first_bad == 1 and "MAC is not valid" in str(result.reason)
    monkeypatch.setenv("NEUROLAKE_AUDIT_KEY", "short")
    with pytest.raises(AuditError, match="NEUROLAKE_AUDIT_KEY is too short"):
        AuditLog(workspace).verify()


def test_head_lives_in_catalog_db_in_wal_mode(workspace: Path) -> None:
    log = AuditLog(workspace)
    for i in range(3):
        log.append("query", user="ada", n=i)
    with sqlite3.connect(workspace / "catalog.db") as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        count, last_hash = con.execute(
            "SELECT count, last_hash FROM neurolake_audit_head WHERE id = 1"
        ).fetchone()
    con.close()
    assert (count, last_hash) == (3, log.tail(1)[0].hash)


def test_threads_of_one_process_append_safely(workspace: Path) -> None:
    import threading

    log = AuditLog(workspace)

    def work(name: str) -> None:
        for i in range(100):
            log.append("query", user=name, n=i)

    threads = [threading.Thread(target=work, args=(f"t{k}",)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = log.verify()
    assert result.ok and result.records == 400
    for k in range(4):
        assert [r.data["n"] for r in log.records() if r.user == f"t{k}"] == list(range(100))


def test_docstring_examples_run() -> None:
    for module in (audit_pkg, record_mod, log_mod, lines_mod, keys_mod):
        assert doctest.testmod(module).failed == 0


def test_audit_record_fields_are_as_documented() -> None:
    assert [f.name for f in dataclasses.fields(AuditRecord)] == [
        "seq", "id", "ts", "user", "kind", "data", "prev", "hash", "mac",
    ]  # fmt: skip


# -- the command line -------------------------------------------------------------------------


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "neurolake_lab.cli", "audit", *args],
        capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip


def test_cli_verify_exit_status_and_message(workspace: Path) -> None:
    log = AuditLog(workspace)
    for i in range(3):
        log.append("query", user="ada", sql=f"SELECT {i}")
    proc = cli("verify", "--workspace", str(workspace))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("audit log intact: 3 records")

    path = workspace / "audit" / "audit.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    lines[1] = lines[1].replace(b"SELECT 1", b"SELECT 9")
    path.write_bytes(b"".join(lines))
    proc = cli("verify", "--workspace", str(workspace))
    assert proc.returncode == 1
    assert proc.stdout.splitlines()[0] == (
        "audit log NOT intact: record 2: its hash does not match its contents "
        "(the record was edited)"
    )
    assert "1 record verified before the problem; first bad record: 2" in proc.stdout


def test_cli_verify_reports_a_missing_workspace(tmp_path: Path) -> None:
    proc = cli("verify", "--workspace", str(tmp_path / "nowhere"))
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.startswith("Workspace error: no workspace folder at")
    assert not (tmp_path / "nowhere").exists()


def test_cli_tail(workspace: Path) -> None:
    log = AuditLog(workspace)
    ids = [log.append("nl", user="bob", question=f"q{i}") for i in range(5)]
    proc = cli("tail", "-n", "2", "--workspace", str(workspace))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.splitlines()
    assert len(out) == 2
    assert out[0].split()[:5] == ["4", ids[3], log.tail(2)[0].ts, "bob", "nl"]
    assert out[1].endswith('{"question": "q4"}')
    proc = cli("tail", "--json", "--workspace", str(workspace))
    assert [json.loads(line)["id"] for line in proc.stdout.splitlines()] == ids


def test_body_cut_from_the_line_is_the_canonical_body() -> None:
    # verify hashes the body bytes cut out of the stored line; they must be what append hashed
    from neurolake_lab.compliance.audit.record import read_line, seal

    tricky = [
        {},
        {"hash": "0" * 64, "id": 1, "mac": "f" * 64, "prev": {"hash": "x"}},
        {"sql": 'SELECT \'"hash":"\' , "mac"', "nested": [{"mac": "m", "prev": "p"}]},
        {"é": "ü\u2028\x00", "big": 2**70, "f": -0.0},
    ]
    for i, data in enumerate(tricky, start=1):
        body = {"seq": i, "id": f"a-{i:06d}-abcdef", "ts": "2026-10-01T00:00:00.000000Z",
                "user": "u", "kind": "query", "data": json_safe(data), "prev": "1" * 64}  # fmt: skip
        record = seal(b"k" * 32, body)
        read, raw = read_line(record.line()[:-1])
        assert read == record
        assert raw == canonical(body)

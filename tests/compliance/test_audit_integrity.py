"""Tampering is detected and named; crashes are not mistaken for tampering (real files, real SQLite)."""

import hashlib
import hmac
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from neurolake_lab.compliance.audit import AuditLog, VerifyResult
from neurolake_lab.compliance.audit.record import canonical
from neurolake_lab.exceptions import AuditError

N = 10


@pytest.fixture(autouse=True)
def _no_env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEUROLAKE_AUDIT_KEY", raising=False)


@pytest.fixture
def ws(workspace: Path) -> Path:
    """A workspace whose log holds N records (user ada, sql SELECT i)."""
    log = AuditLog(workspace)
    for i in range(1, N + 1):
        log.append("query", user="ada", sql=f"SELECT {i}", rows=i)
    log.close()
    assert AuditLog(workspace).verify().ok
    return workspace


def log_path(ws: Path) -> Path:
    return ws / "audit" / "audit.jsonl"


def read_lines(ws: Path) -> list[bytes]:
    return log_path(ws).read_bytes().splitlines(keepends=True)


def write_lines(ws: Path, lines: list[bytes]) -> None:
    log_path(ws).write_bytes(b"".join(lines))


def verify(ws: Path) -> VerifyResult:
    return AuditLog(ws).verify()


def head_row(ws: Path) -> tuple[int, str, str] | None:
    con = sqlite3.connect(ws / "catalog.db")
    try:
        row = con.execute("SELECT count, last_hash, mac FROM neurolake_audit_head").fetchone()
    finally:
        con.close()
    return None if row is None else (int(row[0]), str(row[1]), str(row[2]))


def set_head(ws: Path, row: tuple[int, str, str]) -> None:
    con = sqlite3.connect(ws / "catalog.db")
    try:
        with con:
            con.execute("UPDATE neurolake_audit_head SET count = ?, last_hash = ?, mac = ?", row)
    finally:
        con.close()


def forge(body: dict[str, object], key: bytes) -> bytes:
    """A record line with a correct hash, authenticated with ``key`` (not the workspace's)."""
    raw = canonical(body)
    digest = hashlib.sha256(raw).hexdigest()
    mac = hmac.new(key, raw, hashlib.sha256).hexdigest()
    return canonical({**body, "hash": digest, "mac": mac}) + b"\n"


def assert_bad(result: VerifyResult, first_bad: int | None, *words: str) -> None:
    assert not result.ok, result
    assert result.first_bad == first_bad, result
    for word in words:
        assert word in str(result.reason), result
    if first_bad is not None:
        assert result.records == first_bad - 1


# -- tampering ---------------------------------------------------------------------------------


def test_edited_field_is_named(ws: Path) -> None:
    lines = read_lines(ws)
    lines[3] = lines[3].replace(b'"user":"ada"', b'"user":"eve"')
    write_lines(ws, lines)
    assert_bad(verify(ws), 4, "record 4", "hash does not match", "edited")


def test_edited_formatting_is_detected(ws: Path) -> None:
    lines = read_lines(ws)
    lines[4] = lines[4].replace(b'"rows":5', b'"rows": 5')  # same JSON value, other bytes
    write_lines(ws, lines)
    assert_bad(verify(ws), 5, "record 5", "hash does not match", "edited")


def test_edited_formatting_of_the_hash_member_is_detected(ws: Path) -> None:
    lines = read_lines(ws)
    lines[4] = lines[4].replace(b'"hash":"', b'"hash": "')
    write_lines(ws, lines)
    assert_bad(verify(ws), 5, "record 5", "not in canonical form")


def test_garbage_line_is_named(ws: Path) -> None:
    lines = read_lines(ws)
    lines[6] = b"not json at all\n"
    write_lines(ws, lines)
    assert_bad(verify(ws), 7, "record 7 is not valid JSON")


def test_deleted_record_is_named(ws: Path) -> None:
    lines = read_lines(ws)
    del lines[4]
    write_lines(ws, lines)
    assert_bad(verify(ws), 5, "record 5 is missing", "record 6 follows record 4", "deleted")


def test_deleted_records_are_named(ws: Path) -> None:
    lines = read_lines(ws)
    del lines[0:3]
    write_lines(ws, lines)
    assert_bad(verify(ws), 1, "records 1 to 3 are missing", "start of the log")


def test_swapped_records_are_named(ws: Path) -> None:
    lines = read_lines(ws)
    lines[4], lines[5] = lines[5], lines[4]
    write_lines(ws, lines)
    assert_bad(verify(ws), 5, "out of order", "record 5 comes after record 6")


def test_inserted_forged_record_with_right_hash_and_wrong_mac_is_named(ws: Path) -> None:
    lines = read_lines(ws)
    before = json.loads(lines[3])
    body = {
        "seq": 5, "id": "a-000005-abcdef", "ts": before["ts"], "user": "ada", "kind": "query",
        "data": {"sql": "SELECT harmless"}, "prev": before["hash"],
    }  # fmt: skip
    lines.insert(4, forge(body, b"guessed key, not the workspace's"))
    write_lines(ws, lines)
    assert_bad(verify(ws), 5, "record 5", "MAC is not valid", "forged")


def test_duplicated_record_is_named(ws: Path) -> None:
    lines = read_lines(ws)
    lines.insert(6, lines[2])
    write_lines(ws, lines)
    assert_bad(verify(ws), 7, "record 3 appears where record 7 should be")


def test_replaced_record_breaks_the_link(ws: Path) -> None:
    # a record from another authentic log of the same workspace key, spliced in
    other = ws.parent / "other"
    shutil.copytree(ws / "keys", other / "keys")
    log = AuditLog(other)
    for i in range(3):
        log.append("query", user="mallory", n=i)
    lines = read_lines(ws)
    lines[2] = read_lines(other)[2]
    write_lines(ws, lines)
    assert_bad(verify(ws), 3, "record 3 is not linked", "replaced or inserted")


def test_cut_off_tail_is_named(ws: Path) -> None:
    write_lines(ws, read_lines(ws)[:-2])
    assert_bad(verify(ws), N - 1, "ends after record 8", "says 10 records", "tail was cut off")


def test_cut_off_tail_mid_line_is_still_a_cut_tail(ws: Path) -> None:
    lines = read_lines(ws)
    write_lines(ws, [*lines[:-1], lines[-1][:40]])
    result = verify(ws)
    assert_bad(result, N, "tail was cut off")
    assert result.incomplete_tail


def test_deleted_audit_folder_is_a_cut_tail(ws: Path) -> None:
    shutil.rmtree(ws / "audit")
    assert_bad(verify(ws), 1, "ends after record 0", "tail was cut off")


def test_rebuilt_chain_without_the_key_is_named(ws: Path) -> None:
    # a whole new chain: consistent seqs, links and hashes, but no workspace key
    prev, lines = "0" * 64, []
    for i, old in enumerate(read_lines(ws), start=1):
        record = json.loads(old)
        body = {k: record[k] for k in ("ts", "user", "kind", "data")}
        body |= {"seq": i, "id": f"a-{i:06d}-000000", "prev": prev}
        body["user"] = "nobody"
        line = forge(body, b"attacker's own key")
        lines.append(line)
        prev = json.loads(line)["hash"]
    write_lines(ws, lines)
    assert_bad(verify(ws), 1, "record 1", "MAC is not valid")


def test_rebuilt_suffix_dropping_a_record_is_named(ws: Path) -> None:
    # keep records 1-5, drop 6, renumber and re-hash 7-10 so the chain looks whole
    kept = read_lines(ws)
    lines, rest = kept[:5], kept[6:]
    prev = json.loads(lines[-1])["hash"]
    for seq, old in enumerate(rest, start=6):
        record = json.loads(old)
        body = {k: record[k] for k in ("id", "ts", "user", "kind", "data")}
        line = forge(body | {"seq": seq, "prev": prev}, b"attacker's own key")
        lines.append(line)
        prev = json.loads(line)["hash"]
    write_lines(ws, lines)
    assert_bad(verify(ws), 6, "record 6", "MAC is not valid")


def test_deleted_head_row_is_named(ws: Path) -> None:
    con = sqlite3.connect(ws / "catalog.db")
    with con:
        con.execute("DELETE FROM neurolake_audit_head")
    con.close()
    result = verify(ws)
    assert_bad(result, None, "chain head is missing from catalog.db")
    assert result.records == N


def test_deleted_catalog_is_named(ws: Path) -> None:
    for path in ws.glob("catalog.db*"):
        path.unlink()
    assert_bad(verify(ws), None, "chain head is missing from catalog.db")


def test_head_rewritten_without_the_key_is_named(ws: Path) -> None:
    # cut two records and make the head fit, but without the key its MAC cannot be redone
    lines = read_lines(ws)[:-2]
    write_lines(ws, lines)
    _, _, mac = head_row(ws) or (0, "", "")
    set_head(ws, (N - 2, json.loads(lines[-1])["hash"], mac))
    assert_bad(verify(ws), None, "head in catalog.db was modified")


@pytest.mark.parametrize("row", [(10, "é" * 64, "ü" * 64), ("ten", "x", "y"), (10, b"raw", 3.5)])
def test_garbage_head_row_is_named(ws: Path, row: tuple[object, object, object]) -> None:
    con = sqlite3.connect(ws / "catalog.db")
    with con:
        con.execute("UPDATE neurolake_audit_head SET count = ?, last_hash = ?, mac = ?", row)
    con.close()
    assert_bad(verify(ws), None, "head in catalog.db was modified")
    with pytest.raises(AuditError, match=r"chain head in catalog\.db was modified"):
        AuditLog(ws).append("query", user="ada")


def test_head_rolled_back_is_named(ws: Path) -> None:
    old_head = head_row(ws)
    assert old_head is not None
    log = AuditLog(ws)
    log.append("query", user="ada", n=11)
    log.append("query", user="ada", n=12)
    set_head(ws, old_head)
    assert_bad(verify(ws), None, "says 10 records but the log holds 12", "rolled back")


def test_missing_key_is_named(ws: Path) -> None:
    (ws / "keys" / "audit.key").unlink()
    assert_bad(verify(ws), None, "audit key is missing", "keys/audit.key")


def test_append_refuses_to_extend_a_tampered_log(ws: Path) -> None:
    write_lines(ws, read_lines(ws)[:-1])
    before = log_path(ws).read_bytes()
    with pytest.raises(AuditError, match=r"holds 9 records but its head in catalog.db says 10"):
        AuditLog(ws).append("query", user="ada", n=99)
    assert log_path(ws).read_bytes() == before  # nothing appended, the evidence stays
    assert_bad(verify(ws), N, "tail was cut off")

    con = sqlite3.connect(ws / "catalog.db")
    with con:
        con.execute("DELETE FROM neurolake_audit_head")
    con.close()
    with pytest.raises(AuditError, match=r"chain head is missing from catalog.db"):
        AuditLog(ws).append("query", user="ada", n=99)


def test_an_edit_under_a_running_appender_is_still_named_by_verify(ws: Path) -> None:
    log = AuditLog(ws)
    log.append("query", user="ada", n=11)
    lines = read_lines(ws)
    lines[-1] = lines[-1].replace(b'"n":11', b'"n":12')  # same size: the cached tip looks valid
    write_lines(ws, lines)
    # the appender trusts its cached tip (same inode and size), but the head check still passes
    # (the head names the hash the appender wrote), so it appends; verify names the edit
    log.append("query", user="ada", n=13)
    assert_bad(verify(ws), N + 1, "record 11", "edited")


# -- crashes -----------------------------------------------------------------------------------


def test_partial_last_line_is_an_incomplete_tail_and_the_next_append_continues(ws: Path) -> None:
    lines = read_lines(ws)
    with log_path(ws).open("ab") as fh:  # a crash halfway through writing record 11
        fh.write(lines[3][: len(lines[3]) // 2])
    result = verify(ws)
    assert result.ok and result.incomplete_tail and result.records == N
    assert result.first_bad is None and "incomplete record" in str(result.reason)
    assert [r.seq for r in AuditLog(ws).records()][-1] == N
    assert AuditLog(ws).tail(1)[0].seq == N

    record_id = AuditLog(ws).append("query", user="ada", n=11)
    assert record_id.startswith("a-000011-")
    result = verify(ws)
    assert result == VerifyResult(True, N + 1, None, None, False)
    assert all(line.endswith(b"\n") for line in read_lines(ws))
    assert len(read_lines(ws)) == N + 1


def test_running_appender_drops_a_partial_line_left_by_another_process(ws: Path) -> None:
    log = AuditLog(ws)
    log.append("query", user="ada", n=11)  # the tip is cached now
    with log_path(ws).open("ab") as fh:
        fh.write(b'{"data":{"n":')
    log.append("query", user="ada", n=12)
    assert verify(ws) == VerifyResult(True, N + 2, None, None, False)


def test_head_one_behind_is_accepted_and_repaired(ws: Path) -> None:
    behind = head_row(ws)
    assert behind is not None
    AuditLog(ws).append("query", user="ada", n=11)
    set_head(ws, behind)  # as if the process died between writing record 11 and the head
    result = verify(ws)
    assert result.ok and result.records == N + 1 and not result.incomplete_tail
    assert "one record behind" in str(result.reason)

    AuditLog(ws).append("query", user="ada", n=12)  # repairs the head
    assert head_row(ws) is not None and head_row(ws)[0] == N + 2  # type: ignore[index]
    assert verify(ws) == VerifyResult(True, N + 2, None, None, False)


def test_head_one_behind_with_a_forged_extra_record_is_not_accepted(ws: Path) -> None:
    last = json.loads(read_lines(ws)[-1])
    body = {
        "seq": N + 1, "id": "a-000011-abcdef", "ts": last["ts"], "user": "ada", "kind": "query",
        "data": {}, "prev": last["hash"],
    }  # fmt: skip
    with log_path(ws).open("ab") as fh:
        fh.write(forge(body, b"not the workspace key"))
    assert_bad(verify(ws), N + 1, "MAC is not valid")
    with pytest.raises(AuditError, match=r"holds 11 records but its head in catalog.db says 10"):
        AuditLog(ws).append("query", user="ada")

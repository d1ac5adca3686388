"""Right to erasure: rows gone from every snapshot, file and metadata version; audited without them."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from neurolake_lab.session import Session

ANN = "ann.smith@example.com"


def test_erase_removes_the_rows_from_history_and_files(session: Session) -> None:
    session.sql(
        "CREATE TABLE crm.p AS SELECT * FROM (VALUES (1, 'bob@example.org', 'gold')) t(id, email, tier)"
    )
    session.sql(f"INSERT INTO crm.p VALUES (2, '{ANN}', 'silver')")
    session.sql("UPDATE crm.p SET tier = 'gold' WHERE id = 2")
    session.sql("INSERT INTO crm.p VALUES (3, 'cy@example.net', 'bronze')")
    session.set_quality("crm.p", checks=["tier <> 'none'"], on_failure="quarantine")
    session.sql(f"INSERT INTO crm.p VALUES (4, '{ANN}', 'none')")  # Ann lands in the quarantine
    assert session.sql("SELECT count(*) FROM crm.p__quarantine").arrow()[0][0].as_py() == 1

    report = session.erase("crm.p", f"email = '{ANN}'")
    assert report.rows_removed == 1 and report.snapshots_expired
    assert report.also == ["crm.p__quarantine"]
    assert session.sql("SELECT id FROM crm.p ORDER BY id").arrow()[0].to_pylist() == [1, 3]
    # no snapshot left holds Ann: time travel cannot bring her back
    for snapshot in session.snapshots("crm.p").arrow().column("snapshot_id").to_pylist():
        old = session.sql(
            f"SELECT count(*) FROM crm.p FOR VERSION AS OF {snapshot} WHERE email = '{ANN}'"
        )
        assert old.arrow()[0][0].as_py() == 0
    assert session.sql("SELECT count(*) FROM crm.p__quarantine").arrow()[0][0].as_py() == 0
    # physically gone: no data file and no metadata file of either table contains her address
    folder = Path(session.settings.workspace, "warehouse", "crm")
    for path in folder.rglob("*"):
        if path.suffix == ".parquet":
            assert ANN not in pq.read_table(path).to_pylist().__repr__(), path
        elif path.is_file():
            assert ANN.encode() not in path.read_bytes(), path
    # audited, without the erased value
    (record,) = [r for r in session.audit.tail(50) if r.kind == "erasure"]
    assert record.data["rows_removed"] == 1 and record.data["table"] == "crm.p"
    assert ANN not in Path(session.settings.workspace, "audit", "audit.jsonl").read_text()
    assert session.audit.verify().ok


def test_erasure_empties_the_result_cache_and_clear_pii_is_never_cached(session: Session) -> None:
    session.sql(
        "CREATE TABLE crm.q AS SELECT * FROM (VALUES (1, 'x1@example.com', 5)) t(id, email, n)"
    )
    session.sql("SELECT sum(n) FROM crm.q")
    again = session.sql("SELECT sum(n) FROM crm.q")  # no PII: served from the cache
    assert any("result cache" in n for n in again.notices)
    session.sql("SELECT email FROM crm.q")
    repeat = session.sql("SELECT email FROM crm.q")  # PII in clear for the owner: never cached
    assert not any("result cache" in n for n in repeat.notices)
    assert session.result_cache.store.memory_used > 0
    session.erase("crm.q", "id = 1")
    assert session.result_cache.store.memory_used == 0
    assert not list(Path(session.settings.workspace, "cache", "results").glob("*.arrow"))
    fresh = session.sql("SELECT sum(n) FROM crm.q")
    assert (
        not any("result cache" in n for n in fresh.notices) and fresh.arrow()[0][0].as_py() is None
    )

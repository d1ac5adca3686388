"""Time travel, %snapshots and rollback."""

from __future__ import annotations

import time

import pytest

from neurolake_lab.exceptions import QueryError
from neurolake_lab.session import Session


def ids(session: Session, table: str) -> list[int]:
    """Snapshot ids, oldest first."""
    return session.snapshots(table).arrow().column("snapshot_id").to_pylist()[::-1]


def count(session: Session, sql: str) -> int:
    return int(session.sql(sql, namespace={}).arrow().column(0)[0].as_py())


def test_for_version_as_of_reads_each_snapshot(session: Session) -> None:
    session.sql("CREATE TABLE h.t AS SELECT range AS id FROM range(3)")
    session.sql("INSERT INTO h.t VALUES (10)")
    session.sql("DELETE FROM h.t WHERE id < 2")
    first, second, third = ids(session, "h.t")
    assert count(session, f"SELECT count(*) FROM h.t FOR VERSION AS OF {first}") == 3
    assert count(session, f"SELECT count(*) FROM h.t FOR VERSION AS OF {second}") == 4
    assert count(session, f"SELECT count(*) FROM h.t FOR VERSION AS OF {third}") == 2
    # several versions of one table in one query, with aliases and bare names
    joined = session.sql(
        f"SELECT count(*) FROM t FOR VERSION AS OF {second} AS new "
        f"ANTI JOIN h.t FOR VERSION AS OF {first} old USING (id)"
    )
    assert joined.arrow().column(0)[0].as_py() == 1


def test_for_timestamp_as_of(session: Session) -> None:
    session.sql("CREATE TABLE h.ts AS SELECT 1 AS x")
    time.sleep(0.05)
    between = session.sql("SELECT now()::TIMESTAMPTZ::VARCHAR AS t").arrow().column(0)[0].as_py()
    time.sleep(0.05)
    session.sql("INSERT INTO h.ts VALUES (2)")
    assert count(session, f"SELECT count(*) FROM h.ts FOR TIMESTAMP AS OF '{between}'") == 1
    assert count(session, "SELECT count(*) FROM h.ts FOR TIMESTAMP AS OF now()") == 2
    with pytest.raises(QueryError, match="no snapshot as of") as info:
        session.sql("SELECT * FROM h.ts FOR TIMESTAMP AS OF '2001-01-01 00:00:00'")
    assert "oldest snapshot" in (info.value.hint or "")


def test_time_travel_errors_are_clear(session: Session) -> None:
    session.sql("CREATE TABLE h.e AS SELECT 1 AS x; CREATE TABLE local_t AS SELECT 1 AS x")
    with pytest.raises(QueryError, match=r"has no snapshot 12345") as info:
        session.sql("SELECT * FROM h.e FOR VERSION AS OF 12345")
    assert "%snapshots h.e" in (info.value.hint or "")
    with pytest.raises(QueryError, match="time travel reads Iceberg tables"):
        session.sql("SELECT * FROM local_t FOR VERSION AS OF 1")
    with pytest.raises(QueryError, match="needs a snapshot id"):
        session.sql("SELECT * FROM h.e FOR VERSION AS OF 'yesterday'")
    with pytest.raises(QueryError, match="is not one"):
        session.sql("SELECT * FROM h.e FOR TIMESTAMP AS OF 'not a time'")
    assert count(session, "SELECT count(*) FROM h.e") == 1  # the session is unaffected


def test_time_travel_inside_writes_and_with_other_statements(session: Session) -> None:
    session.sql("CREATE TABLE h.w AS SELECT range AS id FROM range(5)")
    first = ids(session, "h.w")[0]
    session.sql("DELETE FROM h.w")
    session.sql(f"SELECT 1; INSERT INTO h.w SELECT * FROM h.w FOR VERSION AS OF {first}; SELECT 2")
    assert count(session, "SELECT count(*) FROM h.w") == 5
    # a string containing the words is not time travel
    assert session.sql("SELECT 'FOR VERSION AS OF 3' AS s").arrow().column(0)[0].as_py()


def test_snapshots_listing_and_rollback(session: Session) -> None:
    session.sql("CREATE TABLE h.r AS SELECT range AS id FROM range(4)")
    session.sql("INSERT INTO h.r VALUES (4), (5)")
    session.sql("UPDATE h.r SET id = id * 10 WHERE id = 5")
    snaps = session.snapshots("h.r").arrow().to_pylist()
    assert [s["operation"] for s in snaps] == ["update", "insert", "create table as"]
    assert [(s["rows_added"], s["rows_removed"]) for s in snaps] == [(1, 1), (2, 0), (4, 0)]
    assert [s["total_rows"] for s in snaps] == [6, 6, 4]
    assert snaps[0]["current"] and not snaps[1]["current"]
    assert all(s["user"] == session.user for s in snaps)
    first = snaps[-1]["snapshot_id"]
    outcome = session.rollback("h.r", first)
    assert outcome.snapshot_id == first
    assert count(session, "SELECT count(*) FROM h.r") == 4
    # the newer snapshots stay for time travel
    newest = snaps[0]["snapshot_id"]
    assert count(session, f"SELECT max(id) FROM h.r FOR VERSION AS OF {newest}") == 50
    session.sql("INSERT INTO h.r VALUES (99)")  # writes continue from the rolled-back state
    assert count(session, "SELECT count(*) FROM h.r") == 5
    with pytest.raises(QueryError, match="has no snapshot 7"):
        session.rollback("h.r", 7)


def test_version_and_time_as_bound_parameters(session: Session) -> None:
    session.sql("CREATE TABLE h.p AS SELECT 1 AS x")
    first = ids(session, "h.p")[0]
    session.sql("INSERT INTO h.p VALUES (2)")
    assert (
        session.sql("SELECT count(*) FROM h.p FOR VERSION AS OF $first", {"first": first})
        .arrow()[0][0]
        .as_py()
        == 1
    )
    snap = first  # noqa: F841 - read by name from this frame, like a notebook variable
    assert (
        session.sql("SELECT count(*) FROM h.p FOR VERSION AS OF :snap").arrow()[0][0].as_py() == 1
    )
    with pytest.raises(QueryError, match="no snapshot id or time"):
        session.sql("SELECT * FROM h.p FOR VERSION AS OF $nothing", {"nothing": None})

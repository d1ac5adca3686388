"""Quarantine never loses a row (issue 17, hole 8), for every kind of write.

A table says ``"on_failure": "quarantine"``; each write brings rows that break its rules. After
it, the table and ``<table>__quarantine`` together hold every row: an INSERT's bad rows are in
the quarantine and its good ones in the table; an UPDATE's rejected new versions are in the
quarantine while the rows they would have replaced keep their old values in the table; a
DELETE quarantines nothing and removes only what it matched; a MERGE does both.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

import neurolake_lab
from neurolake_lab.session import Session

T = "shop.customers"
Q = "shop.customers__quarantine"
N = 40  # customers 1..40; the even ones live in DE, the odd ones in FR


@pytest.fixture
def shop(workspace: Path) -> Iterator[Session]:
    with neurolake_lab.connect(workspace) as s:
        s.write(
            T,
            pa.table(
                {
                    "customer_id": pa.array(range(1, N + 1), pa.int64()),
                    "email": [f"c{i}@example.com" for i in range(1, N + 1)],
                    "country": ["DE" if i % 2 == 0 else "FR" for i in range(1, N + 1)],
                    "score": pa.array([i * 10 for i in range(1, N + 1)], pa.int64()),
                }
            ),
        )
        s.set_quality(
            T,
            not_null=["email"],
            unique=["customer_id"],
            ranges={"score": [0, 1000]},
            checks=["country IN ('DE', 'FR', 'IT')"],
            on_failure="quarantine",
        )
        yield s


def _rows(s: Session, sql: str) -> list[tuple[object, ...]]:
    return [tuple(r.values()) for r in s.sql(sql).arrow().to_pylist()]


def _count(s: Session, table: str) -> int:
    return int(s.sql(f"SELECT count(*) AS n FROM {table}").arrow()[0][0].as_py())


def test_insert_quarantines_the_bad_rows_and_writes_the_rest(shop: Session) -> None:
    out = (
        shop.sql(
            f"INSERT INTO {T} VALUES (41, 'a@x.com', 'IT', 5), (42, NULL, 'DE', 5), "
            "(43, 'b@x.com', 'XX', 5), (1, 'dup@x.com', 'DE', 5), (44, 'c@x.com', 'FR', 5000)"
        )
        .arrow()
        .to_pylist()[0]
    )
    assert out["rows_added"] == 1 and out["quarantined"] == 4
    assert _count(shop, T) + _count(shop, Q) == N + 5
    assert _rows(shop, f"SELECT customer_id FROM {Q} ORDER BY 1") == [(1,), (42,), (43,), (44,)]
    why = dict(_rows(shop, f"SELECT customer_id, _violations FROM {Q}"))
    assert why[42] == "not_null(email)" and why[1] == "unique(customer_id)"
    assert why[43] == "check(country IN ('DE', 'FR', 'IT'))" and why[44] == "range(score)"


def test_update_keeps_the_old_rows_and_quarantines_the_new_versions(shop: Session) -> None:
    before = {r[0]: r for r in _rows(shop, f"SELECT * FROM {T}")}
    # customers 31..40 move: the DE ones to an unknown country (bad), the FR ones to IT (good)
    out = (
        shop.sql(
            f"UPDATE {T} SET country = CASE WHEN country = 'DE' THEN 'XX' ELSE 'IT' END, "
            "score = score + 1 WHERE customer_id > 30"
        )
        .arrow()
        .to_pylist()[0]
    )
    assert out["quarantined"] == 5 and out["rows_added"] == 5
    after = {r[0]: r for r in _rows(shop, f"SELECT * FROM {T}")}
    assert sorted(after) == sorted(before)  # not one row lost, none doubled
    for cid in range(31, N + 1):
        if cid % 2 == 0:  # rejected: the table keeps the old row, the quarantine the new one
            assert after[cid] == before[cid]
        else:
            assert after[cid][2:] == ("IT", cid * 10 + 1)
    rejected = _rows(shop, f"SELECT customer_id, country, score FROM {Q} ORDER BY 1")
    assert rejected == [(c, "XX", c * 10 + 1) for c in range(32, N + 1, 2)]
    assert all(before[c] == after[c] for c in range(1, 31))  # untouched rows stay


def test_update_of_every_row_empties_nothing(shop: Session) -> None:
    """The report of issue 17: an UPDATE on a quarantining table left it with 0 rows."""
    out = shop.sql(f"UPDATE {T} SET email = NULL").arrow().to_pylist()[0]
    assert out["quarantined"] == N and out["rows_added"] == 0
    assert _count(shop, T) == N and _count(shop, Q) == N
    assert _rows(shop, f"SELECT count(*) FROM {T} WHERE email IS NULL") == [(0,)]
    # an UPDATE whose rows all pass changes them; none quarantined
    shop.sql(f"UPDATE {T} SET score = score + 1")
    assert _rows(shop, f"SELECT min(score), max(score) FROM {T}") == [(11, N * 10 + 1)]
    assert _count(shop, T) == N and _count(shop, Q) == N


def test_update_rows_that_were_already_bad_are_judged_only_when_matched(shop: Session) -> None:
    """Rows stored before a rule existed stay; an UPDATE of other rows is not refused for them."""
    shop.set_quality(T, checks=["score < 300"], on_failure="refuse")
    out = shop.sql(f"UPDATE {T} SET country = 'IT' WHERE customer_id = 1").arrow().to_pylist()[0]
    assert out["rows_added"] == 1 and _count(shop, T) == N


def test_delete_quarantines_nothing_and_keeps_every_other_row(shop: Session) -> None:
    out = shop.sql(f"DELETE FROM {T} WHERE country = 'DE' AND score > 200").arrow().to_pylist()
    assert out[0]["rows_removed"] == 10 and out[0]["quarantined"] == 0
    assert _count(shop, T) == N - 10
    assert not shop.lakehouse.writer.exists(("shop", "customers__quarantine"))


def test_merge_quarantines_bad_inserts_and_bad_updates_and_keeps_the_rest(shop: Session) -> None:
    shop.sql(
        "CREATE TABLE shop.changes AS SELECT * FROM (VALUES "
        "(1, 'new1@x.com', 'IT', 1), (2, 'new2@x.com', 'XX', 2), "  # an update, a bad update
        "(50, 'n50@x.com', 'DE', 3), (51, NULL, 'DE', 4)) v(customer_id, email, country, score)"
    )
    out = (
        shop.sql(
            f"MERGE INTO {T} AS t USING shop.changes AS s ON t.customer_id = s.customer_id "
            "WHEN MATCHED THEN UPDATE SET email = s.email, country = s.country, score = s.score "
            "WHEN NOT MATCHED THEN INSERT VALUES (s.customer_id, s.email, s.country, s.score)"
        )
        .arrow()
        .to_pylist()[0]
    )
    assert out["quarantined"] == 2 and out["rows_added"] == 1 and out["rows_updated"] == 1
    assert _count(shop, T) == N + 1 and _count(shop, Q) == 2
    assert _rows(
        shop, f"SELECT email, country FROM {T} WHERE customer_id IN (1, 2) ORDER BY 1"
    ) == [
        ("c2@example.com", "DE"),
        ("new1@x.com", "IT"),
    ]
    assert _rows(shop, f"SELECT customer_id FROM {Q} ORDER BY 1") == [(2,), (51,)]


def test_session_write_quarantines_too(shop: Session) -> None:
    rows = pa.table(
        {
            "customer_id": pa.array([60, 61], pa.int64()),
            "email": ["z@x.com", None],
            "country": ["DE", "DE"],
            "score": pa.array([1, 1], pa.int64()),
        }
    )
    out = shop.write(T, rows)
    assert out.quarantined == 1 and _count(shop, T) + _count(shop, Q) == N + 2


def test_the_quarantine_belongs_to_the_table_owner_and_keeps_its_tags(
    shop: Session, workspace: Path
) -> None:
    """A writer with a grant quarantines rows; the quarantine is the owner's, and masked alike."""
    shop.set_pii(T, "email", "EMAIL_ADDRESS")
    shop.set_pii(T, "country", "LOCATION")  # no classifier would find "XX" personal
    (workspace / "policies.yaml").write_text(
        "roles: {clerk: {}}\nusers: {clerk: {roles: [clerk]}}\n"
        "grants:\n  - {name: w, roles: [clerk], tables: [shop.customers], privileges: [write]}\n"
    )
    with neurolake_lab.connect(workspace, user="clerk") as clerk:
        clerk.sql(f"INSERT INTO {T} VALUES (70, 'secret@x.com', 'XX', 1)")
        [masked] = clerk.sql(f"SELECT email, country FROM {Q}").arrow().to_pylist()
        assert masked["email"] != "secret@x.com" and masked["country"] != "XX"
        with pytest.raises(neurolake_lab.exceptions.NeuroLakeError, match="privilege"):
            clerk.sql(f"DROP TABLE {Q}")
    assert _rows(shop, f"SELECT email, country FROM {Q}") == [("secret@x.com", "XX")]
    writer = shop.lakehouse.writer
    owner = writer.load(("shop", "customers")).properties["neurolake.owner"]
    assert writer.load(("shop", "customers__quarantine")).properties["neurolake.owner"] == owner

"""MERGE INTO Iceberg tables: upserts and deletes as one snapshot, on the real write path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import neurolake_lab
from neurolake_lab.compliance.policy import PolicyViolation
from neurolake_lab.exceptions import QualityError, QueryError
from neurolake_lab.session import Session

UPSERT = (
    "MERGE INTO m.t USING ({source}) AS src ON t.id = src.id "
    "WHEN MATCHED THEN UPDATE SET v = src.v "
    "WHEN NOT MATCHED THEN INSERT (id, v) VALUES (src.id, src.v)"
)


def rows(session: Session, sql: str = "SELECT id, v FROM m.t ORDER BY id") -> list[tuple]:
    return [tuple(r.values()) for r in session.sql(sql, namespace={}).arrow().to_pylist()]


def snapshot_count(session: Session, table: str = "m.t") -> int:
    return len(session.snapshots(table).arrow())


@pytest.fixture
def table(session: Session) -> Session:
    session.sql("CREATE TABLE m.t AS SELECT range AS id, 'v' || range AS v FROM range(5)")
    return session


def test_an_upsert_inserts_and_updates_in_one_snapshot(table: Session) -> None:
    before = snapshot_count(table)
    source = "SELECT * FROM (VALUES (3, 'x'), (7, 'y')) s(id, v)"
    out = table.sql(UPSERT.format(source=source)).arrow().to_pylist()[0]
    assert (out["operation"], out["rows_added"], out["rows_updated"]) == ("merge", 1, 1)
    assert out["rows_removed"] == 0
    assert rows(table) == [(0, "v0"), (1, "v1"), (2, "v2"), (3, "x"), (4, "v4"), (7, "y")]
    assert snapshot_count(table) == before + 1
    summary = table.lakehouse.load(("m", "t")).current_snapshot().summary.additional_properties
    assert summary["neurolake.operation"] == "merge"
    assert (summary["neurolake.rows_inserted"], summary["neurolake.rows_updated"]) == ("1", "1")


def test_rerunning_a_merge_never_duplicates_a_key(table: Session) -> None:
    source = "SELECT range AS id, 'new' || range AS v FROM range(3, 8)"
    for _ in range(3):
        table.sql(UPSERT.format(source=source))
    assert rows(table, "SELECT count(*), count(DISTINCT id) FROM m.t") == [(8, 8)]
    assert rows(table, "SELECT v FROM m.t WHERE id = 6") == [("new6",)]


def test_delete_clauses_and_not_matched_by_source(table: Session) -> None:
    table.sql(
        "MERGE INTO m.t USING (SELECT * FROM (VALUES (1, NULL), (2, 'two')) s(id, v)) AS src "
        "ON t.id = src.id WHEN MATCHED AND src.v IS NULL THEN DELETE "
        "WHEN MATCHED THEN UPDATE SET v = src.v WHEN NOT MATCHED BY SOURCE AND t.id > 3 THEN DELETE"
    )
    record = table.audit.tail(1)[0]
    assert rows(table) == [(0, "v0"), (2, "two"), (3, "v3")]
    assert record.kind == "write" and record.data["operation"] == "merge"
    assert record.data["rows_removed"] == 2 and record.data["rows_updated"] == 1


def test_a_source_with_a_key_twice_is_refused_and_nothing_changes(table: Session) -> None:
    before = snapshot_count(table)
    source = "SELECT * FROM (VALUES (9, 'a'), (9, 'b')) s(id, v)"
    with pytest.raises(QueryError, match="more than one row") as info:
        table.sql(UPSERT.format(source=source))
    assert "QUALIFY" in (info.value.hint or "")
    assert snapshot_count(table) == before and len(rows(table)) == 5


def test_only_the_files_that_may_hold_the_keys_are_rewritten(session: Session) -> None:
    session.sql("CREATE TABLE m.big PARTITIONED BY (part) AS "
                "SELECT range AS id, range // 100 AS part, 'x' AS v FROM range(1000)")  # fmt: skip
    session.sql(
        "MERGE INTO m.big USING (SELECT 150 AS id, 1 AS part, 'y' AS v) AS src ON big.id = src.id "
        "WHEN MATCHED THEN UPDATE SET v = src.v"
    )
    summary = session.lakehouse.load(("m", "big")).current_snapshot().summary
    assert summary["deleted-data-files"] == "1" and summary["added-data-files"] == "1"
    assert rows(session, "SELECT count(*), count(*) FILTER (v = 'y') FROM m.big") == [(1000, 1)]


def test_merging_into_an_empty_table_inserts_everything(session: Session) -> None:
    session.sql("CREATE TABLE m.t (id BIGINT, v VARCHAR)")
    session.sql(UPSERT.format(source="SELECT range AS id, 'a' AS v FROM range(4)"))
    assert len(rows(session)) == 4


def test_the_merge_is_in_the_lineage_and_the_snapshot_names_its_sources(session: Session) -> None:
    session.sql("CREATE TABLE m.src AS SELECT range AS id, 'v' || range AS v FROM range(3)")
    session.sql("CREATE TABLE m.t (id BIGINT, v VARCHAR)")
    session.sql(UPSERT.format(source="SELECT id, upper(v) AS v FROM m.src"))
    summary = session.lakehouse.load(("m", "t")).current_snapshot().summary.additional_properties
    assert [s["table"] for s in json.loads(summary["neurolake.sources"])] == ["m.src"]
    edges = json.loads(summary["neurolake.lineage"])["edges"]
    assert {(e["source"], e["target"]) for e in edges} >= {("m.src.v", "m.t.v")}
    upstream = session.lineage("m.t.v")
    assert any(e.source == "m.src.v" for e in upstream.edges)


def test_quality_checks_see_only_the_rows_the_merge_writes(table: Session) -> None:
    table.set_quality("m.t", unique=["id"], checks=["v <> 'bad'"])
    with pytest.raises(QualityError, match="check"):
        table.sql(UPSERT.format(source="SELECT 2 AS id, 'bad' AS v"))
    assert len(rows(table)) == 5
    table.sql(UPSERT.format(source="SELECT 2 AS id, 'fine' AS v"))  # an update is no duplicate
    assert rows(table, "SELECT v FROM m.t WHERE id = 2") == [("fine",)]


def test_quarantine_keeps_the_old_row_of_a_refused_update(table: Session) -> None:
    table.set_quality("m.t", checks=["v <> 'bad'"], on_failure="quarantine")
    source = "SELECT * FROM (VALUES (1, 'bad'), (2, 'ok'), (8, 'bad'), (9, 'new')) s(id, v)"
    out = table.sql(UPSERT.format(source=source)).arrow().to_pylist()[0]
    assert (out["rows_added"], out["rows_updated"], out["quarantined"]) == (1, 1, 2)
    assert rows(table) == [(0, "v0"), (1, "v1"), (2, "ok"), (3, "v3"), (4, "v4"), (9, "new")]
    assert rows(table, "SELECT id, v FROM m.t__quarantine ORDER BY id") == [(1, "bad"), (8, "bad")]


def test_unsupported_forms_are_clear_errors(table: Session) -> None:
    with pytest.raises(QueryError, match="RETURNING"):
        table.sql(
            "MERGE INTO m.t USING (SELECT 1 AS id) AS s ON t.id = s.id "
            "WHEN MATCHED THEN DELETE RETURNING *"
        )
    with pytest.raises(QueryError, match="BY NAME"):
        table.sql(
            "MERGE INTO m.t USING (SELECT 1 AS id, 'a' AS v) AS s ON t.id = s.id "
            "WHEN NOT MATCHED THEN INSERT BY NAME"
        )
    assert len(rows(table)) == 5


def test_a_user_who_sees_the_target_masked_cannot_merge_into_it(
    session: Session, workspace: Path
) -> None:
    session.sql("CREATE TABLE m.people AS SELECT 1 AS id, 'ann@example.com' AS email")
    with neurolake_lab.connect(workspace, user="mallory") as other:
        with pytest.raises(PolicyViolation, match="merge-target"):
            other.sql(
                "MERGE INTO m.people USING (SELECT 1 AS id) AS s ON people.id = s.id "
                "AND people.email LIKE 'a%' WHEN MATCHED THEN DELETE"
            )
        assert other.audit.tail(1)[0].kind == "refusal"
    assert len(session.sql("SELECT * FROM m.people")) == 1

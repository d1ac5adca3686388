"""Maintenance: expire snapshots within a retention, compact small files, remove orphans."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from neurolake_lab.exceptions import NeuroLakeError
from neurolake_lab.lakehouse.maintenance import parse_duration
from neurolake_lab.session import Session


def parquet_files(session: Session, table: str) -> list[Path]:
    ns, name = table.split(".")
    return sorted(Path(session.settings.workspace, "warehouse", ns, name).rglob("*.parquet"))


def scalar(session: Session, sql: str) -> object:
    return session.sql(sql, namespace={}).arrow().column(0)[0].as_py()


def test_compaction_rewrites_small_files_per_partition_without_changing_rows(
    session: Session,
) -> None:
    session.sql("CREATE TABLE m.t (id BIGINT, g VARCHAR) PARTITIONED BY (g)")
    for i in range(6):
        session.sql(
            f"INSERT INTO m.t SELECT range + {i * 100}, ['a', 'b'][range % 2 + 1] FROM range(100)"
        )
    assert len(parquet_files(session, "m.t")) == 12
    before = scalar(session, "SELECT sum(id) FROM m.t")
    report = session.maintain("m.t", expire_older_than="30d", remove_orphans=False)
    assert (report.files_compacted, report.files_written) == (12, 2)
    assert scalar(session, "SELECT sum(id) FROM m.t") == before
    snaps = session.snapshots("m.t").arrow().to_pylist()
    assert snaps[0]["operation"] == "compact" and snaps[0]["rows_added"] == 0
    rows = report.to_arrow().to_pylist()
    assert [r["step"] for r in rows] == ["expire snapshots", "compact files", "remove orphan files"]
    assert "12 small files rewritten as 2" in rows[1]["detail"]


def test_expiry_keeps_the_retention_and_time_travel_inside_it(session: Session) -> None:
    session.sql("CREATE TABLE m.h AS SELECT 1 AS v")
    session.sql("INSERT INTO m.h VALUES (2)")
    time.sleep(1.2)
    inside = scalar(session, "SELECT now()::TIMESTAMPTZ::VARCHAR")
    session.sql("INSERT INTO m.h VALUES (3)")
    session.sql("INSERT INTO m.h VALUES (4)")
    ids = session.snapshots("m.h").arrow().column("snapshot_id").to_pylist()[::-1]
    report = session.maintain("m.h", expire_older_than="1s", retain_last=1, compact=False,
                              orphans_older_than="0s")  # fmt: skip
    # the first snapshot is gone; the one current at the cut-off stays, with all newer ones
    assert report.snapshots_expired == [ids[0]]
    assert report.files_deleted >= 1
    left = session.snapshots("m.h").arrow().column("snapshot_id").to_pylist()
    assert sorted(left) == sorted(ids[1:])
    assert scalar(session, f"SELECT count(*) FROM m.h FOR TIMESTAMP AS OF '{inside}'") == 2
    assert scalar(session, f"SELECT count(*) FROM m.h FOR VERSION AS OF {ids[1]}") == 2
    with pytest.raises(NeuroLakeError, match=f"has no snapshot {ids[0]}"):
        session.sql(f"SELECT * FROM m.h FOR VERSION AS OF {ids[0]}")
    assert scalar(session, "SELECT count(*) FROM m.h") == 4


def test_orphans_are_removed_only_when_old_enough(session: Session) -> None:
    session.sql("CREATE TABLE m.o AS SELECT 1 AS v")
    folder = parquet_files(session, "m.o")[0].parent
    stray = folder / "00000-9-from-a-crashed-write.parquet"
    stray.write_bytes(b"x" * 100)
    report = session.maintain("m.o", compact=False)  # default: orphans older than a day
    assert stray.exists() and report.orphans_removed == 0
    report = session.maintain("m.o", compact=False, orphans_older_than="0s")
    assert not stray.exists() and report.orphans_removed == 1 and report.bytes_freed >= 100
    assert scalar(session, "SELECT v FROM m.o") == 1


def test_durations() -> None:
    assert parse_duration("7d").days == 7
    assert parse_duration("12h").total_seconds() == 43200
    assert parse_duration("0").total_seconds() == 0
    with pytest.raises(NeuroLakeError, match="duration"):
        parse_duration("soon")

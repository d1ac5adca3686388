"""Scan estimates from Iceberg metadata: pruned files, rows and bytes match what DuckDB reads."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from neurolake_lab.cost.estimate import estimate_statement
from neurolake_lab.cost.measure import count_reads
from neurolake_lab.cost.table_stats import table_files
from neurolake_lab.session import Session


def files_read(session: Session, sql: str) -> int:
    text = str(session.sql(f"EXPLAIN ANALYZE {sql}").arrow().column(1)[0].as_py())
    return sum(int(n) for n in re.findall(r"Total Files Read: (\d+)", text))


@pytest.fixture
def events(session: Session) -> Session:
    session.sql(
        "CREATE TABLE p.events (id BIGINT, day DATE, note VARCHAR) PARTITIONED BY (month(day))"
    )
    session.sql(
        "INSERT INTO p.events SELECT range, DATE '2026-01-01' + INTERVAL (range % 90) DAY, "
        "repeat('n', 20) || range FROM range(9000)"
    )
    return session


def test_partition_pruning_matches_the_files_duckdb_reads(events: Session) -> None:
    sql = "SELECT sum(id) FROM p.events WHERE day >= DATE '2026-02-01' AND day < DATE '2026-03-01'"
    est = estimate_statement(events.query, sql)
    (scan,) = [s for s in est.scans if s is not None]
    assert (scan.files_total, scan.files_kept) == (3, 1)
    assert scan.files_kept == files_read(events, sql)
    feb = (
        events.sql(
            "SELECT count(*) FROM p.events WHERE day >= DATE '2026-02-01' AND day < DATE '2026-03-01'"
        )
        .arrow()
        .column(0)[0]
        .as_py()
    )
    assert scan.rows_kept == feb  # a month partition holds exactly that month


def test_no_filter_keeps_every_file_and_a_wrapped_column_prunes_nothing(events: Session) -> None:
    est = estimate_statement(events.query, "SELECT sum(id) FROM p.events WHERE year(day) = 2026")
    (scan,) = [s for s in est.scans if s is not None]
    assert scan.files_kept == scan.files_total == 3
    assert files_read(events, "SELECT sum(id) FROM p.events WHERE year(day) = 2026") == 3


def test_bytes_are_the_compressed_column_chunks_of_the_kept_files(events: Session) -> None:
    est = estimate_statement(
        events.query, "SELECT max(note) FROM p.events WHERE day < DATE '2026-02-01'"
    )
    (scan,) = [s for s in est.scans if s is not None]
    ws = Path(events.settings.workspace) / "warehouse" / "p" / "events"
    chunks = 0
    for path in ws.rglob("*.parquet"):
        if "2026-01" not in str(path):
            continue
        meta = pq.ParquetFile(path).metadata
        for rg in range(meta.num_row_groups):
            for c in range(meta.num_columns):
                col = meta.row_group(rg).column(c)
                if col.path_in_schema in {"note", "day"}:
                    chunks += col.total_compressed_size
    assert scan.columns_read == 2  # note, and day for the filter
    assert scan.bytes_kept == chunks


def test_statistics_prune_files_of_an_unpartitioned_table(session: Session) -> None:
    session.sql("CREATE TABLE p.ids AS SELECT range AS id FROM range(1000)")
    session.sql("INSERT INTO p.ids SELECT range + 5000 FROM range(1000)")
    est = estimate_statement(session.query, "SELECT count(*) FROM p.ids WHERE id >= 5500")
    (scan,) = [s for s in est.scans if s is not None]
    assert (scan.files_total, scan.files_kept, scan.rows_kept) == (2, 1, 1000)


def test_time_travel_estimates_the_snapshot_read(session: Session) -> None:
    session.sql("CREATE TABLE p.tt AS SELECT range AS id FROM range(100)")
    first = session.snapshots("p.tt").arrow().column("snapshot_id")[0].as_py()
    session.sql("INSERT INTO p.tt SELECT range FROM range(400)")
    from neurolake_lab.cost import CostModel

    model = CostModel(session.settings.workspace)
    now = model.estimate(session.query, "SELECT sum(id) FROM p.tt")[0]
    then = model.estimate(session.query, f"SELECT sum(id) FROM p.tt FOR VERSION AS OF {first}")[0]
    rows = [sum(s.rows_kept for s in e.scans if s is not None) for e in (now, then)]
    assert rows == [500, 100]


def test_the_file_list_of_a_snapshot_is_read_once(events: Session) -> None:
    loc = events.lakehouse.pointers[("p", "events")]
    assert table_files(loc) is table_files(loc)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/io")
def test_predicted_bytes_are_close_to_the_bytes_duckdb_reads(session: Session) -> None:
    session.sql(
        "CREATE TABLE p.wide AS SELECT range AS id, md5(range::VARCHAR) AS h, "
        "repeat(md5(range::VARCHAR), 4) AS txt FROM range(200000)"
    )
    sql = "SELECT max(txt), sum(id) FROM p.wide"
    est = estimate_statement(session.query, sql)
    session.sql(sql)  # warm: the views and metadata are read once per table
    with count_reads() as reads:  # straight to DuckDB: the session would answer from its cache
        session.engine.run(sql)
    assert reads.bytes_read is not None
    assert est.estimated_bytes > 1_000_000
    assert 0.8 < reads.bytes_read / est.estimated_bytes < 1.5

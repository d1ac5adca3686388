"""Partitioning and sort order: DuckDB reads only the files and columns a query needs."""

from __future__ import annotations

import os
import re
from pathlib import Path

from neurolake_lab.session import Session


def plan(session: Session, sql: str) -> str:
    return str(session.sql(f"EXPLAIN ANALYZE {sql}").arrow().column(1)[0].as_py())


def files_read(session: Session, sql: str) -> int:
    match = re.search(r"Total Files Read: (\d+)", plan(session, sql))
    assert match, "the Iceberg scan reports the files it read"
    return int(match.group(1))


def data_files(session: Session, table: str) -> list[Path]:
    ns, name = table.split(".")
    return sorted((Path(session.settings.workspace) / "warehouse" / ns / name).rglob("*.parquet"))


def test_partitioned_by_month_prunes_files(session: Session) -> None:
    session.sql(
        "CREATE TABLE p.events (id BIGINT, day DATE, amount DOUBLE) PARTITIONED BY (month(day))"
    )
    session.sql(
        "INSERT INTO p.events SELECT range, DATE '2026-01-01' + INTERVAL (range % 90) DAY, range "
        "FROM range(900)"
    )
    files = data_files(session, "p.events")
    assert len(files) == 3 and {f.parent.name for f in files} == {
        "day_month=2026-01", "day_month=2026-02", "day_month=2026-03"
    }  # fmt: skip
    query = "SELECT sum(amount) FROM p.events WHERE day BETWEEN '2026-02-03' AND '2026-02-10'"
    assert files_read(session, query) == 1
    # proof by removal: the files of other months are not needed at all
    for f in files:
        if f.parent.name != "day_month=2026-02":
            os.remove(f)
    expected = sum(i for i in range(900) if 33 <= i % 90 <= 40)
    assert session.sql(query).arrow().column(0)[0].as_py() == expected


def test_file_pruning_from_column_statistics_without_partitions(session: Session) -> None:
    session.sql("CREATE TABLE p.stats AS SELECT range AS id, 'a' AS tag FROM range(100)")
    session.sql("INSERT INTO p.stats SELECT range + 1000, 'b' FROM range(100)")
    assert files_read(session, "SELECT count(*) FROM p.stats WHERE id >= 1000") == 1


def test_projection_reads_only_the_needed_columns(session: Session) -> None:
    session.sql("CREATE TABLE p.wide AS SELECT range AS a, range AS b, 'x' AS c FROM range(10)")
    text = plan(session, "SELECT sum(b) FROM p.wide")
    scan = text[text.index("ICEBERG_SCAN") :]
    assert re.search(r"Projections:\s*b\b", scan) and "│            a" not in scan


def test_partitioning_spellings_and_sort_order(session: Session) -> None:
    session.sql(
        "CREATE TABLE p.trino (id BIGINT, cat VARCHAR, ts TIMESTAMP) "
        "WITH (partitioning = ARRAY['bucket(4, id)', 'cat'], sorted_by = ARRAY['ts DESC'])"
    )
    _, meta = session.lakehouse.metadata("p.trino")
    assert [str(f.transform) for f in meta.spec().fields] == ["bucket[4]", "identity"]
    assert [str(f.direction).lower() for f in meta.sort_order().fields] == ["desc"]
    session.sql(
        "INSERT INTO p.trino SELECT range, 'c' || (range % 2), TIMESTAMP '2026-01-01' + "
        "INTERVAL (range) MINUTE FROM range(40)"
    )
    # files are written in the table's sort order
    import pyarrow.parquet as pq

    for f in data_files(session, "p.trino"):
        ts = pq.read_table(f).column("ts").to_pylist()
        assert ts == sorted(ts, reverse=True)
    session.sql("ALTER TABLE p.trino WRITE ORDERED BY id")
    _, meta = session.lakehouse.metadata("p.trino")
    assert [str(f.direction).lower() for f in meta.sort_order().fields] == ["asc"]


def test_session_write_with_partitioning(session: Session) -> None:
    import pyarrow as pa

    data = pa.table({"k": ["a", "b", "a"], "v": [1, 2, 3]})
    session.write("p.w", data, partition_by=["k"], sort_by=["v DESC"])
    assert len(data_files(session, "p.w")) == 2
    assert files_read(session, "SELECT * FROM p.w WHERE k = 'a'") == 1

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


def test_access_patterns_suggest_a_layout_applied_only_on_request(session: Session) -> None:
    session.sql(
        "CREATE TABLE p.sales AS SELECT range AS id, range % 50 AS store, "
        "DATE '2025-01-01' + INTERVAL (range % 365) DAY AS day FROM range(3000)"
    )
    assert session.layout("p.sales") is None  # no queries yet, no advice
    for month in range(1, 5):
        session.sql(
            f"SELECT count(*) FROM p.sales WHERE day >= '2025-0{month}-01' AND day < '2025-0{month + 1}-01'"
        )
    suggestion = session.layout("p.sales")
    assert suggestion is not None and suggestion.partition_by == ["month(day)"]
    assert "4 queries filtered day by range" in suggestion.message
    # another kernel sees the same record (it lives in the workspace, not in this process)
    import neurolake_lab

    with neurolake_lab.connect(session.settings.workspace) as other:
        assert other.layout("p.sales") == suggestion
    # shown on the next write, not applied
    result = session.sql("INSERT INTO p.sales VALUES (5000, 1, DATE '2025-06-01')")
    assert any("Layout suggestion for p.sales" in n for n in result.notices)
    _, meta = session.lakehouse.metadata("p.sales")
    assert not meta.spec().fields
    # applied on request: partitioned, files rewritten, same rows
    before = session.sql("SELECT sum(id), count(*) FROM p.sales").arrow().to_pylist()
    session.apply_layout("p.sales")
    _, meta = session.lakehouse.metadata("p.sales")
    assert [str(f.transform) for f in meta.spec().fields] == ["month"]
    assert session.sql("SELECT sum(id), count(*) FROM p.sales").arrow().to_pylist() == before
    assert files_read(session, "SELECT count(*) FROM p.sales WHERE day = DATE '2025-03-03'") == 1
    assert session.layout("p.sales") is None  # done: nothing more to suggest


def test_equality_filters_suggest_a_sort_order(session: Session) -> None:
    session.sql(
        "CREATE TABLE p.acct AS SELECT range AS id, 'c' || (range % 97) AS customer FROM range(500)"
    )
    for c in ("c1", "c2", "c3"):
        session.sql(f"SELECT * FROM p.acct a WHERE a.customer = '{c}'")
    session.sql(
        "SELECT * FROM p.acct JOIN p.acct b USING (id)"
    )  # joins are recorded, not sorted on
    suggestion = session.layout("p.acct")
    assert suggestion is not None and suggestion.sort_by == ["customer"]
    session.apply_layout("p.acct")
    _, meta = session.lakehouse.metadata("p.acct")
    assert [meta.schema().find_column_name(f.source_id) for f in meta.sort_order().fields] == [
        "customer"
    ]

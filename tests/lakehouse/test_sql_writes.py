"""SQL writes to Iceberg tables: each statement is one commit, read back through DuckDB."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

import neurolake_lab
from neurolake_lab.exceptions import LakehouseError, NeuroLakeError, QueryError
from neurolake_lab.session import Session


def rows(session: Session, sql: str) -> list[tuple]:
    return [tuple(r.values()) for r in session.sql(sql, namespace={}).arrow().to_pylist()]


def current_snapshot(session: Session, table: str) -> int:
    snaps = session.snapshots(table).arrow().to_pylist()
    return next(s["snapshot_id"] for s in snaps if s["current"])


def test_ctas_creates_an_iceberg_table_visible_by_qualified_and_bare_name(session: Session) -> None:
    result = session.sql(
        "CREATE TABLE sales.orders AS SELECT range AS id, range * 1.5 AS amount FROM range(10)"
    )
    out = result.arrow().to_pylist()[0]
    assert out["table"] == "sales.orders" and out["rows_added"] == 10
    assert result.statement_type == "CREATE"
    assert rows(session, "SELECT count(*), sum(amount) FROM sales.orders") == [(10, 67.5)]
    assert rows(session, "SELECT count(*) FROM orders") == [(10,)]
    listing = {(t["schema"], t["name"]): t for t in session.tables().arrow().to_pylist()}
    assert listing[("sales", "orders")]["kind"] == "iceberg"
    assert listing[("sales", "orders")]["rows"] == 10
    assert ("main", "orders") not in listing  # the bare-name alias is not a table of its own
    # the data lives in the workspace's warehouse, committed in the SQLite catalog
    assert (Path(session.settings.workspace) / "catalog.db").exists()
    assert list((Path(session.settings.workspace) / "warehouse").rglob("*.parquet"))


def test_another_session_sees_the_table_without_registering(session: Session) -> None:
    session.sql("CREATE TABLE sales.t AS SELECT 1 AS x")
    with neurolake_lab.connect(session.settings.workspace) as other:
        assert rows(other, "SELECT x FROM sales.t") == [(1,)]
        other.sql("INSERT INTO sales.t VALUES (2)")
    # the first session sees the other's commit at its next statement
    assert rows(session, "SELECT sum(x) FROM t") == [(3,)]


def test_insert_values_select_columns_and_by_name(session: Session) -> None:
    session.sql("CREATE TABLE shop.items (id BIGINT, name VARCHAR, price DECIMAL(10,2), day DATE)")
    session.sql("INSERT INTO shop.items VALUES (1, 'pen', 1.5, '2026-01-02')")
    session.sql("INSERT INTO shop.items (name, id) SELECT 'cup', 2")
    session.sql("INSERT INTO shop.items BY NAME SELECT 3 AS id, 9.99 AS price")
    assert rows(session, "SELECT * FROM shop.items ORDER BY id") == [
        (1, "pen", Decimal("1.50"), dt.date(2026, 1, 2)),
        (2, "cup", None, None),
        (3, None, Decimal("9.99"), None),
    ]
    session.sql("TRUNCATE shop.items; INSERT INTO shop.items SELECT 7, 'only', 1, NULL")
    assert rows(session, "SELECT id, name FROM shop.items") == [(7, "only")]
    # Spark's spelling, which DuckDB's parser does not know, in a cell with ordinary SQL
    result = session.sql(
        "SELECT 1; INSERT OVERWRITE TABLE shop.items SELECT $id, 'new', 2, NULL",
        {"id": 8},
    )
    assert result.arrow().to_pylist()[0]["operation"] == "insert overwrite"
    assert rows(session, "SELECT id, name FROM shop.items") == [(8, "new")]
    with pytest.raises(QueryError) as info:
        session.sql("INSERT OVERWRITE shop.items SELECT 1; SELEC 2")
    assert info.value.kind == "syntax"
    assert rows(session, "SELECT id FROM shop.items") == [(8,)]


def test_insert_with_bound_parameters(session: Session) -> None:
    session.sql("CREATE TABLE shop.p (id BIGINT, name VARCHAR)")
    session.sql("INSERT INTO shop.p VALUES ($id, $name)", {"id": 5, "name": "O'Brien"})
    assert rows(session, "SELECT * FROM shop.p") == [(5, "O'Brien")]


def test_insert_from_a_dataframe_in_the_namespace(session: Session) -> None:
    import pandas as pd

    session.sql("CREATE TABLE shop.df (k BIGINT, v VARCHAR)")
    frame = pd.DataFrame({"k": [1, 2], "v": ["a", "b"]})
    session.sql("INSERT INTO shop.df SELECT * FROM frame", namespace={"frame": frame})
    assert rows(session, "SELECT count(*) FROM shop.df") == [(2,)]


def test_delete_by_partition_filter_and_by_subquery(session: Session) -> None:
    session.sql(
        "CREATE TABLE s.o AS SELECT range AS id, range % 3 AS g, "
        "CASE WHEN range % 4 = 0 THEN NULL ELSE range END AS v FROM range(12)"
    )
    out = session.sql("DELETE FROM s.o WHERE v > 8").arrow().to_pylist()[0]
    # NULLs are not "> 8": rows with v NULL stay, as in SQL
    assert out["rows_removed"] == 3  # 9, 10, 11
    assert rows(session, "SELECT count(*), count(v) FROM s.o") == [(9, 6)]
    session.sql("CREATE TABLE s.bad AS SELECT 1 AS g")
    out = session.sql("DELETE FROM s.o WHERE g IN (SELECT g FROM s.bad)").arrow().to_pylist()[0]
    assert out["rows_removed"] == 3  # ids 1, 4, 7 (10 went above)
    assert rows(session, "SELECT count(*) FROM s.o WHERE g = 1") == [(0,)]


def test_delete_nothing_and_delete_all(session: Session) -> None:
    session.sql("CREATE TABLE s.d AS SELECT range AS id FROM range(5)")
    before = current_snapshot(session, "s.d")
    out = session.sql("DELETE FROM s.d WHERE id > 100").arrow().to_pylist()[0]
    assert out["rows_removed"] == 0
    assert current_snapshot(session, "s.d") == before  # nothing changed, nothing committed
    session.sql("DELETE FROM s.d")
    assert rows(session, "SELECT count(*) FROM s.d") == [(0,)]


def test_update_with_where_and_with_from(session: Session) -> None:
    session.sql("CREATE TABLE s.u AS SELECT range AS id, range * 10 AS amount FROM range(6)")
    out = session.sql("UPDATE s.u SET amount = amount + 1 WHERE id >= 4").arrow().to_pylist()[0]
    assert out["operation"] == "update" and out["rows_added"] == 2
    assert rows(session, "SELECT id, amount FROM s.u WHERE id >= 3 ORDER BY id") == [
        (3, 30), (4, 41), (5, 51)
    ]  # fmt: skip
    session.sql("CREATE TABLE s.fix AS SELECT 1 AS id, -1 AS amount")
    session.sql("UPDATE s.u SET amount = f.amount FROM s.fix f WHERE s.u.id = f.id")
    assert rows(session, "SELECT amount FROM s.u WHERE id = 1") == [(-1,)]
    assert rows(session, "SELECT count(*) FROM s.u") == [(6,)]
    # one snapshot per statement, with the statement's logical row counts
    snaps = session.snapshots("s.u").arrow().to_pylist()
    assert [s["operation"] for s in snaps[:2]] == ["update", "update"]
    assert snaps[1]["rows_added"] == 2 and snaps[1]["rows_removed"] == 2


def test_alter_add_rename_drop_and_old_snapshots_read_as_they_were(session: Session) -> None:
    session.sql("CREATE TABLE s.e AS SELECT 1 AS a, 'x' AS b")
    first = current_snapshot(session, "s.e")
    session.sql("ALTER TABLE s.e ADD COLUMN c INTEGER")
    session.sql("ALTER TABLE s.e RENAME COLUMN b TO label")
    session.sql("INSERT INTO s.e VALUES (2, 'y', 7)")
    session.sql("ALTER TABLE s.e DROP COLUMN a")
    assert session.sql("SELECT * FROM s.e").columns == ["label", "c"]
    assert rows(session, "SELECT * FROM s.e ORDER BY label") == [("x", None), ("y", 7)]
    old = session.sql(f"SELECT * FROM s.e FOR VERSION AS OF {first}")
    assert old.columns == ["a", "b"] and rows(
        session, f"SELECT * FROM s.e FOR VERSION AS OF {first}"
    ) == [(1, "x")]
    session.sql("ALTER TABLE s.e ALTER COLUMN c TYPE BIGINT")
    assert session.sql("DESCRIBE s.e").arrow().to_pylist()[1]["column_type"] == "BIGINT"
    with pytest.raises(LakehouseError, match=r"cannot alter s\.e"):
        session.sql("ALTER TABLE s.e ALTER COLUMN c TYPE INTEGER")  # narrowing is refused


def test_comment_on_table_and_column(session: Session) -> None:
    session.sql("CREATE TABLE s.c AS SELECT 1 AS id")
    session.sql("COMMENT ON TABLE s.c IS 'one row'; COMMENT ON COLUMN s.c.id IS 'the key'")
    _, meta = session.lakehouse.metadata("s.c")
    assert meta.properties["comment"] == "one row"
    assert meta.schema().find_field("id").doc == "the key"
    listing = {t["name"]: t for t in session.tables().arrow().to_pylist()}
    assert listing["c"]["description"] == "one row"


def test_drop_table_and_schema(session: Session) -> None:
    session.sql("CREATE TABLE z.a AS SELECT 1 AS x; CREATE TABLE z.b AS SELECT 2 AS x")
    session.sql("DROP TABLE z.a")
    with pytest.raises(QueryError) as info:
        session.sql("SELECT * FROM z.a")
    assert info.value.kind == "unknown_table"
    with pytest.raises(LakehouseError, match="still holds 1 tables"):
        session.sql("DROP SCHEMA z")
    session.sql("DROP SCHEMA z CASCADE")
    assert not any(t["schema"] == "z" for t in session.tables().arrow().to_pylist())
    session.sql("DROP TABLE IF EXISTS z.nothing")


def test_create_or_replace_keeps_history(session: Session) -> None:
    session.sql("CREATE TABLE s.r AS SELECT 1 AS a")
    first = current_snapshot(session, "s.r")
    with pytest.raises(LakehouseError, match="already exists"):
        session.sql("CREATE TABLE s.r AS SELECT 2 AS a")
    session.sql("CREATE OR REPLACE TABLE s.r AS SELECT 'two' AS b, 2 AS a")
    assert session.sql("SELECT * FROM s.r").columns == ["b", "a"]
    assert rows(session, "SELECT * FROM s.r") == [("two", 2)]
    assert rows(session, f"SELECT * FROM s.r FOR VERSION AS OF {first}") == [(1,)]
    session.sql("CREATE TABLE IF NOT EXISTS s.r AS SELECT 3 AS c")
    assert rows(session, "SELECT a FROM s.r") == [(2,)]


def test_bare_create_is_a_session_table_that_takes_the_name_over(session: Session) -> None:
    session.sql("CREATE TABLE s.orders AS SELECT 1 AS x")
    session.sql("CREATE TABLE orders AS SELECT 42 AS y")  # a scratch table of this session only
    assert rows(session, "SELECT * FROM orders") == [(42,)]
    assert rows(session, "SELECT * FROM s.orders") == [(1,)]
    with neurolake_lab.connect(session.settings.workspace) as other:
        assert rows(other, "SELECT * FROM orders") == [(1,)]


def test_ambiguous_bare_name_is_a_clear_error(session: Session) -> None:
    session.sql("CREATE TABLE a.t AS SELECT 1 AS x; CREATE TABLE b.t AS SELECT 2 AS x")
    with pytest.raises(QueryError) as info:
        session.sql("SELECT * FROM t")
    assert "t" in info.value.message
    assert rows(session, "SELECT x FROM b.t") == [(2,)]


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        ("INSERT INTO s.k VALUES (1, 2, 3)", "expects 2 values per row"),
        ("INSERT INTO s.k VALUES ('abc', 1)", "Could not convert"),
        ("INSERT INTO s.k (nope) VALUES (1)", "has no column 'nope'"),
        ("UPDATE s.k SET nope = 1", "nope"),
        ("INSERT INTO s.k SELECT * FROM s.missing_table", "missing_table"),
        ("ALTER TABLE s.k RENAME COLUMN zz TO yy", "has no column zz"),
        ("ALTER TABLE s.k ADD COLUMN n INTEGER NOT NULL", "constraints"),
    ],
)
def test_a_failed_write_names_the_problem_and_leaves_the_table_as_it_was(
    session: Session, bad: str, expected: str
) -> None:
    session.sql("CREATE TABLE s.k AS SELECT 1::BIGINT AS id, 'a' AS name")
    before = current_snapshot(session, "s.k")
    with pytest.raises(NeuroLakeError, match=expected):
        session.sql(bad)
    assert current_snapshot(session, "s.k") == before
    assert rows(session, "SELECT * FROM s.k") == [(1, "a")]
    session.sql("INSERT INTO s.k VALUES (2, 'b')")  # the session goes on working
    assert rows(session, "SELECT count(*) FROM s.k") == [(2,)]


def test_a_failing_statement_in_a_cell_keeps_earlier_commits(session: Session) -> None:
    session.sql("CREATE TABLE s.m AS SELECT 1 AS x")
    with pytest.raises(QueryError):
        session.sql("INSERT INTO s.m VALUES (2); SELECT * FROM nowhere")
    assert rows(session, "SELECT count(*) FROM s.m") == [(2,)]


def test_snapshot_summary_records_sql_user_cell_and_sources(session: Session) -> None:
    session.sql("CREATE TABLE src.a AS SELECT range AS id FROM range(3)")
    src_snapshot = current_snapshot(session, "src.a")
    session.cell_context = {
        "notebook": "work/analysis.ipynb",
        "cell_id": "c-1",
        "execution_count": 7,
    }
    session.sql("CREATE TABLE dst.b AS SELECT id * 2 AS id2 FROM src.a")
    snap = session.snapshots("dst.b").arrow().to_pylist()[0]
    assert snap["user"] == session.user
    assert snap["sql"] == "CREATE TABLE dst.b AS SELECT id * 2 AS id2 FROM src.a"
    assert snap["cell"] == "work/analysis.ipynb In [7] cell c-1"
    _, meta = session.lakehouse.metadata("dst.b")
    import json

    summary = meta.current_snapshot().summary.additional_properties
    assert json.loads(summary["neurolake.sources"]) == [
        {"table": "src.a", "snapshot_id": src_snapshot}
    ]


def test_session_write_pandas_polars_arrow(session: Session) -> None:
    import pandas as pd
    import polars as pl
    import pyarrow as pa

    out = session.write(
        "crm.people", pd.DataFrame({"id": [1, 2], "name": ["ann", "bob"]}),
        docs={"id": "the person", "name": "first name"}, description="people we know",
    )  # fmt: skip
    assert out.rows_added == 2 and out.operation == "write (append)"
    session.write("crm.people", pl.DataFrame({"name": ["cy"], "id": [3]}))  # by name
    session.write("crm.people", pa.table({"id": [4]}))  # missing columns are NULL
    assert rows(session, "SELECT * FROM crm.people ORDER BY id") == [
        (1, "ann"), (2, "bob"), (3, "cy"), (4, None)
    ]  # fmt: skip
    session.write("crm.people", pa.table({"id": [9], "name": ["zed"]}), mode="overwrite")
    assert rows(session, "SELECT * FROM crm.people") == [(9, "zed")]
    _, meta = session.lakehouse.metadata("crm.people")
    assert meta.properties["comment"] == "people we know"
    assert meta.schema().find_field("name").doc == "first name"
    with pytest.raises(LakehouseError, match="has no column 'age'"):
        session.write("crm.people", pa.table({"id": [1], "age": [3]}))
    with pytest.raises(NeuroLakeError, match=r"namespace\.table"):
        session.write("nobody", pa.table({"id": [1]}))
    with pytest.raises(NeuroLakeError, match="append"):
        session.write("crm.people", pa.table({"id": [1]}), mode="merge")


def test_types_round_trip(session: Session) -> None:
    session.sql(
        "CREATE TABLE t.types AS SELECT 1::TINYINT AS i8, 2::UTINYINT AS u8, 3::HUGEINT AS big, "
        "1.5::FLOAT AS f, 2.5::DOUBLE AS d, 12.34::DECIMAL(10,2) AS dec, true AS b, 'x' AS s, "
        "DATE '2026-01-01' AS day, TIMESTAMP '2026-01-01 10:00:00' AS ts, "
        "TIMESTAMPTZ '2026-01-01 10:00:00+00' AS tstz, [1, 2] AS list, {'k': 1} AS st, "
        "'ab'::BLOB AS bin, uuid() AS u"
    )
    row = session.sql("SELECT * FROM t.types").arrow().to_pylist()[0]
    assert row["i8"] == 1 and row["u8"] == 2 and row["dec"] == Decimal("12.34")
    assert row["day"] == dt.date(2026, 1, 1) and row["list"] == [1, 2] and row["st"] == {"k": 1}
    assert row["ts"] == dt.datetime(2026, 1, 1, 10) and row["bin"] == b"ab"
    assert row["tstz"] == dt.datetime(2026, 1, 1, 10, tzinfo=dt.UTC)


def test_delete_and_update_rewrite_only_the_files_their_where_can_match(
    session: Session, workspace: Path
) -> None:
    """The parts of a WHERE that translate prune files, even beside a subquery — and a governed
    statement (its WHERE runs over the masked rows) prunes by its unmasked columns alike."""
    session.sql("CREATE TABLE m.people PARTITIONED BY (part) AS SELECT range AS id, "
                "range // 100 AS part, 'p' || range || '@example.com' AS email FROM range(1000)")  # fmt: skip
    session.set_pii("m.people", "email", "EMAIL_ADDRESS")

    def rewritten() -> tuple[str, str]:
        summary = session.lakehouse.load(("m", "people")).current_snapshot().summary
        return summary["deleted-data-files"], summary["added-data-files"]

    session.sql("DELETE FROM m.people WHERE part = 1 AND id IN (SELECT 150 UNION ALL SELECT 950)")
    assert rewritten() == ("1", "1")
    assert rows(session, "SELECT count(*) FROM m.people") == [(999,)]
    (workspace / "policies.yaml").write_text(
        "roles: {clerk: {}}\nusers: {clerk: {roles: [clerk]}}\n"
        "grants:\n  - {name: w, roles: [clerk], tables: [m.people], privileges: [write]}\n"
    )
    with neurolake_lab.connect(workspace, user="clerk") as clerk:
        out = clerk.sql("UPDATE m.people SET id = -id WHERE part = 2 AND email IS NOT NULL")
        assert out.arrow().to_pylist()[0]["rows_added"] == 100
        assert rewritten() == ("1", "1")
        out = clerk.sql("DELETE FROM m.people WHERE part = 3 AND email LIKE 'p3%'")
        assert out.arrow().to_pylist()[0]["rows_removed"] == 0  # masked: no address matches
    assert rows(session, "SELECT count(*) FILTER (id < 0), count(*) FROM m.people") == [(100, 999)]

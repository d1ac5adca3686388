"""DuckDB's EXPLAIN (FORMAT JSON) read into a plan: scans, estimates, rows a query returns."""

from __future__ import annotations

import duckdb
import pytest

from neurolake_lab.cost.plan import Plan, parse_plan


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    c.execute(
        "CREATE TABLE t AS SELECT range AS id, range % 7 AS k, 'x' || range AS s FROM range(5000)"
    )
    c.execute("CREATE TABLE u AS SELECT range AS id, range % 3 AS g FROM range(300)")
    return c


def plan(con: duckdb.DuckDBPyConnection, sql: str) -> Plan:
    return parse_plan(con.execute(f"EXPLAIN (FORMAT JSON) {sql}").fetchall()[0][1])


def test_scans_carry_columns_filters_and_estimates(con: duckdb.DuckDBPyConnection) -> None:
    p = plan(con, "SELECT s FROM t WHERE k = 3 AND id > 10")
    (scan,) = p.scans()
    assert scan.cardinality is not None and 0 < scan.cardinality <= 5000
    assert "s" in scan.projections
    text = " ".join(scan.filters)
    assert "k=3" in text.replace(" ", "") and "id>10" in text.replace(" ", "")


def test_join_plan_has_both_scans_and_a_join(con: duckdb.DuckDBPyConnection) -> None:
    p = plan(con, "SELECT t.s, u.g FROM t JOIN u ON t.id = u.id")
    assert len(p.scans()) == 2
    assert any(n.name == "HASH_JOIN" for n in p.nodes())


def test_rows_returned_respect_aggregates_top_n_and_limit(con: duckdb.DuckDBPyConnection) -> None:
    assert plan(con, "SELECT count(*), sum(id) FROM t WHERE k = 1").result_rows() == 1
    assert plan(con, "SELECT * FROM t ORDER BY id DESC LIMIT 7").result_rows() == 7
    # a streaming LIMIT is not printed in the plan: the statement's own limit is passed in
    assert plan(con, "SELECT * FROM t LIMIT 12").result_rows(limit=12) == 12
    assert plan(con, "SELECT * FROM t").result_rows() == 5000


def test_cross_product_gets_the_product_of_its_inputs(con: duckdb.DuckDBPyConnection) -> None:
    p = plan(con, "SELECT * FROM t, u")
    cross = next(n for n in p.nodes() if n.name == "CROSS_PRODUCT")
    assert cross.cardinality == 5000 * 300

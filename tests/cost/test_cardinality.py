"""Rows through the plan: joins read from key distinct counts, classified, with their spread."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from neurolake_lab.cost import CostModel
from neurolake_lab.optimizer import needs_confirmation
from neurolake_lab.session import Session


def _actual(session: Session, sql: str) -> int:
    return int(session.sql(f"SELECT count(*) FROM ({sql})").arrow().column(0)[0].as_py())


def _qerror(a: float, b: float) -> float:
    a, b = max(a, 1.0), max(b, 1.0)
    return max(a / b, b / a)


def test_a_self_join_on_a_non_key_is_many_to_many_and_estimated_near_the_truth(
    data_session: Session,
) -> None:
    sql = (
        "SELECT a.order_id, b.order_id AS other FROM retail.orders a "
        "JOIN retail.orders b ON a.customer_id = b.customer_id"
    )
    pred = CostModel(data_session.settings.workspace).predict(data_session.query, sql)
    (join,) = pred.joins
    assert join.kind == "many_to_many" and join.keys == ("customer_id = customer_id",)
    actual = _actual(data_session, sql)
    assert pred.estimated_rows is not None
    # DuckDB alone says about one input's rows; the distinct counts put it within skew of truth
    assert join.duckdb_rows is not None and _qerror(join.duckdb_rows, actual) > 5
    assert _qerror(pred.estimated_rows, actual) < 4
    assert pred.rows_interval is not None
    low, high = pred.rows_interval
    assert low < pred.estimated_rows < high  # a many-to-many join's estimate is uncertain


def test_a_key_join_is_one_to_many_and_close(data_session: Session) -> None:
    sql = (
        "SELECT o.order_id, c.country FROM retail.orders o "
        "JOIN retail.customers c ON o.customer_id = c.customer_id"
    )
    pred = CostModel(data_session.settings.workspace).predict(data_session.query, sql)
    assert [j.kind for j in pred.joins] == ["one_to_many"]
    assert pred.estimated_rows is not None
    assert _qerror(pred.estimated_rows, _actual(data_session, sql)) < 1.5


def test_a_cross_join_is_named_and_its_size_is_exact(data_session: Session) -> None:
    sql = "SELECT o.order_id, p.product_id FROM retail.orders o, retail.products p"
    model = CostModel(data_session.settings.workspace)
    pred = model.predict(data_session.query, sql)
    (join,) = pred.joins
    assert join.kind == "cross" and join.rows == join.left_rows * join.right_rows
    assert pred.estimated_rows == round(join.rows) == _actual(data_session, sql)


def test_every_number_shown_for_one_query_agrees(data_session: Session) -> None:
    """The panel's rows, the join advice and the confirmation quote one estimate."""
    from neurolake_lab.optimizer.rules.joins import approx_rows

    sql = (
        "SELECT a.order_id, b.order_id AS other FROM retail.orders a "
        "JOIN retail.orders b ON a.customer_id = b.customer_id"
    )
    pred = data_session.predict(sql)
    assert pred is not None and pred.estimated_rows is not None
    (advice,) = [s for s in pred.suggestions if s.kind == "join_explosion"]
    assert f"estimated to return {approx_rows(pred.joins[0].rows)} rows" in advice.message
    assert round(pred.joins[0].rows) == pred.estimated_rows
    decision = needs_confirmation(pred, threshold_ms=(pred.predicted_ms or 0) / 2)
    assert decision.reason is not None and f"{pred.joins[0].rows:,.0f} rows" in decision.reason


def test_distinct_counts_are_kept_per_snapshot_for_every_kernel(own_copy: Session) -> None:
    ws = Path(own_copy.settings.workspace)
    sql = "SELECT count(*) FROM retail.orders a JOIN retail.orders b USING (customer_id)"
    CostModel(ws).predict(own_copy.query, sql)
    with sqlite3.connect(ws / "catalog.db") as con:
        rows = con.execute("SELECT column_name, ndv FROM neurolake_cost_ndv").fetchall()
    assert ("customer_id", rows[0][1]) in rows and rows[0][1] > 100
    # another model (another kernel) reads the stored figure instead of counting again
    fresh = CostModel(ws)
    loc = own_copy.lakehouse.pointers[("retail", "orders")]
    assert fresh.statistics._stored(loc, "customer_id") == rows[0][1]

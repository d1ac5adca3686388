"""Optimizer suggestions on real tables: each rewrite is predicted cheaper, and an equivalent one
returns exactly the same result."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

from neurolake_lab.cost import Prediction, Suggestion
from neurolake_lab.optimizer import apply, best
from neurolake_lab.report import build_report
from neurolake_lab.session import Session


def sorted_table(t: pa.Table) -> pa.Table:
    return t.sort_by([(c, "ascending") for c in t.column_names])


def suggestions(session: Session, sql: str) -> tuple[Prediction, dict[str, Suggestion]]:
    pred = session.predict(sql)
    assert pred is not None
    return pred, {s.kind: s for s in pred.suggestions}


def same_result(session: Session, sql: str, rewrite: str) -> None:
    a, b = session.sql(sql).arrow(), session.sql(rewrite).arrow()
    assert a.schema == b.schema
    assert sorted_table(a).equals(sorted_table(b))
    assert a.num_rows > 0


@pytest.mark.parametrize(
    "where",
    [
        "year(order_date) = 2025 AND month(order_date) = 6",
        "year(order_date) = 2025",
        "extract(year FROM order_date) BETWEEN 2024 AND 2024",
        "date_trunc('month', order_date) >= DATE '2025-03-01'",
        "strftime(order_date, '%Y-%m') = '2025-09'",
        "year(order_date) < 2025 AND status = 'delivered'",
    ],
)
def test_a_filter_on_a_wrapped_column_becomes_a_pruning_range(retail: Session, where: str) -> None:
    sql = f"SELECT count(*) AS n, sum(total_amount) AS s FROM retail.orders WHERE {where}"
    pred, found = suggestions(retail, sql)
    tip = found.get("pruning_filter")
    if where.startswith("date_trunc"):
        # DuckDB turns date_trunc comparisons into ranges itself: nothing left to gain
        assert tip is None
        return
    assert tip is not None and tip.equivalent and tip.rewrite is not None
    assert "order_date <" in tip.rewrite or "order_date >=" in tip.rewrite
    assert not any(f in tip.rewrite.lower() for f in ("year(", "extract(", "strftime(", "month("))
    assert tip.predicted_saving_bytes and tip.predicted_saving_bytes > 0
    assert pred.estimated_bytes and tip.predicted_saving_bytes < pred.estimated_bytes
    same_result(retail, sql, apply(sql, tip))
    assert best(pred.suggestions) == tip


def test_an_unaligned_date_trunc_is_left_alone(retail: Session) -> None:
    sql = "SELECT count(*) FROM retail.orders WHERE date_trunc('month', order_date) = DATE '2025-06-15'"
    assert "pruning_filter" not in suggestions(retail, sql)[1]


def test_an_aggregation_reads_a_fresh_summary_table(retail: Session) -> None:
    retail.sql(
        "CREATE TABLE retail.daily AS SELECT order_date, status, channel, sum(total_amount) AS "
        "revenue, count(*) AS n, min(total_amount) AS lo, max(total_amount) AS hi "
        "FROM retail.orders GROUP BY ALL"
    )
    queries = [
        "SELECT status, sum(total_amount) AS revenue, count(*) AS orders FROM retail.orders "
        "GROUP BY status ORDER BY revenue DESC",
        "SELECT channel, min(total_amount), max(total_amount) FROM retail.orders "
        "WHERE status IN ('delivered', 'shipped') GROUP BY channel",
        "SELECT count(*) FROM retail.orders o WHERE o.status = 'delivered'",
    ]
    for sql in queries:
        _, found = suggestions(retail, sql)
        tip = found.get("summary_table")
        assert tip is not None and tip.equivalent and tip.rewrite is not None, sql
        assert "retail.daily" in tip.rewrite
        same_result(retail, sql, tip.rewrite)
    # a filter on the partition column already prunes most files: the summary saves too little
    pruned = (
        "SELECT channel, min(total_amount) FROM retail.orders "
        "WHERE order_date >= DATE '2025-12-01' GROUP BY channel"
    )
    assert "summary_table" not in suggestions(retail, pruned)[1]
    # what the summary cannot answer
    for sql in (
        "SELECT status, avg(total_amount) FROM retail.orders GROUP BY status",
        "SELECT customer_id, sum(total_amount) FROM retail.orders GROUP BY customer_id",
        "SELECT count(DISTINCT customer_id) FROM retail.orders",
    ):
        assert "summary_table" not in suggestions(retail, sql)[1], sql
    # a commit to the base table: the summary is out of date and is not suggested any more
    retail.sql(
        "INSERT INTO retail.orders SELECT order_id + 10000000, customer_id, order_date, status, "
        "channel, total_amount FROM retail.orders LIMIT 1"
    )
    assert "summary_table" not in suggestions(retail, queries[0])[1]


def test_select_star_over_large_text_columns(retail: Session) -> None:
    retail.sql(
        "CREATE TABLE retail.notes AS SELECT range AS id, range % 10 AS kind, "
        "md5(range::VARCHAR) || md5((range * 7)::VARCHAR) || md5((range * 13)::VARCHAR) || "
        "md5((range * 17)::VARCHAR) AS body, DATE '2025-01-01' + INTERVAL (range % 300) DAY AS day "
        "FROM range(200000)"
    )
    sql = "SELECT * FROM retail.notes WHERE kind = 3"
    _, found = suggestions(retail, sql)
    tip = found.get("select_star")
    assert tip is not None and not tip.equivalent and tip.rewrite is not None
    assert "EXCLUDE" in tip.rewrite.upper() and "body" in tip.message
    assert tip.predicted_saving_ms and tip.predicted_saving_ms > 0
    full, slim = retail.sql(sql).arrow(), retail.sql(tip.rewrite).arrow()
    assert slim.column_names == ["id", "kind", "day"]
    assert sorted_table(full.drop(["body"])).equals(sorted_table(slim))


def test_a_cross_product_gets_the_declared_foreign_key(retail: Session) -> None:
    sql = "SELECT count(*) AS n FROM retail.orders o, retail.customers c"
    _, found = suggestions(retail, sql)
    tip = found.get("join_explosion")
    assert tip is not None and not tip.equivalent and tip.rewrite is not None
    assert "o.customer_id = c.customer_id" in tip.rewrite
    joined = "SELECT count(*) AS n FROM retail.orders o JOIN retail.customers c USING (customer_id)"
    assert retail.sql(tip.rewrite).arrow().equals(retail.sql(joined).arrow())


def test_an_exploding_join_without_a_key_gets_advice(retail: Session) -> None:
    sql = "SELECT count(*) FROM retail.orders a JOIN retail.orders b ON a.total_amount < b.total_amount"
    _, found = suggestions(retail, sql)
    tip = found.get("join_explosion")
    assert tip is not None and tip.rewrite is None
    assert "retail.orders" in tip.message and "rows" in tip.message


def test_exploring_a_large_table_without_limit(retail: Session) -> None:
    retail.sql("CREATE TABLE retail.big AS SELECT range AS id, range % 97 AS k FROM range(600000)")
    sql = "SELECT * FROM retail.big WHERE k <> 5"
    pred, found = suggestions(retail, sql)
    tip = found.get("missing_limit")
    assert tip is not None and not tip.equivalent and tip.rewrite is not None
    assert tip.rewrite.rstrip().endswith("LIMIT 1000")
    assert pred.predicted_ms and tip.predicted_ms and tip.predicted_ms < pred.predicted_ms / 2
    full = retail.sql(sql).arrow()
    part = retail.sql(tip.rewrite).arrow()
    assert part.num_rows == 1000 and part.schema == full.schema
    ids = set(full.column("id").to_pylist())
    assert set(part.column("id").to_pylist()) <= ids
    # small results and aggregates are left alone
    assert "missing_limit" not in suggestions(retail, "SELECT * FROM retail.products")[1]
    assert (
        "missing_limit"
        not in suggestions(retail, "SELECT k, count(*) FROM retail.big GROUP BY k")[1]
    )


def test_a_good_query_gets_no_suggestion(retail: Session) -> None:
    sql = (
        "SELECT c.country, sum(o.total_amount) AS revenue FROM retail.orders o "
        "JOIN retail.customers c ON o.customer_id = c.customer_id "
        "WHERE o.order_date >= DATE '2025-06-01' GROUP BY c.country"
    )
    assert suggestions(retail, sql)[0].suggestions == []


def test_suggestions_fit_the_cell_report(retail: Session, report_validator: Any) -> None:
    sql = "SELECT count(*) AS n FROM retail.orders WHERE year(order_date) = 2025"
    pred, _ = suggestions(retail, sql)
    assert pred.suggestions
    report = build_report(retail.sql(sql))
    report["cost"] = pred.to_report(actual_ms=1.0)
    report_validator.validate(report)
    entry = report["cost"]["suggestions"][0]
    assert entry["rewrite"] and entry["predicted_saving_ms"] >= 0 and entry["equivalent"] is True


def test_multi_statement_cells_and_rewrites_are_not_suggested(retail: Session) -> None:
    sql = "SET threads = 2; SELECT count(*) FROM retail.orders WHERE year(order_date) = 2025"
    assert suggestions(retail, sql)[0].suggestions == []

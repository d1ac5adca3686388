"""CostModel: predictions before running, history after, learning, and what is (not) stored."""

from __future__ import annotations

import math
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from neurolake_lab.cost import CostModel, Prediction
from neurolake_lab.cost.workload import RETAIL_QUERIES, tpch_queries
from neurolake_lab.exceptions import QueryError
from neurolake_lab.report import build_report
from neurolake_lab.session import Session

JOIN = (
    "SELECT c.country, count(*) AS n, sum(o.total_amount) AS revenue FROM retail.orders o "
    "JOIN retail.customers c ON o.customer_id = c.customer_id GROUP BY c.country"
)


def history_rows(ws: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(ws / "catalog.db") as con:
        return con.execute("SELECT * FROM neurolake_cost_history ORDER BY id").fetchall()


def run(session: Session, model: CostModel, sql: str, **kw: Any) -> Prediction:
    pred = model.predict(session.query, sql)
    result = session.sql(sql, namespace={})
    model.record(pred, kw.get("ms", result.timings["execute_ms"]), len(result))
    return pred


def test_prediction_before_any_history(data_session: Session, report_validator: Any) -> None:
    model = CostModel(data_session.settings.workspace)
    pred = model.predict(data_session.query, JOIN)
    assert pred.basis == "analytic"
    assert pred.predicted_ms is not None and pred.predicted_ms > 0
    assert pred.estimated_bytes is not None and pred.estimated_bytes > 0
    assert pred.estimated_rows is not None and pred.estimated_rows > 0
    assert pred.confidence is not None and 0.2 < pred.confidence < 0.5  # no history: unsure
    assert pred.timings["explain_ms"] > 0
    # the cost part of the cell report, filled in and valid against the report's schema
    report = build_report(data_session.sql(JOIN, namespace={}))
    report["cost"] = pred.to_report(actual_ms=report["timings"]["execute_ms"])
    report_validator.validate(report)


def test_every_workload_query_is_predicted(data_session: Session) -> None:
    model = CostModel(data_session.settings.workspace)
    for sql in [*tpch_queries("tpch"), *RETAIL_QUERIES]:
        pred = model.predict(data_session.query, sql)
        assert pred.predicted_ms is not None and math.isfinite(pred.predicted_ms), sql
        assert len(pred.statements) == 1


def test_rows_out_of_aggregates_limits_and_pruned_scans(data_session: Session) -> None:
    model = CostModel(data_session.settings.workspace)
    one = model.predict(data_session.query, "SELECT count(*), sum(total_amount) FROM retail.orders")
    top = model.predict(
        data_session.query, "SELECT * FROM retail.orders ORDER BY total_amount LIMIT 5"
    )
    some = model.predict(data_session.query, "SELECT * FROM retail.orders LIMIT 17")
    assert (one.estimated_rows, top.estimated_rows, some.estimated_rows) == (1, 5, 17)
    month = (
        "SELECT * FROM retail.orders WHERE order_date >= DATE '2025-06-01' "
        "AND order_date < DATE '2025-07-01'"
    )
    real = len(data_session.sql(month, namespace={}))
    est = model.predict(data_session.query, month).estimated_rows
    assert est is not None and real <= est <= 3 * real  # the kept partition bounds DuckDB's guess


def test_record_stores_figures_and_no_query_text(own_copy: Session) -> None:
    data_session = own_copy
    model = CostModel(data_session.settings.workspace)
    pred = model.predict(data_session.query, JOIN)
    result = data_session.sql(JOIN, namespace={})
    row_id = model.record(pred, 12.5, len(result), 4096)
    assert row_id is not None
    rows = history_rows(Path(data_session.settings.workspace))
    stored = repr(rows[-1])
    assert "12.5" in stored and "4096" in stored and str(len(result)) in stored
    for word in ("retail", "orders", "customers", "country", "revenue", "SELECT"):
        assert word not in stored


def test_same_query_again_is_predicted_from_its_own_runs(session: Session) -> None:
    session.sql("CREATE TABLE h.t AS SELECT range AS id FROM range(1000)")
    model = CostModel(session.settings.workspace)
    sql = "SELECT sum(id) FROM h.t"
    for ms in (40.0, 50.0, 60.0):
        pred = model.predict(session.query, sql)
        model.record(pred, ms, 1)
    again = model.predict(session.query, "select SUM(id)   from h.t  -- same query")
    assert again.basis == "repeat"
    assert again.predicted_ms == 50.0
    assert again.confidence is not None and again.confidence > 0.9
    session.sql("INSERT INTO h.t SELECT 1")  # a new snapshot: not the same query any more
    assert model.predict(session.query, sql).basis != "repeat"


def test_the_model_learns_how_this_machine_differs(own_copy: Session) -> None:
    """Real plans, and a machine three times slower than the analytic rates: the model learns it."""
    session = own_copy
    model = CostModel(session.settings.workspace)
    queries = [*tpch_queries("tpch"), *RETAIL_QUERIES]
    train, test = queries[::2], queries[1::2]
    unsure = [model.predict(session.query, sql).confidence or 0.0 for sql in test]
    for sql in train:
        pred = model.predict(session.query, sql)
        model.record(pred, 3.0 * pred.statements[0].analytic_ms, 1)
    live = model.live_model()
    assert live.local_samples == len(train)
    errors = []
    for sql in test:
        pred = model.predict(session.query, sql)
        assert pred.basis == "model"
        truth = 3.0 * pred.statements[0].analytic_ms
        assert pred.predicted_ms is not None
        errors.append(max(pred.predicted_ms / truth, truth / pred.predicted_ms))
    assert sorted(errors)[len(errors) // 2] < 1.3  # before learning every error was 3
    confident = [model.predict(session.query, sql).confidence or 0.0 for sql in test]
    assert sum(confident) / len(test) > sum(unsure) / len(test) + 0.2


def test_parameters_dataframes_and_errors(data_session: Session) -> None:
    model = CostModel(data_session.settings.workspace)
    sql = "SELECT count(*) FROM retail.orders WHERE total_amount > $low"
    pred = model.predict(data_session.query, sql, {"low": 100})
    assert pred.predicted_ms is not None
    with pytest.raises(QueryError, match="low"):
        model.predict(data_session.query, sql)
    frame = pd.DataFrame({"customer_id": range(50), "flag": [True] * 50})
    pred = model.predict(
        data_session.query,
        "SELECT count(*) FROM retail.customers c JOIN frame f USING (customer_id)",
        namespace={"frame": frame},
    )
    assert pred.statements[0].figures.unmapped_scans == 1
    with pytest.raises(QueryError):
        model.predict(data_session.query, "SELEC * FROM retail.orders")
    with pytest.raises(QueryError, match="no_such_table"):
        model.predict(data_session.query, "SELECT * FROM retail.no_such_table")


def test_cells_with_several_statements_and_writes(session: Session) -> None:
    session.sql("CREATE TABLE w.src AS SELECT range AS id FROM range(5000)")
    model = CostModel(session.settings.workspace)
    cell = "SET threads = 1; CREATE TABLE w.dst AS SELECT id * 2 AS x FROM w.src; SELECT 1"
    pred = model.predict(session.query, cell)
    assert len(pred.statements) == 2  # the CTAS's query and the SELECT; SET costs nothing
    assert pred.statements[0].figures.rows_scanned == 5000
    assert model.record(pred, 10.0, 1) is None  # one duration, two statements
    assert model.predict(session.query, "SET threads = 2").basis == "none"


def test_prediction_is_cached_until_something_changes(session: Session) -> None:
    session.sql("CREATE TABLE c.t AS SELECT range AS id FROM range(100)")
    model = CostModel(session.settings.workspace)
    first = model.predict(session.query, "SELECT * FROM c.t")
    assert model.predict(session.query, "SELECT * FROM c.t") is first
    session.sql("INSERT INTO c.t SELECT range FROM range(900)")
    after = model.predict(session.query, "SELECT * FROM c.t")
    assert after is not first and after.estimated_rows == 1000


def test_two_processes_record_into_one_history(session: Session) -> None:
    session.sql("CREATE TABLE m.t AS SELECT range AS id FROM range(100)")
    ws = Path(session.settings.workspace)
    before = len(history_rows(ws))  # the session records its own cells too
    code = textwrap.dedent(
        f"""
        import neurolake_lab
        from neurolake_lab.cost import CostModel
        s = neurolake_lab.connect({str(ws)!r})
        m = CostModel({str(ws)!r})
        p = m.predict(s.query, "SELECT sum(id) FROM m.t")
        for i in range(40):
            m.record(p, 1.0 + i, 1)
        """
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    assert len(history_rows(ws)) == before + 80


def test_warm_reads_what_a_first_prediction_needs(data_session: Session) -> None:
    from neurolake_lab.cost.table_stats import table_files

    model = CostModel(data_session.settings.workspace)
    assert model.warm(data_session.query) > 0
    loc = data_session.lakehouse.pointers[("retail", "orders")]
    from neurolake_lab.cost.sources import snapshot_of

    assert table_files(loc, snapshot_of(loc)).files  # already read: the next call is a lookup

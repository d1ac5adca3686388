import os
import threading
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from neurolake_lab.engine import DuckDBEngine
from neurolake_lab.exceptions import QueryError


@pytest.fixture
def engine(tmp_path: Path):
    eng = DuckDBEngine(spill_root=tmp_path / "spill")
    eng.run("CREATE TABLE orders AS SELECT range AS order_id, range * 1.5 AS amount FROM range(10)")
    yield eng
    eng.close()


def test_run_returns_arrow_with_duckdb_types(engine: DuckDBEngine) -> None:
    ex = engine.run(
        "SELECT order_id, amount FROM orders ORDER BY order_id LIMIT 3", statement_type="SELECT"
    )
    assert isinstance(ex.table, pa.Table)
    assert ex.table.column("order_id").to_pylist() == [0, 1, 2]
    assert ex.column_types == ["BIGINT", "DECIMAL(21,1)"]
    assert ex.statement_type == "SELECT"
    assert ex.execute_ms >= 0 and ex.fetch_ms >= 0


def test_ddl_has_no_table(engine: DuckDBEngine) -> None:
    assert engine.run("CREATE VIEW v AS SELECT 1 AS x").table is None
    assert "v" in engine.table_names()


def test_session_runs_in_utc(engine: DuckDBEngine) -> None:
    ex = engine.run("SELECT current_setting('TimeZone') AS tz")
    assert ex.table is not None and ex.table.column("tz")[0].as_py() == "UTC"


def test_no_extension_downloads(engine: DuckDBEngine) -> None:
    ex = engine.run("SELECT current_setting('autoinstall_known_extensions') AS v")
    assert ex.table is not None and ex.table.column("v")[0].as_py() is False


@pytest.mark.parametrize(
    ("sql", "kind", "suggestion", "fragment"),
    [
        ("SELEC 1", "syntax", None, 'syntax error at or near "SELEC"'),
        ("SELECT * FROM ordrs", "unknown_table", "orders", "ordrs does not exist"),
        ("SELECT * FROM zzzzzz", "unknown_table", None, "zzzzzz does not exist"),
        ("SELECT amount_x FROM orders", "unknown_column", "amount", '"amount_x" not found'),
        ("SELECT sum(amount, 1) FROM orders", "type", None, "No function matches"),
        ("SELECT 'x'::INT", "conversion", None, "Could not convert string 'x'"),
        ("SELECT foo_bar(1)", "unknown_function", None, "foo_bar does not exist"),
    ],
)
def test_errors_name_the_problem(
    engine: DuckDBEngine, sql: str, kind: str, suggestion: str | None, fragment: str
) -> None:
    with pytest.raises(QueryError) as info:
        engine.run(sql)
    err = info.value
    assert err.kind == kind
    assert fragment in err.message
    if suggestion:
        assert err.suggestion == suggestion
        assert f'Did you mean "{suggestion}"?' in str(err)
    assert "Error:" not in err.message  # DuckDB's class prefix is dropped
    if kind == "type":
        assert "Candidate functions" not in str(err)  # the long candidate list is cut
    assert "pg_" not in str(err)  # never suggests a system table for a user's typo
    # the engine keeps working after the error
    assert engine.run("SELECT count(*) AS n FROM orders").table.column("n")[0].as_py() == 10


def test_missing_table_is_looked_up_in_namespace(engine: DuckDBEngine) -> None:
    frames = {"df": pd.DataFrame({"a": [1, 2, 3]}), "tbl": pa.table({"b": ["x"]}), "n": 5}
    ex = engine.run("SELECT sum(a) AS s, (SELECT b FROM tbl) AS b FROM df", lookup=frames.get)
    assert ex.table is not None and ex.table.to_pylist() == [{"s": 6, "b": "x"}]
    # the scans were for that statement only
    assert "df" not in engine.table_names()
    with pytest.raises(QueryError) as info:
        engine.run("SELECT * FROM n", lookup=frames.get)  # not a frame: still an unknown table
    assert info.value.kind == "unknown_table"


def test_interrupt_cancels_a_running_query(engine: DuckDBEngine) -> None:
    timer = threading.Timer(0.3, engine.interrupt)
    timer.start()
    start = time.perf_counter()
    with pytest.raises(QueryError) as info:
        engine.run(
            "SELECT count(*) FROM range(100000000000) a, range(100) b WHERE (a.range * b.range) % 7 = 3"
        )
    assert info.value.kind == "interrupted"
    assert time.perf_counter() - start < 5
    assert engine.run("SELECT 1 AS one").table is not None


def test_close_removes_spill_folder_and_stale_ones(tmp_path: Path) -> None:
    root = tmp_path / "spill"
    root.mkdir()
    dead = root / "duckdb-999999999-abc"  # no process has this pid
    dead.mkdir()
    live = root / f"duckdb-{os.getpid()}-keep"
    live.mkdir()
    eng = DuckDBEngine(spill_root=root)
    assert eng.spill_dir.exists() and eng.spill_dir.parent == root
    assert not dead.exists() and live.exists()
    eng.close()
    assert not eng.spill_dir.exists()

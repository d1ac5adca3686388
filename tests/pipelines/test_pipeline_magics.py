"""%%pipeline and %pipelines in IPython."""

from __future__ import annotations

from typing import Any

import pytest

from neurolake_lab.exceptions import UsageError


@pytest.fixture
def shell(ip: Any) -> Any:
    ip.run_cell_magic(
        "sql", "", "CREATE TABLE raw.orders AS SELECT range AS id, range % 4 AS cust, "
        "range * 3 AS amount FROM range(20)",
    )  # fmt: skip
    return ip


def test_a_pipeline_cell_defines_runs_and_lists(shell: Any, capsys: Any) -> None:
    result = shell.run_cell_magic(
        "pipeline", 'totals --into mart.totals --mode merge --key cust --schedule "every 1h" '
        '--check "total >= 0"',
        "SELECT cust, sum(amount) AS total FROM raw.orders GROUP BY cust",
    )  # fmt: skip
    out = capsys.readouterr().out
    assert "pipeline totals (v1): merge into mart.totals, every 1h; run succeeded" in out
    (row,) = result.arrow().to_pylist()
    assert row["status"] == "succeeded" and row["rows_written"] == 4 and row["trigger"] == "cell"
    listed = shell.run_line_magic("pipelines", "").arrow().to_pylist()
    assert [(p["name"], p["health"], p["key"]) for p in listed] == [("totals", "ok", "cust")]
    # re-running the cell with other SQL updates the pipeline (a new SQL version)
    shell.run_cell_magic(
        "pipeline", "totals --into mart.totals --mode merge --key cust --no-run",
        "SELECT cust, sum(amount) AS total FROM raw.orders WHERE id > 0 GROUP BY cust",
    )  # fmt: skip
    versions = shell.run_line_magic("pipelines", "sql totals").arrow().to_pylist()
    assert [v["version"] for v in versions] == [1, 2]
    history = shell.run_line_magic("pipelines", "history totals").arrow().to_pylist()
    assert len(history) == 1
    shell.run_line_magic("pipelines", "run totals")
    assert len(shell.run_line_magic("pipelines", "history totals").arrow()) == 2
    shell.run_line_magic("pipelines", "pause totals")
    assert shell.run_line_magic("pipelines", "").arrow().to_pylist()[0]["status"] == "paused"
    assert len(shell.run_line_magic("pipelines", "--incidents").arrow().to_pylist()) == 0


def test_quarantine_incidents_show_in_the_notebook(shell: Any) -> None:
    shell.run_cell_magic(
        "pipeline", 'small --into mart.small --check "amount < 30" --quarantine',
        "SELECT id, amount FROM raw.orders",
    )  # fmt: skip
    (incident,) = shell.run_line_magic("pipelines", "--incidents small").arrow().to_pylist()
    assert incident["check"] == "quality" and incident["cause"] == "bad_rows"
    assert "10 rows" in incident["detail"] and incident["fixes"].startswith("quarantine")


@pytest.mark.parametrize(
    ("line", "cell", "match"),
    [
        ("p", "SELECT 1 AS x", "--into"),
        ("p --into a.b --mode upsert", "SELECT 1 AS x", "invalid choice"),
        ("p --into a.b", "   ", "no SQL"),
        ('p --into a.b --schedule "whenever"', "SELECT 1 AS x", "schedule"),
    ],
)
def test_bad_cells_are_usage_errors(shell: Any, line: str, cell: str, match: str) -> None:
    with pytest.raises(UsageError, match=match):
        shell.run_cell_magic("pipeline", line, cell)


def test_bad_pipelines_lines(shell: Any) -> None:
    with pytest.raises(UsageError, match="usage"):
        shell.run_line_magic("pipelines", "explode p")
    with pytest.raises(UsageError, match="no pipeline"):
        shell.run_line_magic("pipelines", "history nope")

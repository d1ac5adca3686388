import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from neurolake_lab import report as display
from neurolake_lab.session import Session

EXAMPLES = Path(display.__file__).parent / "schema" / "examples"


def test_schema_is_valid_and_examples_validate(report_validator) -> None:
    examples = sorted(EXAMPLES.glob("*.json"))
    assert len(examples) >= 2
    for path in examples:
        report_validator.validate(json.loads(path.read_text()))


def test_schema_rejects_bad_reports(report_validator) -> None:
    good = json.loads((EXAMPLES / "sql-groupby.json").read_text())
    for broken in (
        {**good, "version": 2},
        {k: v for k, v in good.items() if k != "result"},
        {
            **good,
            "lineage": {
                "nodes": [],
                "edges": [{"source": "a", "target": "b", "kind": "COPY", "masked": False}],
            },
        },
    ):
        assert not report_validator.is_valid(broken)


@pytest.mark.parametrize("name", ["sql-groupby", "sql-truncated", "sql-cross-join"])
def test_examples_are_what_python_produces(session: Session, name: str) -> None:
    """The examples the TypeScript tests render are the Python side's real output."""
    example = json.loads((EXAMPLES / f"{name}.json").read_text())
    session.sql(
        "CREATE TABLE sales AS SELECT * FROM (VALUES ('east', 10.25::DECIMAL(10,2)), "
        "('east', 20.25), ('west', 7.25)) t(region, amount)"
    )
    report = session.sql(example["sql"]).report
    for key in ("version", "kind", "sql", "executed_sql", "statement_type"):
        assert report[key] == example[key]
    for key in ("columns", "row_count", "truncated"):
        assert report["result"][key] == example["result"][key]
    n = len(example["result"]["rows_preview"])
    assert report["result"]["rows_preview"][:n] == example["result"]["rows_preview"]
    assert set(report["cost"]) == set(example["cost"])
    assert report["lineage"] == example["lineage"] and report["compliance"] == example["compliance"]


def test_json_values() -> None:
    assert display.to_json_value(Decimal("1.10")) == "1.10"
    assert display.to_json_value(float("inf")) is None
    assert display.to_json_value(dt.date(2026, 1, 2)) == "2026-01-02"
    assert display.to_json_value(2**60) == str(2**60)
    assert display.to_json_value([("k", Decimal(1))]) == {"k": "1"}
    assert display.to_json_value(b"\xff\x00") == "\\xFF\\x00"


def test_text_rendering_is_bounded(session: Session) -> None:
    r = session.sql("SELECT range AS n, repeat('x', 100) AS wide FROM range(1000)")
    text = repr(r)
    lines = text.splitlines()
    assert len(lines) == 2 + 20 + 1
    assert lines[-1].startswith("showing 20 of 1,000 rows")
    assert "predicted" in lines[-1]  # the summary says what was predicted against what ran
    assert max(len(line) for line in lines[:-1]) < 60

"""Quick charts: the kind follows the column types, the switch redraws, specs are Vega-Lite v5."""

from __future__ import annotations

import doctest
from typing import Any

import pyarrow as pa
import pytest
from jsonschema import Draft7Validator

from neurolake_lab import charts
from neurolake_lab.charts import VEGALITE_MIME, ChartView, choose
from neurolake_lab.exceptions import UsageError
from neurolake_lab.session import Session


def test_doctests() -> None:
    assert doctest.testmod(charts).failed == 0


@pytest.fixture(scope="module")
def vegalite_validator() -> Any:
    """Altair's copy of the Vega-Lite v5 JSON Schema (what JupyterLab's renderer reads)."""
    import json
    from importlib import resources

    schema_dir = resources.files("altair.vegalite.v5.schema")
    name = next(p.name for p in schema_dir.iterdir() if p.name.endswith(".json"))
    return Draft7Validator(json.loads(schema_dir.joinpath(name).read_text()))


def test_kind_follows_column_types(session: Session) -> None:
    cases = {
        "SELECT DATE '2026-01-01' + range::INT AS day, range * 2 AS orders FROM range(30)": (
            "line",
            "day",
            "orders",
        ),
        "SELECT ['a','b','c'][range % 3 + 1] AS region, sum(range)::DECIMAL(12,2) AS revenue "
        "FROM range(30) GROUP BY ALL": ("bar", "region", "revenue"),
        "SELECT range * 1.5 AS price, range % 7 AS qty FROM range(30)": ("scatter", "price", "qty"),
        "SELECT range AS customer_id, range * 3 AS spent FROM range(5)": (
            "bar",
            "customer_id",
            "spent",
        ),
    }
    for sql, (kind, x, y) in cases.items():
        spec = choose(session.sql(sql).arrow().schema)
        assert (spec.kind, spec.x, spec.y) == (kind, x, y), sql


def test_no_chart_without_a_measure_is_one_clear_error(session: Session) -> None:
    with pytest.raises(UsageError, match="needs a numeric column"):
        session.sql("SELECT 'a' AS name").chart()
    with pytest.raises(UsageError, match="not enough for a chart"):
        choose(pa.schema([("n", pa.int64())]))
    with pytest.raises(UsageError, match="unknown chart kind 'pie'"):
        choose(pa.schema([("c", pa.string()), ("n", pa.int64())]), "pie")


def test_chart_view_switches_and_draws_valid_vegalite(
    session: Session, vegalite_validator: Any
) -> None:
    result = session.sql(
        "SELECT DATE '2026-01-01' + (range % 90)::INT AS day, ['web','store'][range % 2 + 1] AS channel, "
        "(range % 50)::DECIMAL(10,2) AS amount, range % 13 AS items FROM range(20000)"
    )
    view = result.chart()
    assert isinstance(view, ChartView)
    assert (view.spec.kind, view.spec.x, view.spec.y, view.spec.color) == (
        "line",
        "day",
        "amount",
        "channel",
    )

    def drawn() -> dict[str, Any]:
        (out,) = view.output.outputs
        return out["data"][VEGALITE_MIME]

    spec = drawn()
    vegalite_validator.validate(spec)
    assert spec["mark"]["type"] == "line" and spec["encoding"]["x"]["type"] == "temporal"
    values = spec["datasets"][spec["data"]["name"]]
    assert len(values) == charts.MAX_POINTS and isinstance(values[0]["amount"], float)
    assert "first 5,000 of 20,000 rows" in spec["title"]["subtitle"][0]
    view.switch("bar")
    spec = drawn()
    vegalite_validator.validate(spec)
    assert spec["mark"]["type"] == "bar" and view.kind.value == "bar"
    view.x.value, view.y.value = "amount", "items"
    view.switch("scatter")
    spec = drawn()
    assert spec["mark"]["type"] == "circle"
    assert (spec["encoding"]["x"]["field"], spec["encoding"]["y"]["field"]) == ("amount", "items")


def test_sql_chart_magic(ip: Any) -> None:
    view = ip.run_cell(
        "%%sql --chart=bar -o by_channel\n"
        "SELECT ['web','store'][range % 2 + 1] AS channel, count(*) AS n FROM range(10) GROUP BY ALL"
    ).result
    assert isinstance(view, ChartView) and view.spec.kind == "bar"
    assert ip.user_ns["by_channel"] is view.result
    bundle = view._repr_mimebundle_()
    assert VEGALITE_MIME in bundle and "application/vnd.jupyter.widget-view+json" in bundle
    error = ip.run_cell("%%sql --chart=pie\nSELECT 1").error_in_exec
    assert isinstance(error, UsageError) and "--chart takes bar, line, scatter" in str(error)

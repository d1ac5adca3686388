"""LineageGraph: the report's lineage part, masking, renaming, snapshots and OpenLineage events."""

from __future__ import annotations

import json
import uuid
from importlib import resources
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from neurolake_lab.lineage import LineageEdge, LineageGraph, query_lineage
from neurolake_lab.lineage.openlineage import (
    COLUMN_LINEAGE_FACET_URL,
    RUN_EVENT_SCHEMA_URL,
    SCHEMA_FACET_URL,
)

SCHEMA = {
    "retail.customers": {"id": "INTEGER", "name": "VARCHAR", "email": "VARCHAR"},
    "retail.orders": {"id": "INTEGER", "customer_id": "INTEGER", "amount": "DOUBLE"},
}
SQL = (
    "SELECT c.email, upper(c.name) AS name, sum(o.amount) AS total, count(*) AS n "
    "FROM retail.customers c JOIN retail.orders o ON o.customer_id = c.id "
    "WHERE c.email LIKE '%@example.com' GROUP BY ALL"
)


@pytest.fixture
def graph() -> LineageGraph:
    return query_lineage(SQL, SCHEMA)


def _example_report(name: str) -> dict[str, Any]:
    text = resources.files("neurolake_lab.schema").joinpath(f"examples/{name}").read_text()
    report: dict[str, Any] = json.loads(text)
    return report


def test_to_report_validates_against_the_report_schema(
    graph: LineageGraph, report_validator: Any
) -> None:
    lineage = graph.mark_masked({"retail.customers.email"}).with_snapshots(
        {"retail.orders": 7, "retail.customers": None}
    )
    part = lineage.to_report()
    # the lineage part alone, against the schema's own definition of it
    schema = json.loads(
        resources.files("neurolake_lab.schema").joinpath("report.schema.json").read_text()
    )
    Draft202012Validator(schema["properties"]["lineage"]).validate(part)
    # and inside a whole report
    report = _example_report("sql-groupby.json")
    report["lineage"] = part
    report_validator.validate(report)
    assert set(part) == {"nodes", "edges"}
    assert all(set(e) == {"source", "target", "kind", "masked"} for e in part["edges"])
    assert {n["id"]: n.get("snapshot_id", "-") for n in part["nodes"]}["retail.orders.amount"] == 7


def test_report_rejects_what_the_schema_forbids(graph: LineageGraph) -> None:
    """The validator is not vacuous: a wrong kind or an extra edge key fails."""
    schema = json.loads(
        resources.files("neurolake_lab.schema").joinpath("report.schema.json").read_text()
    )
    validator = Draft202012Validator(schema["properties"]["lineage"])
    part = graph.to_report()
    part["edges"][0]["kind"] = "DIRECT"
    assert not validator.is_valid(part)
    part = graph.to_report()
    part["edges"][0]["weight"] = 1
    assert not validator.is_valid(part)


def test_nodes_list_outputs_in_order_then_sources(graph: LineageGraph) -> None:
    ids = [n["id"] for n in graph.nodes]
    assert ids[:4] == ["output.email", "output.name", "output.total", "output.n"]
    assert ids[4:] == sorted(ids[4:])
    assert {n["label"] for n in graph.nodes if n["id"].startswith("retail.")} == {
        "email",
        "name",
        "amount",
        "id",
        "customer_id",
    }


def test_mark_masked_marks_every_edge_from_a_masked_source(graph: LineageGraph) -> None:
    masked = graph.mark_masked({"Retail.Customers.Email"})
    for before, after in zip(graph.edges, masked.edges, strict=True):
        assert after.masked == (before.source == "retail.customers.email" or before.masked)
    assert any(e.masked and e.kind == "FILTER" for e in masked.edges)
    assert any(e.masked and e.kind == "IDENTITY" for e in masked.edges)
    # the original is untouched
    assert not any(e.masked for e in graph.edges if e.source == "retail.customers.email")
    assert graph.mark_masked(set()).edges == graph.edges


def test_edges_are_unique_per_source_target_and_kind_class(graph: LineageGraph) -> None:
    direct = [(e.source, e.target) for e in graph.edges if e.direct]
    indirect = [(e.source, e.target, e.kind) for e in graph.edges if not e.direct]
    assert len(direct) == len(set(direct))
    assert len(indirect) == len(set(indirect))


def test_edge_kind_is_checked() -> None:
    with pytest.raises(ValueError, match="unknown lineage edge kind 'COPY'"):
        LineageEdge("a.b.c", "output.c", "COPY")


def test_rename_outputs_takes_duckdb_result_names(graph: LineageGraph) -> None:
    unnamed = query_lineage("SELECT count(*), sum(amount) AS s FROM retail.orders", SCHEMA)
    assert unnamed.outputs == ["output._col_0", "output.s"]
    renamed = unnamed.rename_outputs(["count_star()", "s"])
    assert renamed.outputs == ["output.count_star()", "output.s"]
    assert {n["id"] for n in renamed.nodes} >= {"output.count_star()", "output.s"}
    assert all(e.target != "output._col_0" for e in renamed.edges)
    ctas = query_lineage("CREATE TABLE t AS SELECT id FROM retail.orders", SCHEMA)
    assert ctas.rename_outputs(["x"]).outputs == ["t.id"]


def test_to_openlineage_builds_a_run_event_with_the_column_lineage_facet(
    graph: LineageGraph,
) -> None:
    event = graph.mark_masked({"retail.customers.email"}).to_openlineage(
        job_namespace="neurolake://workspace",
        job_name="notebook.ipynb#cell-3",
        inputs_snapshot={"retail.orders": 1234},
        event_time="2026-11-25T12:00:00Z",
    )
    json.dumps(event)  # JSON-ready
    assert event["eventType"] == "COMPLETE"
    assert event["schemaURL"] == RUN_EVENT_SCHEMA_URL
    assert uuid.UUID(event["run"]["runId"])
    assert event["job"] == {"namespace": "neurolake://workspace", "name": "notebook.ipynb#cell-3"}
    assert event["eventTime"] == "2026-11-25T12:00:00Z"
    assert event["producer"].startswith("https://")

    inputs = {d["name"]: d for d in event["inputs"]}
    assert set(inputs) == {"retail.customers", "retail.orders"}
    orders = inputs["retail.orders"]
    assert orders["namespace"] == "neurolake://workspace"
    assert orders["facets"]["schema"]["_schemaURL"] == SCHEMA_FACET_URL
    assert orders["facets"]["schema"]["fields"] == [
        {"name": "id", "type": "INTEGER"},
        {"name": "customer_id", "type": "INTEGER"},
        {"name": "amount", "type": "DOUBLE"},
    ]
    assert orders["facets"]["version"]["datasetVersion"] == "1234"
    assert "version" not in inputs["retail.customers"]["facets"]

    (output,) = event["outputs"]
    assert output["name"] == "notebook.ipynb#cell-3.output"
    facet = output["facets"]["columnLineage"]
    assert facet["_schemaURL"] == COLUMN_LINEAGE_FACET_URL
    assert facet["_producer"] == event["producer"]
    fields = facet["fields"]
    assert set(fields) == {"email", "name", "total", "n"}
    for entry in fields.values():
        assert set(entry) == {"inputFields"}
        assert entry["inputFields"]
        for input_field in entry["inputFields"]:
            assert set(input_field) == {"namespace", "name", "field", "transformations"}
            assert input_field["name"] in inputs
            assert input_field["field"] in SCHEMA[input_field["name"]]
            for t in input_field["transformations"]:
                assert t["type"] in ("DIRECT", "INDIRECT")
                assert isinstance(t["masking"], bool)
                assert (t["type"] == "DIRECT") == (
                    t["subtype"] in ("IDENTITY", "TRANSFORMATION", "AGGREGATION")
                )

    def transformations(column: str, field: str) -> list[tuple[str, str, bool]]:
        (entry,) = [f for f in fields[column]["inputFields"] if f["field"] == field]
        return [(t["type"], t["subtype"], t["masking"]) for t in entry["transformations"]]

    assert transformations("email", "email") == [
        ("DIRECT", "IDENTITY", True),
        ("INDIRECT", "FILTER", True),
        ("INDIRECT", "GROUP_BY", True),
    ]
    assert transformations("total", "amount") == [("DIRECT", "AGGREGATION", False)]
    assert transformations("n", "customer_id") == [("INDIRECT", "JOIN", False)]
    # one input field per (output column, source column)
    for entry in fields.values():
        keys = [(f["name"], f["field"]) for f in entry["inputFields"]]
        assert len(keys) == len(set(keys))
    assert [f["name"] for f in output["facets"]["schema"]["fields"]] == [
        "email",
        "name",
        "total",
        "n",
    ]


def test_to_openlineage_for_a_write_names_the_written_table() -> None:
    g = query_lineage(
        "INSERT INTO retail.customers (id, name) SELECT id, 'x' FROM retail.orders", SCHEMA
    )
    event = g.to_openlineage(
        job_namespace="ws",
        job_name="pipeline",
        run_id="0192f1d2-0000-7000-8000-000000000001",
        event_type="START",
        dataset_namespace="iceberg://warehouse",
        output_dataset="ignored-for-a-write",
    )
    assert event["eventType"] == "START"
    assert event["run"]["runId"] == "0192f1d2-0000-7000-8000-000000000001"
    (output,) = event["outputs"]
    assert output["name"] == "retail.customers"
    assert output["namespace"] == "iceberg://warehouse"
    # a column written from a literal has no input fields and is left out of the facet
    assert set(output["facets"]["columnLineage"]["fields"]) == {"id"}
    assert [f["name"] for f in output["facets"]["schema"]["fields"]] == ["id", "name"]
    with pytest.raises(ValueError, match="unknown OpenLineage event type"):
        g.to_openlineage(job_namespace="ws", job_name="p", event_type="DONE")


def test_to_openlineage_versions_inputs_read_at_a_snapshot() -> None:
    g = query_lineage("SELECT o.amount FROM retail.orders FOR VERSION AS OF 99 AS o", SCHEMA)
    event = g.to_openlineage(job_namespace="ws", job_name="j")
    (orders,) = event["inputs"]
    assert orders["facets"]["version"]["datasetVersion"] == "99"
    event = g.to_openlineage(job_namespace="ws", job_name="j", inputs_snapshot={"retail.orders": 5})
    assert event["inputs"][0]["facets"]["version"]["datasetVersion"] == "5"


def test_to_openlineage_of_an_opaque_source() -> None:
    g = query_lineage("SELECT * FROM foo.bar", SCHEMA)
    event = g.to_openlineage(job_namespace="ws", job_name="j", output_dataset="cell")
    (output,) = event["outputs"]
    assert output["name"] == "cell"
    (entry,) = output["facets"]["columnLineage"]["fields"]["*"]["inputFields"]
    assert (entry["name"], entry["field"]) == ("foo.bar", "*")
    assert event["inputs"] == [
        {
            "namespace": "ws",
            "name": "foo.bar",
            "facets": {
                "schema": {
                    "_producer": event["producer"],
                    "_schemaURL": SCHEMA_FACET_URL,
                    "fields": [],
                }
            },
        }
    ]

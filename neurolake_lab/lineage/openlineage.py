"""Build an OpenLineage ``RunEvent`` from a lineage graph, for Marquez, DataHub or any consumer.

The column-level part is the ``columnLineage`` dataset facet of the output dataset (spec 1-2-0):
``fields`` maps each output column to its ``inputFields``, and each input field lists its
``transformations`` (``type`` DIRECT or INDIRECT, ``subtype``, ``masking``). Every edge goes into
``fields`` (the per-field form every consumer reads) rather than the facet's newer, compact
``dataset`` list, because our indirect edges are already per output column. Inputs are datasets
with a ``schema`` facet, and a ``version`` facet when their Iceberg snapshot id is known.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from neurolake_lab.lineage.graph import LineageGraph

RUN_EVENT_SCHEMA_URL: Final = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
COLUMN_LINEAGE_FACET_URL: Final = (
    "https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json"
)
SCHEMA_FACET_URL: Final = "https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json"
VERSION_FACET_URL: Final = (
    "https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json"
)
EVENT_TYPES: Final = frozenset({"START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"})


def _facet(producer: str, schema_url: str, **fields: Any) -> dict[str, Any]:
    return {"_producer": producer, "_schemaURL": schema_url, **fields}


def _split(graph: LineageGraph, column_id: str) -> tuple[str, str]:
    table = graph.table_of(column_id)
    if table is None:
        table, _, column = column_id.rpartition(".")
        return table, column
    return table, column_id[len(table) + 1 :]


def run_event(
    graph: LineageGraph,
    *,
    job_namespace: str,
    job_name: str,
    run_id: str | None,
    event_type: str,
    inputs_snapshot: dict[str, int] | None,
    output_dataset: str | None,
    producer: str,
    dataset_namespace: str | None,
    event_time: str | None,
) -> dict[str, Any]:
    """The OpenLineage ``RunEvent`` for ``graph`` (see ``LineageGraph.to_openlineage``)."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown OpenLineage event type {event_type!r}")
    namespace = dataset_namespace or job_namespace
    # Snapshot ids the query named itself (FOR VERSION AS OF), then the ones the caller gives.
    snapshots: dict[str, int] = {}
    for node in graph.nodes:
        table = graph.table_of(node["id"])
        if node.get("snapshot_id") is not None and table is not None:
            snapshots.setdefault(table, node["snapshot_id"])
    snapshots.update({t.lower(): s for t, s in (inputs_snapshot or {}).items()})

    inputs = []
    for table, columns in sorted(graph.inputs.items()):
        facets: dict[str, Any] = {
            "schema": _facet(
                producer,
                SCHEMA_FACET_URL,
                fields=[{"name": name, "type": typ} for name, typ in columns.items()],
            )
        }
        if table in snapshots:
            facets["version"] = _facet(
                producer, VERSION_FACET_URL, datasetVersion=str(snapshots[table])
            )
        inputs.append({"namespace": namespace, "name": table, "facets": facets})

    if graph.target_table is not None:
        out_name = graph.target_table
    else:
        out_name = output_dataset or f"{job_name}.output"

    fields: dict[str, dict[str, Any]] = {}
    out_columns: list[str] = []
    for target in graph.outputs:
        column = _split(graph, target)[1]
        out_columns.append(column)
        fields.setdefault(column, {"inputFields": []})
    # One input field per (output column, source column), carrying all its transformations.
    by_pair: dict[tuple[str, str], dict[str, Any]] = {}
    for edge in graph.edges:
        column = _split(graph, edge.target)[1]
        entry = fields.setdefault(column, {"inputFields": []})
        pair = (column, edge.source)
        input_field = by_pair.get(pair)
        if input_field is None:
            src_table, src_column = _split(graph, edge.source)
            input_field = {
                "namespace": namespace,
                "name": src_table,
                "field": src_column,
                "transformations": [],
            }
            by_pair[pair] = input_field
            entry["inputFields"].append(input_field)
        input_field["transformations"].append(
            {
                "type": "DIRECT" if edge.direct else "INDIRECT",
                "subtype": edge.kind,
                "masking": edge.masked,
            }
        )
    # Drop the output columns that depend on nothing stored (literals, table functions).
    fields = {name: entry for name, entry in fields.items() if entry["inputFields"]}

    output = {
        "namespace": namespace,
        "name": out_name,
        "facets": {
            "schema": _facet(
                producer, SCHEMA_FACET_URL, fields=[{"name": name} for name in out_columns]
            ),
            "columnLineage": _facet(producer, COLUMN_LINEAGE_FACET_URL, fields=fields),
        },
    }
    return {
        "eventType": event_type,
        "eventTime": event_time or datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "run": {"runId": run_id or str(uuid.uuid4())},
        "job": {"namespace": job_namespace, "name": job_name},
        "inputs": inputs,
        "outputs": [output],
        "producer": producer,
        "schemaURL": RUN_EVENT_SCHEMA_URL,
    }

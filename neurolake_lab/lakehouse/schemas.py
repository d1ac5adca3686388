"""The schemas of a table's snapshots: which column had which name, type and field id, when.

Iceberg gives every column a field id that a rename or a type change keeps; a dropped column's id
stays in the schemas of the snapshots that hold it. PII tags are bound to field ids, so the
compliance layer asks here which names the ids have in the schema a statement reads — the
current one, or an old snapshot's for time travel. Local metadata files are read as JSON (no
pyiceberg import on the hot path); remote ones through pyiceberg.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from neurolake_lab.lakehouse.metadata_files import metadata_json, read_metadata

#: Iceberg type → DuckDB type name, for the schema the policy rewrites against.
_DUCKDB_TYPES = {
    "boolean": "BOOLEAN", "int": "INTEGER", "long": "BIGINT", "float": "FLOAT",
    "double": "DOUBLE", "date": "DATE", "time": "TIME", "timestamp": "TIMESTAMP",
    "timestamptz": "TIMESTAMP WITH TIME ZONE", "string": "VARCHAR", "uuid": "UUID",
    "binary": "BLOB",
}  # fmt: skip


class Field(NamedTuple):
    """One top-level column of a schema."""

    name: str
    type: str  # Iceberg's type name (``long``, ``decimal(10, 2)``, ``struct``...)
    field_id: int


def schema_fields(location: str, snapshot_id: int | None = None) -> list[Field]:
    """The columns of the table's current schema, or of the schema ``snapshot_id`` was written in.

    A snapshot the metadata does not know reads as the current schema (time travel refuses it
    with its own error).
    """
    meta = metadata_json(location)
    if "schemas" not in meta:  # a remote table read through pyiceberg
        return _remote_fields(location, snapshot_id)
    schema_id = meta.get("current-schema-id", 0)
    if snapshot_id is not None:
        snap = next((s for s in meta.get("snapshots", []) if s["snapshot-id"] == snapshot_id), None)
        if snap is not None and "schema-id" in snap:
            schema_id = snap["schema-id"]
    schema = next(
        (s for s in meta["schemas"] if s.get("schema-id") == schema_id), meta["schemas"][-1]
    )
    return [_json_field(f) for f in schema["fields"]]


def all_schemas(location: str) -> list[list[Field]]:
    """Every schema the table ever had, oldest first (time travel may read any of them)."""
    meta = metadata_json(location)
    if "schemas" not in meta:
        return [
            [Field(f.name, str(f.field_type), f.field_id) for f in s.fields]
            for s in read_metadata(location).schemas
        ]
    return [[_json_field(f) for f in s["fields"]] for s in meta["schemas"]]


def field_ids(location: str, snapshot_id: int | None = None) -> dict[str, int]:
    """Column name → field id in the current schema (or the schema of ``snapshot_id``)."""
    return {f.name: f.field_id for f in schema_fields(location, snapshot_id)}


def _json_field(f: dict[str, Any]) -> Field:
    kind = f["type"] if isinstance(f["type"], str) else f["type"].get("type", "struct")
    return Field(f["name"], kind, int(f["id"]))


def _remote_fields(location: str, snapshot_id: int | None) -> list[Field]:
    meta = read_metadata(location)
    schema = meta.schema()
    if snapshot_id is not None:
        snap = meta.snapshot_by_id(snapshot_id)
        if snap is not None and snap.schema_id is not None:
            schema = next((s for s in meta.schemas if s.schema_id == snap.schema_id), schema)
    return [Field(f.name, str(f.field_type), f.field_id) for f in schema.fields]


def duckdb_type(iceberg: str) -> str:
    """The DuckDB type name for an Iceberg type name (``decimal(10, 2)`` → ``DECIMAL(10,2)``)."""
    if iceberg.startswith("decimal"):
        return iceberg.upper().replace(" ", "")
    if iceberg.startswith("fixed"):
        return "BLOB"
    return _DUCKDB_TYPES.get(iceberg, iceberg.upper())

"""Reading an Iceberg table's metadata file: its columns, its properties, or all of it.

The hot path (every statement checks columns and PII tags) reads local metadata files as JSON,
cached by location, without importing pyiceberg; remote ones and full reads go through pyiceberg.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from neurolake_lab.lakehouse import storage
from neurolake_lab.lakehouse.naming import local_path

if TYPE_CHECKING:
    from pyiceberg.table.metadata import TableMetadata


@lru_cache(maxsize=512)
def metadata_json(metadata_location: str) -> dict[str, Any]:
    """A local metadata file as JSON: the hot path reads it without importing pyiceberg."""
    import json

    path = local_path(metadata_location)
    if path is None:
        meta = read_metadata(metadata_location)
        return {
            "properties": dict(meta.properties),
            "current-snapshot-id": meta.current_snapshot_id,
        }
    with open(path, encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def iceberg_columns(metadata_location: str) -> dict[str, str]:
    """Column name → Iceberg type name of a table's current schema (no pyiceberg import)."""
    meta = metadata_json(metadata_location)
    if "schemas" not in meta:  # a remote table read through pyiceberg
        return {f.name: str(f.field_type) for f in read_metadata(metadata_location).schema().fields}
    current = meta.get("current-schema-id", 0)
    schema = next(
        (s for s in meta["schemas"] if s.get("schema-id") == current), meta["schemas"][-1]
    )
    return {f["name"]: f["type"] if isinstance(f["type"], str) else f["type"].get("type", "struct")
            for f in schema["fields"]}  # fmt: skip


def read_properties(metadata_location: str) -> dict[str, str]:
    """A table's properties (from its metadata file, cached by location)."""
    props: dict[str, str] = metadata_json(metadata_location).get("properties", {})
    return props


@lru_cache(maxsize=256)
def read_metadata(metadata_location: str) -> TableMetadata:
    """A table's metadata file, parsed (immutable, so cached by location)."""
    from pyiceberg.serializers import FromInputFile

    io = storage.file_io(metadata_location)
    try:
        return FromInputFile.table_metadata(io.new_input(metadata_location))
    except OSError as exc:  # the object store refused or does not answer
        raise storage.storage_failure(exc, f"cannot read {metadata_location}") from None

"""What a pipeline reads: its source tables, their snapshots and their schemas by Iceberg field id.

Each run records, per source table, the snapshot it read, the table's uuid and its columns keyed by
field id. Field ids never change in Iceberg — a renamed column keeps its id — so comparing a run's
record with the table now (or with any schema in its history) tells a rename from a drop and an
add, which is what the Monitor's diagnosis and the SQL repair stand on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from neurolake_lab.lakehouse.naming import display_name

if TYPE_CHECKING:
    from pyiceberg.table.metadata import TableMetadata

    from neurolake_lab.lakehouse import Lakehouse

#: field id (as text, JSON keys are strings) → [column name, Iceberg type]
Columns = dict[str, list[str]]


def _columns(meta: TableMetadata, schema_id: int | None = None) -> Columns:
    schema = meta.schema() if schema_id is None else meta.schema_by_id(schema_id)
    if schema is None:
        return {}
    return {str(f.field_id): [f.name, str(f.field_type)] for f in schema.fields}


def table_metadata(lake: Lakehouse, table: str) -> TableMetadata | None:
    """The current metadata of ``ns.t`` as the catalog has it now (``None``: no such table)."""
    from neurolake_lab.lakehouse.lakehouse import read_metadata

    parts = table.split(".")
    location = lake.pointers.get((parts[0], parts[-1])) if len(parts) == 2 else None
    return read_metadata(location) if location else None


def source_state(lake: Lakehouse, tables: list[str]) -> dict[str, Any]:
    """Per source table: ``{snapshot_id, uuid, columns}`` now (missing tables are left out)."""
    state: dict[str, Any] = {}
    for table in tables:
        meta = table_metadata(lake, table)
        if meta is None:
            continue
        state[table] = {
            "snapshot_id": meta.current_snapshot_id,
            "uuid": str(meta.table_uuid),
            "columns": _columns(meta),
        }
    return state


@dataclass(frozen=True)
class SchemaChange:
    """One difference between a source's recorded schema and its schema now."""

    table: str
    kind: str  # renamed, added, dropped, type_changed
    column: str  # the name recorded (the new name for ``added``)
    new_name: str | None = None
    old_type: str | None = None
    new_type: str | None = None

    def describe(self) -> str:
        """One line for people."""
        where = f"{self.table}.{self.column}"
        if self.kind == "renamed":
            return f"column {where} was renamed to {self.new_name}"
        if self.kind == "type_changed":
            return f"column {where} changed type from {self.old_type} to {self.new_type}"
        return f"column {where} was {self.kind}"


def schema_changes(before: dict[str, Any], now: dict[str, Any]) -> list[SchemaChange]:
    """How the sources' schemas changed between two :func:`source_state` records."""
    changes: list[SchemaChange] = []
    for table, old in before.items():
        new = now.get(table)
        if new is None:
            continue  # dropped tables are diagnosed on their own
        old_cols: Columns = old.get("columns", {})
        new_cols: Columns = new.get("columns", {})
        for fid, (name, kind) in old_cols.items():
            if fid not in new_cols:
                changes.append(SchemaChange(table, "dropped", name))
                continue
            new_name, new_kind = new_cols[fid]
            if new_name != name:
                changes.append(SchemaChange(table, "renamed", name, new_name=new_name))
            if new_kind != kind:
                changes.append(SchemaChange(table, "type_changed", name, old_type=kind,
                                            new_type=new_kind))  # fmt: skip
        for fid, (name, _kind) in new_cols.items():
            if fid not in old_cols:
                changes.append(SchemaChange(table, "added", name))
    return changes


def renamed_in_history(lake: Lakehouse, table: str, column: str) -> str | None:
    """The current name of a column once called ``column`` in ``table`` (by its field id).

    Every schema in the table's history is searched, newest first, so a rename is found even
    without a recorded run (a pipeline created just before the rename).
    """
    meta = table_metadata(lake, table)
    if meta is None:
        return None
    current = _columns(meta)
    if any(name == column for name, _ in current.values()):
        return None  # not renamed: the column is there
    for schema in sorted(meta.schemas, key=lambda s: s.schema_id, reverse=True):
        for f in schema.fields:
            if f.name == column and str(f.field_id) in current:
                return current[str(f.field_id)][0]
    return None


def find_by_uuid(lake: Lakehouse, uuid: str) -> str | None:
    """The table now carrying ``uuid`` (a source renamed with ``ALTER TABLE ... RENAME TO``)."""
    from neurolake_lab.lakehouse.lakehouse import read_metadata

    for tid, location in lake.pointers.items():
        try:
            if str(read_metadata(location).table_uuid) == uuid:
                return display_name(tid)
        except OSError:
            continue
    return None


def committed_by(lake: Lakehouse, table: str, run_id: str) -> int | None:
    """The snapshot of ``table`` that run ``run_id`` committed, if it committed one.

    A pipeline run's id is in its write's snapshot summary (``neurolake.cell``), so a run whose
    process died after its commit is recognised, and its rows are not written a second time.
    """
    import json

    meta = table_metadata(lake, table)
    if meta is None:
        return None
    for snapshot in reversed(meta.snapshots):
        cell = (snapshot.summary.additional_properties if snapshot.summary else {}).get(
            "neurolake.cell"
        )
        if cell and json.loads(cell).get("run_id") == run_id:
            return int(snapshot.snapshot_id)
    return None

"""Snapshots of a table: the history view behind ``%snapshots``, rollback, and time travel.

Time travel reads (``FOR VERSION AS OF id`` / ``FOR TIMESTAMP AS OF ts``) are resolved here to a
snapshot id and handed to DuckDB's ``iceberg_scan`` with that id, after checking the snapshot
exists, so a wrong id or a time before the table existed is one clear error.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from neurolake_lab.exceptions import QueryError

if TYPE_CHECKING:
    from pyiceberg.table.metadata import TableMetadata


def snapshot_rows(meta: TableMetadata) -> pa.Table:
    """One row per snapshot, newest first: id, time, operation, rows, who, which cell, SQL."""
    current = meta.current_snapshot_id
    rows: list[dict[str, Any]] = []
    for snap in meta.snapshots:
        summary = snap.summary.additional_properties if snap.summary else {}
        cell = _json(summary.get("neurolake.cell"))
        rows.append(
            {
                "snapshot_id": snap.snapshot_id,
                "committed_at": datetime.fromtimestamp(snap.timestamp_ms / 1000, UTC),
                "operation": summary.get("neurolake.operation")
                or (snap.summary.operation.value if snap.summary else None),
                "rows_added": _rows(summary, "added-records", "rows_inserted", "rows_updated"),
                "rows_removed": _rows(summary, "deleted-records", "rows_deleted", "rows_updated"),
                "total_rows": _int(summary.get("total-records")),
                "user": summary.get("neurolake.user"),
                "cell": _describe_cell(cell),
                "sql": summary.get("neurolake.sql"),
                "parent_id": snap.parent_snapshot_id,
                "current": snap.snapshot_id == current,
            }
        )
    rows.sort(key=lambda r: (r["committed_at"], r["snapshot_id"]), reverse=True)
    fields: list[pa.Field[Any]] = [
        pa.field("snapshot_id", pa.int64()),
        pa.field("committed_at", pa.timestamp("ms", tz="UTC")),
        pa.field("operation", pa.string()),
        pa.field("rows_added", pa.int64()),
        pa.field("rows_removed", pa.int64()),
        pa.field("total_rows", pa.int64()),
        pa.field("user", pa.string()),
        pa.field("cell", pa.string()),
        pa.field("sql", pa.string()),
        pa.field("parent_id", pa.int64()),
        pa.field("current", pa.bool_()),
    ]
    schema = pa.schema(fields)
    return pa.Table.from_pylist(rows, schema=schema)


def _json(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _describe_cell(cell: dict[str, Any]) -> str | None:
    if not cell:
        return None
    parts = [str(cell[k]) for k in ("notebook",) if cell.get(k)]
    if cell.get("execution_count") is not None:
        parts.append(f"In [{cell['execution_count']}]")
    if cell.get("cell_id"):
        parts.append(f"cell {cell['cell_id']}")
    return " ".join(parts) or cell.get("source")


def _rows(summary: dict[str, str], iceberg_key: str, *ours: str) -> int:
    """Rows a snapshot added or removed: our logical count when we wrote it, else Iceberg's.

    Iceberg counts the rows of whole rewritten files; an UPDATE of one row in a file of a
    thousand "adds" a thousand. NeuroLake's own writes record what the statement changed.
    """
    if any(f"neurolake.{k}" in summary for k in (*ours, "operation")):
        return sum(int(summary.get(f"neurolake.{k}", 0)) for k in ours)
    return int(summary.get(iceberg_key, 0) or 0)


def _int(value: str | None) -> int | None:
    return int(value) if value not in (None, "") else None


def snapshot_for_version(meta: TableMetadata, name: str, snapshot_id: int) -> int:
    """Check that ``snapshot_id`` is a snapshot of the table (``name`` is for the message)."""
    if meta.snapshot_by_id(snapshot_id) is None:
        known = len(meta.snapshots)
        hint = f"%snapshots {name} lists its {known} snapshots" if known else "it has no snapshots"
        raise QueryError(
            f"table {name} has no snapshot {snapshot_id} (expired, or never one of its snapshots)",
            kind="time_travel",
            hint=hint,
        )
    return snapshot_id


def snapshot_for_time(meta: TableMetadata, name: str, when: datetime) -> int:
    """The id of the snapshot that was current at ``when`` (a timezone-aware time).

    The snapshot log, not the snapshots' own times, decides: after a rollback the table's
    current snapshot is an older one, and a read "as of" a later time must see that.
    """
    ms = int(when.timestamp() * 1000)
    current: int | None = None
    for entry in meta.snapshot_log:
        if entry.timestamp_ms <= ms:
            current = entry.snapshot_id
    if current is None or meta.snapshot_by_id(current) is None:
        first = min((s.timestamp_ms for s in meta.snapshots), default=None)
        hint = (
            f"its oldest snapshot is from {datetime.fromtimestamp(first / 1000, UTC).isoformat()}"
            if first is not None
            else "it has no snapshots yet"
        )
        raise QueryError(
            f"table {name} has no snapshot as of {when.isoformat()}", kind="time_travel", hint=hint
        )
    return current

"""What a write carries and what it did: the context a snapshot's summary records, the outcome.

Shared by every write path (``tables``, ``sql_writes``, ``row_changes``, ``merge``) and by the
compliance hooks, which see the context of each write.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from neurolake_lab.lakehouse.statements import TableId

#: Who created the table (the authorizer lets the creator write, alter, drop and maintain it).
OWNER_PROPERTY = "neurolake.owner"
#: The longest SQL text kept in a snapshot summary (summaries live in every metadata file).
MAX_SUMMARY_SQL = 4000


@dataclass
class WriteContext:
    """Who writes, from where, and why: what a snapshot's summary records for lineage."""

    user: str
    sql: str | None = None
    cell: dict[str, Any] | None = None
    #: tables the written data was read from: display name → snapshot id (``None``: empty table)
    sources: dict[str, int | None] = field(default_factory=dict)
    #: column lineage of the write (``{"edges": [...]}``), filled in by the lineage layer
    column_lineage: dict[str, Any] | None = None
    #: PII tags the written columns must get because of where their values come from
    #: (column → tag JSON), so that a CTAS cannot launder PII into an untagged table
    carried_tags: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: the target's columns (lower case) the policy masks or denies for the writer: quality
    #: rules judge rows by them only where the writer supplied the values (``quality_gate``)
    hidden: frozenset[str] = frozenset()

    @property
    def on_failure(self) -> str | None:
        """What this write does with rows that break the checks, if not what the table says.

        A pipeline run that the Monitor heals after a refusal for bad rows sets ``on_failure``
        to ``"quarantine"`` in its context: the good rows are written, the bad ones kept aside.
        """
        value = (self.cell or {}).get("on_failure")
        return value if value in ("refuse", "quarantine") else None

    def summary(self, operation: str, **counts: int) -> dict[str, str]:
        """The snapshot summary properties of a write made in this context.

        ``counts`` are the logical row counts (``rows_inserted=5``): Iceberg's own summary
        counts rows in rewritten files, which is more than an UPDATE of one row changed.
        """
        props = {"neurolake.operation": operation, "neurolake.user": self.user}
        props.update({f"neurolake.{k}": str(v) for k, v in counts.items()})
        if self.sql:
            sql = self.sql.strip()
            props["neurolake.sql"] = (
                sql if len(sql) <= MAX_SUMMARY_SQL else sql[:MAX_SUMMARY_SQL] + " …"
            )
        if self.cell:
            props["neurolake.cell"] = json.dumps(self.cell, sort_keys=True, default=str)
        if self.sources:
            props["neurolake.sources"] = json.dumps(
                [{"table": t, "snapshot_id": s} for t, s in sorted(self.sources.items())]
            )
        if self.column_lineage:
            props["neurolake.lineage"] = json.dumps(self.column_lineage, sort_keys=True)
        return props


@dataclass
class WriteOutcome:
    """What one write did: the new snapshot and the rows it added or removed."""

    table: str
    operation: str
    rows_added: int = 0
    rows_removed: int = 0
    snapshot_id: int | None = None
    quarantined: int = 0
    notices: list[str] = field(default_factory=list)
    #: rows changed in place (a MERGE's updates; not counted in ``rows_added``/``rows_removed``)
    rows_updated: int = 0

    def to_arrow(self) -> pa.Table:
        """One row describing the write: what a write statement's cell shows."""
        counts = ["rows_added", "rows_updated", "rows_removed", "quarantined"]
        if self.operation != "merge":  # only a merge updates rows in place
            counts.remove("rows_updated")
        columns: dict[str, pa.Array[Any]] = {
            "table": pa.array([self.table], pa.string()),
            "operation": pa.array([self.operation], pa.string()),
        }
        columns.update({c: pa.array([getattr(self, c)], pa.int64()) for c in counts})
        columns["snapshot_id"] = pa.array([self.snapshot_id], pa.int64())
        return pa.table(columns)


#: A compliance hook: sees the rows about to be written to a table (and the table's properties
#: and its columns' field ids) and returns the rows to write (it may encrypt a column) and table
#: properties to set in the same commit (PII tags), or raises to refuse the write.
WriteHook = Callable[
    [TableId, pa.Table, WriteContext, Mapping[str, str], Mapping[str, int]],
    tuple[pa.Table, dict[str, str]],
]

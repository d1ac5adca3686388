"""Right to erasure: delete rows so that no snapshot, file or metadata version still holds them.

A DELETE alone leaves the rows in older snapshots (that is what time travel is). Erasure deletes
them from the current snapshot, then expires every snapshot whose data still matches the
predicate, deletes the files only those snapshots used, and deletes the table's earlier metadata
files (their snapshot summaries carry the SQL of earlier writes). Time travel to the expired
snapshots is gone, by design.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import duckdb

from neurolake_lab.lakehouse.naming import display_name, scan_sql
from neurolake_lab.lakehouse.quarantine import quarantine_of

if TYPE_CHECKING:
    from pyiceberg.table import Table

    from neurolake_lab.lakehouse.lakehouse import Lakehouse
    from neurolake_lab.lakehouse.statements import TableId
    from neurolake_lab.lakehouse.tables import WriteContext


@dataclass
class ErasureReport:
    """What an erasure removed (never the erased values)."""

    table: str
    rows_removed: int = 0
    snapshots_expired: list[int] = field(default_factory=list)
    files_deleted: int = 0
    bytes_freed: int = 0
    also: list[str] = field(default_factory=list)  # other tables erased from (quarantine)


def erase(lake: Lakehouse, tid: TableId, predicate: str, ctx: WriteContext) -> ErasureReport:
    """Erase the rows of ``tid`` matching the SQL ``predicate`` physically."""
    from neurolake_lab.lakehouse import statements
    from neurolake_lab.lakehouse.maintenance import (
        MaintenanceReport,
        delete_old_metadata,
        expire_ids,
    )
    from neurolake_lab.lakehouse.tables import quiet_pyiceberg

    name = display_name(tid)
    report = ErasureReport(name)
    sql = f"DELETE FROM {name} WHERE {predicate}"
    stmt = statements.analyze(sql, "DELETE", lake.namespaces, lake.resolve_bare)
    assert stmt is not None and stmt.kind == "delete"
    outcome = lake.execute(stmt, None, None, ctx)
    report.rows_removed = outcome.rows_removed
    table = lake.load(tid)
    holding = [
        snap.snapshot_id
        for snap in table.metadata.snapshots
        if snap.snapshot_id != table.metadata.current_snapshot_id
        and _holds(lake.engine.con, table, snap.snapshot_id, predicate)
    ]
    maintenance = MaintenanceReport(name)
    with quiet_pyiceberg():
        table = expire_ids(table, holding, maintenance)
        delete_old_metadata(table, maintenance)
    report.snapshots_expired = holding
    report.files_deleted = maintenance.files_deleted
    report.bytes_freed = maintenance.bytes_freed
    lake.refresh(lake.engine.con)
    quarantine = quarantine_of(tid)
    if quarantine in lake.pointers:
        more = erase(lake, quarantine, predicate, ctx)
        report.also.append(more.table)
        report.files_deleted += more.files_deleted
        report.bytes_freed += more.bytes_freed
    return report


def _holds(con: duckdb.DuckDBPyConnection, table: Table, snapshot_id: int, predicate: str) -> bool:
    """Whether a snapshot still has rows matching ``predicate`` (when unsure: yes)."""
    try:
        row = con.execute(
            f"SELECT count(*) FROM {scan_sql(table.metadata_location, snapshot_id)} "
            f"WHERE {predicate}"
        ).fetchone()
    except duckdb.Error:  # e.g. the predicate names a column the snapshot did not have yet
        return True
    return bool(row and row[0])

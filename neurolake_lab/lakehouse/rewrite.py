"""Copy-on-write: replace some data files of a table with rewritten ones, as ONE snapshot.

pyiceberg's own ``delete`` may commit two snapshots (whole files dropped, then partly matching
files rewritten) and has no UPDATE at all; UPDATE, DELETE and compaction all need "these files out,
those files in" in a single commit, which pyiceberg's overwrite snapshot producer provides. This
module drives it: the files that can hold affected rows (pruned by partition values and column
statistics) are read, a function changes their rows, and the result replaces exactly those files.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa
    from pyiceberg.expressions import BooleanExpression
    from pyiceberg.manifest import DataFile
    from pyiceberg.table import FileScanTask, Table


@dataclass
class Rewrite:
    """What a rewrite did (``committed`` is False when nothing had to change)."""

    committed: bool
    files_removed: int = 0
    files_added: int = 0


def candidate_tasks(table: Table, scope: BooleanExpression) -> list[FileScanTask]:
    """The scan tasks of the files that may hold rows matching ``scope``."""
    return list(table.scan(row_filter=scope).plan_files())


def read_tasks(table: Table, tasks: Sequence[FileScanTask]) -> pa.Table:
    """Every row of the given files, in the table's current schema (renames and all)."""
    from pyiceberg.expressions import AlwaysTrue
    from pyiceberg.io.pyarrow import ArrowScan

    rows: pa.Table = ArrowScan(
        table_metadata=table.metadata,
        io=table.io,
        projected_schema=table.schema(),
        row_filter=AlwaysTrue(),
    ).to_table(tasks=tasks)
    return rows


def replace_files(
    table: Table,
    remove: Sequence[DataFile],
    rows: pa.Table,
    *,
    scope: BooleanExpression,
    properties: dict[str, str],
    table_properties: dict[str, str] | None = None,
) -> Rewrite:
    """Commit one overwrite snapshot: ``remove`` out, ``rows`` written as new files in.

    ``rows`` must already have the table's schema (see ``TableWriter.conform``);
    ``table_properties`` are set in the same commit.
    """
    from pyiceberg.io.pyarrow import _dataframe_to_data_files

    tx = table.transaction()
    if table_properties:
        tx.set_properties(table_properties)
    commit_uuid = uuid.uuid4()
    added = (
        list(
            _dataframe_to_data_files(
                table_metadata=tx.table_metadata, df=rows, io=table.io, write_uuid=commit_uuid
            )
        )
        if rows.num_rows
        else []
    )
    with tx.update_snapshot(snapshot_properties=properties).overwrite(commit_uuid) as overwrite:
        overwrite.delete_by_predicate(scope)
        for data_file in remove:
            overwrite.delete_data_file(data_file)
        for data_file in added:
            overwrite.append_data_file(data_file)
    tx.commit_transaction()
    return Rewrite(True, files_removed=len(remove), files_added=len(added))


def copy_on_write(
    table: Table,
    scope: BooleanExpression,
    change: Callable[[pa.Table], pa.Table | None],
    properties: dict[str, str],
    table_properties: dict[str, str] | None = None,
) -> Rewrite:
    """Rewrite the files that may hold rows in ``scope`` through ``change``, as one snapshot.

    ``change`` gets every row of those files and returns the rows that replace them, or ``None``
    when nothing changed (then nothing is committed); it may fill ``table_properties``, which are
    set in the same commit.
    """
    tasks = candidate_tasks(table, scope)
    if not tasks:
        return Rewrite(False)
    rows = read_tasks(table, tasks)
    new = change(rows)
    if new is None:
        return Rewrite(False)
    return replace_files(
        table, [task.file for task in tasks], new, scope=scope, properties=properties,
        table_properties=table_properties,
    )  # fmt: skip

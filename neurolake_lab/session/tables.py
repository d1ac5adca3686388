"""``TableOps``: the Session's table methods: writes from Python, history, upkeep, layout, quality.

A facade over the lakehouse service: every method refreshes the session's view of the catalog,
asks the authorizer before it changes anything, acts through the lakehouse with the session's
identity (``write_context``) and audits what it did.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from neurolake_lab.cell.execute import layout_notice
from neurolake_lab.exceptions import UsageError
from neurolake_lab.session.facade import Facade

if TYPE_CHECKING:
    from datetime import timedelta

    import pyarrow as pa

    from neurolake_lab.lakehouse import Lakehouse
    from neurolake_lab.lakehouse.access_patterns import LayoutSuggestion
    from neurolake_lab.lakehouse.maintenance import MaintenanceReport
    from neurolake_lab.lakehouse.quality import QualityRules
    from neurolake_lab.lakehouse.tables import WriteContext, WriteOutcome
    from neurolake_lab.result import QueryResult


class TableOps(Facade):
    """``Session.write``, ``snapshots``, ``rollback``, ``maintain``, ``set_quality``, ``layout``."""

    def write_context(self, sql: str | None = None) -> WriteContext:
        """Who writes and from which cell."""
        return self.services.write_context(sql)

    def record(self, kind: str, sql: str | None = None, **data: Any) -> str:
        """Append one audit record of the session."""
        return self.services.recorder.record(kind, sql, **data)

    def tables(self) -> QueryResult:
        """Every table the session can query: Iceberg tables and the session's own."""
        start = time.perf_counter()
        lake = self.lakehouse
        table = _table_listing(self.services.engine.tables(), lake)
        elapsed = (time.perf_counter() - start) * 1000
        return query_result(table, "-- tables", "TABLES", elapsed)

    def write(
        self,
        table: str,
        data: Any,
        mode: str = "append",
        *,
        partition_by: Sequence[str] = (),
        sort_by: Sequence[str] = (),
        docs: Mapping[str, str] | None = None,
        description: str | None = None,
        properties: Mapping[str, str] | None = None,
    ) -> WriteOutcome:
        """Write a pandas/Polars/Arrow table to the Iceberg table ``namespace.table``.

        ``mode`` is ``"append"`` or ``"overwrite"``; a table that does not exist is created
        (with ``partition_by`` such as ``["month(order_date)"]``, ``sort_by`` such as
        ``["customer_id"]``, column ``docs`` and a ``description``). Columns match by name;
        the write goes through the table's quality checks and is one commit.
        """
        from neurolake_lab.lakehouse.statements import parse_layout

        if mode not in ("append", "overwrite"):
            raise UsageError(f"mode must be 'append' or 'overwrite', not {mode!r}")
        from neurolake_lab.compliance.authorize import property_needs

        arrow = _to_arrow(data)
        lake = self.lakehouse
        tid = _table_id(lake, table)
        ctx = self.services.write_context(None, tid)
        writer = lake.writer
        operation = f"write ({mode})"
        self.require("write", tid, operation)
        if properties and not writer.exists(tid):
            self.services.authorizer.require_all(
                property_needs(tid, properties, operation, default=None)
            )
        try:
            if writer.exists(tid):
                outcome = writer.append(
                    tid, arrow, ctx, overwrite=mode == "overwrite", by_name=True,
                    operation=f"write ({mode})",
                )  # fmt: skip
                outcome.notices.extend(layout_notice(lake, tid))
            else:
                props = dict(properties or {})
                if description:
                    props["comment"] = description
                partition, order = parse_layout(partition_by, sort_by)
                outcome = writer.create(
                    tid, arrow, ctx, partition_by=partition, sort_by=order, properties=props,
                    docs=docs, operation=f"write ({mode})",
                )  # fmt: skip
        finally:
            lake.refresh(self.services.engine.con)
        self.record(
            "write", table=outcome.table, operation=outcome.operation,
            rows_added=outcome.rows_added, rows_removed=outcome.rows_removed,
            quarantined=outcome.quarantined, snapshot_id=outcome.snapshot_id,
        )  # fmt: skip
        return outcome

    def maintain(
        self,
        table: str,
        *,
        expire_older_than: str | timedelta = "7d",
        retain_last: int = 5,
        compact: bool = True,
        small_file_mb: float = 32,
        remove_orphans: bool = True,
        orphans_older_than: str | timedelta = "1d",
    ) -> MaintenanceReport:
        """Keep a table healthy: expire old snapshots, compact small files, remove orphans.

        Snapshots older than ``expire_older_than`` go, except the newest ``retain_last`` and the
        one current at the cut-off (so time travel inside the retention keeps working). Files
        written but never committed (by a crashed write) are removed once older than
        ``orphans_older_than``. The report says what each step did.
        """
        lake = self.lakehouse
        self.require("maintain", lake.resolve(table), "maintain")
        report = lake.maintain(
            table, self.write_context(), expire_older_than=expire_older_than,
            retain_last=retain_last, compact=compact, small_file_mb=small_file_mb,
            remove_orphans=remove_orphans, orphans_older_than=orphans_older_than,
        )  # fmt: skip
        self.record(
            "maintenance", table=report.table, expired=report.snapshots_expired,
            files_compacted=report.files_compacted, files_written=report.files_written,
            orphans_removed=report.orphans_removed, files_deleted=report.files_deleted,
        )  # fmt: skip
        return report

    def set_quality(
        self,
        table: str,
        *,
        not_null: Sequence[str] = (),
        unique: Sequence[str | Sequence[str]] = (),
        accepted_values: Mapping[str, Sequence[Any]] | None = None,
        ranges: Mapping[str, Sequence[Any]] | None = None,
        rows_per_write: Sequence[int | None] | None = None,
        checks: Sequence[str] = (),
        on_failure: str = "refuse",
    ) -> QualityRules:
        """Declare the quality checks every write to ``table`` must pass (replacing earlier ones).

        ``unique`` keys are column names or lists of columns; ``ranges`` map a column to
        ``[min, max]`` (``None`` for an open end); ``rows_per_write`` is ``[min, max]`` rows per
        write; ``checks`` are SQL predicates each row must satisfy. ``on_failure`` is
        ``"refuse"`` (the write is refused with the offending rows) or ``"quarantine"`` (bad rows
        go to ``<table>__quarantine`` and the rest is written).
        """
        from neurolake_lab.exceptions import LakehouseError
        from neurolake_lab.lakehouse.quality import PROPERTY, QualityRules
        from neurolake_lab.lakehouse.quality_sql import validate
        from neurolake_lab.lakehouse.tables import quiet_pyiceberg

        rules = QualityRules(
            not_null=list(not_null),
            unique=[[k] if isinstance(k, str) else list(k) for k in unique],
            accepted_values={k: list(v) for k, v in (accepted_values or {}).items()},
            ranges={k: list(v) for k, v in (ranges or {}).items()},
            rows_per_write=list(rows_per_write) if rows_per_write else None,
            checks=list(checks),
            on_failure=on_failure,
        )
        lake = self.lakehouse
        tid = lake.resolve(table)
        self.require("quality", tid, "set_quality")
        loaded = lake.load(tid)
        known = {f.name for f in loaded.schema().fields}
        unknown = sorted(rules.columns() - known)
        if unknown:
            raise UsageError(f"table {table} has no column {', '.join(unknown)}")
        try:  # checks are SQL every later write runs: only row expressions (``quality_sql``)
            validate(rules.checks, known, f"{tid[0]}.{tid[1]}")
        except LakehouseError as err:
            self.record("refusal", table=table, rule="quality-check", operation="set_quality",
                        reason=err.message)  # fmt: skip
            raise
        condition = " AND ".join(f"({c})" for c in rules.checks) or None
        self.services.authorizer.require_clear(
            tid, "set_quality", condition=condition, columns=sorted(rules.columns())
        )
        with quiet_pyiceberg():
            loaded.transaction().set_properties({PROPERTY: rules.to_json()}).commit_transaction()
        lake.refresh(self.services.engine.con)
        self.record("maintenance", table=table, action="set quality", rules=rules.to_json())
        return rules

    def quality(self, table: str) -> QualityRules:
        """The quality checks declared on ``table``."""
        from neurolake_lab.lakehouse.quality import QualityRules

        _, meta = self.lakehouse.metadata(table)
        return QualityRules.from_properties(dict(meta.properties))

    def layout(self, table: str) -> LayoutSuggestion | None:
        """The partitioning/sort order the table's recorded access patterns call for, if any."""
        return self.lakehouse.layout(table)

    def apply_layout(self, table: str) -> WriteOutcome:
        """Apply the suggested layout: new partitioning/sort order, files rewritten to match."""
        self.require("maintain", self.lakehouse.resolve(table), "apply_layout")
        suggestion = self.layout(table)
        if suggestion is None:
            raise UsageError(f"no layout change is suggested for {table}")
        outcome = self.services.lakehouse.apply_layout(table, suggestion, self.write_context())
        self.record("maintenance", table=outcome.table, action="apply layout",
                    partition_by=suggestion.partition_by, sort_by=suggestion.sort_by)  # fmt: skip
        return outcome

    def snapshots(self, table: str) -> QueryResult:
        """The snapshots of an Iceberg table, newest first: id, time, operation, rows, who, cell."""
        import pyarrow as pa

        from neurolake_lab.compliance.redact import redact

        history = self.lakehouse.snapshots(table)
        i = history.schema.get_field_index("sql")
        shown = pa.array(
            [redact(s) if s else s for s in history.column(i).to_pylist()], pa.string()
        )
        # written before SQL was stored redacted: shown redacted all the same
        history = history.set_column(i, history.schema.field(i), shown)
        return query_result(history, f"-- snapshots of {table}", "SNAPSHOTS")

    def rollback(self, table: str, snapshot_id: int) -> WriteOutcome:
        """Make ``snapshot_id`` the current snapshot of ``table`` again (as ``%rollback``)."""
        lake = self.lakehouse
        self.require("rollback", lake.resolve(table), "rollback")
        outcome = lake.rollback(table, int(snapshot_id), self.write_context())
        self.record("write", table=outcome.table, operation="rollback", snapshot_id=snapshot_id)
        return outcome


def _to_arrow(data: Any) -> pa.Table:
    """pandas, Polars, Arrow or anything with the Arrow C stream interface, as a ``pa.Table``."""
    import pyarrow as pa

    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    if type(data).__module__.split(".")[0] == "pandas":
        return pa.Table.from_pandas(data, preserve_index=False)
    if hasattr(data, "to_arrow") and callable(data.to_arrow):  # Polars, QueryResult-likes
        arrow = data.to_arrow()
        return arrow if isinstance(arrow, pa.Table) else pa.table(arrow)
    if hasattr(data, "__arrow_c_stream__"):
        return pa.table(data)
    raise UsageError(f"cannot write a {type(data).__name__}: pass a pandas, Polars or Arrow table")


def _table_id(lake: Lakehouse, name: str) -> tuple[str, str]:
    """``namespace.table`` (or an existing table's unambiguous bare name) as a table id."""
    from neurolake_lab.lakehouse.lakehouse import _split_name

    parts = _split_name(name)
    if len(parts) == 2 and all(parts):
        return parts[0], parts[1]
    if len(parts) == 1:
        tid = lake.resolve_bare(parts[0])
        if tid is not None:
            return tid
    raise UsageError(f"name the table as namespace.table, e.g. 'sales.{parts[-1] or 'orders'}'")


def query_result(table: pa.Table, sql: str, kind: str, elapsed: float | None = None) -> QueryResult:
    """A ``QueryResult`` for a table NeuroLake made itself (a listing, a history)."""
    from neurolake_lab.result import QueryResult

    timings = {"execute_ms": elapsed, "total_ms": elapsed} if elapsed is not None else {}
    return QueryResult(table, sql=sql, statement_type=kind, timings=timings)


def _table_listing(local: pa.Table, lake: Lakehouse) -> pa.Table:
    """The session's own tables (not the lakehouse's views) followed by the Iceberg tables."""
    import pyarrow as pa

    rows = [
        {**row, "description": None}
        for row in local.to_pylist()
        if (row["schema"], row["name"]) not in lake.pointers
        and not lake.is_alias(row["schema"], row["name"])
        and not row["name"].startswith("__nl_")  # the policy's own temp tables (masking salt)
    ]
    for info in lake.describe():
        rows.append(
            {k: info[k] for k in ("schema", "name", "kind", "columns", "rows", "description")}
        )
    fields: list[pa.Field[Any]] = [
        pa.field("schema", pa.string()), pa.field("name", pa.string()),
        pa.field("kind", pa.string()), pa.field("columns", pa.int64()),
        pa.field("rows", pa.int64()), pa.field("description", pa.string()),
    ]  # fmt: skip
    schema = pa.schema(fields)
    return pa.Table.from_pylist(rows, schema=schema)

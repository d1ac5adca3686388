"""The write path of one Iceberg table (the seed's ``NeuroLakeTable.write``).

Every write — SQL or ``Session.write`` — goes the same way: the incoming Arrow data is conformed to
the table's schema, (1) checked against the table's quality rules (refused, or bad rows
quarantined), (2) handed to the compliance hooks, (3) sorted by the table's sort order (a layout
suggestion from recorded access patterns is offered, never applied unasked), and (4) committed as
one Iceberg snapshot whose summary carries the lineage: the SQL, the source tables at their
snapshot ids, the user and the notebook cell.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyarrow as pa

from neurolake_lab import progress
from neurolake_lab.exceptions import LakehouseError, QualityError, QueryError
from neurolake_lab.lakehouse.arrow_types import to_iceberg_arrow
from neurolake_lab.lakehouse.commit import commit_with_retries
from neurolake_lab.lakehouse.naming import display_name, quote_ident, scan_sql
from neurolake_lab.lakehouse.quality import QualityRules
from neurolake_lab.lakehouse.quarantine import SUFFIX as QUARANTINE_SUFFIX
from neurolake_lab.lakehouse.statements import TableId
from neurolake_lab.lakehouse.write_context import MAX_SUMMARY_SQL as MAX_SUMMARY_SQL
from neurolake_lab.lakehouse.write_context import OWNER_PROPERTY as OWNER_PROPERTY
from neurolake_lab.lakehouse.write_context import WriteContext as WriteContext
from neurolake_lab.lakehouse.write_context import WriteHook as WriteHook
from neurolake_lab.lakehouse.write_context import WriteOutcome as WriteOutcome

if TYPE_CHECKING:
    import duckdb
    from pyiceberg.catalog import Catalog
    from pyiceberg.table import Table, Transaction
    from pyiceberg.table.snapshots import Snapshot
    from sqlglot import exp

#: Properties every new table gets (a user's own properties win).
DEFAULT_PROPERTIES = {
    "format-version": "2",
    # several kernels commit to one table: let pyiceberg retry a lost race a few more times
    "commit.retry.num-retries": "8",
    "commit.retry.min-wait-ms": "20",
    "commit.retry.max-wait-ms": "2000",
}


@contextmanager
def quiet_pyiceberg() -> Iterator[None]:
    """Pyiceberg warns about things that are normal for us (a delete that matched nothing)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*did not match any records.*")
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="pyiceberg.*")
        yield


def target_schema(table: Table) -> pa.Schema:
    """The Arrow schema that data written to ``table`` must have."""
    from pyiceberg.io.pyarrow import schema_to_pyarrow

    schema: pa.Schema = schema_to_pyarrow(table.schema(), include_field_ids=False)
    return schema


def snapshot_counts(snapshot: Snapshot | None) -> tuple[int, int]:
    """``(rows added, rows removed)`` by a snapshot, from its summary."""
    if snapshot is None or snapshot.summary is None:
        return 0, 0
    props = snapshot.summary.additional_properties
    return int(props.get("added-records", 0)), int(props.get("deleted-records", 0))


class TableWriter:
    """Writes Arrow data to the workspace's Iceberg tables through the full write path."""

    def __init__(
        self,
        catalog: Callable[[], Catalog],
        con: Callable[[], duckdb.DuckDBPyConnection],
        hooks: Sequence[WriteHook] = (),
    ) -> None:
        self._catalog = catalog
        self._con = con
        self.hooks = list(hooks)

    @property
    def catalog(self) -> Catalog:
        """The pyiceberg catalog."""
        return self._catalog()

    def load(self, tid: TableId) -> Table:
        """The table at its current snapshot; an unknown table is a clear error."""
        from pyiceberg.exceptions import NoSuchTableError

        try:
            return self.catalog.load_table(tid)
        except NoSuchTableError:
            raise QueryError(
                f"there is no Iceberg table {display_name(tid)}", kind="unknown_table"
            ) from None

    def exists(self, tid: TableId) -> bool:
        """Whether ``tid`` is a table of the catalog."""
        return bool(self.catalog.table_exists(tid))

    def ensure_namespace(self, namespace: str) -> None:
        """Create ``namespace`` if it does not exist (two kernels may race; both succeed)."""
        from pyiceberg.exceptions import NamespaceAlreadyExistsError

        if self.catalog.namespace_exists(namespace):
            return
        with suppress(NamespaceAlreadyExistsError):
            self.catalog.create_namespace(namespace)

    # -- conforming data ------------------------------------------------------------------------

    def conform(
        self,
        data: pa.Table,
        target: pa.Schema,
        *,
        columns: Sequence[str] | None = None,
        by_name: bool = False,
        table_name: str,
    ) -> pa.Table:
        """``data`` as rows of a table with schema ``target``: columns matched, types cast.

        Columns match by position (as SQL's ``INSERT`` does), to the names in ``columns``, or by
        name (``BY NAME``, and ``Session.write``); target columns not given are NULL. Casts are
        DuckDB's, so a value that does not fit is one clear conversion error.
        """
        names = target.names
        if by_name:
            lower = {n.lower(): n for n in names}
            unknown = [c for c in data.column_names if c.lower() not in lower]
            if unknown:
                raise LakehouseError(
                    f"table {table_name} has no column {', '.join(map(repr, unknown))}",
                    hint=f"its columns are {', '.join(names)}; "
                    f"ALTER TABLE {table_name} ADD COLUMN ... adds one",
                )
            mapping = {lower[c.lower()]: i for i, c in enumerate(data.column_names)}
        else:
            wanted = list(columns) if columns is not None else names
            lower = {n.lower(): n for n in names}
            unknown = [c for c in wanted if c.lower() not in lower]
            if unknown:
                raise LakehouseError(
                    f"table {table_name} has no column {', '.join(map(repr, unknown))}",
                    hint=f"its columns are {', '.join(names)}",
                )
            if len(wanted) != data.num_columns:
                raise LakehouseError(
                    f"table {table_name} expects {len(wanted)} values per row "
                    f"({', '.join(wanted)}) but the query gives {data.num_columns}",
                    hint="name the columns: INSERT INTO t (a, b) ... or INSERT INTO t BY NAME ...",
                )
            mapping = {lower[w.lower()]: i for i, w in enumerate(wanted)}
        in_order = all(mapping.get(n) == i for i, n in enumerate(names))
        if in_order and _same_types(data.schema, target):
            return data.rename_columns(names).cast(target)
        import duckdb

        from neurolake_lab.engine.errors import to_query_error

        con = self._con()
        duck_types = con.from_arrow(target.empty_table()).types
        selects = []
        for name, dtype in zip(names, duck_types, strict=True):
            src = mapping.get(name)
            expr = f"CAST(c{src} AS {dtype})" if src is not None else f"NULL::{dtype}"
            selects.append(f"{expr} AS {quote_ident(name)}")
        sql = "SELECT " + ", ".join(selects) + " FROM __nl_conform"
        # the incoming columns get positional names: SQL sees no duplicates or odd characters
        con.register(
            "__nl_conform", data.rename_columns([f"c{i}" for i in range(data.num_columns)])
        )
        try:
            out = con.execute(sql).to_arrow_table()
        except duckdb.Error as exc:
            err = to_query_error(exc, sql)
            raise LakehouseError(f"cannot write to {table_name}: {err.message}") from None
        finally:
            con.unregister("__nl_conform")
        try:
            return out.cast(target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise LakehouseError(f"cannot write to {table_name}: {exc}") from None

    # -- the write path ------------------------------------------------------------------------

    def prepare(
        self,
        tid: TableId,
        table: Table,
        data: pa.Table,
        ctx: WriteContext,
        *,
        existing_sql: str | None = None,
        supplied: Collection[str] | None = None,
    ) -> Prepared:
        """Steps 1-3 of the write path: quality, compliance hooks, layout (sort order).

        ``existing_sql`` selects the rows the data joins (for unique keys); by default all of
        the table's current rows. ``supplied``: the columns whose values the write sets (all
        by default), for the quality rules of a writer the policy hides columns from.
        """
        prepared = self.checked(tid, table, data, ctx, existing_sql=existing_sql,
                                supplied=supplied)  # fmt: skip
        return self.finish(tid, table, prepared, ctx)

    def checked(
        self,
        tid: TableId,
        table: Table,
        data: pa.Table,
        ctx: WriteContext,
        *,
        existing_sql: str | None = None,
        supplied: Collection[str] | None = None,
    ) -> Prepared:
        """Step 1: the rows that pass the table's quality rules, and those that go to quarantine.

        Raises:
            QualityError: Rows break the rules and the table refuses them (nothing is written).
        """
        from neurolake_lab.lakehouse.quality_gate import evaluate, rules_for_writer
        from neurolake_lab.lakehouse.quality_sql import validate

        name = display_name(tid)
        prepared = Prepared(data)
        rules = QualityRules.from_properties(table.properties)
        if rules.empty:
            return prepared
        columns = [f.name for f in table.schema().fields]
        validate(rules.checks, columns, name)  # every check, also those this write skips
        rules = rules_for_writer(rules, data, hidden=ctx.hidden, supplied=supplied, table=name)
        existing = existing_sql
        if existing is None and table.current_snapshot() is not None:
            existing = f"SELECT * FROM {scan_sql(table.metadata_location)}"
        outcome = evaluate(self._con(), rules, data, columns=columns, table=name,
                           existing_sql=existing)  # fmt: skip
        if outcome.count_error:
            raise QualityError(
                f"write to {name} refused: {outcome.count_error}", violations={}, rows=None
            )
        if not outcome.bad.num_rows:
            return prepared
        summary = ", ".join(f"{k}: {v} rows" for k, v in outcome.violations.items())
        if (ctx.on_failure or rules.on_failure) != "quarantine":
            raise QualityError(
                f"write to {name} refused: {outcome.bad.num_rows} of {data.num_rows} rows "
                f"break its quality checks ({summary}); nothing was written",
                violations=outcome.violations,
                rows=outcome.bad.slice(0, 20),
            )
        prepared.data = outcome.good
        prepared.quarantine = outcome.bad
        prepared.notices.append(
            f"{outcome.bad.num_rows} rows broke the quality checks of {name} ({summary}) and "
            f"went to {name}{QUARANTINE_SUFFIX}"
        )
        return prepared

    def finish(self, tid: TableId, table: Table, prepared: Prepared, ctx: WriteContext) -> Prepared:
        """Steps 2-3: the compliance hooks (tags, encryption), then the table's sort order."""
        properties = dict(table.properties)
        field_ids = {f.name: f.field_id for f in table.schema().fields}
        for hook in self.hooks:
            prepared.data, props = hook(tid, prepared.data, ctx, properties, field_ids)
            prepared.properties.update(props)
            properties.update(props)
        prepared.data = _sort(prepared.data, table)
        return prepared

    def append(
        self,
        tid: TableId,
        data: pa.Table,
        ctx: WriteContext,
        *,
        overwrite: bool = False,
        columns: Sequence[str] | None = None,
        by_name: bool = False,
        operation: str | None = None,
    ) -> WriteOutcome:
        """Append ``data`` to ``tid`` (or replace its rows with ``overwrite``), as one commit."""
        name = display_name(tid)
        table = self.load(tid)
        if not by_name:  # matched by position: the incoming names do not matter
            data = data.rename_columns([f"c{i}" for i in range(data.num_columns)])
        data = self.conform(
            to_iceberg_arrow(data), target_schema(table), columns=columns, by_name=by_name,
            table_name=name,
        )  # fmt: skip
        with progress.bar(2, f"writing {name}", delay=progress.QUICK) as step:
            prepared = self.prepare(tid, table, data, ctx)
            step("data files and commit")
            outcome = self._append_prepared(tid, table, prepared, ctx, overwrite, operation)
            step(None)
        return outcome

    def _append_prepared(
        self,
        tid: TableId,
        table: Table,
        prepared: Prepared,
        ctx: WriteContext,
        overwrite: bool,
        operation: str | None,
    ) -> WriteOutcome:
        """Quarantine, write and commit what :meth:`prepare` made of an append's rows."""
        name = display_name(tid)
        op = operation or ("overwrite" if overwrite else "append")
        outcome = WriteOutcome(name, op, notices=prepared.notices)
        if prepared.quarantine is not None:
            outcome.quarantined = prepared.quarantine.num_rows
            self.quarantine(tid, prepared.quarantine, ctx)
        rows = prepared.data
        if rows.num_rows == 0 and not overwrite:
            outcome.snapshot_id = table.metadata.current_snapshot_id
            return outcome
        props = ctx.summary(op, rows_inserted=rows.num_rows)

        def commit(t: Table) -> Table:
            with quiet_pyiceberg():
                tx = t.transaction()
                if prepared.properties:  # e.g. PII tags of new columns: in the same commit
                    tx.set_properties(prepared.properties)
                if overwrite:
                    tx.overwrite(rows, snapshot_properties=props)
                else:
                    tx.append(rows, snapshot_properties=props)
                return tx.commit_transaction()

        done = commit_with_retries(lambda: self.load(tid), commit, what=f"{op} {name}")
        return _finish(outcome, done)

    def create(
        self,
        tid: TableId,
        data: pa.Table,
        ctx: WriteContext,
        *,
        partition_by: Sequence[exp.Expr] = (),
        sort_by: Sequence[exp.Ordered] = (),
        properties: Mapping[str, str] | None = None,
        docs: Mapping[str, str] | None = None,
        replace: bool = False,
        if_not_exists: bool = False,
        operation: str = "create table",
        owner: str | None = None,
    ) -> WriteOutcome:
        """Create ``tid`` holding ``data`` as one commit (schema, layout and rows together).

        ``replace`` swaps the schema, layout and rows of an existing table in one commit, so the
        table's history (and time travel to before the replace) is kept. ``owner`` is who the
        table belongs to (by default the writer).
        """
        from pyiceberg.exceptions import TableAlreadyExistsError

        from neurolake_lab.lakehouse.partitioning import apply_partitioning, apply_sort_order

        name = display_name(tid)
        data = to_iceberg_arrow(data, docs)
        props = {**DEFAULT_PROPERTIES, **(properties or {}), OWNER_PROPERTY: owner or ctx.user}
        self.ensure_namespace(tid[0])
        if self.exists(tid):
            if if_not_exists:
                table = self.load(tid)
                return WriteOutcome(name, "none", snapshot_id=table.metadata.current_snapshot_id)
            if not replace:
                raise LakehouseError(
                    f"table {name} already exists",
                    hint="CREATE OR REPLACE TABLE replaces it (its history is kept); "
                    "INSERT INTO adds rows",
                )
            return self._replace(tid, data, ctx, partition_by, sort_by, props, operation)
        summary = ctx.summary(operation, rows_inserted=data.num_rows)
        try:
            with (
                quiet_pyiceberg(),
                progress.bar(1, f"writing {name}", delay=progress.QUICK) as step,
            ):
                tx = self.catalog.create_table_transaction(
                    tid, schema=data.schema, properties=props
                )
                apply_partitioning(tx, list(partition_by))
                apply_sort_order(tx, list(sort_by))
                prepared = self._prepare_in(tx, tid, data, ctx)
                if prepared.properties:
                    tx.set_properties(prepared.properties)
                if prepared.data.num_rows:
                    tx.append(prepared.data, snapshot_properties=summary)
                table = tx.commit_transaction()
                step(None)
        except TableAlreadyExistsError:
            raise LakehouseError(
                f"table {name} was created by another session at the same moment",
                hint="CREATE OR REPLACE TABLE replaces it",
            ) from None
        outcome = WriteOutcome(name, operation, notices=prepared.notices)
        if prepared.quarantine is not None:
            outcome.quarantined = prepared.quarantine.num_rows
            self.quarantine(tid, prepared.quarantine, ctx)
        return _finish(outcome, table)

    def _prepare_in(
        self, tx: Transaction, tid: TableId, data: pa.Table, ctx: WriteContext
    ) -> Prepared:
        """``prepare`` for a table that exists only inside transaction ``tx``."""
        from pyiceberg.table import StaticTable

        staged = StaticTable(
            identifier=tid,
            metadata=tx.table_metadata,
            metadata_location="",
            io=tx._table.io,
            catalog=tx._table.catalog,
        )
        return self.prepare(tid, staged, data, ctx)

    def _replace(
        self,
        tid: TableId,
        data: pa.Table,
        ctx: WriteContext,
        partition_by: Sequence[exp.Expr],
        sort_by: Sequence[exp.Ordered],
        props: Mapping[str, str],
        operation: str,
    ) -> WriteOutcome:
        from neurolake_lab.lakehouse.partitioning import replace_layout
        from neurolake_lab.lakehouse.schema_change import replace_schema

        name = display_name(tid)
        summary = ctx.summary(f"{operation} (replace)", rows_inserted=data.num_rows)
        notices: list[str] = []
        quarantined: list[pa.Table] = []

        def commit(t: Table) -> Table:
            with quiet_pyiceberg():
                tx = t.transaction()
                replace_schema(tx, data.schema)
                replace_layout(tx, list(partition_by), list(sort_by))
                # a replaced table keeps its creator
                owner = t.properties.get(OWNER_PROPERTY)
                tx.set_properties({**props, **({OWNER_PROPERTY: owner} if owner else {})})
                prepared = self._prepare_in(tx, tid, data, ctx)
                if prepared.properties:
                    tx.set_properties(prepared.properties)
                notices[:] = prepared.notices
                quarantined[:] = [prepared.quarantine] if prepared.quarantine is not None else []
                tx.overwrite(prepared.data, snapshot_properties=summary)
                return tx.commit_transaction()

        table = commit_with_retries(lambda: self.load(tid), commit, what=f"replace {name}")
        outcome = WriteOutcome(name, f"{operation} (replace)", notices=notices)
        if quarantined:
            outcome.quarantined = quarantined[0].num_rows
            self.quarantine(tid, quarantined[0], ctx)
        return _finish(outcome, table)

    def quarantine(self, tid: TableId, bad: pa.Table, ctx: WriteContext) -> None:
        """Keep rows that broke the quality checks in ``<table>__quarantine`` (``quarantine``)."""
        from neurolake_lab.lakehouse.quarantine import keep

        keep(self, tid, bad, ctx)


@dataclass
class Prepared:
    """Data ready to commit, and what the write path did to it on the way."""

    data: pa.Table
    quarantine: pa.Table | None = None
    notices: list[str] = field(default_factory=list)
    #: table properties the compliance hooks set with this commit
    properties: dict[str, str] = field(default_factory=dict)


def _finish(outcome: WriteOutcome, table: Table) -> WriteOutcome:
    snap = table.current_snapshot()
    outcome.snapshot_id = snap.snapshot_id if snap else None
    added, removed = snapshot_counts(snap)
    outcome.rows_added, outcome.rows_removed = added, removed
    return outcome


def _same_types(actual: pa.Schema, target: pa.Schema) -> bool:
    """Same types in the same order (names, nullability and metadata aside)."""
    if len(actual) != len(target):
        return False
    return all(a.type.equals(t.type) for a, t in zip(actual, target, strict=True))


def _sort(data: pa.Table, table: Table) -> pa.Table:
    """``data`` sorted by the table's sort order, so files are written in that order."""
    order = table.sort_order()
    if not order.fields or data.num_rows < 2:
        return data
    schema = table.schema()
    keys: list[tuple[str, str, str]] = []
    for f in order.fields:
        col = schema.find_column_name(f.source_id)
        if col is None or col not in data.column_names:
            continue
        desc = str(f.direction).lower().endswith("desc")
        first = "first" in str(f.null_order).lower()
        keys.append(
            (str(col), "descending" if desc else "ascending", "at_start" if first else "at_end")
        )
    # (column, order, null placement) keys: pyarrow 25+ wants null placement per key
    return data.sort_by(keys) if keys else data  # type: ignore[arg-type]

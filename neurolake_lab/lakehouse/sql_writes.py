"""Run the SQL statements that change the lakehouse, each as one Iceberg commit.

DuckDB evaluates every query part (the body of a CTAS or INSERT, the new values of an UPDATE),
so the SQL means exactly what it means in DuckDB; pyiceberg commits the result. DELETE and UPDATE
whose ``WHERE`` translates to an Iceberg filter rewrite only the files that can hold matching rows
(copy-on-write); any other predicate (subqueries, ``UPDATE ... FROM``) rewrites the table through a
DuckDB copy, which is slower but means the same.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import pyarrow as pa
import sqlglot
from sqlglot import exp

from neurolake_lab.exceptions import LakehouseError, QueryError
from neurolake_lab.lakehouse.keys import check_key_properties
from neurolake_lab.lakehouse.naming import display_name, quote_ident
from neurolake_lab.lakehouse.quality import PROPERTY as QUALITY_PROPERTY
from neurolake_lab.lakehouse.quality import QualityRules
from neurolake_lab.lakehouse.quality_sql import validate
from neurolake_lab.lakehouse.staging import params_for as _params_for
from neurolake_lab.lakehouse.statements import LakeStatement, TableId, alter_properties
from neurolake_lab.lakehouse.tables import (
    TableWriter,
    WriteContext,
    WriteOutcome,
    quiet_pyiceberg,
)

if TYPE_CHECKING:
    from pyiceberg.table import Table

    from neurolake_lab.engine import DuckDBEngine
    from neurolake_lab.engine.duckdb_engine import Lookup, Params


class SqlWriter:
    """Carries out one :class:`LakeStatement` against the catalog."""

    def __init__(
        self,
        engine: DuckDBEngine,
        writer: TableWriter,
        resolve: Callable[[str | None, str], TableId | None],
        snapshot_of: Callable[[TableId], int | None],
    ) -> None:
        self.engine = engine
        self.writer = writer
        self._resolve = resolve
        self._snapshot_of = snapshot_of

    def run(
        self, stmt: LakeStatement, params: Params, lookup: Lookup | None, ctx: WriteContext
    ) -> WriteOutcome:
        """Carry out ``stmt``; ``params`` are the statement's bound parameters."""
        handler: Callable[[LakeStatement, Params, Lookup | None, WriteContext], WriteOutcome] = (
            getattr(self, f"_{stmt.kind}")
        )
        return handler(stmt, params, lookup, ctx)

    # -- helpers -------------------------------------------------------------------------------

    def _query(self, sql: str, params: Params, lookup: Lookup | None) -> pa.Table:
        """Run a query part in DuckDB and return its rows."""
        sub = _params_for(self.engine, sql, params)
        result = self.engine.run(sql, sub, lookup, statement_type="SELECT").table
        return result if result is not None else pa.table({})

    def sources(self, sql: str) -> dict[str, int | None]:
        """The Iceberg tables ``sql`` reads, with the snapshot each is read at."""
        try:
            tree = sqlglot.parse_one(sql, read="duckdb")
        except sqlglot.errors.ParseError:
            return {}
        ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
        found: dict[str, int | None] = {}
        for table in tree.find_all(exp.Table):
            if not table.name or (not table.db and table.name in ctes):
                continue
            tid = self._resolve(table.db or None, table.name)
            if tid is not None:
                found[display_name(tid)] = self._snapshot_of(tid)
        return found

    def _with_sources(self, ctx: WriteContext, body: str | None) -> WriteContext:
        if body:
            ctx.sources = {**ctx.sources, **self.sources(body)}
        return ctx

    # -- namespaces ----------------------------------------------------------------------------

    def _create_schema(
        self, stmt: LakeStatement, params: Params, lookup: Lookup | None, ctx: WriteContext
    ) -> WriteOutcome:
        from pyiceberg.exceptions import NamespaceAlreadyExistsError

        assert stmt.namespace is not None
        try:
            self.writer.catalog.create_namespace(stmt.namespace)
        except NamespaceAlreadyExistsError:
            if not stmt.if_not_exists:
                raise LakehouseError(
                    f"namespace {stmt.namespace} already exists",
                    hint="CREATE SCHEMA IF NOT EXISTS ... does nothing when it exists",
                ) from None
        return WriteOutcome(stmt.namespace, "create namespace")

    def _drop_schema(
        self, stmt: LakeStatement, params: Params, lookup: Lookup | None, ctx: WriteContext
    ) -> WriteOutcome:
        from pyiceberg.exceptions import NoSuchNamespaceError

        ns = stmt.namespace
        assert ns is not None
        catalog = self.writer.catalog
        try:
            tables = catalog.list_tables(ns)
        except NoSuchNamespaceError:
            if stmt.if_exists:
                return WriteOutcome(ns, "none")
            raise LakehouseError(f"there is no namespace {ns}") from None
        if tables and not stmt.replace:
            names = ", ".join(".".join(t) for t in tables[:5])
            raise LakehouseError(
                f"namespace {ns} still holds {len(tables)} tables ({names})",
                hint=f"DROP SCHEMA {ns} CASCADE drops them too",
            )
        for ident in tables:
            with quiet_pyiceberg():
                catalog.purge_table(ident)
        catalog.drop_namespace(ns)
        return WriteOutcome(ns, "drop namespace", rows_removed=0)

    # -- tables --------------------------------------------------------------------------------

    def _create_table(
        self, stmt: LakeStatement, params: Params, lookup: Lookup | None, ctx: WriteContext
    ) -> WriteOutcome:
        assert stmt.table is not None and isinstance(stmt.ast, exp.Create)
        schema_node = stmt.ast.this
        if not isinstance(schema_node, exp.Schema):
            raise QueryError("CREATE TABLE needs columns or AS SELECT", kind="syntax")
        selects, rules = [], QualityRules()
        for col in schema_node.expressions:
            if not isinstance(col, exp.ColumnDef):
                _table_constraint(col, rules)
                continue
            kind = col.args.get("kind")
            if kind is None:
                raise QueryError(f"column {col.name} needs a type", kind="syntax")
            selects.append(f"CAST(NULL AS {kind.sql('duckdb')}) AS {quote_ident(col.name)}")
            _column_constraints(col, rules)
        empty = self._query("SELECT " + ", ".join(selects) + " LIMIT 0", None, None)
        props = dict(stmt.properties)
        if not rules.empty:
            props[QUALITY_PROPERTY] = _merge_rules(props.get(QUALITY_PROPERTY), rules).to_json()
        return self.writer.create(
            stmt.table, empty, ctx, partition_by=stmt.partition_by, sort_by=stmt.sort_by,
            properties=props, replace=stmt.replace, if_not_exists=stmt.if_not_exists,
        )  # fmt: skip

    def _ctas(
        self, stmt: LakeStatement, params: Params, lookup: Lookup | None, ctx: WriteContext
    ) -> WriteOutcome:
        assert stmt.table is not None and stmt.body is not None
        if stmt.if_not_exists and self.writer.exists(stmt.table):
            return self.writer.create(stmt.table, pa.table({}), ctx, if_not_exists=True)
        data = self._query(stmt.body, params, lookup)
        return self.writer.create(
            stmt.table, data, self._with_sources(ctx, stmt.body), partition_by=stmt.partition_by,
            sort_by=stmt.sort_by, properties=stmt.properties, replace=stmt.replace,
            operation="create table as",
        )  # fmt: skip

    def _insert(
        self, stmt: LakeStatement, params: Params, lookup: Lookup | None, ctx: WriteContext
    ) -> WriteOutcome:
        assert stmt.table is not None and stmt.body is not None
        data = self._query(stmt.body, params, lookup)
        return self.writer.append(
            stmt.table, data, self._with_sources(ctx, stmt.body), overwrite=stmt.overwrite,
            columns=stmt.columns, by_name=stmt.by_name,
            operation="insert overwrite" if stmt.overwrite else "insert",
        )  # fmt: skip

    def _merge(
        self, stmt: LakeStatement, params: Params, lookup: Lookup | None, ctx: WriteContext
    ) -> WriteOutcome:
        from neurolake_lab.lakehouse.merge import MergeWriter

        assert stmt.table is not None
        ctx = self._with_sources(ctx, stmt.text)
        ctx.sources.pop(display_name(stmt.table), None)
        return MergeWriter(self.engine, self.writer, self._query).run(stmt, params, lookup, ctx)

    def _drop_table(
        self, stmt: LakeStatement, params: Params, lookup: Lookup | None, ctx: WriteContext
    ) -> WriteOutcome:
        from pyiceberg.exceptions import NoSuchTableError

        assert stmt.table is not None
        name = display_name(stmt.table)
        try:
            with quiet_pyiceberg():
                self.writer.catalog.purge_table(stmt.table)
        except NoSuchTableError:
            if not stmt.if_exists:
                raise QueryError(
                    f"there is no Iceberg table {name}", kind="unknown_table"
                ) from None
            return WriteOutcome(name, "none")
        return WriteOutcome(name, "drop table")

    def _comment(
        self, stmt: LakeStatement, params: Params, lookup: Lookup | None, ctx: WriteContext
    ) -> WriteOutcome:
        assert stmt.table is not None and isinstance(stmt.ast, exp.Comment)
        text = stmt.ast.expression.name if stmt.ast.expression is not None else ""
        table = self.writer.load(stmt.table)
        kind = str(stmt.ast.args.get("kind") or "").upper()
        with quiet_pyiceberg():
            if kind == "COLUMN":
                column = stmt.ast.this.name
                _require_column(table, column, display_name(stmt.table))
                with table.update_schema() as update:
                    update.update_column(_column_path(table, column), doc=text)
            else:
                table.transaction().set_properties(comment=text).commit_transaction()
        return WriteOutcome(display_name(stmt.table), "comment")

    def _write_ordered(
        self, stmt: LakeStatement, params: Params, lookup: Lookup | None, ctx: WriteContext
    ) -> WriteOutcome:
        from neurolake_lab.lakehouse.partitioning import apply_sort_order

        assert stmt.table is not None
        table = self.writer.load(stmt.table)
        with quiet_pyiceberg():
            tx = table.transaction()
            apply_sort_order(tx, stmt.sort_by)
            tx.commit_transaction()
        return WriteOutcome(display_name(stmt.table), "set sort order")

    # -- row changes ---------------------------------------------------------------------------

    def _delete(
        self, stmt: LakeStatement, params: Params, lookup: Lookup | None, ctx: WriteContext
    ) -> WriteOutcome:
        return self._change_rows(stmt, params, lookup, ctx)

    def _update(
        self, stmt: LakeStatement, params: Params, lookup: Lookup | None, ctx: WriteContext
    ) -> WriteOutcome:
        return self._change_rows(stmt, params, lookup, ctx)

    def _change_rows(
        self, stmt: LakeStatement, params: Params, lookup: Lookup | None, ctx: WriteContext
    ) -> WriteOutcome:
        from neurolake_lab.lakehouse.row_changes import RowChanges

        assert stmt.table is not None
        ctx = self._with_sources(ctx, stmt.text)
        ctx.sources.pop(display_name(stmt.table), None)
        return RowChanges(self.engine, self.writer).run(stmt, params, lookup, ctx)

    # -- schema changes ------------------------------------------------------------------------

    def _alter(
        self, stmt: LakeStatement, params: Params, lookup: Lookup | None, ctx: WriteContext
    ) -> WriteOutcome:
        assert stmt.table is not None and isinstance(stmt.ast, exp.Alter)
        name = display_name(stmt.table)
        table = self.writer.load(stmt.table)
        actions = stmt.ast.args.get("actions") or []
        described: list[str] = []
        try:
            with quiet_pyiceberg():
                for action in actions:
                    described.append(self._alter_one(stmt.table, table, action))
                    table = self.writer.load(stmt.table) if described[-1] != "rename" else table
        except LakehouseError:
            raise
        except QueryError:
            raise
        except Exception as exc:  # pyiceberg's ValidationError/ValueError name the problem
            raise LakehouseError(f"cannot alter {name}: {exc}") from None
        return WriteOutcome(name, "alter table: " + ", ".join(described))

    def _alter_one(self, tid: TableId, table: Table, action: exp.Expr) -> str:
        name = display_name(tid)
        if isinstance(action, exp.ColumnDef):
            kind = action.args.get("kind")
            if kind is None:
                raise QueryError(f"ADD COLUMN {action.name} needs a type", kind="syntax")
            if action.name in {f.name for f in table.schema().fields}:
                if action.args.get("exists"):
                    return "none"
                raise LakehouseError(f"table {name} already has a column {action.name}")
            arrow_type = self._arrow_type(kind.sql("duckdb"))
            with table.update_schema() as update:
                update.union_by_name(pa.schema([pa.field(action.name, arrow_type)]))
            return f"add column {action.name}"
        if isinstance(action, exp.RenameColumn):
            old, new = action.this.name, action.args["to"].name
            _require_column(table, old, name)
            with table.update_schema() as update:
                update.rename_column(_column_path(table, old), new)
            _rename_in_rules(table, old, new)
            return f"rename column {old} to {new}"
        if isinstance(action, exp.Drop):
            dropped = []
            for col in action.args.get("tables") or action.expressions or [action.this]:
                col_name = col.name
                if col_name not in {f.name for f in table.schema().fields}:
                    if action.args.get("exists"):
                        continue
                    _require_column(table, col_name, name)
                if _is_partition_source(table, col_name):
                    raise LakehouseError(
                        f"column {col_name} of {name} partitions the table; it cannot be dropped"
                    )
                with table.update_schema() as update:
                    update.delete_column(_column_path(table, col_name))
                dropped.append(col_name)
            return "drop column " + ", ".join(dropped) if dropped else "none"
        if isinstance(action, exp.AlterColumn):
            col_name = action.this.name
            _require_column(table, col_name, name)
            if action.args.get("dtype") is not None:
                arrow_type = self._arrow_type(action.args["dtype"].sql("duckdb"))
                from pyiceberg.catalog import Catalog

                iceberg = Catalog._convert_schema_if_needed(pa.schema([pa.field("x", arrow_type)]))
                with table.update_schema() as update:
                    update.update_column(
                        _column_path(table, col_name), field_type=iceberg.fields[0].field_type
                    )
                return f"set type of {col_name}"
            if "allow_null" in action.args:
                return self._set_not_null(tid, table, col_name, not action.args["allow_null"])
            if action.args.get("comment") is not None:
                with table.update_schema() as update:
                    update.update_column(
                        _column_path(table, col_name), doc=action.args["comment"].name
                    )
                return f"comment on {col_name}"
        if isinstance(action, exp.AlterRename):
            new = action.this
            target = (new.db or tid[0], new.name)
            self.writer.catalog.rename_table(tid, target)
            return "rename"
        if isinstance(action, exp.AlterSet):
            props = alter_properties(action)
            if not props:
                raise QueryError(
                    f"cannot read the properties in {action.sql('duckdb')}", kind="syntax"
                )
            columns = {f.name for f in table.schema().fields}
            check_key_properties(name, props, columns, self._columns_of)
            if QUALITY_PROPERTY in props:  # checks are SQL the next writes run: refused now
                validate(QualityRules.from_properties(props).checks, columns, name)
            table.transaction().set_properties(props).commit_transaction()
            return "set properties " + ", ".join(sorted(props))
        raise LakehouseError(
            f"ALTER TABLE ... {action.sql('duckdb')} is not supported on Iceberg tables",
            hint="supported: ADD/RENAME/DROP COLUMN, ALTER COLUMN ... TYPE / SET|DROP NOT NULL, "
            "RENAME TO, SET TBLPROPERTIES, WRITE ORDERED BY",
        )

    def _columns_of(self, table: str) -> set[str] | None:
        """The columns of the Iceberg table ``ns.name`` (None when there is none)."""
        ns, _, name = table.rpartition(".")
        try:
            return {f.name for f in self.writer.load((ns, name)).schema().fields}
        except QueryError:
            return None

    def _set_not_null(self, tid: TableId, table: Table, column: str, required: bool) -> str:
        rules = QualityRules.from_properties(table.properties)
        if required:
            from neurolake_lab.lakehouse.naming import scan_sql

            if table.current_snapshot() is not None:
                nulls = self.engine.con.execute(
                    f"SELECT count(*) FROM {scan_sql(table.metadata_location)} "
                    f"WHERE {quote_ident(column)} IS NULL"
                ).fetchone()
                if nulls and nulls[0]:
                    raise LakehouseError(
                        f"column {column} of {display_name(tid)} has {nulls[0]} NULL values; "
                        "fill them before making it NOT NULL"
                    )
            if column not in rules.not_null:
                rules.not_null.append(column)
        else:
            rules.not_null = [c for c in rules.not_null if c != column]
        table.transaction().set_properties({QUALITY_PROPERTY: rules.to_json()}).commit_transaction()
        return f"{'set' if required else 'drop'} not null on {column}"

    def _arrow_type(self, duck_type: str) -> pa.DataType:
        from neurolake_lab.lakehouse.arrow_types import iceberg_compatible_type

        probe = self._query(f"SELECT CAST(NULL AS {duck_type}) AS x LIMIT 0", None, None)
        return iceberg_compatible_type(probe.schema.field("x").type, "x")


def _require_column(table: Table, column: str, name: str) -> None:
    names = [f.name for f in table.schema().fields]
    if column not in names and column.lower() not in {n.lower() for n in names}:
        import difflib

        close = difflib.get_close_matches(column, names, n=1)
        raise QueryError(
            f"table {name} has no column {column}",
            kind="unknown_column",
            hint=f'Did you mean "{close[0]}"?' if close else f"its columns: {', '.join(names)}",
        )


def _column_path(table: Table, column: str) -> str:
    """The column's name as the schema spells it (SQL names are case-insensitive)."""
    names: list[str] = [f.name for f in table.schema().fields]
    if column in names:
        return column
    return next((n for n in names if n.lower() == column.lower()), column)


def _is_partition_source(table: Table, column: str) -> bool:
    field = table.schema().find_field(_column_path(table, column))
    return any(f.source_id == field.field_id for f in table.spec().fields)


def _rename_in_rules(table: Table, old: str, new: str) -> None:
    """Quality rules name columns: follow a rename so they keep checking the same column."""
    rules = QualityRules.from_properties(table.properties)
    if rules.empty or old not in rules.columns():
        return

    def swap(cols: Sequence[str]) -> list[str]:
        return [new if c == old else c for c in cols]

    rules.not_null = swap(rules.not_null)
    rules.unique = [swap(k) for k in rules.unique]
    rules.accepted_values = {(new if k == old else k): v for k, v in rules.accepted_values.items()}
    rules.ranges = {(new if k == old else k): v for k, v in rules.ranges.items()}
    with quiet_pyiceberg():
        table.transaction().set_properties({QUALITY_PROPERTY: rules.to_json()}).commit_transaction()


def _column_constraints(col: exp.ColumnDef, rules: QualityRules) -> None:
    """NOT NULL, PRIMARY KEY, UNIQUE and CHECK on a column become quality rules."""
    for constraint in col.args.get("constraints") or []:
        kind = constraint.args.get("kind")
        if isinstance(kind, exp.NotNullColumnConstraint) and not kind.args.get("allow_null"):
            rules.not_null.append(col.name)
        elif isinstance(kind, exp.PrimaryKeyColumnConstraint):
            rules.not_null.append(col.name)
            rules.unique.append([col.name])
        elif isinstance(kind, exp.UniqueColumnConstraint):
            rules.unique.append([col.name])
        elif isinstance(kind, exp.CheckColumnConstraint):
            rules.checks.append(kind.this.sql("duckdb"))


def _table_constraint(node: exp.Expr, rules: QualityRules) -> None:
    """``PRIMARY KEY (a, b)``, ``UNIQUE (a)`` and ``CHECK (...)`` at table level."""
    if isinstance(node, exp.PrimaryKey):
        cols = [e.name for e in node.expressions]
        rules.not_null.extend(cols)
        rules.unique.append(cols)
    elif isinstance(node, exp.UniqueColumnConstraint):
        target = node.this
        cols = [e.name for e in target.expressions] if isinstance(target, exp.Schema) else []
        if cols:
            rules.unique.append(cols)
    elif isinstance(node, exp.CheckColumnConstraint):
        rules.checks.append(node.this.sql("duckdb"))
    elif isinstance(node, exp.Constraint):
        for inner in node.expressions:
            _table_constraint(inner, rules)
    else:
        raise QueryError(
            f"table constraint {node.sql('duckdb')} is not supported on Iceberg tables",
            kind="syntax",
        )


def _merge_rules(text: str | None, extra: QualityRules) -> QualityRules:
    rules = QualityRules.from_properties({QUALITY_PROPERTY: text} if text else {})
    rules.not_null = sorted(set(rules.not_null) | set(extra.not_null))
    rules.unique = rules.unique + [k for k in extra.unique if k not in rules.unique]
    rules.checks = rules.checks + [c for c in extra.checks if c not in rules.checks]
    return rules

"""``UPDATE`` and ``DELETE`` on an Iceberg table: copy-on-write of the files they touch, one commit.

The files that may hold rows the statement changes are found with an Iceberg filter made of the
parts of its ``WHERE`` that translate (``predicates.to_scope``; a governed statement's WHERE is
inside the query over its governed rows, and only its unmasked columns prune). Their rows are
staged in DuckDB (``staging.TARGET``, and a copy of them as read), the statement runs there —
so it means exactly what it means in DuckDB — and the result replaces those files.

An UPDATE's new rows go through the write path. Only the rows it matched are judged by the
table's quality rules (``RETURNING *`` gives their new versions), against every other row of the
table; when some break a rule and the table quarantines, those rows keep their old version in
the table and the rejected new versions go to ``<table>__quarantine``: no row is lost.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from sqlglot import exp

from neurolake_lab.lakehouse.naming import display_name, quote_ident, scan_sql
from neurolake_lab.lakehouse.predicates import to_scope
from neurolake_lab.lakehouse.quality import QualityRules
from neurolake_lab.lakehouse.staging import TARGET, governed_rows, params_for, retarget
from neurolake_lab.lakehouse.tables import (
    Prepared,
    TableWriter,
    WriteContext,
    WriteOutcome,
    quiet_pyiceberg,
    target_schema,
)

if TYPE_CHECKING:
    from pyiceberg.expressions import BooleanExpression
    from pyiceberg.table import Table

    from neurolake_lab.engine import DuckDBEngine
    from neurolake_lab.engine.duckdb_engine import Lookup, Params
    from neurolake_lab.lakehouse.statements import LakeStatement

OLD = "__nl_old_rows"
_BAD = "__nl_bad_rows"


class RowChanges:
    """Carries out one UPDATE or DELETE (already governed) on an Iceberg table."""

    def __init__(self, engine: DuckDBEngine, writer: TableWriter) -> None:
        self.engine = engine
        self.writer = writer

    def run(
        self, stmt: LakeStatement, params: Params, lookup: Lookup | None, ctx: WriteContext
    ) -> WriteOutcome:
        """Run ``stmt`` over the rows of the files it can touch; one commit (or none)."""
        from pyiceberg.expressions import AlwaysTrue

        from neurolake_lab.lakehouse.commit import commit_with_retries
        from neurolake_lab.lakehouse.rewrite import copy_on_write

        tree = stmt.ast
        assert stmt.table is not None and isinstance(tree, exp.Update | exp.Delete)
        tid, name = stmt.table, display_name(stmt.table)
        operation = "update" if isinstance(tree, exp.Update) else "delete"
        sql = retarget(tree, stmt.alias or stmt.table[1], stmt.table)
        con = self.engine.con
        changed = [0]
        quarantine: list[pa.Table] = []

        def change(
            t: Table, rows: pa.Table, props: dict[str, str], table_props: dict[str, str]
        ) -> pa.Table | None:
            con.register("__nl_rows", rows)
            try:
                con.execute(f"CREATE OR REPLACE TEMP TABLE {TARGET} AS SELECT * FROM __nl_rows")
                con.execute(f"CREATE OR REPLACE TEMP TABLE {OLD} AS SELECT * FROM __nl_rows")
            finally:
                con.unregister("__nl_rows")
            if operation == "delete":
                changed[0] = self._count(sql, params, lookup)
                if not changed[0]:
                    return None
                new = con.execute(f"SELECT * FROM {TARGET}").to_arrow_table()
                new = self.writer.conform(new, target_schema(t), by_name=True, table_name=name)
            else:
                prepared = self._update(stmt, t, sql, params, lookup, ctx, changed)
                if prepared is None:
                    return None
                table_props.update(prepared.properties)
                quarantine[:] = [prepared.quarantine] if prepared.quarantine is not None else []
                new = prepared.data
            props[f"neurolake.rows_{operation}d"] = str(changed[0])
            return new

        def commit(t: Table) -> tuple[Table, bool]:
            scope = self._scope(t, tree, params)
            props = ctx.summary(operation)
            table_props: dict[str, str] = {}
            quarantine.clear()
            try:
                with quiet_pyiceberg():
                    done = copy_on_write(
                        t, scope if scope is not None else AlwaysTrue(),
                        lambda rows: change(t, rows, props, table_props),
                        props, table_props,
                    )  # fmt: skip
            finally:
                for temp in (TARGET, OLD, _BAD):
                    con.execute(f"DROP TABLE IF EXISTS {temp}")
            return (self.writer.load(tid) if done.committed else t), done.committed

        table, committed = commit_with_retries(
            lambda: self.writer.load(tid), commit, what=f"{operation} {name}"
        )
        outcome = WriteOutcome(name, operation)
        outcome.snapshot_id = table.metadata.current_snapshot_id
        if operation == "update":
            outcome.rows_added = outcome.rows_removed = changed[0] if committed else 0
        else:
            outcome.rows_removed = changed[0] if committed else 0
        if committed and quarantine:
            outcome.quarantined = quarantine[0].num_rows
            outcome.notices.append(
                f"{outcome.quarantined} updated rows broke the quality checks of {name}: they "
                f"keep their old values, the new ones went to {name}__quarantine"
            )
            self.writer.quarantine(tid, quarantine[0], ctx)
        return outcome

    # -- UPDATE --------------------------------------------------------------------------------

    def _update(
        self,
        stmt: LakeStatement,
        t: Table,
        sql: str,
        params: Params,
        lookup: Lookup | None,
        ctx: WriteContext,
        changed: list[int],
    ) -> Prepared | None:
        """Run the UPDATE on the staged rows; the rows to write back (and to quarantine)."""
        con = self.engine.con
        assert stmt.table is not None
        tid, name = stmt.table, display_name(stmt.table)
        schema = target_schema(t)
        rules = QualityRules.from_properties(t.properties)
        if rules.empty:
            changed[0] = self._count(sql, params, lookup)
            if not changed[0]:
                return None
            new = con.execute(f"SELECT * FROM {TARGET}").to_arrow_table()
            new = self.writer.conform(new, schema, by_name=True, table_name=name)
            return self.writer.finish(tid, t, Prepared(new), ctx)
        matched = self._returning(sql, params, lookup)
        changed[0] = matched.num_rows
        if not changed[0]:
            return None
        matched = self.writer.conform(matched, schema, by_name=True, table_name=name)
        con.register("__nl_rows", matched)
        try:
            # the rows the UPDATE left alone: they are "the table" a unique key is checked with
            existing = (
                f"(SELECT * FROM {scan_sql(t.metadata_location)} EXCEPT ALL SELECT * FROM {OLD})"
                f" UNION ALL (SELECT * FROM {TARGET} EXCEPT ALL SELECT * FROM __nl_rows)"
            )
            prepared = self.writer.checked(
                tid, t, matched, ctx, existing_sql=existing,
                supplied=_set_columns(stmt.ast),
            )  # fmt: skip
            if prepared.quarantine is not None:
                self._restore(prepared.quarantine, schema)
        finally:
            con.unregister("__nl_rows")
        bad = prepared.quarantine
        changed[0] -= bad.num_rows if bad is not None else 0
        new = con.execute(f"SELECT * FROM {TARGET}").to_arrow_table()
        new = self.writer.conform(new, schema, by_name=True, table_name=name)
        done = self.writer.finish(tid, t, Prepared(new), ctx)
        done.quarantine, done.notices = bad, prepared.notices
        return done

    def _restore(self, bad: pa.Table, schema: pa.Schema) -> None:
        """Give the staged rows whose new version broke a rule their old version back.

        Whether a row breaks a rule depends only on its values, so every staged row equal to a
        rejected new version is put back as it was read (one the UPDATE did not change is put
        back unchanged).
        """
        con = self.engine.con
        con.register(_BAD, bad.select(schema.names))
        try:
            same = " AND ".join(
                f"t.{quote_ident(c)} IS NOT DISTINCT FROM b.{quote_ident(c)}" for c in schema.names
            )
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {_BAD}_ids AS SELECT t.rowid AS id FROM {TARGET} t "
                f"WHERE EXISTS (SELECT 1 FROM {_BAD} b WHERE {same})"
            )
            con.execute(f"DELETE FROM {TARGET} WHERE rowid IN (SELECT id FROM {_BAD}_ids)")
            con.execute(
                f"INSERT INTO {TARGET} SELECT * FROM {OLD} "
                f"WHERE rowid IN (SELECT id FROM {_BAD}_ids)"
            )
        finally:
            con.unregister(_BAD)
            con.execute(f"DROP TABLE IF EXISTS {_BAD}_ids")

    # -- helpers -------------------------------------------------------------------------------

    def _count(self, sql: str, params: Params, lookup: Lookup | None) -> int:
        result = self.engine.run(
            sql, params_for(self.engine, sql, params), lookup, statement_type="UPDATE"
        ).table
        return int(result.column(0)[0].as_py()) if result is not None and result.num_rows else 0

    def _returning(self, sql: str, params: Params, lookup: Lookup | None) -> pa.Table:
        """Run the UPDATE and return the new version of every row it matched."""
        returning = sql + " RETURNING *"
        result = self.engine.run(
            returning, params_for(self.engine, sql, params), lookup, statement_type="UPDATE"
        ).table
        return result if result is not None else pa.table({})

    def _scope(
        self, t: Table, tree: exp.Update | exp.Delete, params: Params
    ) -> BooleanExpression | None:
        """The Iceberg filter of the files the statement may change (``None``: all of them)."""
        if not isinstance(params, Mapping) and params is not None:
            return None  # positional parameters: only DuckDB binds them
        columns = {f.name for f in t.schema().fields}
        governed = governed_rows(tree)
        if governed is not None:
            select, masked = governed
            if select.args.get("joins"):
                return None
            where = select.args.get("where")
            columns -= masked
        else:
            joined = tree.args.get("using") or tree.args.get("from_")
            if joined:
                return None
            where = tree.args.get("where")
        if not isinstance(where, exp.Where):
            return None
        return to_scope(where.this, columns, _evaluator(self.engine, params))


def _set_columns(tree: exp.Expr | None) -> set[str]:
    """The columns an UPDATE's SET assigns."""
    if not isinstance(tree, exp.Update):
        return set()
    return {e.this.name.lower() for e in tree.expressions if isinstance(e, exp.EQ)}


def _evaluator(engine: DuckDBEngine, params: Params) -> Callable[[str], Any]:
    """Evaluates a constant part of a predicate (``current_date - 30``, ``$since``) in DuckDB."""

    def evaluate(expr: str) -> Any:
        sql = f"SELECT {expr}"
        row = engine.con.execute(sql, params_for(engine, sql, params)).fetchone()
        return row[0] if row else None

    return evaluate

"""``MERGE INTO`` an Iceberg table: an upsert (and delete) as ONE snapshot.

DuckDB evaluates the statement — its own MERGE semantics, every ``WHEN`` clause — against a copy
of the target's rows that could match, and pyiceberg commits the outcome: the files that held
those rows are replaced, in one overwrite snapshot. The source is read once (a temporary table),
so a source with ``random()`` or ``now()`` means one thing for pruning and for the merge.

Files are pruned with the ``ON`` clause's key: when it equates a target column with a source
column (``ON t.id = s.id``, or ``USING (id)``), only files whose statistics may hold one of the
source's key values are read (``IN`` for up to :data:`MAX_IN_VALUES` keys, a min/max range
beyond). A source with two rows for one key is refused, as standard SQL does: which of them would
win is undefined, and with nothing in the target yet both would be inserted (a duplicate).

Only the rows the merge inserts or updates go through the write path's quality checks and
compliance hooks; rows it leaves alone are written back exactly as they were read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyarrow as pa
from sqlglot import exp

from neurolake_lab.exceptions import LakehouseError, QueryError
from neurolake_lab.lakehouse.naming import display_name, quote_ident, scan_sql
from neurolake_lab.lakehouse.predicates import conjuncts
from neurolake_lab.lakehouse.tables import (
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
    from neurolake_lab.lakehouse.statements import LakeStatement, TableId

#: Up to this many distinct key values prune files with ``IN``; more use a min/max range.
MAX_IN_VALUES = 1000
_SOURCE = "__nl_merge_source"
_TARGET = "__nl_target"
_OLD = "__nl_old_rows"
_CHANGED = "__nl_merge_changed"
_KEPT = "__nl_merge_kept"


@dataclass
class MergeCounts:
    """Rows the merge inserted, updated and deleted (logical rows, not rows in rewritten files)."""

    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    quarantined: int = 0
    notices: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class MergePlan:
    """A MERGE taken apart: what DuckDB runs on the staged rows, and the key that prunes files."""

    sql: str  # the MERGE aimed at the staged target and source, with RETURNING merge_action, *
    source_sql: str  # the query that produces the source rows
    keys: list[tuple[str, str]]  # (target column, source column) equated by ON / USING
    by_source: bool  # a WHEN NOT MATCHED BY SOURCE clause: every file of the target is in play


def plan_merge(tree: exp.Merge, tid: TableId) -> MergePlan:
    """Read a ``MERGE INTO`` tree (already governed) into the parts the writer needs."""
    if tree.args.get("returning"):
        raise QueryError("MERGE ... RETURNING is not supported on Iceberg tables", kind="syntax")
    target = tree.this
    assert isinstance(target, exp.Table)
    alias = target.alias or tid[1]
    source = tree.args.get("using")
    source_sql, source_alias = source_query(tree)
    for when in tree.find_all(exp.When):
        then = when.args.get("then")
        if isinstance(then, exp.Insert) and "BY" in then.sql("duckdb").upper().split('"'):
            raise QueryError(
                "MERGE ... INSERT BY NAME is not supported on Iceberg tables",
                kind="syntax",
                hint="name the columns: INSERT (a, b) VALUES (src.a, src.b), or INSERT * "
                "(by position)",
            )
    copy = tree.copy()
    src_node = source.copy() if isinstance(source, exp.Table) else None
    copy.set(
        "using",
        exp.Table(
            this=exp.to_identifier(_SOURCE),
            alias=exp.TableAlias(this=exp.to_identifier(source_alias, quoted=True)),
        ),
    )
    if src_node is not None and src_node.db:  # columns spelled ns.table.col name the source
        for column in copy.find_all(exp.Column):
            if column.table == src_node.name and column.db == src_node.db:
                column.set("db", None)
                column.set("table", exp.to_identifier(source_alias, quoted=True))
    from neurolake_lab.lakehouse.staging import retarget

    sql = retarget(copy, alias, tid) + " RETURNING merge_action, *"
    keys = _keys(tree, alias.lower(), source_alias.lower())
    by_source = any(when.args.get("source") for when in tree.find_all(exp.When))
    return MergePlan(sql, source_sql, keys, by_source)


def source_query(tree: exp.Merge) -> tuple[str, str]:
    """The query a MERGE reads its source rows from, and the source's alias."""
    source = tree.args.get("using")
    if isinstance(source, exp.Subquery):
        source_sql, alias = source.this.sql("duckdb"), source.alias
    elif isinstance(source, exp.Table):
        bare = source.copy()
        bare.set("alias", None)
        source_sql, alias = f"SELECT * FROM {bare.sql('duckdb')}", source.alias or source.name
    else:
        raise QueryError("MERGE INTO needs USING a table or (a query) AS alias", kind="syntax")
    if not alias:
        raise QueryError("the MERGE source needs an alias: USING (...) AS src", kind="syntax")
    return source_sql, alias


def parse_source_query(sql: str) -> str:
    """The source query of a MERGE statement given as text."""
    import sqlglot

    tree = sqlglot.parse_one(sql, read="duckdb")
    if not isinstance(tree, exp.Merge):
        raise QueryError("not a MERGE statement", kind="syntax")
    return source_query(tree)[0]


def _keys(tree: exp.Merge, target: str, source: str) -> list[tuple[str, str]]:
    """``(target column, source column)`` pairs the ON clause (or USING) equates, ANDed."""
    using = tree.args.get("using_cond")
    if using:
        return [(c.name, c.name) for c in using.expressions if isinstance(c, exp.Expr)]
    on = tree.args.get("on")
    keys: list[tuple[str, str]] = []
    for part in conjuncts(on) if on is not None else []:
        if not isinstance(part, exp.EQ):
            continue
        left, right = part.this, part.expression
        if not (isinstance(left, exp.Column) and isinstance(right, exp.Column)):
            continue
        sides = {left.table.lower(): left.name, right.table.lower(): right.name}
        if target in sides and source in sides and target != source:
            keys.append((sides[target], sides[source]))
    return keys


class MergeWriter:
    """Carries out one ``MERGE INTO`` statement on an Iceberg table as one commit."""

    def __init__(
        self,
        engine: DuckDBEngine,
        writer: TableWriter,
        run_query: Callable[[str, Params, Lookup | None], pa.Table],
    ) -> None:
        self.engine = engine
        self.writer = writer
        self._query = run_query

    def run(
        self, stmt: LakeStatement, params: Params, lookup: Lookup | None, ctx: WriteContext
    ) -> WriteOutcome:
        """Merge; the outcome's counts and notices say what happened to which rows."""
        from neurolake_lab.lakehouse.commit import commit_with_retries

        assert stmt.table is not None and isinstance(stmt.ast, exp.Merge)
        tid, name = stmt.table, display_name(stmt.table)
        plan = plan_merge(stmt.ast, tid)
        con = self.engine.con
        source = self._query(plan.source_sql, params, lookup)
        con.register("__nl_rows", source)
        try:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {_SOURCE} AS SELECT * FROM __nl_rows")
        finally:
            con.unregister("__nl_rows")
        try:
            self._refuse_duplicate_keys(plan, name)
            counts = MergeCounts()

            def commit(t: Table) -> Table:
                nonlocal counts
                counts = MergeCounts()
                return self._attempt(t, tid, plan, params, lookup, ctx, counts)

            table = commit_with_retries(lambda: self.writer.load(tid), commit, what=f"merge {name}")
        finally:
            for temp in (_SOURCE, _TARGET, _OLD, _CHANGED, _KEPT):
                con.execute(f"DROP TABLE IF EXISTS {temp}")
        outcome = WriteOutcome(name, "merge", notices=counts.notices)
        outcome.snapshot_id = table.metadata.current_snapshot_id
        outcome.rows_added = counts.inserted
        outcome.rows_updated = counts.updated
        outcome.rows_removed = counts.deleted
        outcome.quarantined = counts.quarantined
        return outcome

    def _refuse_duplicate_keys(self, plan: MergePlan, name: str) -> None:
        if not plan.keys:
            return
        cols = ", ".join(quote_ident(s) for _, s in plan.keys)
        not_null = " AND ".join(f"{quote_ident(s)} IS NOT NULL" for _, s in plan.keys)
        row = self.engine.con.execute(
            f"SELECT count(*), any_value(({cols})::VARCHAR) FROM (SELECT {cols} FROM {_SOURCE} "
            f"WHERE {not_null} GROUP BY ALL HAVING count(*) > 1)"
        ).fetchone()
        if row and row[0]:
            keys = ", ".join(s for _, s in plan.keys)
            raise QueryError(
                f"MERGE INTO {name}: the source has {row[0]} {keys} value(s) on more than one row "
                f"(e.g. {row[1]}); each target row may match one source row, nothing was written",
                kind="merge",
                hint="deduplicate the source, e.g. with QUALIFY row_number() OVER "
                f"(PARTITION BY {keys} ORDER BY ...) = 1",
            )

    def _scope(self, t: Table, plan: MergePlan) -> BooleanExpression:
        """The Iceberg filter for the files that may hold rows the merge can match."""
        from pyiceberg.expressions import AlwaysFalse, AlwaysTrue, And, In
        from pyiceberg.expressions import GreaterThanOrEqual as Gte
        from pyiceberg.expressions import LessThanOrEqual as Lte

        if plan.by_source or not plan.keys:
            return AlwaysTrue()
        target_col, source_col = plan.keys[0]
        names = {f.name.lower(): f.name for f in t.schema().fields}
        column = names.get(target_col.lower())
        if column is None:
            return AlwaysTrue()
        src = quote_ident(source_col)
        con = self.engine.con
        n, low, high = con.execute(
            f"SELECT count(DISTINCT {src}), min({src}), max({src}) FROM {_SOURCE}"
        ).fetchone() or (0, None, None)
        if not n:
            return AlwaysFalse()
        try:
            if n <= MAX_IN_VALUES:
                values = [
                    r[0]
                    for r in con.execute(
                        f"SELECT DISTINCT {src} FROM {_SOURCE} WHERE {src} IS NOT NULL"
                    ).fetchall()
                ]
                return In(column, values)
            return And(Gte(column, low), Lte(column, high))
        except (TypeError, ValueError):  # a value pyiceberg cannot compare with the column
            return AlwaysTrue()

    def _attempt(
        self,
        t: Table,
        tid: TableId,
        plan: MergePlan,
        params: Params,
        lookup: Lookup | None,
        ctx: WriteContext,
        counts: MergeCounts,
    ) -> Table:
        """One try at the commit, from table state ``t`` (redone when another writer wins)."""
        from pyiceberg.expressions import AlwaysTrue

        from neurolake_lab.lakehouse.rewrite import candidate_tasks, read_tasks, replace_files

        name = display_name(tid)
        con = self.engine.con
        scope = self._scope(t, plan)
        try:
            tasks = candidate_tasks(t, scope)
        except (TypeError, ValueError):  # the key values do not bind to the column's type
            scope = AlwaysTrue()
            tasks = candidate_tasks(t, scope)
        schema = target_schema(t)
        rows = read_tasks(t, tasks) if tasks else schema.empty_table()
        con.register("__nl_rows", rows)
        try:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {_TARGET} AS SELECT * FROM __nl_rows")
            con.execute(f"CREATE OR REPLACE TEMP TABLE {_OLD} AS SELECT * FROM __nl_rows")
        finally:
            con.unregister("__nl_rows")
        returned = self.engine.run(plan.sql, _used(self.engine, plan.sql, params), lookup,
                                   statement_type="MERGE_INTO").table  # fmt: skip
        if returned is None or returned.num_rows == 0:
            return t
        actions = returned.column(0).to_pylist()
        counts.inserted = actions.count("INSERT")
        counts.updated = actions.count("UPDATE")
        counts.deleted = actions.count("DELETE")
        changed = returned.filter(pa.array([a != "DELETE" for a in actions])).drop_columns(
            [returned.column_names[0]]
        )
        changed = self.writer.conform(changed, schema, by_name=False, table_name=name)
        con.register("__nl_rows", changed)
        try:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {_CHANGED} AS SELECT * FROM __nl_rows")
        finally:
            con.unregister("__nl_rows")
        # the rows the merge left alone, exactly as they were read (encrypted values stay so)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {_KEPT} AS "
            f"SELECT * FROM {_TARGET} EXCEPT ALL SELECT * FROM {_CHANGED}"
        )
        existing = None
        if t.current_snapshot() is not None:
            existing = (
                f"(SELECT * FROM {scan_sql(t.metadata_location)} EXCEPT ALL SELECT * FROM {_OLD}) "
                f"UNION ALL SELECT * FROM {_KEPT}"
            )
        prepared = self.writer.prepare(tid, t, changed, ctx, existing_sql=existing)
        kept = con.execute(f"SELECT * FROM {_KEPT}").to_arrow_table().cast(schema)
        if prepared.quarantine is not None:
            kept = pa.concat_tables(
                [kept, self._restore(plan, prepared.quarantine, schema, name, counts)]
            )
        final = pa.concat_tables([kept, prepared.data.cast(schema)])
        counts.notices[:] = prepared.notices
        props = ctx.summary(
            "merge", rows_inserted=counts.inserted, rows_updated=counts.updated,
            rows_deleted=counts.deleted,
        )  # fmt: skip
        with quiet_pyiceberg():
            replace_files(
                t, [task.file for task in tasks], final, scope=scope, properties=props,
                table_properties=prepared.properties,
            )  # fmt: skip
        if prepared.quarantine is not None:
            counts.quarantined = prepared.quarantine.num_rows
            self.writer.quarantine(tid, prepared.quarantine, ctx)
        return self.writer.load(tid)

    def _restore(
        self, plan: MergePlan, bad: pa.Table, schema: pa.Schema, name: str, counts: MergeCounts
    ) -> pa.Table:
        """The old rows whose update was quarantined: they stay as they were, none is lost."""
        if not plan.keys:
            raise LakehouseError(
                f"MERGE INTO {name}: rows broke its quality checks and would be quarantined, "
                "but without ON target.key = source.key the rows they update cannot be kept; "
                "nothing was written",
                hint="merge on a key, or fix the rows the checks name",
            )
        con = self.engine.con
        using = ", ".join(quote_ident(t) for t, _ in plan.keys)
        con.register("__nl_bad", bad)
        try:
            # an updated row's old version: matched by key, and not left alone by the merge
            old = con.execute(
                f"SELECT o.* FROM {_OLD} o SEMI JOIN __nl_bad USING ({using}) "
                f"EXCEPT ALL SELECT * FROM {_KEPT}"
            ).to_arrow_table()
        finally:
            con.unregister("__nl_bad")
        counts.updated -= old.num_rows
        counts.inserted -= bad.num_rows - old.num_rows
        return old.cast(schema)


def _used(engine: DuckDBEngine, sql: str, params: Params) -> Params:
    from neurolake_lab.lakehouse.staging import params_for

    return params_for(engine, sql, params)

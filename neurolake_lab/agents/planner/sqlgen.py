"""Turn an :class:`~neurolake_lab.agents.intent.Intent` into one DuckDB SELECT.

The query is built around a *fact* table — the rows being counted or aggregated (a metric's
definition table, the counted table, the aggregated column's table) or listed (the entity) —
and joins only along many-to-one foreign-key paths from it, so aggregates are never inflated by
a fan-out. Related rows of a child table become ``[NOT] EXISTS`` or a correlated count; a
semantic metric's expression and filter are re-aliased to the query's tables with sqlglot.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from neurolake_lab.agents.intent import Filter, GroupKey, Intent, Measure, Relation
from neurolake_lab.agents.planner.query import Query, ident, literal
from neurolake_lab.agents.planner.semantics import Metric, MetricDefinition
from neurolake_lab.agents.planner.sqlwindow import WindowSql
from neurolake_lab.agents.planner.view import PlannerView
from neurolake_lab.exceptions import PlanningError

PiiLookup = Callable[[str], set[str]]
_UNIT_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800}


def generate_sql(intent: Intent, view: PlannerView, pii: PiiLookup) -> tuple[str, list[str]]:
    """The SQL of ``intent`` and notes on choices made while writing it.

    Raises:
        PlanningError: The intent cannot be answered from these tables (no join path, a metric
            with no definition at the needed grain, PII asked to be removed from a group key).
    """
    return _Generator(intent, view, pii).sql()


class _Generator(WindowSql):
    def __init__(self, intent: Intent, view: PlannerView, pii: PiiLookup) -> None:
        self.it = intent
        self.view = view
        self.pii = pii
        self.notes: list[str] = []

    # -- choosing the fact table ----------------------------------------------------------------

    def _needed(self) -> set[str]:
        it = self.it
        tables: set[str] = set()
        for key in it.grouping:
            if key.table:
                tables.add(key.table)
            if key.column:
                tables.add(key.column.rpartition(".")[0])
        for f in it.filters:
            if f.table:
                tables.add(f.table)
        if it.window is not None and it.window.column:
            tables.add(it.window.column.rpartition(".")[0])
        for ms in it.measures:
            if ms.column:
                tables.add(ms.column.rpartition(".")[0])
            if ms.duration:
                tables.add(ms.duration[0].rpartition(".")[0])
            for f in ms.condition:
                if f.table:
                    tables.add(f.table)
        return tables

    def _definition(self, metric: Metric, needed: set[str]) -> MetricDefinition:
        for d in metric.definitions:
            up = set(self.view.graph.reachable_up(d.table))
            if needed <= up:
                return d
        what = ", ".join(sorted(needed)) or "these tables"
        raise PlanningError(
            f"{metric.name!r} has no definition that reaches {what}",
            suggestions=[d.table for d in metric.definitions],
        )

    def _fact(self) -> tuple[str, MetricDefinition | None]:
        it = self.it
        needed = self._needed()
        metric_ms = [ms for ms in it.measures if ms.metric]
        if metric_ms:
            metric = self.view.semantics.metric(metric_ms[0].metric or "")
            if metric is None:
                raise PlanningError(f"unknown metric {metric_ms[0].metric!r}")
            grouped_entity = self._entity_group_needed()
            if grouped_entity and it.entity:
                needed = needed | {it.entity}
            d = self._definition(metric, needed)
            return d.table, d
        for ms in it.measures:
            if ms.func in ("avg_count", "max_count", "min_count", "sum_count") and ms.table:
                return ms.table, None
            if ms.column:
                return ms.column.rpartition(".")[0], None
            if ms.duration:
                return ms.duration[1].rpartition(".")[0], None
            if ms.table:
                return ms.table, None
        if it.entity is None:
            raise PlanningError("could not tell which table the question is about")
        return it.entity, None

    def _entity_group_needed(self) -> bool:
        """Whether rows of the entity are the groups ("top 5 products by revenue")."""
        it = self.it
        if it.entity is None or any(k.table == it.entity for k in it.grouping):
            return False
        ranked = bool(it.order) or it.limit is not None or bool(it.having)
        return ranked and not any(k.column or k.grain for k in it.grouping)

    # -- writing --------------------------------------------------------------------------------

    def sql(self) -> tuple[str, list[str]]:
        it = self.it
        fact, definition = self._fact()
        q = Query(self.view, fact, dict(it.via))
        entity_rows = it.entity and it.entity != fact and self._entity_group_needed()
        if entity_rows and it.entity and self.view.graph.path_up(fact, it.entity) is not None:
            it.grouping.insert(0, GroupKey(table=it.entity, text="each"))
        if any(ms.func.endswith("_count") and ms.func != "count" for ms in it.measures):
            return self._per_parent(q), self.notes
        if it.action == "list" or not it.measures:
            return self._list(q), self.notes
        return self._aggregate(q, definition), self.notes

    def _where(self, q: Query, definition: MetricDefinition | None) -> None:
        it = self.it
        for f in it.filters:
            q.where.append(self._condition(q, f))
        window = it.window
        if window is not None and window.column is None and self._dated(q.fact) is None:
            self._window_through_child(window)  # "products sold last month"
        elif window is not None:
            q.where.extend(self._window(q, window, q.fact))
        if definition is not None and definition.filter:
            q.where.append(self._rewrite(q, definition.filter, definition.table))
        for rel in it.relations:
            q.where.append(self._relation(q, rel))

    def _condition(self, q: Query, f: Filter, alias_of: Callable[[str], str] | None = None) -> str:
        if f.op == "sql":
            return f"({self._rewrite(q, f.sql or 'TRUE', f.table or q.fact)})"
        col = alias_of(f.column) if alias_of and f.column else q.col(f.column or "", f.via)
        op = f.op
        if op in ("is null", "is not null"):
            return f"{col} {op.upper()}"
        if op in ("is true", "is false"):
            return f"{col} IS {op.split()[1].upper()}"
        if op in ("< 0", "> 0", "<= 0", ">= 0"):  # a sign: "early" on a delay
            return f"{col} {op}"
        if op in ("in", "not in"):
            values = f.value if isinstance(f.value, list) else [f.value]
            listed = ", ".join(literal(v) for v in values)
            return f"{col} {op.upper()} ({listed})"
        if op == "between":
            lo, hi = f.value
            return f"{col} BETWEEN {literal(lo)} AND {literal(hi)}"
        return f"{col} {op} {literal(f.value)}"

    def _relation(self, q: Query, rel: Relation) -> str:
        entity = self.it.entity or q.fact
        outer = q.reach(entity)
        path = q.path(rel.table, entity)
        if not path:
            raise PlanningError(
                f"{rel.table} does not reference {entity}", suggestions=[rel.table, entity]
            )
        sub = Query(self.view, rel.table, dict(self.it.via))
        # correlate on the last step of the path (the edge into the entity)
        for edge in path[:-1]:
            sub.reach(edge.parent)
        last = path[-1]
        child_alias = sub.aliases[last.child]
        corr = [
            f"{child_alias}.{ident(c)} = {outer}.{ident(r)}"
            for c, r in zip(last.columns, last.ref_columns, strict=True)
        ]
        conds = corr + [self._condition(sub, f) for f in rel.filters]
        if rel.window is not None:
            conds.extend(self._window(sub, rel.window, rel.table))
        where = " AND ".join(conds)
        if rel.min_count is not None:
            op, n = rel.min_count
            return f"(SELECT count(*) {sub.from_sql()} WHERE {where}) {op} {literal(n)}"
        exists = f"EXISTS (SELECT 1 {sub.from_sql()} WHERE {where})"
        return f"NOT {exists}" if rel.negated else exists

    def _rewrite(self, q: Query, expression: str, home: str) -> str:
        """A definition's SQL with its columns re-aliased: bare -> ``home``, ``t.col`` -> t."""
        import sqlglot
        from sqlglot import exp

        tree = sqlglot.parse_one(expression, read="duckdb")
        home_ns = home.rpartition(".")[0]

        def fix(node: exp.Expression) -> exp.Expression:
            if isinstance(node, exp.Column):
                qualifier = node.table
                if not qualifier:
                    target = home
                else:
                    found = self.view.snapshot.table(f"{home_ns}.{qualifier}") or next(
                        (t for t in self.view.snapshot.tables.values() if t.name == qualifier),
                        None,
                    )
                    if found is None:
                        raise PlanningError(
                            f"definition {expression!r} names unknown table {qualifier!r}"
                        )
                    target = found.id
                return exp.column(node.name, table=q.reach(target))
            return node

        return tree.transform(fix).sql(dialect="duckdb")

    # -- select lists ----------------------------------------------------------------------------

    def _list(self, q: Query) -> str:
        it = self.it
        entity = it.entity or q.fact
        table = self.view.table(entity)
        hidden = self.pii(entity) if it.remove_pii else set()
        if it.projections:
            cols = [self.view.column(c) for c in it.projections]
        else:
            cols = list(table.columns)
        shown = [
            c
            for c in cols
            if not (c.table == entity and c.name in hidden)
            and not (c.table != entity and c.name in self.pii(c.table) and it.remove_pii)
        ]
        dropped = [c.name for c in cols if c not in shown]
        if dropped:
            self.notes.append("left out PII columns: " + ", ".join(dropped))
        if not shown:
            raise PlanningError(
                f"every column asked for from {entity} is PII",
                suggestions=[c.id for c in table.columns if c.name not in hidden],
            )
        self._where(q, None)
        select = ", ".join(q.col(c.id) for c in shown)
        parts = [f"SELECT {select}", q.from_sql()]
        if q.where:
            parts.append("WHERE " + " AND ".join(q.where))
        order = [
            f"{q.col(o.column)} {'DESC' if o.descending else 'ASC'}" for o in it.order if o.column
        ]
        if order:
            parts.append("ORDER BY " + ", ".join(order))
        if it.limit is not None:
            parts.append(f"LIMIT {int(it.limit)}")
        return "\n".join(parts)

    def _group_items(self, q: Query) -> list[tuple[str, str]]:
        """(expression, output name) of every group key."""
        items: list[tuple[str, str]] = []
        hidden_check = self.it.remove_pii
        for key in self.it.grouping:
            if key.grain:
                column = key.column or (self.it.window.column if self.it.window else None)
                column = column or self._window_column(q.fact)
                key.column = column
                items.append((f"date_trunc('{key.grain}', {q.col(column)})", key.grain))
            elif key.table:
                items.extend(self._table_key(q, key.table))
            elif key.column:
                col = self.view.column(key.column)
                if hidden_check and col.name in self.pii(col.table):
                    raise PlanningError(f"cannot group by {col.id} and remove PII: it is PII")
                items.append((q.col(col.id), col.name))
        return items

    def _table_key(self, q: Query, table: str) -> list[tuple[str, str]]:
        keys = self.view.key(table)
        label = self.view.label(table)
        if not keys:
            raise PlanningError(
                f"{table} has no key to group its rows by",
                suggestions=[c.id for c in self.view.table(table).columns][:6],
            )
        path = q.path(q.fact, table)
        if label is None and path and len(path) == 1 and tuple(path[0].ref_columns) == keys:
            alias = q.aliases[q.fact]
            return [(f"{alias}.{ident(c)}", r) for c, r in zip(path[0].columns, keys, strict=True)]
        alias = q.reach(table)
        items = [(f"{alias}.{ident(k)}", k) for k in keys]
        if label is not None:
            items.append((f"{alias}.{ident(label.name)}", label.name))
        return items

    def _measure_sql(self, q: Query, ms: Measure, definition: MetricDefinition | None) -> str:
        col = q.col(ms.column) if ms.column else None
        if ms.func == "count":
            return "count(*)"
        if ms.func == "count_distinct":
            return f"count(DISTINCT {col})"
        if ms.func == "metric":
            assert definition is not None
            return self._rewrite(q, definition.expression, definition.table)
        if ms.func == "share":
            return self._share(q, ms, definition)
        if ms.expression:
            return f"{ms.func}({self._rewrite(q, ms.expression, ms.table or q.fact)})"
        if ms.duration:
            return f"{ms.func}({self._duration(q, ms)})"
        if ms.func in ("sum", "avg", "median", "min", "max"):
            return f"{ms.func}({col})"
        raise PlanningError(f"cannot compute {ms.func}")

    def _duration(self, q: Query, ms: Measure) -> str:
        assert ms.duration is not None
        start_id, end_id = ms.duration
        start, end = q.col(start_id), q.col(end_id)
        unit = ms.unit or "hour"
        divisor = _UNIT_SECONDS.get(unit, 3600)
        if self.view.column(end_id).is_timestamp or self.view.column(start_id).is_timestamp:
            return f"epoch({end} - {start}) / {divisor:.1f}"
        days = f"({end} - {start})"
        return days if unit == "day" else f"{days} * {86400 / divisor:g}"

    def _share(self, q: Query, ms: Measure, definition: MetricDefinition | None) -> str:
        cond = " AND ".join(self._condition(q, f) for f in ms.condition) or "TRUE"
        scale = " * 100" if ms.unit == "percent" else ""
        if ms.metric and definition is not None:
            total = self._rewrite(q, definition.expression, definition.table)
            part = re.sub(
                r"^(\w+)\((.*)\)$", rf"\1(CASE WHEN {cond} THEN \2 END)", total, flags=re.S
            )
            return f"{part} / {total}{scale}"
        return f"avg(CASE WHEN {cond} THEN 1.0 ELSE 0.0 END){scale}"

    def _aggregate(self, q: Query, definition: MetricDefinition | None) -> str:
        it = self.it
        groups = self._group_items(q)
        self._where(q, definition)
        for ms in it.measures:
            if ms.duration and ms.func in ("avg", "median", "sum", "min", "max"):
                end = q.col(ms.duration[1])
                cond = f"{end} IS NOT NULL"
                if cond not in q.where:
                    q.where.append(cond)
        measures = []
        used = {name for _, name in groups}
        for ms in it.measures:
            name = ms.label or ms.func
            while name in used:
                name += "_"
            used.add(name)
            measures.append((self._measure_sql(q, ms, definition), name))
        select = ", ".join(f"{e} AS {ident(n)}" for e, n in [*groups, *measures])
        parts = [f"SELECT {select}", q.from_sql()]
        if q.where:
            parts.append("WHERE " + " AND ".join(q.where))
        if groups:
            parts.append("GROUP BY " + ", ".join(e for e, _ in groups))
        having = [self._having(f, measures) for f in it.having]
        if having:
            parts.append("HAVING " + " AND ".join(having))
        if it.per_group is not None and len(it.grouping) > 1 and it.order:
            parts.append(self._qualify(q, groups, measures))
            order = [ident(name) for _, name in groups[: self._first_key_items(q)]]
            parts.append("ORDER BY " + ", ".join(order))
            return "\n".join(parts)
        order = self._order(q, groups, measures)
        if order:
            parts.append("ORDER BY " + ", ".join(order))
        if it.limit is not None:
            parts.append(f"LIMIT {int(it.limit)}")
        return "\n".join(parts)

    def _first_key_items(self, q: Query) -> int:
        """How many select items the first group key makes (a table key may make several)."""
        first = self.it.grouping[0]
        if first.table:
            return len(self._table_key(q, first.table))
        return 1

    def _qualify(
        self, q: Query, groups: list[tuple[str, str]], measures: list[tuple[str, str]]
    ) -> str:
        """Keep the top rows within each value of the first group key."""
        n = self._first_key_items(q)
        partition = ", ".join(e for e, _ in groups[:n])
        o = self.it.order[0]
        key = measures[o.measure][0] if o.measure is not None else q.col(o.column or "")
        direction = "DESC" if o.descending else "ASC"
        self.notes.append(f"the top {self.it.per_group} within each {groups[0][1]}")
        return (
            f"QUALIFY row_number() OVER (PARTITION BY {partition} ORDER BY {key} {direction}) "
            f"<= {int(self.it.per_group or 1)}"
        )

    def _having(self, f: Filter, measures: list[tuple[str, str]]) -> str:
        index = int((f.column or "measure:0").split(":")[1])
        expr = measures[index][0] if index < len(measures) else measures[0][0]
        if f.op == "between":
            lo, hi = f.value
            return f"{expr} BETWEEN {literal(lo)} AND {literal(hi)}"
        return f"{expr} {f.op} {literal(f.value)}"

    def _order(
        self, q: Query, groups: list[tuple[str, str]], measures: list[tuple[str, str]]
    ) -> list[str]:
        out = []
        for o in self.it.order:
            direction = "DESC" if o.descending else "ASC"
            if o.measure is not None and o.measure < len(measures):
                out.append(f"{ident(measures[o.measure][1])} {direction}")
            elif o.column:
                out.append(f"{q.col(o.column)} {direction}")
        if not out and groups:
            out = [ident(name) for _, name in groups]
        return out

    def _per_parent(self, q: Query) -> str:
        """``average number of X per Y``: count X per Y's key, then aggregate the counts."""
        it = self.it
        ms = next(m for m in it.measures if m.func.endswith("_count"))
        assert ms.table is not None and ms.per is not None
        path = q.path(ms.table, ms.per)
        if not path:
            raise PlanningError(
                f"{ms.table} does not reference {ms.per}", suggestions=[ms.table, ms.per]
            )
        first = path[0]
        alias = q.aliases[q.fact]
        keys = (
            [(f"{alias}.{ident(c)}", c) for c in first.columns]
            if len(path) == 1
            else [(q.col(f"{ms.per}.{k}"), k) for k in self.view.key(ms.per)]
        )
        groups = self._group_items(q)
        self._where(q, None)
        inner_select = ", ".join(f"{e} AS {ident(n)}" for e, n in [*keys, *groups])
        inner = [f"SELECT {inner_select}, count(*) AS n", q.from_sql()]
        if q.where:
            inner.append("WHERE " + " AND ".join(q.where))
        inner.append("GROUP BY " + ", ".join(e for e, _ in [*keys, *groups]))
        func = ms.func.split("_")[0]
        outer_groups = ", ".join(ident(n) for _, n in groups)
        select = f"{outer_groups + ', ' if groups else ''}{func}(n) AS {ident(ms.label or 'n')}"
        body = "\n  ".join(inner)
        sql = f"SELECT {select}\nFROM (\n  {body}\n) AS per_{ident(self.view.table(ms.per).name)}"
        if groups:
            sql += f"\nGROUP BY {outer_groups}\nORDER BY {outer_groups}"
        return sql

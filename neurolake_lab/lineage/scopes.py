"""One pass over a qualified sqlglot tree's scopes: what each output column derives from, and how.

Hand-written rather than ``sqlglot.lineage.lineage`` because that function answers a different
question: it follows one output column at a time (re-qualifying the whole query per call unless
given a scope), gives no kind of derivation and no indirect dependencies (joins, filters, groups,
sorts, windows, conditions), and rejects ``*`` over unknown tables and non-query statements. Here
every scope is resolved once (memoised), bottom-up, into per-column dependencies plus the
row-level dependencies that affect all of its columns. Measured by ``bench/lineage_speed.py`` on
ten statements (2 to 13 output columns): from SQL, 2.7-18x faster than ``lineage()`` per output
column (5.6x in total) and 1.9x faster than ``lineage(None)`` for all columns at once; on an
already qualified tree the walk alone takes 0.1-0.3 ms, 11x less than ``lineage()`` per column
on a pre-built scope. Its direct sources (plus CONDITIONAL and WINDOW, which ``lineage()`` also
follows) equal ``lineage()``'s leaf columns for all 44 output columns there.

Kinds follow OpenLineage's column-lineage facet: a column passed through (renamed or not) is
IDENTITY, any function of it (a CAST included: the value changes type) is TRANSFORMATION, an
aggregate over rows is AGGREGATION; composing two steps keeps the stronger. CASE/IF/COALESCE
branches keep the kind of their context (``CASE WHEN b THEN a END`` passes ``a`` as is), their
conditions are CONDITIONAL. WHERE/HAVING/QUALIFY are FILTER, join conditions JOIN, GROUP BY (and
DISTINCT ON) GROUP_BY, ORDER BY SORT: those affect the rows, so they reach every column of the
scope and every column of the scopes that read it. A window's PARTITION BY/ORDER BY, conditions
and an aggregate's FILTER clause affect only the column they appear in. Hashes and counts set
``masked`` (OpenLineage: "hash for TRANSFORMATION and count for AGGREGATION").
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.optimizer.scope import Scope

from neurolake_lab.lineage.deps import (
    AGGREGATION,
    ANONYMOUS_AGGREGATES,
    IDENTITY,
    LEAVES,
    MASKING_AGGS,
    MASKING_ANONYMOUS,
    MASKING_FUNCS,
    NAVIGATION,
    PASS_THROUGH,
    TRANSFORMATION,
    Columns,
    Deps,
    star_except,
)
from neurolake_lab.lineage.schema_index import TableIndex


class ScopeWalker:
    """Resolve scopes into ``Columns``, memoised per scope, recording the tables read."""

    def __init__(self, tables: TableIndex) -> None:
        self._tables = tables
        self._memo: dict[int, Columns] = {}
        self._busy: set[int] = set()
        self._lambda_vars: list[set[str]] = []
        self._join_pairs: dict[int, set[frozenset[tuple[str, str]]]] = {}
        #: Tables read: id -> {column: type} (all known columns, or the ones seen if unknown).
        self.inputs: dict[str, dict[str, str]] = {}
        #: Tables the schema does not know, in the order met.
        self.unresolved: dict[str, None] = {}
        #: Snapshot ids from ``FOR VERSION AS OF <n>`` by table id.
        self.snapshots: dict[str, int] = {}
        self._canonical: dict[int, Scope] = {}

    def run(self, root: Scope) -> Columns:
        """Resolve the statement's root scope (and, through it, every scope it reads)."""
        # A recursive CTE's self-reference points at a copy of its base case that sqlglot never
        # traversed (no sources); read the traversed base case instead: one unrolling of the
        # recursion, which is enough for kinds, as composing them keeps the strongest.
        for scope in root.traverse():
            self._canonical.setdefault(id(scope.expression), scope)
        return self.resolve(root)

    # ----------------------------------------------------------------------------------- scopes

    def resolve(self, scope: Scope) -> Columns:
        """The output columns of ``scope`` with their dependencies (computed once per scope)."""
        scope = self._canonical.get(id(scope.expression), scope)
        key = id(scope)
        done = self._memo.get(key)
        if done is not None:
            return done
        if key in self._busy:  # a recursive CTE reading itself: no further sources there
            return Columns()
        self._busy.add(key)
        try:
            node = scope.expression
            if isinstance(node, exp.Select):
                result = self._select(scope, node)
            elif isinstance(node, exp.SetOperation):
                result = self._set_operation(scope, node)
            elif isinstance(node, exp.Values):
                result = self._values(scope, node)
            elif isinstance(node, exp.Lateral | exp.Subquery):
                result = self._wrapper(scope)
            elif isinstance(node, exp.UDTF):
                result = self._udtf(scope, node)
            else:
                result = Columns()
            outer = scope.outer_columns
            if outer and [n.lower() for n in outer] != result.names[: len(outer)]:
                # t(a, b): the alias list renames the first columns, the rest keep their names
                renamed = Columns()
                renamed.rows = result.rows
                for i, (name, deps) in enumerate(zip(result.names, result.deps, strict=True)):
                    renamed.add(outer[i].lower() if i < len(outer) else name, deps)
                result = renamed
        finally:
            self._busy.discard(key)
        self._memo[key] = result
        return result

    def _select(self, scope: Scope, select: exp.Select) -> Columns:
        result = Columns()
        rows = result.rows
        for _, source in scope.selected_sources.values():
            if isinstance(source, Scope):
                rows.absorb(self.resolve(source).rows)
        for source in scope.sources.values():
            if isinstance(source, exp.Table):
                self._table(source)  # a table read only by a join condition is still an input

        not_aggregated: list[Deps] = []  # what GROUP BY ALL groups by
        for projection in select.expressions:
            if isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star):
                self._expand_star(scope, projection.table, star_except(projection.this), result)
            elif isinstance(projection, exp.Star):
                self._expand_star(scope, None, star_except(projection), result)
            else:
                deps = Deps()
                self._expr(projection, scope, deps, IDENTITY, False, None)
                result.add(projection.alias_or_name.lower() or "?", deps)
                if projection.find(exp.AggFunc, exp.Window) is None:
                    not_aggregated.append(deps)

        for join in select.args.get("joins") or ():
            on = join.args.get("on")
            if on is not None:
                self._expr(on, scope, rows, IDENTITY, False, "JOIN")
            for ident in join.args.get("using") or ():
                self._using(scope, ident.name.lower(), rows)
            match_condition = join.args.get("match_condition")
            if match_condition is not None:
                self._expr(match_condition, scope, rows, IDENTITY, False, "JOIN")
        for clause in ("where", "having", "qualify"):
            node = select.args.get(clause)
            if node is not None:
                self._expr(node, scope, rows, IDENTITY, False, "FILTER")

        group = select.args.get("group")
        if group is not None:
            if group.args.get("all"):
                for deps in not_aggregated:
                    rows.absorb_as(deps, "GROUP_BY")
            self._expr(group, scope, rows, IDENTITY, False, "GROUP_BY")
        distinct = select.args.get("distinct")
        if distinct is not None and distinct.args.get("on") is not None:
            self._expr(distinct.args["on"], scope, rows, IDENTITY, False, "GROUP_BY")
        order = select.args.get("order")
        if order is not None:
            self._order(order, scope, result)
        return result

    def _set_operation(self, scope: Scope, node: exp.SetOperation) -> Columns:
        result = Columns()
        if len(scope.set_operation_scopes) != 2:
            return result
        left = self.resolve(scope.set_operation_scopes[0])
        right = self.resolve(scope.set_operation_scopes[1])
        result.rows.absorb(left.rows)
        by_name = bool(node.args.get("by_name"))
        if isinstance(node, exp.Union):
            result.rows.absorb(right.rows)
            names = list(left.names)
            if by_name:
                names += [n for n in right.names if n not in left.by_name]
            for i, name in enumerate(names):
                deps = Deps()
                if by_name:
                    for side in (left, right):
                        if name in side.by_name:
                            deps.absorb(side.by_name[name])
                else:
                    deps.absorb(left.deps[i])
                    if i < len(right.deps):
                        deps.absorb(right.deps[i])
                result.add(name, deps)
        else:
            # INTERSECT / EXCEPT: values come from the left; the right decides which rows stay.
            for name, deps in zip(left.names, left.deps, strict=True):
                copy = Deps()
                copy.absorb(deps)
                result.add(name, copy)
            for deps in right.deps:
                result.rows.absorb_as(deps, "FILTER")
            result.rows.absorb_as(right.rows, "FILTER")
        order = node.args.get("order")
        if order is not None:
            self._order(order, scope, result)
        return result

    def _values(self, scope: Scope, node: exp.Values) -> Columns:
        result = Columns()
        rows = node.expressions
        width = len(rows[0].expressions) if rows and isinstance(rows[0], exp.Tuple) else 1
        names = [n.lower() for n in scope.outer_columns] or [f"col{i}" for i in range(width)]
        for name in names:
            result.add(name, Deps())
        return result

    def _wrapper(self, scope: Scope) -> Columns:
        # LATERAL (subquery) or a parenthesised query: the columns are the inner query's.
        inner = scope.subquery_scopes or [s for s in scope.sources.values() if isinstance(s, Scope)]
        if not inner or not isinstance(inner[-1], Scope):
            return Columns()
        return self.resolve(inner[-1])

    def _udtf(self, scope: Scope, node: exp.Expr) -> Columns:
        # UNNEST(arr) and other table-valued functions over columns: each output element is
        # computed from the arguments.
        result = Columns()
        deps = Deps()
        for arg in node.iter_expressions():
            if isinstance(arg, exp.TableAlias):
                continue
            self._expr(arg, scope, deps, TRANSFORMATION, False, None)
        names = [n.lower() for n in scope.outer_columns]
        if not names:
            alias = node.args.get("alias")
            names = [alias.name.lower()] if alias is not None and alias.name else ["unnest"]
        for name in names:
            copy = Deps()
            copy.absorb(deps)
            result.add(name, copy)
        return result

    # ------------------------------------------------------------------------------ sources

    def _table(self, table: exp.Table) -> tuple[str, dict[str, str] | None] | None:
        """The id and known columns of a stored table, ``None`` for a table function."""
        if not isinstance(table.this, exp.Identifier):
            return None  # range(10), read_parquet(...): rows from no stored table
        table_id, columns = self._tables.lookup(table)
        if table_id not in self.inputs:
            self.inputs[table_id] = dict(columns) if columns is not None else {}
            if columns is None:
                self.unresolved[table_id] = None
            version = table.args.get("version")
            if isinstance(version, exp.Version) and version.name.upper() == "VERSION":
                value = version.expression
                if isinstance(value, exp.Literal) and not value.is_string:
                    self.snapshots[table_id] = int(value.this)
        return table_id, columns

    def _stored(self, table_id: str, columns: dict[str, str] | None, name: str) -> Deps:
        if columns is None:
            self.inputs[table_id].setdefault(name, "UNKNOWN")
        deps = Deps()
        deps.direct[f"{table_id}.{name}"] = (IDENTITY, False)
        return deps

    def _source_column(self, source: exp.Table | Scope, name: str) -> Deps | None:
        if isinstance(source, Scope):
            child = self.resolve(source)
            return child.by_name.get(name) or child.by_name.get("*")
        found = self._table(source)
        if found is None:
            return None
        return self._stored(found[0], found[1], self._renamed(source, found[1], name))

    @staticmethod
    def _renamed(table: exp.Table, columns: dict[str, str] | None, name: str) -> str:
        """The stored name of ``name`` when ``table AS x(a, b)`` renames its first columns."""
        aliases = table.alias_column_names
        if aliases and columns is not None:
            lowered = [a.lower() for a in aliases]
            if name in lowered:
                stored = list(columns)
                index = lowered.index(name)
                if index < len(stored):
                    return stored[index]
        return name

    def _column(self, column: exp.Column, scope: Scope) -> Deps | None:
        name = column.name.lower()
        table = column.table
        if table:
            current: Scope | None = scope
            while current is not None:
                source = current.sources.get(table)
                if source is not None:
                    return self._source_column(source, name)
                current = current.parent
            return None
        if any(name in names for names in self._lambda_vars):
            return None
        # Unqualified after qualify: a column of a table the schema does not know (or a tree
        # that was not qualified). Take the one source that has it; else every opaque source.
        known: list[Deps] = []
        opaque: list[Deps] = []
        for _, source in scope.selected_sources.values():
            if isinstance(source, Scope):
                child = self.resolve(source)
                if name in child.by_name:
                    known.append(child.by_name[name])
                elif "*" in child.by_name:
                    opaque.append(child.by_name["*"])
                continue
            found = self._table(source)
            if found is None:
                continue
            table_id, columns = found
            if columns is None:
                opaque.append(self._stored(table_id, None, name))
            else:
                stored = self._renamed(source, columns, name)
                if stored in columns:
                    known.append(self._stored(table_id, columns, stored))
        candidates = known or opaque
        if not candidates:
            return None
        if len(candidates) == 1:
            return candidates[0]
        merged = Deps()
        for deps in candidates:
            merged.absorb(deps)
        return merged

    def _expand_star(
        self, scope: Scope, table: str | None, excluded: set[str], result: Columns
    ) -> None:
        """``*`` or ``t.*`` that ``qualify`` left alone: some source is not in the schema."""
        for alias, (_, source) in scope.selected_sources.items():
            if table and alias != table:
                continue
            if isinstance(source, Scope):
                child = self.resolve(source)
                for name, deps in zip(child.names, child.deps, strict=True):
                    if name not in excluded:
                        result.add(name, deps)
                continue
            found = self._table(source)
            if found is None:
                result.add("*", Deps())  # a table function's columns: known only at run time
                continue
            table_id, columns = found
            if columns is None:
                deps = Deps()
                deps.direct[f"{table_id}.*"] = (IDENTITY, False)
                result.add("*", deps)
            else:
                aliases = [a.lower() for a in source.alias_column_names]
                for i, name in enumerate(columns):
                    out = aliases[i] if i < len(aliases) else name
                    if out not in excluded:
                        result.add(out, self._stored(table_id, columns, name))

    def _using(self, scope: Scope, name: str, rows: Deps) -> None:
        # JOIN ... USING (k) in a tree that was not qualified: k of every source that has it.
        for _, source in scope.selected_sources.values():
            deps = self._source_column(source, name) if isinstance(source, Scope) else None
            if isinstance(source, exp.Table):
                found = self._table(source)
                if found is not None and (found[1] is None or name in found[1]):
                    deps = self._stored(found[0], found[1], name)
            if deps is not None:
                rows.absorb_as(deps, "JOIN")

    # --------------------------------------------------------------------------- expressions

    def _order(self, order: exp.Expr, scope: Scope, result: Columns) -> None:
        for ordered in order.expressions:
            key = ordered.this if isinstance(ordered, exp.Ordered) else ordered
            if isinstance(key, exp.Var) and key.name.upper() == "ALL":
                for deps in result.deps:
                    result.rows.absorb_as(deps, "SORT")
            elif (
                isinstance(key, exp.Column) and not key.table and key.name.lower() in result.by_name
            ):
                result.rows.absorb_as(result.by_name[key.name.lower()], "SORT")
            elif isinstance(key, exp.Literal) and not key.is_string and key.this.isdigit():
                index = int(key.this) - 1
                if 0 <= index < len(result.deps):
                    result.rows.absorb_as(result.deps[index], "SORT")
            else:
                self._expr(key, scope, result.rows, IDENTITY, False, "SORT")

    def _subquery(self, node: exp.Expr, scope: Scope) -> Columns | None:
        for child in scope.subquery_scopes:
            if child.expression is node:
                return self.resolve(child)
        return None

    def _expr(
        self,
        node: exp.Expr,
        scope: Scope,
        out: Deps,
        rank: int,
        masked: bool,
        kind: str | None,
    ) -> None:
        """Add what ``node``'s value depends on to ``out``.

        ``kind`` None: a value context, where columns flow in at ``rank``. Otherwise an indirect
        context (``"FILTER"``, ``"JOIN"``, ...): every column below affects ``out`` as ``kind``.
        """
        if isinstance(node, exp.Column):
            if isinstance(node.this, exp.Star):
                return  # count(t.*) and friends: a row count, no column value
            deps = self._column(node, scope)
            if deps is not None:
                if kind is None:
                    out.absorb(deps, rank, masked)
                else:
                    out.absorb_as(deps, kind)
            return
        if isinstance(node, LEAVES):
            return
        if isinstance(node, exp.Select | exp.SetOperation):
            sub = self._subquery(node, scope)
            if sub is None:
                return
            for deps in sub.deps:
                if kind is None:
                    out.absorb(deps, rank, masked)
                else:
                    out.absorb_as(deps, kind)
            if kind is None:
                out.absorb(sub.rows)
            else:
                out.absorb_as(sub.rows, kind)
            return
        if isinstance(node, exp.Lambda):
            self._lambda_vars.append({e.name.lower() for e in node.expressions})
            try:
                self._expr(node.this, scope, out, max(rank, TRANSFORMATION), masked, kind)
            finally:
                self._lambda_vars.pop()
            return
        if kind is not None:
            for child in node.iter_expressions():
                self._expr(child, scope, out, rank, masked, kind)
            return

        if isinstance(node, PASS_THROUGH):
            for child in node.iter_expressions():
                if not isinstance(child, exp.TableAlias | exp.Identifier):
                    self._expr(child, scope, out, rank, masked, None)
        elif isinstance(node, exp.Case):
            operand = node.args.get("this")
            if operand is not None:
                self._expr(operand, scope, out, rank, masked, "CONDITIONAL")
            for branch in node.args.get("ifs") or ():
                self._expr(branch.this, scope, out, rank, masked, "CONDITIONAL")
                self._expr(branch.args["true"], scope, out, rank, masked, None)
            default = node.args.get("default")
            if default is not None:
                self._expr(default, scope, out, rank, masked, None)
        elif isinstance(node, exp.If):
            self._expr(node.this, scope, out, rank, masked, "CONDITIONAL")
            for arg in ("true", "false"):
                value = node.args.get(arg)
                if value is not None:
                    self._expr(value, scope, out, rank, masked, None)
        elif isinstance(node, exp.Coalesce):
            args = [node.this, *node.expressions]
            tested = not self._is_using_key(args, scope)
            for i, arg in enumerate(args):
                self._expr(arg, scope, out, rank, masked, None)
                if tested and i < len(args) - 1:
                    self._expr(arg, scope, out, rank, masked, "CONDITIONAL")
        elif isinstance(node, exp.Window):
            self._expr(node.this, scope, out, rank, masked, None)
            self._window_spec(node, scope, out)
        elif isinstance(node, exp.Filter):  # agg(x) FILTER (WHERE cond)
            self._expr(node.this, scope, out, rank, masked, None)
            self._expr(node.expression, scope, out, rank, masked, "CONDITIONAL")
        else:
            if isinstance(node, NAVIGATION):
                rank = max(rank, TRANSFORMATION)
            elif isinstance(node, exp.AggFunc):
                rank = AGGREGATION
                masked = masked or isinstance(node, MASKING_AGGS)
            elif isinstance(node, exp.Anonymous):
                fname = node.name.lower()
                rank = AGGREGATION if fname in ANONYMOUS_AGGREGATES else max(rank, TRANSFORMATION)
                masked = masked or fname in MASKING_ANONYMOUS
            else:
                rank = max(rank, TRANSFORMATION)
                masked = masked or isinstance(node, MASKING_FUNCS)
            for child in node.iter_expressions():
                self._expr(child, scope, out, rank, masked, None)

    def _window_spec(self, window: exp.Window, scope: Scope, out: Deps) -> None:
        specs: list[exp.Expr] = [window]
        alias = window.args.get("alias")
        if (
            alias is not None
            and not window.args.get("partition_by")
            and not window.args.get("order")
        ):
            # OVER w: the spec lives in the SELECT's WINDOW clause.
            select = scope.expression
            windows = select.args.get("windows") if isinstance(select, exp.Select) else None
            specs.extend(w for w in windows or () if w.name.lower() == alias.name.lower())
        for spec in specs:
            for part in spec.args.get("partition_by") or ():
                self._expr(part, scope, out, IDENTITY, False, "WINDOW")
            order = spec.args.get("order")
            if order is not None:
                self._expr(order, scope, out, IDENTITY, False, "WINDOW")

    def _is_using_key(self, args: list[exp.Expr], scope: Scope) -> bool:
        """Whether COALESCE(a.k, b.k) is what ``qualify`` made of ``USING (k)`` (a join key)."""
        if len(args) < 2 or not all(isinstance(a, exp.Column) and a.table for a in args):
            return False
        pairs = self._join_pairs.get(id(scope))
        if pairs is None:
            pairs = set()
            select = scope.expression
            for join in select.args.get("joins") or ():
                on = join.args.get("on")
                if on is None:
                    continue
                for eq in on.find_all(exp.EQ):
                    left, right = eq.this, eq.expression
                    if isinstance(left, exp.Column) and isinstance(right, exp.Column):
                        pairs.add(frozenset({(left.table, left.name), (right.table, right.name)}))
            self._join_pairs[id(scope)] = pairs
        keys = [(a.table, a.name) for a in args if isinstance(a, exp.Column)]
        # Each key must be joined (a.k = b.k) to one before it, as USING chains them.
        return all(
            any(frozenset({keys[j], keys[i]}) in pairs for j in range(i))
            for i in range(1, len(keys))
        )

"""Column lineage of one SQL statement: a query, a CTAS or an INSERT ... SELECT.

Example:
    >>> schema = {"retail.orders": {"id": "INTEGER", "amount": "DOUBLE", "status": "VARCHAR"}}
    >>> g = query_lineage(
    ...     "SELECT id, amount * 2 AS double_amount FROM retail.orders WHERE status = 'paid'",
    ...     schema,
    ... )
    >>> [(e.source, e.target, e.kind) for e in g.edges if e.target == "output.double_amount"]
    [('retail.orders.amount', 'output.double_amount', 'TRANSFORMATION'), \
('retail.orders.status', 'output.double_amount', 'FILTER')]

The statement is qualified with sqlglot (stars expanded from the schema, ``USING`` turned into
join conditions, aliases resolved) unless the caller passes a tree that already is, then its
scopes are walked once (``scopes.py``). Results are cached by normalized SQL (or the tree's
structural hash) and a fingerprint of the schema, so re-running a cell costs a dict lookup.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Final

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import build_scope

from neurolake_lab.lineage.deps import RANK_NAMES, Columns, Deps
from neurolake_lab.lineage.errors import LineageError
from neurolake_lab.lineage.graph import OUTPUT_PREFIX, LineageEdge, LineageGraph
from neurolake_lab.lineage.schema_index import Schema, TableIndex, fingerprint
from neurolake_lab.lineage.scopes import ScopeWalker
from neurolake_lab.lru import LRU

__all__ = ["Schema", "clear_cache", "query_lineage"]

_CACHE_SIZE: Final = 256
_INDEX_CACHE_SIZE: Final = 16


_graphs: LRU[object] = LRU(_CACHE_SIZE)
_indexes: LRU[object] = LRU(_INDEX_CACHE_SIZE)


def clear_cache() -> None:
    """Forget every cached lineage graph and schema index (for tests and benchmarks)."""
    _graphs.clear()
    _indexes.clear()


def query_lineage(
    sql_or_tree: str | exp.Expr,
    schema: Schema,
    *,
    dialect: str = "duckdb",
    output_table: str | None = None,
) -> LineageGraph:
    """The column lineage of one statement.

    Args:
        sql_or_tree: One SQL statement, or its sqlglot tree (parsed once by the session and
            shared; it is never modified: a tree that is not qualified yet is qualified on a
            copy).
        schema: ``{"ns.table": {column: duckdb_type}}`` for the tables the statement may read
            (``{"table": ...}`` for a table without a namespace). Tables it does not list are
            opaque: their columns are taken as written, and ``*`` over them is ``ns.t.*``.
        dialect: sqlglot dialect of the SQL.
        output_table: Name the targets ``<output_table>.<column>`` instead of
            ``output.<column>`` (or instead of the CTAS/INSERT statement's own target).

    Returns:
        The graph: ``output.<column>`` (or ``ns.t.col`` for a write) ← ``ns.t.col`` edges. A
        statement that reads no query (DDL, SET, UPDATE, ...) has an empty graph.

    Raises:
        LineageError: The text is not one statement sqlglot can parse.
    """
    schema_key = fingerprint(schema)
    if isinstance(sql_or_tree, str):
        text_key: Hashable = ("sql", " ".join(sql_or_tree.split()).rstrip(";"))
    else:
        text_key = ("tree", hash(sql_or_tree))
    key = (text_key, schema_key, dialect, output_table)
    cached = _graphs.get(key)
    if isinstance(cached, LineageGraph):
        return cached.copy()

    index = _indexes.get((schema_key, dialect))
    if not isinstance(index, TableIndex):
        index = TableIndex(schema, dialect)
        _indexes.put((schema_key, dialect), index)
    graph = _lineage(sql_or_tree, index, dialect, output_table)
    _graphs.put(key, graph)
    return graph.copy()


def _parse(sql: str, dialect: str) -> exp.Expr:
    try:
        statements = [s for s in sqlglot.parse(sql, dialect=dialect) if s is not None]
    except SqlglotError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise LineageError(f"Cannot parse the SQL for column lineage: {first}") from exc
    if len(statements) != 1:
        raise LineageError(
            f"Column lineage takes one SQL statement at a time; got {len(statements)}."
        )
    return statements[0]


def _target_name(table: exp.Expr, index: TableIndex) -> str:
    if isinstance(table, exp.Schema):
        table = table.this
    if not isinstance(table, exp.Table):
        return table.sql().lower()
    return index.lookup(table)[0]


def _looks_qualified(query: exp.Expr) -> bool:
    """Whether ``query`` already went through ``qualify``.

    It has if every projection and every table is aliased, and nothing ``qualify`` rewrites is
    left: no star (one over an unknown table is qualified again, which changes nothing), no
    ``USING`` or ``NATURAL`` join, no ``GROUP BY``/``ORDER BY`` position.
    """
    for node in query.walk():
        if isinstance(node, exp.Select):
            for projection in node.expressions:
                if not isinstance(projection, exp.Alias):
                    return False
            for join in node.args.get("joins") or ():
                if join.args.get("using") or join.method.upper() == "NATURAL":
                    return False
            group = node.args.get("group")
            if group is not None and any(isinstance(e, exp.Literal) for e in group.expressions):
                return False
        elif (
            isinstance(node, exp.Table)
            and isinstance(node.this, exp.Identifier)
            and not node.alias
            and isinstance(node.parent, exp.From | exp.Join)
        ):
            return False
    return True


def _written_names(query: exp.Expr) -> dict[str, str]:
    """Aliases as the user spelled them (qualify lower-cases them), by lower-cased name.

    DuckDB names a result column by its alias as written, but a bare column by its stored name.
    """
    while isinstance(query, exp.SetOperation):
        query = query.this
    if isinstance(query, exp.Subquery):
        query = query.unnest()
    if not isinstance(query, exp.Select):
        return {}
    names = {}
    for projection in query.expressions:
        if isinstance(projection, exp.Alias):
            name = projection.alias
            if name and name != name.lower():
                names[name.lower()] = name
    return names


@dataclass
class _Statement:
    """A statement unwrapped: the query it runs and, for CTAS/INSERT, where the rows go."""

    query: exp.Expr | None
    owned: bool
    target_table: str | None = None
    target_columns: list[str] | None = None
    by_name: bool = False
    is_insert: bool = False


def _unwrap(statement: exp.Expr, owned: bool, index: TableIndex) -> _Statement:
    """The query of a CTAS or INSERT (with its target), or the statement itself."""
    if not isinstance(statement, exp.Create | exp.Insert):
        return _Statement(query=statement, owned=owned)
    target = statement.this
    unwrapped = _Statement(
        query=statement.expression,
        owned=owned,
        target_table=_target_name(target, index),
        is_insert=isinstance(statement, exp.Insert),
        by_name=bool(statement.args.get("by_name")),
    )
    if isinstance(target, exp.Schema) and target.expressions:
        unwrapped.target_columns = [c.name.lower() for c in target.expressions]
    with_ = statement.args.get("with_")  # WITH t AS (...) INSERT INTO ...: the CTEs go inside
    query = unwrapped.query
    if with_ is not None and isinstance(query, exp.Query) and not query.args.get("with_"):
        query = query.copy()
        query.set("with_", with_.copy())
        unwrapped.query = query
        unwrapped.owned = True
    return unwrapped


def _lineage(
    tree_or_sql: str | exp.Expr, index: TableIndex, dialect: str, output_table: str | None
) -> LineageGraph:
    if isinstance(tree_or_sql, str):
        unwrapped = _unwrap(_parse(tree_or_sql, dialect), True, index)
    else:
        unwrapped = _unwrap(tree_or_sql, False, index)
    query, owned, target_table = unwrapped.query, unwrapped.owned, unwrapped.target_table
    if output_table is not None:
        target_table = output_table.lower()
    if not isinstance(query, exp.Query | exp.Values):
        return LineageGraph(nodes=[], edges=[], target_table=target_table)

    warnings: list[str] = []
    written = _written_names(query)
    if isinstance(query, exp.Query) and (owned or not _looks_qualified(query)):
        if not owned:
            query = query.copy()
        try:
            query = qualify(
                query,
                dialect=dialect,
                schema=index.sqlglot_schema,
                validate_qualify_columns=False,
                quote_identifiers=False,
                identify=False,
            )
        except SqlglotError as exc:
            # The walk resolves unqualified columns and stars itself, less precisely.
            warnings.append(f"sqlglot could not qualify the query ({exc}); lineage is partial.")

    walker = ScopeWalker(index)
    columns = Columns()
    if isinstance(query, exp.Values):
        width = len(query.expressions[0].expressions) if query.expressions else 0
        for i in range(width):
            columns.add(f"col{i}", Deps())
    else:
        try:
            root = build_scope(query)
            if root is not None:
                columns = walker.run(root)
        except SqlglotError as exc:  # e.g. two sources with one alias, which DuckDB rejects too
            message = f"Cannot follow the query's scopes for column lineage: {exc}"
            raise LineageError(message) from exc

    targets = _targets(columns, target_table, unwrapped, index, written)
    return _graph(columns, targets, walker, target_table, warnings)


def _targets(
    columns: Columns,
    target_table: str | None,
    unwrapped: _Statement,
    index: TableIndex,
    written: dict[str, str],
) -> list[str | None]:
    """The target id of each output column (``None``: the column is not written)."""
    names = columns.names
    target_columns, by_name = unwrapped.target_columns, unwrapped.by_name
    if target_table is None:
        return [f"{OUTPUT_PREFIX}.{written.get(n, n)}" for n in names]
    if target_columns is None and unwrapped.is_insert and not by_name:
        known = index.known.get(target_table)
        if known is not None:
            target_columns = list(known)
    if target_columns is not None and not by_name:
        return [
            f"{target_table}.{target_columns[i]}" if i < len(target_columns) else None
            for i in range(len(names))
        ]
    return [f"{target_table}.{n}" for n in names]


def _graph(
    columns: Columns,
    targets: list[str | None],
    walker: ScopeWalker,
    target_table: str | None,
    warnings: list[str],
) -> LineageGraph:
    direct: dict[tuple[str, str], tuple[int, bool]] = {}
    indirect: dict[tuple[str, str, str], bool] = {}
    rows = columns.rows.indirect
    outputs: list[str] = []
    for target, deps in zip(targets, columns.deps, strict=True):
        if target is None:
            continue
        outputs.append(target)
        for source, (rank, masked) in deps.direct.items():
            old = direct.get((source, target))
            direct[(source, target)] = (
                (rank, masked) if old is None else (max(old[0], rank), old[1] and masked)
            )
        for items in (deps.indirect, rows):
            for (source, kind), masked in items.items():
                old_m = indirect.get((source, target, kind))
                indirect[(source, target, kind)] = masked if old_m is None else old_m and masked

    order = {t: i for i, t in enumerate(dict.fromkeys(outputs))}
    edges = [
        LineageEdge(source, target, RANK_NAMES[rank], masked)
        for (source, target), (rank, masked) in direct.items()
    ]
    edges.extend(
        LineageEdge(source, target, kind, masked)
        for (source, target, kind), masked in indirect.items()
    )
    edges.sort(key=lambda e: (order[e.target], not e.direct, e.source, e.kind))

    nodes: list[dict[str, object]] = [
        {"id": target, "label": target.rsplit(".", 1)[-1]} for target in order
    ]
    sources = sorted({e.source for e in edges} - set(order))
    for source in sources:
        node: dict[str, object] = {"id": source, "label": source.rsplit(".", 1)[-1]}
        table = source.rsplit(".", 1)[0]
        if table in walker.snapshots:
            node["snapshot_id"] = walker.snapshots[table]
        nodes.append(node)
    return LineageGraph(
        nodes=nodes,
        edges=edges,
        outputs=outputs,
        inputs=walker.inputs,
        unresolved=list(walker.unresolved),
        target_table=target_table,
        warnings=warnings,
    )

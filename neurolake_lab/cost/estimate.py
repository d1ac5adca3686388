"""One statement's plan-and-metadata estimate: DuckDB's plan, each scan's pruned files and bytes.

This is the part of a prediction that does not learn: ``EXPLAIN (FORMAT JSON)`` gives the plan
with DuckDB's cardinalities and the filters it pushed into each scan; the filters are translated
to pyiceberg expressions and run against the table's file list, which gives the files, rows and
bytes the scan will really read. The learned model turns the resulting figures into a duration.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from neurolake_lab.cost.cardinality import Cardinalities, JoinEstimate, estimate_rows
from neurolake_lab.cost.features import PlanFigures, analytic_ms, feature_vector, plan_figures
from neurolake_lab.cost.plan import Plan, PlanNode, parse_plan
from neurolake_lab.cost.sources import Source, query_sources
from neurolake_lab.cost.table_stats import ScanEstimate, TableFiles, table_files

if TYPE_CHECKING:
    from pyiceberg.expressions import BooleanExpression

    from neurolake_lab.context import QueryContext
    from neurolake_lab.cost.ndv import ColumnStatistics, ColumnStats
    from neurolake_lab.cost.writes import WriteShape
    from neurolake_lab.engine.duckdb_engine import Lookup, Params


@dataclass
class StatementEstimate:
    """What is known about one statement before it runs."""

    sql: str
    plan: Plan
    sources: list[Source]
    #: one entry per scan node of the plan: the Iceberg estimate, or None (no metadata)
    scans: list[ScanEstimate | None]
    figures: PlanFigures
    features: list[float]
    analytic_ms: float
    #: sha256 of the normalized SQL and the snapshots read: equal for a re-run of the same query
    fingerprint: str
    tree: exp.Expr | None = None
    timings: dict[str, float] = field(default_factory=dict)
    #: rows through every operator and the joins as classified (``cardinality.py``)
    cards: Cardinalities | None = None
    #: whether the statement writes its rows into the lakehouse (CTAS, INSERT ... SELECT)
    writes: bool = False

    @property
    def estimated_rows(self) -> int:
        """Rows the statement returns (or writes), as estimated through its plan."""
        return round(self.figures.rows_out)

    @property
    def joins(self) -> list[JoinEstimate]:
        """The plan's joins, classified, with their estimated rows."""
        return list(self.cards.joins) if self.cards is not None else []

    @property
    def estimated_bytes(self) -> int:
        """Bytes of the columns read from the files that survive pruning."""
        return int(self.figures.bytes_scanned)


def parse(sql: str) -> exp.Expr | None:
    """The sqlglot tree of one DuckDB statement, or ``None`` when sqlglot cannot read it."""
    try:
        return sqlglot.parse_one(sql, read="duckdb")
    except SqlglotError:
        return None


def normalized_sql(tree: exp.Expr | None, sql: str) -> str:
    """The statement without comments and layout, identifiers lower-cased (DuckDB's semantics)."""
    if tree is None:
        return " ".join(sql.split())
    from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

    return normalize_identifiers(tree.copy(), dialect="duckdb").sql("duckdb", comments=False)


def fingerprint(normalized: str, sources: Sequence[Source], extra: str = "") -> str:
    """A hash that names a statement over given snapshots (no text is kept, only this)."""
    h = hashlib.sha256(normalized.encode())
    for s in sorted(sources, key=lambda s: (s.kind, s.name)):
        h.update(f"\x00{s.kind}:{s.name}@{s.snapshot_id}".encode())
    h.update(b"\x00" + extra.encode())
    return h.hexdigest()


def explain(ctx: QueryContext, sql: str, params: Params, lookup: Lookup | None) -> Plan:
    """DuckDB's physical plan of ``sql`` (DataFrames named in it found through ``lookup``)."""
    ex = ctx.engine.run(f"EXPLAIN (FORMAT JSON) {sql}", params, lookup, statement_type="EXPLAIN")
    assert ex.table is not None
    return parse_plan(str(ex.table.column(1)[0].as_py()))


def estimate_statement(
    ctx: QueryContext,
    sql: str,
    params: Params = None,
    lookup: Lookup | None = None,
    tree: exp.Expr | None = None,
    *,
    statistics: ColumnStatistics | None = None,
    writes: bool = False,
    probe_ms: float = 1.0,
    shape: WriteShape | None = None,
    loads_pii_model: bool = False,
) -> StatementEstimate:
    """Plan ``sql`` (one query), estimate what each scan reads and the rows through the plan.

    ``statistics`` gives the columns' distinct counts and ranges (none: DuckDB's cardinalities
    are used as they are); ``writes`` says the rows go into Iceberg files (a CTAS or INSERT
    body); ``probe_ms`` is the machine's speed now (``speed.py``); ``shape`` the columns the
    write stores and classifies for PII, ``loads_pii_model`` whether that loads Presidio first
    (``writes.py``).

    Raises:
        QueryError: DuckDB cannot plan the statement (the error running it would give).
    """
    import time

    t0 = time.perf_counter()
    plan = explain(ctx, sql, params, lookup)
    t1 = time.perf_counter()
    tree = tree if tree is not None else parse(sql)
    sources = query_sources(tree, ctx.lakehouse) if tree is not None else []
    evaluate = evaluator(ctx)
    matched = _match(plan, sources, evaluate)
    scans = [m[0] if m is not None else None for m in matched]
    t2 = time.perf_counter()
    cards = None
    if statistics is not None:
        cards = estimate_rows(plan, scans, _stats_lookup(ctx, plan, matched, statistics), evaluate)
    t3 = time.perf_counter()
    fig = plan_figures(
        plan, scans, top_limit(tree), cards, width=_width(tree), writes=writes, probe_ms=probe_ms,
        shape=shape, loads_pii_model=loads_pii_model,
    )  # fmt: skip
    normalized = normalized_sql(tree, sql)
    extra = repr(sorted(params.items()) if isinstance(params, dict) else params)
    return StatementEstimate(
        sql=sql,
        plan=plan,
        sources=sources,
        scans=scans,
        figures=fig,
        features=feature_vector(fig),
        analytic_ms=analytic_ms(fig),
        fingerprint=fingerprint(normalized, sources, extra),
        tree=tree,
        timings={
            "explain_ms": (t1 - t0) * 1000,
            "metadata_ms": (t2 - t1) * 1000,
            "cardinality_ms": (t3 - t2) * 1000,
        },
        cards=cards,
        writes=writes,
    )


def _width(tree: exp.Expr | None) -> int | None:
    """Columns of the statement's result (``None`` when a star hides how many)."""
    if not isinstance(tree, exp.Query):
        return None
    selects = tree.selects
    if not selects or any(isinstance(e, exp.Star) or e.find(exp.Star) for e in selects):
        return None
    return len(selects)


def _stats_lookup(
    ctx: QueryContext,
    plan: Plan,
    matched: list[tuple[ScanEstimate, Source, TableFiles] | None],
    statistics: ColumnStatistics,
) -> Callable[[PlanNode, str], ColumnStats | None]:
    """Column statistics of the table a scan node reads (its snapshot)."""
    by_node = {id(n): m for n, m in zip(plan.scans(), matched, strict=True) if m is not None}
    con = ctx.engine.con

    def lookup(node: PlanNode, column: str) -> ColumnStats | None:
        found = by_node.get(id(node))
        if found is None:
            return None
        _, src, tf = found
        if column.lower() not in tf.field_ids or src.location is None:
            return None
        ns, _, table = src.name.partition(".")
        relation = None if src.pinned else f'"{ns}"."{table}"'
        return statistics.get(tf, src.location, column, con, relation)

    return lookup


def top_limit(tree: exp.Expr | None) -> int | None:
    """The statement's own ``LIMIT`` (a constant), if it has one."""
    if tree is None:
        return None
    limit = tree.args.get("limit")
    if isinstance(limit, exp.Limit):
        value = limit.expression
        if isinstance(value, exp.Literal) and not value.is_string:
            try:
                return int(value.name)
            except ValueError:
                return None
    return None


Evaluate = Callable[[str], Any]
_UNKNOWN = object()


def evaluator(ctx: QueryContext) -> Evaluate:
    """Evaluates constant SQL (``'2025-06-01'::DATE``) in DuckDB, remembering what it saw."""
    cache: dict[str, Any] = ctx.memo.setdefault("cost_constants", {})
    con = ctx.engine.con

    def evaluate(expr: str) -> Any:
        if expr not in cache:
            if len(cache) > 4096:
                cache.clear()
            try:
                row = con.execute(f"SELECT {expr}").fetchone()
                cache[expr] = row[0] if row else None
            except duckdb.Error:
                cache[expr] = _UNKNOWN  # not a value a filter can use: no pruning from it
        return cache[expr]

    return evaluate


def match_scans(
    plan: Plan, sources: Sequence[Source], evaluate: Evaluate
) -> list[ScanEstimate | None]:
    """For each scan of ``plan``, the estimate of the Iceberg source it reads (or ``None``)."""
    return [m[0] if m is not None else None for m in _match(plan, sources, evaluate)]


def _match(
    plan: Plan, sources: Sequence[Source], evaluate: Evaluate
) -> list[tuple[ScanEstimate, Source, TableFiles] | None]:
    """Each scan of ``plan`` with its Iceberg source and file list (``None``: not Iceberg).

    DuckDB's plan does not name the table an ``ICEBERG_SCAN`` reads, so a scan is matched to the
    query's Iceberg inputs whose columns include every column the scan reads or filters on;
    among several, the one whose row count is nearest DuckDB's estimate for the scan wins.
    """
    files: list[tuple[Source, TableFiles]] = []
    for src in sources:
        if src.kind == "iceberg" and src.location is not None:
            files.append((src, table_files(src.location, src.snapshot_id)))
    out: list[tuple[ScanEstimate, Source, TableFiles] | None] = []
    for node in plan.scans():
        if node.function != "ICEBERG_SCAN" or not files:
            out.append(None)
            continue
        filters = [f for f in (_parse_filter(text) for text in node.filters) if f is not None]
        wanted = {c.lower() for c in node.projections}
        for f in filters:
            wanted |= {c.name.lower() for c in f.find_all(exp.Column)}
        candidates = [(s, tf) for s, tf in files if wanted <= set(tf.field_ids)]
        if not candidates:
            out.append(None)
            continue
        src, tf = min(candidates, key=lambda c: _distance(node, c[1], bool(filters)))
        row_filter = _row_filter(tf, filters, evaluate)
        out.append((tf.estimate(src.name, wanted or _cheapest(tf), row_filter), src, tf))
    return out


def _distance(node: PlanNode, tf: TableFiles, filtered: bool) -> float:
    import math

    rows = tf.rows * (0.2 if filtered else 1.0)  # DuckDB's default selectivity of a filter
    return abs(math.log1p(rows) - math.log1p(node.cardinality or 0))


def _cheapest(tf: TableFiles) -> list[str]:
    """``count(*)`` reads no column; DuckDB still opens each file (its footer holds the count)."""
    return []


def _parse_filter(text: str) -> exp.Expr | None:
    try:
        return sqlglot.parse_one(text, read="duckdb")
    except SqlglotError:
        return None


def _row_filter(
    tf: TableFiles, filters: Sequence[exp.Expr], evaluate: Evaluate
) -> BooleanExpression | None:
    """The pyiceberg expression of the scan's filters that translate (the rest cannot prune)."""
    if not filters:
        return None
    from pyiceberg.expressions import And

    from neurolake_lab.lakehouse.predicates import to_row_filter

    names = {f.name for f in tf.schema.fields}
    names |= {n.lower() for n in names}
    parts = [p for p in (to_row_filter(f, names, evaluate) for f in filters) if p is not None]
    if not parts:
        return None
    expr = parts[0]
    for p in parts[1:]:
        expr = And(expr, p)
    return expr

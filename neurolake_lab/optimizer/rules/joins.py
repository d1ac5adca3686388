"""Joins whose estimated output explodes: a missing or too loose join condition.

DuckDB's plan says how many rows each join is expected to produce. A cross product, or a join
expected to return many times more rows than its larger input, is almost always a condition the
author forgot or a join on a column that is not a key. When the tables declare a foreign key
between them (``neurolake.foreign_keys``) and the query does not use it, the rewrite adds it;
that changes the result (to the one that was most likely meant), and the message says so.
Otherwise the suggestion names the join and its estimate, without a rewrite.
"""

from __future__ import annotations

import json

from sqlglot import exp

from neurolake_lab.cost.plan import JOIN_OPERATORS, QUADRATIC_JOINS, PlanNode
from neurolake_lab.cost.sources import Source
from neurolake_lab.optimizer.context import Candidate, RuleContext

KIND = "join_explosion"
#: a join is "exploding" when it is expected to return this many times its larger input ...
EXPLOSION_FACTOR = 10.0
#: ... and at least this many rows
MIN_ROWS = 100_000


def candidates(ctx: RuleContext) -> list[Candidate]:
    """The foreign-key condition a cross product lacks, or advice on an exploding join."""
    exploding = [n for n in ctx.estimate.plan.nodes() if _explodes(n)]
    if not exploding:
        return []
    fixes = _missing_foreign_keys(ctx)
    if fixes:
        tree = ctx.tree.copy()
        conds = [exp.condition(c, dialect="duckdb") for c, _ in fixes]
        where = tree.args.get("where")
        if where is not None:
            tree.set("where", exp.Where(this=exp.and_(where.this, *conds)))
        else:
            tree.set("where", exp.Where(this=exp.and_(*conds)))
        shown = "; ".join(text for _, text in fixes)
        return [
            Candidate(
                KIND,
                f"a join is estimated to return {_rows(exploding[0])} rows: the query does not "
                f"use the declared foreign key ({shown}). The rewrite adds it (a different, "
                "smaller result: the rows that match)",
                ctx.render(tree),
                equivalent=False,
            )
        ]
    node = exploding[0]
    inputs = " and ".join(f"{_rows(c)}" for c in node.children)
    tables = sorted({s.name for s in _scans_under(ctx, node)})
    named = f" of {' and '.join(tables)}" if tables else ""
    return [
        Candidate(
            KIND,
            f"the join{named} is estimated to return {_rows(node)} rows from inputs of "
            f"{inputs} rows ({node.name.replace('_', ' ').lower()}): check that its condition "
            "joins on keys",
            None,
            equivalent=False,
        )
    ]


def _explodes(node: PlanNode) -> bool:
    if node.name not in JOIN_OPERATORS or node.cardinality is None:
        return False
    biggest = max((c.cardinality or 0 for c in node.children), default=0)
    if node.cardinality < MIN_ROWS:
        return False
    if node.name in QUADRATIC_JOINS:
        return node.cardinality > 2 * biggest
    return node.cardinality > EXPLOSION_FACTOR * max(biggest, 1)


def _rows(node: PlanNode) -> str:
    return f"~{node.cardinality:,}" if node.cardinality is not None else "?"


def _scans_under(ctx: RuleContext, node: PlanNode) -> list[Source]:
    below = {id(n) for n in node.walk()}
    out = []
    for scan_node, est in zip(ctx.estimate.plan.scans(), ctx.estimate.scans, strict=True):
        if id(scan_node) in below and est is not None:
            out.append(Source("iceberg", est.table))
    return out


def _missing_foreign_keys(ctx: RuleContext) -> list[tuple[str, str]]:
    """``(condition SQL, description)`` of each declared foreign key the query does not use.

    Only keys between two tables the query reads count, and a key counts as used when the query
    compares its columns with ``=`` (in ``ON`` or ``WHERE``) or joins ``USING`` them.
    """
    refs = {t.alias_or_name: t for t in ctx.tree.find_all(exp.Table)}
    by_table: dict[str, list[str]] = {}
    for alias, table in refs.items():
        src = ctx.source_of(table)
        if src is not None:
            by_table.setdefault(src.name.lower(), []).append(alias)
    used = _equalities(ctx)
    out: list[tuple[str, str]] = []
    for alias, table in refs.items():
        src = ctx.source_of(table)
        if src is None:
            continue
        props = dict(ctx.files(src).metadata.properties)
        try:
            keys = json.loads(props.get("neurolake.foreign_keys", "[]"))
        except ValueError:
            continue
        for fk in keys if isinstance(keys, list) else []:
            target = str(fk.get("references", "")).lower()
            cols, ref_cols = list(fk.get("columns", [])), list(fk.get("ref_columns", []))
            if target not in by_table or not cols or len(cols) != len(ref_cols):
                continue
            other = by_table[target][0]
            if other == alias:
                continue
            pairs = list(zip(cols, ref_cols, strict=True))
            if all(_uses(used, alias, c, other, r) for c, r in pairs):
                continue
            cond = " AND ".join(f"{alias}.{c} = {other}.{r}" for c, r in pairs)
            out.append((cond, f"{src.name}({', '.join(cols)}) → {target}"))
    return out


def _uses(used: set[tuple[str, str]], alias: str, col: str, other: str, ref: str) -> bool:
    pair = (f"{alias}.{col}".lower(), f"{other}.{ref}".lower())
    using = (f"*.{col}".lower(), f"*.{ref}".lower())
    return pair in used or pair[::-1] in used or (col.lower() == ref.lower() and using in used)


def _equalities(ctx: RuleContext) -> set[tuple[str, str]]:
    """Column pairs the query compares with ``=`` (qualified by alias when it says one)."""
    out: set[tuple[str, str]] = set()
    for eq in ctx.tree.find_all(exp.EQ):
        left, right = eq.this, eq.expression
        if isinstance(left, exp.Column) and isinstance(right, exp.Column):
            out.add((_qual(ctx, left), _qual(ctx, right)))
    for join in ctx.tree.find_all(exp.Join):
        for col in join.args.get("using") or []:
            name = col.name.lower()
            out.add((f"*.{name}", f"*.{name}"))
    return out


def _qual(ctx: RuleContext, col: exp.Column) -> str:
    if col.table:
        return f"{col.table}.{col.name}".lower()
    src = ctx.column_source(col)
    aliases = [a for a, s in ctx.iceberg.items() if src is not None and s == src]
    return f"{aliases[0] if aliases else '*'}.{col.name}".lower()

"""Joins whose estimated output explodes: a missing or too loose join condition.

The cost model's cardinality estimate (``cost/cardinality.py``) says how many rows each join is
expected to produce and what kind of join it is. A cross join, or a many-to-many or inequality
join expected to return many times more rows than its larger input, is almost always a condition
the author forgot or a join on a column that is not a key. The figures quoted are the same
estimates the cost panel shows, so the two never disagree. When the tables declare a foreign key
between them (``neurolake.foreign_keys``) and the query does not use it, the rewrite adds it;
that changes the result (to the one that was most likely meant), and the message says so.
Otherwise the suggestion names the join and its estimate, without a rewrite.
"""

from __future__ import annotations

import json

from sqlglot import exp

from neurolake_lab.cost.cardinality import JoinEstimate
from neurolake_lab.optimizer.context import Candidate, RuleContext

KIND = "join_explosion"
#: a join is "exploding" when it is expected to return this many times its larger input ...
EXPLOSION_FACTOR = 10.0
#: ... and at least this many rows
MIN_ROWS = 100_000


def candidates(ctx: RuleContext) -> list[Candidate]:
    """The foreign-key condition a cross join lacks, or advice on an exploding join."""
    exploding = [j for j in ctx.estimate.joins if _explodes(j)]
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
                f"a {_kind(exploding[0])} is estimated to return {approx_rows(exploding[0].rows)} "
                f"rows: the query does not use the declared foreign key ({shown}). The rewrite "
                "adds it (a different, smaller result: the rows that match)",
                ctx.render(tree),
                equivalent=False,
            )
        ]
    join = exploding[0]
    named = f" of {' and '.join(join.tables)}" if join.tables else ""
    on = f" on {', '.join(join.keys)}" if join.keys else ""
    return [
        Candidate(
            KIND,
            f"the {_kind(join)}{named}{on} is estimated to return {approx_rows(join.rows)} rows "
            f"from inputs of {approx_rows(join.left_rows)} and {approx_rows(join.right_rows)} "
            "rows: check that its condition joins on keys",
            None,
            equivalent=False,
        )
    ]


def _explodes(join: JoinEstimate) -> bool:
    if join.rows < MIN_ROWS or join.kind not in ("cross", "many_to_many", "inequality"):
        return False
    biggest = max(join.left_rows, join.right_rows, 1.0)
    factor = 2.0 if join.kind == "cross" else EXPLOSION_FACTOR
    return join.rows > factor * biggest


def _kind(join: JoinEstimate) -> str:
    return {"cross": "cross join", "many_to_many": "many-to-many join",
            "inequality": "join on an inequality"}.get(join.kind, "join")  # fmt: skip


def approx_rows(rows: float) -> str:
    """Rows as the cost panel shows an estimate: ``~2.6 million``, ``~12,000``."""
    if rows >= 1e9:
        return f"~{rows / 1e9:.1f} billion"
    if rows >= 1e6:
        return f"~{rows / 1e6:.1f} million"
    return f"~{round(rows):,}"


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

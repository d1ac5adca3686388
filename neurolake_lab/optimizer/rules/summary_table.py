"""An aggregation that a smaller, up-to-date summary table already holds.

A table made by ``CREATE TABLE s AS SELECT g, SUM(x) AS sx, COUNT(*) AS n FROM base GROUP BY g``
records its SQL and the snapshot of ``base`` it read in its snapshot summary (the lakehouse does
this for every CTAS). While ``base`` is still at that snapshot and ``s`` unchanged since, a query
that groups ``base`` by a subset of ``g`` and asks for sums, counts, minima or maxima can read
``s`` instead: ``SUM(x)`` becomes ``SUM(sx)``, ``COUNT(*)`` becomes ``SUM(n)``, ``MIN``/``MAX``
of the minima/maxima. Sums are re-added only over integers and decimals, where the order of
addition cannot change the result, and each rewritten aggregate is cast to the type the
original query returns, so the rewrite returns exactly the same table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from neurolake_lab.optimizer.context import Candidate, RuleContext

KIND = "summary_table"
_EXACT_SUM_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT",
                    "USMALLINT", "UINTEGER", "UBIGINT", "DECIMAL")  # fmt: skip


@dataclass(frozen=True)
class _Summary:
    """A summary table: its group columns and aggregates, by output name."""

    table: str
    groups: dict[str, str]  # base column (lower) -> summary column
    aggregates: dict[tuple[str, str], str]  # (function, base column or "*") -> summary column
    rows: int


def candidates(ctx: RuleContext) -> list[Candidate]:
    """The query answered from a summary table, when one fits."""
    select = ctx.tree
    if not isinstance(select, exp.Select) or select.args.get("having"):
        return []
    tables = list(select.find_all(exp.Table))
    if len(tables) != 1 or select.args.get("joins") or select.find(exp.Subquery, exp.Window):
        return []
    base = ctx.source_of(tables[0])
    if base is None:
        return []
    wanted = _query_shape(select)
    if wanted is None:
        return []
    groups, aggs = wanted
    best: _Summary | None = None
    for summary in _summaries(ctx, base.name, base.snapshot_id):
        fits = all(g in summary.groups for g in groups) and all(
            a in summary.aggregates for a in aggs
        )
        if fits and (best is None or summary.rows < best.rows):
            best = summary
    if best is None or not _exact(ctx, base, aggs):
        return []
    types = _output_types(ctx)
    if types is None:
        return []
    tree = _rewrite(select.copy(), best, types)
    if tree is None:
        return []
    return [
        Candidate(
            KIND,
            f"{best.table} ({best.rows:,} rows) already holds these totals of {base.name} at "
            "its current snapshot; reading it returns the same result",
            ctx.render(tree),
            equivalent=True,
        )
    ]


def _query_shape(select: exp.Select) -> tuple[set[str], set[tuple[str, str]]] | None:
    """Columns a summary must group by (grouped or filtered on) and the aggregates used."""
    groups = _group_columns(select)
    if groups is None:
        return None
    aggs: set[tuple[str, str]] = set()
    for agg in select.find_all(exp.AggFunc):
        key = _agg_key(agg)
        if key is None:
            return None
        aggs.add(key)
    if not aggs:
        return None
    # columns outside aggregates: group columns, output aliases in ORDER BY, or columns the
    # WHERE filters on, which the summary must group by too (so its rows can be filtered)
    needed = set(groups)
    for col in select.find_all(exp.Column):
        if col.find_ancestor(exp.AggFunc) is None and not _is_output_alias(select, col):
            needed.add(col.name.lower())
    return needed, aggs


def _group_columns(select: exp.Select) -> set[str] | None:
    """Lower-cased names of the plain columns a SELECT groups by (``GROUP BY ALL`` included).

    ``None`` when it groups by anything else (an expression).
    """
    group = select.args.get("group")
    if group is None:
        return set()
    if group.args.get("all"):
        keys = [e.this if isinstance(e, exp.Alias) else e for e in select.expressions]
        keys = [k for k in keys if not k.find(exp.AggFunc)]
    else:
        keys = list(group.expressions)
    if not all(isinstance(k, exp.Column) for k in keys):
        return None
    return {k.name.lower() for k in keys}


def _is_output_alias(select: exp.Select, col: exp.Column) -> bool:
    aliases = {e.alias.lower() for e in select.expressions if isinstance(e, exp.Alias)}
    in_order = col.find_ancestor(exp.Order) is not None
    return in_order and not col.table and col.name.lower() in aliases


def _agg_key(agg: exp.Expr) -> tuple[str, str] | None:
    if isinstance(agg, exp.Count):
        arg = agg.this
        if agg.args.get("distinct") or isinstance(arg, exp.Distinct):
            return None
        if arg is None or isinstance(arg, exp.Star):
            return ("count", "*")
        return ("count", arg.name.lower()) if isinstance(arg, exp.Column) else None
    names: dict[type[exp.Expr], str] = {exp.Sum: "sum", exp.Min: "min", exp.Max: "max"}
    name = names.get(type(agg))
    if name is None or not isinstance(agg.this, exp.Column):
        return None
    return (name, agg.this.name.lower())


def _summaries(ctx: RuleContext, base: str, snapshot: int | None) -> list[_Summary]:
    """Summary tables of ``base`` made by a CTAS from exactly ``base``'s current snapshot."""
    from neurolake_lab.lakehouse.lakehouse import read_metadata

    lake = ctx.query.lakehouse
    out = []
    for tid, location in lake.pointers.items():
        name = f"{tid[0]}.{tid[1]}"
        if name.lower() == base.lower():
            continue
        snap = read_metadata(location).current_snapshot()  # cached per metadata file
        props = dict(snap.summary.additional_properties) if snap and snap.summary else {}
        if "neurolake.sql" not in props or "neurolake.sources" not in props:
            continue
        try:
            sources = json.loads(props["neurolake.sources"])
        except ValueError:
            continue
        read = {str(s.get("table", "")).lower(): s.get("snapshot_id") for s in sources}
        if len(read) != 1 or read.get(base.lower(), -1) != snapshot:
            continue
        summary = _parse_summary(name, props["neurolake.sql"], int(props.get("total-records", 0)))
        if summary is not None:
            out.append(summary)
    return out


def _parse_summary(name: str, sql: str, rows: int) -> _Summary | None:
    from neurolake_lab.compliance.redact import REDACTED

    if REDACTED in sql:  # its literals are not stored: what it computed cannot be known
        return None
    try:
        stmt = sqlglot.parse_one(sql, read="duckdb")
    except SqlglotError:
        return None
    body = stmt.expression if isinstance(stmt, exp.Create) else None
    if not isinstance(body, exp.Select) or body.args.get("where") or body.args.get("having"):
        return None
    if body.args.get("joins") or len(list(body.find_all(exp.Table))) != 1:
        return None
    group_cols = _group_columns(body)
    if group_cols is None:
        return None
    groups: dict[str, str] = {}
    aggs: dict[tuple[str, str], str] = {}
    for e in body.expressions:
        inner = e.this if isinstance(e, exp.Alias) else e
        out_name = e.alias_or_name
        if isinstance(inner, exp.Column) and inner.name.lower() in group_cols:
            groups[inner.name.lower()] = out_name
        elif isinstance(inner, exp.AggFunc):
            key = _agg_key(inner)
            if key is not None:
                aggs[key] = out_name
    if not groups and group_cols:
        return None
    if set(groups) != group_cols:
        return None  # a group column that is not in the output: rows cannot be re-grouped
    return _Summary(name, groups, aggs, rows)


def _exact(ctx: RuleContext, base: object, aggs: set[tuple[str, str]]) -> bool:
    from neurolake_lab.cost.sources import Source

    assert isinstance(base, Source)
    for func, col in aggs:
        if func == "sum":
            ctype = ctx.column_type(base, col) or ""
            if not ctype.startswith(_EXACT_SUM_TYPES):
                return False
    return True


def _output_types(ctx: RuleContext) -> list[tuple[str, str]] | None:
    """Name and DuckDB type of each output column of the original query."""
    import duckdb

    try:
        rows = ctx.query.engine.con.execute(f"DESCRIBE {ctx.sql.rstrip().rstrip(';')}").fetchall()
    except duckdb.Error:
        return None
    return [(str(r[0]), str(r[1])) for r in rows]


def _rewrite(
    select: exp.Select, summary: _Summary, types: list[tuple[str, str]]
) -> exp.Select | None:
    table = next(select.find_all(exp.Table))
    ns, _, name = summary.table.partition(".")
    alias = table.alias
    new_table = exp.table_(name, db=ns, alias=alias or None)
    table.replace(new_table)
    replacements: list[tuple[exp.Expr, exp.Expr]] = []
    for agg in list(select.find_all(exp.AggFunc)):
        key = _agg_key(agg)
        assert key is not None
        col = exp.column(summary.aggregates[key], table=alias or None)
        func = "MIN" if key[0] == "min" else "MAX" if key[0] == "max" else "SUM"
        replacements.append((agg, exp.func(func, col)))
    for old, new in replacements:
        old.replace(new)
    renamed = []
    for e in select.expressions:
        mapped = summary.groups.get(e.name.lower()) if isinstance(e, exp.Column) else None
        if mapped is not None and mapped.lower() != e.name.lower():
            e = exp.alias_(e.copy(), e.name, quoted=True)  # keep the output column's name
        renamed.append(e)
    select.set("expressions", renamed)
    for col in list(select.find_all(exp.Column)):
        mapped = summary.groups.get(col.name.lower())
        if mapped is not None and col.find_ancestor(exp.AggFunc) is None:
            col.set("this", exp.to_identifier(mapped))
    if len(types) != len(select.expressions):
        return None
    casted = []
    for e, (out_name, t) in zip(select.expressions, types, strict=True):
        inner = e.this if isinstance(e, exp.Alias) else e
        if inner.find(exp.AggFunc):
            cast = exp.cast(inner.copy(), exp.DataType.build(t, dialect="duckdb"))
            casted.append(exp.alias_(cast, out_name, quoted=True))
        else:
            casted.append(e)
    select.set("expressions", casted)
    return select

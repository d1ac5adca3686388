"""Filters that hide a column inside a function cannot prune files; a range on the column can.

``year(order_date) = 2025``, ``date_trunc('month', d) = DATE '2025-06-01'``,
``strftime(d, '%Y-%m') = '2025-06'``, ``CAST(ts AS DATE) = DATE '2025-06-01'`` and
``year(d) = 2025 AND month(d) = 6`` select whole years, months or days of a date column. DuckDB
evaluates the function on every row, so neither Iceberg's partitions (``month(order_date)``) nor
the files' min/max statistics can skip anything. The same rows are selected by a half-open range
on the column itself (``d >= DATE '2025-01-01' AND d < DATE '2026-01-01'``), which prunes. The
rewrite is exact: a NULL date fails both forms, and a constant that is not aligned to the unit
(``date_trunc('month', d) = DATE '2025-06-15'``, never true) is left alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlglot import exp

from neurolake_lab.optimizer.context import Candidate, RuleContext

KIND = "pruning_filter"
_UNITS = ("year", "quarter", "month", "day")


@dataclass(frozen=True)
class _Bucket:
    """A whole year/quarter/month/day of ``column``: ``[start, end)``."""

    column: exp.Column
    start: dt.date
    unit: str

    @property
    def end(self) -> dt.date:
        return _add(self.start, self.unit)


def candidates(ctx: RuleContext) -> list[Candidate]:
    """One rewrite of the statement with every recognised filter turned into a range."""
    tree = ctx.tree.copy()
    changed: list[str] = []
    for where in list(tree.find_all(exp.Where)):
        conjuncts = list(where.this.flatten()) if isinstance(where.this, exp.And) else [where.this]
        out = _rewrite_conjuncts(ctx, conjuncts, changed)
        if out is not None:
            where.set("this", exp.and_(*out, copy=False))
    if not changed:
        return []
    shown = ", ".join(dict.fromkeys(changed))
    return [
        Candidate(
            KIND,
            f"filter on {shown} as a range of the column itself, so Iceberg can skip the files "
            "and partitions outside it (same result)",
            ctx.render(tree),
            equivalent=True,
        )
    ]


def _rewrite_conjuncts(
    ctx: RuleContext, conjuncts: list[exp.Expr], changed: list[str]
) -> list[exp.Expr] | None:
    out = list(conjuncts)
    touched = False
    # year(d) = Y AND month(d) = M: one month
    years = {_key(c): (i, c) for i, c in enumerate(out) if _is_eq(c, exp.Year)}
    for i, c in enumerate(list(out)):
        if not _is_eq(c, exp.Month):
            continue
        hit = years.get(_key(c))
        if hit is None:
            continue
        j, ycond = hit
        year, month = _int(ctx, ycond.expression), _int(ctx, c.expression)
        col = c.this.this
        if year is None or month is None or not 1 <= month <= 12 or not _prunable(ctx, col):
            continue
        rng = _range(ctx, _Bucket(col, dt.date(year, month, 1), "month"), "eq")
        if rng is None:
            continue
        out[j] = rng
        out[i] = exp.true()
        changed.append(col.sql("duckdb"))
        touched = True
    for i, c in enumerate(out):
        new = _rewrite_one(ctx, c)
        if new is not None:
            out[i] = new
            changed.append(_column_of(c).sql("duckdb"))  # type: ignore[union-attr]
            touched = True
    if not touched:
        return None
    kept = [c for c in out if not (isinstance(c, exp.Boolean) and c.this is True)]
    return kept or [exp.true()]


_OPS: dict[type[exp.Expr], str] = {
    exp.EQ: "eq", exp.GT: "gt", exp.GTE: "gte", exp.LT: "lt", exp.LTE: "lte",
}  # fmt: skip
_FLIP = {"eq": "eq", "gt": "lt", "gte": "lte", "lt": "gt", "lte": "gte"}


def _rewrite_one(ctx: RuleContext, cond: exp.Expr) -> exp.Expr | None:
    if isinstance(cond, exp.Between):
        low = _bucket(ctx, cond.this, cond.args["low"])
        high = _bucket(ctx, cond.this, cond.args["high"])
        if low is None or high is None or not _prunable(ctx, low.column):
            return None
        return _span(ctx, low.column, low.start, high.end)
    op = _OPS.get(type(cond))
    if op is None:
        return None
    left, right = cond.this, cond.expression
    bucket = _bucket(ctx, left, right)
    if bucket is None:
        bucket, op = _bucket(ctx, right, left), _FLIP[op]
    if bucket is None or not _prunable(ctx, bucket.column):
        return None
    return _range(ctx, bucket, op)


def _bucket(ctx: RuleContext, wrapped: exp.Expr, value: exp.Expr) -> _Bucket | None:
    """The bucket ``wrapped = value`` names, when ``wrapped`` is a unit of a date column."""
    if value.find(exp.Column):
        return None
    if isinstance(wrapped, exp.Year | exp.Extract | exp.Anonymous):
        unit, col = _date_part(wrapped)
        if unit != "year" or col is None:
            return None
        year = _int(ctx, value)
        return _Bucket(col, dt.date(year, 1, 1), "year") if year is not None else None
    if isinstance(wrapped, exp.TimestampTrunc | exp.DateTrunc):
        col = wrapped.this
        unit = str(wrapped.text("unit")).lower()
        if not isinstance(col, exp.Column) or unit not in _UNITS:
            return None
        start = _date(ctx, value)
        if start is None or _truncate(start, unit) != start:
            return None  # not aligned: the original is never true for it; leave it alone
        return _Bucket(col, start, unit)
    if isinstance(wrapped, exp.TimeToStr):
        col, fmt = wrapped.this, wrapped.args.get("format")
        if not isinstance(col, exp.Column) or not isinstance(fmt, exp.Literal):
            return None
        unit = {"%Y": "year", "%Y-%m": "month", "%Y-%m-%d": "day"}.get(fmt.name)
        if unit is None or not isinstance(value, exp.Literal) or not value.is_string:
            return None
        start = _parse_prefix(value.name, unit)
        return _Bucket(col, start, unit) if start is not None else None
    if isinstance(wrapped, exp.Cast) and wrapped.to.is_type(exp.DType.DATE):
        col = wrapped.this
        if not isinstance(col, exp.Column):
            return None
        src = ctx.column_source(col)
        ctype = ctx.column_type(src, col.name) if src is not None else None
        if ctype is None or not ctype.startswith("TIMESTAMP"):
            return None
        start = _date(ctx, value)
        return _Bucket(col, start, "day") if start is not None else None
    return None


def _date_part(node: exp.Expr) -> tuple[str | None, exp.Column | None]:
    if isinstance(node, exp.Year):
        col = node.this
        return "year", col if isinstance(col, exp.Column) else None
    if isinstance(node, exp.Extract):
        col = node.expression
        return node.this.name.lower(), col if isinstance(col, exp.Column) else None
    if isinstance(node, exp.Anonymous) and node.name.lower() in {"date_part", "datepart"}:
        args = node.expressions
        if len(args) == 2 and isinstance(args[0], exp.Literal) and isinstance(args[1], exp.Column):
            return args[0].name.lower(), args[1]
    return None, None


def _range(ctx: RuleContext, b: _Bucket, op: str) -> exp.Expr | None:
    if op == "eq":
        return _span(ctx, b.column, b.start, b.end)
    bound = {"gte": (">=", b.start), "gt": (">=", b.end), "lt": ("<", b.start),
             "lte": ("<", b.end)}[op]  # fmt: skip
    lit = _literal(ctx, b.column, bound[1])
    if lit is None:
        return None
    builder: Callable[..., exp.Expr] = exp.GTE if bound[0] == ">=" else exp.LT
    return builder(this=b.column.copy(), expression=lit)


def _span(ctx: RuleContext, col: exp.Column, start: dt.date, end: dt.date) -> exp.Expr | None:
    lo, hi = _literal(ctx, col, start), _literal(ctx, col, end)
    if lo is None or hi is None:
        return None
    return exp.Paren(
        this=exp.and_(
            exp.GTE(this=col.copy(), expression=lo), exp.LT(this=col.copy(), expression=hi)
        )
    )


def _literal(ctx: RuleContext, col: exp.Column, day: dt.date) -> exp.Expr | None:
    """A constant of the column's own type, so the comparison needs no cast on the column."""
    src = ctx.column_source(col)
    ctype = ctx.column_type(src, col.name) if src is not None else None
    text = exp.Literal.string(day.isoformat())
    if ctype == "DATE":
        return exp.cast(text, exp.DType.DATE)
    if ctype in {"TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S"}:
        return exp.cast(text, exp.DType.TIMESTAMP)
    if ctype in {"TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"}:
        return exp.cast(text, exp.DType.TIMESTAMPTZ)
    return None


def _prunable(ctx: RuleContext, col: exp.Column) -> bool:
    """True when the column's table could skip files for a range on it."""
    src = ctx.column_source(col)
    if src is None:
        return False
    files = ctx.files(src)
    return col.name.lower() in files.partition_sources() or len(files.files) > 1


def _is_eq(cond: exp.Expr, func: type[exp.Expr]) -> bool:
    return (
        isinstance(cond, exp.EQ)
        and isinstance(cond.this, func)
        and isinstance(cond.this.this, exp.Column)
    )


def _key(cond: exp.Expr) -> str:
    return str(cond.this.this.sql("duckdb")).lower() if isinstance(cond, exp.EQ) else ""


def _column_of(cond: exp.Expr) -> exp.Column | None:
    return cond.find(exp.Column)


def _int(ctx: RuleContext, value: exp.Expr) -> int | None:
    if value.find(exp.Column):
        return None
    v = ctx.evaluate(value.sql("duckdb"))
    if isinstance(v, bool) or not isinstance(v, int | float) or int(v) != v:
        return None
    return int(v) if 1 <= int(v) <= 9999 else None


def _date(ctx: RuleContext, value: exp.Expr) -> dt.date | None:
    if value.find(exp.Column):
        return None
    v = ctx.evaluate(value.sql("duckdb"))
    if isinstance(v, dt.datetime):
        return v.date() if v.time() == dt.time(0) and v.tzinfo is None else None
    if isinstance(v, dt.date):
        return v
    if isinstance(v, str):
        try:
            return dt.date.fromisoformat(v)
        except ValueError:
            return None
    return None


def _parse_prefix(text: str, unit: str) -> dt.date | None:
    try:
        if unit == "year" and len(text) == 4:
            return dt.date(int(text), 1, 1)
        if unit == "month" and len(text) == 7 and text[4] == "-":
            return dt.date(int(text[:4]), int(text[5:]), 1)
        if unit == "day" and len(text) == 10:
            return dt.date.fromisoformat(text)
    except ValueError:
        return None
    return None


def _truncate(day: dt.date, unit: str) -> dt.date:
    if unit == "year":
        return dt.date(day.year, 1, 1)
    if unit == "quarter":
        return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    if unit == "month":
        return dt.date(day.year, day.month, 1)
    return day


def _add(day: dt.date, unit: str) -> dt.date:
    if unit == "year":
        return dt.date(day.year + 1, 1, 1)
    months = {"quarter": 3, "month": 1}.get(unit)
    if months is not None:
        m = day.month - 1 + months
        return dt.date(day.year + m // 12, m % 12 + 1, 1)
    return day + dt.timedelta(days=1)

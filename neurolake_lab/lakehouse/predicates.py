"""Translate a SQL ``WHERE`` into a pyiceberg row filter, so DELETE and UPDATE rewrite few files.

pyiceberg deletes by rewriting only the data files whose rows match its filter (copy-on-write,
pruned by partition values and column statistics). A predicate it cannot express — functions of
columns, subqueries — returns ``None`` and the writer falls back to rewriting the table through
DuckDB. Constant sides (``current_date - INTERVAL 30 DAY``, ``$param``) are evaluated by DuckDB
first, so most real predicates translate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlglot import exp

if TYPE_CHECKING:
    from pyiceberg.expressions import BooleanExpression

#: Evaluates a constant SQL expression in DuckDB and returns its Python value.
Evaluate = Callable[[str], Any]

_FLIP: dict[type, type] = {
    exp.GT: exp.LT, exp.LT: exp.GT, exp.GTE: exp.LTE, exp.LTE: exp.GTE, exp.EQ: exp.EQ,
    exp.NEQ: exp.NEQ,
}  # fmt: skip


class _Untranslatable(Exception):
    """The predicate (or part of it) has no pyiceberg counterpart."""


def to_row_filter(
    node: exp.Expr, columns: set[str], evaluate: Evaluate
) -> BooleanExpression | None:
    """The pyiceberg filter equal to SQL predicate ``node``, or ``None`` if there is none."""
    try:
        return _translate(node, columns, evaluate)
    except _Untranslatable:
        return None


def to_scope(node: exp.Expr, columns: set[str], evaluate: Evaluate) -> BooleanExpression:
    """A pyiceberg filter that holds for every row ``node`` holds for (maybe more rows).

    The ``AND``-ed parts of the predicate that translate are kept and the others dropped (a
    part the filter cannot express — a subquery, a function of a column — only widens it), so
    ``WHERE id = 7 AND email IN (SELECT ...)`` still reads only the files that may hold id 7.
    What matches is then decided by DuckDB, on the rows of those files.
    """
    from pyiceberg.expressions import AlwaysTrue, And

    parts = [to_row_filter(p, columns, evaluate) for p in conjuncts(node)]
    kept = [p for p in parts if p is not None]
    if not kept:
        return AlwaysTrue()
    return kept[0] if len(kept) == 1 else And(*kept)


def conjuncts(node: exp.Expr) -> list[exp.Expr]:
    """The parts of ``a AND (b AND c)``: ``[a, b, c]``."""
    if isinstance(node, exp.Paren):
        return conjuncts(node.this)
    if isinstance(node, exp.And):
        return conjuncts(node.left) + conjuncts(node.right)
    return [node]


def _column(node: exp.Expr, columns: set[str]) -> str | None:
    if isinstance(node, exp.Column) and node.name in columns:
        return node.name
    return None


def _is_constant(node: exp.Expr) -> bool:
    if node.find(exp.Column, exp.Subquery, exp.Select, exp.AggFunc, exp.Window):
        return False
    return not (isinstance(node, exp.Identifier))


def _value(node: exp.Expr, evaluate: Evaluate) -> Any:
    if not _is_constant(node):
        raise _Untranslatable
    if isinstance(node, exp.Literal):
        value: Any = node.name if node.is_string else evaluate(node.sql("duckdb"))
    else:
        value = evaluate(node.sql("duckdb"))
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool | int | float | str | Decimal) or value is None:
        return value
    raise _Untranslatable


def _translate(node: exp.Expr, columns: set[str], evaluate: Evaluate) -> BooleanExpression:
    from pyiceberg import expressions as ie

    if isinstance(node, exp.Paren):
        return _translate(node.this, columns, evaluate)
    if isinstance(node, exp.And):
        return ie.And(
            _translate(node.left, columns, evaluate), _translate(node.right, columns, evaluate)
        )
    if isinstance(node, exp.Or):
        return ie.Or(
            _translate(node.left, columns, evaluate), _translate(node.right, columns, evaluate)
        )
    if isinstance(node, exp.Not):
        inner = node.this
        if isinstance(inner, exp.Is) and isinstance(inner.expression, exp.Null):
            col = _column(inner.this, columns)
            if col is None:
                raise _Untranslatable
            return ie.NotNull(col)
        if isinstance(inner, exp.Like):
            return _like(inner, columns, evaluate, negate=True)
        return ie.Not(_translate(inner, columns, evaluate))
    if isinstance(node, exp.Boolean):
        return ie.AlwaysTrue() if node.this else ie.AlwaysFalse()
    if isinstance(node, exp.Column):
        col = _column(node, columns)
        if col is None:
            raise _Untranslatable
        return ie.EqualTo(col, True)
    if isinstance(node, exp.Is) and isinstance(node.expression, exp.Null):
        col = _column(node.this, columns)
        if col is None:
            raise _Untranslatable
        return ie.IsNull(col)
    if type(node) in _FLIP:
        return _comparison(node, columns, evaluate)
    if isinstance(node, exp.Between):
        col = _column(node.this, columns)
        if col is None:
            raise _Untranslatable
        low, high = _value(node.args["low"], evaluate), _value(node.args["high"], evaluate)
        if low is None or high is None:
            return ie.AlwaysFalse()
        return ie.And(ie.GreaterThanOrEqual(col, low), ie.LessThanOrEqual(col, high))
    if isinstance(node, exp.In):
        col = _column(node.this, columns)
        if col is None or node.args.get("query") or not node.expressions:
            raise _Untranslatable
        values = [_value(v, evaluate) for v in node.expressions]
        values = [v for v in values if v is not None]
        return ie.In(col, values) if values else ie.AlwaysFalse()
    if isinstance(node, exp.Like):
        return _like(node, columns, evaluate, negate=False)
    raise _Untranslatable


def _comparison(node: exp.Expr, columns: set[str], evaluate: Evaluate) -> BooleanExpression:
    from pyiceberg import expressions as ie

    ops: dict[type, type] = {exp.EQ: ie.EqualTo, exp.NEQ: ie.NotEqualTo, exp.GT: ie.GreaterThan,
                             exp.GTE: ie.GreaterThanOrEqual, exp.LT: ie.LessThan,
                             exp.LTE: ie.LessThanOrEqual}  # fmt: skip
    kind: type = type(node)
    left, right = node.args["this"], node.args["expression"]
    col = _column(left, columns)
    if col is None:
        col = _column(right, columns)
        if col is None:
            raise _Untranslatable
        left, right, kind = right, left, _FLIP[kind]
    value = _value(right, evaluate)
    if value is None:
        return ie.AlwaysFalse()  # a comparison with NULL is never true
    result: BooleanExpression = ops[kind](col, value)
    return result


def _like(
    node: exp.Like, columns: set[str], evaluate: Evaluate, *, negate: bool
) -> BooleanExpression:
    from pyiceberg import expressions as ie

    col = _column(node.this, columns)
    pattern = _value(node.expression, evaluate)
    if col is None or not isinstance(pattern, str) or node.args.get("escape"):
        raise _Untranslatable
    prefix = pattern[:-1]
    if not pattern.endswith("%") or "%" in prefix or "_" in prefix:
        raise _Untranslatable
    return ie.NotStartsWith(col, prefix) if negate else ie.StartsWith(col, prefix)

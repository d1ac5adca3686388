"""Rows through a plan: our own cardinality estimate, with its uncertainty, for every operator.

DuckDB's estimates over Iceberg scans know no distinct counts, so a join is estimated at about
its larger input: a self-join on a non-key (``orders a JOIN orders b ON a.customer_id =
b.customer_id``, 60,000 → 2.6 million rows) or a join that forgets a predicate is called cheap.
Here every operator of DuckDB's physical plan gets an estimate computed bottom-up from the scans
(exact row counts from Iceberg metadata), filter selectivities from column ranges and distinct
counts, and join selectivities from the join keys' distinct counts (System R's
``|L|·|R| / max(ndv_L, ndv_R)``). Each join is classified (one-to-one, one-to-many,
many-to-many, cross, inequality) so a many-to-many or cross join is named as such, and every
estimate carries a log-space spread that grows with each guess it rests on; that spread is the
prediction's interval.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from neurolake_lab.cost.plan import (
    AGGREGATE_OPERATORS,
    JOIN_OPERATORS,
    QUADRATIC_JOINS,
    SORT_OPERATORS,
    Plan,
    PlanNode,
)

if TYPE_CHECKING:
    from neurolake_lab.cost.ndv import ColumnStats
    from neurolake_lab.cost.table_stats import ScanEstimate

#: ``(scan node, column) -> statistics`` of that scan's table, or None (no metadata)
StatsLookup = Callable[[PlanNode, str], "ColumnStats | None"]
Evaluate = Callable[[str], Any]

#: selectivity of a predicate nothing is known about (DuckDB's own default)
DEFAULT_SELECTIVITY = 0.2
#: of a range predicate (``<``, ``>``) without bounds, and of an inequality join
RANGE_SELECTIVITY = 1 / 3
#: log-space spreads: of an exact count, of a guessed selectivity, of a distinct count from bounds
#: or a count, of a many-to-many join (skew: a few keys with many rows make it bigger)
SPREAD_EXACT = 0.05
SPREAD_GUESS = 0.9
SPREAD_RANGE = 0.35
SPREAD_NDV = 0.25
SPREAD_MANY = 0.6
_UNKNOWN_SPREAD = 0.8

_SEMI = {"SEMI", "ANTI", "MARK", "RIGHT_SEMI", "RIGHT_ANTI"}


@dataclass(frozen=True)
class JoinEstimate:
    """One join of the plan as estimated: its kind, inputs, output and keys."""

    operator: str
    kind: str  # one_to_one, one_to_many, many_to_many, cross, inequality, semi, other
    left_rows: float
    right_rows: float
    rows: float
    duckdb_rows: float | None
    keys: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()

    def to_report(self) -> dict[str, Any]:
        """The join as the cell report's ``cost.joins[]`` entry."""
        return {
            "kind": self.kind,
            "operator": self.operator,
            "tables": list(self.tables),
            "keys": list(self.keys),
            "left_rows": round(self.left_rows),
            "right_rows": round(self.right_rows),
            "estimated_rows": round(self.rows),
        }


@dataclass
class Cardinalities:
    """Rows into and out of every operator, and the work figures derived from them."""

    rows: dict[int, float] = field(default_factory=dict)
    spreads: dict[int, float] = field(default_factory=dict)
    joins: list[JoinEstimate] = field(default_factory=list)
    #: rows every operator but the joins outputs, summed (the plan's other work)
    work_rows: float = 0.0
    #: rows out of hash and merge joins, and the rows their hash tables hold
    join_rows: float = 0.0
    build_rows: float = 0.0
    #: pairs compared by joins without an equality (cross products, nested loops)
    pair_rows: float = 0.0
    #: n·log2(n) over the rows every sort orders
    sort_work: float = 0.0
    #: rows into hash aggregates
    aggregate_rows: float = 0.0

    def of(self, node: PlanNode) -> float:
        """The estimated rows out of ``node``."""
        return self.rows.get(id(node), float(node.cardinality or 0))

    def spread_of(self, node: PlanNode) -> float:
        """The log-space spread of ``node``'s estimate."""
        return self.spreads.get(id(node), _UNKNOWN_SPREAD)


def estimate_rows(
    plan: Plan,
    scans: Sequence[ScanEstimate | None],
    stats: StatsLookup,
    evaluate: Evaluate,
) -> Cardinalities:
    """Estimate the rows of every operator of ``plan`` (``scans`` in ``plan.scans()`` order)."""
    out = Cardinalities()
    by_scan = {id(n): est for n, est in zip(plan.scans(), scans, strict=True)}
    _Walker(out, by_scan, stats, evaluate).visit(plan.root)
    return out


class _Walker:
    def __init__(
        self,
        out: Cardinalities,
        scans: dict[int, ScanEstimate | None],
        stats: StatsLookup,
        evaluate: Evaluate,
    ) -> None:
        self.out = out
        self.scans = scans
        self.stats = stats
        self.evaluate = evaluate

    def visit(self, node: PlanNode) -> tuple[float, float]:
        kids = [self.visit(c) for c in node.children]
        if id(node) in self.scans:
            rows, spread = self.scan(node)
        elif node.name in JOIN_OPERATORS and len(kids) == 2:
            rows, spread = self.join(node, kids)
        else:
            rows, spread = self.other(node, kids)
        rows = max(rows, 0.0)
        self.out.rows[id(node)] = rows
        self.out.spreads[id(node)] = spread
        if node.name not in JOIN_OPERATORS:  # a join's output is its own term (join, pairs)
            self.out.work_rows += rows
        if node.name in SORT_OPERATORS and kids:
            n = kids[0][0]
            self.out.sort_work += n * math.log2(max(n, 2.0))
        if node.name in AGGREGATE_OPERATORS and kids:
            self.out.aggregate_rows += kids[0][0]
        return rows, spread

    # -- leaves ----------------------------------------------------------------------------------

    def scan(self, node: PlanNode) -> tuple[float, float]:
        est = self.scans.get(id(node))
        if est is None:  # no metadata (a session table, a DataFrame): DuckDB's own figure
            return float(node.cardinality or 0), SPREAD_RANGE
        filters = [f for f in _raw_filters(node) if not f.startswith("optional:")]
        if not filters:
            return float(est.rows_kept), SPREAD_EXACT
        sels: list[tuple[float, float]] = []
        for text in filters:
            tree = _parse(text)
            sels.extend(self.selectivity(node, tree) if tree is not None else [])
        if not sels:
            sels = [(DEFAULT_SELECTIVITY, SPREAD_GUESS)]
        sel, spread = _combine(sels)
        rows = min(float(est.rows_kept), est.rows_total * sel)
        return rows, spread

    def selectivity(self, node: PlanNode, tree: exp.Expr) -> list[tuple[float, float]]:
        """``(selectivity, spread)`` of each conjunct of a filter pushed into a scan."""
        if isinstance(tree, exp.And):
            return self.selectivity(node, tree.this) + self.selectivity(node, tree.expression)
        if isinstance(tree, exp.Paren):
            return self.selectivity(node, tree.this)
        column = next(iter(tree.find_all(exp.Column)), None)
        stats = self.stats(node, column.name) if column is not None else None
        ndv = stats.ndv if stats is not None else None
        if isinstance(tree, exp.EQ) and ndv:
            return [(1.0 / ndv, SPREAD_NDV)]
        if isinstance(tree, exp.NEQ) and ndv:
            return [(1.0 - 1.0 / ndv, SPREAD_EXACT)]
        if isinstance(tree, exp.In) and ndv:
            return [(min(1.0, len(tree.expressions) / ndv), SPREAD_NDV)]
        if isinstance(tree, exp.Is) and stats is not None and stats.rows:
            return [(stats.nulls / stats.rows, 0.1)]
        if isinstance(tree, exp.Not) and isinstance(tree.this, exp.Is) and stats is not None:
            return [(1.0 - stats.nulls / max(stats.rows, 1), 0.1)]
        if isinstance(tree, exp.GT | exp.GTE | exp.LT | exp.LTE | exp.Between):
            share = self.range_share(tree, stats)
            if share is not None:
                return [(share, SPREAD_RANGE)]
            return [(RANGE_SELECTIVITY, SPREAD_GUESS)]
        return [(DEFAULT_SELECTIVITY, SPREAD_GUESS)]

    def range_share(self, tree: exp.Expr, stats: ColumnStats | None) -> float | None:
        """The share of the column's range a comparison with a constant keeps (uniform)."""
        if stats is None or stats.low is None or stats.high is None:
            return None
        low, high = _number(stats.low), _number(stats.high)
        if low is None or high is None or high <= low:
            return None
        width = high - low
        if isinstance(tree, exp.Between):
            a = self.constant(tree.args.get("low"))
            b = self.constant(tree.args.get("high"))
            if a is None or b is None:
                return None
            return _clip((min(b, high) - max(a, low)) / width)
        left, right = tree.this, tree.expression
        flipped = not isinstance(left, exp.Column)
        value = self.constant(left if flipped else right)
        if value is None:
            return None
        below = _clip((value - low) / width)
        keeps_below = isinstance(tree, exp.LT | exp.LTE) != flipped
        return max(below if keeps_below else 1.0 - below, 1.0 / max(stats.rows, 1))

    def constant(self, node: exp.Expr | None) -> float | None:
        if node is None or node.find(exp.Column) is not None:
            return None
        return _number(self.evaluate(node.sql("duckdb")))

    # -- joins -------------------------------------------------------------------------------------

    def join(self, node: PlanNode, kids: list[tuple[float, float]]) -> tuple[float, float]:
        (lrows, lspread), (rrows, rspread) = kids
        join_type = str(node.info.get("Join Type", "INNER")).upper()
        spread_in = math.hypot(lspread, rspread)
        left, right = node.children
        tables = tuple(sorted(self.tables_under(node)))
        duck = float(node.cardinality) if node.cardinality is not None else None
        if node.name == "CROSS_PRODUCT" or node.name == "POSITIONAL_JOIN":
            rows = lrows * rrows if node.name == "CROSS_PRODUCT" else max(lrows, rrows)
            self.out.pair_rows += lrows * rrows
            self.note(node, "cross", lrows, rrows, rows, duck, (), tables)
            return rows, spread_in
        conditions = _conditions(node)
        equalities = [(a, b) for a, op, b in conditions if op == "="]
        if node.name in QUADRATIC_JOINS:
            self.out.pair_rows += lrows * rrows
        if not equalities:
            if node.name in ("DELIM_JOIN", "LEFT_DELIM_JOIN", "RIGHT_DELIM_JOIN") or not conditions:
                rows = _ratio(node, lrows)
                self.note(node, "other", lrows, rrows, rows, duck, (), tables)
                return rows, spread_in + _UNKNOWN_SPREAD
            sel = RANGE_SELECTIVITY ** min(len(conditions), 2)
            rows = lrows * rrows * sel
            if node.name not in QUADRATIC_JOINS:  # merge and IE joins sort, then emit pairs
                self.out.join_rows += rows
            rows = _by_type(join_type, rows, lrows, rrows)
            self.note(node, "inequality", lrows, rrows, rows, duck, (), tables)
            return rows, spread_in + SPREAD_GUESS
        sel = 1.0
        spread = spread_in
        unique_l = unique_r = False
        keys = []
        for i, (a, b) in enumerate(equalities):
            sa, sb = self.column_stats(left, a), self.column_stats(right, b)
            if sa is None and sb is None:
                sa, sb = self.column_stats(left, b), self.column_stats(right, a)
            ndv_l = min(sa.ndv, lrows) if sa is not None and sa.ndv else None
            ndv_r = min(sb.ndv, rrows) if sb is not None and sb.ndv else None
            if ndv_l is None and ndv_r is None:
                factor = 1.0 / max(lrows, rrows, 1.0)  # a key on the larger side: DuckDB's guess
                spread += SPREAD_GUESS
            else:
                factor = 1.0 / max(ndv_l or 1.0, ndv_r or 1.0, 1.0)
                spread += SPREAD_NDV
            # several keys are not independent: each further one counts for less (backoff)
            sel *= factor ** (1.0 / (2**i))
            unique_l = unique_l or (sa is not None and sa.unique)
            unique_r = unique_r or (sb is not None and sb.unique)
            keys.append(f"{a} = {b}")
        rows = lrows * rrows * sel
        kind = (
            "one_to_one" if unique_l and unique_r
            else "one_to_many" if unique_l or unique_r
            else "many_to_many"
        )  # fmt: skip
        if kind == "many_to_many":
            spread += SPREAD_MANY
        elif unique_l and not unique_r:
            rows = min(rows, rrows)  # each row of the right side finds at most one partner
        elif unique_r and not unique_l:
            rows = min(rows, lrows)
        self.out.join_rows += rows
        self.out.build_rows += rrows
        rows = _by_type(join_type, rows, lrows, rrows)
        if join_type in _SEMI:
            kind = "semi"
        self.note(node, kind, lrows, rrows, rows, duck, tuple(keys), tables)
        return rows, spread

    def note(
        self,
        node: PlanNode,
        kind: str,
        lrows: float,
        rrows: float,
        rows: float,
        duck: float | None,
        keys: tuple[str, ...],
        tables: tuple[str, ...],
    ) -> None:
        self.out.joins.append(JoinEstimate(node.name, kind, lrows, rrows, rows, duck, keys, tables))

    def column_stats(self, subtree: PlanNode, column: str) -> ColumnStats | None:
        """Statistics of ``column`` from a scan under ``subtree`` that reads it."""
        name = column.lower()
        for n in subtree.walk():
            if id(n) in self.scans and self.scans[id(n)] is not None:
                read = {p.lower() for p in n.projections}
                if name in read or not read:
                    found = self.stats(n, name)
                    if found is not None and found.rows:
                        return found
        return None

    def tables_under(self, node: PlanNode) -> set[str]:
        return {est.table for n in node.walk() if (est := self.scans.get(id(n))) is not None}

    # -- everything else ---------------------------------------------------------------------------

    def other(self, node: PlanNode, kids: list[tuple[float, float]]) -> tuple[float, float]:
        if not kids:
            return float(node.cardinality or 1), SPREAD_RANGE
        rows_in, spread_in = kids[0]
        name = node.name
        if name in ("UNGROUPED_AGGREGATE", "SIMPLE_AGGREGATE"):
            return 1.0, 0.0
        if name in ("UNION", "UNION_ALL") or (name == "RESULT" and len(kids) > 1):
            return sum(k[0] for k in kids), max(k[1] for k in kids)
        if name == "TOP_N":
            top = _int(node.info.get("Top"))
            return (min(rows_in, top) if top is not None else rows_in), spread_in
        if name in ("HASH_GROUP_BY", "PERFECT_HASH_GROUP_BY", "PARTITIONED_AGGREGATE"):
            groups = self.groups(node, rows_in)
            if groups is not None:
                return min(groups, rows_in), spread_in + SPREAD_NDV
            return min(_ratio(node, rows_in), rows_in), spread_in + SPREAD_GUESS
        if name == "FILTER":
            return _ratio(node, rows_in), spread_in + SPREAD_GUESS
        if name in ("PROJECTION", "ORDER_BY", "RESULT_COLLECTOR", "WINDOW", "STREAMING_WINDOW",
                    "LIMIT", "STREAMING_LIMIT", "CREATE_TABLE_AS", "INSERT"):  # fmt: skip
            return rows_in, spread_in
        if name == "HASH_DISTINCT" or "DISTINCT" in name:
            return min(_ratio(node, rows_in), rows_in), spread_in + SPREAD_GUESS
        return _ratio(node, rows_in), spread_in + 0.3

    def groups(self, node: PlanNode, rows_in: float) -> float | None:
        """Distinct combinations of the group keys, when each key's distinct count is known."""
        child = node.children[0] if node.children else None
        if child is None:
            return None
        names = _group_columns(node, child)
        if not names:
            return None
        product = 1.0
        for name in names:
            stats = self.column_stats(child, name)
            if stats is None or not stats.ndv:
                return None
            product *= min(stats.ndv, rows_in)
        # n balls into d bins: the expected number of bins used (Cardenas)
        if product <= 0:
            return None
        return product * (1.0 - math.exp(-rows_in / product))


def _combine(parts: list[tuple[float, float]]) -> tuple[float, float]:
    """Conjuncts' selectivities with exponential backoff (they are rarely independent)."""
    ordered = sorted(parts)
    sel = 1.0
    for i, (s, _) in enumerate(ordered[:4]):
        sel *= s ** (1.0 / (2**i))
    spread = math.sqrt(sum(sp**2 for _, sp in parts))
    return max(min(sel, 1.0), 0.0), spread


def _by_type(join_type: str, inner: float, lrows: float, rrows: float) -> float:
    if join_type == "LEFT":
        return max(inner, lrows)
    if join_type == "RIGHT":
        return max(inner, rrows)
    if join_type in ("OUTER", "FULL"):
        return max(inner, lrows + rrows)
    if join_type in ("SEMI", "RIGHT_SEMI"):
        return min(lrows, inner)
    if join_type in ("ANTI", "RIGHT_ANTI"):
        return max(lrows - min(lrows, inner), 0.0)
    if join_type == "MARK":
        return lrows
    return inner


def _ratio(node: PlanNode, rows_in: float) -> float:
    """DuckDB's change of rows at ``node`` applied to our input estimate."""
    child = node.children[0] if node.children else None
    theirs_in = float(child.cardinality or 0) if child is not None else 0.0
    if node.cardinality is None or theirs_in <= 0:
        return rows_in
    return rows_in * min(float(node.cardinality) / theirs_in, 1.0e6)


_COND = re.compile(r"^\s*(.+?)\s*(<=|>=|!=|<>|=|<|>)\s*(.+?)\s*$")


def _conditions(node: PlanNode) -> list[tuple[str, str, str]]:
    """``(left, operator, right)`` of each join condition DuckDB prints."""
    raw = node.info.get("Conditions")
    items = raw if isinstance(raw, list) else [raw] if raw else []
    out = []
    for item in items:
        for part in re.split(r"\s+AND\s+", str(item)):
            m = _COND.match(part)
            if m:
                out.append((_bare(m.group(1)), m.group(2), _bare(m.group(3))))
    return out


def _bare(text: str) -> str:
    """A column reference as the scans name it (DuckDB may qualify or quote it)."""
    return text.strip().strip('"').rsplit(".", 1)[-1].strip('"')


def _group_columns(node: PlanNode, child: PlanNode) -> list[str]:
    groups = node.info.get("Groups")
    refs = groups if isinstance(groups, list) else [groups] if groups else []
    projections = child.projections if child.name == "PROJECTION" else []
    names = []
    for ref in refs:
        text = str(ref).strip()
        if text.startswith("#") and text[1:].isdigit():
            i = int(text[1:])
            if i >= len(projections):
                return []
            text = projections[i]
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_\.\"]*", text):
            return []  # an expression: its distinct count is not a column's
        names.append(_bare(text))
    return names


def _raw_filters(node: PlanNode) -> list[str]:
    raw = node.info.get("Filters")
    items = raw if isinstance(raw, list) else [raw] if raw else []
    return [str(f) for f in items if str(f)]


def _parse(text: str) -> exp.Expr | None:
    try:
        return sqlglot.parse_one(text, read="duckdb")
    except SqlglotError:
        return None


def _int(value: Any) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


_EPOCH = dt.date(1970, 1, 1)


def _number(value: Any) -> float | None:
    """A value on a line: numbers as they are, dates as days and timestamps as microseconds."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        base = dt.datetime(1970, 1, 1, tzinfo=value.tzinfo)
        return (value - base).total_seconds() * 1e6
    if isinstance(value, dt.date):
        return float((value - _EPOCH).days)
    return None


def _clip(x: float) -> float:
    return min(max(x, 0.0), 1.0)

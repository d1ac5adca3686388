"""DuckDB's plan of a query, without running it: ``EXPLAIN (FORMAT JSON)`` read into a tree.

DuckDB's optimizer has already pushed filters and projections into the scans, so each scan node
says which columns it reads (``Projections``) and which filters it applies (``Filters``), and every
operator carries DuckDB's cardinality estimate. That is what the cost model and the optimizer read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

#: Operators that read a base relation (the Iceberg scan, session tables, DataFrames, files).
SCAN_OPERATORS = frozenset(
    {"ICEBERG_SCAN", "SEQ_SCAN", "SEQ_SCAN ", "TABLE_SCAN", "PANDAS_SCAN", "ARROW_SCAN",
     "READ_PARQUET", "PARQUET_SCAN", "READ_CSV", "READ_CSV_AUTO", "READ_JSON", "POLARS_SCAN"}
)  # fmt: skip
JOIN_OPERATORS = frozenset(
    {"HASH_JOIN", "NESTED_LOOP_JOIN", "PIECEWISE_MERGE_JOIN", "BLOCKWISE_NL_JOIN",
     "CROSS_PRODUCT", "DELIM_JOIN", "LEFT_DELIM_JOIN", "RIGHT_DELIM_JOIN", "POSITIONAL_JOIN",
     "ASOF_JOIN", "IE_JOIN"}
)  # fmt: skip
#: Joins that compare every pair of rows (no equality condition to hash on).
QUADRATIC_JOINS = frozenset({"NESTED_LOOP_JOIN", "BLOCKWISE_NL_JOIN", "CROSS_PRODUCT"})
AGGREGATE_OPERATORS = frozenset(
    {"HASH_GROUP_BY", "PERFECT_HASH_GROUP_BY", "UNGROUPED_AGGREGATE", "SIMPLE_AGGREGATE",
     "STREAMING_WINDOW", "PARTITIONED_AGGREGATE"}
)  # fmt: skip
SORT_OPERATORS = frozenset({"ORDER_BY", "TOP_N"})
WINDOW_OPERATORS = frozenset({"WINDOW", "STREAMING_WINDOW"})


_ONE_ROW = frozenset({"UNGROUPED_AGGREGATE", "SIMPLE_AGGREGATE"})
_LIMITS = frozenset({"LIMIT", "STREAMING_LIMIT", "LIMIT_PERCENT"})
#: operators that pass their input's rows on unchanged (their estimate is their child's)
_PASS_THROUGH = frozenset(
    {"PROJECTION", "ORDER_BY", "RESULT_COLLECTOR", "TOP_N", "LIMIT", "STREAMING_LIMIT"}
)


def _late_materialization(node: PlanNode) -> bool:
    """A semi join on ``rowid = rowid``: how DuckDB fetches the other columns of top-N rows."""
    return (
        node.name.endswith("JOIN")
        and str(node.info.get("Conditions", "")).replace(" ", "") == "rowid=rowid"
    )


def _int(value: Any) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


@dataclass
class PlanNode:
    """One operator of DuckDB's physical plan."""

    name: str
    cardinality: int | None
    info: dict[str, Any]
    children: list[PlanNode] = field(default_factory=list)

    def walk(self) -> Iterator[PlanNode]:
        """Every node from this one down, parents first."""
        yield self
        for child in self.children:
            yield from child.walk()

    @property
    def projections(self) -> list[str]:
        """The columns a scan reads and passes on (``Projections``)."""
        return _as_list(self.info.get("Projections"))

    @property
    def filters(self) -> list[str]:
        """Filters pushed into a scan, as DuckDB prints them (``optional:`` prefix removed)."""
        return [f.removeprefix("optional: ") for f in _as_list(self.info.get("Filters"))]

    @property
    def function(self) -> str:
        """The table function a scan node runs (``ICEBERG_SCAN``, ``SEQ_SCAN``, ...)."""
        return str(self.info.get("Function") or self.name).strip()


@dataclass
class Plan:
    """A statement's physical plan and the figures read off it."""

    root: PlanNode

    def nodes(self) -> Iterator[PlanNode]:
        """Every operator, parents first."""
        return self.root.walk()

    def scans(self) -> list[PlanNode]:
        """The operators that read base relations, in plan order."""
        return [n for n in self.nodes() if n.name.strip() in SCAN_OPERATORS or _is_scan(n)]

    @property
    def output_rows(self) -> int | None:
        """DuckDB's estimate of the rows the statement returns (the first node that has one)."""
        for node in self.nodes():
            if node.cardinality is not None:
                return node.cardinality
        return None

    def result_rows(self, limit: int | None = None) -> int | None:
        """Rows returned, reading what the top operators guarantee before DuckDB's estimates.

        An aggregate without ``GROUP BY`` returns one row, ``TOP_N`` at most its ``Top``, a
        limit at most ``limit`` (the statement's ``LIMIT``; DuckDB's plan does not print it).
        """
        return self.result_bound(limit)[0]

    def result_bound(self, limit: int | None = None) -> tuple[int | None, bool]:
        """``(rows returned, bounded)``: bounded when a one-row aggregate or a limit decides."""
        node: PlanNode | None = self.root
        cap: int | None = None
        while node is not None:
            if node.name in _ONE_ROW:
                return (1 if cap is None else min(cap, 1)), True
            if node.name == "TOP_N":
                top = _int(node.info.get("Top"))
                if top is not None:
                    cap = top if cap is None else min(cap, top)
            elif node.name in _LIMITS and limit is not None:
                cap = limit if cap is None else min(cap, limit)
            if _late_materialization(node):
                # DuckDB 1.5 sorts row ids, then joins the rows back: the sorted side decides
                node = next((c for c in node.children if not c.name.endswith("SCAN")), None)
                continue
            # an estimate of 0 is DuckDB's "unknown" (projections above a late join print it)
            if node.cardinality and node.name not in _PASS_THROUGH:
                return _capped(node.cardinality, cap)
            node = node.children[0] if len(node.children) == 1 else None
        est = self.output_rows
        if est is None:
            return cap, cap is not None
        return _capped(est, cap)


def _capped(estimate: int, cap: int | None) -> tuple[int, bool]:
    if cap is None or estimate < cap:
        return estimate, False
    return cap, True


def parse_plan(text: str) -> Plan:
    """The plan in DuckDB's ``EXPLAIN (FORMAT JSON)`` output (a list of root nodes)."""
    data = json.loads(text)
    roots = [_node(item) for item in (data if isinstance(data, list) else [data])]
    if len(roots) == 1:
        return Plan(roots[0])
    return Plan(PlanNode("RESULT", None, {}, roots))


def _node(item: Mapping[str, Any]) -> PlanNode:
    info = dict(item.get("extra_info") or {})
    card = info.get("Estimated Cardinality")
    try:
        cardinality = int(str(card).replace("~", "")) if card is not None else None
    except ValueError:
        cardinality = None
    children = [_node(child) for child in item.get("children") or []]
    name = str(item.get("name", "")).strip()
    if cardinality is None and name == "CROSS_PRODUCT" and children:
        # DuckDB prints no estimate for a cross product; it is the product of its inputs
        product = 1
        for child in children:
            product *= child.cardinality or 0
        cardinality = product
    return PlanNode(name, cardinality, info, children)


def _is_scan(node: PlanNode) -> bool:
    return not node.children and "Function" in node.info and node.name != "DUMMY_SCAN"


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)] if str(value) else []

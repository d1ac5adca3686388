"""The numbers the cost model learns from: one fixed-length vector per statement.

Every feature is a fixed transform of a plan or metadata figure (``log1p`` of counts and bytes,
scaled by a constant), never a statistic of this workspace's history. That keeps the parameters
of different workspaces in one space, so federated averaging of them means something, and no
feature can carry a name or a value from the data. Changing the list changes ``FEATURE_VERSION``:
history and imported updates of another version are not mixed in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from neurolake_lab.cost.plan import (
    AGGREGATE_OPERATORS,
    JOIN_OPERATORS,
    QUADRATIC_JOINS,
    SORT_OPERATORS,
    WINDOW_OPERATORS,
    Plan,
)
from neurolake_lab.cost.table_stats import ScanEstimate

FEATURE_VERSION = 1
#: operators of a plan that streams rows from one scan to the result (a LIMIT stops it early)
_STREAMING = frozenset(
    {
        "PROJECTION",
        "FILTER",
        "STREAMING_LIMIT",
        "LIMIT",
        "ICEBERG_SCAN",
        "SEQ_SCAN",
        "TABLE_SCAN",
        "READ_PARQUET",
        "PARQUET_SCAN",
    }
)
#: rows DuckDB reads anyway before a LIMIT stops it (vectors per thread, Parquet pages):
#: LIMIT 1000 over TPC-H lineitem at sf 1 read 2.8 MB of 162 MB, about 100,000 rows' worth
_EARLY_STOP_ROWS = 50_000
FEATURE_NAMES: tuple[str, ...] = (
    "bias",
    "log_rows_scanned",
    "log_bytes_scanned",
    "log_files_scanned",
    "scans",
    "log_rows_out",
    "log_work_rows",
    "joins",
    "log_join_rows",
    "quadratic_joins",
    "aggregates",
    "log_groups",
    "sorts",
    "windows",
    "filters",
    "log_columns_read",
    "operators",
    "unmapped_scans",
    "log_analytic_ms",
    "rows_bounded",
)
#: ln(1 + 1e9) ≈ 20.7: log features of up to a billion rows or bytes land in [0, ~1]
_LOG_SCALE = 20.0
_COUNT_SCALE = 10.0


@dataclass(frozen=True)
class PlanFigures:
    """The raw figures of one statement the features and the analytic estimate are made of."""

    rows_scanned: float
    bytes_scanned: float
    files_scanned: float
    scans: int
    rows_out: float
    work_rows: float
    joins: int
    join_rows: float
    quadratic_joins: int
    #: rows out of joins that compare every pair (cross products, nested loops)
    pair_rows: float
    aggregates: int
    groups: float
    sorts: int
    windows: int
    filters: int
    columns_read: int
    operators: int
    unmapped_scans: int
    #: True when the rows out are fixed by the plan (a one-row aggregate, a LIMIT that binds)
    rows_bounded: bool = False


def plan_figures(
    plan: Plan, scans: Sequence[ScanEstimate | None], limit: int | None = None
) -> PlanFigures:
    """Read the figures off DuckDB's plan and the scans' metadata estimates.

    ``scans`` holds one entry per scan node of ``plan`` (in ``plan.scans()`` order): the Iceberg
    estimate, or ``None`` for a scan of something without metadata (a session table, a
    DataFrame), which counts with DuckDB's own cardinality and an assumed 8 bytes per column.
    ``limit`` is the statement's top-level ``LIMIT``, which bounds the rows out.
    """
    nodes = list(plan.nodes())
    scan_nodes = plan.scans()
    rows = bytes_ = files = 0.0
    columns = unmapped = 0
    for node, est in zip(scan_nodes, scans, strict=True):
        if est is not None:
            rows += est.rows_kept
            bytes_ += est.bytes_kept
            files += est.files_kept
            columns += est.columns_read
        else:
            card = float(node.cardinality or 0)
            ncols = max(1, len(node.projections))
            rows += card
            bytes_ += card * 8 * ncols
            columns += ncols
            unmapped += 1
    if limit is not None and len(scan_nodes) == 1 and {n.name for n in nodes} <= _STREAMING:
        # a LIMIT over scan and filters stops reading early (no operator has to see every row)
        card = scan_nodes[0].cardinality or 0
        full = scans[0].rows_kept if scans and scans[0] is not None else card
        selectivity = min(1.0, max((plan.output_rows or card) / full, 1e-3)) if full else 1.0
        needed = min(float(full), limit / selectivity * 4 + _EARLY_STOP_ROWS)
        share = needed / full if full else 1.0
        rows, bytes_, files = rows * share, bytes_ * share, max(1.0, files * share)
    joins = [n for n in nodes if n.name in JOIN_OPERATORS]
    aggs = [n for n in nodes if n.name in AGGREGATE_OPERATORS]
    return PlanFigures(
        rows_scanned=rows,
        bytes_scanned=bytes_,
        files_scanned=files,
        scans=len(scan_nodes),
        rows_out=float(_rows_out(plan, scans, limit)),
        rows_bounded=plan.result_bound(limit)[1],
        work_rows=float(sum(n.cardinality or 0 for n in nodes)),
        joins=len(joins),
        join_rows=float(max((n.cardinality or 0 for n in joins), default=0)),
        quadratic_joins=sum(1 for n in joins if n.name in QUADRATIC_JOINS),
        pair_rows=float(sum(n.cardinality or 0 for n in joins if n.name in QUADRATIC_JOINS)),
        aggregates=len(aggs),
        groups=float(max((n.cardinality or 0 for n in aggs), default=0)),
        sorts=sum(1 for n in nodes if n.name in SORT_OPERATORS),
        windows=sum(1 for n in nodes if n.name in WINDOW_OPERATORS),
        filters=sum(1 for n in nodes if n.name == "FILTER") + sum(len(n.filters) for n in nodes),
        columns_read=columns,
        operators=len(nodes),
        unmapped_scans=unmapped,
    )


def _rows_out(plan: Plan, scans: Sequence[ScanEstimate | None], limit: int | None) -> int:
    """Rows returned: the plan's, bounded by what a lone scan keeps after pruning."""
    rows = plan.result_rows(limit) or 0
    ops = {n.name for n in plan.nodes()} - {
        "PROJECTION",
        "FILTER",
        "ORDER_BY",
        "TOP_N",
        "STREAMING_LIMIT",
        "LIMIT",
        "ICEBERG_SCAN",
    }
    if len(scans) == 1 and scans[0] is not None and not ops:
        rows = min(rows, scans[0].rows_kept)  # only filters between the scan and the result
    return rows


def feature_vector(fig: PlanFigures) -> list[float]:
    """The features of ``fig``, in ``FEATURE_NAMES`` order."""

    def lg(x: float) -> float:
        return math.log1p(max(0.0, x)) / _LOG_SCALE

    def ct(x: float) -> float:
        return min(float(x), 50.0) / _COUNT_SCALE

    return [
        1.0,
        lg(fig.rows_scanned),
        lg(fig.bytes_scanned),
        lg(fig.files_scanned),
        ct(fig.scans),
        lg(fig.rows_out),
        lg(fig.work_rows),
        ct(fig.joins),
        lg(fig.join_rows),
        ct(fig.quadratic_joins),
        ct(fig.aggregates),
        lg(fig.groups),
        ct(fig.sorts),
        ct(fig.windows),
        ct(fig.filters),
        lg(fig.columns_read),
        ct(fig.operators) / 2,
        ct(fig.unmapped_scans),
        math.log(analytic_ms(fig)) / 10.0,
        1.0 if fig.rows_bounded else 0.0,
    ]


#: Rough rates of DuckDB 1.5 over Iceberg/Parquet on a 2-core machine: the estimate before any
#: history. Rounded from ``bench/cost_qerror.py --calibrate --sfs 0.05,0.3 --retail-scale 0.5``
#: (a workload apart from the benchmark's own); the learned model corrects the rest. Bytes add
#: little beyond rows there, so their rate is set low (1 GB/s): it matters for wide text columns.
BASE_MS = 2.7
MS_PER_SCAN = 2.7
ROWS_PER_MS = 40_000.0
BYTES_PER_MS = 1_000_000.0
WORK_ROWS_PER_MS = 900_000.0
JOIN_ROWS_PER_MS = 600_000.0


def analytic_ms(fig: PlanFigures) -> float:
    """Duration from fixed rates: the prediction with no history, and the learned model's base."""
    # DuckDB's intermediate cardinalities can be wildly high (correlated subqueries, joins it
    # cannot estimate); the rows actually read bound them, so one bad estimate cannot dominate
    work = min(fig.work_rows, 10 * fig.rows_scanned)
    join = min(fig.join_rows, 4 * fig.rows_scanned)
    ms = (
        BASE_MS
        + MS_PER_SCAN * fig.scans
        + fig.rows_scanned / ROWS_PER_MS
        + fig.bytes_scanned / BYTES_PER_MS
        + work / WORK_ROWS_PER_MS
        + join / JOIN_ROWS_PER_MS
        # a cross product's size is exact (the product of its inputs), and every pair is made
        + fig.pair_rows / JOIN_ROWS_PER_MS
    )
    return max(ms, 0.1)

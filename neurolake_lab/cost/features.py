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
from typing import TYPE_CHECKING

from neurolake_lab.cost.plan import (
    AGGREGATE_OPERATORS,
    JOIN_OPERATORS,
    QUADRATIC_JOINS,
    SORT_OPERATORS,
    WINDOW_OPERATORS,
    Plan,
)
from neurolake_lab.cost.table_stats import ScanEstimate

if TYPE_CHECKING:
    from neurolake_lab.cost.cardinality import Cardinalities
    from neurolake_lab.cost.writes import WriteShape

FEATURE_VERSION = 2
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
    "log_pair_rows",
    "log_sort_work",
    "log_result_cells",
    "log_write_cells",
    "rows_spread",
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
    #: rows the hash joins build tables of, and n·log2(n) over the rows sorts order
    build_rows: float = 0.0
    sort_work: float = 0.0
    #: values the result hands back (rows times columns), or a write stores in new files
    result_cells: float = 0.0
    write_cells: float = 0.0
    #: of ``write_cells``, those of text columns (Parquet encodes text slower than numbers)
    write_text_cells: float = 0.0
    #: columns a write classifies for PII (``writes.py``), the rows of their sample, and
    #: whether Presidio is still to be loaded in this process
    classified_columns: int = 0
    classify_rows: float = 0.0
    loads_pii_model: bool = False
    #: log-space spread of the rows-out estimate (how much of it is guessed)
    rows_spread: float = 0.0
    #: the machine's probe time when the figures were made (``speed.py``), milliseconds
    probe_ms: float = 1.0


def plan_figures(
    plan: Plan,
    scans: Sequence[ScanEstimate | None],
    limit: int | None = None,
    cards: Cardinalities | None = None,
    *,
    width: int | None = None,
    writes: bool = False,
    probe_ms: float = 1.0,
    shape: WriteShape | None = None,
    loads_pii_model: bool = False,
) -> PlanFigures:
    """Read the figures off DuckDB's plan, the scans' metadata and the cardinality estimate.

    ``scans`` holds one entry per scan node of ``plan`` (in ``plan.scans()`` order): the Iceberg
    estimate, or ``None`` for a scan of something without metadata (a session table, a
    DataFrame), which counts with DuckDB's own cardinality and an assumed 8 bytes per column.
    ``limit`` is the statement's top-level ``LIMIT``, which bounds the rows out. ``cards`` are
    the rows through every operator (``cardinality.py``; DuckDB's own estimates without it),
    ``width`` the result's columns, ``writes`` whether the rows go into new Iceberg files,
    ``shape`` the columns the write stores and how many it classifies for PII
    (``loads_pii_model``: the first classification of this process).
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
    bound, bounded = plan.result_bound(limit)
    if cards is not None:
        ours = cards.of(plan.root)
        rows_out = min(float(bound), ours) if bounded and bound is not None else ours
        if len(scans) == 1 and scans[0] is not None and not bounded:
            rows_out = min(rows_out, float(scans[0].rows_kept))
        spread = 0.0 if bounded else cards.spread_of(plan.root)
        work = cards.work_rows
        join_rows = cards.join_rows
        pair_rows = cards.pair_rows
        groups = max((cards.of(n) for n in aggs), default=0.0)
    else:
        rows_out = float(_rows_out(plan, scans, limit))
        spread = 0.0 if bounded else 1.0
        work = float(sum(n.cardinality or 0 for n in nodes))
        join_rows = float(max((n.cardinality or 0 for n in joins), default=0))
        pair_rows = float(sum(n.cardinality or 0 for n in joins if n.name in QUADRATIC_JOINS))
        groups = float(max((n.cardinality or 0 for n in aggs), default=0))
    if shape is not None:
        width = shape.columns
    cells = rows_out * max(width if width is not None else columns, 1)
    classified = shape.classified if writes and shape is not None else 0
    classify_rows = min(rows_out, CLASSIFY_SAMPLE_ROWS) if classified else 0.0
    text_cells = rows_out * shape.text_columns if writes and shape is not None else 0.0
    return PlanFigures(
        rows_scanned=rows,
        bytes_scanned=bytes_,
        files_scanned=files,
        scans=len(scan_nodes),
        rows_out=rows_out,
        rows_bounded=bounded,
        work_rows=work,
        joins=len(joins),
        join_rows=join_rows,
        quadratic_joins=sum(1 for n in joins if n.name in QUADRATIC_JOINS),
        pair_rows=pair_rows,
        aggregates=len(aggs),
        groups=groups,
        sorts=sum(1 for n in nodes if n.name in SORT_OPERATORS),
        windows=sum(1 for n in nodes if n.name in WINDOW_OPERATORS),
        filters=sum(1 for n in nodes if n.name == "FILTER") + sum(len(n.filters) for n in nodes),
        columns_read=columns,
        operators=len(nodes),
        unmapped_scans=unmapped,
        build_rows=cards.build_rows if cards is not None else 0.0,
        sort_work=cards.sort_work if cards is not None else 0.0,
        result_cells=0.0 if writes else cells,
        write_cells=cells if writes else 0.0,
        write_text_cells=text_cells,
        classified_columns=classified if classify_rows else 0,
        classify_rows=classify_rows,
        loads_pii_model=loads_pii_model and bool(classify_rows),
        rows_spread=spread,
        probe_ms=probe_ms,
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
        math.log(analytic_units(fig)) / 10.0,
        1.0 if fig.rows_bounded else 0.0,
        lg(fig.pair_rows),
        lg(fig.sort_work),
        lg(fig.result_cells),
        lg(fig.write_cells),
        min(fig.rows_spread, 5.0) / 5.0,
    ]


#: Rates of DuckDB 1.5 over Iceberg/Parquet, in *probe units* (``speed.py``: one unit is the time
#: the probe query takes now, about 1 ms on a quiet 2-core machine): the estimate before any
#: history. Fitted by ``bench/cost_failures.py --calibrate`` on the workload's tuning half (TPC-H
#: odd queries and the tuning bad queries at two sizes); the learned model corrects the rest.
BASE_UNITS = 3.0
UNITS_PER_SCAN = 1.2
ROWS_PER_UNIT = 200_000.0
BYTES_PER_UNIT = 340_000.0
WORK_ROWS_PER_UNIT = 2_000_000.0
JOIN_ROWS_PER_UNIT = 400_000.0
PAIRS_PER_UNIT = 25_000_000.0
SORT_WORK_PER_UNIT = 40_000.0
RESULT_CELLS_PER_UNIT = 200_000.0
#: writes: pyarrow encodes Parquet (text slower than numbers) and pyiceberg commits, mostly in
#: one Python thread. Fitted by ``bench/write_costs.py`` on its writes (CTAS and INSERT of 1,000
#: to 1.8 million rows, 3 to 16 columns; not the wide CTAS ``cost_failures.py`` holds out), with
#: the time of PII classification taken out: about 10 units per write, 91,000 values and 25,500 text
#: values per unit (the rates before, 150 units and 25,000 values, held classification and
#: predicted these writes 2-10x too slow)
WRITE_CELLS_PER_UNIT = 90_000.0
WRITE_TEXT_CELLS_PER_UNIT = 25_000.0
WRITE_UNITS = 10.0
#: PII classification of a write's new columns (``writes.py``), which samples at most
#: ``CLASSIFY_SAMPLE_ROWS`` rows: per classified column, a base and a share per sampled row
#: (``bench/write_costs.py``: Presidio's time over the text columns of TPC-H and the retail
#: demo, and the tagger's time in writes); loading Presidio and the spaCy model, with the first
#: analysis, once per process (1.1-1.9 s measured, at probe readings of 2.7-3.3 ms)
CLASSIFY_SAMPLE_ROWS = 200
CLASSIFY_COLUMN_UNITS = 3.0
CLASSIFY_ROW_UNITS = 0.03
PII_MODEL_LOAD_UNITS = 450.0


def analytic_units(fig: PlanFigures) -> float:
    """Duration in probe units from fixed rates (the analytic estimate without the machine)."""
    units = (
        BASE_UNITS
        + UNITS_PER_SCAN * fig.scans
        + fig.rows_scanned / ROWS_PER_UNIT
        + fig.bytes_scanned / BYTES_PER_UNIT
        + fig.work_rows / WORK_ROWS_PER_UNIT
        + (fig.join_rows + fig.build_rows) / JOIN_ROWS_PER_UNIT
        # every pair a cross product or nested loop makes is compared
        + fig.pair_rows / PAIRS_PER_UNIT
        + fig.sort_work / SORT_WORK_PER_UNIT
        + fig.result_cells / RESULT_CELLS_PER_UNIT
        + fig.write_cells / WRITE_CELLS_PER_UNIT
        + fig.write_text_cells / WRITE_TEXT_CELLS_PER_UNIT
        + (WRITE_UNITS if fig.write_cells else 0.0)
        + classify_units(fig)
    )
    return max(units, 0.1)


def classify_units(fig: PlanFigures) -> float:
    """The share of ``analytic_units`` that is the write's PII classification."""
    per_column = CLASSIFY_COLUMN_UNITS + CLASSIFY_ROW_UNITS * fig.classify_rows
    load = PII_MODEL_LOAD_UNITS if fig.loads_pii_model else 0.0
    return fig.classified_columns * per_column + load


def analytic_ms(fig: PlanFigures) -> float:
    """Duration from fixed rates and the machine's speed now: the prediction with no history."""
    return analytic_units(fig) * max(fig.probe_ms, 0.01)

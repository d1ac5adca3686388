"""Partition transforms and sort orders from SQL expressions (``month(order_date)``, ``a DESC``).

Spark's and Trino's spellings are both accepted: ``month``/``months``, ``bucket(16, id)`` or
``bucket(id, 16)``, ``truncate(10, name)``, a bare column for identity partitioning.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlglot import exp

from neurolake_lab.exceptions import QueryError

if TYPE_CHECKING:
    from pyiceberg.table import Transaction
    from pyiceberg.transforms import Transform

_TIME = {"year": "Year", "month": "Month", "day": "Day", "hour": "Hour"}


def transform_of(node: exp.Expr) -> tuple[str, Transform[Any, Any], str]:
    """``(source column, transform, partition field name)`` of one partition expression."""
    from pyiceberg import transforms as t

    if isinstance(node, exp.Column | exp.Identifier | exp.Var):
        return node.name, t.IdentityTransform(), node.name
    # sqlglot gives month(x) its own node types (exp.Month, ...); others are anonymous functions
    name = (node.name if isinstance(node, exp.Anonymous) else type(node).__name__).lower()
    args = [a for a in node.iter_expressions()]
    if isinstance(node, exp.Anonymous):
        args = list(node.expressions)
    name = name.rstrip("s") if name.rstrip("s") in _TIME else name
    columns = [a for a in args if isinstance(a, exp.Column)]
    numbers = [a for a in args if isinstance(a, exp.Literal) and not a.is_string]
    if len(columns) != 1:
        raise QueryError(
            f"cannot partition by {node.sql('duckdb')}: name one column", kind="syntax"
        )
    col = columns[0].name
    if name in _TIME:
        transform: Transform[Any, Any] = getattr(t, f"{_TIME[name]}Transform")()
        return col, transform, f"{col}_{name}"
    if name in ("bucket", "truncate") and len(numbers) == 1:
        width = int(numbers[0].name)
        if name == "bucket":
            return col, t.BucketTransform(num_buckets=width), f"{col}_bucket"
        return col, t.TruncateTransform(width=width), f"{col}_trunc"
    raise QueryError(
        f"unknown partition transform {node.sql('duckdb')}: use a column, "
        "year/month/day/hour(col), bucket(N, col) or truncate(N, col)",
        kind="syntax",
    )


def apply_partitioning(tx: Transaction, partition_by: list[exp.Expr]) -> None:
    """Add partition fields to a table inside transaction ``tx``."""
    if not partition_by:
        return
    with tx.update_spec() as spec:
        for node in partition_by:
            col, transform, name = transform_of(node)
            spec.add_field(col, transform, name)


def apply_sort_order(tx: Transaction, sort_by: list[exp.Ordered]) -> None:
    """Set the table's sort order (writers that honour it sort new files this way)."""
    if not sort_by:
        return
    from pyiceberg.table.sorting import NullOrder
    from pyiceberg.transforms import IdentityTransform

    with tx.update_sort_order() as order:
        for item in sort_by:
            node = item.this
            col, transform, _ = (
                (node.name, IdentityTransform(), node.name)
                if isinstance(node, exp.Column)
                else transform_of(node)
            )
            desc = bool(item.args.get("desc"))
            nulls_first = item.args.get("nulls_first")
            null_order = NullOrder.NULLS_FIRST if nulls_first else NullOrder.NULLS_LAST
            if desc:
                order.desc(col, transform, null_order)
            else:
                order.asc(col, transform, null_order)


def describe_spec(spec: Any, schema: Any) -> str:
    """``month(order_date), bucket(16, id)`` for a pyiceberg partition spec."""
    parts = []
    for f in spec.fields:
        col = schema.find_column_name(f.source_id)
        transform = str(f.transform)
        parts.append(col if transform == "identity" else _transform_call(transform, col))
    return ", ".join(parts)


def _transform_call(transform: str, col: str) -> str:
    if "[" in transform:  # bucket[16] -> bucket(16, col)
        name, width = transform.rstrip("]").split("[")
        return f"{name}({width}, {col})"
    return f"{transform}({col})"


def replace_layout(
    tx: Transaction, partition_by: list[exp.Expr], sort_by: list[exp.Ordered]
) -> None:
    """Make the table's partitioning and sort order exactly these (CREATE OR REPLACE).

    Partition fields that stay are kept (their files stay pruned); the others are removed.
    """
    wanted = {}
    for node in partition_by:
        col, transform, name = transform_of(node)
        wanted[name] = (col, transform)
    spec = tx.table_metadata.spec()
    current = {f.name: f for f in spec.fields}
    remove = [
        n for n, f in current.items() if n not in wanted or str(f.transform) != str(wanted[n][1])
    ]
    add = {n: v for n, v in wanted.items() if n not in current or n in remove}
    if remove:
        with tx.update_spec() as update:
            for name in remove:
                update.remove_field(name)
    if add:
        with tx.update_spec() as update:
            for name, (col, transform) in add.items():
                update.add_field(col, transform, name)
    if sort_by:
        apply_sort_order(tx, sort_by)
    elif tx.table_metadata.sort_order().fields:
        with tx.update_sort_order():
            pass  # no fields: the table becomes unsorted

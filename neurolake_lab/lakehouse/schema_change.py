"""``CREATE OR REPLACE TABLE`` keeps a table's history: its schema is changed, not recreated."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

if TYPE_CHECKING:
    from pyiceberg.table import Transaction


def replace_schema(tx: Transaction, new: pa.Schema) -> None:
    """Make the schema of the table in ``tx`` equal ``new`` (CREATE OR REPLACE).

    Columns that stay with a compatible type keep their field ids; the others are dropped and
    added afresh, then columns are put in ``new``'s order.
    """
    from pyiceberg.io.pyarrow import schema_to_pyarrow

    current = schema_to_pyarrow(tx.table_metadata.schema(), include_field_ids=False)
    wanted = {f.name: f.type for f in new}
    drop = [
        f.name for f in current if f.name not in wanted or not _promotable(f.type, wanted[f.name])
    ]
    if drop:
        with tx.update_schema(allow_incompatible_changes=True) as update:
            for name in drop:
                update.delete_column(name)
    with tx.update_schema(allow_incompatible_changes=True) as update:
        update.union_by_name(new)
    with tx.update_schema() as update:
        previous: str | None = None
        for f in new:
            if previous is None:
                update.move_first(f.name)
            else:
                update.move_after(f.name, previous)
            previous = f.name


def _promotable(old: pa.DataType, new: pa.DataType) -> bool:
    if old.equals(new):
        return True
    t = pa.types
    if t.is_int32(old) and t.is_int64(new):
        return True
    if t.is_float32(old) and t.is_float64(new):
        return True
    return bool(
        t.is_decimal(old) and t.is_decimal(new) and old.scale == new.scale
        and new.precision >= old.precision
    )  # fmt: skip

"""Make Arrow data fit Iceberg: types Iceberg has no counterpart for are widened or cast.

pandas brings nanosecond timestamps, Polars large and view strings, DuckDB unsigned and 128-bit
integers, ENUMs as dictionaries and NULL-typed columns; Iceberg stores none of these as such.
"""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa

from neurolake_lab.exceptions import LakehouseError

_UNSIGNED = {8: pa.int32(), 16: pa.int32(), 32: pa.int64()}


def iceberg_compatible_type(dtype: pa.DataType, name: str) -> pa.DataType:
    """The Arrow type Iceberg can store for a column of type ``dtype``."""
    t = pa.types
    if t.is_dictionary(dtype):
        return iceberg_compatible_type(dtype.value_type, name)
    if t.is_large_string(dtype) or t.is_string_view(dtype) or t.is_null(dtype):
        return pa.string()
    if t.is_large_binary(dtype) or t.is_binary_view(dtype):
        return pa.binary()
    if t.is_unsigned_integer(dtype):
        return _UNSIGNED.get(dtype.bit_width, pa.decimal128(20, 0))
    if t.is_int8(dtype) or t.is_int16(dtype):
        return pa.int32()
    if t.is_float16(dtype):
        return pa.float32()
    if t.is_timestamp(dtype):
        return pa.timestamp("us", tz="UTC" if dtype.tz else None)
    if t.is_time(dtype):
        return pa.time64("us")
    if t.is_date64(dtype):
        return pa.date32()
    if t.is_decimal(dtype) and dtype.precision > 38:
        return pa.decimal128(38, min(dtype.scale, 38))
    if t.is_list(dtype) or t.is_large_list(dtype) or t.is_list_view(dtype):
        return pa.list_(iceberg_compatible_type(dtype.value_type, name))
    if t.is_fixed_size_list(dtype):
        return pa.list_(iceberg_compatible_type(dtype.value_type, name))
    if t.is_struct(dtype):
        return pa.struct([pa.field(f.name, iceberg_compatible_type(f.type, f.name)) for f in dtype])
    if t.is_map(dtype):
        return pa.map_(
            iceberg_compatible_type(dtype.key_type, name),
            iceberg_compatible_type(dtype.item_type, name),
        )
    if t.is_duration(dtype) or t.is_interval(dtype):
        raise LakehouseError(
            f"column {name!r} is an interval/duration, which Iceberg cannot store; "
            "cast it to a number (e.g. epoch seconds) first"
        )
    return dtype


def to_iceberg_arrow(table: pa.Table, docs: Mapping[str, str] | None = None) -> pa.Table:
    """``table`` with every column cast to a type Iceberg stores, all fields nullable.

    ``docs`` (column → description) go into the fields' ``doc`` metadata, which pyiceberg turns
    into Iceberg column docs when it creates a table from the schema.
    """
    names = table.column_names
    if len(set(names)) != len(names):
        dupes = sorted({n for n in names if names.count(n) > 1})
        raise LakehouseError(f"duplicate column names {dupes}: give each column its own alias")
    if any(not n for n in names):
        raise LakehouseError("a column has an empty name: give every column an alias")
    docs = docs or {}
    fields = []
    for f in table.schema:
        meta: dict[bytes, bytes] = dict(f.metadata or {})
        if f.name in docs:
            meta[b"doc"] = docs[f.name].encode()
        fields.append(
            pa.field(
                f.name,
                iceberg_compatible_type(f.type, f.name),
                nullable=True,
                metadata=meta or None,
            )
        )
    schema = pa.schema(fields)
    if schema.equals(table.schema, check_metadata=True):
        return table
    try:
        return table.cast(schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise LakehouseError(f"cannot store the data in Iceberg: {exc}") from None

"""Names for the fields of unnamed structs (``row(1, 'a')``, ``(1, 'a')``) in a result.

DuckDB gives such a struct's fields no names; in Arrow they are all ``""``, which pyarrow cannot
turn into Python dictionaries (the preview, the cache, ``to_pylist`` and pandas all fail). They
are named ``f1``, ``f2``, ... by position, as PostgreSQL names the fields of ``row(...)``; named
fields keep their names.

Example:
    >>> import duckdb
    >>> t = name_fields(duckdb.sql("SELECT row(1, 'a') AS r").to_arrow_table())
    >>> t.to_pylist()
    [{'r': {'f1': 1, 'f2': 'a'}}]
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa


def name_fields(table: pa.Table) -> pa.Table:
    """``table`` with every unnamed or repeated struct field named by its position."""
    if not any(_needs(f.type) for f in table.schema):
        return table
    fields = [f.with_type(_type(f.type)) for f in table.schema]
    columns = [
        pa.chunked_array([_named(c) for c in col.chunks], type=field.type)  # type: ignore[call-overload]
        for col, field in zip(table.columns, fields, strict=True)
    ]
    return pa.Table.from_arrays(columns, schema=pa.schema(fields)).replace_schema_metadata(
        table.schema.metadata
    )


def _needs(kind: pa.DataType) -> bool:
    if pa.types.is_struct(kind):
        names = [kind.field(i).name for i in range(kind.num_fields)]
        if "" in names or len(set(names)) < len(names):
            return True
        return any(_needs(kind.field(i).type) for i in range(kind.num_fields))
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return _needs(kind.value_type)
    return False


def _names(kind: pa.StructType) -> list[str]:
    names = [kind.field(i).name for i in range(kind.num_fields)]
    if "" not in names and len(set(names)) == len(names):
        return names
    return [f"f{i}" if not n or names.count(n) > 1 else n for i, n in enumerate(names, start=1)]


def _type(kind: pa.DataType) -> pa.DataType:
    if pa.types.is_struct(kind):
        return pa.struct(
            [
                kind.field(i).with_name(name).with_type(_type(kind.field(i).type))
                for i, name in enumerate(_names(kind))
            ]
        )
    if pa.types.is_list(kind):
        return pa.list_(kind.value_field.with_type(_type(kind.value_type)))
    if pa.types.is_large_list(kind):
        return pa.large_list(kind.value_field.with_type(_type(kind.value_type)))
    return kind


def _named(array: Any) -> Any:
    """``array`` (a struct or list array, untyped: pyarrow's stubs lack their methods) renamed."""
    kind = array.type
    if not _needs(kind):
        return array
    if pa.types.is_struct(kind):
        children = [_named(child) for child in array.flatten()]
        return pa.StructArray.from_arrays(
            children, names=_names(kind), mask=array.is_null() if array.null_count else None
        )
    offsets, values = array.offsets, _named(array.values)
    build: Any = pa.ListArray if pa.types.is_list(kind) else pa.LargeListArray
    return build.from_arrays(offsets, values, mask=array.is_null() if array.null_count else None)

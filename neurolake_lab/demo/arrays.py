"""Exact Arrow arrays from the generator's integer arithmetic (money in cents, dates in days).

The generator computes with integers so that totals are exact; these helpers turn those integers
into the Arrow types the spec asks for without a detour through floats or Python objects.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import pyarrow as pa

IntArray = npt.NDArray[np.int64]
#: an Arrow array of any type (pyarrow's stubs want a type argument)
Column: TypeAlias = "pa.Array[Any]"
BoolArray = npt.NDArray[np.bool_]


def decimal_array(unscaled: IntArray, precision: int, scale: int) -> Column:
    """A ``decimal128(precision, scale)`` array whose values are ``unscaled / 10**scale``.

    Built from the 16-byte little-endian two's-complement buffer Arrow uses, so 1234 with scale 2
    is exactly 12.34 (a cast from int64 would give 1234.00, one from float could round).
    """
    values = np.asarray(unscaled, dtype=np.int64)
    limit = 10**precision
    if values.size and (int(values.max()) >= limit or int(values.min()) <= -limit):
        raise ValueError(f"a value does not fit DECIMAL({precision},{scale})")
    words = np.empty((values.size, 2), dtype=np.int64)
    words[:, 0] = values
    words[:, 1] = values >> 63  # sign extension into the high word
    return pa.Array.from_buffers(
        pa.decimal128(precision, scale), values.size, [None, pa.py_buffer(words.data)]
    )


def date_array(days: IntArray, null: BoolArray | None = None) -> Column:
    """A ``date32`` array from days since 1970-01-01; rows where ``null`` is true are NULL."""
    return pa.array(np.asarray(days, dtype=np.int32), type=pa.date32(), mask=null)


def timestamp_array(micros: IntArray, null: BoolArray | None = None) -> Column:
    """A ``timestamp("us")`` array (no time zone) from microseconds since the epoch."""
    return pa.array(np.asarray(micros, dtype=np.int64), type=pa.timestamp("us"), mask=null)


def int_array(values: npt.NDArray[np.integer], type_: pa.DataType) -> Column:
    """An integer array of exactly ``type_`` (int64 for BIGINT, int32 for INTEGER)."""
    return pa.array(np.asarray(values, dtype=type_.to_pandas_dtype()), type=type_)

"""Vectorised string building: per-row templates over Arrow arrays, and digit patterns.

Formatting strings row by row in Python would dominate the generator's time at scale 20, so each
template is applied once to all the rows that use it, with Arrow's string kernels.
"""

from __future__ import annotations

import string
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from neurolake_lab.demo.arrays import Column

IndexArray = npt.NDArray[np.intp]


def pick(values: Sequence[str], index: npt.NDArray[np.integer]) -> Column:
    """``values[index[i]]`` for every row, as an Arrow string array."""
    return pa.array(values, type=pa.string()).take(np.asarray(index, dtype=np.int64))


def int_strings(values: npt.NDArray[np.integer], width: int = 0) -> Column:
    """Decimal strings of ``values``, left-padded with zeros to ``width`` characters."""
    out = pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string())
    return pc.utf8_lpad(out, width=width, padding="0") if width else out


def join(*parts: Column | str, sep: str = "") -> Column:
    """Concatenate string arrays and literals row by row (Arrow's ``binary_join_element_wise``)."""
    # the stubs' overloads do not allow mixing arrays and str literals, which Arrow accepts
    return cast(Column, cast(Any, pc).binary_join_element_wise(*parts, sep))


def _groups(which: npt.NDArray[np.integer]) -> list[tuple[int, IndexArray]]:
    """The distinct values of ``which`` with the rows holding each, in a stable order."""
    order = np.argsort(which, kind="stable")
    keys, starts = np.unique(which[order], return_index=True)
    bounds = [*starts.tolist(), len(order)]
    return [(int(k), order[bounds[i] : bounds[i + 1]]) for i, k in enumerate(keys)]


def _reassemble(chunks: list[Column], rows: list[IndexArray], n: int) -> Column:
    """Put per-group results back into row order."""
    if not chunks:
        return pa.array([], type=pa.string())
    position = np.empty(n, dtype=np.int64)
    position[np.concatenate(rows)] = np.arange(n)
    return pa.concat_arrays(chunks).take(position)


def render(
    templates: Sequence[str], which: npt.NDArray[np.integer], fields: Mapping[str, Column]
) -> Column:
    """Row ``i`` becomes ``templates[which[i]].format(**{k: fields[k][i]})``.

    Args:
        templates: ``str.format`` templates with bare field names (no format specs).
        which: one template index per row.
        fields: a string array per field name, each as long as ``which``.

    Returns:
        A string array as long as ``which``.
    """
    parser = string.Formatter()
    chunks: list[Column] = []
    rows: list[IndexArray] = []
    for key, idx in _groups(which):
        take = idx
        parts: list[Column | str] = []
        for literal, field, _spec, _conv in parser.parse(templates[key]):
            if literal:
                parts.append(literal)
            if field is not None:
                parts.append(fields[field].take(take))
        if any(isinstance(p, pa.Array) for p in parts):
            chunk = join(*parts)
        else:
            chunk = pa.repeat(pa.scalar("".join(p for p in parts if isinstance(p, str))), len(idx))
        chunks.append(chunk)
        rows.append(idx)
    return _reassemble(chunks, rows, len(which))


def fill_digits(
    patterns: Sequence[str], which: npt.NDArray[np.integer], rng: np.random.Generator
) -> Column:
    """Row ``i`` becomes ``patterns[which[i]]`` with each ``#`` a random digit, ``N`` one of 2-9.

    Patterns are ASCII; each pattern's rows are filled as one byte matrix.
    """
    chunks: list[Column] = []
    rows: list[IndexArray] = []
    for key, idx in _groups(which):
        template = np.frombuffer(patterns[key].encode("ascii"), dtype=np.uint8)
        buf = np.tile(template, (len(idx), 1))
        for mark, low in ((b"#", 0), (b"N", 2)):
            cols = np.flatnonzero(template == mark[0])
            if cols.size:
                digits = rng.integers(low, 10, size=(len(idx), cols.size), dtype=np.uint8)
                buf[:, cols] = digits + ord("0")
        chunks.append(fixed_width_strings(buf))
        rows.append(idx)
    return _reassemble(chunks, rows, len(which))


def fixed_width_strings(buf: npt.NDArray[np.uint8]) -> Column:
    """One ASCII string per row of a byte matrix, built directly from its buffer."""
    n, width = buf.shape
    offsets = (np.arange(n + 1, dtype=np.int64) * width).astype(np.int32)
    return pa.Array.from_buffers(
        pa.string(),
        n,
        [None, pa.py_buffer(offsets.data), pa.py_buffer(np.ascontiguousarray(buf).data)],
    )


def ascii_fold(value: str) -> str:
    """Lower-case ASCII form of a name for an email address: "Müller" -> "mueller"."""
    german = {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"}
    lowered = "".join(german.get(ch, ch) for ch in value.lower())
    plain = unicodedata.normalize("NFKD", lowered).encode("ascii", "ignore").decode("ascii")
    return "".join(ch for ch in plain if ch.isalnum())

"""The actual bytes a query read: the process's read counter before and after it ran.

DuckDB's profiler has a ``total_bytes_read`` metric, but on DuckDB 1.5 it counts only a few
kilobytes of Parquet footers and misses the column chunks (a scan of one 455 kB column reports
13 kB). Linux counts every byte a process reads through ``read``/``pread`` (``rchar`` in
``/proc/self/io``), which is what DuckDB's Parquet reader uses, so the difference around a
query is the bytes it read: column chunks, footers, Iceberg metadata and manifests. It counts
other threads of the process too, so it is exact only when nothing else reads meanwhile (in a
kernel, the cell is the only thing running). Elsewhere than Linux the figure is ``None``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

_PROC_IO = "/proc/self/io"


def bytes_read_so_far() -> int | None:
    """Bytes this process has read from files and sockets since it started (Linux ``rchar``)."""
    try:
        with open(_PROC_IO, "rb") as fh:
            for line in fh:
                if line.startswith(b"rchar:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


@dataclass
class ReadCount:
    """Bytes read inside a ``count_reads`` block (``None`` where the OS does not say)."""

    bytes_read: int | None = None


@contextmanager
def count_reads() -> Iterator[ReadCount]:
    """Count the bytes the process reads inside the block (the query's scan, on Linux)."""
    count = ReadCount()
    before = bytes_read_so_far()
    try:
        yield count
    finally:
        after = bytes_read_so_far()
        if before is not None and after is not None:
            count.bytes_read = max(after - before, 0)

"""Whole lines of an append-only file: the last ones (read backwards) or all of them (streamed).

A line is whole once its newline is written; bytes after the last newline are a record whose write
was cut short (a crash mid-append) and are never returned as a record.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

CHUNK = 64 * 1024


def whole_end(fd: int, end: int) -> int:
    """The offset just after the last newline in the first ``end`` bytes (0 if there is none)."""
    pos = end
    while pos > 0:
        start = max(0, pos - CHUNK)
        chunk = os.pread(fd, pos - start, start)
        i = chunk.rfind(b"\n")
        if i >= 0:
            return start + i + 1
        pos = start
    return 0


def last_lines(fd: int, end: int, n: int) -> list[bytes]:
    """The last ``n`` lines (without newlines) of the first ``end`` bytes, oldest first.

    ``end`` must be a line boundary (see :func:`whole_end`). Reads backwards, so the cost depends
    on the length of those lines, not of the file.
    """
    if n <= 0 or end <= 0:
        return []
    buf = b""
    pos = end
    # n lines need n + 1 newlines before ``end`` (the one ending the line before), or the start
    while pos > 0 and buf.count(b"\n") <= n:
        start = max(0, pos - CHUNK)
        buf = os.pread(fd, pos - start, start) + buf
        pos = start
    lines = buf[:-1].split(b"\n")  # buf ends with the last line's newline
    if pos > 0:
        lines = lines[1:]  # the first piece may be the tail of an earlier line
    return lines[-n:]


def stream_lines(path: Path, end: int) -> Iterator[bytes]:
    """Every line (without its newline) in the first ``end`` bytes of ``path``, in order.

    ``end`` must be a line boundary; lines appended after it are not read.
    """
    pos = 0
    with path.open("rb", buffering=1 << 20) as fh:
        for line in fh:
            if pos >= end:
                return
            pos += len(line)
            yield line[:-1]

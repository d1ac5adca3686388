"""Cached results: an LRU in memory, bounded by bytes, spilled to Arrow IPC files in the workspace.

A result evicted from memory is written to ``<workspace>/cache/results/<digest>.arrow``, readable
by its owner only (the folder 0700, each file 0600: results can hold personal data). Files are
written to a temporary name and renamed, so a reader (another kernel) never sees half a file;
they are read memory-mapped, so a hit costs no copy. The folder is bounded too: the files used
longest ago go first. A file that cannot be read is a miss and is removed, never an error.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc as ipc

from neurolake_lab.cache.key import CacheKey

_INPUTS_META = b"neurolake.inputs"
_SUFFIX = ".arrow"


@dataclass
class _Entry:
    table: pa.Table
    inputs: tuple[tuple[str, int | None], ...]
    nbytes: int
    on_disk: bool


@dataclass
class CacheStats:
    """Counters since the cache was opened."""

    memory_hits: int = 0
    disk_hits: int = 0
    misses: int = 0
    puts: int = 0
    spilled: int = 0
    evicted: int = 0
    invalidated: int = 0


class ResultStore:
    """Results by digest: memory first (LRU, ``memory_bytes``), then files (``disk_bytes``)."""

    def __init__(self, folder: Path, memory_bytes: int, disk_bytes: int) -> None:
        self.folder = folder
        self.memory_bytes = memory_bytes
        self.disk_bytes = disk_bytes
        self.stats = CacheStats()
        self._memory: OrderedDict[str, _Entry] = OrderedDict()
        self._used = 0
        self._lock = threading.RLock()

    # -- reading --------------------------------------------------------------------------

    def get(self, digest: str, *, count: bool = True) -> pa.Table | None:
        """The result stored under ``digest``, or ``None``.

        ``count=False`` leaves the stats be: a look ahead (will the cell be answered?) is no hit.
        """
        with self._lock:
            entry = self._memory.get(digest)
            if entry is not None:
                self._memory.move_to_end(digest)
                self.stats.memory_hits += count
                return entry.table
        table = self._read_file(self._path(digest))
        if count:
            with self._lock:
                if table is None:
                    self.stats.misses += 1
                else:
                    self.stats.disk_hits += 1
        return table

    def _read_file(self, path: Path) -> pa.Table | None:
        try:
            source = pa.memory_map(str(path), "r")
            table = ipc.open_file(source).read_all()
        except FileNotFoundError:
            return None
        except (OSError, pa.ArrowInvalid):
            with contextlib.suppress(OSError):
                path.unlink()  # damaged (a crash mid-write never renames, so: disk or tampering)
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # "used now": the disk bound evicts files used longest ago
        return table.replace_schema_metadata(_user_metadata(table.schema))

    # -- writing --------------------------------------------------------------------------

    def put(self, key: CacheKey, table: pa.Table) -> bool:
        """Keep ``table`` under ``key``; ``False`` when it is too large to keep at all."""
        nbytes = int(table.nbytes)
        if nbytes > self.disk_bytes // 4 and nbytes > self.memory_bytes:
            return False
        spill: list[tuple[str, _Entry]] = []
        with self._lock:
            self.stats.puts += 1
            old = self._memory.pop(key.digest, None)
            if old is not None:
                self._used -= old.nbytes
            if nbytes > self.memory_bytes // 4:
                spill.append((key.digest, _Entry(table, key.inputs, nbytes, False)))
            else:
                self._memory[key.digest] = _Entry(table, key.inputs, nbytes, False)
                self._used += nbytes
                while self._used > self.memory_bytes and self._memory:
                    digest, entry = self._memory.popitem(last=False)
                    self._used -= entry.nbytes
                    self.stats.evicted += 1
                    spill.append((digest, entry))
        for digest, entry in spill:
            if not entry.on_disk:
                self._write_file(digest, entry)
        if spill:
            self._bound_disk()
        return True

    def _write_file(self, digest: str, entry: _Entry) -> None:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.folder, 0o700)
        path = self._path(digest)
        if path.exists():
            return
        tmp = path.with_name(f".{digest}.{os.getpid()}.{threading.get_ident()}.tmp")
        meta = dict(entry.table.schema.metadata or {})
        meta[_INPUTS_META] = json.dumps(entry.inputs).encode()
        table = entry.table.replace_schema_metadata(meta)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh, ipc.new_file(fh, table.schema) as writer:
                writer.write_table(table)
            os.replace(tmp, path)
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()
            return  # a full disk makes the cache smaller, never the query fail
        with self._lock:
            self.stats.spilled += 1

    def _bound_disk(self) -> None:
        files = []
        for path in self.folder.glob(f"*{_SUFFIX}"):
            with contextlib.suppress(OSError):
                st = path.stat()
                files.append((st.st_mtime, st.st_size, path))
        total = sum(size for _, size, _ in files)
        for _, size, path in sorted(files):
            if total <= self.disk_bytes:
                break
            with contextlib.suppress(OSError):
                path.unlink()
                total -= size

    # -- invalidation ---------------------------------------------------------------------

    def invalidate(self, current: set[tuple[str, int | None]], tables: set[str]) -> int:
        """Drop entries that read one of ``tables`` at a snapshot that is not current any more.

        ``current`` holds the (table, snapshot) pairs that are current; an entry reading one
        of ``tables`` at any other snapshot is removed from memory and from disk.
        """
        removed = 0
        with self._lock:
            for digest, entry in list(self._memory.items()):
                if _outdated(entry.inputs, current, tables):
                    self._used -= entry.nbytes
                    del self._memory[digest]
                    removed += 1
        for path in list(self.folder.glob(f"*{_SUFFIX}")) if self.folder.exists() else []:
            inputs = _file_inputs(path)
            if inputs is not None and _outdated(inputs, current, tables):
                with contextlib.suppress(OSError):
                    path.unlink()
                    removed += 1
        with self._lock:
            self.stats.invalidated += removed
        return removed

    def clear(self) -> None:
        """Remove every entry, in memory and on disk."""
        with self._lock:
            self._memory.clear()
            self._used = 0
        for path in list(self.folder.glob(f"*{_SUFFIX}")) if self.folder.exists() else []:
            with contextlib.suppress(OSError):
                path.unlink()

    @property
    def memory_used(self) -> int:
        """Bytes of the results held in memory."""
        return self._used

    def disk_used(self) -> int:
        """Bytes of the result files in the cache folder."""
        if not self.folder.exists():
            return 0
        return sum(p.stat().st_size for p in self.folder.glob(f"*{_SUFFIX}"))

    def _path(self, digest: str) -> Path:
        return self.folder / f"{digest}{_SUFFIX}"


def _outdated(
    inputs: tuple[tuple[str, int | None], ...] | list[list[object]],
    current: set[tuple[str, int | None]],
    tables: set[str],
) -> bool:
    return any(name in tables and (name, snapshot) not in current for name, snapshot in inputs)


def _file_inputs(path: Path) -> list[list[object]] | None:
    try:
        with pa.memory_map(str(path), "r") as source:
            schema = ipc.open_file(source).schema
    except (OSError, pa.ArrowInvalid):
        return None
    raw = (schema.metadata or {}).get(_INPUTS_META)
    try:
        return list(json.loads(raw)) if raw else None
    except ValueError:
        return None


def _user_metadata(schema: pa.Schema) -> dict[bytes, bytes] | None:
    meta = {k: v for k, v in (schema.metadata or {}).items() if k != _INPUTS_META}
    return meta or None

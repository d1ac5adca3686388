"""What an Iceberg scan will read, from the table's metadata: files, rows and bytes after pruning.

Iceberg's manifests list every data file of a snapshot with its record count, its size, the
bytes of each column and each column's lower and upper bounds, and the partition it belongs to.
So the files a filter prunes, and the bytes of the columns a query reads from the files that
remain, are known before anything runs. The file list of a snapshot is read once (snapshots are
immutable) and kept; pruning is pyiceberg's own partition projection and metrics evaluator, run
against that list, so a repeated estimate costs microseconds per file instead of re-reading
manifests (about 3 ms per table) as ``table.scan(...).plan_files()`` would.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyiceberg.expressions import BooleanExpression
    from pyiceberg.manifest import DataFile
    from pyiceberg.schema import Schema
    from pyiceberg.table.metadata import TableMetadata


@dataclass(frozen=True)
class ScanEstimate:
    """What one scan of one table reads, before and after pruning.

    ``bytes_*`` count only the columns the scan reads (their compressed size in the data files),
    so a query that reads three narrow columns of a wide table is cheap here as it is in DuckDB.
    """

    table: str
    files_total: int
    files_kept: int
    rows_total: int
    rows_kept: int
    bytes_total: int
    bytes_kept: int
    columns_read: int
    columns_total: int
    #: True when the scan's filters could be evaluated against the metadata (pruning applies)
    filtered: bool


@dataclass
class TableFiles:
    """The data files of one snapshot of one Iceberg table, with what pruning needs."""

    metadata: TableMetadata
    snapshot_id: int | None
    files: list[DataFile]
    #: lower-cased top-level column name → the field ids of the column (with nested fields)
    field_ids: dict[str, list[int]]
    _evaluators: dict[str, Callable[[DataFile], bool]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def schema(self) -> Schema:
        """The table's current schema."""
        return self.metadata.schema()

    @property
    def columns(self) -> list[str]:
        """Top-level column names, lower-cased (DuckDB's names are case-insensitive)."""
        return list(self.field_ids)

    @property
    def rows(self) -> int:
        """Records in the snapshot (before deletes)."""
        return sum(int(f.record_count) for f in self.files)

    @property
    def is_partitioned(self) -> bool:
        """True when the table's current spec has partition fields."""
        return bool(self.metadata.spec().fields)

    def partition_sources(self) -> set[str]:
        """Lower-cased names of the columns the current spec partitions by."""
        schema = self.schema
        names = set()
        for pf in self.metadata.spec().fields:
            try:
                names.add(schema.find_column_name(pf.source_id).lower())
            except ValueError:
                continue
        return names

    def estimate(
        self, name: str, columns: Iterable[str], row_filter: BooleanExpression | None
    ) -> ScanEstimate:
        """Files, rows and bytes a scan of ``columns`` with ``row_filter`` reads."""
        wanted = {c.lower() for c in columns}
        ids = [i for c in wanted for i in self.field_ids.get(c, [])]
        keep = self._keeper(row_filter) if row_filter is not None else None
        files_kept = rows_kept = bytes_total = bytes_kept = 0
        for f in self.files:
            size = _column_bytes(f, ids, len(wanted), len(self.field_ids))
            bytes_total += size
            if keep is None or keep(f):
                files_kept += 1
                rows_kept += int(f.record_count)
                bytes_kept += size
        return ScanEstimate(
            table=name,
            files_total=len(self.files),
            files_kept=files_kept,
            rows_total=self.rows,
            rows_kept=rows_kept,
            bytes_total=bytes_total,
            bytes_kept=bytes_kept,
            columns_read=len(wanted & set(self.field_ids)),
            columns_total=len(self.field_ids),
            filtered=keep is not None,
        )

    def _keeper(self, row_filter: BooleanExpression) -> Callable[[DataFile], bool] | None:
        """Whether a data file may hold rows matching ``row_filter`` (cached per filter)."""
        key = repr(row_filter)  # pyiceberg expressions are not hashable; their repr is exact
        with self._lock:
            if key in self._evaluators:
                return self._evaluators[key]
        keeper = _build_keeper(self.metadata, row_filter)
        with self._lock:
            if len(self._evaluators) > 256:
                self._evaluators.clear()
            if keeper is not None:
                self._evaluators[key] = keeper
        return keeper


def _build_keeper(
    metadata: TableMetadata, row_filter: BooleanExpression
) -> Callable[[DataFile], bool] | None:
    """Partition and metrics evaluators (pyiceberg's) for ``row_filter``; ``None``: unbindable.

    ``_InclusiveMetricsEvaluator`` is private in pyiceberg 0.12 (pinned <0.13) but it is exactly
    what ``DataScan.plan_files`` runs on each file; using it keeps our pruning identical to
    pyiceberg's rather than a second implementation of Iceberg's bound semantics.
    """
    from pyiceberg.expressions.visitors import (
        _InclusiveMetricsEvaluator,
        expression_evaluator,
        inclusive_projection,
    )
    from pyiceberg.schema import Schema

    schema = metadata.schema()
    try:
        metrics = _InclusiveMetricsEvaluator(schema, row_filter, False, False).eval
        partitions: dict[int, Callable[[Any], bool]] = {}
        for spec_id, spec in metadata.specs().items():
            projected = inclusive_projection(schema, spec, False)(row_filter)
            partition_schema = Schema(*spec.partition_type(schema).fields)
            partitions[spec_id] = expression_evaluator(partition_schema, projected, False)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None  # a literal that does not convert to the column's type: no pruning

    def keep(f: DataFile) -> bool:
        evaluate = partitions.get(f.spec_id)
        try:
            if evaluate is not None and not evaluate(f.partition):
                return False
            return bool(metrics(f))
        except (ValueError, TypeError, KeyError, AttributeError):
            return True  # cannot decide: the file is read

    return keep


def _column_bytes(f: DataFile, ids: list[int], n_wanted: int, n_total: int) -> int:
    """Compressed bytes of the columns ``ids`` in file ``f`` (its size share when not recorded)."""
    sizes = f.column_sizes or {}
    if sizes and ids:
        return sum(int(sizes.get(i, 0)) for i in ids)
    if n_total == 0:
        return 0
    return int(f.file_size_in_bytes) * min(n_wanted, n_total) // n_total


def _field_ids(schema: Schema) -> dict[str, list[int]]:
    from pyiceberg.types import ListType, MapType, StructType

    out: dict[str, list[int]] = {}
    for top in schema.fields:
        ids = [top.field_id]
        stack = [top.field_type]
        while stack:
            ftype = stack.pop()
            if isinstance(ftype, StructType):
                children = [(f.field_id, f.field_type) for f in ftype.fields]
            elif isinstance(ftype, ListType):
                children = [(ftype.element_id, ftype.element_type)]
            elif isinstance(ftype, MapType):
                children = [(ftype.key_id, ftype.key_type), (ftype.value_id, ftype.value_type)]
            else:
                continue
            for field_id, child_type in children:
                ids.append(field_id)
                stack.append(child_type)
        out[top.name.lower()] = ids
    return out


class _FilesCache:
    """Data-file lists by (metadata file, snapshot): immutable, so kept until evicted (LRU)."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, int | None], TableFiles] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, location: str, snapshot_id: int | None) -> TableFiles:
        key = (location, snapshot_id)
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit
        files = _read_files(location, snapshot_id)
        with self._lock:
            self._items[key] = files
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return files

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_CACHE = _FilesCache()


def table_files(location: str, snapshot_id: int | None = None) -> TableFiles:
    """The data files of a table's snapshot (its current one by default), read once and kept."""
    return _CACHE.get(location, snapshot_id)


def clear_cache() -> None:
    """Forget every file list read so far (tests and benchmarks measure cold reads with it)."""
    _CACHE.clear()


def _read_files(location: str, snapshot_id: int | None) -> TableFiles:
    from pyiceberg.manifest import DataFileContent

    from neurolake_lab.lakehouse.lakehouse import read_metadata
    from neurolake_lab.lakehouse.storage import file_io

    meta = read_metadata(location)
    snapshot = (
        meta.snapshot_by_id(snapshot_id) if snapshot_id is not None else meta.current_snapshot()
    )
    files: list[DataFile] = []
    if snapshot is not None:
        io = file_io(location, meta.properties)
        for manifest in snapshot.manifests(io):
            for entry in manifest.fetch_manifest_entry(io, discard_deleted=True):
                if entry.data_file.content == DataFileContent.DATA:
                    files.append(entry.data_file)
    sid = snapshot.snapshot_id if snapshot is not None else None
    return TableFiles(meta, sid, files, _field_ids(meta.schema()))

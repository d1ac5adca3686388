"""Table maintenance: expire old snapshots, compact small files, remove orphan files.

pyiceberg 0.12 can drop snapshots from a table's metadata but deletes no files and has no
compaction or orphan removal; those are written here on top of its file IO and its overwrite
snapshot producer (``rewrite.replace_files``). Each step reports what it did.
"""

from __future__ import annotations

import os
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from neurolake_lab.exceptions import UsageError
from neurolake_lab.lakehouse.naming import local_path

if TYPE_CHECKING:
    from pyiceberg.table import Table
    from pyiceberg.table.snapshots import Snapshot

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")
_UNITS = {"": 86400, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: str | int | float | timedelta) -> timedelta:
    """``"7d"``, ``"12h"``, ``"30m"``, ``"90s"``, a number of days, or a ``timedelta``."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float):
        return timedelta(days=value)
    match = _DURATION.match(str(value))
    if not match:
        raise UsageError(f"cannot read {value!r} as a duration: use e.g. 7d, 12h, 30m or 0")
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


@dataclass
class MaintenanceReport:
    """What ``maintain`` did to one table."""

    table: str
    snapshots_expired: list[int] = field(default_factory=list)
    snapshots_kept: int = 0
    files_deleted: int = 0
    files_compacted: int = 0
    files_written: int = 0
    orphans_removed: int = 0
    bytes_freed: int = 0
    notes: list[str] = field(default_factory=list)

    def to_arrow(self) -> pa.Table:
        """One row per step: what was done and how much."""
        rows = [
            ("expire snapshots", len(self.snapshots_expired),
             f"{len(self.snapshots_expired)} expired, {self.snapshots_kept} kept; "
             f"{self.files_deleted} files no snapshot uses any more deleted"),
            ("compact files", self.files_compacted,
             f"{self.files_compacted} small files rewritten as {self.files_written}"),
            ("remove orphan files", self.orphans_removed,
             f"{self.orphans_removed} files ({self.bytes_freed:,} bytes) removed in all"),
        ]  # fmt: skip
        return pa.table(
            {
                "table": [self.table] * len(rows),
                "step": [r[0] for r in rows],
                "count": pa.array([r[1] for r in rows], pa.int64()),
                "detail": [r[2] for r in rows],
            }
        )


def reachable_files(table: Table, snapshots: list[Snapshot]) -> set[str]:
    """Manifest lists, manifests and data files that ``snapshots`` use."""
    found: set[str] = set()
    for snap in snapshots:
        found.add(snap.manifest_list)
        for manifest in snap.manifests(table.io):
            found.add(manifest.manifest_path)
            for entry in manifest.fetch_manifest_entry(table.io, discard_deleted=True):
                found.add(entry.data_file.file_path)
    return found


def expire_snapshots(
    table: Table, older_than: timedelta, retain_last: int, report: MaintenanceReport
) -> Table:
    """Expire snapshots older than ``older_than`` but keep the newest ``retain_last``.

    The snapshot that was current at the cut-off is kept as well, so that time travel to any
    moment inside the retention still finds the table as it was. Files that only expired
    snapshots used are deleted.
    """
    meta = table.metadata
    cutoff_ms = int((datetime.now(UTC) - older_than).timestamp() * 1000)
    newest_first = sorted(meta.snapshots, key=lambda s: s.timestamp_ms, reverse=True)
    keep = {s.snapshot_id for s in newest_first[: max(retain_last, 1)]}
    keep |= {s.snapshot_id for s in meta.snapshots if s.timestamp_ms >= cutoff_ms}
    if meta.current_snapshot_id is not None:
        keep.add(meta.current_snapshot_id)
    keep |= {ref.snapshot_id for ref in meta.refs.values()}
    at_cutoff = [e.snapshot_id for e in meta.snapshot_log if e.timestamp_ms <= cutoff_ms]
    if at_cutoff:
        keep.add(at_cutoff[-1])
    expire = [s.snapshot_id for s in meta.snapshots if s.snapshot_id not in keep]
    return expire_ids(table, expire, report)


def expire_ids(table: Table, expire: list[int], report: MaintenanceReport) -> Table:
    """Remove the given snapshots and delete the files only they used."""
    meta = table.metadata
    report.snapshots_kept = len(meta.snapshots) - len(expire)
    if not expire:
        return table
    before = reachable_files(table, list(meta.snapshots))
    table.maintenance.expire_snapshots().by_ids(expire).commit()
    table = table.refresh()
    after = reachable_files(table, list(table.metadata.snapshots))
    for path in sorted(before - after):
        report.bytes_freed += _delete(table, path)
        report.files_deleted += 1
    report.snapshots_expired = expire
    return table


def delete_old_metadata(table: Table, report: MaintenanceReport) -> None:
    """Delete every metadata file but the current one (their snapshot summaries included)."""
    for entry in table.metadata.metadata_log:
        if entry.metadata_file != table.metadata_location:
            report.bytes_freed += _delete(table, entry.metadata_file)
            report.files_deleted += 1


def compact(
    table: Table, small_bytes: int, properties: dict[str, str], report: MaintenanceReport
) -> Table:
    """Rewrite groups of small data files (per partition) into fewer, larger files."""
    from neurolake_lab.lakehouse.rewrite import read_tasks, replace_files
    from neurolake_lab.lakehouse.tables import _sort

    if table.current_snapshot() is None:
        return table
    groups: dict[tuple[int, str], list[Any]] = defaultdict(list)
    for task in table.scan().plan_files():
        if task.file.file_size_in_bytes < small_bytes and not task.delete_files:
            groups[(task.file.spec_id, repr(task.file.partition))].append(task)
    tasks = [t for group in groups.values() if len(group) > 1 for t in group]
    if not tasks:
        return table
    from pyiceberg.expressions import AlwaysTrue

    rows = _sort(read_tasks(table, tasks), table)
    done = replace_files(
        table, [t.file for t in tasks], rows, scope=AlwaysTrue(), properties=properties
    )
    report.files_compacted, report.files_written = done.files_removed, done.files_added
    return table.refresh()


def remove_orphans(table: Table, older_than: timedelta, report: MaintenanceReport) -> None:
    """Delete files in the table's folder that no snapshot or metadata version refers to.

    Only files older than ``older_than`` go: a write in another kernel puts its files in place
    before it commits, and must not lose them. The folder is listed through the table's own
    file IO (pyarrow's local or S3 file system), so a warehouse on an object store is cleaned
    the same way.
    """
    from pyarrow import fs

    files = _listing(table, table.location())
    if files is None:
        report.notes.append("orphan files are only removed from local or S3 warehouses")
        return
    filesystem, infos = files
    meta = table.metadata
    referenced = reachable_files(table, list(meta.snapshots))
    referenced.add(table.metadata_location)
    referenced |= {entry.metadata_file for entry in meta.metadata_log}
    keep = {_fs_path(p) for p in referenced}
    cutoff = time.time() - older_than.total_seconds()
    for info in infos:
        if info.type != fs.FileType.File or info.path in keep:
            continue
        if info.base_name == "version-hint.text" or info.mtime is None:
            continue
        if info.mtime.timestamp() > cutoff:
            continue
        try:
            filesystem.delete_file(info.path)
        except FileNotFoundError:
            continue
        report.orphans_removed += 1
        report.bytes_freed += info.size or 0


def _fs_path(location: str) -> str:
    """A location as pyarrow's file systems name it (``bucket/key`` or an absolute path)."""
    local = local_path(location)
    if local is not None:
        return os.path.abspath(local)
    return location.split("://", 1)[1]


def _listing(table: Table, root: str) -> tuple[Any, list[Any]] | None:
    """The file system holding ``root`` and every file under it (``None``: not listable)."""
    from pyarrow import fs

    io = table.io
    if not hasattr(io, "fs_by_scheme"):
        return None
    scheme, netloc, _ = io.parse_location(root)
    if scheme not in ("file", "s3", "s3a", "s3n"):
        return None
    filesystem = io.fs_by_scheme(scheme, netloc)
    try:
        infos = filesystem.get_file_info(
            fs.FileSelector(_fs_path(root), recursive=True, allow_not_found=True)
        )
    except FileNotFoundError:
        return filesystem, []
    return filesystem, infos


def _delete(table: Table, path: str) -> int:
    """Delete one file through the table's file IO; its size (0 if it was already gone)."""
    local = local_path(path)
    size = 0
    if local is not None:
        try:
            size = os.path.getsize(local)
        except OSError:
            return 0
    try:
        table.io.delete(path)
    except FileNotFoundError:
        return 0
    return size

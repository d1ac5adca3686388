"""Why a pipeline run failed: the error read together with the catalog's state, into one cause.

Causes: ``transient_io`` (storage full or read-only, I/O errors, a catalog busy for too long),
``column_renamed`` (a source column has another name now — same Iceberg field id),
``table_renamed`` (a source table has another name — same table uuid), ``column_changed`` (a
source column was added, dropped or changed type), ``table_dropped``, ``bad_rows`` (the target's
quality checks refused rows), ``permission_denied`` (the owner's policy or the file system
refuses), or ``unknown``. The error alone is not trusted: a column "not found" is a rename only if
the schema history shows that field under a new name.
"""

from __future__ import annotations

import errno
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from neurolake_lab.exceptions import QualityError, QueryError
from neurolake_lab.pipelines.sources import (
    find_by_uuid,
    renamed_in_history,
    schema_changes,
    source_state,
    table_metadata,
)

if TYPE_CHECKING:
    from neurolake_lab.lakehouse import Lakehouse
    from neurolake_lab.pipelines.model import Pipeline

_MISSING_COLUMN = re.compile(  # DuckDB's binder errors, and the lakehouse's own
    r'(?:Referenced column "?(?P<a>[^"\s]+)"? not found'
    r'|does not have a column named "(?P<d>[^"]+)"'
    r'|column "?(?P<b>[^"\s]+)"? (?:does not exist|not found)'
    r"|has no column '?(?P<c>[^'\s,]+)'?)",
    re.IGNORECASE,
)
_TARGET_NO_COLUMN = re.compile(r"table (?P<t>\S+) has no column (?P<cols>.+)$", re.MULTILINE)
_TRANSIENT_TEXT = (
    "no space left", "read-only file system", "disk quota", "i/o error", "io error",
    "database is locked", "gave up after", "timed out", "temporarily unavailable",
    "connection reset", "broken pipe", "input/output error",
)  # fmt: skip
_TRANSIENT_ERRNO = {
    errno.ENOSPC, errno.EROFS, errno.EIO, errno.EAGAIN, errno.ETIMEDOUT, errno.EDQUOT,
    errno.ECONNRESET, errno.EPIPE, errno.EBUSY,
}  # fmt: skip


@dataclass
class Diagnosis:
    """The cause of one failure, in words, with the evidence that shows it."""

    cause: str
    detail: str
    evidence: dict[str, Any] = field(default_factory=dict)


def diagnose(
    exc: BaseException, pipeline: Pipeline, lake: Lakehouse, baseline: dict[str, Any]
) -> Diagnosis:
    """Read ``exc`` (raised by a run of ``pipeline``) against the catalog as it is now.

    ``baseline`` is the sources' state when the pipeline last ran well (``sources.source_state``):
    what a rename, a drop or a new column is measured against.
    """
    from neurolake_lab.compliance.policy.errors import PolicyViolation

    text = str(exc)
    if isinstance(exc, PolicyViolation):
        return Diagnosis("permission_denied", f"the policy refuses {pipeline.owner}: {exc.message}")
    if isinstance(exc, QualityError):
        return Diagnosis(
            "bad_rows", f"rows break the quality checks of {pipeline.target}",
            {"violations": dict(exc.violations)},
        )  # fmt: skip
    io = _io_cause(exc)
    if io is not None:
        return io
    lake.refresh(lake.engine.con)
    dropped = [s for s in pipeline.sources if table_metadata(lake, s) is None]
    if dropped:
        return _dropped(dropped[0], baseline, lake)
    missing = _missing_column(exc)
    if missing is not None:
        found = _renamed(missing, pipeline, lake)
        if found is not None:
            return found
    changes = schema_changes(baseline, source_state(lake, pipeline.sources))
    match = _TARGET_NO_COLUMN.search(text)
    if match:  # the sources gained a column the target does not have
        cols = re.findall(r"'([^']+)'", match.group("cols"))
        return Diagnosis(
            "column_changed", f"the SQL now gives column(s) {', '.join(cols)} that "
            f"{pipeline.target} does not have (a source column was added)",
            {"added": cols, "changes": [c.__dict__ for c in changes]},
        )  # fmt: skip
    other = [c for c in changes if c.kind in ("dropped", "type_changed", "added")]
    if isinstance(exc, QueryError) and other:
        return Diagnosis(
            "column_changed", "; ".join(c.describe() for c in other),
            {"changes": [c.__dict__ for c in other]},
        )  # fmt: skip
    return Diagnosis("unknown", text.strip().splitlines()[0] if text.strip() else repr(exc))


def _io_cause(exc: BaseException) -> Diagnosis | None:
    """Storage and catalog errors: transient (retry), or the file system's permission."""
    seen: list[BaseException] = []
    node: BaseException | None = exc
    while node is not None and node not in seen:
        seen.append(node)
        node = node.__cause__ or node.__context__
    for err in seen:
        if isinstance(err, OSError) and err.errno in (errno.EACCES, errno.EPERM):
            return Diagnosis("permission_denied", f"the file system refuses: {err}")
        if isinstance(err, OSError) and err.errno in _TRANSIENT_ERRNO:
            return Diagnosis("transient_io", f"storage error: {err}", {"errno": err.errno})
    text = " ".join(str(e) for e in seen).lower()
    if "permission denied" in text:
        return Diagnosis("permission_denied", f"the file system refuses: {_first(text)}")
    if any(isinstance(e, OSError) for e in seen) or any(t in text for t in _TRANSIENT_TEXT):
        return Diagnosis("transient_io", f"storage error: {_first(str(exc))}")
    return None


def _dropped(table: str, baseline: dict[str, Any], lake: Lakehouse) -> Diagnosis:
    recorded = baseline.get(table, {})
    uuid = recorded.get("uuid")
    renamed = find_by_uuid(lake, uuid) if uuid else None
    if renamed is not None:
        return Diagnosis(
            "table_renamed", f"source table {table} was renamed to {renamed}",
            {"table": table, "new_name": renamed, "uuid": uuid},
        )  # fmt: skip
    return Diagnosis("table_dropped", f"source table {table} no longer exists", {"table": table})


def _missing_column(exc: BaseException) -> str | None:
    match = _MISSING_COLUMN.search(str(exc))
    if match is None:
        return None
    name = match.group("a") or match.group("d") or match.group("b") or match.group("c")
    return name.split(".")[-1] if name else None


def _renamed(column: str, pipeline: Pipeline, lake: Lakehouse) -> Diagnosis | None:
    """A rename of ``column`` in a source, found by field id; lineage says which source first."""
    fed = _lineage_sources(lake, pipeline.target, column)
    order = sorted(pipeline.sources, key=lambda s: s not in fed)
    for table in order:
        new = renamed_in_history(lake, table, column)
        if new is not None:
            how = "its Iceberg field id"
            if table in fed:
                how += f" and the lineage of {pipeline.target} ({table}.{column} fed it)"
            return Diagnosis(
                "column_renamed", f"source column {table}.{column} was renamed to {new} "
                f"(found by {how})",
                {"table": table, "old": column, "new": new, "lineage": table in fed},
            )  # fmt: skip
    return None


def _lineage_sources(lake: Lakehouse, target: str, column: str) -> set[str]:
    """Source tables whose column ``column`` fed ``target``, by its last write's lineage."""
    meta = table_metadata(lake, target)
    snapshot = meta.snapshot_by_id(meta.current_snapshot_id) if meta and meta.current_snapshot_id \
        else None  # fmt: skip
    if snapshot is None or snapshot.summary is None:
        return set()
    raw = snapshot.summary.additional_properties.get("neurolake.lineage")
    if not raw:
        return set()
    found = set()
    for edge in json.loads(raw).get("edges", []):
        parts = str(edge.get("source", "")).split(".")
        if len(parts) == 3 and parts[2].lower() == column.lower():
            found.add(f"{parts[0]}.{parts[1]}")
    return found


def _first(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text

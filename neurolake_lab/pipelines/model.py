"""What a pipeline is, what one run of it did, and what went wrong (plain data, JSON-ready).

A pipeline is a named SELECT that writes an Iceberg table with a mode (``append``, ``overwrite``,
or ``merge`` on a key), quality checks for that table, and an optional schedule. It belongs to
the user who created it and always runs as that user. Its SQL is versioned: a repair by the
Monitor makes a new version and keeps the old one.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from neurolake_lab.exceptions import UsageError

MODES = ("append", "overwrite", "merge")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]{0,62}$")

#: Run statuses: ``healed`` succeeded after the Monitor fixed something; ``interrupted`` died
#: mid-run (killed); ``skipped`` found another scheduler running it.
RUN_STATUSES = ("running", "succeeded", "healed", "failed", "interrupted", "skipped")


def check_name(name: str) -> str:
    """A pipeline name: letters, digits, ``_`` and ``-``, starting with a letter or ``_``."""
    if not _NAME.match(name or ""):
        raise UsageError(
            f"pipeline name {name!r} is not valid: use letters, digits, _ and - "
            "(starting with a letter), up to 63 characters"
        )
    return name


def now() -> float:
    """Seconds since the epoch (every time in the store is one of these, UTC)."""
    return time.time()


def iso(moment: float | None) -> str | None:
    """An epoch time as ISO-8601 UTC (for people and JSON)."""
    if moment is None:
        return None
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds")


@dataclass
class Pipeline:
    """One pipeline's definition and state.

    Attributes:
        name: Unique in the workspace.
        sql: The SELECT whose rows are written (the current version).
        target: The Iceberg table written, ``namespace.table``.
        mode: ``append``, ``overwrite`` or ``merge``.
        key: The merge key's columns (``merge`` only).
        schedule: When it runs (see ``schedule.Schedule``), or ``None``: only when asked.
        checks: Quality rules for the target (``Session.set_quality`` arguments).
        owner: Whose identity it runs as.
        status: ``active`` or ``paused``.
        sources: The Iceberg tables its SQL reads (``ns.t``), for lineage and the designer.
        question: The plain-language question it was built from, if any.
        version: The SQL's version (1, then +1 per change or repair).
        paused_reason: Why it is paused (an alert the Monitor raised, or a person).
        no_pii: ``"mask"`` or ``"drop"``: personal data the SQL reads is masked (or left out)
            in what it writes, for everyone (a compliance remediation), as ``%%sql --no-pii``.
    """

    name: str
    sql: str
    target: str
    mode: str = "append"
    key: list[str] = field(default_factory=list)
    schedule: str | None = None
    checks: dict[str, Any] = field(default_factory=dict)
    owner: str = ""
    status: str = "active"
    sources: list[str] = field(default_factory=list)
    question: str | None = None
    version: int = 1
    paused_reason: str | None = None
    no_pii: str | None = None
    created_at: float = field(default_factory=now)
    updated_at: float = field(default_factory=now)

    def __post_init__(self) -> None:
        check_name(self.name)
        if self.mode not in MODES:
            raise UsageError(f"mode must be append, overwrite or merge, not {self.mode!r}")
        if self.mode == "merge" and not self.key:
            raise UsageError("a merge pipeline needs a key: --key id (or key=['id'])")
        if self.no_pii not in (None, "mask", "drop"):
            raise UsageError(f"no_pii must be 'mask' or 'drop', not {self.no_pii!r}")
        if self.mode != "merge" and self.key:
            raise UsageError(f"--key only applies to merge pipelines, not {self.mode}")
        parts = self.target.split(".")
        if len(parts) != 2 or not all(p.strip() for p in parts):
            raise UsageError(
                f"a pipeline writes an Iceberg table named namespace.table, not {self.target!r}"
            )

    @property
    def active(self) -> bool:
        """Whether the scheduler runs it."""
        return self.status == "active"

    def to_json(self) -> dict[str, Any]:
        """The stored form (also what the REST API returns)."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Pipeline:
        """The definition as stored."""
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class Action:
    """Something the Monitor did about an incident.

    ``kind``: ``retry``, ``repair_sql``, ``quarantine``, ``pause``, ``recover`` (a killed run
    whose commit is found), ``none``. ``ok`` says whether it worked.
    """

    kind: str
    detail: str
    ok: bool = True
    old_sql: str | None = None
    new_sql: str | None = None
    at: float = field(default_factory=now)


@dataclass
class Incident:
    """A problem the Monitor found: what was checked, the diagnosed cause, what was done.

    ``check``: ``failure``, ``freshness``, ``row_count``, ``schema_drift``, ``quality`` or
    ``interrupted``. ``cause`` (failures): ``transient_io``, ``column_renamed``,
    ``column_changed`` (added or type changed), ``table_dropped``, ``bad_rows``,
    ``permission_denied``, ``killed``, ``unknown``. ``status``: ``open``, ``fixed`` or
    ``alerted`` (the Monitor could not fix it and paused the pipeline, or only warns).
    """

    id: str
    pipeline: str
    check: str
    detail: str
    cause: str | None = None
    run_id: str | None = None
    status: str = "open"
    actions: list[Action] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=now)

    def to_json(self) -> dict[str, Any]:
        """The stored form."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Incident:
        """An incident as stored."""
        actions = [Action(**a) for a in data.get("actions", [])]
        return cls(**{**data, "actions": actions})


@dataclass
class Run:
    """One run of a pipeline.

    Attributes:
        id: Unique id (also in the target snapshot's summary, so a killed run can be recognised).
        pipeline: The pipeline's name.
        trigger: ``manual``, ``schedule``, ``cell``, ``dry_run`` or ``monitor``.
        status: One of :data:`RUN_STATUSES`.
        rows_written: Rows inserted (and updated, for a merge).
        snapshot_id: The target's snapshot after the run (the one before, if nothing committed).
        before_snapshot: The target's snapshot when the run started.
        sql_version: The version of the SQL that ran last.
        error: The last error, one line.
        incidents: Ids of the incidents this run raised.
        sources: Source table → {snapshot_id, columns: {field id: [name, type]}} as read.
        audit_id: The audit record of the write.
    """

    id: str
    pipeline: str
    trigger: str
    status: str = "running"
    started_at: float = field(default_factory=now)
    ended_at: float | None = None
    rows_written: int | None = None
    rows_quarantined: int = 0
    snapshot_id: int | None = None
    before_snapshot: int | None = None
    sql_version: int = 1
    error: str | None = None
    incidents: list[str] = field(default_factory=list)
    sources: dict[str, Any] = field(default_factory=dict)
    audit_id: str | None = None
    holder: str | None = None
    #: the schedule's slot this run was for (a late scheduler runs once, for the latest slot)
    scheduled_for: float | None = None

    @property
    def ok(self) -> bool:
        """Whether it wrote what it should have."""
        return self.status in ("succeeded", "healed")

    def to_json(self) -> dict[str, Any]:
        """The stored form."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Run:
        """A run as stored."""
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})

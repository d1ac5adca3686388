"""``AuditRecorder``: what one session appends to the workspace's audit log, redacted.

Every record carries who acted; SQL text goes in without its literals (``redact.py``: the one
redaction for every place SQL is stored), and reads name the snapshot of each table they read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from neurolake_lab.compliance.audit import AuditStore
    from neurolake_lab.compliance.pii.tags import PiiTag
    from neurolake_lab.lakehouse import Lakehouse
    from neurolake_lab.lakehouse.statements import TableId


class AuditRecorder:
    """Appends one session's audit records (the log and the lakehouse are opened on first use).

    Args:
        audit: The workspace's audit log (a callable, so that it opens only when first needed).
        lakehouse: The session's lakehouse (a callable, for the same reason).
        user: Who the session acts as.
    """

    def __init__(
        self, audit: Callable[[], AuditStore], lakehouse: Callable[[], Lakehouse], user: str
    ) -> None:
        self._audit = audit
        self._lakehouse = lakehouse
        self.user = user

    def record(self, kind: str, sql: str | None = None, **data: Any) -> str:
        """Append one audit record (the SQL with personal data redacted); returns its id."""
        if sql is not None:
            data["sql"] = self.redacted(sql)
        if data.get("executed_sql"):
            data["executed_sql"] = self.redacted(data["executed_sql"])
        if isinstance(data.get("error"), str):
            from neurolake_lab.compliance.redact import redact_message

            data["error"] = redact_message(data["error"])
        data = {k: v for k, v in data.items() if v is not None}
        return self._audit().append(kind, user=self.user, **data)

    def redacted(self, sql: str) -> str:
        """``sql`` without its literals (``compliance/redact.py``: any of them may be PII)."""
        from neurolake_lab.compliance.redact import redact

        return redact(sql)

    def tables_read(self, sql: str) -> dict[str, int | None]:
        """The Iceberg tables ``sql`` names, with the snapshot each is read at (for the audit)."""
        lake = self._lakehouse()
        return {f"{t[0]}.{t[1]}": lake.current_snapshot_id(t) for t in lake.access.tables_in(sql)}

    def stored_tags(self, tid: TableId) -> dict[str, PiiTag]:
        """The PII tags stored on a table (none when the table is unknown or was dropped)."""
        return stored_tags(self._lakehouse(), tid)


def stored_tags(lake: Lakehouse, tid: TableId) -> dict[str, PiiTag]:
    """The PII tags of a table's columns now (none when the table is unknown or was dropped)."""
    from neurolake_lab.compliance.tagging import read_tags
    from neurolake_lab.lakehouse.lakehouse import read_properties
    from neurolake_lab.lakehouse.schemas import field_ids

    location = lake.pointers.get(tid)
    if location is None:
        return {}
    try:
        return read_tags(read_properties(location), field_ids(location))
    except OSError:  # dropped by another kernel since this session last looked
        return {}

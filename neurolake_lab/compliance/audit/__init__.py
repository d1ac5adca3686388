"""The tamper-evident audit log: append-only, hash-chained, authenticated records of every action.

``AuditLog(workspace).append("query", user=..., sql=..., rows=...)`` records one event;
``verify()`` checks the whole log, its head in ``catalog.db`` and every record's MAC. Standard
library only, so opening a session that audits costs no heavy import.
"""

from __future__ import annotations

from pathlib import Path

from neurolake_lab.compliance.audit.log import AuditLog
from neurolake_lab.compliance.audit.record import KINDS, AuditRecord, json_safe
from neurolake_lab.compliance.audit.sql_log import SqlAuditLog
from neurolake_lab.compliance.audit.verify import VerifyResult

#: Either audit log: the workspace's file, or the shared PostgreSQL database's tables.
AuditStore = AuditLog | SqlAuditLog

__all__ = [
    "KINDS",
    "AuditLog",
    "AuditRecord",
    "AuditStore",
    "SqlAuditLog",
    "VerifyResult",
    "json_safe",
    "open_audit_log",
]


def open_audit_log(workspace: Path, catalog_uri: str | None) -> AuditStore:
    """The audit log of a session: PostgreSQL's when the catalog is there, else the file log.

    With a PostgreSQL catalog every user's kernel writes one chain in the catalog's database.
    """
    if catalog_uri and catalog_uri.startswith("postgresql"):
        return SqlAuditLog(catalog_uri)
    return AuditLog(workspace)

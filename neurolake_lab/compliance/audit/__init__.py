"""The tamper-evident audit log: append-only, hash-chained, authenticated records of every action.

``AuditLog(workspace).append("query", user=..., sql=..., rows=...)`` records one event;
``verify()`` checks the whole log, its head in ``catalog.db`` and every record's MAC. Standard
library only, so opening a session that audits costs no heavy import.
"""

from __future__ import annotations

from neurolake_lab.compliance.audit.log import AuditLog
from neurolake_lab.compliance.audit.record import KINDS, AuditRecord, json_safe
from neurolake_lab.compliance.audit.verify import VerifyResult

__all__ = ["KINDS", "AuditLog", "AuditRecord", "VerifyResult", "json_safe"]

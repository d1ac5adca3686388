"""Compliance: PII detection, policies enforced by rewriting SQL, and the tamper-evident audit log.

Nothing here knows about notebooks; the cell pipeline calls in (docs/architecture.md).
"""

"""Governance: PII detection, policy enforcement by SQL rewriting, the tamper-evident audit log."""

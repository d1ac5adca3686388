"""Governance built in: PII detection, policies, masking and the audit log."""

<<<<<<< HEAD
"""Governance: PII detection, policy enforcement by SQL rewriting, the tamper-evident audit log."""
=======
"""Governance built in: PII detection, policies, masking and the audit log."""
>>>>>>> pii

"""Policies enforced by rewriting SQL: masks, row filters, denied columns, and the ways around.

The workspace's ``policies.yaml`` (JSON Schema: ``neurolake_lab/schema/policies.schema.json``)
says who sees which columns and rows. ``PolicyStore(workspace, owner=...).current()`` gives the
policy in force (the built-in default without a file; *fail-closed* while the file is invalid).
``enforce(sql_or_tree, schema=..., tags=..., user=..., policy=...)`` returns an ``Enforcement``:
the SQL to run and every decision for the cell report and the audit log. The connection needs
``register_masking_functions(con, workspace_salt(workspace))`` (and, for the user's own queries,
``register_user_functions``). ``carry_tags`` says which PII tags a CTAS/INSERT target must get.
"""

from neurolake_lab.compliance.policy.carry import CarriedTag, carry_tags
from neurolake_lab.compliance.policy.enforce import NoPii, Tags, clear_cache, enforce
from neurolake_lab.compliance.policy.enforcement import Enforcement
from neurolake_lab.compliance.policy.errors import PolicyError, PolicyFileError, PolicyViolation
from neurolake_lab.compliance.policy.guard import (
    CATALOG_FUNCTIONS,
    FILE_FUNCTIONS,
    WEAKENING_SETTINGS,
    Refusal,
)
from neurolake_lab.compliance.policy.loader import (
    POLICY_FILE,
    default_policy,
    fail_closed_policy,
    load_policy,
    parse_policy,
    policy_path,
    policy_schema,
)
from neurolake_lab.compliance.policy.masking import (
    DENIAL_PATTERN,
    MASK_FUNCTIONS,
    register_masking_functions,
    workspace_salt,
)
from neurolake_lab.compliance.policy.model import Grant, Identity, Policy, RowFilter, Rule
from neurolake_lab.compliance.policy.store import PolicyChange, PolicyStore
from neurolake_lab.compliance.policy.user_functions import register_user_functions

__all__ = [
    "CATALOG_FUNCTIONS",
    "DENIAL_PATTERN",
    "FILE_FUNCTIONS",
    "MASK_FUNCTIONS",
    "POLICY_FILE",
    "WEAKENING_SETTINGS",
    "CarriedTag",
    "Enforcement",
    "Grant",
    "Identity",
    "NoPii",
    "Policy",
    "PolicyChange",
    "PolicyError",
    "PolicyFileError",
    "PolicyStore",
    "PolicyViolation",
    "Refusal",
    "RowFilter",
    "Rule",
    "Tags",
    "carry_tags",
    "clear_cache",
    "default_policy",
    "enforce",
    "fail_closed_policy",
    "load_policy",
    "parse_policy",
    "policy_path",
    "policy_schema",
    "register_masking_functions",
    "register_user_functions",
    "workspace_salt",
]

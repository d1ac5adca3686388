"""The policy part of ``Session``: every statement governed before it runs.

``govern`` applies the workspace's ``policies.yaml`` to one statement (masks, row filters, denied
columns, refused ways around the catalog) and returns what to run with every decision. Every path
runs statements through ``Session._run`` — ``%%sql``, ``%%nl``, the Session API and the server —
so none of them skips it. Policy changes are audited the first time a statement sees them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from neurolake_lab.session_core import SessionCore

if TYPE_CHECKING:
    from neurolake_lab.compliance.policy import Enforcement, NoPii, Policy, PolicyStore

#: Iceberg type → DuckDB type name, for the schema the policy rewrites against.
_DUCKDB_TYPES = {
    "boolean": "BOOLEAN", "int": "INTEGER", "long": "BIGINT", "float": "FLOAT",
    "double": "DOUBLE", "date": "DATE", "time": "TIME", "timestamp": "TIMESTAMP",
    "timestamptz": "TIMESTAMP WITH TIME ZONE", "string": "VARCHAR", "uuid": "UUID",
    "binary": "BLOB",
}  # fmt: skip


class PolicyAPI(SessionCore):
    """``Session.policies``, ``Session.govern``."""

    if TYPE_CHECKING:  # provided by Session
        _policies: PolicyStore | None
        _governed: tuple[object, dict[str, dict[str, str]], dict[str, dict[str, Any]]] | None
        _policy_version: str | None

    @property
    def policies(self) -> PolicyStore:
        """The workspace's policy store (``policies.yaml``, re-read when it changes)."""
        if self._policies is None:
            from neurolake_lab.compliance.policy import PolicyStore
            from neurolake_lab.lakehouse.naming import local_path

            # only the catalog reads the workspace and the warehouse (which may be elsewhere,
            # on another disk or an object store)
            protected = [str(self.settings.workspace)]
            warehouse = self.lakehouse.config.warehouse
            if warehouse and (warehouse.startswith("file:") or "://" in warehouse):
                protected.append(local_path(warehouse) or warehouse)
            owner = self.settings.owner or None  # none under a Hub that names no owner
            uri = self.lakehouse.config.uri
            if uri.startswith("postgresql"):  # the shared deployment: one policy for all users
                from neurolake_lab.compliance.policy.sql_store import SqlPolicyStore

                self._policies = SqlPolicyStore(
                    uri, self.settings.workspace, owner=owner, protected_paths=protected
                )
            else:
                self._policies = PolicyStore(
                    self.settings.workspace, owner=owner, protected_paths=protected
                )
        return self._policies

    def publish_policy(self, text: str) -> int:
        """Make ``text`` the shared policy in force (PostgreSQL catalog; the owner only).

        Returns the new version's id; the change is audited like any policy change.
        """
        from neurolake_lab.compliance.policy.sql_store import SqlPolicyStore, publish_policy
        from neurolake_lab.exceptions import UsageError

        store = self.policies
        if not isinstance(store, SqlPolicyStore):
            raise UsageError(
                "policies are published to a PostgreSQL catalog; this workspace's policy is its "
                "policies.yaml file",
            )
        if not self.settings.owner or self.user != self.settings.owner:
            raise UsageError(f"only the owner may publish policies; {self.user} is not the owner")
        version = publish_policy(store.engine, text, author=self.user)
        store.published()
        return version

    def policy(self) -> Policy:
        """The policy in force now; a change since the last statement is audited here."""
        from neurolake_lab.compliance.policy import register_user_functions

        policy = self.policies.current()
        if policy.version != self._policy_version:
            self._policy_version = policy.version
            register_user_functions(self.engine.con, policy, self.user)
            self.lakehouse.invalidate_views()
        for change in self.policies.take_changes():
            self.record(
                "policy_change", old_version=change.old_version, new_version=change.new_version,
                source=change.source, error=change.error,
            )  # fmt: skip
        return policy

    def govern(
        self, sql: str, statement_type: str, no_pii: NoPii = None, *, audit: bool = True
    ) -> Enforcement | None:
        """The policy applied to one statement (``None``: nothing to govern, run it as it is).

        A statement that names no lakehouse table needs no rewrite; it is still checked for ways
        around the catalog when the user is not exempt from those checks (not the owner).
        A blocked statement is audited here and raises ``PolicyViolation``.
        """
        from neurolake_lab.compliance.policy import enforce

        policy = self.policy()
        lake = self.lakehouse
        names = lake.access.tables_in(sql)
        exempt = policy.identity(self.user).exempt
        if not names and exempt and no_pii is None and policy.error is None:
            return None
        schema, tags = self._governance_inputs()
        result = enforce(
            sql, schema=schema, tags=tags, user=self.user, policy=policy,
            statement_type=statement_type, no_pii=no_pii,
            cwd=str(self.settings.workspace),
        )  # fmt: skip
        if result.blocked:
            if not audit:  # a preview (preflight) is not an attempt
                result.raise_if_blocked()
            kind = "refusal" if result.refusals else "policy_decision"
            self.record(kind, sql, statement_type=statement_type, **_audit_decisions(result))
            result.raise_if_blocked()
        return result

    def _governance_inputs(
        self,
    ) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, Any]]]:
        """Schema and PII tags of every Iceberg table, rebuilt when the catalog changes."""
        from neurolake_lab.compliance.tagging import read_tags
        from neurolake_lab.lakehouse.lakehouse import iceberg_columns, read_properties

        lake = self.lakehouse
        state = tuple(sorted(lake.pointers.items()))
        if self._governed is not None and self._governed[0] == state:
            return self._governed[1], self._governed[2]
        schema: dict[str, dict[str, str]] = {}
        tags: dict[str, dict[str, Any]] = {}
        for (ns, name), location in lake.pointers.items():
            key = f"{ns}.{name}"
            try:
                columns = iceberg_columns(location)
                stored = read_tags(read_properties(location))
            except OSError:  # dropped meanwhile
                continue
            schema[key] = {c: duckdb_type(t) for c, t in columns.items()}
            if stored:
                tags[key] = dict(stored.items())
        self._governed = (state, schema, tags)
        return schema, tags

    def install_policy(self) -> None:
        """Register the masking functions in this session's DuckDB (hidden salt per workspace)."""
        from neurolake_lab.compliance.policy import register_masking_functions, workspace_salt

        register_masking_functions(self.engine.con, workspace_salt(self.settings.workspace))


def duckdb_type(iceberg: str) -> str:
    """The DuckDB type name for an Iceberg type name (``decimal(10, 2)`` → ``DECIMAL(10,2)``)."""
    if iceberg.startswith("decimal"):
        return iceberg.upper().replace(" ", "")
    if iceberg.startswith("fixed"):
        return "BLOB"
    return _DUCKDB_TYPES.get(iceberg, iceberg.upper())


def _audit_decisions(result: Enforcement) -> dict[str, Any]:
    """The decisions for the audit log, without the rewritten SQL (the record has the SQL)."""
    data = result.to_audit()
    data.pop("executed_sql", None)
    return data

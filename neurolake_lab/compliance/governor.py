"""``Governor``: the workspace's policies applied to one session's statements.

``govern`` applies ``policies.yaml`` to one statement (masks, row filters, denied columns, refused
ways around the catalog) and returns what to run with every decision; the cell pipeline calls it
for every statement on every path (``%%sql``, ``%%nl``, the Session API, the server), so none of
them skips it. Policy changes are audited the first time a statement sees them. The governor also
installs what enforcement needs in the session's DuckDB (masking functions keyed per column from
the workspace's secret, the current user's functions, decryption for users the policy lets read
in clear).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from neurolake_lab.lakehouse.schemas import duckdb_type
from neurolake_lab.lakehouse.time_travel import has_time_travel

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from neurolake_lab.compliance.policy import Enforcement, NoPii, Policy, PolicyStore
    from neurolake_lab.compliance.recorder import AuditRecorder
    from neurolake_lab.compliance.tagging import PiiTagger
    from neurolake_lab.engine import DuckDBEngine
    from neurolake_lab.lakehouse import Lakehouse
    from neurolake_lab.lakehouse.statements import TableId


Schema = dict[str, dict[str, str]]
Tags = dict[str, dict[str, Any]]
#: DuckDB statement types that define, change or drop objects (checked for the owner too).
_DEFINITIONS = frozenset({"CREATE", "CREATE_FUNC", "DROP", "ALTER"})


#: Who reads a saved notebook, as the policy sees them: a user it does not list (default roles).
NOTEBOOK_READER = "\x00notebook reader"


class Governor:
    """Governs one session's statements with the workspace's policies.

    Args:
        workspace: The workspace folder (the policies' file paths are checked against it).
        engine: The session's DuckDB engine.
        lakehouse: The session's lakehouse.
        policies: The workspace's policy store.
        recorder: Where decisions and policy changes are audited.
    """

    def __init__(
        self,
        workspace: Path,
        engine: DuckDBEngine,
        lakehouse: Lakehouse,
        policies: PolicyStore,
        recorder: AuditRecorder,
    ) -> None:
        self.workspace = workspace
        self.engine = engine
        self.lakehouse = lakehouse
        self.policies = policies
        self.recorder = recorder
        self._policy_version: str | None = None
        self._inputs: tuple[object, Schema, Tags] | None = None

    @property
    def user(self) -> str:
        """Who the governed session acts as."""
        return self.recorder.user

    def install(self, tagger: PiiTagger) -> None:
        """Register the compliance write hooks, view rules and masking functions.

        Order matters: PII is classified on clear values, then marked columns are encrypted.
        """
        from neurolake_lab.compliance.encryption import FieldEncryptor, decrypting_view_columns
        from neurolake_lab.compliance.policy import register_masking_functions, workspace_salt

        lake = self.lakehouse
        encryptor = FieldEncryptor(self.workspace)
        lake.write_hooks.append(tagger.hook)
        lake.write_hooks.append(encryptor.hook)
        encryptor.register(self.engine.con)
        lake.view_columns = lambda tid, props: decrypting_view_columns(
            tid, props, lambda column: self.may_decrypt(tid, column)
        )
        register_masking_functions(self.engine.con, workspace_salt(self.workspace))

    def policy(self) -> Policy:
        """The policy in force now; a change since the last statement is audited here."""
        from neurolake_lab.compliance.policy import register_user_functions

        policy = self.policies.current()
        if policy.version != self._policy_version:
            self._policy_version = policy.version
            register_user_functions(self.engine.con, policy, self.user)
            self.lakehouse.invalidate_views()
        for change in self.policies.take_changes():
            self.recorder.record(
                "policy_change", old_version=change.old_version, new_version=change.new_version,
                source=change.source, error=change.error,
            )  # fmt: skip
        return policy

    def govern(
        self,
        sql: str,
        statement_type: str,
        no_pii: NoPii = None,
        *,
        audit: bool = True,
        parameter: Callable[[str], Any] | None = None,
    ) -> Enforcement | None:
        """The policy applied to one statement (``None``: nothing to govern, run it as it is).

        A statement that names no lakehouse table needs no rewrite; it is still checked for ways
        around the catalog when the user is not exempt from those checks (not the owner), and
        definitions (CREATE, DROP, ALTER) are checked for everyone: a macro named like a
        built-in would change what the masks compute. Relative file paths are judged from the
        process's working folder, where DuckDB resolves them.
        A blocked statement is audited here (unless ``audit=False``: a preview is not an
        attempt) and raises ``PolicyViolation``. ``parameter`` gives the value of a ``$name``
        (a time travel's version is read with the schema and tags of the snapshot it names).
        """
        from neurolake_lab.compliance.policy import enforce

        policy = self.policy()
        names = self.lakehouse.access.tables_in(sql)
        exempt = policy.identity(self.user).exempt
        defines = statement_type.upper() in _DEFINITIONS
        if not names and exempt and no_pii is None and policy.error is None and not defines:
            return None
        schema, tags = self.inputs()
        if has_time_travel(sql):  # old snapshots are read with their own columns and tags
            from neurolake_lab.compliance.versions import at_versions

            schema, tags = at_versions(sql, self.lakehouse, schema, tags, parameter)
        result = enforce(
            sql, schema=schema, tags=tags, user=self.user, policy=policy,
            statement_type=statement_type, no_pii=no_pii,
            local_names=self.lakehouse.shadowed,
        )  # fmt: skip
        if result.blocked:
            if audit:
                kind = "refusal" if result.refusals else "policy_decision"
                self.recorder.record(
                    kind, sql, statement_type=statement_type, **_audit_decisions(result)
                )
            result.raise_if_blocked()
        return result

    def hidden(self, sql: str) -> list[str]:
        """What ``sql`` (one query) would read that this user may not see in clear.

        Masked and denied columns (``ns.t.col``), tables whose rows are filtered for the user
        (``rows of ns.t``), and refused constructs: a predicate the user supplies that runs on
        clear values (a quality check, an erase condition) must read none of them, or it is an
        oracle on what the policy hides. Nothing is audited (this is a question, not a query).
        """
        from neurolake_lab.compliance.policy import PolicyViolation
        from neurolake_lab.exceptions import QueryError

        try:
            result = self.govern(sql, "SELECT", audit=False)
        except PolicyViolation as err:
            result = err.enforcement
        except QueryError as err:  # the policy cannot read it, so cannot clear it
            return [f"a statement it cannot check ({err.message})"]
        if result is None:
            return []
        hidden = [m["column"] for m in result.masked] + [d["column"] for d in result.denied]
        hidden += [f"rows of {f['table']}" for f in result.row_filters]
        hidden += [r.message for r in result.refusals]
        return list(dict.fromkeys(hidden))

    def hidden_columns(self, table: TableId) -> frozenset[str]:
        """The columns of ``table`` (lower case) masked or denied for this user."""
        from neurolake_lab.lakehouse.naming import qualified

        prefix = f"{table[0]}.{table[1]}.".lower()
        hidden = self.hidden(f"SELECT * FROM {qualified(table)}")
        return frozenset(h[len(prefix) :].lower() for h in hidden if h.lower().startswith(prefix))

    @property
    def policy_version(self) -> str:
        """The version of the policy in force."""
        return self.policies.current().version

    def shared_columns(self, table_id: str, columns: Sequence[str]) -> set[str]:
        """The ``columns`` of ``table_id`` every user sees whole: what a shared index may sample.

        None of a table a row filter restricts for anyone; no column a rule masks or denies for
        anyone, nor a PII-tagged one; nothing while the policy file is invalid.
        """
        from neurolake_lab.compliance.policy.model import TagInfo

        policy = self.policies.current()
        table = table_id.lower()
        if policy.error is not None or any(f.covers(table) for f in policy.row_filters):
            return set()
        _, tags = self.inputs()
        stored = tags.get(table_id, {})
        out = set()
        for column in columns:
            tag = TagInfo.of(stored.get(column))
            if tag is not None and tag.is_pii:
                continue
            if any(r.action != "allow" and r.selects(table, column, tag) for r in policy.rules):
                continue
            out.add(column)
        return out

    def withheld_for_readers(self, enforcement: Enforcement | None, sql: str) -> list[str]:
        """Stored PII columns shown to this user in clear that a notebook's reader would not see.

        A notebook is read by people the policy does not list (``defaults.roles``); a column
        this user sees in clear but such a reader would get masked or denied must not stay in
        clear in the saved outputs. Returns ``ns.table.column`` names (empty: nothing to hide).
        """
        from neurolake_lab.compliance.policy import enforce

        if enforcement is None or not enforcement.pii_columns:
            return []
        masked = {m["column"] for m in enforcement.masked}
        clear = {c["column"] for c in enforcement.pii_columns} - masked
        if not clear:
            return []
        policy = self.policy()
        schema, tags = self.inputs()
        reader = enforce(
            sql, schema=schema, tags=tags, user=NOTEBOOK_READER, policy=policy,
            statement_type="SELECT", cwd=str(self.workspace),
        )  # fmt: skip
        hidden = {m["column"] for m in reader.masked} | {d["column"] for d in reader.denied}
        return sorted(clear & hidden)

    def inputs(self) -> tuple[Schema, Tags]:
        """Schema and PII tags of every Iceberg table, rebuilt when the catalog changes."""
        from neurolake_lab.compliance.tagging import read_tags
        from neurolake_lab.lakehouse.lakehouse import read_properties
        from neurolake_lab.lakehouse.schemas import schema_fields

        lake = self.lakehouse
        state = tuple(sorted(lake.pointers.items()))
        if self._inputs is not None and self._inputs[0] == state:
            return self._inputs[1], self._inputs[2]
        schema: Schema = {}
        tags: Tags = {}
        for (ns, name), location in lake.pointers.items():
            key = f"{ns}.{name}"
            try:
                fields = schema_fields(location)
                stored = read_tags(read_properties(location), {f.name: f.field_id for f in fields})
            except OSError:  # dropped meanwhile
                continue
            schema[key] = {f.name: duckdb_type(f.type) for f in fields}
            if stored:
                tags[key] = dict(stored.items())
        self._inputs = (state, schema, tags)
        return schema, tags

    def may_decrypt(self, tid: TableId, column: str) -> bool:
        """Whether the session's user sees an encrypted column in clear.

        The policies decide: the column decrypts for a user who may read it unmasked (the
        owner, by default); for anyone it is masked or denied for, it stays ciphertext.
        """
        from neurolake_lab.compliance.policy import enforce

        policy = self.policies.current()
        if policy.error is not None:  # an invalid policy file: fail closed
            return False
        schema, tags = self.inputs()
        quoted = '"' + column.replace('"', '""') + '"'
        sql = f'SELECT {quoted} FROM "{tid[0]}"."{tid[1]}"'
        try:
            result = enforce(sql, schema=schema, tags=tags, user=self.user, policy=policy)
        except Exception:  # anything unexpected: stay encrypted
            return False
        hidden = {m["column"] for m in result.masked} | {d["column"] for d in result.denied}
        return not result.blocked and f"{tid[0]}.{tid[1]}.{column}" not in hidden

    def carried_tags(self, sql: str, target: TableId) -> dict[str, dict[str, Any]]:
        """The PII tags a CTAS/INSERT's target columns get from the columns they copy."""
        from neurolake_lab.compliance.policy import carry_tags
        from neurolake_lab.compliance.policy.errors import PolicyError
        from neurolake_lab.exceptions import QueryError

        schema, tags = self.inputs()
        if not tags:
            return {}
        try:
            if sql.lstrip()[:5].upper() == "MERGE":  # the source's columns, matched by name
                from neurolake_lab.lakehouse.merge import parse_source_query

                sql = parse_source_query(sql)
            carried = carry_tags(sql, schema=schema, tags=tags)
        except (PolicyError, ValueError, QueryError):
            return {}
        return {column: dict(c.tag) for column, c in carried.items()}


def decisions(enforcement: Enforcement | None) -> dict[str, Any]:
    """The policy decisions an audit record of a statement carries (none without a policy)."""
    if enforcement is None or not (
        enforcement.rewritten or enforcement.pii_columns or enforcement.warnings
    ):
        return {}
    report = enforcement.to_report()
    return {"policy_version": enforcement.policy_version, **report}


def _audit_decisions(result: Enforcement) -> dict[str, Any]:
    """The decisions for the audit log, without the rewritten SQL (the record has the SQL)."""
    data = result.to_audit()
    data.pop("executed_sql", None)
    return data

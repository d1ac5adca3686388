"""``Authorizer``: who may change what — the one place every change is checked.

The policy's masks and row filters say what a user *sees*; this says what a user may *change*:
write a table's rows, alter or drop it, run its upkeep, change its PII tags or quality rules,
erase rows for good, roll it back, or publish a policy. The workspace owner may do everything,
the user who created a table may write, alter, drop and maintain it, and everyone else needs a
grant in the policy (``grants:`` in ``policies.yaml``). The cell pipeline's ``authorize`` stage
asks it for every SQL write (so ``%%sql``, ``%%nl``, pipelines and the server are covered alike)
and the Session's table and PII methods ask it before they act. A refusal is audited and raised
as one ``NotAuthorized`` that names the user, the operation, the table and the privilege it needs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from neurolake_lab.compliance.policy.errors import PolicyError
from neurolake_lab.compliance.policy.model import CREATOR_PRIVILEGES
from neurolake_lab.lakehouse.tables import OWNER_PROPERTY

if TYPE_CHECKING:
    from neurolake_lab.compliance.governor import Governor
    from neurolake_lab.compliance.policy import PolicyStore
    from neurolake_lab.compliance.recorder import AuditRecorder
    from neurolake_lab.lakehouse import Lakehouse
    from neurolake_lab.lakehouse.statements import LakeStatement, TableId

#: What each privilege lets a user do, for messages (``{table}`` is filled in).
_VERBS: Final = {
    "write": "write to {table}",
    "alter": "alter {table}",
    "drop": "drop {table}",
    "maintain": "run maintenance on {table}",
    "tag": "change the PII tags of {table}",
    "quality": "change the quality rules of {table}",
    "erase": "erase rows of {table}",
    "rollback": "roll back {table}",
    "policy": "publish a policy",
}

#: Table properties whose change needs more than ``alter`` (prefix → privilege).
_PROPERTY_PRIVILEGES: Final = (
    ("neurolake.pii", "tag"),
    ("neurolake.encrypt", "tag"),
    ("write.metadata.metrics.", "tag"),  # keeps PII values out of Iceberg's manifests
    ("neurolake.quality", "quality"),
    (OWNER_PROPERTY, "policy"),
)


class NotAuthorized(PolicyError):
    """The user may not do this: the message names the operation and the privilege it needs.

    Attributes:
        user: Who asked.
        privilege: The privilege the operation needs.
        table: The table it is about (``ns.t``; ``None`` for the workspace as a whole).
    """

    title = "Not authorized"

    def __init__(
        self, message: str, *, user: str, privilege: str, table: str | None, hint: str
    ) -> None:
        super().__init__(message, hint=hint)
        self.user = user
        self.privilege = privilege
        self.table = table


@dataclass(frozen=True)
class Need:
    """One privilege an operation needs, on one table (``None``: on the workspace)."""

    privilege: str
    table: TableId | None
    operation: str


class Authorizer:
    """Decides and enforces who may change what, for one session's user.

    Args:
        policies: The workspace's policy store (grants live in the policy).
        recorder: Where refusals are audited.
        lakehouse: The session's lakehouse (a callable: opened on first use), which knows who
            created each table.
        governor: The session's governor (a callable), which knows what the user may see.
    """

    def __init__(
        self,
        policies: PolicyStore,
        recorder: AuditRecorder,
        lakehouse: Callable[[], Lakehouse],
        governor: Callable[[], Governor],
    ) -> None:
        self.policies = policies
        self.recorder = recorder
        self._lakehouse = lakehouse
        self._governor = governor

    @property
    def user(self) -> str:
        """Who the session acts as."""
        return self.recorder.user

    def allowed(self, privilege: str, table: TableId | None) -> bool:
        """Whether the session's user has ``privilege`` on ``table`` (``None``: the workspace)."""
        policy = self.policies.current()
        who = policy.identity(self.user)
        if who.is_owner:
            return True
        name = f"{table[0]}.{table[1]}".lower() if table is not None else None
        if (
            table is not None
            and privilege in CREATOR_PRIVILEGES
            and self.creator(table) == who.name
        ):
            return True
        return any(g.gives(who, privilege, name) for g in policy.grants)

    def creator(self, table: TableId) -> str | None:
        """Who created ``table`` (``None``: unknown, or the table does not exist)."""
        from neurolake_lab.lakehouse.lakehouse import read_properties

        location = self._lakehouse().pointers.get(table)
        if location is None:
            return None
        try:
            return read_properties(location).get(OWNER_PROPERTY)
        except OSError:  # dropped by another kernel meanwhile
            return None

    def require(
        self,
        privilege: str,
        table: TableId | None,
        operation: str,
        *,
        sql: str | None = None,
        audit: bool = True,
    ) -> None:
        """Raise ``NotAuthorized`` (audited unless ``audit=False``) unless the user may.

        Args:
            privilege: One of ``PRIVILEGES``.
            table: The table it is about (``None``: the workspace as a whole).
            operation: What was asked, for the message and the audit (``"DELETE"``, ``"erase"``).
            sql: The statement, when it came as SQL (audited redacted).
            audit: ``False`` for a preview (not an attempt).
        """
        self.require_all([Need(privilege, table, operation)], sql=sql, audit=audit)

    def require_all(
        self, needs: Iterable[Need], *, sql: str | None = None, audit: bool = True
    ) -> None:
        """``require`` for each need in turn: the first one missing is refused."""
        for need in needs:
            if self.allowed(need.privilege, need.table):
                continue
            error = self._refusal(need)
            if audit:
                self.recorder.record(
                    "refusal", sql, rule="authorization", privilege=need.privilege,
                    table=error.table, operation=need.operation, reason=error.message,
                )  # fmt: skip
            raise error

    def require_clear(
        self,
        table: TableId,
        operation: str,
        *,
        condition: str | None = None,
        columns: Iterable[str] = (),
        audit: bool = True,
    ) -> None:
        """Refuse a predicate or rule the user supplies that would run on values hidden from them.

        Quality checks and erase conditions are evaluated on the stored, clear values; one that
        reads a column masked or denied for the user, or a table whose rows are filtered for
        them, would tell them what the policy hides (the count of rows that break a check is an
        oracle). So it is refused, naming what it reads; the owner (or anyone who sees all of it
        in clear) may set it.
        """
        from neurolake_lab.lakehouse.naming import qualified, quote_ident

        select = ", ".join(quote_ident(c) for c in columns) or "1"
        sql = f"SELECT {select} FROM {qualified(table)}"
        if condition:
            sql += f" WHERE ({condition})"
        hidden = self._governor().hidden(sql)
        if not hidden:
            return
        name = f"{table[0]}.{table[1]}"
        error = NotAuthorized(
            f"{self.user} may not use {', '.join(hidden)} in {operation} on {name}: it is hidden "
            f"from {self.user} by the policy, and {operation} runs on clear values",
            user=self.user, privilege="clear", table=name,
            hint="Rules and predicates on personal data are set by someone who sees it in clear "
            "(the workspace owner); use other columns, or ask the owner",
        )  # fmt: skip
        if audit:
            self.recorder.record(
                "refusal", rule="authorization", privilege="clear", table=name,
                operation=operation, reason=error.message,
            )  # fmt: skip
        raise error

    def require_statement(
        self, stmt: LakeStatement, *, sql: str | None = None, audit: bool = True
    ) -> None:
        """Check a SQL write the lakehouse is about to carry out (``cell/authorize.py``).

        ``sql`` is the statement as the user wrote it (audited instead of the rewritten one).
        """
        lake = self._lakehouse()
        needs = statement_needs(stmt, lambda tid: tid in lake.pointers)
        self.require_all(needs, sql=sql or stmt.text, audit=audit)

    def _refusal(self, need: Need) -> NotAuthorized:
        policy = self.policies.current()
        table = f"{need.table[0]}.{need.table[1]}" if need.table is not None else None
        what = _VERBS[need.privilege].format(table=table or "the workspace")
        owner = f"the workspace owner ({policy.owner})" if policy.owner else "no owner"
        holders = [owner]
        creator = self.creator(need.table) if need.table is not None else None
        if creator is not None and need.privilege in CREATOR_PRIVILEGES:
            holders.append(f"the table's creator ({creator})")
        scope = f" on {table}" if table is not None else ""
        message = (
            f"{self.user} may not {what} ({need.operation}): that needs the "
            f"'{need.privilege}' privilege{scope}, which {' and '.join(holders)} "
            f"{'have' if len(holders) > 1 else 'has'}"
        )
        tables = f"tables: [{table}], " if table is not None else ""
        hint = (
            "A grant in the workspace policy gives it, e.g. grants: [{name: ..., users: "
            f"[{self.user}], {tables}privileges: [{need.privilege}]}}]"
        )
        return NotAuthorized(
            message, user=self.user, privilege=need.privilege, table=table, hint=hint
        )


def property_needs(
    table: TableId, properties: Iterable[str], operation: str, default: str | None = "alter"
) -> list[Need]:
    """What setting these table properties needs: tags, quality rules, ownership, or ``default``.

    ``default=None``: properties that need no more than the operation itself need nothing.
    """
    needs: list[Need] = []
    for key in properties:
        privilege = next((p for prefix, p in _PROPERTY_PRIVILEGES if key.startswith(prefix)), None)
        privilege = privilege or default
        if privilege is not None and all(n.privilege != privilege for n in needs):
            needs.append(Need(privilege, table, f"{operation} {key}"))
    return needs


def statement_needs(stmt: LakeStatement, exists: Callable[[TableId], bool]) -> list[Need]:
    """The privileges a SQL write needs, in the order they are checked."""
    from sqlglot import exp

    from neurolake_lab.lakehouse.statements import alter_properties

    kind, tid = stmt.kind, stmt.table
    if kind in ("create_schema", "drop_schema"):
        assert stmt.namespace is not None
        privilege = "write" if kind == "create_schema" else "drop"
        verb = "CREATE SCHEMA" if kind == "create_schema" else "DROP SCHEMA"
        return [Need(privilege, (stmt.namespace, "*"), verb)]
    if tid is None:  # a session's own table: nothing of the workspace changes
        return []
    if kind in ("ctas", "create_table"):
        verb = "CREATE OR REPLACE TABLE" if stmt.replace else "CREATE TABLE"
        needs = [Need("write", tid, verb)]
        if exists(tid):
            if stmt.replace:  # its schema, layout and rows are replaced
                needs.append(Need("alter", tid, verb))
            elif stmt.if_not_exists:
                return []
        return needs + property_needs(tid, stmt.properties, verb, default=None)
    if kind in ("insert", "update", "delete", "merge"):
        return [Need("write", tid, kind.upper())]
    if kind == "drop_table":
        return [Need("drop", tid, "DROP TABLE")]
    if kind == "write_ordered":
        return [Need("maintain", tid, "ALTER TABLE ... WRITE ORDERED BY")]
    if kind == "comment":
        return [Need("alter", tid, "COMMENT ON")]
    if kind == "alter":  # setting tags or quality rules needs that privilege, not 'alter'
        needs = []
        actions = (stmt.ast.args.get("actions") or []) if stmt.ast is not None else []
        for action in actions:
            props = alter_properties(action) if isinstance(action, exp.AlterSet) else {}
            if props:
                needs += property_needs(tid, props, "ALTER TABLE ... SET")
                continue
            needs.append(Need("alter", tid, "ALTER TABLE"))
            if isinstance(action, exp.AlterRename):  # the new name must be writable too
                new = action.this
                needs.append(Need("write", (new.db or tid[0], new.name), "ALTER TABLE ... RENAME"))
        return needs or [Need("alter", tid, "ALTER TABLE")]
    return [Need("write", tid, kind)]

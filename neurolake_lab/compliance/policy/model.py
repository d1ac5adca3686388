"""The policy as the enforcer reads it: users and roles, column rules, row filters, guards.

A ``Policy`` is immutable and carries a ``version`` (a hash of the file it came from), so anything
derived from it can be cached by version and a change of policy is visible to whoever audits it.
``policy.identity(user)`` resolves a user's roles (with inheritance) and attributes once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from sqlglot import exp

    from neurolake_lab.compliance.policy.errors import PolicyFileError

ACTIONS: Final = ("allow", "mask", "deny")
METHODS: Final = ("hash", "redact", "partial", "null")
MODES: Final = ("enforce", "remediate")
#: The implicit role of the workspace owner.
OWNER_ROLE: Final = "owner"
#: A tag pattern that matches any PII tag.
ANY_PII: Final = "pii"
#: What a grant may give (``all``: every one of them). Who may change the data of a table
#: (``write``), its schema (``alter``), drop it, run its upkeep (``maintain``), change its PII
#: tags (``tag``) or quality rules (``quality``), erase rows for good, roll it back, or publish a
#: policy (``policy``, not about one table).
PRIVILEGES: Final = (
    "write", "alter", "drop", "maintain", "tag", "quality", "erase", "rollback", "policy",
)  # fmt: skip
#: What the user who created a table may do to it without a grant (tags, quality rules, erasure
#: and rollback stay with the workspace owner and grants).
CREATOR_PRIVILEGES: Final = frozenset({"write", "alter", "drop", "maintain"})


@dataclass(frozen=True)
class Rule:
    """One column rule: for whom and when (roles, users, purposes), which columns, what to do.

    ``roles``, ``users`` and ``purposes`` are ``None`` when the rule does not restrict on them.
    A rule that names roles and users applies to a user who has one of the roles *or* is one of
    the users.
    """

    name: str
    action: str
    columns: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    roles: frozenset[str] | None = None
    users: frozenset[str] | None = None
    purposes: frozenset[str] | None = None
    method: str | None = None
    mode: str | None = None
    line: int | None = None

    def applies(self, who: Identity, purpose: str | None) -> bool:
        """Whether the rule speaks about this user under this purpose."""
        if self.purposes is not None and purpose not in self.purposes:
            return False
        return _who_matches(self.roles, self.users, who)

    def selects(self, table: str, column: str, tag: TagInfo | None) -> bool:
        """Whether the rule covers ``table.column`` (``table`` is ``ns.t``, lower case)."""
        if self.columns and not any(column_matches(p, table, column) for p in self.columns):
            return False
        return not self.tags or (tag is not None and any(tag.matches(p) for p in self.tags))


@dataclass(frozen=True)
class RowFilter:
    """A row filter: rows of the matching tables a user sees are those where ``predicate`` holds.

    ``condition`` is the predicate parsed once (DuckDB dialect), with ``current_user_*()`` calls
    still in it; they are replaced by the user's values when a query is rewritten.
    """

    name: str
    tables: tuple[str, ...]
    predicate: str
    condition: exp.Expr
    roles: frozenset[str] | None = None
    users: frozenset[str] | None = None
    purposes: frozenset[str] | None = None
    line: int | None = None

    def applies(self, who: Identity, purpose: str | None) -> bool:
        """Whether the filter restricts this user under this purpose."""
        if self.purposes is not None and purpose not in self.purposes:
            return False
        return _who_matches(self.roles, self.users, who)

    def covers(self, table: str) -> bool:
        """Whether the filter is about ``table`` (``ns.t``, lower case)."""
        return any(table_matches(p, table) for p in self.tables)


@dataclass(frozen=True)
class Grant:
    """A grant: users or roles may do ``privileges`` to the tables that match ``tables``.

    ``roles`` and ``users`` are ``None`` when the grant does not restrict on them (everyone).
    """

    name: str
    privileges: frozenset[str]
    tables: tuple[str, ...] = ("*",)
    roles: frozenset[str] | None = None
    users: frozenset[str] | None = None
    line: int | None = None

    def gives(self, who: Identity, privilege: str, table: str | None) -> bool:
        """Whether the grant gives ``who`` the privilege on ``table`` (``ns.t``, lower case).

        ``table=None`` asks about the workspace as a whole (publishing a policy): only a grant
        on every table (``*``) gives that.
        """
        if privilege not in self.privileges or not _who_matches(self.roles, self.users, who):
            return False
        if table is None:
            return "*" in self.tables
        return any(table_matches(p, table) for p in self.tables)


@dataclass(frozen=True)
class UserSpec:
    """A user the policy lists: roles and the attributes row filters read."""

    roles: tuple[str, ...] = ()
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Purpose:
    """A declared purpose of use, and which roles may declare it (``None``: everyone)."""

    name: str
    roles: frozenset[str] | None = None


@dataclass(frozen=True)
class Guards:
    """What governed SQL may not reach around, and who is exempt.

    Attributes:
        file_reads: ``workspace`` refuses file-reading functions on ``protected_paths``;
            ``any`` refuses them on every path.
        exempt_roles: Roles that may reach around the catalog.
        protected_paths: Folders whose files only the catalog may read (the workspace, the
            warehouse), as given by the session.
    """

    file_reads: str = "workspace"
    exempt_roles: frozenset[str] = frozenset({OWNER_ROLE})
    protected_paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class Identity:
    """A user as the policy sees them: resolved roles, attributes, owner or not."""

    name: str
    roles: frozenset[str]
    attributes: Mapping[str, Any]
    is_owner: bool
    sees_all: bool  # the owner with ``defaults.owner: allow``: no rules, no row filters
    exempt: bool  # may reach around the catalog (guards do not apply)


@dataclass(frozen=True)
class Policy:
    """A workspace's policy, ready for enforcement.

    Attributes:
        owner: The workspace owner (from ``neurolake.toml``).
        version: ``sha256:<16 hex>`` of the file's bytes, ``default`` when there is no file, or
            ``fail-closed:<hash>`` when the file is invalid.
        source: ``file``, ``default`` or ``fail-closed``.
        error: Why the file was rejected (fail-closed only).
    """

    owner: str | None
    version: str
    source: str = "default"
    path: Path | None = None
    mode: str = "enforce"
    default_pii: str = "mask"
    default_method: str = "hash"
    owner_mode: str = "allow"
    default_roles: tuple[str, ...] = ()
    roles: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    users: Mapping[str, UserSpec] = field(default_factory=dict)
    purposes: Mapping[str, Purpose] = field(default_factory=dict)
    rules: tuple[Rule, ...] = ()
    row_filters: tuple[RowFilter, ...] = ()
    guards: Guards = field(default_factory=Guards)
    grants: tuple[Grant, ...] = ()
    error: PolicyFileError | None = None

    @property
    def key(self) -> tuple[str, str | None, tuple[str, ...]]:
        """What caches of enforcement results are keyed by (with the user and the query)."""
        return (self.version, self.owner, self.guards.protected_paths)

    @property
    def attribute_names(self) -> frozenset[str]:
        """Every user attribute any user of the policy has."""
        return frozenset(a for u in self.users.values() for a in u.attributes)

    def identity(self, user: str) -> Identity:
        """The roles (inherited ones included) and attributes of ``user``."""
        spec = self.users.get(user)
        direct = list(spec.roles if spec is not None else self.default_roles)
        is_owner = self.owner is not None and user == self.owner
        if is_owner:
            direct.append(OWNER_ROLE)
        roles: set[str] = set()
        while direct:
            role = direct.pop()
            if role not in roles:
                roles.add(role)
                direct.extend(self.roles.get(role, ()))
        return Identity(
            name=user,
            roles=frozenset(roles),
            attributes=dict(spec.attributes) if spec is not None else {},
            is_owner=is_owner,
            sees_all=is_owner and self.owner_mode == "allow",
            exempt=bool(roles & self.guards.exempt_roles),
        )


@dataclass(frozen=True)
class TagInfo:
    """The parts of a PII tag the policy reads (entity, entities, category)."""

    entity: str | None
    entities: tuple[str, ...]
    category: str | None

    @property
    def is_pii(self) -> bool:
        """Whether the tag says the column holds personal data."""
        return self.entity is not None or bool(self.entities)

    def matches(self, pattern: str) -> bool:
        """Whether a rule's tag pattern (entity, category or ``pii``) covers this tag."""
        if not self.is_pii:
            return False
        p = pattern.lower()
        if p == ANY_PII:
            return True
        names = [self.entity or "", *self.entities, self.category or ""]
        return any(n and fnmatchcase(n.lower(), p) for n in names)

    def to_report(self, column: str) -> dict[str, Any]:
        """One ``pii_columns`` entry of the cell report."""
        out: dict[str, Any] = {"column": column, "entity": self.entity or self.entities[0]}
        if self.category:
            out["category"] = self.category
        return out

    @classmethod
    def of(cls, tag: object) -> TagInfo | None:
        """Read a ``PiiTag``, its JSON dict, or ``None``."""
        if tag is None:
            return None
        if isinstance(tag, TagInfo):
            return tag
        if isinstance(tag, Mapping):
            entity, entities, category = (
                tag.get("entity"),
                tag.get("entities") or (),
                tag.get("category"),
            )
        else:
            entity = getattr(tag, "entity", None)
            entities = getattr(tag, "entities", ()) or ()
            category = getattr(tag, "category", None)
        return cls(
            entity=str(entity) if entity else None,
            entities=tuple(str(e) for e in entities if e),
            category=str(category) if category else None,
        )


def column_matches(pattern: str, table: str, column: str) -> bool:
    """Whether ``ns.table.column``, ``table.column`` or ``column`` (wildcards) names the column."""
    parts = pattern.lower().split(".")
    target = [*table.split("."), column.lower()]
    if len(parts) > len(target):
        return False
    return all(fnmatchcase(t, p) for p, t in zip(parts, target[-len(parts) :], strict=True))


def table_matches(pattern: str, table: str) -> bool:
    """Whether ``ns.table`` or ``table`` (wildcards) names the table (``ns.t``, lower case)."""
    parts = pattern.lower().split(".")
    target = table.split(".")
    if len(parts) > len(target):
        return False
    return all(fnmatchcase(t, p) for p, t in zip(parts, target[-len(parts) :], strict=True))


def _who_matches(roles: frozenset[str] | None, users: frozenset[str] | None, who: Identity) -> bool:
    if roles is None and users is None:
        return True
    return bool(roles and roles & who.roles) or bool(users and who.name in users)

"""Reading ``<workspace>/policies.yaml``: validation with line numbers, defaults, failing closed.

``load_policy`` never raises: with no file it returns the default policy (the owner sees
everything, warned on PII; everyone else sees PII masked), and with a malformed file it returns
the *fail-closed* policy (PII masked for everyone, the owner included, and no one exempt from the
guards) whose ``error`` names the file, the line and the reason. ``parse_policy`` is the strict
reader behind it. ``PolicyStore`` re-reads the file only when it changed on disk and records each
change of version, so the session can audit policy changes (``store.py``).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from neurolake_lab.compliance.policy.errors import PolicyFileError
from neurolake_lab.compliance.policy.model import (
    OWNER_ROLE,
    PRIVILEGES,
    Grant,
    Guards,
    Policy,
    Purpose,
    RowFilter,
    Rule,
    UserSpec,
)
from neurolake_lab.compliance.policy.user_functions import (
    FIXED_FUNCTIONS,
    USER_FUNCTION_PREFIX,
)

if TYPE_CHECKING:
    from neurolake_lab.compliance.policy.yaml_lines import Located

POLICY_FILE: Final = "policies.yaml"
DEFAULT_VERSION: Final = "default"


def policy_path(workspace: str | os.PathLike[str]) -> Path:
    """Where a workspace keeps its policy file."""
    return Path(workspace) / POLICY_FILE


def default_policy(owner: str | None, protected_paths: Sequence[str] = ()) -> Policy:
    """The policy of a workspace without ``policies.yaml``.

    The owner sees everything in clear (with a warning when a query touches PII); anyone else
    sees every PII-tagged column hashed and may not reach around the catalog.
    """
    return Policy(
        owner=owner,
        version=DEFAULT_VERSION,
        source="default",
        guards=Guards(protected_paths=_normalize_paths(protected_paths)),
    )


def fail_closed_policy(
    owner: str | None,
    error: PolicyFileError,
    protected_paths: Sequence[str] = (),
    version: str = "",
) -> Policy:
    """The policy in force while ``policies.yaml`` is invalid: PII masked for everyone."""
    return Policy(
        owner=owner,
        version=f"fail-closed:{version or 'unreadable'}",
        source="fail-closed",
        path=error.path,
        default_pii="mask",
        default_method="hash",
        owner_mode="policy",
        guards=Guards(exempt_roles=frozenset(), protected_paths=_normalize_paths(protected_paths)),
        error=error,
    )


def load_policy(
    workspace: str | os.PathLike[str],
    *,
    owner: str | None,
    protected_paths: Sequence[str] | None = None,
) -> Policy:
    """The workspace's policy: from its file, the default, or fail-closed (never raises).

    Args:
        workspace: The workspace folder (``policies.yaml`` is read from it).
        owner: The workspace owner (``session.settings.owner``).
        protected_paths: Folders only the catalog may read; default: the workspace itself
            (which holds the warehouse, the catalog database, the audit log and the keys).
    """
    path = policy_path(workspace)
    paths = [str(workspace)] if protected_paths is None else list(protected_paths)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return default_policy(owner, paths)
    except OSError as exc:
        return fail_closed_policy(owner, PolicyFileError(path, None, f"cannot read: {exc}"), paths)
    return _from_bytes(raw, path, owner, paths)


def _from_bytes(raw: bytes, path: Path, owner: str | None, paths: Sequence[str]) -> Policy:
    digest = _digest(raw)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        error = PolicyFileError(path, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})")
        return fail_closed_policy(owner, error, paths, digest)
    try:
        return parse_policy(text, path=path, owner=owner, protected_paths=paths)
    except PolicyFileError as error:
        return fail_closed_policy(owner, error, paths, digest)


def parse_policy(
    text: str,
    *,
    path: str | os.PathLike[str] = POLICY_FILE,
    owner: str | None,
    protected_paths: Sequence[str] = (),
) -> Policy:
    """Read a policy from YAML text, strictly.

    Raises:
        PolicyFileError: The text is not YAML, breaks the JSON Schema, or is inconsistent (an
            unknown role or purpose, a row filter that is not a SQL condition, ...); the error
            names ``path``, the line and the reason.
    """
    from neurolake_lab.compliance.policy import yaml_lines

    where = Path(path)
    try:
        located = yaml_lines.load(text)
    except yaml_lines.YamlProblem as problem:
        raise PolicyFileError(where, problem.line, problem.reason) from None
    data = {} if located.data is None else located.data
    _validate(data, located, where)
    return _build(data, located, where, owner, _digest(text.encode("utf-8")), protected_paths)


# -- JSON Schema ------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def policy_schema() -> dict[str, Any]:
    """The JSON Schema of ``policies.yaml`` (shipped as ``neurolake_lab/schema/``)."""
    text = resources.files("neurolake_lab.schema").joinpath("policies.schema.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


def _validate(data: Any, located: Located, path: Path) -> None:
    import jsonschema  # type: ignore[import-untyped]

    validator = jsonschema.Draft202012Validator(policy_schema())
    errors = sorted(
        validator.iter_errors(data),
        key=lambda e: (located.line(tuple(e.absolute_path)) or 0, len(e.absolute_path)),
    )
    if not errors:
        return
    error = errors[0]
    where: tuple[str | int, ...] = tuple(error.absolute_path)
    if error.validator == "anyOf" and where[:1] == ("rules",):
        reason = "a rule needs 'columns' or 'tags' (which columns it is about)"
        raise PolicyFileError(path, located.line(where), f"{_dotted(where)}: {reason}")
    # the most specific error at that place (anyOf/oneOf wrap the ones that explain)
    error = jsonschema.exceptions.best_match([error])
    where = tuple(error.absolute_path)
    reason = error.message
    if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in allowed)
        if extra:
            where = (*where, extra[0])
            known = ", ".join(sorted(allowed))
            reason = f"unknown key {extra[0]!r}" + (f" (expected one of: {known})" if known else "")
    elif error.validator == "required":
        reason = error.message.replace("is a required property", "is required")
    raise PolicyFileError(path, located.line(where), f"{_dotted(where)}: {reason}")


def _dotted(path: Iterable[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "the file"


# -- building the policy ----------------------------------------------------------------------


@dataclass
class _Checker:
    """Consistency checks beyond the schema, each naming the line it is about."""

    located: Located
    path: Path
    roles: set[str]
    purposes: set[str]

    def fail(self, where: tuple[str | int, ...], reason: str) -> PolicyFileError:
        return PolicyFileError(self.path, self.located.line(where), f"{_dotted(where)}: {reason}")

    def role_names(self, values: Any, where: tuple[str | int, ...]) -> frozenset[str] | None:
        if values is None:
            return None
        for i, role in enumerate(values):
            if role not in self.roles:
                known = ", ".join(sorted(self.roles))
                raise self.fail((*where, i), f"unknown role {role!r} (roles: {known})")
        return frozenset(values)

    def purpose_names(self, values: Any, where: tuple[str | int, ...]) -> frozenset[str] | None:
        if values is None:
            return None
        for i, purpose in enumerate(values):
            if purpose not in self.purposes:
                known = ", ".join(sorted(self.purposes)) or "none defined"
                raise self.fail((*where, i), f"unknown purpose {purpose!r} (purposes: {known})")
        return frozenset(values)


def _build(
    data: dict[str, Any],
    located: Located,
    path: Path,
    owner: str | None,
    digest: str,
    protected_paths: Sequence[str],
) -> Policy:
    roles_data: dict[str, Any] = data.get("roles") or {}
    purposes_data: dict[str, Any] = data.get("purposes") or {}
    check = _Checker(located, path, {*roles_data, OWNER_ROLE}, set(purposes_data))

    roles: dict[str, tuple[str, ...]] = {}
    for name, spec in roles_data.items():
        inherits = (spec or {}).get("inherits") or []
        check.role_names(inherits, ("roles", name, "inherits"))
        roles[name] = tuple(inherits)
    _check_cycles(roles, check)

    users: dict[str, UserSpec] = {}
    for name, spec in (data.get("users") or {}).items():
        spec = spec or {}
        user_roles = spec.get("roles") or []
        check.role_names(user_roles, ("users", name, "roles"))
        users[name] = UserSpec(tuple(user_roles), dict(spec.get("attributes") or {}))
    attributes = frozenset(a for u in users.values() for a in u.attributes)

    purposes: dict[str, Purpose] = {}
    for name, spec in purposes_data.items():
        allowed = check.role_names((spec or {}).get("roles"), ("purposes", name, "roles"))
        purposes[name] = Purpose(name, allowed)

    defaults = data.get("defaults") or {}
    default_roles = defaults.get("roles") or []
    check.role_names(default_roles, ("defaults", "roles"))

    rules = tuple(_rule(r, i, check) for i, r in enumerate(data.get("rules") or []))
    _check_unique([r.name for r in rules], "rules", check)
    filters = tuple(
        _row_filter(f, i, check, attributes) for i, f in enumerate(data.get("row_filters") or [])
    )
    _check_unique([f.name for f in filters], "row_filters", check)

    grants = tuple(_grant(g, i, check) for i, g in enumerate(data.get("grants") or []))
    _check_unique([g.name for g in grants], "grants", check)

    guards_data = data.get("guards") or {}
    exempt = check.role_names(guards_data.get("exempt_roles"), ("guards", "exempt_roles"))
    guards = Guards(
        file_reads=guards_data.get("file_reads", "workspace"),
        exempt_roles=frozenset({OWNER_ROLE}) if exempt is None else exempt,
        protected_paths=_normalize_paths(protected_paths),
    )
    return Policy(
        owner=owner,
        version=f"sha256:{digest}",
        source="file",
        path=path,
        mode=data.get("mode", "enforce"),
        default_pii=defaults.get("pii", "mask"),
        default_method=defaults.get("method", "hash"),
        owner_mode=defaults.get("owner", "allow"),
        default_roles=tuple(default_roles),
        roles=roles,
        users=users,
        purposes=purposes,
        rules=rules,
        row_filters=filters,
        guards=guards,
        grants=grants,
    )


def _grant(data: dict[str, Any], index: int, check: _Checker) -> Grant:
    where: tuple[str | int, ...] = ("grants", index)
    privileges = set(data["privileges"])
    if "all" in privileges:
        privileges = set(PRIVILEGES)
    tables = tuple(data.get("tables") or ("*",))
    if "policy" in privileges and "*" not in tables and "all" not in data["privileges"]:
        raise check.fail((*where, "tables"), "'policy' is about the whole workspace: grant it "
                         "without tables (or on '*')")  # fmt: skip
    return Grant(
        name=data["name"],
        privileges=frozenset(privileges),
        tables=tables,
        roles=check.role_names(data.get("roles"), (*where, "roles")),
        users=frozenset(data["users"]) if data.get("users") is not None else None,
        line=check.located.line(where),
    )


def _rule(data: dict[str, Any], index: int, check: _Checker) -> Rule:
    where: tuple[str | int, ...] = ("rules", index)
    action = data["action"]
    if data.get("method") is not None and action == "allow":
        raise check.fail((*where, "method"), "a method only goes with action mask or deny")
    if data.get("mode") is not None and action != "deny":
        raise check.fail((*where, "mode"), "a mode only goes with action deny")
    return Rule(
        name=data["name"],
        action=action,
        columns=tuple(data.get("columns") or ()),
        tags=tuple(data.get("tags") or ()),
        roles=check.role_names(data.get("roles"), (*where, "roles")),
        users=frozenset(data["users"]) if data.get("users") is not None else None,
        purposes=check.purpose_names(data.get("purposes"), (*where, "purposes")),
        method=data.get("method"),
        mode=data.get("mode"),
        line=check.located.line(where),
    )


def _row_filter(
    data: dict[str, Any], index: int, check: _Checker, attributes: frozenset[str]
) -> RowFilter:
    where: tuple[str | int, ...] = ("row_filters", index)
    predicate = data["predicate"]
    condition = _parse_condition(predicate, check, (*where, "predicate"))
    for func in condition.find_all(exp.Anonymous):
        name = func.name.lower()
        if name.startswith(USER_FUNCTION_PREFIX) and name not in FIXED_FUNCTIONS:
            attribute = name[len(USER_FUNCTION_PREFIX) :]
            if attribute not in attributes:
                known = ", ".join(sorted(attributes)) or "none"
                raise check.fail(
                    (*where, "predicate"),
                    f"{func.name}() reads user attribute {attribute!r}, which no user has "
                    f"(attributes: {known})",
                )
    return RowFilter(
        name=data["name"],
        tables=tuple(data["tables"]),
        predicate=predicate,
        condition=condition,
        roles=check.role_names(data.get("roles"), (*where, "roles")),
        users=frozenset(data["users"]) if data.get("users") is not None else None,
        purposes=check.purpose_names(data.get("purposes"), (*where, "purposes")),
        line=check.located.line(where),
    )


def _parse_condition(text: str, check: _Checker, where: tuple[str | int, ...]) -> exp.Expr:
    try:
        statements = sqlglot.parse(f"SELECT 1 WHERE (\n{text}\n)", read="duckdb")
    except SqlglotError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise check.fail(where, f"not a SQL condition: {first}") from None
    if len(statements) != 1 or not isinstance(statements[0], exp.Select):
        raise check.fail(where, "not a SQL condition: it must be one expression, no ';'")
    condition: exp.Expr = statements[0].args["where"].this
    if isinstance(condition, exp.Paren):
        condition = condition.this
    if condition.find(exp.Command, exp.DDL, exp.DML) is not None:
        raise check.fail(where, "a row filter is a condition: it cannot change anything")
    return condition.copy()


def _check_cycles(roles: Mapping[str, tuple[str, ...]], check: _Checker) -> None:
    for start in roles:
        seen: set[str] = set()
        todo = list(roles[start])
        while todo:
            role = todo.pop()
            if role == start:
                raise check.fail(("roles", start, "inherits"), f"role {start!r} inherits itself")
            if role not in seen:
                seen.add(role)
                todo.extend(roles.get(role, ()))


def _check_unique(names: list[str], section: str, check: _Checker) -> None:
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name in seen:
            raise check.fail((section, i, "name"), f"the name {name!r} is used twice")
        seen.add(name)


def _digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:16]


def _normalize_paths(paths: Iterable[str]) -> tuple[str, ...]:
    out = []
    for p in paths:
        text = str(p)
        out.append(text if "://" in text else os.path.realpath(os.path.expanduser(text)))
    return tuple(sorted(set(out)))

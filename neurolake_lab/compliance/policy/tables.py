"""Which table a reference in a statement names, and what role it plays there.

A reference is *governed* when it names a table of the caller's schema (``ns.t``; ``t`` when
exactly one schema table has that name; DuckDB's own ``memory.main.t`` bare-name views too) and
is not a CTE of that name in scope. Its *position* says what the statement does with it: ``read``
(its rows flow into a result: FROM, JOIN, subqueries, CTE bodies, view and macro bodies, USING,
SUMMARIZE, PIVOT), ``update``/``delete`` (the target of an UPDATE/DELETE, which reads it through
its WHERE), or ``target`` (written or described: INSERT/CREATE/DROP/ALTER targets, which the
policy does not rewrite).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from sqlglot import exp

#: Caller's schema: ``{"ns.table": {column: duckdb_type}}``.
Schema = Mapping[str, Mapping[str, str]]

# DuckDB's default catalog and schema: ``memory.main.t`` and ``main.t`` are the bare name ``t``
_DEFAULT_CATALOG: Final = "memory"
_DEFAULT_SCHEMA: Final = "main"

_TARGET_PARENTS: Final = (
    exp.Insert,
    exp.Create,
    exp.Drop,
    exp.Alter,
    exp.Describe,
    exp.Copy,
    exp.Merge,
    exp.TruncateTable,
    exp.Comment,
    exp.Analyze,
    exp.Show,
    exp.Use,
)


class TableIndex:
    """The schema's tables by lower-cased id, with bare-name lookup.

    ``local`` are bare names the session's own tables took over: they name no schema table.
    """

    def __init__(self, schema: Schema, local: frozenset[str] = frozenset()) -> None:
        self.columns: dict[str, dict[str, str]] = {}
        self.names: dict[str, dict[str, str]] = {}  # lower-cased column → column as spelled
        by_name: dict[str, list[str]] = {}
        for table, cols in schema.items():
            key = table.lower()
            self.columns[key] = {str(c).lower(): str(t) for c, t in cols.items()}
            self.names[key] = {str(c).lower(): str(c) for c in cols}
            by_name.setdefault(key.rsplit(".", 1)[-1], []).append(key)
        by_name = {name: keys for name, keys in by_name.items() if name not in local}
        self._bare = {name: keys[0] for name, keys in by_name.items() if len(keys) == 1}
        self._ambiguous = {name: sorted(keys) for name, keys in by_name.items() if len(keys) > 1}
        self._cache: dict[tuple[str, ...], str | None] = {}

    def lookup(self, table: exp.Table) -> str | None:
        """The schema id (``ns.t``) a table reference names, or ``None``."""
        parts = tuple(p.lower() for p in (table.catalog, table.db, table.name) if p)
        if parts in self._cache:
            return self._cache[parts]
        found = self._lookup(parts)
        self._cache[parts] = found
        return found

    def ambiguous(self, table: exp.Table) -> list[str]:
        """The schema tables a bare name could mean when it means more than one."""
        parts = [p.lower() for p in (table.catalog, table.db, table.name) if p]
        if len(parts) == 3 and parts[0] == _DEFAULT_CATALOG:
            parts = parts[1:]
        if len(parts) == 2 and parts[0] == _DEFAULT_SCHEMA:
            parts = parts[1:]
        return self._ambiguous.get(parts[0], []) if len(parts) == 1 else []

    def _lookup(self, parts: tuple[str, ...]) -> str | None:
        if not parts or not parts[-1]:
            return None
        key = ".".join(parts)
        if key in self.columns:
            return key
        if len(parts) == 3 and parts[0] == _DEFAULT_CATALOG:
            parts = parts[1:]
            key = ".".join(parts)
            if key in self.columns:
                return key
        if len(parts) == 2 and parts[0] == _DEFAULT_SCHEMA:
            parts = parts[1:]
        if len(parts) == 1:
            return self._bare.get(parts[0])
        return None


def position(table: exp.Table) -> str | None:
    """``read``, ``update``, ``delete``, ``target``, or ``None`` for a name that is no table."""
    parent = table.parent
    key = table.arg_key
    if isinstance(parent, exp.UserDefinedFunction):
        return None  # CREATE MACRO name(...)
    if isinstance(parent, exp.Schema) and isinstance(parent.parent, exp.Create | exp.Insert):
        return "target"
    if key == "this":
        if isinstance(parent, exp.Update):
            return "update"
        if isinstance(parent, exp.Delete):
            return "delete"
        if isinstance(parent, _TARGET_PARENTS):
            return "target"
    if isinstance(parent, exp.Drop | exp.TruncateTable):
        return "target"
    return "read"


def is_cte_reference(table: exp.Table) -> bool:
    """Whether an unqualified name refers to a CTE visible where it stands.

    A CTE's body sees the CTEs before it (and itself under ``WITH RECURSIVE``); the main query
    sees them all. ``WITH customers AS (SELECT * FROM customers)`` reads the real table inside.
    """
    if table.db or table.catalog:
        return False
    name = table.name.lower()
    node: exp.Expr = table
    while node.parent is not None:
        parent = node.parent
        if isinstance(parent, exp.With) and isinstance(node, exp.CTE):
            ctes = parent.expressions
            idx = node.index if node.index is not None else len(ctes)
            visible = ctes[: idx + 1] if parent.args.get("recursive") else ctes[:idx]
            if any(c.alias_or_name.lower() == name for c in visible):
                return True
            owner = parent.parent
            if owner is None:
                return False
            node = owner
            continue
        with_ = parent.args.get("with_")
        if (
            isinstance(with_, exp.With)
            and node is not with_
            and any(c.alias_or_name.lower() == name for c in with_.expressions)
        ):
            return True
        node = parent
    return False

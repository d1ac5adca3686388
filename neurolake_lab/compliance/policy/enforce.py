"""``enforce``: one statement in, the statement to run and every policy decision out.

Steps: resolve the user → check the purpose → refuse ways around the catalog (guards) → find the
governed table references → plan each table (masks, denies, row filters) → decide what the
statement reads (PII touched, masked, denied; lineage narrows the denied) → rewrite (subqueries
for reads, masking in place for UPDATE/DELETE targets) → print as DuckDB. The result is cached by
the statement, the schema and tags, the policy's version, the user and the options, so running a
cell again costs a dictionary lookup.

Example:
    >>> from neurolake_lab.compliance.policy import default_policy, enforce
    >>> e = enforce(
    ...     "SELECT email FROM hr.staff",
    ...     schema={"hr.staff": {"id": "INTEGER", "email": "VARCHAR"}},
    ...     tags={"hr.staff": {"email": {"entity": "EMAIL_ADDRESS", "category": "identifier"}}},
    ...     user="bob",
    ...     policy=default_policy(owner="alice"),
    ... )
    >>> print(e.sql)  # doctest: +NORMALIZE_WHITESPACE
    SELECT email FROM (SELECT * EXCLUDE (__nl_key) REPLACE
    (temp.main.nl_mask_hash_keyed("email", __nl_k.__nl_key, 'email') AS "email")
    FROM "memory"."hr"."staff" CROSS JOIN
    (SELECT system.main.nl_mask_key('hr.staff') AS __nl_key) AS __nl_k) AS staff
    >>> e.masked
    ({'column': 'hr.staff.email', 'method': 'hash', 'policy': 'default'},)
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Hashable, Mapping
from typing import Any, Final, Literal

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from neurolake_lab.compliance.policy import guard
from neurolake_lab.compliance.policy.decisions import decide
from neurolake_lab.compliance.policy.dialect import to_sql
from neurolake_lab.compliance.policy.enforcement import Enforcement
from neurolake_lab.compliance.policy.errors import PolicyError
from neurolake_lab.compliance.policy.guard import Refusal
from neurolake_lab.compliance.policy.lineage_checks import drop_pii, narrow_denied
from neurolake_lab.compliance.policy.model import Identity, Policy, TagInfo
from neurolake_lab.compliance.policy.plans import TablePlan, clear_plan_cache, plan_table
from neurolake_lab.compliance.policy.references import referenced_columns
from neurolake_lab.compliance.policy.rewrite import replace_reads
from neurolake_lab.compliance.policy.splice import splice
from neurolake_lab.compliance.policy.tables import Schema, TableIndex, is_cte_reference, position
from neurolake_lab.compliance.policy.wrapped import unwrap
from neurolake_lab.compliance.policy.write_target import govern_write_target
from neurolake_lab.lru import LRU

#: ``{"ns.table": {column: PiiTag | its JSON dict | None}}``.
Tags = Mapping[str, Mapping[str, Any]]
NoPii = Literal["mask", "drop"] | None


_WORD: Final = re.compile(r"[A-Za-z_]+")
_WRAPPERS: Final = frozenset({"EXPLAIN", "PREPARE", "CALL"})
_OPAQUE: Final = frozenset({"LOAD", "RESET", "EXECUTE", "EXPORT", "IMPORT", "DEALLOCATE"})

_results: LRU[Enforcement] = LRU(512)
_indexes: LRU[TableIndex] = LRU(16)


def clear_cache() -> None:
    """Forget cached enforcements and table plans (tests and benchmarks)."""
    _results.clear()
    _indexes.clear()
    clear_plan_cache()


def enforce(
    tree_or_sql: str | exp.Expr,
    *,
    schema: Schema,
    tags: Tags,
    user: str,
    policy: Policy,
    purpose: str | None = None,
    no_pii: NoPii = None,
    statement_type: str | None = None,
    sql: str | None = None,
    cwd: str | None = None,
    local_names: Collection[str] = (),
) -> Enforcement:
    """Apply ``policy`` to one statement for ``user``.

    Args:
        tree_or_sql: One statement: SQL text (DuckDB dialect) or the session's parsed sqlglot
            tree (qualified or not; it is never modified).
        schema: ``{"ns.table": {column: duckdb_type}}`` of the governed tables (a table with
            tags but left out here is governed too).
        tags: ``{"ns.table": {column: tag}}``; a tag is a ``PiiTag``, its JSON dict or ``None``.
            A table without tags is taken as holding no PII.
        user: Who runs the statement (``session.user``).
        policy: The policy in force (``PolicyStore.current()`` or ``load_policy``).
        purpose: The declared purpose, if any (must be one the policy defines).
        no_pii: ``"mask"`` masks every PII column the statement reads, whoever asks;
            ``"drop"`` also leaves the result columns derived from PII out of a query's result.
        statement_type: DuckDB's statement type (``SELECT``, ``COPY``, ``EXPORT``, ...), which
            decides for statements sqlglot cannot parse.
        sql: The text of ``tree_or_sql`` when it is a tree: returned as is when nothing changes,
            and the cache key.
        cwd: Where relative file paths point (default: the process's working folder, which is
            where DuckDB resolves them).
        local_names: Bare names the session's own tables took over from lakehouse tables
            (``CREATE TABLE customers ...``): those bare names mean the session's table.

    Returns:
        The statement to run and the decisions. When ``.blocked``, it must not run:
        ``.raise_if_blocked()`` raises the ``PolicyViolation`` that names the column and policy
        or the guard rule (audit ``.to_audit()`` first).

    Raises:
        PolicyError: ``tree_or_sql`` holds more than one statement.
    """
    cwd = cwd or os.getcwd()
    local = frozenset(n.lower() for n in local_names)
    text = tree_or_sql if isinstance(tree_or_sql, str) else sql
    # the exact text: normalising spaces would also merge 'a  b' and 'a b' inside literals
    statement_key: Hashable = ("sql", text) if text is not None else ("tree", hash(tree_or_sql))
    key = (
        statement_key,
        _schema_key(schema),
        _tags_key(tags),
        policy.key,
        user,
        purpose,
        no_pii,
        (statement_type or "").upper(),
        cwd,
        local,
    )
    cached = _results.get(key)
    if cached is not None:
        return cached
    index = _index(schema, tags, local)
    result = _Enforcer(index, tags, policy, user, purpose, no_pii, cwd).run(
        tree_or_sql, text, statement_type
    )
    _results.put(key, result)
    return result


def _index(schema: Schema, tags: Tags, local: frozenset[str]) -> TableIndex:
    """The governed tables: the schema's, and any table that has tags but no schema entry.

    A tagged table the caller left out of ``schema`` is still governed (its tagged columns are
    masked); the subquery's ``* REPLACE`` needs only the columns it masks.
    """
    lowered = {t.lower() for t in schema}
    missing = {t: cols for t, cols in tags.items() if t.lower() not in lowered and cols}
    key = (
        _schema_key(schema),
        tuple(sorted((t, tuple(c)) for t, c in missing.items())),
        tuple(sorted(local)),
    )
    index = _indexes.get(key)
    if index is None:
        merged = dict(schema)
        merged.update({t: dict.fromkeys(cols, "VARCHAR") for t, cols in missing.items()})
        index = TableIndex(merged, local)
        _indexes.put(key, index)
    return index


def _schema_key(schema: Schema) -> Hashable:
    return tuple((t, tuple(cols.items())) for t, cols in schema.items())


def _tags_key(tags: Tags) -> Hashable:
    return tuple(
        (t, tuple((c, _tag_key(tag)) for c, tag in cols.items())) for t, cols in tags.items()
    )


def _tag_key(tag: object) -> Hashable:
    info = TagInfo.of(tag)
    return None if info is None else (info.entity, info.entities, info.category)


class _Enforcer:
    """One enforcement: the inputs, and the decisions as they accumulate."""

    def __init__(
        self,
        index: TableIndex,
        tags: Tags,
        policy: Policy,
        user: str,
        purpose: str | None,
        no_pii: NoPii,
        cwd: str,
    ) -> None:
        self.index = index
        self.tags = {t.lower(): cols for t, cols in tags.items()}
        self.policy = policy
        self.who: Identity = policy.identity(user)
        self.purpose = purpose
        self.no_pii = no_pii
        self.cwd = cwd
        self.warnings: list[str] = []
        if policy.error is not None:
            self.warnings.append(
                f"{policy.error.message}: personal data is masked for everyone until the "
                "policy file is fixed"
            )

    # -- entry --------------------------------------------------------------------------------

    def run(
        self, tree_or_sql: str | exp.Expr, text: str | None, statement_type: str | None
    ) -> Enforcement:
        refusals = self._purpose()
        if refusals:
            return self._blocked(text or to_sql(_as_tree(tree_or_sql)), refusals)
        kind = (statement_type or "").upper()
        if not self.who.exempt and kind in guard.REFUSED_TYPES:
            rule, message = guard.REFUSED_TYPES[kind]
            return self._blocked(text or "", [Refusal(rule, message)])
        if isinstance(tree_or_sql, str):
            first = _first_word(tree_or_sql)
            if first in _WRAPPERS:
                wrapped = self._wrapped(tree_or_sql, statement_type)
                if wrapped is not None:
                    return wrapped
            # statements sqlglot only reads as opaque commands (and logs that it did)
            tree = None if first in _OPAQUE else _parse(tree_or_sql)
        else:
            tree = tree_or_sql
        if isinstance(tree, exp.Command) or tree is None:
            source = text if text is not None else to_sql(tree) if tree is not None else ""
            wrapped = self._wrapped(source, statement_type)
            if wrapped is not None:
                return wrapped
            refusals = [] if self.who.exempt else guard.check_text(source, kind, self._names())
            if tree is not None and not self.who.exempt:
                refusals = guard.check_tree(tree, self.policy.guards, self.cwd) + refusals
            if refusals:
                return self._blocked(source, refusals)
            if tree is None:
                self.warnings.append("the policy could not read this statement; it runs as written")
            return self._result(source, False)
        return self._statement(tree, text)

    def _purpose(self) -> list[Refusal]:
        if self.purpose is None:
            return []
        declared = self.policy.purposes.get(self.purpose)
        if declared is None:
            known = ", ".join(sorted(self.policy.purposes)) or "none"
            return [Refusal("purpose", f"unknown purpose {self.purpose!r} (purposes: {known})")]
        if declared.roles is not None and not (declared.roles & self.who.roles):
            return [
                Refusal(
                    "purpose",
                    f"user {self.who.name} may not declare purpose {self.purpose!r} "
                    f"(it needs role {' or '.join(sorted(declared.roles))})",
                )
            ]
        return []

    def _wrapped(self, source: str, statement_type: str | None) -> Enforcement | None:
        """EXPLAIN, PREPARE, CALL and SHOW hold a statement the parser reads as opaque text."""
        wrapped = unwrap(source)
        if wrapped is None:
            return None
        if wrapped.kind == "call":
            probe = _parse(f"SELECT * FROM {wrapped.body}")
            if probe is None:
                return None
            refusals = (
                [] if self.who.exempt else guard.check_tree(probe, self.policy.guards, self.cwd)
            )
            return self._blocked(source, refusals) if refusals else self._result(source, False)
        inner = self.run(wrapped.body, wrapped.body, None)
        if wrapped.kind == "show" or not inner.rewritten:  # SHOW t: columns, never values
            return _replace_sql(inner, source, False)
        return _replace_sql(inner, wrapped.head + inner.sql, True)

    # -- a parsed statement ---------------------------------------------------------------------

    def _statement(self, tree: exp.Expr, text: str | None) -> Enforcement:
        source = text if text is not None else None
        refusals = guard.check_definitions(tree, self._governed)
        if refusals:  # for everyone: these would change what the masks compute
            return self._blocked(source or to_sql(tree), refusals)
        if not self.who.exempt:
            refusals = guard.check_tree(tree, self.policy.guards, self.cwd)
            if refusals:
                return self._blocked(source or to_sql(tree), refusals)
        refs = self._references(tree)
        if not self.who.exempt:
            refusals = self._ambiguous(tree) + self._merge_target(tree)
            if refusals:
                return self._blocked(source or to_sql(tree), refusals)
        plans: dict[str, TablePlan] = {}
        for _node, table, _pos in refs:
            if table not in plans:
                plans[table] = self._plan(table)
        for plan in plans.values():
            self.warnings.extend(w for w in plan.warnings if w not in self.warnings)

        read = referenced_columns(tree, [(n, t) for n, t, _ in refs], self.index.columns)
        decisions = self._decisions(plans, read)
        denied = self._narrow_denied(tree, decisions.pop("denied"))
        if denied:
            return self._blocked(source or to_sql(tree), [], denied=denied, decisions=decisions)

        if not any(plans[t].needs_rewrite for _n, t, _p in refs):
            dropped, wrapped = self._drop_pii(tree, None)
            if wrapped is None:
                return self._result(source or to_sql(tree), False, decisions=decisions)
            return self._result(wrapped, True, decisions=decisions, dropped=dropped)

        if text is not None:
            spliced = splice(text, tree, refs, plans)
            if spliced is not None:
                dropped, wrapped = self._drop_pii(tree, spliced)
                return self._result(wrapped or spliced, True, decisions=decisions, dropped=dropped)

        copy = tree.copy()
        copied = self._references(copy)
        assert len(copied) == len(refs)
        reads = []
        for node, table, pos in copied:
            plan = plans[table]
            if pos == "read":
                reads.append((node, plan))
            elif plan.needs_rewrite and isinstance(node.parent, exp.Update | exp.Delete):
                govern_write_target(node.parent, plan)
        replace_reads(copy, reads)
        rewritten = to_sql(copy)
        dropped, wrapped = self._drop_pii(tree, rewritten)
        return self._result(wrapped or rewritten, True, decisions=decisions, dropped=dropped)

    def _governed(self, table: exp.Table) -> str | None:
        return self.index.lookup(table)

    def _references(self, tree: exp.Expr) -> list[tuple[exp.Table, str, str]]:
        out = []
        for node in tree.find_all(exp.Table):
            if not isinstance(node.this, exp.Identifier):
                continue
            pos = position(node)
            if pos is None or pos == "target" or is_cte_reference(node):
                continue
            table = self.index.lookup(node)
            if table is not None:
                out.append((node, table, pos))
        return out

    def _merge_target(self, tree: exp.Expr) -> list[Refusal]:
        """A MERGE reads its target's rows (ON, WHEN ... AND): refused where they are governed.

        Its target is not rewritten like an UPDATE's, so a masked column or a row filter on it
        would be an oracle; MERGE into such a table is for users the policy leaves it whole.
        """
        target = tree.this if isinstance(tree, exp.Merge) else None
        table = self.index.lookup(target) if isinstance(target, exp.Table) else None
        if table is None or not self._plan(table).needs_rewrite:
            return []
        return [
            Refusal(
                "merge-target",
                f"MERGE INTO {table}: its rows are masked or filtered for {self.who.name}, and a "
                "MERGE reads them; use INSERT, or ask the owner to run it",
            )
        ]

    def _ambiguous(self, tree: exp.Expr) -> list[Refusal]:
        """Refusals for bare names that match several governed tables.

        Which one DuckDB reads depends on ``USE`` and ``search_path``, so the policy cannot know
        what to mask.
        """
        out = []
        for node in tree.find_all(exp.Table):
            if not isinstance(node.this, exp.Identifier) or position(node) in (None, "target"):
                continue
            candidates = self.index.ambiguous(node)
            if candidates and not is_cte_reference(node):
                out.append(
                    Refusal(
                        "ambiguous-name",
                        f"table name {node.name} could be {' or '.join(candidates)}; "
                        "name its namespace",
                    )
                )
        return out

    def _plan(self, table: str) -> TablePlan:
        raw = self.tags.get(table) or {}
        tags = {str(c).lower(): TagInfo.of(t) for c, t in raw.items()}
        return plan_table(
            self.policy,
            self.who,
            self.purpose,
            self.no_pii is not None,
            table,
            self.index.columns[table],
            self.index.names[table],
            tags,
        )

    def _decisions(
        self, plans: Mapping[str, TablePlan], read: Mapping[str, set[str]]
    ) -> dict[str, list[Any]]:
        return decide(plans, read, self.warnings)

    def _narrow_denied(
        self, tree: exp.Expr, candidates: list[dict[str, str]]
    ) -> list[dict[str, str]]:
        return narrow_denied(tree, candidates, self.index.columns)

    def _drop_pii(self, tree: exp.Expr, rewritten: str | None) -> tuple[list[str], str | None]:
        if self.no_pii != "drop":
            return [], None
        return drop_pii(tree, rewritten, self.index.columns, self.tags, self.warnings)

    # -- results --------------------------------------------------------------------------------

    def _names(self) -> set[str]:
        names = set(self.index.columns)
        names |= {t.rsplit(".", 1)[-1] for t in self.index.columns}
        return names

    def _result(
        self,
        sql: str,
        rewritten: bool,
        *,
        decisions: Mapping[str, list[Any]] | None = None,
        dropped: list[str] | None = None,
    ) -> Enforcement:
        d = decisions or {}
        return Enforcement(
            sql=sql,
            rewritten=rewritten,
            user=self.who.name,
            purpose=self.purpose,
            policy_version=self.policy.version,
            pii_columns=tuple(d.get("pii_columns", ())),
            masked=tuple(d.get("masked", ())),
            row_filters=tuple(d.get("row_filters", ())),
            denied=tuple(d.get("denied", ())),
            warnings=tuple(self.warnings),
            remediations=tuple(d.get("remediations", ())),
            dropped=tuple(dropped or ()),
            tables=tuple(d.get("tables", ())),
        )

    def _blocked(
        self,
        sql: str,
        refusals: list[Refusal],
        *,
        denied: list[dict[str, str]] | None = None,
        decisions: Mapping[str, list[Any]] | None = None,
    ) -> Enforcement:
        base = self._result(sql, False, decisions={**(decisions or {}), "denied": denied or []})
        return _replace(base, refusals=tuple(refusals))


def _first_word(text: str) -> str:
    match = _WORD.search(text)
    return match.group(0).upper() if match else ""


def _parse(text: str) -> exp.Expr | None:
    try:
        statements = [s for s in sqlglot.parse(text, read="duckdb") if s is not None]
    except SqlglotError:
        return None
    if len(statements) > 1:
        raise PolicyError(f"the policy checks one statement at a time; got {len(statements)}")
    return statements[0] if statements else None


def _as_tree(tree_or_sql: str | exp.Expr) -> exp.Expr:
    if isinstance(tree_or_sql, exp.Expr):
        return tree_or_sql
    tree = _parse(tree_or_sql)
    return tree if tree is not None else exp.Command(this=tree_or_sql)


def _replace(e: Enforcement, **changes: Any) -> Enforcement:
    from dataclasses import replace

    return replace(e, **changes)


def _replace_sql(e: Enforcement, sql: str, rewritten: bool) -> Enforcement:
    return _replace(e, sql=sql, rewritten=rewritten)

"""What the policy says about one table for one user: per-column decisions and row filters.

For each column, the first rule (in file order) that applies to the user and the purpose and
selects the column decides; a PII column no rule decides gets ``defaults.pii``, any other column
is allowed. A ``deny`` under ``mode: remediate`` becomes a mask. The owner (with
``defaults.owner: allow``) is exempt from rules and row filters. ``no_pii`` masks every PII
column that would otherwise be shown in clear, whoever asks.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Final

from sqlglot import exp

from neurolake_lab.compliance.policy.dialect import to_sql
from neurolake_lab.compliance.policy.masking import (
    KEY_ALIAS,
    KEY_COLUMN,
    denied_expression,
    key_subquery,
    mask_expression,
)
from neurolake_lab.compliance.policy.model import Identity, Policy, TagInfo
from neurolake_lab.compliance.policy.user_functions import inline_user_functions
from neurolake_lab.engine.system_functions import qualify_functions
from neurolake_lab.lru import LRU

#: Policy name reported for decisions of ``defaults`` (no rule matched).
DEFAULTS: Final = "defaults"
#: Policy name reported for decisions of the built-in policy (no ``policies.yaml``).
DEFAULT_POLICY: Final = "default"
#: Policy name reported while ``policies.yaml`` is invalid.
FAIL_CLOSED: Final = "fail-closed"
#: Policy name reported for masks added by ``no_pii``.
NO_PII: Final = "no-pii"


@dataclass(frozen=True)
class ColumnDecision:
    """The policy's verdict on one column for one user.

    Attributes:
        column: The column as the schema spells it.
        action: ``allow``, ``mask`` or ``deny``.
        method: The masking method (``mask`` only).
        policy: The rule that decided (its name), or ``defaults``/``default``/``fail-closed``/
            ``no-pii``.
        tag: The column's PII tag (``None``: not PII, or not classified).
        remediated: A deny that ``mode: remediate`` turned into this mask.
    """

    column: str
    action: str
    method: str | None
    policy: str
    tag: TagInfo | None
    remediated: bool = False


@dataclass(frozen=True)
class AppliedFilter:
    """A row filter as applied for one user: the predicate with the user's values in it."""

    policy: str
    predicate: str
    condition: exp.Expr


@dataclass(frozen=True)
class TablePlan:
    """Everything the rewrite of one table needs.

    Attributes:
        table: ``ns.t`` (lower case).
        columns: Lower-cased column → (column as spelled, DuckDB type), in schema order.
        decisions: Lower-cased column → decision, for PII columns and columns not allowed.
        filters: Row filters that apply (all of them must hold).
        warnings: Problems found while planning (a user attribute the user lacks, ...).
        template: ``SELECT * REPLACE (<masked columns>) FROM <placeholder> WHERE <filters>``
            (with the salt table cross-joined when a column is hashed), what each reference to
            the table becomes (``None`` when nothing changes); ``template_sql`` is its text.
    """

    table: str
    columns: Mapping[str, tuple[str, str]]
    decisions: Mapping[str, ColumnDecision]
    filters: tuple[AppliedFilter, ...]
    warnings: tuple[str, ...]
    template: exp.Select | None = None
    template_sql: str | None = None

    @property
    def restricted(self) -> dict[str, ColumnDecision]:
        """Decisions that change what the user sees (masks and denies)."""
        return {c: d for c, d in self.decisions.items() if d.action != "allow"}

    @property
    def needs_rewrite(self) -> bool:
        """Whether references to the table must be replaced by a governed subquery."""
        return bool(self.filters) or any(d.action != "allow" for d in self.decisions.values())


def plan_table(
    policy: Policy,
    who: Identity,
    purpose: str | None,
    no_pii: bool,
    table: str,
    columns: Mapping[str, str],
    names: Mapping[str, str],
    tags: Mapping[str, TagInfo | None],
) -> TablePlan:
    """The plan for ``table`` (cached by policy version, user, purpose, columns and tags).

    Args:
        policy: The policy in force.
        who: The user, resolved by ``policy.identity``.
        purpose: The declared purpose (already checked against the policy).
        no_pii: Mask every PII column that would be shown in clear.
        table: ``ns.t`` (lower case).
        columns: Lower-cased column → DuckDB type.
        names: Lower-cased column → column as spelled.
        tags: Lower-cased column → tag.
    """
    key: Hashable = (
        policy.key,
        who.name,
        purpose,
        no_pii,
        table,
        tuple(columns.items()),
        tuple(names.items()),
        tuple(tags.items()),
    )
    cached = _plans.get(key)
    if cached is not None:
        return cached
    plan = _plan(policy, who, purpose, no_pii, table, columns, names, tags)
    _plans.put(key, plan)
    return plan


def _plan(
    policy: Policy,
    who: Identity,
    purpose: str | None,
    no_pii: bool,
    table: str,
    columns: Mapping[str, str],
    names: Mapping[str, str],
    tags: Mapping[str, TagInfo | None],
) -> TablePlan:
    decisions: dict[str, ColumnDecision] = {}
    rules = [r for r in policy.rules if r.applies(who, purpose)] if not who.sees_all else []
    fallback = (
        FAIL_CLOSED
        if policy.source == "fail-closed"
        else DEFAULT_POLICY
        if policy.source == "default"
        else DEFAULTS
    )
    for col in columns:
        name = names.get(col, col)
        tag = tags.get(col)
        pii = tag is not None and tag.is_pii
        decision: ColumnDecision | None = None
        if who.sees_all:
            decision = ColumnDecision(name, "allow", None, "owner", tag) if pii else None
        else:
            rule = next((r for r in rules if r.selects(table, col, tag)), None)
            if rule is not None:
                decision = ColumnDecision(
                    name,
                    rule.action,
                    (rule.method or policy.default_method) if rule.action == "mask" else None,
                    rule.name,
                    tag,
                )
                if rule.action == "deny" and (rule.mode or policy.mode) == "remediate":
                    instead = rule.method or policy.default_method
                    decision = ColumnDecision(name, "mask", instead, rule.name, tag, True)
            elif pii:
                action = policy.default_pii
                method = policy.default_method if action == "mask" else None
                decision = ColumnDecision(name, action, method, fallback, tag)
                if action == "deny" and policy.mode == "remediate":
                    decision = ColumnDecision(
                        name, "mask", policy.default_method, fallback, tag, True
                    )
        if no_pii and pii and (decision is None or decision.action == "allow"):
            decision = ColumnDecision(name, "mask", policy.default_method, NO_PII, tag)
        if decision is not None:
            decisions[col] = decision

    filters: list[AppliedFilter] = []
    warnings: list[str] = []
    if not who.sees_all:
        attributes = policy.attribute_names
        for row_filter in policy.row_filters:
            if row_filter.covers(table) and row_filter.applies(who, purpose):
                condition, problems = inline_user_functions(row_filter.condition, who, attributes)
                condition = qualify_tables(qualify_functions(condition))
                warnings.extend(problems)
                filters.append(AppliedFilter(row_filter.name, condition.sql("duckdb"), condition))
    spelled = {c: (names.get(c, c), t) for c, t in columns.items()}
    template = _template(table, spelled, decisions, filters)
    return TablePlan(
        table=table,
        columns=spelled,
        decisions=decisions,
        filters=tuple(filters),
        warnings=tuple(warnings),
        template=template,
        template_sql=to_sql(template) if template is not None else None,
    )


#: DuckDB's catalog of the session's in-memory database, where the lakehouse's views live.
CATALOG: Final = "memory"


def lakehouse_table(table: str) -> exp.Table:
    """``memory."ns"."t"``: the lakehouse's view of ``ns.t``, which no session object shadows.

    A bare or schema-qualified name could resolve to a session table or view of the same name
    (``CREATE TEMP TABLE customers ...``); the catalog-qualified name is always the lakehouse's.
    """
    namespace, name = table.split(".", 1)
    return exp.table_(name, db=namespace, catalog=CATALOG, quoted=True)


def qualify_tables(condition: exp.Expr) -> exp.Expr:
    """A row filter's table references (``ns.t`` in a subquery) named in the memory catalog."""
    out = condition.copy()
    for table in out.find_all(exp.Table):
        if isinstance(table.this, exp.Identifier) and table.db and not table.catalog:
            table.set("catalog", exp.to_identifier(CATALOG))
    return out


def _template(
    table: str,
    columns: Mapping[str, tuple[str, str]],
    decisions: Mapping[str, ColumnDecision],
    filters: list[AppliedFilter],
) -> exp.Select | None:
    replace: list[exp.Expr] = []
    hashed = any(d.action == "mask" and d.method == "hash" for d in decisions.values())
    key = exp.column(KEY_COLUMN, table=KEY_ALIAS)  # the table's key, from the key subquery
    for col, decision in decisions.items():
        name, duckdb_type = columns[col]
        column = exp.column(name, quoted=True)
        if decision.action == "mask" and decision.method is not None:
            value = mask_expression(column, decision.method, table=table, name=col, key=key)
        elif decision.action == "deny":
            value = denied_expression(f"{table}.{name}", decision.policy, duckdb_type)
        else:
            continue
        replace.append(exp.alias_(value, name, quoted=True))
    if not replace and not filters:
        return None
    star = exp.Star(replace=replace) if replace else exp.Star()
    if hashed:
        star.set("except_", [exp.to_identifier(KEY_COLUMN)])
    select = exp.Select(expressions=[star]).from_(lakehouse_table(table))
    if hashed:  # the key, asked for once per query: hashes read it from this one row
        select = select.join(key_subquery(table), join_type="cross")
    if filters:
        select = select.where(exp.and_(*(exp.Paren(this=f.condition.copy()) for f in filters)))
    return select


_plans: LRU[TablePlan] = LRU(512)


def clear_plan_cache() -> None:
    """Forget every cached table plan (tests and benchmarks)."""
    _plans.clear()

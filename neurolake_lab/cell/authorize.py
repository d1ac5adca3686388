"""Stage: may this user make this change? Every SQL write is checked here before it runs.

After ``route`` the lakehouse has read the statement (which table it writes, and how); the
workspace's authorizer (``compliance/authorize.py``) then decides whether the user may write,
alter or drop that table or set the properties it sets. A refusal is audited there and stops the
cell with one error that names the privilege needed; the statements before it stay done.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from neurolake_lab.cell.plan import CellPlan, StatementPlan
    from neurolake_lab.lakehouse.quality import QualityRules
    from neurolake_lab.lakehouse.statements import LakeStatement
    from neurolake_lab.services import Services


def authorize(plan: CellPlan, step: StatementPlan, services: Services) -> None:
    """Refuse a write to the lakehouse the user has no privilege for.

    Quality rules set through table properties are checked like ``set_quality``'s: a rule on
    values hidden from the user would be an oracle on them.
    """
    if not step.writes:
        return
    target = step.target
    assert target is not None
    services.authorizer.require_statement(target, sql=step.sql, audit=plan.audit)
    rules = _quality_rules(target)
    if rules is not None and target.table is not None:
        condition = " AND ".join(f"({c})" for c in rules.checks) or None
        services.authorizer.require_clear(
            target.table, "a quality rule", condition=condition, columns=sorted(rules.columns()),
            audit=plan.audit,
        )  # fmt: skip


def _quality_rules(target: LakeStatement) -> QualityRules | None:
    """The quality rules a statement sets through table properties, if it sets any."""
    from neurolake_lab.lakehouse.quality import PROPERTY, QualityRules
    from neurolake_lab.lakehouse.statements import alter_properties

    props = dict(target.properties)
    if target.kind == "alter" and target.ast is not None:
        for action in target.ast.args.get("actions") or []:
            props.update(alter_properties(action))
    if PROPERTY not in props:
        return None
    return QualityRules.from_properties({PROPERTY: props[PROPERTY]})

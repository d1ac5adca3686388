"""The user's attributes as SQL functions: ``current_user_name()``, ``current_user_<attr>()``.

Row filters read who is asking through these functions (``country = current_user_country()``).
When a query is rewritten they are replaced by the user's values as literals, so a user cannot
change what a row filter sees by redefining a function. ``register_user_functions`` also creates
them as DuckDB macros, for use in the user's own queries.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Final

from sqlglot import exp

if TYPE_CHECKING:
    import duckdb

    from neurolake_lab.compliance.policy.model import Identity, Policy

USER_FUNCTION_PREFIX: Final = "current_user_"
NAME_FUNCTION: Final = "current_user_name"
HAS_ROLE_FUNCTION: Final = "current_user_has_role"
#: Functions that are not attributes.
FIXED_FUNCTIONS: Final = frozenset({NAME_FUNCTION, HAS_ROLE_FUNCTION})


def inline_user_functions(
    condition: exp.Expr, who: Identity, attributes: Iterable[str]
) -> tuple[exp.Expr, list[str]]:
    """A copy of ``condition`` with the user's values in place of ``current_user_*()`` calls.

    Returns:
        The new condition, and warnings for attributes the user lacks (they read as NULL, so a
        comparison with them keeps no row: the filter fails closed).
    """
    warnings: list[str] = []
    known = set(attributes)

    def replace(node: exp.Expr) -> exp.Expr:
        if not isinstance(node, exp.Anonymous):
            return node
        name = node.name.lower()
        if name == NAME_FUNCTION:
            return exp.convert(who.name)
        if name == HAS_ROLE_FUNCTION:
            args = node.expressions
            if len(args) != 1 or not isinstance(args[0], exp.Literal):
                return exp.false()
            return exp.true() if args[0].name in who.roles else exp.false()
        if name.startswith(USER_FUNCTION_PREFIX):
            attribute = name[len(USER_FUNCTION_PREFIX) :]
            if attribute in who.attributes:
                return _literal(who.attributes[attribute])
            if attribute in known:
                warnings.append(
                    f"user {who.name} has no attribute {attribute!r}: "
                    f"{node.name}() is NULL, so rows filtered on it are hidden"
                )
            return exp.Null()
        return node

    return condition.copy().transform(replace, copy=False), warnings


def register_user_functions(con: duckdb.DuckDBPyConnection, policy: Policy, user: str) -> None:
    """Create the user functions as temporary DuckDB macros in ``con``.

    They are ``current_user_name()``, ``current_user_has_role(r)`` and one
    ``current_user_<attr>()`` per attribute the policy knows (NULL when the user lacks it).
    """
    who = policy.identity(user)
    macros = {
        NAME_FUNCTION: ("", exp.convert(who.name).sql("duckdb")),
        HAS_ROLE_FUNCTION: (
            "r",
            f"list_contains({exp.convert(sorted(who.roles)).sql('duckdb')}::VARCHAR[], r)",
        ),
    }
    for attribute in sorted(policy.attribute_names):
        value = who.attributes.get(attribute)
        macros[USER_FUNCTION_PREFIX + attribute] = ("", _literal(value).sql("duckdb"))
    for name, (params, body) in macros.items():
        con.execute(f"CREATE OR REPLACE TEMP MACRO {name}({params}) AS {body}")


def _literal(value: Any) -> exp.Expr:
    if value is None:
        return exp.Null()
    return exp.convert(value)

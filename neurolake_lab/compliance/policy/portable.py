"""Governed SQL for engines other than DuckDB: the masks and denials as portable SQL.

The policy rewrite calls DuckDB macros (``masking``); an engine that has no such macros (Daft, in
``engine.daft_sql``) gets them here as plain SQL with the same results — ``redact``, ``partial``
and ``null`` as CASE expressions, the keyed hash as the engine's ``nl_mask_hash(x, table,
column)`` (MD5 of the same table key, column and text), a denied column's ``error(...)`` as
``nl_denied``, which fails when evaluated.
"""

from __future__ import annotations

from sqlglot import exp

from neurolake_lab.compliance.policy.masking import (
    KEY_ALIAS,
    KEY_COLUMN,
    KEYED_HASH,
    MASK_FUNCTIONS,
    PARTIAL_KEEP,
    PARTIAL_MIN_LENGTH,
    REDACTED,
)
from neurolake_lab.compliance.policy.user_functions import USER_FUNCTION_PREFIX
from neurolake_lab.engine.daft_sql import DENY_UDF, HASH_UDF, Governance, call


def _when_null(value: exp.Expr, otherwise: exp.Expr) -> exp.Expr:
    null = exp.Is(this=value.copy(), expression=exp.Null())
    return exp.Case(ifs=[exp.If(this=null, true=exp.Null())], default=otherwise)


def _redact(args: list[exp.Expr]) -> exp.Expr:
    return _when_null(args[0], exp.Literal.string(REDACTED))


def _null(args: list[exp.Expr]) -> exp.Expr:
    return exp.Case(ifs=[exp.If(this=exp.false(), true=args[0])], default=exp.Null())


def _partial(args: list[exp.Expr]) -> exp.Expr:
    """``*`` for all but the last 4 characters of values of 8 or more, else all ``*``."""
    text = exp.cast(args[0].copy(), "VARCHAR")
    # lengths cast to BIGINT: some engines' length is unsigned, and unsigned minus 4 a float
    length = exp.cast(call("length", text), "BIGINT")
    short = call("repeat", exp.Literal.string("*"), length.copy())
    hidden = exp.cast(
        exp.Sub(this=length.copy(), expression=exp.Literal.number(PARTIAL_KEEP)), "BIGINT"
    )
    keep = call(
        "concat",
        call("repeat", exp.Literal.string("*"), hidden),
        call("right", text.copy(), exp.Literal.number(PARTIAL_KEEP)),
    )
    test = exp.LT(this=length.copy(), expression=exp.Literal.number(PARTIAL_MIN_LENGTH))
    return _when_null(args[0], exp.Case(ifs=[exp.If(this=test, true=short)], default=keep))


def _hash(args: list[exp.Expr]) -> exp.Expr:
    """``(value, key or table, column)``: the key subquery's column becomes the table's name."""
    return call(HASH_UDF, *args)


def _deny(args: list[exp.Expr]) -> exp.Expr:
    return call(DENY_UDF, *args)


def portable_governance() -> Governance:
    """The governance constructs of the policy rewrite, as a portable engine runs them."""
    return Governance(
        functions={
            KEYED_HASH: _hash,
            MASK_FUNCTIONS["hash"]: _hash,
            MASK_FUNCTIONS["redact"]: _redact,
            MASK_FUNCTIONS["partial"]: _partial,
            MASK_FUNCTIONS["null"]: _null,
            "error": _deny,
        },
        key_alias=KEY_ALIAS,
        key_column=KEY_COLUMN,
        user_prefix=USER_FUNCTION_PREFIX,
    )

"""Keep personal data out of stored SQL: the audit log records queries, not the values in them.

A literal compared with a PII column (``WHERE email = 'ann@example.com'``), assigned to one
(``UPDATE ... SET phone = '...'``) or inserted into a table that has PII columns (``INSERT ...
VALUES``) is replaced by ``'<redacted>'``. The statement is parsed with sqlglot; when it cannot
be parsed, every literal is redacted (the cautious reading).
"""

from __future__ import annotations

from collections.abc import Set

import sqlglot
from sqlglot import exp

REDACTED = "<redacted>"
_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Like, exp.ILike, exp.In,
                exp.Between, exp.NullSafeEQ, exp.NullSafeNEQ)  # fmt: skip


def redact_sql(sql: str, pii_columns: Set[str], pii_tables: Set[str] = frozenset()) -> str:
    """``sql`` with the literals that could hold personal data replaced by ``'<redacted>'``.

    Args:
        sql: one statement.
        pii_columns: names of PII-tagged columns of the tables the statement touches.
        pii_tables: bare and qualified names of those tables (their INSERTs are redacted whole).
    """
    if not pii_columns:
        return sql
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        return redact_all(sql)
    if tree is None:
        return sql
    columns = {c.lower() for c in pii_columns}
    changed = False
    for node in list(tree.find_all(*_COMPARISONS)):
        if any(c.name.lower() in columns for c in node.find_all(exp.Column)):
            changed |= _blank_literals(node)
    for eq in list(tree.find_all(exp.EQ)):
        target = eq.this
        if isinstance(eq.parent, exp.Update) and isinstance(target, exp.Column):
            changed |= target.name.lower() in columns and _blank_literals(eq.expression)
    if isinstance(tree, exp.Insert | exp.Create):
        # rows written to a table with PII columns: their literal values may be personal data
        target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
        names = {target.name.lower(), f"{target.db}.{target.name}".lower()} if target else set()
        if names & {t.lower() for t in pii_tables}:
            for values in tree.find_all(exp.Values):
                changed |= _blank_literals(values)
            for select in tree.find_all(exp.Select):
                for projection in select.expressions:
                    changed |= _blank_literals(projection)
    return tree.sql("duckdb") if changed else sql


def _blank_literals(node: exp.Expr) -> bool:
    found = False
    for literal in list(node.find_all(exp.Literal)):
        literal.replace(exp.Literal.string(REDACTED))
        found = True
    return found


def redact_all(sql: str) -> str:
    """Every string and number literal redacted, found with sqlglot's tokenizer."""
    try:
        tokens = sqlglot.Dialect.get_or_raise("duckdb").tokenize(sql)
    except Exception:  # not even tokenizable: keep nothing of it
        return f"-- {REDACTED} (unreadable statement)"
    from sqlglot.tokenizer_core import TokenType

    out, pos = [], 0
    for tok in tokens:
        if tok.token_type in (TokenType.STRING, TokenType.NUMBER):
            start = tok.start - (1 if tok.token_type == TokenType.STRING else 0)
            end = tok.end + (2 if tok.token_type == TokenType.STRING else 1)
            out.append(sql[pos:start] + f"'{REDACTED}'")
            pos = end
    out.append(sql[pos:])
    return "".join(out)

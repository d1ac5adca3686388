"""Bound parameters: ``:name`` is accepted as a spelling of DuckDB's ``$name``.

The values are always passed to DuckDB as bound parameters, never pasted into the SQL text.
"""

from __future__ import annotations

from functools import lru_cache

_OPEN = {"L_BRACE", "L_BRACKET"}
_CLOSE = {"R_BRACE", "R_BRACKET"}


@lru_cache(maxsize=256)
def colon_to_dollar(sql: str) -> str:
    """Rewrite ``:name`` placeholders to ``$name``; casts, strings, slices and structs stay.

    sqlglot's tokenizer tells a placeholder from ``x::int``, ``':c'``, ``l[1:2]`` and
    ``{'a': 1}`` (a colon directly followed by a name, outside brackets and braces).

    >>> colon_to_dollar("SELECT :a, x::INT, ':b', l[i:j] FROM t WHERE k = :key")
    "SELECT $a, x::INT, ':b', l[i:j] FROM t WHERE k = $key"
    """
    if ":" not in sql:
        return sql
    from sqlglot.dialects.duckdb import DuckDB
    from sqlglot.errors import TokenError

    try:
        tokens = DuckDB().tokenizer().tokenize(sql)
    except TokenError:
        return sql  # let DuckDB report the syntax error on the original text
    depth = 0
    cuts: list[int] = []
    for tok, nxt in zip(tokens, [*tokens[1:], None], strict=True):
        kind = tok.token_type.name
        if kind in _OPEN:
            depth += 1
        elif kind in _CLOSE:
            depth = max(0, depth - 1)
        elif (
            kind == "COLON"
            and depth == 0
            and nxt is not None
            and nxt.start == tok.end + 1
            and (nxt.text[:1].isalpha() or nxt.text[:1] == "_")
        ):
            cuts.append(tok.start)
    if not cuts:
        return sql
    out = list(sql)
    for pos in cuts:
        out[pos] = "$"
    return "".join(out)

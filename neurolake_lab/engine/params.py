"""Bound parameters: ``:name`` is accepted as a spelling of DuckDB's ``$name``.

The values are always passed to DuckDB as bound parameters, never pasted into the SQL text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence, Set
from functools import lru_cache
from typing import Any

from neurolake_lab.exceptions import QueryError

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


_MISSING = object()

#: Bound values as DuckDB takes them: by name, by position, or none.
Bound = dict[str, Any] | Sequence[Any] | None

#: Values given for a statement's placeholders: a mapping for ``$name``, a sequence for ``?``.
Params = Mapping[str, Any] | Sequence[Any] | None


def bind(names: Set[str], params: Params, namespace: Mapping[str, Any]) -> Bound:
    """The values of one statement's placeholders: given ``params`` first, then ``namespace``.

    Raises:
        QueryError: a ``$name`` has no value in either.
    """
    if params is not None and not isinstance(params, Mapping):
        return params
    if not names:
        return None
    values: dict[str, Any] = {}
    for name in names:
        value = params.get(name, _MISSING) if params is not None else _MISSING
        if value is _MISSING:
            value = namespace.get(name, _MISSING)
        if value is _MISSING:
            raise QueryError(
                f"parameter ${name} has no value: define a variable {name!r} or pass params",
                kind="parameter",
            )
        values[name] = value
    return values


def parameter_lookup(params: Params, namespace: Mapping[str, Any]) -> Callable[[str], Any]:
    """Looks up ``$name`` the way statements bind it: given params first, then the namespace."""

    def value(name: str) -> Any:
        found = bind({name}, params if isinstance(params, Mapping) else None, namespace)
        return found[name] if isinstance(found, dict) else None

    return value

"""Keep personal data out of stored and shown SQL: one redaction for every place SQL text goes.

The audit log, the snapshot summaries in a table's metadata files (``neurolake.sql``), the
history ``%snapshots`` shows and the erasure records all keep SQL for people to read later; any
literal in it may be personal data (``WHERE contains(notes, 'ann@example.com')``,
``INSERT ... VALUES``, ``SET phone = '...'``, a ``CASE`` branch, a comment). So every string
literal, wherever it stands, becomes ``'<redacted>'``, and so does every number long enough to
identify someone (five digits or more: phone, card, account and id numbers) except where a number
is structure (``LIMIT``, ``OFFSET``, ``SAMPLE``, ``... AS OF <snapshot>``); comments are dropped.

It works on sqlglot's tokens, not the parse tree: tokens cover every literal of a statement, also
of one sqlglot cannot parse, and tokenizing costs a fraction of parsing (every audited statement
goes through here). Error messages stored with a failed statement quote the values that failed
(``could not convert string '...'``): ``redact_message`` takes those out.
"""

from __future__ import annotations

import re
from functools import lru_cache

import sqlglot
from sqlglot.tokenizer_core import TokenType

REDACTED = "<redacted>"
_QUOTED = f"'{REDACTED}'"
#: Token types that hold a literal string of any spelling ('...', E'...', $$...$$, N'...').
_STRING_TYPES = ("STRING", "BYTE_STRING", "HEREDOC_STRING", "NATIONAL_STRING", "RAW_STRING",
                 "HEX_STRING", "BIT_STRING", "UNICODE_STRING")  # fmt: skip
_STRINGS = frozenset(getattr(TokenType, n) for n in _STRING_TYPES if hasattr(TokenType, n))
#: Shorter numbers (counts, years, small ids) say nothing about a person.
_MIN_DIGITS = 5
#: Words after which a number is part of the statement's structure, not data.
_STRUCTURAL = frozenset({"LIMIT", "OFFSET", "SAMPLE", "TABLESAMPLE", "OF", "TOP", "FETCH"})


@lru_cache(maxsize=1024)
def redact(sql: str) -> str:
    """``sql`` (any number of statements, or a fragment such as a condition) without literals.

    Text that cannot even be tokenized is kept as a placeholder only.
    """
    try:
        tokens = sqlglot.Dialect.get_or_raise("duckdb").tokenize(sql)
    except Exception:  # sqlglot's TokenError: keep nothing of it
        return f"-- {REDACTED} (unreadable statement)"
    out: list[str] = []
    pos = 0
    previous = ""
    for tok in tokens:
        out.append(_gap(sql[pos : tok.start]))
        text = sql[tok.start : tok.end + 1]
        if tok.token_type in _STRINGS or (
            tok.token_type == TokenType.NUMBER and _identifying(tok.text, previous)
        ):
            text = _QUOTED
        out.append(text)
        pos = tok.end + 1
        previous = tok.text.upper()
    out.append(_gap(sql[pos:]))
    return "".join(out).strip()


_QUOTED_IN_TEXT = re.compile(r"'(?:[^']|'')*'|\b\d[\d .-]{3,}\d\b")


def redact_message(text: str) -> str:
    """An error message without the values it quotes (``could not convert string '...'``)."""
    return _QUOTED_IN_TEXT.sub(_QUOTED, text)


def _gap(text: str) -> str:
    """What stood between two tokens: white space, or comments (dropped, they may hold anything)."""
    if "--" in text or "/*" in text:
        return " "
    return text


def _identifying(number: str, previous: str) -> bool:
    digits = sum(ch.isdigit() for ch in number)
    return digits >= _MIN_DIGITS and previous not in _STRUCTURAL

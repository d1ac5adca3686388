"""Find the SQL query in a language model's reply.

Models answer in many shapes: a fenced ```` ```sql ```` block, plain SQL, SQL after a sentence of
prose, SQL followed by an explanation, a ``<think>`` block first (reasoning models served by vLLM
or Ollama). :func:`extract_sql` takes the query out of all of them and says clearly when there is
none. It does not judge whether the SQL is valid or allowed: validation (sqlglot, ``EXPLAIN``) and
policies come after it.
"""

from __future__ import annotations

import re

from neurolake_lab.exceptions import LLMOutputError

#: Statement keywords a query can start with (DuckDB's ``FROM``-first form included).
_KEYWORDS_TEXT = "SELECT WITH FROM INSERT UPDATE DELETE CREATE MERGE EXPLAIN DESCRIBE SHOW"
KEYWORDS = (*_KEYWORDS_TEXT.split(), "SUMMARIZE", "PIVOT", "UNPIVOT", "VALUES")
#: Fence languages that mean SQL.
_LANGUAGES_TEXT = "sql duckdb postgresql postgres psql pgsql mysql sqlite tsql plsql ansi sparksql"
SQL_LANGUAGES = frozenset(_LANGUAGES_TEXT.split())

_THINK = re.compile(r"<think>.*?(?:</think>|\Z)", re.DOTALL | re.IGNORECASE)
_FENCE = re.compile(r"```[ \t]*([\w+#.-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)
_KEYWORD = "|".join(KEYWORDS)
_LINE_START = re.compile(rf"^[ \t]*(?=(?:{_KEYWORD})\b)", re.MULTILINE | re.IGNORECASE)
_INLINE_UPPER = re.compile(rf"(?<![\w.])(?:{_KEYWORD})\b")  # upper case only: prose says "select"
_PARAGRAPH = re.compile(r"\n[ \t]*\n")


def extract_sql(text: str) -> str:
    r"""The SQL query in an LLM reply, without fences, prose or a trailing semicolon.

    Fenced blocks win: the first ``sql``-tagged (or untagged, SQL-looking) block. Without fences
    the query starts at a statement keyword (upper-case ones first, so a sentence that begins
    "Select the ..." is not taken for SQL) and ends at its semicolon, a blank line, or the last
    line that still parses.

    Raises:
        LLMOutputError: The reply is empty or has no SQL in it.

    Example:
        >>> extract_sql("Here you go:\n```sql\nSELECT 1;\n```\nIt returns one.")
        'SELECT 1'
        >>> extract_sql("The query is SELECT count(*) FROM t; it counts rows.")
        'SELECT count(*) FROM t'
    """
    if not text or not text.strip():
        raise LLMOutputError("the LLM reply is empty: there is no SQL in it")
    body = _THINK.sub("", text)
    fenced = _from_fences(body)
    if fenced is not None:
        return fenced
    unfenced = _from_prose(body)
    if unfenced is not None:
        return unfenced
    preview = " ".join(body.split())[:160] or " ".join(text.split())[:160]
    raise LLMOutputError(f"the LLM reply contains no SQL query: {preview!r}")


def _from_fences(text: str) -> str | None:
    blocks = [(lang.lower(), code) for lang, code in _FENCE.findall(text)]
    for lang, code in blocks:
        if lang in SQL_LANGUAGES and code.strip():
            return _tidy(code)
    for lang, code in blocks:
        if lang in ("", "text", "txt") and _LINE_START.search(code):
            return _tidy(code)
    return None


def _from_prose(text: str) -> str | None:
    line_starts = [m.end() for m in _LINE_START.finditer(text)]
    starts = [m.start() for m in _INLINE_UPPER.finditer(text)]
    starts += [s for s in line_starts if s not in starts]
    fallback: str | None = None
    for start in starts:
        segment = _first_statement(text[start:])
        lines = segment.splitlines()
        for end in range(len(lines), 0, -1):
            candidate = _tidy("\n".join(lines[:end]))
            if candidate and _parses(candidate):
                return candidate
        if fallback is None and start in line_starts and _tidy(segment):
            fallback = _tidy(segment)
    # Nothing parses: a statement that begins a line was meant as SQL; hand it back so that
    # validation reports the real syntax error (and a repair loop can send it back) instead of
    # "no SQL". A keyword inside a sentence ("I can't write a SELECT for that") is not SQL.
    return fallback


def _first_statement(text: str) -> str:
    """``text`` up to the first semicolon outside quotes and comments, else the first paragraph.

    A hand-written scan because sqlglot's tokenizer fails on the prose that may follow (an
    apostrophe opens a string that never closes).
    """
    quote: str | None = None
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "`":
            return text[:i]  # inline code: `SELECT ...`
        elif text.startswith("--", i):
            newline = text.find("\n", i)
            i = len(text) if newline < 0 else newline
            continue
        elif ch == ";" or _PARAGRAPH.match(text, i):
            return text[:i]
        i += 1
    return text


def _tidy(sql: str) -> str:
    return sql.strip().rstrip(";").strip()


def _parses(sql: str) -> bool:
    """Whether sqlglot reads ``sql`` as exactly one statement (DuckDB dialect)."""
    import sqlglot
    from sqlglot.errors import SqlglotError

    try:
        statements = sqlglot.parse(sql, read="duckdb")
    except SqlglotError:
        return False
    return len([s for s in statements if s is not None]) == 1

"""The masking functions, as DuckDB macros, and the salt the hash is keyed with.

Masking runs inside DuckDB, vectorised: ``nl_mask_hash`` (a keyed MD5: equal values give equal
pseudonyms, so joins and counts of distinct values still work), ``nl_mask_redact`` (a constant),
``nl_mask_partial`` (only the last 4 characters, for values of 8 characters or more) and
``nl_mask_null`` (NULL of the column's own type). NULL stays NULL under every method.

The salt is kept in a temporary table rather than as a literal in the macro: a literal would show
in ``EXPLAIN`` output and in ``duckdb_functions()``, and whoever knows the salt can hash guesses
and compare. ``nl_mask_hash(x)`` reads it through a scalar subquery; a governed subquery instead
joins the one-row table once and calls ``nl_mask_hash_salted(x, salt)``, which DuckDB plans
better (an unused masked column then costs nothing). Governed SQL may not name the salt table or
call the masking functions (see ``guard``), so the salt stays out of its reach.

Example:
    >>> import duckdb
    >>> con = duckdb.connect()
    >>> register_masking_functions(con, "s" * 32)
    >>> con.sql("SELECT nl_mask_partial('4111111111111111'), nl_mask_redact(42)").fetchone()
    ('************1111', '[REDACTED]')
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Final

from sqlglot import exp
from sqlglot.errors import SqlglotError

from neurolake_lab.compliance.policy.errors import PolicyError
from neurolake_lab.keyfiles import key_file, read_secret

if TYPE_CHECKING:
    import duckdb

#: Masking method → the DuckDB function the rewrite calls.
MASK_FUNCTIONS: Final = {
    "hash": "nl_mask_hash",
    "redact": "nl_mask_redact",
    "partial": "nl_mask_partial",
    "null": "nl_mask_null",
}
#: The hash given the salt as an argument (what governed subqueries call: see ``plans``).
SALTED_HASH: Final = "nl_mask_hash_salted"
#: The temporary table that holds the salt.
SALT_TABLE: Final = "__nl_mask_salt"
#: Its one column, and the alias a governed subquery joins it under.
SALT_COLUMN: Final = "__nl_salt"
SALT_ALIAS: Final = "__nl_k"
#: What ``redact`` shows instead of a value.
REDACTED: Final = "[REDACTED]"
#: ``partial`` shows the last this many characters ...
PARTIAL_KEEP: Final = 4
#: ... of values at least this long (shorter ones would show too much of themselves).
PARTIAL_MIN_LENGTH: Final = 8

SALT_ENV: Final = "NEUROLAKE_MASK_SALT"
MIN_SALT_CHARS: Final = 16

_S = "CAST(x AS VARCHAR)"
_MACROS: Final = {
    "nl_mask_hash": f"md5((SELECT {SALT_COLUMN} FROM temp.main.{SALT_TABLE}) || {_S})",
    "nl_mask_redact": f"CASE WHEN x IS NULL THEN NULL ELSE '{REDACTED}' END",
    "nl_mask_partial": (
        f"CASE WHEN x IS NULL THEN NULL WHEN length({_S}) < {PARTIAL_MIN_LENGTH} "
        f"THEN repeat('*', length({_S})) "
        f"ELSE repeat('*', length({_S}) - {PARTIAL_KEEP}) || right({_S}, {PARTIAL_KEEP}) END"
    ),
    "nl_mask_null": "CASE WHEN false THEN x END",
}


def register_masking_functions(con: duckdb.DuckDBPyConnection, salt: str | bytes) -> None:
    """Create the masking macros and the salt table in ``con`` (temporary: this connection only).

    Call it once per connection, and again to change the salt. The hash of a value is stable for
    a given salt and differs between salts.

    Raises:
        PolicyError: The salt is shorter than 16 characters.
    """
    text = salt.hex() if isinstance(salt, bytes) else str(salt)
    if len(text) < MIN_SALT_CHARS:
        raise PolicyError(
            f"the masking salt is too short: use at least {MIN_SALT_CHARS} characters"
        )
    con.execute(f"CREATE OR REPLACE TEMP TABLE {SALT_TABLE} ({SALT_COLUMN} VARCHAR)")
    con.execute(f"INSERT INTO temp.main.{SALT_TABLE} VALUES (?)", [text + "\x1f"])
    for name, body in _MACROS.items():
        con.execute(f"CREATE OR REPLACE TEMP MACRO {name}(x) AS {body}")
    con.execute(f"CREATE OR REPLACE TEMP MACRO {SALTED_HASH}(x, salt) AS md5(salt || {_S})")


def mask_expression(column: exp.Expr, method: str, *, salted: bool = False) -> exp.Expr:
    """``column`` masked with ``method`` (a call of the method's macro).

    ``salted``: the salt table is joined as ``SALT_ALIAS`` where the expression stands, so the
    hash reads the salt from it instead of through a scalar subquery of its own.
    """
    if salted and method == "hash":
        salt = exp.column(SALT_COLUMN, table=SALT_ALIAS)
        return exp.Anonymous(this=SALTED_HASH, expressions=[column, salt])
    return exp.Anonymous(this=MASK_FUNCTIONS[method], expressions=[column])


def denial_message(column: str, policy: str) -> str:
    """The error a query that needs a denied column gets (``ns.t.col``, the deciding policy)."""
    return f'column {column} is denied by policy "{policy}"'


#: Finds ``denial_message`` in a DuckDB error, for queries that reached a denied column at run
#: time (the static check is conservative, this is the backstop).
DENIAL_PATTERN: Final = re.compile(
    r'column (?P<column>\S+) is denied by policy "(?P<policy>[^"]*)"'
)


def denied_expression(column: str, policy: str, duckdb_type: str) -> exp.Expr:
    """What a denied column reads as: an error raised only if a query evaluates it.

    DuckDB drops projections nobody uses, so a query that does not need the column runs; one
    that does fails with ``denial_message``. The cast keeps the column's type for binding.
    """
    raised = exp.Anonymous(
        this="error", expressions=[exp.Literal.string(denial_message(column, policy))]
    )
    return exp.Cast(this=raised, to=_data_type(duckdb_type))


def _data_type(duckdb_type: str) -> exp.DataType:
    try:
        return exp.DataType.build(duckdb_type, dialect="duckdb")
    except (SqlglotError, ValueError):
        return exp.DataType.build("VARCHAR")


def salt_path(workspace: Path) -> Path:
    """Where a workspace keeps its masking salt (beside the audit key, outside ``audit/``)."""
    return key_file(workspace, "mask.salt")


def workspace_salt(workspace: str | os.PathLike[str]) -> str:
    """The workspace's masking salt, the same for every kernel so pseudonyms agree.

    ``$NEUROLAKE_MASK_SALT`` when set, else ``keys/mask.salt`` (created on first use, 64 hex
    characters, mode 0600).

    Raises:
        PolicyError: The variable is too short, or the file cannot be read or created.
    """
    env = os.environ.get(SALT_ENV)
    if env:
        if len(env) < MIN_SALT_CHARS:
            raise PolicyError(f"{SALT_ENV} is too short: use at least {MIN_SALT_CHARS} characters")
        return env
    text = read_secret(
        salt_path(Path(workspace)), create=True, what="masking salt", error=PolicyError
    )
    assert text is not None
    return text

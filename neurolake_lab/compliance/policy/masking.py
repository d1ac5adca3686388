"""The masking functions, and the per-column keys the hash is keyed with.

Masking runs inside DuckDB, vectorised: ``hash`` (a keyed MD5: equal values of one column give
equal pseudonyms, so counts of distinct values and GROUP BY still work), ``redact`` (a constant),
``partial`` (only the last 4 characters, for values of 8 characters or more) and ``null`` (NULL
of the column's own type). NULL stays NULL under every method.

The hash resists dictionaries and joins (docs/policies.md, "What the masks protect"):

* **Keyed per column.** A pseudonym is ``md5(k ‖ column ‖ 0x1F ‖ value)`` where ``k`` is the
  table's key, an HMAC-SHA256 of the workspace's secret and the table's name
  (``retail.customers``): each column of each table has its own keyed hash. A pseudonym of one
  column never equals a pseudonym of the same value in another column or table, so a table of
  guessed values (dates of birth, phone numbers) that a user creates and sees masked cannot be
  joined to the real column.
* **Keys out of SQL's reach.** The secret stays in Python: ``nl_mask_key(table)`` is a Python
  function registered on the connection, not a table or a literal that a statement, ``EXPLAIN``
  or ``duckdb_functions()`` could show (it has side effects as far as DuckDB knows, so the
  optimizer never folds a key into a plan). Governed SQL may not call it (``guard``); the rewrite
  calls it once per query, in a one-row subquery joined to the table (:data:`KEY_ALIAS`).
* **Built-ins by their full name.** Every function a mask calls is ``system.main.<name>``, so no
  user macro can change what a mask computes (``engine.system_functions``).

Example:
    >>> import duckdb
    >>> con = duckdb.connect()
    >>> register_masking_functions(con, "s" * 32)
    >>> con.sql("SELECT nl_mask_partial('4111111111111111'), nl_mask_redact(42)").fetchone()
    ('************1111', '[REDACTED]')
    >>> a, b, c = con.sql(
    ...     "SELECT nl_mask_hash('x', 'ns.t', 'email'), nl_mask_hash('x', 'ns.other', 'email'), "
    ...     "nl_mask_hash('x', 'ns.t', 'phone')"
    ... ).fetchone()
    >>> len({a, b, c}) == 3 and len(a) == 32
    True
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import weakref
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from sqlglot import exp
from sqlglot.errors import SqlglotError

from neurolake_lab.compliance.policy.errors import PolicyError
from neurolake_lab.engine.system_functions import system_call
from neurolake_lab.keyfiles import key_file, read_secret

if TYPE_CHECKING:
    import duckdb

#: Masking method → the macro that masks a value (``hash`` takes the table and column too).
MASK_FUNCTIONS: Final = {
    "hash": "nl_mask_hash",
    "redact": "nl_mask_redact",
    "partial": "nl_mask_partial",
    "null": "nl_mask_null",
}
#: The hash given the table's key (what governed subqueries call: see ``plans``).
KEYED_HASH: Final = "nl_mask_hash_keyed"
#: The Python function that gives a table's key; it lives in ``system.main``.
KEY_FUNCTION: Final = "nl_mask_key"
#: The alias of the one-row key subquery a governed subquery joins, and its one column.
KEY_ALIAS: Final = "__nl_k"
KEY_COLUMN: Final = "__nl_key"
#: Functions no governed statement may define or call: the masks and their keys.
RESERVED_PREFIXES: Final = ("nl_mask_",)
#: What ``redact`` shows instead of a value.
REDACTED: Final = "[REDACTED]"
#: ``partial`` shows the last this many characters ...
PARTIAL_KEEP: Final = 4
#: ... of values at least this long (shorter ones would show too much of themselves).
PARTIAL_MIN_LENGTH: Final = 8

SALT_ENV: Final = "NEUROLAKE_MASK_SALT"
MIN_SALT_CHARS: Final = 16

_S = "CAST(x AS VARCHAR)"
_LEN = f"system.main.length({_S})"
_MACROS: Final = {
    KEYED_HASH: (
        "x, k, c",
        "CASE WHEN x IS NULL THEN NULL ELSE "
        f"system.main.md5(system.main.concat(k, system.main.lower(c), system.main.chr(31), {_S}))"
        " END",
    ),
    "nl_mask_hash": ("x, t, c", f"temp.main.{KEYED_HASH}(x, system.main.{KEY_FUNCTION}(t), c)"),
    "nl_mask_redact": ("x", f"CASE WHEN x IS NULL THEN NULL ELSE '{REDACTED}' END"),
    "nl_mask_partial": (
        "x",
        f"CASE WHEN x IS NULL THEN NULL WHEN {_LEN} < {PARTIAL_MIN_LENGTH} "
        f"THEN system.main.repeat('*', {_LEN}) "
        f"ELSE system.main.concat(system.main.repeat('*', system.main.subtract({_LEN}, "
        f"{PARTIAL_KEEP})), system.main.right({_S}, {PARTIAL_KEEP})) END",
    ),
    "nl_mask_null": ("x", "CASE WHEN false THEN x END"),
}


def table_key(secret: str, table: str) -> str:
    """The key of one table's pseudonyms: HMAC-SHA256 of its lower-cased name (``ns.t``)."""
    message = b"neurolake mask key\x00" + table.strip().lower().encode("utf-8")
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def register_masking_functions(con: duckdb.DuckDBPyConnection, salt: str | bytes) -> None:
    """Create the masking macros and the key function in ``con`` (this connection only).

    Call it once per connection, and again to change the secret. A column's pseudonym of a
    value is stable for a given secret and differs between secrets and between columns.

    Raises:
        PolicyError: The secret is shorter than 16 characters.
    """
    text = salt.hex() if isinstance(salt, bytes) else str(salt)
    if len(text) < MIN_SALT_CHARS:
        raise PolicyError(
            f"the masking salt is too short: use at least {MIN_SALT_CHARS} characters"
        )
    holder = _secrets.get(con)
    if holder is None:  # first time on this connection: register the key function
        holder = _secrets[con] = {}
        _register_key_function(con, holder)
    holder.clear()
    holder["secret"] = text
    for name, (params, body) in _MACROS.items():
        con.execute(f"CREATE OR REPLACE TEMP MACRO {name}({params}) AS {body}")


#: Connection → its current secret, read by the connection's key function.
_secrets: weakref.WeakKeyDictionary[Any, dict[str, str]] = weakref.WeakKeyDictionary()


def _register_key_function(con: duckdb.DuckDBPyConnection, holder: dict[str, str]) -> None:
    """``system.main.nl_mask_key(table)``: the table's key, computed in Python.

    The secret stays in this closure (``holder``, which a new registration updates): no table,
    literal or setting in DuckDB ever holds it.
    """
    import pyarrow as pa
    from duckdb import sqltypes
    from duckdb.func import PythonUDFType

    @lru_cache(maxsize=4096)
    def key(secret: str, table: str) -> str:
        return table_key(secret, table)

    def keys(tables: Any) -> Any:  # pyarrow arrays (DuckDB reads these hints at runtime)
        secret = holder["secret"]
        values = [None if t is None else key(secret, t) for t in tables.to_pylist()]
        return pa.array(values, pa.string())

    con.create_function(
        KEY_FUNCTION, keys, [sqltypes.VARCHAR], sqltypes.VARCHAR, type=PythonUDFType.ARROW,
        side_effects=True,
    )  # fmt: skip


def mask_expression(
    column: exp.Expr, method: str, *, table: str, name: str, key: exp.Expr | None = None
) -> exp.Expr:
    """``column`` masked with ``method`` (a call of the method's macro, by its full name).

    ``table`` (``ns.t``) and the column's ``name`` key the hash; ``key`` is the expression that
    holds the table's key where the mask stands (the joined key subquery's column) — without
    it the hash asks for its key itself, once per row batch.
    """
    if method == "hash":
        column_name = exp.Literal.string(name.lower())
        if key is not None:
            return _temp_call(KEYED_HASH, column, key, column_name)
        return _temp_call(
            MASK_FUNCTIONS["hash"], column, exp.Literal.string(table.lower()), column_name
        )
    return _temp_call(MASK_FUNCTIONS[method], column)


def key_subquery(table: str) -> exp.Subquery:
    """``(SELECT system.main.nl_mask_key('ns.t') AS __nl_key) AS __nl_k``: the table's key."""
    select = exp.Select(
        expressions=[
            exp.alias_(system_call(KEY_FUNCTION, exp.Literal.string(table.lower())), KEY_COLUMN)
        ]
    )
    return exp.Subquery(this=select, alias=exp.TableAlias(this=exp.to_identifier(KEY_ALIAS)))


def _temp_call(name: str, *args: exp.Expr) -> exp.Expr:
    """``temp.main.<macro>(args)``: the session's masking macros, by their full name."""
    call = exp.Anonymous(this=name, expressions=list(args))
    return exp.Dot.build([exp.to_identifier("temp"), exp.to_identifier("main"), call])


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
    raised = system_call("error", exp.Literal.string(denial_message(column, policy)))
    return exp.Cast(this=raised, to=_data_type(duckdb_type))


def _data_type(duckdb_type: str) -> exp.DataType:
    try:
        return exp.DataType.build(duckdb_type, dialect="duckdb")
    except (SqlglotError, ValueError):
        return exp.DataType.build("VARCHAR")


def salt_path(workspace: Path) -> Path:
    """Where a workspace keeps its masking secret (beside the audit key, outside ``audit/``)."""
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

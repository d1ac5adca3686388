"""The cache key of a query: normalized SQL + the snapshot of every input + the policy context.

A result may be reused only when everything it was computed from is the same: the statement
(normalized: comments, layout and identifier case do not matter), each Iceberg table it reads at
the same snapshot, the values bound to its parameters, the session's time zone, and the policy
context the caller passes (the masks and row filters applied for this user), so a masked and an
unmasked result never share an entry. A query whose inputs cannot be versioned (a session table,
a DataFrame, a file read by a table function) or whose result changes on its own (``random()``,
``now()``, ``current_date``) gets no key, with the reason.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from neurolake_lab.cost.estimate import normalized_sql, parse
from neurolake_lab.cost.sources import Source, query_sources

if TYPE_CHECKING:
    from neurolake_lab.context import QueryContext

#: functions whose value changes between calls with the same arguments
VOLATILE_FUNCTIONS = frozenset(
    {"random", "rand", "uuid", "gen_random_uuid", "uuidv4", "uuidv7", "now",
     "current_timestamp", "current_date", "current_time", "get_current_timestamp",
     "get_current_time", "today", "transaction_timestamp", "localtimestamp", "localtime",
     "nextval", "currval", "setseed", "random_uuid", "current_setting", "epoch_ms_now"}
)  # fmt: skip
_VOLATILE_NODES: tuple[type[exp.Expr], ...] = (
    exp.Rand, exp.CurrentDate, exp.CurrentTimestamp, exp.CurrentTime, exp.CurrentDatetime,
    exp.Uuid,
)  # fmt: skip


@dataclass(frozen=True)
class CacheKey:
    """A cacheable query's key: ``digest`` names the entry; ``inputs`` say what it depends on."""

    digest: str
    #: (table, snapshot id) of every Iceberg input read at its current snapshot (the ones a
    #: commit makes stale; inputs read at a snapshot the SQL names are only in the digest)
    inputs: tuple[tuple[str, int | None], ...]


@dataclass(frozen=True)
class NotCacheable:
    """Why a query's result must not be cached."""

    reason: str


@dataclass(frozen=True)
class _Reading:
    """What a cell's text says, given the tables as they are: the part of a key worth keeping."""

    normalized: str
    sources: tuple[Source, ...]
    named_parameters: frozenset[str]


_MEMO_SIZE = 256


def cache_key(
    ctx: QueryContext,
    sql: str,
    *,
    policy_context: str,
    params: Mapping[str, Any] | Sequence[Any] | None = None,
    namespace: Mapping[str, Any] | None = None,
    tree: exp.Expr | None = None,
) -> CacheKey | NotCacheable:
    """The key of the cell ``sql`` as the session of ``ctx`` would run it now, or why not.

    Reading the text (split, parse, normalize, find the inputs) depends only on the text, the
    snippets and the catalog's pointers, so it is kept per session for those (the per-cell
    budget in docs/architecture.md): a re-run cell costs a catalog check, a lookup and a hash.
    """
    from neurolake_lab.engine.params import bind
    from neurolake_lab.exceptions import NeuroLakeError

    lake = ctx.lakehouse
    ctx.refresh()
    memo: OrderedDict[tuple[Any, ...], _Reading | NotCacheable] = ctx.memo.setdefault(
        "cache_key", OrderedDict()
    )
    mkey = (
        sql, tuple(sorted(ctx.snippets.items())), tuple(sorted(lake.pointers.items())),
        frozenset(lake.shadowed),
    )  # fmt: skip
    reading = memo.get(mkey)
    if reading is None:
        reading = _read(ctx, sql, tree)
        memo[mkey] = reading
        while len(memo) > _MEMO_SIZE:
            memo.popitem(last=False)
    else:
        memo.move_to_end(mkey)
    if isinstance(reading, NotCacheable):
        return reading
    try:
        bound = bind(reading.named_parameters, params, namespace or {})
    except NeuroLakeError as err:
        return NotCacheable(err.message)
    values = _parameter_text(bound)
    if values is None:
        return NotCacheable("a parameter value is not a plain value")
    tz = ctx.engine.con.execute("SELECT current_setting('TimeZone')").fetchone()
    return make_key(reading.normalized, reading.sources, values, policy_context, str(tz))


def _read(ctx: QueryContext, sql: str, tree: exp.Expr | None) -> _Reading | NotCacheable:
    from neurolake_lab import snippets as snippet_mod
    from neurolake_lab.engine.params import colon_to_dollar
    from neurolake_lab.exceptions import NeuroLakeError
    from neurolake_lab.lakehouse.dialect import split_cell
    from neurolake_lab.lakehouse.time_travel import has_time_travel

    lake = ctx.lakehouse
    original = text = colon_to_dollar(sql)
    travel = has_time_travel(text)
    try:
        if travel:
            text = lake.rewrite_time_travel(text)
            tree = None  # the tree given was of the text before the rewrite
        statements = split_cell(ctx.engine, text)
    except NeuroLakeError as err:
        return NotCacheable(f"the cell cannot be read: {err.message}")
    if len(statements) != 1 or statements[0].type != "SELECT":
        return NotCacheable("only a cell of one query (SELECT) is cached")
    stmt = statements[0]
    query = snippet_mod.compose(stmt.query.strip(), ctx.snippets)
    if query != stmt.query.strip():
        tree = None
    tree = tree if tree is not None else parse(query)
    if tree is None:
        return NotCacheable("the query could not be parsed to find its inputs")
    volatile = _volatile(tree)
    if volatile:
        return NotCacheable(f"{volatile}() gives a different value on every run")
    sources = query_sources(tree, lake)
    for src in sources:
        if not src.versioned:
            what = "a table function" if src.kind == "function" else "a session table or DataFrame"
            return NotCacheable(f"{src.name} is {what}, whose content has no snapshot")
    # time travel is rewritten to a scan of the current metadata file, whose name changes with
    # every commit; the text as written (and the pinned snapshots in ``sources``) is the key
    normalized = " ".join(original.split()) if travel else normalized_sql(tree, query)
    return _Reading(normalized, tuple(sources), frozenset(stmt.named_parameters))


def make_key(
    normalized: str, sources: Sequence[Source], parameters: str, policy_context: str, extra: str
) -> CacheKey:
    """The key of a normalized statement over ``sources`` (pure: for tests and other callers)."""
    inputs = tuple(
        sorted((s.name, s.snapshot_id) for s in sources if s.kind == "iceberg" and not s.pinned)
    )
    # a pinned input (time travel) names its snapshot in the SQL: it never goes stale
    pinned = sorted((s.name, s.snapshot_id) for s in sources if s.kind == "iceberg" and s.pinned)
    h = hashlib.sha256()
    for part in (normalized, repr(inputs), repr(pinned), parameters, policy_context, extra):
        h.update(part.encode())
        h.update(b"\x00")
    return CacheKey(h.hexdigest(), inputs)


def _volatile(tree: exp.Expr) -> str | None:
    for node in tree.find_all(exp.Func):
        if isinstance(node, _VOLATILE_NODES):
            return node.sql_name().lower()
        name = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()
        if name in VOLATILE_FUNCTIONS:
            return name
    return None


_PLAIN = (str, int, float, bool, bytes, type(None))


def _parameter_text(bound: Mapping[str, Any] | Sequence[Any] | None) -> str | None:
    """Parameter values as text for the key; ``None`` when one is not a plain value."""
    import datetime as dt
    from decimal import Decimal

    plain = (*_PLAIN, Decimal, dt.date, dt.datetime, dt.time, dt.timedelta)
    if bound is None:
        return ""
    items = sorted(bound.items()) if isinstance(bound, Mapping) else list(enumerate(bound))
    for _, value in items:
        if not isinstance(value, plain):
            return None
    return repr([(k, type(v).__name__, v) for k, v in items])

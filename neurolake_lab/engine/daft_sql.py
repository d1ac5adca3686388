"""Governed DuckDB SQL → SQL that Daft runs with the same meaning, or one error naming why not.

The cell pipeline governs a statement in DuckDB's dialect: masks are calls of DuckDB macros (by
their full names, ``temp.main.nl_mask_*`` and ``system.main.*``), a governed table is a subquery
that joins its key subquery and uses ``* EXCLUDE/REPLACE``, row filters call the
``current_user_*`` macros, time travel is an ``iceberg_scan`` call. This module rewrites that tree
(sqlglot) into what Daft's SQL understands, keeping every governed part:

* lakehouse tables and ``iceberg_scan`` calls become named Daft frames (:class:`Scan`), each
  reading one Iceberg table at one snapshot;
* the key join goes; ``nl_mask_hash_keyed(x, key, 'col')`` becomes the engine's
  ``nl_mask_hash(x, 'ns.t', 'col')`` (keyed with the same table key, computed in the engine's
  process), the other masks their CASE expressions, ``error(...)`` (a denied column) a function
  that fails when it is evaluated, as DuckDB's does; ``system.main.f(...)`` is ``f(...)``;
* ``* EXCLUDE/REPLACE`` is spelled out from the table's columns; ``current_user_*()`` become the
  values the session's DuckDB gives them; ``a || b`` becomes ``concat``; ``SUBSTRING`` moves to
  Daft's 0-based ``substr``; a ``CASE`` without ``ELSE`` gets ``ELSE NULL``.

Anything else is checked against what Daft is known to run with DuckDB's meaning: functions not
on :data:`FUNCTIONS`, and statements other than queries, are refused with
:class:`~neurolake_lab.engine.backend.UnsupportedByEngine` naming the construct. Nothing is
silently run on DuckDB instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import sqlglot
from sqlglot import exp

from neurolake_lab.engine.backend import UnsupportedByEngine

ENGINE: Final = "Daft"
#: The UDF names the engine registers (a keyed MD5 as DuckDB's mask; a deny that fails).
HASH_UDF: Final = "nl_mask_hash"
DENY_UDF: Final = "nl_denied"

#: Functions whose Daft meaning is DuckDB's (checked by tests/engine/test_daft_sql.py).
FUNCTIONS: Final = frozenset(
    {
        # aggregates (not window functions: Daft 0.7 drops a query's ORDER BY when its select
        # list has a window, a wrong answer; so windows are refused)
        "sum", "avg", "count", "min", "max",
        # numbers, text, dates
        "abs", "round", "ceil", "floor", "sqrt", "coalesce", "upper", "lower", "length",
        "concat", "substr", "repeat", "left", "right", "year", "month", "day",
        # the engine's own
        HASH_UDF, DENY_UDF,
    }
)  # fmt: skip
#: sqlglot node types that are plain SQL both engines read alike.
_PLAIN: Final = (
    exp.Select, exp.From, exp.Join, exp.Where, exp.Group, exp.Having, exp.Order, exp.Ordered,
    exp.Limit, exp.Offset, exp.With, exp.CTE, exp.Subquery, exp.Union, exp.Alias, exp.TableAlias,
    exp.Column, exp.Identifier, exp.Star, exp.Literal, exp.Boolean, exp.Null, exp.Paren,
    exp.Binary, exp.Not, exp.Neg, exp.In, exp.Between, exp.Is, exp.Case, exp.If, exp.Cast,
    exp.DataType, exp.Table, exp.Tuple, exp.Exists, exp.Distinct, exp.Interval,
    exp.Var, exp.Extract, exp.Anonymous, exp.Func, exp.Dot,
)  # fmt: skip
_EXTRACT_UNITS: Final = frozenset({"year", "month", "day"})
#: Qualifiers of the governed SQL's calls (built-ins, and the session's masking macros).
_QUALIFIERS: Final = frozenset({"system.main", "temp.main"})


#: Rewrites a call of one governance function (its arguments) into portable SQL.
Rewrite = Callable[[list[exp.Expr]], exp.Expr]


@dataclass(frozen=True)
class Governance:
    """How the governed SQL's own constructs read on a portable engine.

    The compliance layer knows its masking functions and its key subquery; it gives them here
    (``compliance.policy.portable``), so this engine module depends on no policy code.
    """

    #: governance function (lower case) → its portable rewrite
    functions: Mapping[str, Rewrite]
    #: the alias of the key subquery a governed subquery joins, and its one column
    key_alias: str
    key_column: str
    #: the prefix of the functions that give the user's attributes (``current_user_``)
    user_prefix: str


@dataclass(frozen=True)
class Scan:
    """One Iceberg table at one snapshot, as a named frame of the Daft query."""

    name: str
    metadata_location: str
    snapshot_id: int | None
    columns: tuple[str, ...]


@dataclass
class Translation:
    """Daft SQL and the frames it reads."""

    sql: str
    scans: list[Scan] = field(default_factory=list)


#: Where a table reference points: the metadata location of ``(namespace, name)``, or ``None``
#: when it is not a lakehouse table.
Locate = Callable[[str | None, str], str | None]
#: The columns of the table whose metadata file is given, in order.
Columns = Callable[[str, int | None], Sequence[str]]


def translate(
    sql: str,
    locate: Locate,
    columns: Columns,
    user_value: Callable[[str], Any],
    governance: Governance,
) -> Translation:
    """Rewrite one governed DuckDB statement for Daft.

    Args:
        sql: the statement as the cell pipeline would run it on DuckDB.
        locate: resolves a table reference to its Iceberg metadata file.
        columns: a table's columns (at a snapshot), to spell out ``*``.
        user_value: the value of a ``current_user_*()`` function for this session's user.
        governance: the governance functions and salt table, as the compliance layer spells them.

    Raises:
        UnsupportedByEngine: a construct Daft cannot run with DuckDB's meaning.
    """
    try:
        trees = sqlglot.parse(sql, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise UnsupportedByEngine(ENGINE, f"this statement ({str(exc).splitlines()[0]})") from None
    if len(trees) != 1 or trees[0] is None:
        raise UnsupportedByEngine(ENGINE, "several statements at once")
    tree = trees[0]
    if not isinstance(tree, exp.Query):
        kind = type(tree).__name__.upper()
        raise UnsupportedByEngine(
            ENGINE, f"{kind} statements", hint="writes and DDL run on DuckDB: use --engine duckdb"
        )
    out = Translation("")
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    # tables first (a governed subquery spells out its table's columns), then expressions, then
    # the governed subqueries themselves
    tree = tree.transform(
        lambda n: (
            _table(n, out, locate, columns, ctes, governance) if isinstance(n, exp.Table) else n
        )
    )
    tree = _bottom_up(tree, lambda n: _expression(n, user_value, governance))
    tree = _bottom_up(
        tree,
        lambda n: _governed_select(n, out, columns, governance) if isinstance(n, exp.Select) else n,
    )
    for select in tree.find_all(exp.Select):
        _group_by_all(select)
    _check(tree)
    out.sql = tree.sql(dialect="postgres", normalize_functions="lower")
    return out


def _bottom_up(tree: exp.Expr, fun: Callable[[exp.Expr], exp.Expr]) -> exp.Expr:
    """Apply ``fun`` to every node, children before their parents (so rewrites nest)."""
    for node in reversed(list(tree.walk())):
        new = fun(node)
        if new is not node:
            if node is tree:
                tree = new
            else:
                node.replace(new)
    return tree


def _expression(
    node: exp.Expr, user_value: Callable[[str], Any], governance: Governance
) -> exp.Expr:
    if isinstance(node, exp.Dot) and node.this.sql().lower() in _QUALIFIERS:
        inner: exp.Expr = node.expression  # system.main.f(...), temp.main.nl_mask_*(...)
        return inner
    if isinstance(node, exp.Anonymous | exp.Func) and not isinstance(node, exp.Binary):
        return _function(node, user_value, governance)
    if isinstance(node, exp.DPipe):
        return call("concat", node.this, node.expression)
    if isinstance(node, exp.Case) and node.args.get("default") is None:
        node.set("default", exp.Null())
    return node


def _governed_select(
    node: exp.Select, out: Translation, columns: Columns, governance: Governance
) -> exp.Expr:
    """A governed subquery: drop the key join, spell out ``* EXCLUDE/REPLACE``.

    The hashes read the table's key from the key join; on Daft they name the table instead
    (the engine's ``nl_mask_hash`` computes the same key in its own process).
    """
    joins = node.args.get("joins") or []
    keys = [j for j in joins if _is_key(j.this, governance)]
    if keys:
        node = node.copy()
        node.set(
            "joins",
            [j for j in node.args.get("joins") or [] if not _is_key(j.this, governance)] or None,
        )
        key_table = _key_table(keys[0].this)
        for column in list(node.find_all(exp.Column)):
            if column.name == governance.key_column and column.table == governance.key_alias:
                column.replace(exp.Literal.string(key_table))
    star = next((e for e in node.expressions if isinstance(e, exp.Star)), None)
    if star is None or not (star.args.get("except_") or star.args.get("replace")):
        return node
    source = node.args.get("from_")
    table = source.this if source is not None else None
    if not isinstance(table, exp.Table) or len(node.expressions) != 1:
        raise UnsupportedByEngine(ENGINE, "SELECT * EXCLUDE/REPLACE over anything but one table")
    replaced = {a.alias: a.this for a in star.args.get("replace") or []}
    excluded = {c.name for c in star.args.get("except_") or []} | {governance.key_column}
    names = [
        c for c in columns(_location_of(table, out), _snapshot_of(table, out)) if c not in excluded
    ]
    node = node.copy()
    node.set(
        "expressions",
        [
            exp.alias_(replaced[c], c, quoted=True) if c in replaced else exp.column(c, quoted=True)
            for c in names
        ],
    )
    return node


def _group_by_all(select: exp.Select) -> None:
    """DuckDB's ``GROUP BY ALL``: the select list's expressions that aggregate nothing."""
    group = select.args.get("group")
    if group is None or not group.args.get("all"):
        return
    keys = [
        (e.this if isinstance(e, exp.Alias) else e).copy()
        for e in select.expressions
        if not e.find(exp.AggFunc) and not e.find(exp.Window)
    ]
    select.set("group", exp.Group(expressions=keys) if keys else None)


def _is_key(node: exp.Expr, governance: Governance) -> bool:
    return isinstance(node, exp.Subquery) and node.alias == governance.key_alias


def _key_table(subquery: exp.Expr) -> str:
    """The table whose key the key subquery asks for (its one string literal)."""
    literal = subquery.find(exp.Literal)
    if literal is None or not literal.is_string:
        raise UnsupportedByEngine(ENGINE, "a governed subquery whose key names no table")
    return str(literal.name)


def _table(
    node: exp.Table,
    out: Translation,
    locate: Locate,
    columns: Columns,
    ctes: set[str],
    governance: Governance,
) -> exp.Expr:
    """A lakehouse table (or an ``iceberg_scan`` call) → a frame name; anything else refused."""
    function = node.this
    if isinstance(function, exp.Anonymous | exp.Func):
        return _scancall(node, function, out, columns)
    if not node.args.get("db") and node.name in ctes:
        return node
    location = locate(node.db or None, node.name)
    if location is None:
        shown = f"{node.db}.{node.name}" if node.db else node.name
        raise UnsupportedByEngine(
            ENGINE, f"{shown}: it reads only lakehouse (Iceberg) tables, not session tables or "
            "notebook variables",
        )  # fmt: skip
    return _frame(node, out, location, None, columns)


def _scancall(node: exp.Table, function: exp.Expr, out: Translation, columns: Columns) -> exp.Expr:
    name = function.sql(dialect="duckdb").split("(", 1)[0].strip().lower()
    if name != "iceberg_scan":
        raise UnsupportedByEngine(ENGINE, f"the table function {name}")
    args = function.expressions if isinstance(function, exp.Anonymous) else []
    location = args[0].name if args and isinstance(args[0], exp.Literal) else None
    snapshot = None
    for arg in args[1:]:
        if (
            isinstance(arg, exp.Kwarg | exp.PropertyEQ | exp.EQ)
            and arg.this.name == "snapshot_from_id"
        ):
            snapshot = int(arg.expression.name)
    if location is None:
        raise UnsupportedByEngine(ENGINE, "iceberg_scan without a literal metadata location")
    return _frame(node, out, location, snapshot, columns)


def _frame(
    node: exp.Table, out: Translation, location: str, snapshot: int | None, columns: Columns
) -> exp.Expr:
    scan = next(
        (s for s in out.scans if s.metadata_location == location and s.snapshot_id == snapshot),
        None,
    )
    if scan is None:
        scan = Scan(f"__nl_t{len(out.scans)}", location, snapshot,
                    tuple(columns(location, snapshot)))  # fmt: skip
        out.scans.append(scan)
    alias = node.args.get("alias")
    table = exp.to_table(scan.name)
    table.set("alias", alias.copy() if alias is not None else exp.TableAlias(
        this=exp.to_identifier(node.name if node.name else scan.name)))  # fmt: skip
    return table


def _location_of(table: exp.Table, out: Translation) -> str:
    scan = next((s for s in out.scans if s.name == table.name), None)
    if scan is None:
        raise UnsupportedByEngine(ENGINE, f"SELECT * EXCLUDE/REPLACE over {table.sql()}")
    return str(scan.metadata_location)


def _snapshot_of(table: exp.Table, out: Translation) -> int | None:
    scan = next((s for s in out.scans if s.name == table.name), None)
    return scan.snapshot_id if scan is not None else None


def _function(node: exp.Expr, user_value: Callable[[str], Any], governance: Governance) -> exp.Expr:
    name = node.name.lower() if isinstance(node, exp.Anonymous) else _func_name(node)
    if isinstance(node, exp.Anonymous) and name.startswith(governance.user_prefix):
        return _literal(user_value(f"{node.name}()"))
    rewrite = governance.functions.get(name) if isinstance(node, exp.Anonymous) else None
    if rewrite is not None:
        return rewrite([arg.copy() for arg in node.expressions])
    if isinstance(node, exp.Substring):
        start: exp.Expr = node.args.get("start") or exp.Literal.number(1)
        zero_based: exp.Expr = (
            exp.Literal.number(int(start.name) - 1)
            if isinstance(start, exp.Literal) and start.is_int
            else exp.Sub(this=start, expression=exp.Literal.number(1))
        )
        count = node.args.get("length")
        parts = [node.this, zero_based, *([count] if count is not None else [])]
        return call("substr", *parts)
    return node


def _func_name(node: exp.Expr) -> str:
    """A known function's name, lower case (``SUM`` → ``sum``)."""
    return str(node.sql_name()).lower() if isinstance(node, exp.Func) else node.name.lower()


def call(name: str, *args: exp.Expr) -> exp.Expr:
    """A plain call ``name(args)``, generated as written (no dialect spelling of its own)."""
    return exp.Anonymous(this=name, expressions=list(args))


def _literal(value: Any) -> exp.Expr:
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    if isinstance(value, list | tuple):
        return exp.Array(expressions=[_literal(v) for v in value])
    return exp.Literal.string(str(value))


def _check(tree: exp.Expr) -> None:
    """Refuse the first construct Daft is not known to run with DuckDB's meaning."""
    for node in tree.walk():
        if isinstance(node, exp.Anonymous):
            name = node.name.lower()
        elif isinstance(node, exp.AggFunc | exp.Func) and not isinstance(node, exp.Binary):
            name = _func_name(node)
        else:
            if not isinstance(node, _PLAIN):
                raise UnsupportedByEngine(ENGINE, f"{_shown(node)}")
            continue
        if isinstance(node, exp.Extract):
            unit = node.this.name.lower()
            if unit not in _EXTRACT_UNITS:
                raise UnsupportedByEngine(ENGINE, f"EXTRACT({unit.upper()} FROM ...)")
            continue
        if isinstance(node, exp.Cast | exp.Case | exp.If | exp.Count | exp.Exists | exp.Coalesce):
            continue
        if name not in FUNCTIONS:
            raise UnsupportedByEngine(ENGINE, f"the function {name}()")


def _shown(node: exp.Expr) -> str:
    text = node.sql(dialect="duckdb")
    label = type(node).__name__
    return f"{label} ({text[:60]}{'…' if len(text) > 60 else ''})"

"""What the lineage walk classifies: derivation kinds, masking functions, column dependencies.

``Deps`` is where one column's value comes from (direct sources with their strongest kind, and
the indirect ones: joins, filters, groups...); ``Columns`` is a scope's output columns with the
row-level dependencies that reach all of them. ``scopes.ScopeWalker`` builds them.
"""

from __future__ import annotations

from typing import Final

from sqlglot import exp

IDENTITY: Final = 0
TRANSFORMATION: Final = 1
AGGREGATION: Final = 2
RANK_NAMES: Final = ("IDENTITY", "TRANSFORMATION", "AGGREGATION")

# Functions whose result does not reveal their input: OpenLineage's "masking" examples.
MASKING_FUNCS: Final = tuple(
    getattr(exp, name)
    for name in (
        "MD5",
        "MD5Digest",
        "MD5NumberLower64",
        "MD5NumberUpper64",
        "SHA",
        "SHA1Digest",
        "SHA2",
        "SHA2Digest",
        "StandardHash",
        "CityHash64",
    )
    if hasattr(exp, name)
)
MASKING_AGGS: Final = tuple(
    getattr(exp, name)
    for name in ("Count", "CountIf", "ApproxDistinct", "HashAgg")
    if hasattr(exp, name)
)
# Window functions that take one value from another row of the window: sqlglot makes them
# aggregates, but no value is aggregated, so they are TRANSFORMATION.
NAVIGATION: Final = tuple(
    getattr(exp, name)
    for name in ("Lag", "Lead", "FirstValue", "LastValue", "NthValue")
    if hasattr(exp, name)
)
MASKING_ANONYMOUS: Final = frozenset(
    {"hash", "md5_number", "md5_number_lower", "md5_number_upper", "sha1", "sha256", "sha512"}
    | {"xxhash32", "xxhash64", "murmurhash3_32", "count_star"}
)
# DuckDB aggregates sqlglot parses as ``Anonymous`` (tests/lineage checks this list against
# duckdb_functions(), so a DuckDB upgrade that adds one fails a test instead of going unnoticed).
ANONYMOUS_AGGREGATES: Final = frozenset(
    {
        "arbitrary",
        "arg_max_null",
        "arg_max_nulls_last",
        "arg_min_null",
        "arg_min_nulls_last",
        "bitstring_agg",
        "count_star",
        "entropy",
        "favg",
        "fsum",
        "histogram",
        "histogram_exact",
        "kahan_sum",
        "kurtosis_pop",
        "mad",
        "mean",
        "product",
        "reservoir_quantile",
        "sem",
        "sum_no_overflow",
        "sumkahan",
    }
)
# Nodes that hold no column and no query: nothing to look for below them.
LEAVES: Final = (
    exp.Literal,
    exp.Null,
    exp.Boolean,
    exp.Star,
    exp.DataType,
    exp.Var,
    exp.Identifier,
    exp.Placeholder,
    exp.Parameter,
)
# Nodes that pass their operand's value through unchanged.
PASS_THROUGH: Final = (exp.Alias, exp.Paren, exp.Subquery, exp.Distinct, exp.Ordered)


class Deps:
    """Where one column's value comes from.

    ``direct`` maps a source id to (strongest direct rank, masked on every path); ``indirect``
    maps (source id, indirect kind) to masked on every path.
    """

    __slots__ = ("direct", "indirect")

    def __init__(self) -> None:
        self.direct: dict[str, tuple[int, bool]] = {}
        self.indirect: dict[tuple[str, str], bool] = {}

    def add_direct(self, source: str, rank: int, masked: bool) -> None:
        """Record that the value is derived from ``source`` (keeps the strongest rank)."""
        old = self.direct.get(source)
        if old is None:
            self.direct[source] = (rank, masked)
        else:
            self.direct[source] = (max(old[0], rank), old[1] and masked)

    def add_indirect(self, source: str, kind: str, masked: bool) -> None:
        """Record that ``source`` affects the value as ``kind`` (JOIN, FILTER, ...)."""
        key = (source, kind)
        old = self.indirect.get(key)
        self.indirect[key] = masked if old is None else (old and masked)

    def absorb(self, other: Deps, rank: int = IDENTITY, masked: bool = False) -> None:
        """Compose: this value is computed from ``other``'s at ``rank`` (masked if ``masked``)."""
        for source, (r, m) in other.direct.items():
            self.add_direct(source, r if r > rank else rank, m or masked)
        for (source, kind), m in other.indirect.items():
            self.add_indirect(source, kind, m)

    def absorb_as(self, other: Deps, kind: str) -> None:
        """Everything ``other`` depends on affects this value as ``kind`` (no value flows)."""
        for source, (_, m) in other.direct.items():
            self.add_indirect(source, kind, m)
        for (source, _), m in other.indirect.items():
            self.add_indirect(source, kind, m)


class Columns:
    """A scope's output: column names in order, each with its ``Deps``.

    ``rows`` holds the row-level dependencies (indirect only) that affect all of them.
    """

    __slots__ = ("by_name", "deps", "names", "rows")

    def __init__(self) -> None:
        self.names: list[str] = []
        self.deps: list[Deps] = []
        self.rows = Deps()
        self.by_name: dict[str, Deps] = {}

    def add(self, name: str, deps: Deps) -> None:
        """Append an output column."""
        self.names.append(name)
        self.deps.append(deps)
        self.by_name.setdefault(name, deps)


def star_except(star: exp.Expr) -> set[str]:
    """The column names a ``* EXCLUDE (...)`` leaves out."""
    names: set[str] = set()
    for arg in ("except_", "except", "exclude"):
        value = star.args.get(arg)
        if value:
            names.update(e.name.lower() for e in value)
    return names

"""Quality checks declared on a table and run on every write before it commits.

Rules live in the table property ``neurolake.quality`` (JSON), so every kernel and every tool that
writes through NeuroLake sees the same ones. Checks run in DuckDB over the incoming Arrow data.
A failing write is refused with the offending rows, or — when the table says
``"on_failure": "quarantine"`` — the bad rows go to ``<table>__quarantine`` and the rest commits.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from neurolake_lab.exceptions import LakehouseError

PROPERTY = "neurolake.quality"
_INCOMING = "__nl_incoming"
_EXISTING = "__nl_existing"


@dataclass
class QualityRules:
    """The checks of one table."""

    not_null: list[str] = field(default_factory=list)
    #: each entry is one key: a list of columns whose combined value must be unique in the table
    unique: list[list[str]] = field(default_factory=list)
    accepted_values: dict[str, list[Any]] = field(default_factory=dict)
    #: column → [min, max]; either may be null for an open end
    ranges: dict[str, list[Any]] = field(default_factory=dict)
    #: rows one write may bring: [min, max], either may be null
    rows_per_write: list[int | None] | None = None
    #: SQL predicates every row must satisfy (CHECK constraints); NULL passes, as in SQL
    checks: list[str] = field(default_factory=list)
    on_failure: str = "refuse"

    def __post_init__(self) -> None:
        if self.on_failure not in ("refuse", "quarantine"):
            raise LakehouseError(
                f"on_failure must be 'refuse' or 'quarantine', not {self.on_failure!r}"
            )
        self.unique = [[k] if isinstance(k, str) else list(k) for k in self.unique]

    @property
    def empty(self) -> bool:
        """True when no check is declared."""
        return (
            not (self.not_null or self.unique or self.accepted_values or self.ranges or self.checks)
            and not self.rows_per_write
        )

    def columns(self) -> set[str]:
        """Every column a rule names."""
        cols = set(self.not_null) | set(self.accepted_values) | set(self.ranges)
        return cols | {c for key in self.unique for c in key}

    def to_json(self) -> str:
        """The property value."""
        return json.dumps({k: v for k, v in asdict(self).items() if v}, default=str)

    @classmethod
    def from_properties(cls, properties: dict[str, str]) -> QualityRules:
        """The rules stored in a table's properties (none if there are none)."""
        text = properties.get(PROPERTY)
        if not text:
            return cls()
        try:
            data = json.loads(text)
            return cls(**data)
        except (ValueError, TypeError) as exc:
            raise LakehouseError(f"the table property {PROPERTY} is not valid: {exc}") from None


@dataclass
class QualityOutcome:
    """What the checks found: rows that pass, rows that fail (with the checks they broke)."""

    good: pa.Table
    bad: pa.Table  # the incoming columns plus ``_violations`` (comma-separated check names)
    violations: dict[str, int]
    count_error: str | None = None


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(value: Any) -> str:
    """A SQL literal for ``value``."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def run_checks(
    con: duckdb.DuckDBPyConnection,
    data: pa.Table,
    rules: QualityRules,
    existing_sql: str | None,
    compiled: Mapping[str, str] | None = None,
) -> QualityOutcome:
    """Check ``data`` against ``rules``; ``existing_sql`` reads the table's current rows.

    ``compiled`` maps a check as written to the SQL that runs it (``quality_sql.check_sql``);
    results name the checks as written.
    """
    if rules.empty:
        return QualityOutcome(data, data.schema.empty_table(), {})
    missing = sorted(rules.columns() - set(data.column_names))
    if missing:
        raise LakehouseError(f"quality rules name columns the data does not have: {missing}")
    count_error = None
    if rules.rows_per_write:
        low, high = ([*list(rules.rows_per_write), None, None])[:2]
        n = data.num_rows
        if (low is not None and n < low) or (high is not None and n > high):
            count_error = (
                f"a write must bring between {low if low is not None else 0} and "
                f"{high if high is not None else 'any number of'} rows; this one brings {n}"
            )
    checks: list[tuple[str, str]] = []  # (name, SQL selecting offending __nl_row values)
    src = _INCOMING
    for col in rules.not_null:
        checks.append((f"not_null({col})", f"SELECT __nl_row FROM {src} WHERE {_q(col)} IS NULL"))
    for col, values in rules.accepted_values.items():
        allowed = ", ".join(_lit(v) for v in values)
        checks.append(
            (
                f"accepted_values({col})",
                f"SELECT __nl_row FROM {src} WHERE {_q(col)} IS NOT NULL "
                f"AND {_q(col)} NOT IN ({allowed})",
            )
        )
    for col, bounds in rules.ranges.items():
        low, high = ([*list(bounds), None, None])[:2]
        conds = []
        if low is not None:
            conds.append(f"{_q(col)} < {_lit(low)}")
        if high is not None:
            conds.append(f"{_q(col)} > {_lit(high)}")
        if conds:
            checks.append(
                (f"range({col})", f"SELECT __nl_row FROM {src} WHERE {' OR '.join(conds)}")
            )
    for predicate in rules.checks:
        sql = (compiled or {}).get(predicate, predicate)
        checks.append((f"check({predicate})", f"SELECT __nl_row FROM {src} WHERE NOT ({sql})"))
    for key in rules.unique:
        cols = ", ".join(_q(c) for c in key)
        name = f"unique({', '.join(key)})"
        checks.append(
            (
                name,
                f"SELECT __nl_row FROM (SELECT __nl_row, count(*) OVER (PARTITION BY {cols}) AS n "
                f"FROM {src}) WHERE n > 1",
            )
        )
        if existing_sql is not None:
            checks.append(
                (
                    name,
                    f"SELECT __nl_row FROM {src} WHERE ({cols}) IN "
                    f"(SELECT ({cols}) FROM {_EXISTING})",
                )
            )
    if not checks:
        return QualityOutcome(data, data.schema.empty_table(), {}, count_error)
    numbered = data.append_column("__nl_row", pa.array(range(data.num_rows), pa.int64()))
    con.register(_INCOMING, numbered)
    try:
        if existing_sql is not None and rules.unique:
            con.execute(f"CREATE OR REPLACE TEMP VIEW {_EXISTING} AS {existing_sql}")
        union = " UNION ALL ".join(
            f"SELECT __nl_row, {_lit(name)} AS check_name FROM ({sql})" for name, sql in checks
        )
        found = con.execute(
            f"SELECT __nl_row, string_agg(DISTINCT check_name, ', ' ORDER BY check_name) "
            f"FROM ({union}) GROUP BY __nl_row ORDER BY __nl_row"
        ).fetchall()
        counts = dict(
            con.execute(
                f"SELECT check_name, count(DISTINCT __nl_row) FROM ({union}) GROUP BY 1 ORDER BY 1"
            ).fetchall()
        )
    finally:
        con.unregister(_INCOMING)
        if existing_sql is not None and rules.unique:
            con.execute(f"DROP VIEW IF EXISTS {_EXISTING}")
    bad_rows = [row for row, _ in found]
    reasons = [reason for _, reason in found]
    mask = pa.array([False] * data.num_rows)
    if bad_rows:
        flags = [False] * data.num_rows
        for i in bad_rows:
            flags[i] = True
        mask = pa.array(flags)
    good = data.filter(pc.invert(mask)) if bad_rows else data
    bad = data.take(pa.array(bad_rows, pa.int64())).append_column(
        "_violations", pa.array(reasons, pa.string())
    )
    return QualityOutcome(good, bad, {str(k): int(v) for k, v in counts.items()}, count_error)

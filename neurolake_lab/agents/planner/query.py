"""The pieces of one SELECT the SQL generator writes: tables with aliases, joins, conditions.

:class:`Query` joins a table only along the many-to-one path from the query's fact table (or,
for a table referenced more than once, through the reference the question chose), so joins never
multiply the rows being counted; identifiers are quoted only when they must be.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from neurolake_lab.agents.planner.graph import Edge
from neurolake_lab.agents.planner.view import PlannerView
from neurolake_lab.exceptions import PlanningError

_PLAIN = re.compile(r"^[a-z_][a-z0-9_]*$")
_RESERVED = frozenset(
    {
        "order",
        "group",
        "select",
        "from",
        "where",
        "by",
        "limit",
        "table",
        "user",
        "count",
        "sum",
        "avg",
        "min",
        "max",
        "month",
        "year",
        "day",
        "week",
        "quarter",
        "end",
        "case",
        "when",
        "then",
        "else",
        "as",
        "on",
        "in",
        "is",
        "not",
        "and",
        "or",
        "all",
        "any",
        "desc",
        "asc",
    }
)


def ident(name: str) -> str:
    """An identifier, quoted only when it must be."""
    if _PLAIN.match(name) and name not in _RESERVED:
        return name
    return '"' + name.replace('"', '""') + '"'


def table_sql(table_id: str) -> str:
    """``namespace.table`` as SQL."""
    ns, _, name = table_id.rpartition(".")
    return f"{ident(ns)}.{ident(name)}"


def literal(value: Any) -> str:
    """A Python value as a SQL literal."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


@dataclass
class Query:
    """The pieces of one SELECT, with table aliases."""

    view: PlannerView
    fact: str
    prefer: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    joins: list[str] = field(default_factory=list)
    where: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.alias(self.fact)

    def alias(self, table: str, key: str | None = None) -> str:
        """The alias of ``table`` (under ``key`` when it is joined once per reference)."""
        key = key or table
        if key not in self.aliases:
            name = self.view.table(table).name
            base = "".join(w[0] for w in name.split("_") if w) or "t"
            alias = base
            n = 2
            while alias in self.aliases.values() or alias in _RESERVED:
                alias = f"{base}{n}"
                n += 1
            self.aliases[key] = alias
        return self.aliases[key]

    def reach(self, table: str) -> str:
        """The alias of ``table``, joining it along the many-to-one path from the fact."""
        if table in self.aliases:
            return self.aliases[table]
        through = self.prefer.get("@" + table)
        if through is not None and through != self.fact and through not in self.aliases:
            self.reach(through)  # "supplier nation": through the supplier
        start = through if through is not None and through in self.aliases else self.fact
        path = self.path(start, table)
        if path is None:
            raise PlanningError(
                f"{table} cannot be joined to {self.fact} without multiplying its rows "
                "(no foreign-key path from it)",
                suggestions=[self.fact, table],
            )
        for edge in path:
            self._join(edge)
        return self.aliases[table]

    def path(self, start: str, goal: str) -> list[Edge] | None:
        """The many-to-one path from ``start`` to ``goal`` (None: none).

        Refused when ``goal`` is referenced more than once on the way and the question did not
        say which.
        """
        graph = self.view.graph
        options = graph.ambiguous(start, goal, self.prefer)
        if options:
            ways = " or ".join(f"{e.columns[0]}" for e in options)
            raise PlanningError(
                f"{goal} is reached from {options[0].child} through {ways}: which one? "
                "(say it, e.g. 'from' or 'to', 'origin' or 'destination')",
                suggestions=[f"{e.child}.{e.columns[0]}" for e in options],
            )
        return graph.path_up(start, goal, self.prefer)

    def _join(self, edge: Edge) -> None:
        if edge.parent in self.aliases:
            return
        child = self.aliases[edge.child]
        parent = self.alias(edge.parent)
        on = " AND ".join(
            f"{child}.{ident(c)} = {parent}.{ident(r)}"
            for c, r in zip(edge.columns, edge.ref_columns, strict=True)
        )
        self.joins.append(f"JOIN {table_sql(edge.parent)} AS {parent} ON {on}")

    def col(self, column_id: str, via: str | None = None) -> str:
        """``alias.column``; ``via`` (a reference column id) picks one of several references."""
        table, _, name = column_id.rpartition(".")
        if via is None:
            return f"{self.reach(table)}.{ident(name)}"
        child, _, ref = via.rpartition(".")
        key = f"{table}@{via}"
        if key not in self.aliases:
            edge = next(e for e in self.view.graph.between(child, table) if ref in e.columns)
            child_alias = self.reach(child)
            alias = self.alias(table, key)
            on = " AND ".join(
                f"{child_alias}.{ident(c)} = {alias}.{ident(r)}"
                for c, r in zip(edge.columns, edge.ref_columns, strict=True)
            )
            self.joins.append(f"JOIN {table_sql(table)} AS {alias} ON {on}")
        return f"{self.aliases[key]}.{ident(name)}"

    def from_sql(self) -> str:
        """The FROM clause with its joins."""
        return " ".join([f"FROM {table_sql(self.fact)} AS {self.aliases[self.fact]}", *self.joins])

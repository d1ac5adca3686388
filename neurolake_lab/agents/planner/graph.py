"""The foreign-key graph: which tables join, and which way a join keeps the row count.

Following a foreign key from the referencing table (the *child*, e.g. order lines) to the
referenced one (the *parent*, e.g. orders) is many-to-one: every child row meets at most one
parent row, so measures computed over the child stay correct after the join. The planner joins
only along such paths; a parent that needs facts from its children gets them through EXISTS or a
correlated count (``sqlgen``), never through a fan-out join.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from neurolake_lab.index.model import SchemaSnapshot


@dataclass(frozen=True)
class Edge:
    """A many-to-one step: ``child.columns`` reference ``parent.ref_columns``."""

    child: str
    columns: tuple[str, ...]
    parent: str
    ref_columns: tuple[str, ...]


class JoinGraph:
    """The foreign keys of a schema as a graph of many-to-one edges."""

    def __init__(self, snapshot: SchemaSnapshot) -> None:
        self.edges: list[Edge] = []
        for table in snapshot.tables.values():
            for fk in table.foreign_keys:
                parent = snapshot.table(fk.references)
                if parent is None:
                    continue
                if all(table.column(c) for c in fk.columns) and all(
                    parent.column(c) for c in fk.ref_columns
                ):
                    self.edges.append(Edge(table.id, fk.columns, parent.id, fk.ref_columns))

    def parents(self, table: str) -> list[Edge]:
        """Edges from ``table`` to the tables it references."""
        return [e for e in self.edges if e.child == table]

    def children(self, table: str) -> list[Edge]:
        """Edges from the tables that reference ``table``."""
        return [e for e in self.edges if e.parent == table]

    def path_up(self, start: str, goal: str) -> list[Edge] | None:
        """The shortest many-to-one path from ``start`` to ``goal`` ([] when equal; None: none)."""
        if start == goal:
            return []
        seen = {start}
        queue: deque[tuple[str, list[Edge]]] = deque([(start, [])])
        while queue:
            table, path = queue.popleft()
            for edge in self.parents(table):
                if edge.parent in seen:
                    continue
                step = [*path, edge]
                if edge.parent == goal:
                    return step
                seen.add(edge.parent)
                queue.append((edge.parent, step))
        return None

    def reachable_up(self, start: str) -> list[str]:
        """Tables reachable many-to-one from ``start``, nearest first (``start`` first)."""
        order = [start]
        queue = deque([start])
        while queue:
            table = queue.popleft()
            for edge in self.parents(table):
                if edge.parent not in order:
                    order.append(edge.parent)
                    queue.append(edge.parent)
        return order

    def child_edge(self, parent: str, child: str) -> Edge | None:
        """The direct edge by which ``child`` references ``parent``, if there is one."""
        return next((e for e in self.edges if e.parent == parent and e.child == child), None)

    def related(self, a: str, b: str) -> bool:
        """Whether ``a`` and ``b`` are joined by a path of foreign keys either way."""
        return self.path_up(a, b) is not None or self.path_up(b, a) is not None

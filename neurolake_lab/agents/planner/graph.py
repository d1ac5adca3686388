"""The foreign-key graph: which tables join, and which way a join keeps the row count.

Following a foreign key from the referencing table (the *child*, e.g. order lines) to the
referenced one (the *parent*, e.g. orders) is many-to-one: every child row meets at most one
parent row, so measures computed over the child stay correct after the join. The planner joins
only along such paths; a parent that needs facts from its children gets them through EXISTS or a
correlated count (``sqlgen``), never through a fan-out join.

Keys come from the ``neurolake.primary_key`` / ``neurolake.foreign_keys`` table properties when
declared (see ``docs/nl.md``); otherwise they are inferred (:func:`infer_keys`): a table's key is
its first key-like column whose values are unique, and a column references another table's key
when their names match once the tables' own prefixes are set aside (``o_custkey`` ->
``c_custkey``, ``pat_id`` -> ``pat_id``, ``orig_arpt_cd`` -> ``arpt_cd`` with the role
``orig``), their types agree, and the data agrees (:data:`~.probe.OVERLAP` of the child's values
are found in the key). Two references from one table to another (origin and destination airport)
are both kept, with their roles; the parser says which one a question means.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from neurolake_lab.agents.planner.probe import OVERLAP, DataProbe
from neurolake_lab.index.model import ColumnInfo, SchemaSnapshot, TableInfo

#: Last words of a column name that make it a key candidate.
KEY_WORDS = frozenset({"id", "key", "cd", "code", "no", "nr", "num", "number"})


@dataclass(frozen=True)
class Edge:
    """A many-to-one step: ``child.columns`` reference ``parent.ref_columns``.

    ``role`` names which of several references to the same parent this is (``orig``, ``dest``;
    empty when there is one); ``inferred`` says the key was not declared.
    """

    child: str
    columns: tuple[str, ...]
    parent: str
    ref_columns: tuple[str, ...]
    role: str = ""
    inferred: bool = False


class JoinGraph:
    """The foreign keys of a schema (declared or inferred) as a graph of many-to-one edges."""

    def __init__(self, snapshot: SchemaSnapshot, probe: DataProbe | None = None) -> None:
        self.edges: list[Edge] = []
        self.keys: dict[str, tuple[str, ...]] = {}
        for table in snapshot.tables.values():
            for fk in table.foreign_keys:
                parent = snapshot.table(fk.references)
                if parent is None:
                    continue
                if all(table.column(c) for c in fk.columns) and all(
                    parent.column(c) for c in fk.ref_columns
                ):
                    self.edges.append(Edge(table.id, fk.columns, parent.id, fk.ref_columns))
        keys, inferred = infer_keys(snapshot, probe, self.edges)
        self.keys = keys
        self.edges.extend(inferred)

    def parents(self, table: str) -> list[Edge]:
        """Edges from ``table`` to the tables it references."""
        return [e for e in self.edges if e.child == table]

    def children(self, table: str) -> list[Edge]:
        """Edges from the tables that reference ``table``."""
        return [e for e in self.edges if e.parent == table]

    def between(self, child: str, parent: str) -> list[Edge]:
        """Every direct edge from ``child`` to ``parent`` (several when it has roles)."""
        return [e for e in self.edges if e.child == child and e.parent == parent]

    def path_up(
        self, start: str, goal: str, prefer: dict[str, str] | None = None
    ) -> list[Edge] | None:
        """The shortest many-to-one path from ``start`` to ``goal`` ([] when equal; None: none).

        Where a table references the next one more than once (roles), ``prefer`` maps
        ``child table -> column`` to pick the edge; without it the first edge is taken (callers
        that must not guess check :meth:`ambiguous` first).
        """
        if start == goal:
            return []
        seen = {start}
        queue: deque[tuple[str, list[Edge]]] = deque([(start, [])])
        while queue:
            table, path = queue.popleft()
            for edge in self._preferred(self.parents(table), prefer):
                if edge.parent in seen:
                    continue
                step = [*path, edge]
                if edge.parent == goal:
                    return step
                seen.add(edge.parent)
                queue.append((edge.parent, step))
        return None

    @staticmethod
    def _preferred(edges: list[Edge], prefer: dict[str, str] | None) -> list[Edge]:
        if not prefer:
            return edges
        out = []
        for e in edges:
            wanted = prefer.get(f"{e.child}>{e.parent}")
            if wanted is None or wanted in e.columns:
                out.append(e)
        return out

    def ambiguous(self, start: str, goal: str, prefer: dict[str, str] | None = None) -> list[Edge]:
        """The parallel edges on the path from ``start`` to ``goal`` that nothing chose between."""
        path = self.path_up(start, goal, prefer)
        for edge in path or []:
            options = self._preferred(self.between(edge.child, edge.parent), prefer)
            if len(options) > 1:
                return options
        return []

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


def column_prefix(table: TableInfo) -> str:
    """The prefix most of a table's columns share (``c_`` in TPC-H's customer), or ''."""
    heads = [c.name.split("_", 1)[0] for c in table.columns if "_" in c.name]
    if len(heads) < max(2, int(0.8 * len(table.columns))):
        return ""
    first = heads[0]
    return f"{first}_" if len(first) <= 3 and all(h == first for h in heads) else ""


def _bare(col: ColumnInfo, prefix: str) -> str:
    name = col.name.lower()
    return name[len(prefix) :] if prefix and name.startswith(prefix) else name


def _key_like(col: ColumnInfo, prefix: str) -> bool:
    last = _bare(col, prefix).rsplit("_", 1)[-1]
    return (col.is_numeric or col.is_text) and (
        last in KEY_WORDS or last.endswith("key") or last.endswith("id")
    )


def _compatible(a: ColumnInfo, b: ColumnInfo) -> bool:
    return (a.is_numeric and b.is_numeric) or (a.is_text and b.is_text)


def _table_key(table: TableInfo, prefix: str, probe: DataProbe | None) -> tuple[str, ...]:
    if table.primary_key:
        return table.primary_key
    candidates = [c for c in table.columns if _key_like(c, prefix) and not c.is_pii]
    if probe is None:
        return (candidates[0].name,) if candidates and candidates[0] is table.columns[0] else ()
    for col in candidates:
        if probe.unique(table.id, col.name):
            return (col.name,)
    return ()


def infer_keys(
    snapshot: SchemaSnapshot, probe: DataProbe | None, declared: list[Edge]
) -> tuple[dict[str, tuple[str, ...]], list[Edge]]:
    """Every table's key (declared or inferred) and the references no property declares."""
    prefixes = {t.id: column_prefix(t) for t in snapshot.tables.values()}
    keys = {t.id: _table_key(t, prefixes[t.id], probe) for t in snapshot.tables.values()}
    taken = {(e.child, c) for e in declared for c in e.columns}
    found: list[Edge] = []
    for child in snapshot.tables.values():
        for col in child.columns:
            if (child.id, col.name) in taken or not _key_like(col, prefixes[child.id]):
                continue
            if keys[child.id] == (col.name,):
                continue  # the table's own key references nothing
            bare = _bare(col, prefixes[child.id])
            for parent in snapshot.tables.values():
                key = keys[parent.id]
                if parent.id == child.id or len(key) != 1:
                    continue
                ref = parent.column(key[0])
                if ref is None or not _compatible(col, ref):
                    continue
                role = _role(bare, _bare(ref, prefixes[parent.id]), parent)
                if role is None:
                    continue
                if probe is not None and probe.found_in(child.id, col.name, parent.id,
                                                        ref.name) < OVERLAP:  # fmt: skip
                    continue
                found.append(Edge(child.id, (col.name,), parent.id, (ref.name,), role, True))
    return keys, found


def _role(column: str, key: str, parent: TableInfo) -> str | None:
    """How ``column`` names ``parent``'s ``key``: '' (same name), a role prefix, or None.

    Example:
        >>> from neurolake_lab.index.model import TableInfo
        >>> t = TableInfo("s.arpt", "", ())
        >>> _role("orig_arpt_cd", "arpt_cd", t), _role("custkey", "custkey", t), _role("x", "y", t)
        ('orig', '', None)
    """
    if column == key:
        return ""
    if column.endswith("_" + key):
        return column[: -len(key) - 1]
    singular = parent.name.lower().rstrip("s")
    if key in ("id", "key", "code") and column in (f"{parent.name.lower()}_{key}",
                                                   f"{singular}_{key}"):  # fmt: skip
        return ""
    return None

"""``LineageTracker``: column lineage per statement, and across tables and notebooks.

Each query's column lineage goes into its cell report; each write's goes into the new snapshot's
summary (``neurolake.lineage``), so ``Session.lineage("ns.t.col")`` can follow a column upstream or
downstream through every table written in this workspace, by any notebook or kernel.
"""

from __future__ import annotations

import json
from collections import deque
from typing import TYPE_CHECKING, Any

import sqlglot
from sqlglot import exp

from neurolake_lab.exceptions import QueryError, UsageError

if TYPE_CHECKING:
    from neurolake_lab.config import Settings
    from neurolake_lab.engine import DuckDBEngine
    from neurolake_lab.lakehouse import Lakehouse
    from neurolake_lab.lakehouse.tables import WriteContext
    from neurolake_lab.lineage.graph import LineageEdge, LineageGraph

#: Statement types whose lineage is computed.
LINEAGE_TYPES = frozenset({"SELECT", "CREATE", "INSERT", "MERGE_INTO"})


class LineageTracker:
    """The lineage of one session's statements, and of the workspace's recorded writes.

    Args:
        engine: The session's DuckDB engine (columns of its own tables).
        lakehouse: The session's lakehouse (Iceberg columns, snapshots, recorded lineage).
        settings: The session's settings (the OpenLineage endpoint, the workspace's name).
    """

    def __init__(self, engine: DuckDBEngine, lakehouse: Lakehouse, settings: Settings) -> None:
        self.engine = engine
        self.lakehouse = lakehouse
        self.settings = settings

    def statement_lineage(
        self, sql: str, statement_type: str, output_table: str | None = None
    ) -> LineageGraph | None:
        """The column lineage of one statement (``None`` when it reads no table or fails).

        Bare names of Iceberg tables are qualified first, so every stored column has the id
        ``namespace.table.column``; session tables are ``main.table.column``.
        """
        from neurolake_lab.lineage import query_lineage
        from neurolake_lab.lineage.errors import LineageError

        if statement_type not in LINEAGE_TYPES or "from" not in sql.lower():
            return None
        try:
            if statement_type == "MERGE_INTO":  # its columns come from the source's, by name
                from neurolake_lab.lakehouse.merge import parse_source_query

                sql = parse_source_query(sql)
            tree = sqlglot.parse_one(sql, read="duckdb")
        except (sqlglot.errors.SqlglotError, QueryError):
            return None
        if tree is None:
            return None
        schema, snapshots = self._lineage_schema(tree)
        if not schema:
            return None
        try:
            graph = query_lineage(tree, schema, output_table=output_table)
        except LineageError:
            return None
        return graph.with_snapshots(snapshots)

    def _lineage_schema(
        self, tree: exp.Expr
    ) -> tuple[dict[str, dict[str, str]], dict[str, int | None]]:
        """The columns of every table ``tree`` reads (qualifying its bare Iceberg names)."""
        from neurolake_lab.lakehouse.lakehouse import iceberg_columns

        lake = self.lakehouse
        ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
        schema: dict[str, dict[str, str]] = {}
        snapshots: dict[str, int | None] = {}
        for table in tree.find_all(exp.Table):
            if not table.name or not isinstance(table.this, exp.Identifier):
                continue  # a table function
            if not table.db and table.name in ctes:
                continue
            tid = lake.resolve_ref(table.db or None, table.name)
            if tid is not None:
                table.set("db", exp.to_identifier(tid[0]))
                key = f"{tid[0]}.{tid[1]}"
                schema[key] = iceberg_columns(lake.pointers[tid])
                snapshots[key] = lake.current_snapshot_id(tid)
                continue
            local = f"{table.db or 'main'}.{table.name}"
            try:
                columns = self.engine.columns(local)
            except Exception:
                continue
            if not table.db:
                table.set("db", exp.to_identifier("main"))
            schema[local] = dict(columns)
        return schema, snapshots

    def emit_lineage(self, graph: LineageGraph, ctx: WriteContext) -> list[str]:
        """Send a write's lineage to the configured OpenLineage endpoint; notices on failure."""
        from neurolake_lab.lineage.emit import endpoint, post_event

        url = endpoint(self.settings.extra)
        if url is None:
            return []
        cell = ctx.cell or {}
        job = cell.get("notebook") or "session"
        if cell.get("execution_count") is not None:
            job = f"{job} In [{cell['execution_count']}]"
        event = graph.to_openlineage(
            job_namespace=f"neurolake://{self.settings.workspace.name}", job_name=str(job)
        )
        problem = post_event(url, event)
        return (
            [f"OpenLineage endpoint {url} did not take the lineage: {problem}"] if problem else []
        )

    def lineage(self, target: str, direction: str = "upstream", depth: int = 5) -> WorkspaceLineage:
        """The lineage of a stored column (``ns.t.col``) or table (``ns.t``) across writes.

        Follows the column lineage every write recorded in its snapshot summary, through all
        of a table's snapshots, ``depth`` writes far, ``"upstream"`` (where it came from) or
        ``"downstream"`` (what was made from it).
        """
        from neurolake_lab.lineage.graph import LineageEdge

        if direction not in ("upstream", "downstream"):
            raise UsageError("direction must be 'upstream' or 'downstream'")
        edges = self._recorded_edges()
        start = target.lower()
        is_table = start.count(".") == 1
        if is_table:
            frontier = {e[0] for e in edges if _table(e[0]) == start} | {
                e[1] for e in edges if _table(e[1]) == start
            }
        else:
            frontier = {start} & ({e[0] for e in edges} | {e[1] for e in edges})
        if not frontier:
            if self._stored(start, is_table):
                # a real table or column that no write has used yet (the demo tables, loaded
                # from Arrow): its lineage is empty, which is an answer, not a usage error
                return WorkspaceLineage([])
            known = sorted({_table(e[1]) for e in edges})
            hint = f"tables with recorded lineage: {', '.join(known)}" if known else None
            raise UsageError(f"no table or column {target} in this workspace", hint=hint)
        seen: set[tuple[str, str, str]] = set()
        queue = deque((node, 0) for node in frontier)
        visited = set(frontier)
        while queue:
            node, level = queue.popleft()
            if level >= depth:
                continue
            for edge in edges:
                near, far = (edge[1], edge[0]) if direction == "upstream" else (edge[0], edge[1])
                if near != node:
                    continue
                seen.add(edge)
                if far not in visited:
                    visited.add(far)
                    queue.append((far, level + 1))
        return WorkspaceLineage([LineageEdge(s, t, k) for s, t, k in sorted(seen)])

    def _stored(self, target: str, is_table: bool) -> bool:
        """Whether ``target`` (``ns.t`` or ``ns.t.col``, lower case) names a stored table/column."""
        from neurolake_lab.lakehouse.lakehouse import iceberg_columns

        table, column = (target, "") if is_table else target.rsplit(".", 1)
        ns, _, name = table.partition(".")
        tid = self.lakehouse.resolve_ref(ns, name)
        if tid is None:
            return False
        columns = iceberg_columns(self.lakehouse.pointers[tid])
        return is_table or column in {c.lower() for c in columns}

    def _recorded_edges(self) -> set[tuple[str, str, str]]:
        """Every ``(source, target, kind)`` recorded by writes, in every snapshot of every table."""
        from neurolake_lab.lakehouse.lakehouse import read_metadata

        lake = self.lakehouse
        lake.refresh(self.engine.con)
        edges: set[tuple[str, str, str]] = set()
        for location in lake.pointers.values():
            for snap in read_metadata(location).snapshots:
                summary = snap.summary.additional_properties if snap.summary else {}
                text = summary.get("neurolake.lineage")
                if not text:
                    continue
                for edge in json.loads(text).get("edges", []):
                    edges.add((edge["source"].lower(), edge["target"].lower(), edge["kind"]))
        return edges


class WorkspaceLineage:
    """Column lineage across the workspace's tables: the edges recorded by writes."""

    def __init__(self, edges: list[LineageEdge]) -> None:
        self.edges = edges
        ids = {e.source for e in edges} | {e.target for e in edges}
        self.nodes: list[dict[str, Any]] = [
            {"id": i, "label": i.rsplit(".", 1)[-1]} for i in sorted(ids)
        ]

    def to_report(self) -> dict[str, Any]:
        """Nodes and edges in the cell report's ``lineage`` shape (for the extension to draw)."""
        return {"nodes": self.nodes, "edges": [e.to_dict() for e in self.edges]}

    def tables(self) -> list[str]:
        """The tables that were written (the edges' targets)."""
        return sorted({_table(e.target) for e in self.edges})

    def to_openlineage(
        self, *, job_namespace: str = "neurolake", dataset_namespace: str | None = None
    ) -> list[dict[str, Any]]:
        """One OpenLineage ``RunEvent`` per written table, with the column-lineage facet."""
        from neurolake_lab.lineage.graph import LineageGraph

        events = []
        for table in self.tables():
            edges = [e for e in self.edges if _table(e.target) == table]
            inputs: dict[str, dict[str, str]] = {}
            for e in edges:
                inputs.setdefault(_table(e.source), {})[e.source.rsplit(".", 1)[1]] = ""
            outputs = sorted({e.target for e in edges})
            nodes = [{"id": i} for i in outputs + sorted({e.source for e in edges})]
            graph = LineageGraph(
                nodes=nodes, edges=edges, outputs=outputs, inputs=inputs, target_table=table
            )
            events.append(
                graph.to_openlineage(
                    job_namespace=job_namespace,
                    job_name=f"write {table}",
                    dataset_namespace=dataset_namespace,
                )
            )
        return events


def _table(column_id: str) -> str:
    return column_id.rsplit(".", 1)[0]


def lineage_rows(graph: LineageGraph | WorkspaceLineage) -> list[dict[str, Any]]:
    """Edges as rows for a table display (``%lineage``)."""
    return [
        {"source": e.source, "target": e.target, "kind": e.kind, "masked": e.masked}
        for e in graph.edges
    ]

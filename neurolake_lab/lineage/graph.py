"""The column-lineage graph of one statement, in the cell report's shape and OpenLineage's terms.

Nodes are columns: ``namespace.table.column`` for stored columns (``table.column`` for a table the
schema names without a namespace) and ``output.<column>`` for a cell's result columns (or the
written table's ``ns.t.col`` for CTAS and INSERT). Edges say how a target depends on a source with
OpenLineage's transformation subtypes (``column_lineage_facet`` spec 1-2-0): the *direct* ones
``IDENTITY``, ``TRANSFORMATION`` and ``AGGREGATION`` (the value is derived from the source) and the
*indirect* ones ``JOIN``, ``GROUP_BY``, ``FILTER``, ``SORT``, ``WINDOW`` and ``CONDITIONAL`` (the
source decides which rows or which branch, but no part of the value comes from it).

Example:
    >>> g = LineageGraph(
    ...     nodes=[{"id": "retail.customers.email"}, {"id": "output.email"}],
    ...     edges=[LineageEdge("retail.customers.email", "output.email", "IDENTITY")],
    ... )
    >>> g.mark_masked({"retail.customers.email"}).to_report()["edges"][0]["masked"]
    True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final

#: Direct subtypes, weakest first: a (source, target) pair keeps only its strongest one.
DIRECT_KINDS: Final = ("IDENTITY", "TRANSFORMATION", "AGGREGATION")
#: Indirect subtypes: a (source, target) pair keeps one edge per kind.
INDIRECT_KINDS: Final = ("JOIN", "GROUP_BY", "FILTER", "SORT", "WINDOW", "CONDITIONAL")
KINDS: Final = frozenset(DIRECT_KINDS + INDIRECT_KINDS)

#: Where a cell's result columns live in node ids (``output.<column>``).
OUTPUT_PREFIX: Final = "output"


@dataclass(frozen=True)
class LineageEdge:
    """``target`` depends on ``source`` in the way ``kind`` names; ``masked`` if obfuscated.

    ``masked`` follows OpenLineage's ``masking`` flag: the target does not reveal the source's
    value (a hash, a count, or a masking policy the compliance layer applied).
    """

    source: str
    target: str
    kind: str
    masked: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown lineage edge kind {self.kind!r}; expected one of {KINDS}")

    @property
    def direct(self) -> bool:
        """Whether the target's value is derived from the source (OpenLineage ``DIRECT``)."""
        return self.kind in DIRECT_KINDS

    def to_dict(self) -> dict[str, Any]:
        """The edge as the cell report writes it: ``{source, target, kind, masked}``."""
        return {
            "source": self.source,
            "target": self.target,
            "kind": self.kind,
            "masked": self.masked,
        }


@dataclass
class LineageGraph:
    """Column lineage of one statement: what each output column comes from, and how.

    Attributes:
        nodes: ``{"id", "label"?, "snapshot_id"?}`` per column: the targets first, in output
            order, then the sources, sorted.
        edges: One per (source, target) for the strongest direct kind, plus one per indirect
            kind; sorted by target (output order), then direct before indirect, then source.
        outputs: Target ids in output order (``output.<column>`` or ``ns.t.col``).
        inputs: Every stored table the statement reads, by id (``ns.t`` or ``t``), with the
            columns and DuckDB types the schema gives (only the columns seen, for a table the
            schema does not know).
        unresolved: Tables the schema does not know: their columns are named as the query wrote
            them, and a ``*`` over them becomes one opaque ``ns.t.*`` node.
        target_table: The written table for CTAS or INSERT (``None`` for a query).
        warnings: What made the lineage partial (e.g. sqlglot could not qualify the query).
    """

    nodes: list[dict[str, Any]]
    edges: list[LineageEdge]
    outputs: list[str] = field(default_factory=list)
    inputs: dict[str, dict[str, str]] = field(default_factory=dict)
    unresolved: list[str] = field(default_factory=list)
    target_table: str | None = None
    warnings: list[str] = field(default_factory=list)

    def to_report(self) -> dict[str, Any]:
        """The cell report's ``lineage`` part, exactly as ``report.schema.json`` fixes it."""
        nodes = []
        for node in self.nodes:
            out: dict[str, Any] = {"id": node["id"]}
            if node.get("label") is not None:
                out["label"] = node["label"]
            if "snapshot_id" in node:
                out["snapshot_id"] = node["snapshot_id"]
            nodes.append(out)
        return {"nodes": nodes, "edges": [edge.to_dict() for edge in self.edges]}

    def mark_masked(self, columns: Iterable[str]) -> LineageGraph:
        """A copy whose edges from ``columns`` (source ids a policy masked) have ``masked=True``.

        Every edge leaving a masked column is marked, indirect ones too: the policy rewrites the
        column wherever the query reads it, so filters and joins on it see the masked value.
        """
        masked = {c.lower() for c in columns}
        if not masked:
            return self.copy()
        edges = [
            replace(e, masked=True) if e.source.lower() in masked and not e.masked else e
            for e in self.edges
        ]
        return replace(self.copy(), edges=edges)

    def rename_outputs(self, names: Sequence[str]) -> LineageGraph:
        """A copy whose ``output.*`` targets take ``names`` by position (DuckDB's result names).

        sqlglot names unaliased expressions ``_col_<n>`` where DuckDB says ``count_star()``; the
        session knows the real names once the query ran. Write targets are left alone.
        """
        if self.target_table is not None:
            return self.copy()
        mapping = {
            old: f"{OUTPUT_PREFIX}.{new}"
            for old, new in zip(self.outputs, names, strict=False)
            if old != f"{OUTPUT_PREFIX}.{new}"
        }
        if not mapping:
            return self.copy()
        nodes = []
        for node in self.nodes:
            new_id = mapping.get(node["id"])
            if new_id is None:
                nodes.append(dict(node))
            else:
                nodes.append({**node, "id": new_id, "label": new_id[len(OUTPUT_PREFIX) + 1 :]})
        edges = [replace(e, target=mapping.get(e.target, e.target)) for e in self.edges]
        outputs = [mapping.get(o, o) for o in self.outputs]
        return replace(self.copy(), nodes=nodes, edges=edges, outputs=outputs)

    def with_snapshots(self, snapshots: Mapping[str, int | None]) -> LineageGraph:
        """A copy whose source nodes carry the snapshot id of their table (``{"ns.t": id}``)."""
        lowered = {table.lower(): snap for table, snap in snapshots.items()}
        nodes = []
        for node in self.nodes:
            table = self.table_of(node["id"])
            if table is not None and table in lowered:
                nodes.append({**node, "snapshot_id": lowered[table]})
            else:
                nodes.append(dict(node))
        return replace(self.copy(), nodes=nodes)

    def table_of(self, column_id: str) -> str | None:
        """The table id of a stored column id (``"ns.t.col"`` → ``"ns.t"``), or ``None``."""
        if column_id.startswith(OUTPUT_PREFIX + ".") and self.target_table is None:
            return None
        best: str | None = None
        for table in self.inputs:
            if column_id.startswith(table + ".") and (best is None or len(table) > len(best)):
                best = table
        if best is None and self.target_table and column_id.startswith(self.target_table + "."):
            best = self.target_table
        if best is None and "." in column_id:
            best = column_id.rsplit(".", 1)[0]
        return best

    def copy(self) -> LineageGraph:
        """A copy that shares nothing mutable with this graph (edges are immutable)."""
        return LineageGraph(
            nodes=[dict(n) for n in self.nodes],
            edges=list(self.edges),
            outputs=list(self.outputs),
            inputs={t: dict(cols) for t, cols in self.inputs.items()},
            unresolved=list(self.unresolved),
            target_table=self.target_table,
            warnings=list(self.warnings),
        )

    def to_openlineage(
        self,
        *,
        job_namespace: str,
        job_name: str,
        run_id: str | None = None,
        event_type: str = "COMPLETE",
        inputs_snapshot: dict[str, int] | None = None,
        output_dataset: str | None = None,
        producer: str = "https://github.com/neurolake/neurolake-lab",
        dataset_namespace: str | None = None,
        event_time: str | None = None,
    ) -> dict[str, Any]:
        """The graph as an OpenLineage ``RunEvent`` with the ``columnLineage`` dataset facet.

        Args:
            job_namespace: The job's namespace (e.g. the workspace).
            job_name: The job's name (e.g. the notebook and cell).
            run_id: A UUID for the run; a new one when omitted.
            event_type: ``START``, ``COMPLETE``, ``FAIL``, ...
            inputs_snapshot: Iceberg snapshot id per input table (``{"ns.t": id}``): each
                becomes the input's ``version`` facet.
            output_dataset: The output dataset's name for a query (a write names its table);
                ``<job_name>.output`` when omitted.
            producer: The URI that identifies NeuroLake as the producer of the event.
            dataset_namespace: The datasets' namespace (the warehouse); ``job_namespace`` when
                omitted.
            event_time: ISO-8601 time of the event; now (UTC) when omitted.

        Returns:
            The event as a JSON-ready dict (spec 2-0-2, column lineage facet 1-2-0).
        """
        from neurolake_lab.lineage.openlineage import run_event

        return run_event(
            self,
            job_namespace=job_namespace,
            job_name=job_name,
            run_id=run_id,
            event_type=event_type,
            inputs_snapshot=inputs_snapshot,
            output_dataset=output_dataset,
            producer=producer,
            dataset_namespace=dataset_namespace,
            event_time=event_time,
        )

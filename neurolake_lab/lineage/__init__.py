"""Column lineage of queries and writes, in the cell report's shape and as OpenLineage events.

``query_lineage(sql_or_tree, schema)`` walks a statement once and returns a ``LineageGraph``:
``output.<column>`` (or ``ns.t.col`` for CTAS/INSERT) ← ``ns.t.col`` edges with OpenLineage's
transformation subtypes. ``graph.to_report()`` is the report's ``lineage`` part and
``graph.to_openlineage(...)`` a ``RunEvent`` with the column-lineage facet.
"""

from neurolake_lab.lineage.columns import Schema, clear_cache, query_lineage
from neurolake_lab.lineage.errors import LineageError
from neurolake_lab.lineage.graph import (
    DIRECT_KINDS,
    INDIRECT_KINDS,
    KINDS,
    LineageEdge,
    LineageGraph,
)

__all__ = [
    "DIRECT_KINDS",
    "INDIRECT_KINDS",
    "KINDS",
    "LineageEdge",
    "LineageError",
    "LineageGraph",
    "Schema",
    "clear_cache",
    "query_lineage",
]

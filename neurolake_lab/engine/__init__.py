"""The execution engine: an in-memory DuckDB per session (docs/architecture.md, "The workspace").

The engine knows nothing of agents, notebooks or policies: it runs SQL and returns Arrow.
"""

from neurolake_lab.engine.duckdb_engine import DuckDBEngine, Execution

__all__ = ["DuckDBEngine", "Execution"]

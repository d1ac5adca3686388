"""Lakehouse storage: Apache Iceberg tables (pyiceberg) read and written through DuckDB.

The engine knows nothing of Iceberg; this layer mirrors the catalog into a session's DuckDB as
views and carries out writes as Iceberg commits (docs/architecture.md, "Layers").
"""

from neurolake_lab.lakehouse.lakehouse import Lakehouse

__all__ = ["Lakehouse"]

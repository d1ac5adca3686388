"""Parsing and printing statements as DuckDB (plus the lakehouse's ``PARTITIONED BY``).

sqlglot's DuckDB generator drops ``PARTITIONED BY (...)`` of a ``CREATE TABLE``, which the
lakehouse reads; this generator keeps it where the lakehouse expects it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlglot import exp
from sqlglot.dialects.duckdb import DuckDB

_Generator: Any = DuckDB.Generator


class NeuroLakeDuckDB(DuckDB):
    """DuckDB's dialect, printing ``PARTITIONED BY`` as the lakehouse writes it."""

    class Generator(_Generator):  # type: ignore[misc]
        """DuckDB's generator with ``PARTITIONED BY (...)`` after the schema."""

        PROPERTIES_LOCATION: ClassVar[dict[type[exp.Expr], Any]] = {
            **_Generator.PROPERTIES_LOCATION,
            exp.PartitionedByProperty: exp.Properties.Location.POST_SCHEMA,
        }

        def partitionedbyproperty_sql(self, expression: exp.PartitionedByProperty) -> str:
            """``PARTITIONED BY (a, month(b))``."""
            return f"PARTITIONED BY {self.sql(expression, 'this')}"


def to_sql(tree: exp.Expr) -> str:
    """The statement as DuckDB SQL (function names kept as written)."""
    return str(tree.sql(dialect=NeuroLakeDuckDB, normalize_functions=False))

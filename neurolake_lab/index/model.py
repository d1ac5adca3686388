"""What the metadata index knows about the workspace's tables, as plain immutable objects.

The planner, the prompt builder and the retrieval API read these; LanceDB rows are built from
them (:mod:`neurolake_lab.index.rows`) and read back into them, so nothing above the index needs
to know how it is stored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_NUMERIC = re.compile(r"^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|"
                      r"UBIGINT|FLOAT|DOUBLE|REAL|DECIMAL.*)$")  # fmt: skip
_TEMPORAL = re.compile(r"^(DATE|TIMESTAMP.*)$")


@dataclass(frozen=True)
class ForeignKey:
    """Columns of a table that reference the key columns of another table (``ns.table``)."""

    columns: tuple[str, ...]
    references: str
    ref_columns: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """The ``neurolake.foreign_keys`` shape of this key."""
        return {
            "columns": list(self.columns),
            "references": self.references,
            "ref_columns": list(self.ref_columns),
        }


@dataclass(frozen=True)
class ColumnInfo:
    """One column: its type, description, PII status and (when allowed) sample values.

    Attributes:
        table: The table's id, ``namespace.table``.
        name: The column name.
        data_type: The SQL type as DuckDB names it (``BIGINT``, ``VARCHAR``, ``DECIMAL(10,2)``).
        description: The Iceberg column doc ('' when there is none).
        nullable: Whether the column may hold NULL.
        pii_entity: The PII entity when the column is PII (tagged, reported by the classifier
            hook, or suspected from its name/doc while the table is not classified); else None.
        pii_source: ``"tag"``, ``"hook"`` or ``"heuristic"``: where ``pii_entity`` comes from.
        samples: Distinct values of a low-cardinality, non-PII text column (most frequent first).
        distinct: The number of distinct values, when it was measured.
    """

    table: str
    name: str
    data_type: str
    description: str = ""
    nullable: bool = True
    pii_entity: str | None = None
    pii_source: str | None = None
    samples: tuple[str, ...] = ()
    distinct: int | None = None

    @property
    def id(self) -> str:
        """``namespace.table.column``."""
        return f"{self.table}.{self.name}"

    @property
    def is_pii(self) -> bool:
        """Whether the column holds personal data (or is suspected to)."""
        return self.pii_entity is not None

    @property
    def is_numeric(self) -> bool:
        """Integers, floats and decimals."""
        return _NUMERIC.match(self.data_type) is not None

    @property
    def is_temporal(self) -> bool:
        """Dates and timestamps."""
        return _TEMPORAL.match(self.data_type) is not None

    @property
    def is_timestamp(self) -> bool:
        """Timestamps (with a time of day), as opposed to dates."""
        return self.data_type.startswith("TIMESTAMP")

    @property
    def is_text(self) -> bool:
        """Strings."""
        return self.data_type == "VARCHAR"

    @property
    def is_boolean(self) -> bool:
        """Booleans."""
        return self.data_type == "BOOLEAN"


@dataclass(frozen=True)
class TableInfo:
    """One Iceberg table as the index sees it.

    Attributes:
        id: ``namespace.table``.
        description: The table property ``comment``.
        columns: In schema order.
        primary_key: ``neurolake.primary_key`` (may be empty).
        foreign_keys: ``neurolake.foreign_keys``.
        rows: Rows in the current snapshot (from its summary), when known.
        snapshot_id: The current snapshot.
        fingerprint: Changes whenever anything the index stores about the table changes.
        classified: Whether the table carries PII tags (``neurolake.pii``).
        semantics: The table's ``neurolake.semantics`` property, parsed (metrics, filters).
        location: The metadata file the rows were made from (immutable: same file, same rows).
        index_key: What else the rows depend on (index format, embedding, PII hook).
    """

    id: str
    description: str
    columns: tuple[ColumnInfo, ...]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    rows: int | None = None
    snapshot_id: int | None = None
    fingerprint: str = ""
    classified: bool = False
    semantics: Mapping[str, Any] = field(default_factory=dict)
    location: str = ""
    index_key: str = ""

    @property
    def namespace(self) -> str:
        """The namespace part of the id."""
        return self.id.rsplit(".", 1)[0]

    @property
    def name(self) -> str:
        """The table name without its namespace."""
        return self.id.rsplit(".", 1)[1]

    def column(self, name: str) -> ColumnInfo | None:
        """The column called ``name`` (case-insensitive), or None."""
        low = name.lower()
        for col in self.columns:
            if col.name.lower() == low:
                return col
        return None

    @property
    def pii_columns(self) -> frozenset[str]:
        """Names of the columns that are PII (tagged or suspected)."""
        return frozenset(c.name for c in self.columns if c.is_pii)


@dataclass(frozen=True)
class SchemaSnapshot:
    """Every indexed table at one moment; ``key`` changes whenever any table does."""

    tables: Mapping[str, TableInfo]
    key: str = ""

    def table(self, table_id: str) -> TableInfo | None:
        """The table ``namespace.table`` (case-insensitive), or None."""
        found = self.tables.get(table_id)
        if found is not None:
            return found
        low = table_id.lower()
        for tid, info in self.tables.items():
            if tid.lower() == low:
                return info
        return None

    def column(self, column_id: str) -> ColumnInfo | None:
        """The column ``namespace.table.column``, or None."""
        table_id, _, name = column_id.rpartition(".")
        info = self.table(table_id)
        return info.column(name) if info is not None else None

    def columns(self) -> list[ColumnInfo]:
        """Every column of every table."""
        return [c for t in self.tables.values() for c in t.columns]

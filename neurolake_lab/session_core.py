"""What every part of ``Session`` may use: declared once for type checkers, provided by Session.

``Session`` is assembled from one mixin per layer (``lakehouse_api``, ``compliance_api``,
``policy_api``, ``lineage_api``, ``cost_api``); each inherits this, so the engine, the lakehouse,
the user and the audit are spelled out in one place rather than in every mixin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from neurolake_lab.config import Settings
    from neurolake_lab.engine import DuckDBEngine
    from neurolake_lab.lakehouse import Lakehouse
    from neurolake_lab.lakehouse.tables import WriteContext


class SessionCore:
    """The members of ``Session`` its parts rely on (no behaviour of its own)."""

    if TYPE_CHECKING:
        settings: Settings

        @property
        def engine(self) -> DuckDBEngine:
            """The session's DuckDB engine."""

        @property
        def lakehouse(self) -> Lakehouse:
            """The workspace's Iceberg tables as this session sees them."""

        @property
        def user(self) -> str:
            """Who this session acts as."""

        def write_context(self, sql: str | None = None) -> WriteContext:
            """Who writes and from which cell."""

        def record(self, kind: str, sql: str | None = None, **data: Any) -> str:
            """Append one audit record; its id."""

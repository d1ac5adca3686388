"""``QueryContext``: the engine and the lakehouse as one session sees them, for the domain layers.

Cost prediction, the result cache, the optimizer and the metadata index need the session's DuckDB
(its views of the Iceberg tables, its notebook tables), its lakehouse, its snippets and settings —
and nothing else of the session. They take this small object instead of the ``Session``, so that
no module below the notebook surface depends on it (docs/architecture.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from neurolake_lab.config import Settings
    from neurolake_lab.engine import DuckDBEngine
    from neurolake_lab.lakehouse import Lakehouse


@dataclass(eq=False)
class QueryContext:
    """What reading, planning and costing a query needs from one session.

    Attributes:
        engine: The session's DuckDB engine.
        lakehouse: The workspace's Iceberg tables as the session sees them.
        settings: The session's settings.
        snippets: Saved queries a cell may use as tables (the session's own dict, shared).
        memo: Per-session caches of the layers that read queries (keyed by their own names).
        govern: What a read of the tables runs as for the session's identity (the policies
            applied: masks, row filters, denied columns raise); ``None``: as written.
    """

    engine: DuckDBEngine
    lakehouse: Lakehouse
    settings: Settings
    snippets: dict[str, str] = field(default_factory=dict)
    memo: dict[str, Any] = field(default_factory=dict)
    govern: Callable[[str], str] | None = None

    def governed_sql(self, sql: str) -> str:
        """``sql`` (one query) as the session's identity may run it.

        Internal reads (the planner's probes of the data, samples for classification) see what
        the user sees.
        """
        return self.govern(sql) if self.govern is not None else sql

    def refresh(self) -> None:
        """Bring the session's views up to the catalog's current snapshots."""
        self.lakehouse.refresh(self.engine.con)

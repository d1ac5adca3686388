"""Result cache: a query's result reused while its inputs' snapshots and policy context hold.

``ResultCache(workspace)`` keeps results in memory (LRU, bounded by bytes) and spills them to
``<workspace>/cache/results/`` as Arrow IPC files readable by the owner only. ``key(ctx,
sql, policy_context=...)`` gives a ``CacheKey`` (normalized SQL + each Iceberg input's snapshot
+ parameters + policy context) or ``NotCacheable`` with the reason; ``get``/``put`` use it. A
commit to an input makes a new snapshot: the next key differs, and entries of the old one go.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from neurolake_lab.cache.key import CacheKey, NotCacheable, cache_key, make_key
from neurolake_lab.cache.store import CacheStats, ResultStore
from neurolake_lab.config import Workspace

if TYPE_CHECKING:
    import pyarrow as pa
    from sqlglot import exp

    from neurolake_lab.context import QueryContext

__all__ = ["CacheKey", "CacheStats", "NotCacheable", "ResultCache", "make_key"]

DEFAULT_MEMORY_BYTES = 256 * 1024**2
DEFAULT_DISK_BYTES = 2 * 1024**3


class ResultCache:
    """Cached query results of one workspace (one per process is enough; thread-safe).

    Args:
        workspace: the workspace folder; spilled results go to its ``cache/results``.
        memory_bytes: results held in memory at most (least recently used spill first).
        disk_bytes: result files kept at most (least recently used removed first).
    """

    def __init__(
        self,
        workspace: str | os.PathLike[str] | Workspace,
        *,
        memory_bytes: int = DEFAULT_MEMORY_BYTES,
        disk_bytes: int = DEFAULT_DISK_BYTES,
    ) -> None:
        root = workspace.root if isinstance(workspace, Workspace) else Path(workspace)
        self.workspace = Workspace(Path(root).expanduser().resolve())
        self.store = ResultStore(self.workspace.cache / "results", memory_bytes, disk_bytes)
        self._seen: dict[str, int | None] = {}  # table -> the snapshot entries were made at
        self._lock = threading.Lock()

    def key(
        self,
        ctx: QueryContext,
        sql: str,
        *,
        policy_context: str,
        params: Mapping[str, Any] | Sequence[Any] | None = None,
        namespace: Mapping[str, Any] | None = None,
        tree: exp.Expr | None = None,
    ) -> CacheKey | NotCacheable:
        """The key of the cell ``sql`` in the session of ``ctx`` now, or why it is not cached.

        ``policy_context`` names everything policy did to the query for this user (masks, row
        filters, denied columns: a hash of the rewritten SQL or of the decisions will do);
        results under different contexts never meet. Entries made at snapshots that are no
        longer current are removed here, so a commit invalidates at the next lookup.
        """
        key = cache_key(
            ctx, sql, policy_context=policy_context, params=params, namespace=namespace,
            tree=tree,
        )  # fmt: skip
        self._sweep(ctx)
        return key

    def get(self, key: CacheKey, *, count: bool = True) -> pa.Table | None:
        """The cached result for ``key``, or ``None`` (``count=False``: not counted in stats)."""
        return self.store.get(key.digest, count=count)

    def put(self, key: CacheKey, table: pa.Table) -> bool:
        """Cache ``table`` as the result for ``key``; ``False`` when it is too large to keep."""
        with self._lock:
            for name, snapshot in key.inputs:
                self._seen[name] = snapshot
        return self.store.put(key, table)

    def _sweep(self, ctx: QueryContext) -> None:
        """Remove entries of tables whose current snapshot moved on since they were cached."""
        from neurolake_lab.cost.sources import snapshot_of

        pointers = {f"{ns}.{t}": loc for (ns, t), loc in ctx.lakehouse.pointers.items()}
        changed: set[str] = set()
        current: set[tuple[str, int | None]] = set()
        with self._lock:
            for name, snapshot in list(self._seen.items()):
                location = pointers.get(name)
                now = snapshot_of(location) if location is not None else None
                if location is None or now != snapshot:
                    changed.add(name)
                    if location is not None:
                        current.add((name, now))
                        self._seen[name] = now
                    else:
                        del self._seen[name]
        if changed:
            self.store.invalidate(current, changed)

    @property
    def stats(self) -> CacheStats:
        """Hits, misses, spills and invalidations since the cache was opened."""
        return self.store.stats

    def clear(self) -> None:
        """Remove every cached result (memory and disk)."""
        self.store.clear()
        with self._lock:
            self._seen.clear()

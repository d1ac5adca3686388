"""One NeuroLake ``Session`` per Jupyter user, for the REST API.

A session is opened with ``neurolake_lab.connect(workspace, user=<identity>)``, so whatever the
policies say about that user in a kernel they say in the panels too. A session belongs to the
thread that made it (its SQLite catalog connection does), so each user's session lives on its own
worker thread: requests of one user run one at a time there, and the server's event loop never
waits on DuckDB or the catalog.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from neurolake_lab.session import Session

T = TypeVar("T")


class _Worker:
    """A user's session and the one thread that uses it."""

    def __init__(self, workspace: Path, user: str) -> None:
        self.workspace = workspace
        self.user = user
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"neurolake-{user}")
        self.session: Session | None = None

    def call(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` on the session (on the worker's thread; opens the session first)."""
        if self.session is None:
            import neurolake_lab

            self.session = neurolake_lab.connect(self.workspace, user=self.user)
        return work(self.session)

    def close(self) -> None:
        def close_session() -> None:
            if self.session is not None:
                self.session.close()
                self.session = None

        self.thread.submit(close_session)
        self.thread.shutdown(wait=True)


class SessionPool:
    """Sessions on one workspace keyed by user; the least recently used closes past ``size``."""

    def __init__(self, workspace: Path, size: int = 8) -> None:
        self.workspace = workspace
        self.size = size
        self._workers: OrderedDict[str, _Worker] = OrderedDict()
        self._lock = threading.Lock()

    def _worker(self, user: str) -> _Worker:
        old: list[_Worker] = []
        with self._lock:
            found = self._workers.get(user)
            if found is None:
                found = self._workers[user] = _Worker(self.workspace, user)
            self._workers.move_to_end(user)
            while len(self._workers) > self.size:
                old.append(self._workers.popitem(last=False)[1])
        for worker in old:
            worker.close()
        return found

    async def run(self, user: str, work: Callable[[Session], T]) -> T:
        """Run ``work`` on ``user``'s session, on that session's thread."""
        worker = self._worker(user)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(worker.thread, worker.call, work)

    def close(self) -> None:
        """Close every session (the server is stopping)."""
        with self._lock:
            workers, self._workers = list(self._workers.values()), OrderedDict()
        for worker in workers:
            worker.close()

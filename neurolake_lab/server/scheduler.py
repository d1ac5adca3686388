"""Runs due pipelines while JupyterLab runs: the server extension's scheduler.

Every ``NEUROLAKE_PIPELINE_TICK`` seconds (30 by default; ``0`` turns it off) the server looks
for due pipelines on its workspace and runs them (``Pipelines.run_due``: each as its owner,
leased, watched by the Monitor). The work happens on one thread of its own, never on the server's
event loop, and a tick is skipped while the previous one still runs. Only the catalog database is
read until a pipeline is due: a workspace without pipelines costs one small query per tick.
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from neurolake_lab.session import Session

DEFAULT_TICK = 30.0


def tick_seconds() -> float:
    """The scheduler's period from ``NEUROLAKE_PIPELINE_TICK`` (``0``/``off``: no scheduler)."""
    text = os.environ.get("NEUROLAKE_PIPELINE_TICK", "").strip().lower()
    if not text:
        return DEFAULT_TICK
    if text in ("off", "no", "false"):
        return 0.0
    try:
        return max(0.0, float(text))
    except ValueError:
        return DEFAULT_TICK


class PipelineScheduler:
    """Looks for due pipelines on a workspace every ``period`` seconds, on its own thread."""

    def __init__(self, workspace: Path, period: float, log: Any) -> None:
        self.workspace = workspace
        self.period = period
        self.log = log
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="neurolake-scheduler")
        self._session: Session | None = None
        self._pending: Future[None] | None = None
        self._callback: Any = None

    def start(self) -> None:
        """Start ticking on the running event loop."""
        from tornado.ioloop import PeriodicCallback

        self._callback = PeriodicCallback(self.tick, self.period * 1000)
        self._callback.start()
        self.log.info("NeuroLake pipeline scheduler: every %g s on %s", self.period,
                      self.workspace)  # fmt: skip

    def tick(self) -> None:
        """Hand one look for due pipelines to the scheduler's thread (unless one is running)."""
        if self._pending is not None and not self._pending.done():
            return
        self._pending = self._thread.submit(self._run_due)

    def _has_scheduled(self) -> bool:
        from neurolake_lab.config import resolve_settings
        from neurolake_lab.pipelines.store import PipelineStore, store_uri

        store = PipelineStore(store_uri(resolve_settings(self.workspace)))
        try:
            return any(p.schedule and p.active for p in store.all()) or bool(store.running())
        finally:
            store.close()

    def _run_due(self) -> None:
        try:
            if not self._has_scheduled():
                return
            if self._session is None:
                import neurolake_lab

                self._session = neurolake_lab.connect(self.workspace)
            for run in self._session.pipelines.run_due():
                level = self.log.info if run.ok or run.status == "skipped" else self.log.warning
                level("NeuroLake pipeline %s: %s (%s rows)%s", run.pipeline, run.status,
                      run.rows_written, f" - {run.error}" if run.error else "")  # fmt: skip
        except Exception:  # the scheduler must outlive any one bad tick
            self.log.exception("NeuroLake pipeline scheduler: a tick failed")

    def stop(self) -> None:
        """Stop ticking and close the scheduler's session (the server is stopping)."""
        if self._callback is not None:
            self._callback.stop()

        def close() -> None:
            if self._session is not None:
                self._session.close()
                self._session = None

        self._thread.submit(close)
        self._thread.shutdown(wait=True)

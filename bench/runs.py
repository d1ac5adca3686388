"""Cold runs and cached runs, told apart, for every benchmark that runs a query more than once.

The result cache answers a repeated query over unchanged tables without running it. A benchmark
that times repeated runs through ``Session.sql`` therefore measures the cache unless it says what
it measures: ``connect_cold`` opens a session whose result cache is off, ``cold`` runs a query
there and stops the benchmark (``SystemExit``, not an exception a loop could swallow) if the
answer came from the cache anyway, ``cached`` stops it if an answer expected from the cache was
computed, and ``cache_line`` is the line each benchmark prints about the cache.
"""

from __future__ import annotations

import os
from typing import Any

import neurolake_lab
from neurolake_lab.result import QueryResult
from neurolake_lab.session import Session


def connect_cold(workspace: str | os.PathLike[str], **settings: Any) -> Session:
    """A session whose queries always run (the result cache off)."""
    return neurolake_lab.connect(workspace, result_cache=False, **settings)


def cache_line(*sessions: Session) -> str:
    """``result cache: off (cold runs)`` / ``on`` for each session a benchmark times."""
    states = [("on" if s.settings.result_cache else "off (every query runs)") for s in sessions]
    return "result cache: " + ", ".join(dict.fromkeys(states))


def cold(session: Session, sql: str, **kwargs: Any) -> QueryResult:
    """Run ``sql``; a result served by the result cache stops the benchmark."""
    result = session.sql(sql, namespace={}, **kwargs)
    if result.cached:
        raise SystemExit(f"benchmark invalid: a cold run was answered by the result cache: {sql!r}")
    return result


def cached(session: Session, sql: str, **kwargs: Any) -> QueryResult:
    """Run ``sql`` expecting the result cache to answer; a computed result stops the benchmark."""
    result = session.sql(sql, namespace={}, **kwargs)
    if not result.cached:
        raise SystemExit(f"benchmark invalid: a cached run was computed, not cached: {sql!r}")
    return result

"""Cold runs and cached runs, told apart, for every benchmark that runs something more than once.

The result cache answers a repeated query over unchanged tables without running it. A benchmark
that times repeated runs through ``Session.sql`` therefore measures the cache unless it says what
it measures: ``connect_cold`` opens a session whose result cache is off, ``cold`` runs a query
there and stops the benchmark (``SystemExit``, not an exception a loop could swallow) if the
answer came from the cache anyway, ``cached`` stops it if an answer expected from the cache was
computed, and ``cache_line`` is the line each benchmark prints about the cache. The in-process
caches (policy enforcement, lineage graphs, cost predictions: ``neurolake_lab.lru.LRU``) count
their hits; ``Hits`` stops a benchmark whose cold call was answered by one of them, or whose
cached call was not. ``provenance`` is the line that dates a benchmark's figures.
"""

from __future__ import annotations

import ast
import os
import subprocess
import time
from collections.abc import Hashable
from pathlib import Path
from typing import Any, Protocol

import neurolake_lab
from neurolake_lab.result import QueryResult
from neurolake_lab.session import Session

#: the notice a result served by the result cache carries (``neurolake_lab/cell/cache.py``)
CACHE_NOTICE = "from the result cache"


class Counted(Protocol):
    """A cache that counts its hits (``neurolake_lab.lru.LRU``)."""

    hits: int

    def get(self, key: Hashable) -> Any: ...


def connect_cold(workspace: str | os.PathLike[str], **settings: Any) -> Session:
    """A session whose queries always run (the result cache off)."""
    return neurolake_lab.connect(workspace, result_cache=False, **settings)


def cache_line(*sessions: Session) -> str:
    """``result cache: off (cold runs)`` / ``on`` for each session a benchmark times."""
    states = [("on" if s.settings.result_cache else "off (every query runs)") for s in sessions]
    return "result cache: " + ", ".join(dict.fromkeys(states))


def invalid(what: str) -> SystemExit:
    """The stop of a benchmark whose measurement is not what it says."""
    return SystemExit(f"benchmark invalid: {what}")


def cold(session: Session, sql: str, **kwargs: Any) -> QueryResult:
    """Run ``sql``; a result served by the result cache stops the benchmark."""
    result = session.sql(sql, namespace={}, **kwargs)
    if result.cached:
        raise invalid(f"a cold run was answered by the result cache: {sql!r}")
    return result


def cached(session: Session, sql: str, **kwargs: Any) -> QueryResult:
    """Run ``sql`` expecting the result cache to answer; a computed result stops the benchmark."""
    result = session.sql(sql, namespace={}, **kwargs)
    if not result.cached:
        raise invalid(f"a cached run was computed, not cached: {sql!r}")
    return result


def no_hits(session: Session, what: str) -> None:
    """Stop if ``session``'s result cache answered anything (after cold runs not made by ``cold``)."""
    stats = session.result_cache.stats
    if stats.memory_hits + stats.disk_hits:
        raise invalid(f"the result cache answered {what}")


def clear_pii(result: QueryResult) -> list[str]:
    """Columns of ``result`` showing personal data in clear, which the result cache never keeps.

    The same rule as ``neurolake_lab/cell/cache.py``'s ``lookup``: a benchmark times cached runs
    only of results the cache may hold, and names the others.
    """
    masked = {m["column"] for m in result.compliance.get("masked", [])}
    pii = result.compliance.get("pii_columns", [])
    return [c["column"] for c in pii if c["column"] not in masked]


def cold_report(report: dict[str, Any], cell: str) -> None:
    """Stop if a kernel's cell report (``application/vnd.neurolake.report+json``) was a cache hit."""
    if any(CACHE_NOTICE in n for n in report.get("notices", [])):
        raise invalid(f"a cold cell was answered by the result cache: {cell!r}")


#: what a NeuroLake kernel answers about its ``%%sql`` session's result cache: [on, hits so far]
KERNEL_CACHE = (
    "(lambda s: [s.settings.result_cache, s.result_cache.stats.memory_hits"
    " + s.result_cache.stats.disk_hits])(__import__('neurolake_lab.magics', "
    "fromlist=['magics_session']).magics_session(get_ipython()))"
)


def kernel_cache(kc: Any) -> tuple[bool, int]:
    """Whether the result cache of a NeuroLake kernel (a ``jupyter_client`` client) is on, and
    how many cells it answered so far; asked outside any timing."""
    reply = kc.execute("", silent=True, user_expressions={"c": KERNEL_CACHE}, reply=True)
    value = reply["content"]["user_expressions"]["c"]
    if value.get("status") != "ok":
        raise invalid(f"could not read a kernel's result cache: {value.get('evalue')}")
    on, hits = ast.literal_eval(value["data"]["text/plain"])
    return bool(on), int(hits)


def cold_kernel(kc: Any, name: str, *, before: bool) -> str:
    """Stop if a NeuroLake kernel's result cache is on or answered a cell; the line to print.

    Called ``before`` the timed cells (the cache must be off) and after them (it must not have
    answered any: with it off, a hit means the setting was not honoured).
    """
    on, hits = kernel_cache(kc)
    if on:
        raise invalid(f"the result cache is on in the {name} kernel timed cold")
    if hits:
        raise invalid(f"the {name} kernel's result cache answered {hits} cells timed cold")
    return f"result cache: off in the {name} kernel ({'checked' if before else '0 hits'})"


class Hits:
    """Checks in-process caches around one call, outside its timing.

    ``with Hits(cache_a, cache_b, cold=True, what=sql): ...`` stops the benchmark if any of the
    caches answered inside the block; ``cold=False`` stops it if none did.
    """

    def __init__(self, *caches: Counted, cold: bool, what: str) -> None:
        self.caches, self.cold, self.what = caches, cold, what

    def __enter__(self) -> Hits:
        self.before = sum(c.hits for c in self.caches)
        return self

    def __exit__(self, kind: object, *_: object) -> None:
        if kind is not None:
            return
        hit = sum(c.hits for c in self.caches) > self.before
        if self.cold and hit:
            raise invalid(f"a cold call was answered by a cache: {self.what!r}")
        if not self.cold and not hit:
            raise invalid(f"a cached call was computed, not cached: {self.what!r}")


def provenance() -> str:
    """When, on what load and at which commit the figures that follow were measured."""
    root = Path(__file__).resolve().parents[1]

    def git(*args: str) -> str:
        out = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
        return out.stdout.strip() if out.returncode == 0 else ""

    commit = git("rev-parse", "--short=10", "HEAD") or "unknown"
    if git("status", "--porcelain", "--untracked-files=no"):
        commit += " with uncommitted changes"
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    when = time.strftime("%Y-%m-%d %H:%M %Z")
    return f"measured {when}; load average {load} on {os.cpu_count()} CPUs; commit {commit}"

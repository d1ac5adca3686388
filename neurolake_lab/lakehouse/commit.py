"""Commit with retries: Iceberg's optimistic concurrency, as the spec intends it.

A commit that loses a race (another kernel committed first, or SQLite was locked) is redone from
a fresh load of the table: the operation re-reads whatever it depends on, so no writer's rows are
lost and none is applied twice. Data files written by a lost attempt become orphans, which
``maintain`` removes.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from neurolake_lab.exceptions import LakehouseError

if TYPE_CHECKING:
    from pyiceberg.table import Table

T = TypeVar("T")

ATTEMPTS = 12


def _retryable(exc: BaseException) -> bool:
    from pyiceberg.exceptions import CommitFailedException, ValidationException

    # ValidationException: another writer changed the files this commit replaces; redo it from
    # the new state rather than overwrite their work
    if isinstance(exc, CommitFailedException | ValidationException):
        return True
    text = str(exc).lower()
    return "database is locked" in text or "database table is locked" in text


def commit_with_retries(
    load: Callable[[], Table], operation: Callable[[Table], T], *, what: str
) -> T:
    """Run ``operation`` on a freshly loaded table until its commit wins (or give up, clearly)."""
    from neurolake_lab.lakehouse.storage import is_storage_error, storage_failure

    delay = 0.02
    for attempt in range(ATTEMPTS):
        try:
            table = load()
            return operation(table)
        except Exception as exc:
            if is_storage_error(exc):  # refused or unreachable: the commit never happened
                raise storage_failure(exc, f"{what}: not committed") from None
            if not _retryable(exc) or attempt == ATTEMPTS - 1:
                if _retryable(exc):
                    raise LakehouseError(
                        f"{what}: gave up after {ATTEMPTS} attempts, other writers kept "
                        "committing first; nothing was written"
                    ) from None
                raise
        time.sleep(delay * (1 + random.random()))
        delay = min(delay * 2, 1.0)
    raise AssertionError("unreachable")

"""Comm targets that answer each message of the extension with one message, one at a time.

The session behind the comms (one DuckDB connection, the planner's caches) serves one thread at a
time. ipykernel 7 may handle a comm message on a subshell thread while a cell runs on the main
one, so every handler here holds ``CELL_LOCK``, which the kernel holds while it executes a cell:
a page or feedback request waits for the cell; preflight (``try_exclusive``) answers "busy" at
once instead (the extension asks again when the kernel is idle).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

#: held by the kernel while a cell executes and by every comm handler that uses the session
CELL_LOCK = threading.RLock()


@contextmanager
def try_exclusive() -> Iterator[bool]:
    """``True`` with the session to ourselves, ``False`` (at once) while a cell runs."""
    got = CELL_LOCK.acquire(blocking=False)
    try:
        yield got
    finally:
        if got:
            CELL_LOCK.release()


def serve(target: str, handle: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """Register ``target``: each message's data goes to ``handle``; its result is sent back."""
    import comm

    def opened(channel: Any, _open_msg: dict[str, Any]) -> None:
        def on_msg(msg: dict[str, Any]) -> None:
            with CELL_LOCK:
                reply = handle(msg.get("content", {}).get("data", {}) or {})
            channel.send(reply)

        channel.on_msg(on_msg)

    comm.get_comm_manager().register_target(target, opened)

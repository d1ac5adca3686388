"""One thread at a time on the session: a cell, and the comm and widget work that arrives meanwhile.

The session behind a kernel (one DuckDB connection, the planner's caches) serves one thread at a
time. ipykernel 7 may handle a comm message on a subshell thread while a cell runs on the main
one, so the kernel holds ``CELL_LOCK`` while it executes a cell (``cell()``) and every comm handler
holds it too: a page or feedback request waits for the cell; preflight (``try_exclusive``) answers
"busy" at once instead (the extension asks again when the kernel is idle). Widget callbacks (the
``%%nl --confirm`` Run and Accept buttons) arrive the same way, as ``jupyter.widget`` comm
messages, and go through ``serialised``: a click while a cell runs waits for the cell. A basic
module (no NeuroLake imports) so that the widgets and the kernel's comms share it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

#: held by the kernel while a cell executes and by every comm handler that uses the session
CELL_LOCK = threading.RLock()
#: the thread running a cell (``None`` between cells)
_cell_thread: int | None = None
#: comm work that came on the cell's own thread while the cell awaited, run when it ends
_after_cell: list[Callable[[], object]] = []


def _meanwhile() -> bool:
    """A comm handled on the running cell's own thread while the cell awaits (``await`` in it).

    ipykernel dispatches such a message at once rather than after the cell; ``CELL_LOCK`` is
    re-entrant on that thread, so it cannot keep the handler out. The kernel's parent message
    tells the two apart: the cell's own code runs under its ``execute_request``.
    """
    if _cell_thread != threading.get_ident():
        return False
    from ipykernel.kernelbase import Kernel

    parent = Kernel.instance().get_parent() if Kernel.initialized() else {}  # type: ignore[no-untyped-call]
    return parent.get("header", {}).get("msg_type") in {"comm_open", "comm_msg", "comm_close"}


@contextmanager
def cell() -> Iterator[None]:
    """Held around a cell's execution: comms wait for it (or are deferred until it ends)."""
    global _cell_thread
    with CELL_LOCK:
        outer, _cell_thread = _cell_thread, threading.get_ident()
        try:
            yield
        finally:
            _cell_thread = outer
            while _after_cell and outer is None:
                _after_cell.pop(0)()


@contextmanager
def try_exclusive() -> Iterator[bool]:
    """``True`` with the session to ourselves, ``False`` (at once) while a cell runs."""
    got = not _meanwhile() and CELL_LOCK.acquire(blocking=False)
    try:
        yield got
    finally:
        if got:
            CELL_LOCK.release()


def serialised(action: Callable[[], object]) -> None:
    """Run ``action`` after the running cell, if any, holding ``CELL_LOCK``.

    On another thread (a subshell) it waits for the cell; on the cell's own thread while the
    cell awaits, it is queued and run when the cell ends; from the cell's code it runs at once.
    """
    if _meanwhile():
        _after_cell.append(action)
        return
    with CELL_LOCK:
        action()

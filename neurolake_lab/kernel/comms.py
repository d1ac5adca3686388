"""Comm targets that answer each message of the extension with one message, one at a time.

Each handler runs through ``cell_lock.serialised``: after the running cell, if any (the session
serves one thread at a time; see ``neurolake_lab/cell_lock.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from neurolake_lab.cell_lock import serialised


def serve(target: str, handle: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """Register ``target``: each message's data goes to ``handle``; its result is sent back."""
    import comm

    def opened(channel: Any, _open_msg: dict[str, Any]) -> None:
        def on_msg(msg: dict[str, Any]) -> None:
            serialised(lambda: channel.send(handle(msg.get("content", {}).get("data", {}) or {})))

        channel.on_msg(on_msg)

    comm.get_comm_manager().register_target(target, opened)

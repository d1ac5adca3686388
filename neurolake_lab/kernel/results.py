"""The ``neurolake.results`` comm target: pages of a result kept in the kernel.

The extension's result table opens one comm per notebook and sends
``{"id", "result_id", "offset", "limit", "sort": [{"column", "descending"}]}``; the kernel
answers ``{"id", "offset", "rows", "row_count"}`` or ``{"id", "error"}`` (see ``pages.py``).
"""

from __future__ import annotations

from typing import Any

TARGET = "neurolake.results"


def answer(data: dict[str, Any]) -> dict[str, Any]:
    """The reply to one page request."""
    from neurolake_lab import pages

    try:
        sort = [(str(s["column"]), bool(s.get("descending"))) for s in data.get("sort") or []]
        reply = pages.page(
            str(data.get("result_id")), int(data.get("offset", 0)), int(data.get("limit", 50)), sort
        )
    except (KeyError, ValueError, TypeError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        reply = {"error": str(message)}
    reply["id"] = data.get("id")
    return reply


def register() -> None:
    """Register the comm target and start keeping truncated results."""
    from neurolake_lab import pages
    from neurolake_lab.kernel.comms import serve

    serve(TARGET, answer)
    pages.enable()

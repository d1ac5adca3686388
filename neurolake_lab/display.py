"""Displays of the notebook surface that are not cell reports: errors and query plans.

The cell report and its MIME bundle are the contract with the front end and live in
``report.py``; this module holds what only the notebook shows.
"""

from __future__ import annotations

import html
from typing import Any

from neurolake_lab.report import ERROR_MIME


def error_bundle(error: BaseException) -> dict[str, Any]:
    """A display of an error, for places that show rather than raise (a ``--confirm`` panel's Run).

    A :class:`NeuroLakeError` keeps its title, message and hint; anything else is named by its
    type. ``text/html`` is in JupyterLab's error colour, so a saved notebook shows it as an error.
    """
    title = getattr(error, "title", type(error).__name__)
    message = getattr(error, "message", str(error))
    data = {"title": title, "message": message, "hint": getattr(error, "hint", None)}
    text = f"{title}: {error}"
    styled = html.escape(text)
    return {
        ERROR_MIME: data,
        "text/html": f'<pre style="color: var(--jp-error-color1, #d32f2f)">{styled}</pre>',
        "text/plain": text,
    }


def plan_bundle(plan: str) -> dict[str, Any]:
    """A query plan (``--explain``) as preformatted text."""
    return {"text/plain": plan, "text/html": f"<pre>{html.escape(plan)}</pre>"}

"""Displays of the notebook surface that are not cell reports: errors and query plans.

The cell report and its MIME bundle are the contract with the front end and live in
``report.py``; this module holds what only the notebook shows.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from neurolake_lab.report import ERROR_MIME

if TYPE_CHECKING:
    from neurolake_lab.exceptions import NeuroLakeError


def error_bundle(error: NeuroLakeError) -> dict[str, Any]:
    """A display of an error (for places that show rather than raise, such as the CLI)."""
    data = {"title": error.title, "message": error.message, "hint": error.hint}
    text = f"{error.title}: {error}"
    return {ERROR_MIME: data, "text/plain": text}


def plan_bundle(plan: str) -> dict[str, Any]:
    """A query plan (``--explain``) as preformatted text."""
    return {"text/plain": plan, "text/html": f"<pre>{html.escape(plan)}</pre>"}

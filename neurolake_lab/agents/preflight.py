"""Preflight of a ``%%nl`` question: the offline planner's SQL, then the cell preflight of it.

It never calls the LLM and leaves the conversation as it was, so the extension can show what a
question would read and cost while the user types it.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from neurolake_lab.cell.preflight import empty_preflight, preflight
from neurolake_lab.exceptions import NeuroLakeError

if TYPE_CHECKING:
    from neurolake_lab.agents.orchestrator import Orchestrator


def preflight_question(orchestrator: Orchestrator, question: str) -> dict[str, Any]:
    """The SQL the offline planner writes for ``question``, with its cost, lineage, compliance."""
    start = time.perf_counter()
    empty: dict[str, Any] = {"sql": None, **empty_preflight()}
    if not question:
        return empty
    try:
        context = orchestrator.context(mode="offline", options={"learn": False})
        draft = orchestrator.engineer.run(question, context)
    except NeuroLakeError as err:
        empty["error"] = {"title": err.title, "message": err.message, "hint": err.hint}
        return empty
    out = preflight(orchestrator.services, draft.sql)
    out["sql"] = draft.sql
    out["intent"] = draft.intent.to_dict()
    out["preflight_ms"] = round((time.perf_counter() - start) * 1000, 3)
    return out

"""The ``neurolake.feedback`` comm target: the Accept and Reject buttons of a ``%%nl`` answer.

The answer display carries an ``answer_id``; the extension sends ``{"id", "answer_id",
"verdict": "accept"|"reject"}`` and the kernel answers ``{"id", "ok", "message"}``. Accept keeps
the question and its SQL for similar questions; Reject forgets accepted pairs that led to it.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from neurolake_lab.lru import LRU

if TYPE_CHECKING:
    from neurolake_lab.agents.answer import NLResult
    from neurolake_lab.agents.orchestrator import Orchestrator

TARGET = "neurolake.feedback"
_answers: LRU[tuple[NLResult, Orchestrator]] = LRU(64)
_ids = itertools.count(1)
_enabled = False


def remember(answer: NLResult, orchestrator: Orchestrator) -> str | None:
    """An id the answer's buttons send back; None where no comm target answers them."""
    if not _enabled:
        return None
    key = f"n{next(_ids)}"
    _answers.put(key, (answer, orchestrator))
    return key


def serving() -> bool:
    """Whether this kernel answers the extension's Accept/Reject buttons."""
    return _enabled


def answer(data: dict[str, Any]) -> dict[str, Any]:
    """The reply to one Accept or Reject."""
    from neurolake_lab.exceptions import NeuroLakeError

    reply: dict[str, Any] = {"id": data.get("id"), "ok": False}
    found = _answers.get(str(data.get("answer_id")))
    verdict = data.get("verdict")
    if found is None:
        reply["message"] = "this answer is no longer kept in the kernel: ask again"
        return reply
    nl, orchestrator = found
    try:
        if verdict == "accept":
            orchestrator.accept(nl)
            reply["message"] = "Kept: similar questions will use this SQL."
        elif verdict == "reject":
            removed = orchestrator.reject(nl)
            plural = "s" if removed != 1 else ""
            gone = f" {removed} accepted answer{plural} removed." if removed else ""
            reply["message"] = f"Noted: this answer will not be reused.{gone}"
        else:
            reply["message"] = f"unknown verdict {verdict!r}"
            return reply
    except NeuroLakeError as err:
        reply["message"] = f"{err.title}: {err.message}"
        return reply
    reply["ok"] = True
    return reply


def enable() -> None:
    """The kernel serves ``TARGET`` with :func:`answer`: ``%%nl`` answers show the buttons."""
    global _enabled
    _enabled = True

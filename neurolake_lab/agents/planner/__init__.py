"""The offline planner: questions to SQL with no language model, grounded in the schema.

:func:`plan` reads a question into an intent (:mod:`.parse`) and writes its SQL (:mod:`.sqlgen`)
from what the metadata index knows (:mod:`.view`), with the workspace's semantic definitions
(:mod:`.semantics`), then reads the SQL back against the question (:mod:`.verify`). It answers
only what it can map; otherwise it raises :class:`~neurolake_lab.exceptions.PlanningError`
naming what it did not understand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from neurolake_lab.agents.intent import Intent
    from neurolake_lab.agents.planner.sqlgen import PiiLookup
    from neurolake_lab.agents.planner.view import PlannerView


def plan(
    question: str, view: PlannerView, pii: PiiLookup, previous: Intent | None = None
) -> tuple[Intent, str, list[str]]:
    """The intent, SQL and notes of ``question`` (a refinement of ``previous`` when given).

    Raises:
        PlanningError: The question cannot be mapped to the tables.
    """
    from neurolake_lab.agents.planner.parse import parse_question
    from neurolake_lab.agents.planner.sqlgen import generate_sql
    from neurolake_lab.agents.planner.verify import check
    from neurolake_lab.exceptions import PlanningError

    result = parse_question(question, view, previous=previous)
    intent = result.intent()
    if previous is not None:
        from neurolake_lab.agents.planner.refine import merge

        intent = merge(previous, intent)
    sql, notes = generate_sql(intent, view, pii)
    problems = check(result, intent, sql, view, refines=previous is not None)
    if problems:
        raise PlanningError("; ".join(problems), question=question)
    intent.notes.extend(notes)
    return intent, sql, notes


__all__ = ["plan"]

"""``IntentParser``: the agent that reads a question into an ``Intent`` (``agents/intent.py``).

Its own module because it uses the planner's parser, which builds intents: the data class stays
below both, so nothing imports in a circle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from neurolake_lab.agents.planner.parse import ParseResult, parse_question

if TYPE_CHECKING:
    from neurolake_lab.agents.base import AgentContext
    from neurolake_lab.agents.intent import Intent


class IntentParser:
    """Agent: a question (and the conversation so far) in, an :class:`Intent` out.

    Perceive: tokenize the question and load the schema view and semantic definitions.
    Reason: link words to tables, columns, values and definitions; read the structure.
    Act: the :class:`Intent` (or :class:`~neurolake_lab.exceptions.PlanningError` saying what
    was not understood). Learn: nothing of its own; accepted answers are learnt by the index.
    """

    name = "intent"

    def perceive(self, task: str, context: AgentContext) -> tuple[str, AgentContext]:
        """The question and the context it is read in."""
        return task.strip(), context

    def reason(self, observation: tuple[str, AgentContext]) -> ParseResult:
        """Read the question against the schema."""
        question, context = observation
        previous = context.previous_intent if context.follow_up else None
        return parse_question(question, context.planner_view(), previous=previous)

    def act(self, plan: ParseResult) -> Intent:
        """The intent (raises PlanningError for a question that could not be mapped)."""
        return plan.intent()

    def learn(self, feedback: Any) -> None:
        """Nothing to learn here: the index keeps accepted answers."""

    def run(self, question: str, context: AgentContext) -> Intent:
        """Perceive -> reason -> act."""
        return self.act(self.reason(self.perceive(question, context)))

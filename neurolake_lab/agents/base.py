"""The ``Agent`` protocol (perceive -> reason -> act -> learn) and the context of one question.

Agents are small and stateless between questions apart from what they learn: the context carries
the session's services, the metadata index, the schema view, the language model (None offline)
and the conversation so far, so that the same agent serves every notebook of a kernel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

if TYPE_CHECKING:
    from neurolake_lab.agents.intent import Intent
    from neurolake_lab.agents.planner.view import PlannerView
    from neurolake_lab.index import MetadataIndex, SchemaSnapshot
    from neurolake_lab.llm import ChatModel
    from neurolake_lab.services import Services

TaskT = TypeVar("TaskT", contravariant=True)
ResultT = TypeVar("ResultT", covariant=True)


@runtime_checkable
class Agent(Protocol[TaskT, ResultT]):
    """An agent: ``run`` is ``act(reason(perceive(task, context)))``; ``learn`` takes feedback.

    * perceive — gather what the task needs (the question, the schema, earlier turns);
    * reason — decide what to do (read the question, plan the SQL, check it);
    * act — produce the result (an intent, SQL, a decision);
    * learn — take feedback (an accepted answer) so the next similar task goes better.
    """

    name: str

    def perceive(self, task: TaskT, context: AgentContext) -> Any:
        """Gather what the task needs."""
        ...

    def reason(self, observation: Any) -> Any:
        """Decide what to do."""
        ...

    def act(self, plan: Any) -> ResultT:
        """Produce the result."""
        ...

    def learn(self, feedback: Any) -> None:
        """Take feedback on an earlier result."""
        ...

    def run(self, task: TaskT, context: AgentContext) -> ResultT:
        """Perceive -> reason -> act."""
        ...


@dataclass(frozen=True)
class Turn:
    """One answered question of a conversation."""

    question: str
    intent: Intent
    sql: str


@dataclass
class AgentContext:
    """What one question is handled with.

    Attributes:
        services: The services of the session asking (engine, lakehouse, policies...).
        index: The workspace's metadata index (fresh for this question).
        snapshot: The index's view of the tables.
        llm: The chat model, or None when offline (the planner answers).
        follow_up: Whether the question refines the previous turn.
        history: Earlier turns, oldest first.
        allow_values: Whether prompts may carry sample values (see ``agents.prompts``).
        options: Further per-question options.
    """

    services: Services
    index: MetadataIndex
    snapshot: SchemaSnapshot
    llm: ChatModel | None = None
    follow_up: bool = False
    history: list[Turn] = field(default_factory=list)
    allow_values: bool = False
    options: dict[str, Any] = field(default_factory=dict)
    _view: PlannerView | None = None

    @property
    def previous(self) -> Turn | None:
        """The last turn, if any."""
        return self.history[-1] if self.history else None

    @property
    def previous_intent(self) -> Intent | None:
        """The last turn's intent, if any."""
        return self.history[-1].intent if self.history else None

    def planner_view(self) -> PlannerView:
        """The schema, semantic definitions and word index the planner reads (cached per schema)."""
        if self._view is None:
            from neurolake_lab.agents.planner.view import planner_view

            services = self.services
            self._view = planner_view(self.snapshot, services.workspace.root, services.query)
        return self._view

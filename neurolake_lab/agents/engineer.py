"""``DataEngineerAgent``: a question's intent turned into SQL that DuckDB can run.

Three routes, in order:

* an accepted answer that fits the question (offline only; see ``planner.templates``);
* the language model, when one is configured: the prompt carries the schema, definitions and
  the most similar accepted pairs as examples; the SQL is checked (sqlglot, then DuckDB
  ``EXPLAIN``) and any error is sent back for a repair, up to :attr:`max_attempts` tries;
* the offline planner, which maps the question onto the schema or says what it did not
  understand.

Whatever the route, the SQL is validated before the orchestrator sees it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from neurolake_lab.agents.base import AgentContext
from neurolake_lab.agents.intent import Intent
from neurolake_lab.agents.intent_parser import IntentParser
from neurolake_lab.agents.validate import validate
from neurolake_lab.exceptions import LLMOutputError, PlanningError, QueryError

if TYPE_CHECKING:
    from neurolake_lab.agents.pipeline_builder import BuildSession
    from neurolake_lab.agents.planner.templates import TemplateMatch
    from neurolake_lab.index.index import PairHit
    from neurolake_lab.llm.base import ChatMessage
    from neurolake_lab.pipelines.build import PipelineBuild


@dataclass
class Draft:
    """SQL for a question, with how it was made.

    Attributes:
        intent: How the question was read.
        sql: The validated SQL.
        source: ``planner``, ``template`` or ``llm``.
        notes: Choices worth telling the user.
        attempts: LLM calls it took (0 offline).
        model: The model that wrote it (LLM route).
        template: The accepted pair reused (template route).
    """

    intent: Intent
    sql: str
    source: str
    notes: list[str] = field(default_factory=list)
    attempts: int = 0
    model: str | None = None
    template: TemplateMatch | None = None


@dataclass
class Accepted:
    """Feedback: a person accepted ``sql`` as the answer to ``question``."""

    question: str
    sql: str
    user: str
    tables: tuple[str, ...] = ()


@dataclass
class _Observation:
    question: str
    context: AgentContext
    examples: list[PairHit]


class DataEngineerAgent:
    """Agent: question (with context) in, validated SQL out; learns accepted answers."""

    name = "data_engineer"
    max_attempts = 3

    def __init__(self, parser: IntentParser | None = None) -> None:
        self.parser = parser or IntentParser()

    def perceive(self, task: str, context: AgentContext) -> _Observation:
        """The question and the accepted answers most like it."""
        from neurolake_lab.agents.planner.templates import MIN_SCORE

        examples: list[PairHit] = []
        if context.options.get("learn", True):
            examples = context.index.similar_pairs(task, limit=3, min_score=MIN_SCORE)
        return _Observation(task, context, examples)

    def reason(self, observation: _Observation) -> tuple[str, _Observation, Any]:
        """Pick the route: a fitting accepted answer, the language model, or the planner."""
        context = observation.context
        if context.llm is None and not context.follow_up and observation.examples:
            from neurolake_lab.agents.planner.templates import best_template

            found = best_template(observation.question, observation.examples,
                                  context.planner_view())  # fmt: skip
            if found is not None:
                return "template", observation, found
        if context.llm is not None:
            return "llm", observation, None
        return "planner", observation, None

    def act(self, plan: tuple[str, _Observation, Any]) -> Draft:
        """Write and validate the SQL along the chosen route."""
        route, obs, found = plan
        if route == "template":
            return self._from_template(obs, found)
        if route == "llm":
            return self._from_llm(obs)
        return self._from_planner(obs)

    def learn(self, feedback: Accepted, context: AgentContext) -> str:
        """Keep an accepted answer in the index: an example for the LLM, a template offline."""
        return context.index.add_pair(feedback.question, feedback.sql, user=feedback.user,
                                      tables=feedback.tables)  # fmt: skip

    def run(self, task: str, context: AgentContext) -> Draft:
        """Perceive -> reason -> act."""
        return self.act(self.reason(self.perceive(task, context)))

    def build_pipeline(
        self,
        question_or_sql: str,
        into: str,
        context: AgentContext,
        session: BuildSession,
        **options: Any,
    ) -> PipelineBuild:
        """Build a data pipeline writing ``into`` (``ns.table``) from SQL or a question.

        The steps — analyse, design, compliance (remediated where needed), generate, dry run on
        a sample into a scratch table, deploy, hand to the Monitor — are each in the result
        (``agents.pipeline_builder``). ``options``: ``name``, ``mode``, ``key``, ``schedule``,
        ``checks``, ``keep_pii`` (write personal data in clear), ``replace``, ``run``
        (``False``: deploy without a first run).
        """
        from neurolake_lab.agents.pipeline_builder import PipelineBuilder

        return PipelineBuilder(self, context, session).build(question_or_sql, into, **options)

    # -- routes ---------------------------------------------------------------------------------

    def _from_planner(self, obs: _Observation) -> Draft:
        from neurolake_lab.agents.planner import plan

        context = obs.context
        previous = context.previous_intent if context.follow_up else None
        if context.follow_up and previous is None:
            raise PlanningError(
                f"{obs.question!r} refines an earlier question, but there is none yet",
                question=obs.question,
                hint="Ask a whole question first, or leave out --follow-up.",
            )
        try:
            intent, sql, notes = plan(obs.question, context.planner_view(),
                                      context.index.pii_columns, previous)  # fmt: skip
        except PlanningError as exc:
            if not exc.suggestions:  # nothing close by spelling: the nearest by meaning
                hits = context.index.relevant(obs.question, limit=6)
                exc.suggestions = [h.id for h in hits]
                exc.hint = "Closest tables and columns: " + ", ".join(exc.suggestions)
            raise
        self._validate(sql, context, "the planner's SQL")
        return Draft(intent, sql, "planner", notes)

    def _from_template(self, obs: _Observation, found: TemplateMatch) -> Draft:
        context = obs.context
        intent = self._lenient_intent(obs.question, context)
        intent.source = "template"
        note = f"answered like the accepted question {found.pair.question!r}"
        if found.substitutions:
            swaps = ", ".join(f"{a!r} -> {b!r}" for a, b in found.substitutions)
            note += f" ({swaps})"
        intent.notes = [note]
        self._validate(found.sql, context, "the accepted SQL")
        return Draft(intent, found.sql, "template", [note], template=found)

    def _lenient_intent(self, question: str, context: AgentContext) -> Intent:
        try:
            return self.parser.run(question, context)
        except PlanningError:
            return Intent(question, action="unknown")

    def _from_llm(self, obs: _Observation) -> Draft:
        from neurolake_lab.agents import prompts
        from neurolake_lab.llm import extract_sql

        context = obs.context
        llm = context.llm
        assert llm is not None
        intent = self._lenient_intent(obs.question, context)
        intent.source = "llm"
        context.options["examples"] = obs.examples
        context.options["candidate"] = self._candidate(obs)
        messages: list[ChatMessage] = prompts.build_messages(obs.question, context)
        last: Exception | None = None
        for attempt in range(1, self.max_attempts + 1):
            reply = llm.complete(messages)
            refusal = _refusal(reply.text)
            if refusal is not None:
                raise PlanningError(
                    f"{reply.model} says the tables cannot answer this: {refusal}",
                    question=obs.question,
                    hint="Closest tables and columns: "
                    + ", ".join(h.id for h in context.index.relevant(obs.question, limit=6)),
                )
            sql = ""
            try:
                sql = extract_sql(reply.text)
                self._validate(sql, context, "the LLM's SQL")
            except (LLMOutputError, QueryError) as exc:
                last = exc
                from neurolake_lab.llm.base import ChatMessage as Message

                messages = [*messages, Message("assistant", reply.text),
                            prompts.repair_message(sql, str(exc))]  # fmt: skip
                continue
            notes = [f"written by {reply.model}" + (f" after {attempt} tries" if attempt > 1
                                                     else "")]  # fmt: skip
            intent.notes = notes
            return Draft(intent, sql, "llm", notes, attempts=attempt, model=reply.model)
        raise LLMOutputError(
            f"the LLM's SQL still failed after {self.max_attempts} tries: {last}",
            hint="Rephrase the question, or set NEUROLAKE_LLM=offline to use the offline planner.",
        )

    def _candidate(self, obs: _Observation) -> tuple[str, str] | None:
        """The offline planner's SQL and reading for the prompt (or why it refused)."""
        from neurolake_lab.agents.explain import explain
        from neurolake_lab.agents.planner import plan

        context = obs.context
        if context.follow_up:
            return None
        try:
            intent, sql, notes = plan(obs.question, context.planner_view(),
                                      context.index.pii_columns)  # fmt: skip
            self._validate(sql, context, "the planner's SQL")
        except (PlanningError, QueryError) as exc:
            return "", exc.message if hasattr(exc, "message") else str(exc)
        return sql, explain(intent, notes)

    @staticmethod
    def _validate(sql: str, context: AgentContext, what: str) -> None:
        try:
            validate(sql, context.services.query, context.snapshot)
        except QueryError as exc:
            exc.message = f"{what} does not run: {exc.message}"
            raise


def _refusal(text: str) -> str | None:
    """What a model says is missing when it answers with the refusal line instead of SQL."""
    from neurolake_lab.agents.prompts import REFUSAL

    for line in text.strip().strip("`").splitlines():
        line = line.strip()
        if line.lower().startswith(REFUSAL):
            return line[len(REFUSAL) :].strip() or "no reason given"
    return None

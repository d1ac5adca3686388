"""``Orchestrator``: a question through intent, DataEngineer, Compliance, Optimizer, engine, audit.

One orchestrator per session keeps the conversation (for follow-ups); the metadata index and the
language model come from the session's services. The SQL it settles on runs through the cell
pipeline, governed and audited like any ``%%sql`` cell. The compliance and optimizer steps are
interfaces (:mod:`~neurolake_lab.agents.compliance`, :mod:`~neurolake_lab.agents.optimizer`) with
pass-through defaults; assign ``orchestrator.compliance`` / ``orchestrator.optimizer`` to wire
the real ones in, and ``orchestrator.pii_hook`` to let a classifier say which columns of an
untagged table are PII.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from neurolake_lab.agents.answer import NLResult
from neurolake_lab.agents.base import AgentContext, Turn
from neurolake_lab.agents.compliance import (
    ComplianceAgent,
    PassThroughCompliance,
    ReviewRequest,
)
from neurolake_lab.agents.engineer import Accepted, DataEngineerAgent, Draft
from neurolake_lab.agents.explain import explain
from neurolake_lab.agents.intent import Intent
from neurolake_lab.agents.intent_parser import IntentParser
from neurolake_lab.agents.optimizer import OptimizerAgent, PassThroughOptimizer
from neurolake_lab.cell import CellPlan, run_cell
from neurolake_lab.cost.prediction import misprediction
from neurolake_lab.exceptions import PlanningError, UsageError
from neurolake_lab.report import REPORT_VERSION

if TYPE_CHECKING:
    from neurolake_lab.index import MetadataIndex, PiiHook
    from neurolake_lab.llm import ChatModel
    from neurolake_lab.services import Services

_MODES = (None, "auto", "offline", "llm")


class Orchestrator:
    """Runs questions for one session and keeps its conversation.

    Args:
        services: The session's services (engine, lakehouse, index, language model, audit).
        compliance: The compliance step (default: pass-through).
        optimizer: The optimizer step (default: pass-through).
        pii_hook: ``table_id -> PII column names`` for tables without PII tags.
    """

    def __init__(
        self,
        services: Services,
        *,
        compliance: ComplianceAgent | None = None,
        optimizer: OptimizerAgent | None = None,
        pii_hook: PiiHook | None = None,
    ) -> None:
        self.services = services
        self.compliance: ComplianceAgent = compliance or PassThroughCompliance()
        self.optimizer: OptimizerAgent = optimizer or PassThroughOptimizer()
        self.parser = IntentParser()
        self.engineer = DataEngineerAgent(self.parser)
        self.history: list[Turn] = []
        self.last: NLResult | None = None
        self._pii_hook = pii_hook

    # -- what it works with ---------------------------------------------------------------------

    @property
    def pii_hook(self) -> PiiHook | None:
        """The classifier hook for untagged tables (changing it re-indexes those tables)."""
        return self._pii_hook

    @pii_hook.setter
    def pii_hook(self, hook: PiiHook | None) -> None:
        self._pii_hook = hook
        self.services.index.pii_hook = hook

    @property
    def index(self) -> MetadataIndex:
        """The workspace's metadata index (opened on first use)."""
        index = self.services.index
        if self._pii_hook is not None and index.pii_hook is not self._pii_hook:
            index.pii_hook = self._pii_hook
        return index

    def llm(self, mode: str | None = None) -> ChatModel | None:
        """The chat model, or None when offline (by configuration or ``mode="offline"``)."""
        if mode == "offline":
            return None
        if self.services.llm_config().offline:
            if mode == "llm":
                raise UsageError(
                    "mode='llm' needs an LLM endpoint: set NEUROLAKE_LLM_BASE_URL or OPENAI_API_KEY"
                )
            return None
        return self.services.chat_model()

    def context(self, *, follow_up: bool = False, mode: str | None = None,
                options: dict[str, Any] | None = None) -> AgentContext:  # fmt: skip
        """A fresh context: the lakehouse and the index brought up to date first."""
        from neurolake_lab.agents.prompts import values_allowed

        services = self.services
        services.lakehouse.refresh(services.engine.con)
        snapshot = self.index.refresh(services.query)
        return AgentContext(
            services=services,
            index=self.index,
            snapshot=snapshot,
            llm=self.llm(mode),
            follow_up=follow_up,
            history=list(self.history),
            allow_values=values_allowed(services.settings.extra),
            options=dict(options or {}),
        )

    # -- a question -----------------------------------------------------------------------------

    def ask(
        self,
        question: str,
        follow_up: bool = False,
        *,
        execute: bool = True,
        sql: str | None = None,
        mode: str | None = None,
        learn: bool = True,
    ) -> NLResult:
        """Answer ``question``; see :meth:`neurolake_lab.session.Session.ask`."""
        if not question or not question.strip():
            raise UsageError("there is no question to answer")
        if mode not in _MODES:
            raise UsageError(f"mode must be 'offline', 'llm' or None, not {mode!r}")
        start = time.perf_counter()
        context = self.context(follow_up=follow_up, mode=mode, options={"learn": learn})
        t_context = time.perf_counter()
        if sql is not None:
            draft = self._edited(question, sql, context)
        else:
            draft = self.engineer.run(question.strip(), context)
        t_sql = time.perf_counter()
        request = self._request(question, draft.sql, draft.intent, context)
        decision = self.compliance.review(request)
        if decision.refusal is not None:
            raise decision.refusal
        optimized = self.optimizer.review(self._request(question, decision.sql, draft.intent,
                                                        context))  # fmt: skip
        to_run = optimized.sql
        t_review = time.perf_counter()
        result = None
        audit_id = None
        if execute:
            services = self.services
            # one audit record for the question: the cell pipeline writes it (kind "nl")
            plan = CellPlan(to_run, user=services.user, question=question,
                            drafted_sql=draft.sql, source=draft.source)  # fmt: skip
            result = run_cell(plan, services)
            audit_id = result.audit_id
        t_run = time.perf_counter()
        explanation = explain(draft.intent, draft.notes)
        timings = {
            "index_ms": (t_context - start) * 1000,
            "understand_ms": (t_sql - t_context) * 1000,
            "review_ms": (t_review - t_sql) * 1000,
            "run_ms": (t_run - t_review) * 1000,
        }
        report = self._report(question, draft, to_run, result, explanation, decision.report(),
                              optimized.cost(), audit_id, timings, start)  # fmt: skip
        answer = NLResult(question=question, intent=draft.intent, sql=draft.sql,
                          executed_sql=to_run, result=result, explanation=explanation,
                          report=report, source=draft.source, audit_id=audit_id)  # fmt: skip
        self.history.append(Turn(question, draft.intent, draft.sql))
        del self.history[:-20]
        self.last = answer
        return answer

    def _edited(self, question: str, sql: str, context: AgentContext) -> Draft:
        """SQL a person wrote or edited for the question (the --confirm panel): checked, kept."""
        from neurolake_lab.agents.validate import validate

        try:
            intent = self.parser.run(question, context)
        except PlanningError:
            intent = Intent(question, action="unknown")
        intent.source = "edited"
        validate(sql.strip().rstrip(";"), context.services.query, context.snapshot)
        return Draft(intent, sql.strip().rstrip(";"), "edited", ["SQL edited before running"])

    def _request(self, question: str, sql: str, intent: Intent,
                 context: AgentContext) -> ReviewRequest:  # fmt: skip
        pii = {tid: set(t.pii_columns) for tid, t in context.snapshot.tables.items()}
        return ReviewRequest(question, sql, intent, self.services.user, self.services, pii)

    def _report(
        self,
        question: str,
        draft: Draft,
        executed: str,
        result: Any,
        explanation: str,
        compliance: dict[str, Any],
        cost: dict[str, Any],
        audit_id: str | None,
        timings: dict[str, float],
        start: float,
    ) -> dict[str, Any]:
        if result is not None:
            base = dict(result.report)
        else:
            base = {
                "version": REPORT_VERSION,
                "statement_type": "SELECT",
                "notices": ["not run: SQL only"],
                "result": {"columns": [], "rows_preview": [], "row_count": 0, "truncated": False},
                "lineage": {"nodes": [], "edges": []},
                "timings": {},
            }
        intent = draft.intent.to_dict()
        intent["explanation"] = explanation
        notices = list(base.get("notices", [])) + [
            n for n in draft.notes if n.startswith("left out PII")
        ]
        base_timings = {k: float(v) for k, v in base.get("timings", {}).items() if v is not None}
        all_timings = {**base_timings, **{k: round(v, 3) for k, v in timings.items()}}
        all_timings["total_ms"] = round((time.perf_counter() - start) * 1000, 3)
        # the run's own prediction (interval, joins, actual rows), with the optimizer step's
        # figures over it when that step predicted; the misprediction flag is of what is shown
        ran = base.get("cost") or {}
        reviewed = {k: v for k, v in cost.items() if v is not None and v != []}
        cost_part = {**(ran if ran.get("predicted_ms") is not None else cost), **reviewed}
        cost_part.setdefault("suggestions", [])
        cost_part["actual_ms"] = ran.get("actual_ms")
        cost_part["misprediction"] = misprediction(
            cost_part.get("predicted_ms"), cost_part["actual_ms"]
        )
        return {
            **base,
            "kind": "nl",
            "question": question,
            "intent": intent,
            "sql": draft.sql,
            "executed_sql": executed,
            "notices": notices,
            "cost": cost_part,
            "compliance": _merged(base.get("compliance"), compliance),
            "audit_id": audit_id,
            "timings": all_timings,
        }

    # -- learning and the conversation ------------------------------------------------------

    def reject(self, answer: NLResult) -> int:
        """The user says ``answer`` is wrong: accepted pairs that led to it are forgotten.

        Those are the pairs for the same question or with the same SQL (a template answer);
        the rejection is audited. Returns how many pairs were removed.
        """
        removed = self.index.remove_pairs(answer.question, answer.sql)
        self.services.audit.append("nl_feedback", user=self.services.user, verdict="reject",
                            question=answer.question, removed_pairs=removed)  # fmt: skip
        return removed

    def accept(self, answer: NLResult | None = None) -> str:
        """Keep ``answer`` (default: the last one) as an accepted question→SQL pair."""
        answer = answer or self.last
        if answer is None:
            raise UsageError("there is no answer to accept yet: ask a question first")
        self.index  # noqa: B018 - opens the index
        context_tables = tuple(sorted(self.index.snapshot.tables))
        tables = tuple(t for t in context_tables if t.split(".")[-1] in answer.sql)
        context = AgentContext(self.services, self.index, self.index.snapshot)
        return self.engineer.learn(
            Accepted(answer.question, answer.sql, self.services.user, tables), context
        )

    def reset(self) -> None:
        """Forget the conversation: the next question stands alone."""
        self.history.clear()
        self.last = None


def _merged(ran: dict[str, Any] | None, reviewed: dict[str, Any]) -> dict[str, Any]:
    """The report's compliance part: what the engine's policies did, then the review step's."""
    if not ran:
        return reviewed
    merged: dict[str, Any] = {}
    for key in reviewed:
        items = list(ran.get(key, []))
        items += [item for item in reviewed.get(key, []) if item not in items]
        merged[key] = items
    return merged

"""The agent layer behind ``%%nl``: intent -> SQL -> compliance -> optimizer -> engine -> audit.

* :class:`~neurolake_lab.agents.base.Agent` — the protocol (perceive -> reason -> act -> learn);
* :class:`~neurolake_lab.agents.intent.IntentParser` — question -> :class:`Intent`;
* :class:`~neurolake_lab.agents.engineer.DataEngineerAgent` — intent -> validated SQL (LLM,
  accepted-answer template, or the offline planner);
* :class:`~neurolake_lab.agents.compliance.ComplianceAgent` and
  :class:`~neurolake_lab.agents.optimizer.OptimizerAgent` — interfaces with pass-through defaults;
* :class:`~neurolake_lab.agents.orchestrator.Orchestrator` — runs them for one session.

:func:`orchestrator_for` gives a session's orchestrator (one per session, made on first use).
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from neurolake_lab.agents.orchestrator import Orchestrator
    from neurolake_lab.session import Session

_ORCHESTRATORS: weakref.WeakKeyDictionary[Session, Orchestrator] = weakref.WeakKeyDictionary()


def orchestrator_for(session: Session) -> Orchestrator:
    """The orchestrator of ``session`` (it keeps the conversation and the index)."""
    found = _ORCHESTRATORS.get(session)
    if found is None:
        from neurolake_lab.agents.governance import CostOptimizerAgent, PolicyComplianceAgent
        from neurolake_lab.agents.orchestrator import Orchestrator

        found = Orchestrator(
            session, compliance=PolicyComplianceAgent(), optimizer=CostOptimizerAgent()
        )
        _ORCHESTRATORS[session] = found
    return found


__all__ = ["orchestrator_for"]

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
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from neurolake_lab.agents.orchestrator import Orchestrator
    from neurolake_lab.services import Services


class _HasServices(Protocol):
    """A session (anything that holds its services)."""

    @property
    def services(self) -> Services:
        """The session's services."""
        ...


_ORCHESTRATORS: weakref.WeakKeyDictionary[Services, Orchestrator] = weakref.WeakKeyDictionary()


def orchestrator_for(owner: Services | _HasServices) -> Orchestrator:
    """The orchestrator of a session's services (it keeps the conversation); made on first use.

    Accepts the services or a session holding them, so ``orchestrator_for(session)`` works too.
    """
    from neurolake_lab.services import Services

    services = owner if isinstance(owner, Services) else owner.services
    found = _ORCHESTRATORS.get(services)
    if found is None:
        from neurolake_lab.agents.governance import CostOptimizerAgent, PolicyComplianceAgent
        from neurolake_lab.agents.orchestrator import Orchestrator

        found = Orchestrator(
            services, compliance=PolicyComplianceAgent(), optimizer=CostOptimizerAgent()
        )
        _ORCHESTRATORS[services] = found
    return found


__all__ = ["orchestrator_for"]

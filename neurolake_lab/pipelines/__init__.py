"""Data pipelines that heal themselves: named SQL written into Iceberg tables on a schedule.

* :class:`~neurolake_lab.pipelines.api.Pipelines` — ``session.pipelines``: create, run, list,
  pause, resume, delete, history, incidents;
* :mod:`~neurolake_lab.pipelines.runner` — one run: lease, governed write, record;
* :mod:`~neurolake_lab.pipelines.monitor` — the Monitor: diagnoses, heals, checks, alerts;
* :mod:`~neurolake_lab.pipelines.store` — state in the catalog database (survives restarts);
* :mod:`~neurolake_lab.pipelines.schedule` — ``every 1h``, ``daily at 02:00``, cron.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from neurolake_lab.pipelines.api import Pipelines
    from neurolake_lab.pipelines.model import Incident, Pipeline, Run

__all__ = ["Incident", "Pipeline", "Pipelines", "Run"]


def __getattr__(name: str) -> Any:
    """Import on first use: the magics load with the kernel, the lakehouse only when needed."""
    if name == "Pipelines":
        from neurolake_lab.pipelines.api import Pipelines

        return Pipelines
    if name in ("Incident", "Pipeline", "Run"):
        from neurolake_lab.pipelines import model

        return getattr(model, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

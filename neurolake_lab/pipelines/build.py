"""``PipelineBuild``: what building a pipeline did, step by step (the Data Engineer's report).

The builder is an agent (``agents/pipeline_builder.py``); its result lives here, with the
pipelines, so that ``Session.pipelines.build`` can return it without this layer knowing agents.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from neurolake_lab.pipelines.model import Pipeline, Run


@dataclass
class BuildStep:
    """One step of a build: ``ok``, ``fixed`` (remediated), ``failed`` or ``skipped``."""

    name: str
    status: str
    detail: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class PipelineBuild:
    """What building a pipeline did, step by step (a notebook shows it as a table)."""

    request: str
    into: str
    steps: list[BuildStep] = field(default_factory=list)
    sql: str | None = None
    question: str | None = None
    pipeline: Pipeline | None = None
    run: Run | None = None

    @property
    def ok(self) -> bool:
        """Whether the pipeline was deployed and its first run wrote what it should."""
        return self.pipeline is not None and all(s.status != "failed" for s in self.steps)

    def __str__(self) -> str:
        lines = [f"building a pipeline into {self.into}:"]
        lines += [f"  {s.name:<11} {s.status:<7} {s.detail}" for s in self.steps]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td><b>{html.escape(s.name)}</b></td><td>{html.escape(s.status)}</td>"
            f"<td style='text-align:left'>{html.escape(s.detail)}</td></tr>"
            for s in self.steps
        )
        sql = f"<pre>{html.escape(self.sql)}</pre>" if self.sql else ""
        return (
            f"<div data-neurolake='pipeline-build'><p>Pipeline into "
            f"<code>{html.escape(self.into)}</code></p><table>{rows}</table>{sql}</div>"
        )

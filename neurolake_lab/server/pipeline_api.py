"""REST endpoints of the Visual Designer: the pipelines as a graph, their history, run/pause.

``GET api/pipelines`` answers every pipeline and the graph the designer draws (tables and
pipelines as nodes: sources → pipeline → target), each pipeline coloured by its health;
``GET api/pipelines/{name}`` one pipeline with its runs, incidents and SQL versions;
``POST api/pipelines/{name}/run|pause|resume`` act on it as the requesting user (only its owner
or the workspace owner may); ``POST api/pipeline-sql`` turns a question into SQL for a new
pipeline (the designer writes it into a ``%%pipeline`` cell, which creates the pipeline).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import tornado
from jupyter_server.base.handlers import APIHandler

from neurolake_lab.server.api import ApiError, NeuroLakeAPIHandler
from neurolake_lab.server.views import NotFound

if TYPE_CHECKING:
    from neurolake_lab.pipelines.api import Pipelines
    from neurolake_lab.session import Session

NAME = r"(?P<name>[A-Za-z_][A-Za-z0-9_\-]{0,62})"


def _big(value: Any) -> Any:
    """Snapshot ids above 2^53 as strings (JavaScript numbers would lose digits)."""
    return str(value) if isinstance(value, int) and abs(value) > 2**53 - 1 else value


def _pipelines(session: Session) -> Pipelines:
    return session.pipelines


def _known(session: Session, name: str) -> None:
    if session.pipelines.store.get(name) is None:
        raise NotFound(f"no pipeline {name} in this workspace")


def overview(session: Session) -> dict[str, Any]:
    """Every pipeline, and the graph of tables and pipelines the designer lays out."""
    items = _pipelines(session).list()
    nodes: dict[str, dict[str, Any]] = {}
    edges: list[dict[str, str]] = []
    targets = {p["target"] for p in items}
    sources = {s for p in items for s in p["sources"]}
    for p in items:
        pid = f"pipeline:{p['name']}"
        nodes[pid] = {"id": pid, "kind": "pipeline", "label": p["name"], "health": p["health"],
                      "mode": p["mode"], "schedule": p["schedule"]}  # fmt: skip
        for table in [*p["sources"], p["target"]]:
            role = {(True, False): "target", (False, True): "source"}.get(
                (table in targets, table in sources), "both"
            )
            nodes[f"table:{table}"] = {"id": f"table:{table}", "kind": "table", "label": table,
                                       "role": role}  # fmt: skip
        edges.extend({"source": f"table:{s}", "target": pid} for s in p["sources"])
        edges.append({"source": pid, "target": f"table:{p['target']}"})
    for p in items:
        p["last_rows"] = _big(p["last_rows"])
    return {"items": items, "graph": {"nodes": list(nodes.values()), "edges": edges}}


def detail(session: Session, name: str) -> dict[str, Any]:
    """One pipeline: definition, runs (newest first) with incidents and fixes, SQL versions."""
    _known(session, name)
    pipelines = _pipelines(session)
    definition = pipelines.get(name).to_json()
    history = pipelines.history(name, limit=50)
    for run in history:
        run["snapshot_id"] = _big(run["snapshot_id"])
    versions = [{**v, "at": _iso(v["at"])} for v in pipelines.sql_versions(name)]
    health = next(p["health"] for p in pipelines.list() if p["name"] == name)
    return {"pipeline": {**definition, "created_at": _iso(definition["created_at"]),
                         "updated_at": _iso(definition["updated_at"]), "health": health},
            "history": history, "versions": versions}  # fmt: skip


def _iso(moment: float | None) -> str | None:
    from neurolake_lab.pipelines.model import iso

    return iso(moment)


def act(session: Session, name: str, action: str) -> dict[str, Any]:
    """Run, pause or resume ``name`` as this user; the run's or the pipeline's new state."""
    from neurolake_lab.pipelines.store import PipelineForbidden

    _known(session, name)
    pipelines = _pipelines(session)
    try:
        return _act(pipelines, name, action)
    except PipelineForbidden as err:
        raise ApiError(403, err.message) from None


def _act(pipelines: Pipelines, name: str, action: str) -> dict[str, Any]:
    if action == "run":
        run = pipelines.run(name)
        return {"run_id": run.id, "status": run.status, "rows_written": run.rows_written,
                "snapshot_id": _big(run.snapshot_id), "error": run.error,
                "incidents": run.incidents}  # fmt: skip
    pipeline = getattr(pipelines, action)(name)
    return {"name": name, "status": pipeline.status, "paused_reason": pipeline.paused_reason}


class PipelinesHandler(NeuroLakeAPIHandler):
    """``GET /neurolake/api/pipelines``."""

    @tornado.web.authenticated
    async def get(self) -> None:
        """Every pipeline with its health, and the graph of sources, pipelines and targets."""
        await self.answer(overview)


class PipelineHandler(NeuroLakeAPIHandler):
    """``GET /neurolake/api/pipelines/{name}``."""

    @tornado.web.authenticated
    async def get(self, name: str) -> None:
        """One pipeline with its history, incidents and fixes."""
        await self.answer(lambda s: detail(s, name))


class PipelineActionHandler(NeuroLakeAPIHandler):
    """``POST /neurolake/api/pipelines/{name}/(run|pause|resume)``."""

    @tornado.web.authenticated
    async def post(self, name: str, action: str) -> None:
        """Act on the pipeline as the requesting user (its owner or the workspace owner)."""
        await self.answer(lambda s: act(s, name, action))


class PipelineSqlHandler(NeuroLakeAPIHandler):
    """``POST /neurolake/api/pipeline-sql``: ``{"question": ...}`` → ``{"sql", "notes"}``."""

    @tornado.web.authenticated
    async def post(self) -> None:
        """SQL for a question (the offline planner or the configured LLM), not run."""
        try:
            body = json.loads(self.request.body or b"{}")
        except json.JSONDecodeError as err:
            raise ApiError(400, f"the body is not JSON: {err}") from None
        question = body.get("question") if isinstance(body, dict) else None
        if not isinstance(question, str) or not question.strip():
            raise ApiError(400, 'the body must be {"question": "<a question>"}')

        def draft(session: Session) -> dict[str, Any]:
            from neurolake_lab.exceptions import PlanningError

            try:
                answer = session.ask(question.strip(), execute=False)
            except PlanningError as err:  # not understood: the question is what to change
                raise ApiError(400, f"{err.title}: {err}") from None
            return {"sql": answer.sql, "notes": list(answer.intent.notes or [])}

        await self.answer(draft)


#: The designer's endpoints, relative to ``<base_url>/neurolake/``.
PIPELINE_ROUTES: list[tuple[str, type[APIHandler]]] = [
    ("api/pipelines", PipelinesHandler),
    (f"api/pipelines/{NAME}/(?P<action>run|pause|resume)", PipelineActionHandler),
    (f"api/pipelines/{NAME}", PipelineHandler),
    ("api/pipeline-sql", PipelineSqlHandler),
]

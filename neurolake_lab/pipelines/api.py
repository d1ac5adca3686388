"""``Session.pipelines``: create, run, schedule, pause and inspect data pipelines.

Every change is checked (the SQL runs on no data first, as its owner), stored in the catalog
database and audited. A pipeline runs as its owner: from a notebook of the owner, in that
session; from a scheduler (the Jupyter server, ``neurolake pipelines run-due``), in a session
opened for the owner.
"""

from __future__ import annotations

import builtins
import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from neurolake_lab.exceptions import UsageError
from neurolake_lab.pipelines.model import Incident, Pipeline, Run, check_name, iso, now
from neurolake_lab.pipelines.monitor import Monitor, new_interrupted_incident
from neurolake_lab.pipelines.runner import (
    OwnerSession,
    Runner,
    body,
    ensure_runnable,
    output_columns,
    quality_rules,
)
from neurolake_lab.pipelines.schedule import Schedule
from neurolake_lab.pipelines.sources import committed_by, table_metadata
from neurolake_lab.pipelines.store import PipelineError, PipelineStore, store_uri

if TYPE_CHECKING:
    from neurolake_lab.config import Settings
    from neurolake_lab.pipelines.build import PipelineBuild

#: Opens a session acting as the given user on the same workspace (closed by the caller).
SessionOpener = Callable[[str], OwnerSession]


class Pipelines:
    """The workspace's pipelines, seen from one session (``session.pipelines``)."""

    def __init__(
        self,
        session: OwnerSession,
        open_session: SessionOpener,
        build: Callable[..., PipelineBuild] | None = None,
    ) -> None:
        self.session = session
        self._build = build
        self.settings: Settings = session.settings
        self._open = open_session
        self._store: PipelineStore | None = None
        extra = self.settings.extra
        self.monitor = Monitor(
            self.store,
            retries=int(extra.get("pipeline_retries", 3)),
            backoff=float(extra.get("pipeline_backoff_seconds", 2.0)),
        )
        self.runner = Runner(
            self.store, self.monitor, lease_ttl=float(extra.get("pipeline_lease_seconds", 60))
        )

    @property
    def store(self) -> PipelineStore:
        """Where pipelines, runs, incidents and leases are kept (opened on first use)."""
        if self._store is None:
            self._store = PipelineStore(store_uri(self.settings))
        return self._store

    def close(self) -> None:
        """Release the store's database connections."""
        if self._store is not None:
            self._store.close()

    # -- defining --------------------------------------------------------------------------------

    def create(
        self,
        name: str,
        sql: str,
        into: str,
        mode: str = "append",
        key: str | list[str] | None = None,
        schedule: str | None = None,
        checks: dict[str, Any] | None = None,
        *,
        question: str | None = None,
        no_pii: str | None = None,
        replace: bool = False,
    ) -> Pipeline:
        """Define a pipeline: ``sql`` (one SELECT) written into ``into`` with ``mode``.

        Args:
            name: Unique in the workspace.
            sql: The query whose rows are written on each run.
            into: The target Iceberg table, ``namespace.table`` (created on the first run).
            mode: ``append``, ``overwrite`` or ``merge`` (upsert on ``key``, one snapshot).
            key: The merge key: a column or a list of columns.
            schedule: ``"every 1h"``, ``"daily at 02:00"``, a cron expression, or ``None``.
            checks: Quality rules for the target, as ``Session.set_quality`` takes them.
            question: The plain-language question the SQL answers, if it came from one.
            no_pii: ``"mask"`` (or ``"drop"``) the personal data the SQL reads in what it
                writes, as ``%%sql --no-pii`` does.
            replace: Update an existing pipeline of that name (its SQL gets a new version).

        Raises:
            UsageError: A bad name, mode, key, schedule or check.
            QueryError: The SQL does not run (it is tried on no data, as you).
            PipelineError: The name is taken (without ``replace``), or by someone else.
        """
        check_name(name)
        keys = [key] if isinstance(key, str) else list(key or [])
        if schedule:
            Schedule.parse(schedule)
        existing = self.store.get(name)
        if existing is not None:
            if not replace:
                raise PipelineError(
                    f"pipeline {name} exists already", hint="pass replace=True to change it"
                )
            ensure_runnable(existing, self.session.user, self.settings.owner)
        pipeline = Pipeline(
            name, body(sql), into.strip(), mode, keys, schedule or None, dict(checks or {}),
            owner=existing.owner if existing else self.session.user, question=question,
            no_pii=no_pii,
        )  # fmt: skip
        self._validate(pipeline)
        if pipeline.owner == self.session.user:  # it runs as its owner: may the owner write?
            self._authorize(pipeline)
        reason = "created"
        if existing is not None:
            pipeline.created_at = existing.created_at
            pipeline.version = existing.version
            if existing.sql != pipeline.sql:
                pipeline.version += 1
                reason = f"changed by {self.session.user}"
            else:
                reason = None  # type: ignore[assignment]
        self.store.save(pipeline, reason=reason, author=self.session.user)
        if existing is not None and pipeline.checks != existing.checks:
            self._apply_checks(pipeline)
        self.session.record(
            "pipeline", pipeline=name, action="update" if existing else "create",
            table=pipeline.target, mode=mode, key=keys or None, schedule=schedule,
            sql=pipeline.sql, version=pipeline.version,
        )  # fmt: skip
        return pipeline

    def build(self, question_or_sql: str, into: str, **options: Any) -> PipelineBuild:
        """Let the Data Engineer build a pipeline, step by step (``DataEngineerAgent``).

        Analyses the SQL or question, designs the mode and key, applies the policy (masking
        personal data unless ``keep_pii=True``), dry-runs a sample into a scratch table, deploys
        and runs it once under the Monitor; the result shows every step.
        """
        if self._build is None:  # the Data Engineer lives above this layer: the session wires it
            raise UsageError(
                "building a pipeline needs the session's agents: use Session.pipelines"
            )
        return self._build(question_or_sql, into, **options)

    def _authorize(self, pipeline: Pipeline) -> None:
        """Refuse now, not at the first run, a pipeline its owner may not write (or check)."""
        authorizer = self.session.services.authorizer
        ns, table = pipeline.target.split(".", 1)
        operation = f"pipeline {pipeline.name}"
        authorizer.require("write", (ns, table), operation)
        if pipeline.checks:
            authorizer.require("quality", (ns, table), operation)

    def _validate(self, pipeline: Pipeline) -> None:
        """The SQL is one query that runs (on no data) as its owner; checks and key fit it.

        A query reading the target of another pipeline that has not run yet cannot be tried;
        it is accepted (a chain of pipelines can be defined before it first runs), and its first
        run checks it instead.
        """
        import sqlglot
        from sqlglot import exp

        from neurolake_lab.exceptions import QueryError
        from neurolake_lab.lakehouse.quality import QualityRules

        try:
            trees = [t for t in sqlglot.parse(pipeline.sql, read="duckdb") if t is not None]
        except sqlglot.errors.ParseError:
            trees = []  # DuckDB names the syntax error below
        if len(trees) > 1 or (trees and not isinstance(trees[0], exp.Query)):
            raise UsageError("a pipeline's SQL is one query (SELECT ...): its rows are written")
        rules = QualityRules(**quality_rules(pipeline))
        pending = self._pending_targets(trees[0]) if trees else set()
        sources = set(self.session.tables_read(pipeline.sql)) | pending
        pipeline.sources = sorted(sources - {pipeline.target})
        try:
            columns = output_columns(self.session, pipeline)
        except QueryError as err:
            if err.kind == "unknown_table" and pending:
                return
            raise
        lower = {c.lower() for c in columns}
        missing = [k for k in pipeline.key if k.lower() not in lower]
        if missing:
            raise UsageError(f"the key {', '.join(missing)} is not a column of the SQL's result "
                             f"(it gives {', '.join(columns)})")  # fmt: skip
        unknown = sorted(c for c in rules.columns() if c.lower() not in lower)
        if unknown:
            raise UsageError(f"the checks name {', '.join(unknown)}, which the SQL does not give "
                             f"(it gives {', '.join(columns)})")  # fmt: skip
        meta = table_metadata(self.session.lakehouse, pipeline.target)
        if meta is not None:
            known = {f.name.lower() for f in meta.schema().fields}
            extra = [c for c in columns if c.lower() not in known]
            if extra:
                raise UsageError(
                    f"{pipeline.target} exists and has no column {', '.join(extra)}",
                    hint=f"ALTER TABLE {pipeline.target} ADD COLUMN ... first, or pick another "
                    "target",
                )

    def _pending_targets(self, tree: Any) -> set[str]:
        """Tables the query names that do not exist yet but another pipeline will write."""
        from sqlglot import exp

        lake = self.session.lakehouse
        lake.refresh(self.session.engine.con)
        named = {f"{t.db}.{t.name}" for t in tree.find_all(exp.Table) if t.db}
        missing = {n for n in named if tuple(n.split(".")) not in lake.pointers}
        targets = {p.target for p in self.store.all()}
        return missing & targets

    def _apply_checks(self, pipeline: Pipeline) -> None:
        if table_metadata(self.session.lakehouse, pipeline.target) is not None:
            with self._as_owner(pipeline) as session:
                session.set_quality(pipeline.target, **quality_rules(pipeline))

    def pause(self, name: str, reason: str | None = None) -> Pipeline:
        """Stop the scheduler from running ``name`` (a manual ``run`` still works)."""
        return self._set_status(name, "paused", reason or f"paused by {self.session.user}")

    def resume(self, name: str) -> Pipeline:
        """Let the scheduler run ``name`` again."""
        return self._set_status(name, "active", None)

    def _set_status(self, name: str, status: str, reason: str | None) -> Pipeline:
        pipeline = self.store.require(name)
        ensure_runnable(pipeline, self.session.user, self.settings.owner)
        pipeline.status, pipeline.paused_reason = status, reason
        self.store.save(pipeline)
        self.session.record("pipeline", pipeline=name, action="pause" if status == "paused"
                            else "resume", reason=reason)  # fmt: skip
        return pipeline

    def delete(self, name: str) -> None:
        """Remove ``name`` and its history; the table it wrote stays."""
        pipeline = self.store.require(name)
        ensure_runnable(pipeline, self.session.user, self.settings.owner)
        self.store.delete(name)
        self.session.record("pipeline", pipeline=name, action="delete", table=pipeline.target)

    # -- running ---------------------------------------------------------------------------------

    def run(self, name: str, *, trigger: str = "manual") -> Run:
        """Run ``name`` now, as its owner; the run says what happened (and what was healed)."""
        pipeline = self.store.require(name)
        ensure_runnable(pipeline, self.session.user, self.settings.owner)
        self.recover()
        with self._as_owner(pipeline) as session:
            run = self.runner.run(pipeline, session, trigger)
        assert run is not None  # only a scheduled run can find its slot taken
        return run

    def run_due(self, moment: datetime | None = None) -> list[Run]:
        """Run every active pipeline whose schedule says it is due (what schedulers call).

        Interrupted runs are recovered first and stale pipelines raise freshness incidents; a
        pipeline another scheduler is running is skipped (its lease is held).
        """
        moment = moment or datetime.now(UTC)
        self.recover()
        runs = []
        for pipeline in self.store.all():
            if not pipeline.active or not pipeline.schedule:
                continue
            self.monitor.check_freshness(pipeline, self.session)
            due = self.next_run(pipeline)
            if due > moment:
                continue
            slot = Schedule.parse(pipeline.schedule).latest_slot(due, moment).timestamp()
            with self._as_owner(pipeline) as session:
                run = self.runner.run(
                    pipeline, session, "schedule", scheduled_for=slot,
                    still_due=partial(self._due_by, pipeline, moment),
                )  # fmt: skip
            if run is not None:
                runs.append(run)
        return runs

    def _due_by(self, pipeline: Pipeline, moment: datetime) -> bool:
        return self.next_run(pipeline) <= moment

    def next_run(self, pipeline: Pipeline) -> datetime:
        """When the scheduler runs ``pipeline`` next (after its last attempt, or its creation)."""
        if not pipeline.schedule:
            raise UsageError(f"pipeline {pipeline.name} has no schedule")
        last = next((r for r in self.store.runs(pipeline.name, limit=5)
                     if r.status != "skipped"), None)  # fmt: skip
        since = (last.scheduled_for or last.started_at) if last else pipeline.created_at
        return Schedule.parse(pipeline.schedule).next_after(datetime.fromtimestamp(since, UTC))

    def recover(self) -> list[Run]:
        """Close runs whose process died mid-run: found committed, or marked interrupted."""
        recovered = []
        lake = self.session.lakehouse
        lake.refresh(self.session.engine.con)
        for run in self.store.running():
            if self.store.lease_holder(run.pipeline) == run.holder:
                continue  # still running somewhere
            pipeline = self.store.get(run.pipeline)
            committed = committed_by(lake, pipeline.target, run.id) if pipeline else None
            incident = new_interrupted_incident(run, committed)
            self.store.save_incident(incident)
            run.status = "succeeded" if committed is not None else "interrupted"
            run.snapshot_id = committed if committed is not None else run.before_snapshot
            run.ended_at = now()
            run.incidents.append(incident.id)
            run.error = None if committed is not None else "the process running it died"
            self.store.save_run(run)
            self.session.record(
                "pipeline_incident", pipeline=run.pipeline, incident=incident.id,
                check="interrupted", cause="killed", run_id=run.id, status=incident.status,
                detail=incident.detail, action=incident.actions[0].detail,
            )  # fmt: skip
            recovered.append(run)
        return recovered

    @contextmanager
    def _as_owner(self, pipeline: Pipeline) -> Iterator[OwnerSession]:
        """A session acting as the pipeline's owner (this one when it is the owner)."""
        if pipeline.owner == self.session.user:
            yield self.session
            return
        session = self._open(pipeline.owner)
        try:
            yield session
        finally:
            close = getattr(session, "close", None)
            if callable(close):
                close()

    # -- looking ---------------------------------------------------------------------------------

    def get(self, name: str) -> Pipeline:
        """The definition of ``name``."""
        return self.store.require(name)

    def list(self) -> builtins.list[dict[str, Any]]:
        """Every pipeline with its last run, health and next scheduled run."""
        out = []
        for pipeline in self.store.all():
            runs = self.store.runs(pipeline.name, limit=1)
            last = runs[0] if runs else None
            nxt = self.next_run(pipeline) if pipeline.schedule and pipeline.active else None
            out.append({
                "name": pipeline.name, "target": pipeline.target, "mode": pipeline.mode,
                "key": pipeline.key, "schedule": pipeline.schedule, "status": pipeline.status,
                "owner": pipeline.owner, "sources": pipeline.sources, "version": pipeline.version,
                "health": self.health(pipeline, last),
                "last_run": iso(last.started_at) if last else None,
                "last_status": last.status if last else None,
                "last_rows": last.rows_written if last else None,
                "next_run": nxt.isoformat(timespec="seconds") if nxt else None,
                "paused_reason": pipeline.paused_reason,
            })  # fmt: skip
        return out

    def health(self, pipeline: Pipeline, last: Run | None = None) -> str:
        """``ok``, ``warning`` (healed, or an alert), ``failing``, ``paused`` or ``new``."""
        if last is None:
            runs = self.store.runs(pipeline.name, limit=1)
            last = runs[0] if runs else None
        if pipeline.status == "paused":
            return "paused"
        if last is None:
            return "new"
        if last.status in ("failed", "interrupted"):
            return "failing"
        alerts = [i for i in self.store.incidents(pipeline.name, limit=5, status="alerted")
                  if i.at >= last.started_at]  # fmt: skip
        return "warning" if alerts or last.status == "healed" else "ok"

    def history(self, name: str, limit: int = 20) -> builtins.list[dict[str, Any]]:
        """The latest runs of ``name``, newest first.

        Each: start, end, status, rows written, snapshot id, its incidents and their fixes.
        """
        self.store.require(name)
        incidents = {i.id: i for i in self.store.incidents(name, limit=500)}
        out = []
        for run in self.store.runs(name, limit=limit):
            found = [incidents[i] for i in run.incidents if i in incidents]
            out.append({
                "run_id": run.id, "trigger": run.trigger, "status": run.status,
                "start": iso(run.started_at), "end": iso(run.ended_at),
                "rows_written": run.rows_written, "rows_quarantined": run.rows_quarantined,
                "snapshot_id": run.snapshot_id, "sql_version": run.sql_version,
                "error": run.error,
                "incidents": [_incident_json(i) for i in found],
                "fixes": [dataclasses.asdict(a) for i in found for a in i.actions],
            })  # fmt: skip
        return out

    def incidents(self, name: str | None = None, limit: int = 50) -> builtins.list[Incident]:
        """The latest incidents (of ``name``, or of every pipeline), newest first."""
        if name is not None:
            self.store.require(name)
        return self.store.incidents(name, limit=limit)

    def sql_versions(self, name: str) -> builtins.list[dict[str, Any]]:
        """Every version of the SQL of ``name``: who changed it, why, when (repairs too)."""
        self.store.require(name)
        return self.store.sql_versions(name)


def _incident_json(incident: Incident) -> dict[str, Any]:
    data = incident.to_json()
    data["at"] = iso(incident.at)
    for action in data["actions"]:
        action["at"] = iso(action["at"])
    return data

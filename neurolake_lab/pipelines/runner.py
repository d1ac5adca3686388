"""Run one pipeline: take its lease, write its target through the governed write path, record it.

The write is one SQL statement run by a session acting as the pipeline's owner, so the owner's
policies apply, the write is audited and its lineage goes into the snapshot summary exactly as for
a ``%%sql`` cell: ``INSERT INTO ... BY NAME`` (append), ``INSERT OVERWRITE ... BY NAME``
(overwrite) or ``MERGE INTO ... ON key`` (merge). The first run creates the target (empty) and
declares its quality checks before any row is written. The run's id travels in the snapshot
summary (``neurolake.cell``), so a run killed after its commit is recognised, not repeated.

When the write fails, the Monitor diagnoses the failure and may retry it (with backoff), repair
the SQL, or pause the pipeline; the loop here only follows its decisions.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from neurolake_lab.lakehouse.naming import quote_ident
from neurolake_lab.pipelines.model import Pipeline, Run, now
from neurolake_lab.pipelines.sources import source_state
from neurolake_lab.pipelines.store import (
    PipelineError,
    PipelineForbidden,
    PipelineStore,
    holder_id,
)

if TYPE_CHECKING:
    from neurolake_lab.config import Settings
    from neurolake_lab.lakehouse import Lakehouse
    from neurolake_lab.lakehouse.quality import QualityRules
    from neurolake_lab.pipelines.monitor import Monitor
    from neurolake_lab.result import QueryResult
    from neurolake_lab.services import Services

_SRC = "__nl_src"
_TGT = "__nl_tgt"


class OwnerSession(Protocol):
    """What a pipeline run needs of the session acting as its owner (a ``Session`` has it)."""

    settings: Settings
    cell_context: dict[str, Any] | None

    @property
    def user(self) -> str: ...  # noqa: D102

    @property
    def lakehouse(self) -> Lakehouse: ...  # noqa: D102

    @property
    def engine(self) -> Any: ...  # noqa: D102

    def sql(  # noqa: D102
        self, text: str, params: Any = None, *, namespace: Any = None, no_pii: bool | str = False
    ) -> QueryResult: ...

    @property
    def set_quality(self) -> Callable[..., QualityRules]: ...  # noqa: D102

    @property
    def services(self) -> Services: ...  # noqa: D102

    def record(self, kind: str, sql: str | None = None, **data: Any) -> str: ...  # noqa: D102

    def tables_read(self, sql: str) -> dict[str, int | None]: ...  # noqa: D102


def body(sql: str) -> str:
    """A pipeline's SELECT as a subquery can hold it (no trailing semicolon).

    A last line ending in a ``--`` comment gets a line break, so that what follows the body
    (``) AS src ...``) is not commented out.
    """
    text = sql.strip().rstrip(";").strip()
    return text + "\n" if "--" in text.rsplit("\n", 1)[-1] else text


def target_sql(target: str) -> str:
    """``ns.t`` quoted for SQL."""
    ns, name = target.split(".")
    return f"{quote_ident(ns)}.{quote_ident(name)}"


def write_sql(pipeline: Pipeline, columns: list[str]) -> str:
    """The one statement that writes a run's rows into the target, for the pipeline's mode."""
    select = f"SELECT * FROM ({body(pipeline.sql)}) AS {_SRC}"
    target = target_sql(pipeline.target)
    if pipeline.mode == "append":
        return f"INSERT INTO {target} BY NAME {select}"
    if pipeline.mode == "overwrite":
        return f"INSERT OVERWRITE {target} BY NAME {select}"
    keys = {k.lower() for k in pipeline.key}
    missing = [k for k in pipeline.key if k.lower() not in {c.lower() for c in columns}]
    if missing:
        raise PipelineError(
            f"pipeline {pipeline.name}: its SQL gives no column {', '.join(missing)} "
            "to merge on (the key)"
        )
    cols = [quote_ident(c) for c in columns]
    on = " AND ".join(f"{_TGT}.{quote_ident(k)} = {_SRC}.{quote_ident(k)}" for k in pipeline.key)
    values = [c for c, name in zip(cols, columns, strict=True) if name.lower() not in keys]
    update = ""
    if values:  # rows whose values did not change are left alone: a rerun writes nothing
        sets = ", ".join(f"{c} = {_SRC}.{c}" for c in values)
        old = ", ".join(f"{_TGT}.{c}" for c in values)
        new = ", ".join(f"{_SRC}.{c}" for c in values)
        update = f"WHEN MATCHED AND ({old}) IS DISTINCT FROM ({new}) THEN UPDATE SET {sets} "
    return (
        f"MERGE INTO {target} AS {_TGT} USING ({body(pipeline.sql)}) AS {_SRC} ON {on} {update}"
        f"WHEN NOT MATCHED THEN INSERT ({', '.join(cols)}) "
        f"VALUES ({', '.join(f'{_SRC}.{c}' for c in cols)})"
    )


def quality_rules(pipeline: Pipeline) -> dict[str, Any]:
    """The checks declared on the target: the pipeline's own, plus the merge key's."""
    rules = {k: (list(v) if isinstance(v, list | tuple) else v) for k, v in pipeline.checks.items()}
    if pipeline.mode == "merge":
        rules["not_null"] = sorted({*rules.get("not_null", []), *pipeline.key})
        unique = [list(u) if isinstance(u, list | tuple) else [u] for u in rules.get("unique", [])]
        if list(pipeline.key) not in unique:
            unique.append(list(pipeline.key))
        rules["unique"] = unique
    return rules


def output_columns(session: OwnerSession, pipeline: Pipeline) -> list[str]:
    """The columns the pipeline's SQL gives, found without reading data (governed, audited)."""
    probe = session.sql(f"SELECT * FROM ({body(pipeline.sql)}) AS {_SRC} LIMIT 0", namespace={},
                        no_pii=pipeline.no_pii or False)  # fmt: skip
    return list(probe.columns)


class Heartbeat:
    """Renews a lease while a run goes on (a thread; the lease lapses if the process dies)."""

    def __init__(self, store: PipelineStore, name: str, holder: str, ttl: float) -> None:
        self._stop = threading.Event()
        self.lost = False

        def beat() -> None:
            while not self._stop.wait(ttl / 3):
                try:
                    if not store.renew(name, holder, ttl):
                        self.lost = True
                except Exception:  # a locked database now and then: try again next beat
                    continue

        self._thread = threading.Thread(target=beat, name=f"lease-{name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop renewing."""
        self._stop.set()
        self._thread.join(timeout=5)


class Runner:
    """Runs pipelines with their lease, their Monitor and their record."""

    def __init__(self, store: PipelineStore, monitor: Monitor, *, lease_ttl: float = 60.0) -> None:
        self.store = store
        self.monitor = monitor
        self.lease_ttl = lease_ttl

    def run(
        self,
        pipeline: Pipeline,
        session: OwnerSession,
        trigger: str,
        sleep: Callable[[float], None] = time.sleep,
        scheduled_for: float | None = None,
        still_due: Callable[[], bool] | None = None,
    ) -> Run | None:
        """Run ``pipeline`` once as ``session``'s user; the run says what happened.

        ``still_due`` is asked once the lease is held: another scheduler may have run this slot
        between our look at the schedule and the lease (``None``: it had, nothing was run).
        """
        holder = holder_id()
        if not self.store.acquire(pipeline.name, holder, self.lease_ttl):
            run = Run(uuid.uuid4().hex, pipeline.name, trigger, status="skipped", ended_at=now())
            run.error = f"already running ({self.store.lease_holder(pipeline.name) or 'elsewhere'})"
            self.store.save_run(run)
            return run
        if still_due is not None and not still_due():
            self.store.release(pipeline.name, holder)
            return None
        heartbeat = Heartbeat(self.store, pipeline.name, holder, self.lease_ttl)
        saved_context = session.cell_context
        try:
            run = Run(uuid.uuid4().hex, pipeline.name, trigger, holder=holder,
                      sql_version=pipeline.version, scheduled_for=scheduled_for)  # fmt: skip
            return self._run(pipeline, session, run, sleep)
        finally:
            session.cell_context = saved_context
            heartbeat.stop()
            self.store.release(pipeline.name, holder)

    def _run(
        self, pipeline: Pipeline, session: OwnerSession, run: Run, sleep: Callable[[float], None]
    ) -> Run:
        lake = session.lakehouse
        lake.refresh(session.engine.con)
        run.before_snapshot = _snapshot(lake, pipeline.target)
        run.sources = source_state(lake, pipeline.sources)
        self.store.save_run(run)
        attempt = 0
        healed = quarantine = False
        while True:
            try:
                self._write(pipeline, session, run, quarantine)
                run.status = "healed" if healed else "succeeded"
                break
            except Exception as exc:  # every failure is diagnosed; none escapes unrecorded
                run.error = _one_line(exc)
                decision = self.monitor.handle_failure(exc, pipeline, session, run, attempt)
                if decision.pipeline is not None:
                    pipeline = decision.pipeline
                    run.sql_version = pipeline.version
                if not decision.retry:
                    run.status = "failed"
                    break
                healed = True
                quarantine = quarantine or decision.quarantine
                attempt += 1
                if decision.delay:
                    sleep(decision.delay)
        run.ended_at = now()
        lake.refresh(session.engine.con)
        if not run.ok:
            run.snapshot_id = _snapshot(lake, pipeline.target)
        else:
            run.error = None
        self.monitor.after_run(pipeline, session, run)
        self.store.save_run(run)
        session.record(
            "pipeline_run", pipeline=pipeline.name, run_id=run.id, status=run.status,
            trigger=run.trigger, table=pipeline.target, rows=run.rows_written,
            snapshot_id=run.snapshot_id, incidents=run.incidents or None, error=run.error,
        )  # fmt: skip
        return run

    def _write(self, pipeline: Pipeline, session: OwnerSession, run: Run, quarantine: bool) -> None:
        """One attempt: create the target if needed, then write the rows (one commit).

        ``quarantine``: bad rows go to the quarantine table even if the target refuses them
        (the Monitor's fix for a run refused for bad rows).
        """
        session.cell_context = {"pipeline": pipeline.name, "run_id": run.id,
                                "trigger": run.trigger}  # fmt: skip
        if quarantine:
            session.cell_context["on_failure"] = "quarantine"
        lake = session.lakehouse
        columns = output_columns(session, pipeline)
        lake.refresh(session.engine.con)
        if _snapshot(lake, pipeline.target, missing=-1) == -1:
            self._create_target(pipeline, session)
        result = session.sql(write_sql(pipeline, columns), namespace={},
                             no_pii=pipeline.no_pii or False)  # fmt: skip
        row = result.arrow().to_pylist()[0] if len(result) else {}
        run.rows_written = int(row.get("rows_added") or 0) + int(row.get("rows_updated") or 0)
        run.rows_quarantined = int(row.get("quarantined") or 0)
        run.snapshot_id = row.get("snapshot_id")
        run.audit_id = result.audit_id

    def _create_target(self, pipeline: Pipeline, session: OwnerSession) -> None:
        """The target, empty, with the columns of the SQL and the pipeline's quality checks."""
        select = f"SELECT * FROM ({body(pipeline.sql)}) AS {_SRC} LIMIT 0"
        session.sql(f"CREATE TABLE IF NOT EXISTS {target_sql(pipeline.target)} AS {select}",
                    namespace={}, no_pii=pipeline.no_pii or False)  # fmt: skip
        rules = quality_rules(pipeline)
        if rules:
            session.set_quality(pipeline.target, **rules)


def _snapshot(lake: Lakehouse, table: str, missing: int | None = None) -> int | None:
    parts = table.split(".")
    tid = (parts[0], parts[1])
    if tid not in lake.pointers:
        return missing
    return lake.current_snapshot_id(tid)


def _one_line(exc: BaseException) -> str:
    title = getattr(exc, "title", None) or type(exc).__name__
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return f"{title}: {message.strip().splitlines()[0] if message.strip() else message}"


def ensure_runnable(pipeline: Pipeline, user: str, owner: str) -> None:
    """Only a pipeline's owner (or the workspace's owner) runs or changes it."""
    if user not in (pipeline.owner, owner):
        raise PipelineForbidden(
            f"pipeline {pipeline.name} belongs to {pipeline.owner}; only {pipeline.owner} or the "
            f"workspace owner ({owner}) may run or change it"
        )

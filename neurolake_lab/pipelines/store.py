"""Pipelines, runs, incidents and leases, kept in the catalog database.

The catalog database (SQLite in the workspace by default, PostgreSQL when the catalog is) is
already the store every kernel, the Jupyter server and the CLI share safely, so pipeline state
lives there too and survives restarts; an Iceberg REST catalog has no database of ours, so then
the workspace's ``catalog.db`` is used. Tables are created on first use.

The lease makes two schedulers on one workspace never run one pipeline at once: taking it is one
conditional ``INSERT``/``UPDATE`` (atomic in SQLite and PostgreSQL alike), it expires unless its
holder renews it, and a holder on this machine whose process is gone loses it at once.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from neurolake_lab.exceptions import NeuroLakeError, UsageError
from neurolake_lab.pipelines.model import Incident, Pipeline, Run, now

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine, MetaData, Table

    from neurolake_lab.config import Settings

_HOST = socket.gethostname()


class PipelineError(NeuroLakeError):
    """A pipeline could not be created, found or run."""

    title = "Pipeline error"


class PipelineForbidden(PipelineError):
    """The user may not run or change this pipeline (not its owner, nor the workspace's)."""

    title = "Not allowed"


def store_uri(settings: Settings) -> str:
    """The database pipeline state lives in: the SQL catalog's, else the workspace's SQLite."""
    from neurolake_lab.lakehouse.catalog import catalog_config

    config = catalog_config(settings)
    if config.is_sql:
        return config.uri
    return f"sqlite:///{Path(settings.workspace) / 'catalog.db'}"


def holder_id() -> str:
    """Who holds a lease: this machine, this process, and a random part (threads differ)."""
    return f"{_HOST}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _holder_gone(holder: str) -> bool:
    """Whether a lease holder on this machine has no process any more."""
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != _HOST or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # someone else's live process
        return False
    return _zombie(pid)


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[-1].split()[0] == "Z"
    except OSError:
        return False


def _tables(meta: MetaData) -> dict[str, Table]:
    from sqlalchemy import Column, Float, Index, Integer, String, Table, Text

    return {
        "pipelines": Table(
            "neurolake_pipelines", meta,
            Column("name", String(64), primary_key=True),
            Column("owner", String(255), nullable=False),
            Column("status", String(16), nullable=False),
            Column("definition", Text, nullable=False),
            Column("updated_at", Float, nullable=False),
        ),
        "sql": Table(
            "neurolake_pipeline_sql", meta,
            Column("name", String(64), primary_key=True),
            Column("version", Integer, primary_key=True),
            Column("sql", Text, nullable=False),
            Column("author", String(255), nullable=False),
            Column("reason", Text, nullable=False),
            Column("at", Float, nullable=False),
        ),
        "runs": Table(
            "neurolake_pipeline_runs", meta,
            Column("id", String(32), primary_key=True),
            Column("name", String(64), nullable=False),
            Column("started_at", Float, nullable=False),
            Column("status", String(16), nullable=False),
            Column("details", Text, nullable=False),
            Index("neurolake_pipeline_runs_by_name", "name", "started_at"),
        ),
        "incidents": Table(
            "neurolake_pipeline_incidents", meta,
            Column("id", String(32), primary_key=True),
            Column("name", String(64), nullable=False),
            Column("at", Float, nullable=False),
            Column("status", String(16), nullable=False),
            Column("details", Text, nullable=False),
            Index("neurolake_pipeline_incidents_by_name", "name", "at"),
        ),
        "leases": Table(
            "neurolake_pipeline_leases", meta,
            Column("name", String(64), primary_key=True),
            Column("holder", String(128), nullable=False),
            Column("acquired_at", Float, nullable=False),
            Column("expires_at", Float, nullable=False),
        ),
    }  # fmt: skip


def _upsert(con: Connection, table: Table, key: str, value: str, values: dict[str, Any]) -> None:
    """Update the row whose ``key`` is ``value``, or insert it (inside the caller's transaction)."""
    done = con.execute(table.update().where(table.c[key] == value).values(**values))
    if done.rowcount == 0:
        con.execute(table.insert().values({key: value, **values}))


class PipelineStore:
    """Reads and writes pipeline state in one SQL database (safe for many processes)."""

    def __init__(self, uri: str) -> None:
        from sqlalchemy import MetaData, create_engine

        args: dict[str, Any] = {}
        if uri.startswith("sqlite"):
            Path(uri.split(":///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
            args["connect_args"] = {"timeout": 30}
        self.uri = uri
        self.engine: Engine = create_engine(uri, **args)
        self._meta = MetaData()
        self.t = _tables(self._meta)
        self._create()

    def _create(self) -> None:
        from sqlalchemy.exc import OperationalError, ProgrammingError

        for attempt in range(3):  # two processes creating the tables at once: one loses, retries
            try:
                self._meta.create_all(self.engine, checkfirst=True)
                return
            except (OperationalError, ProgrammingError):
                if attempt == 2:
                    raise

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        with self.engine.begin() as con:
            yield con

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    # -- pipelines -----------------------------------------------------------------------------

    def get(self, name: str) -> Pipeline | None:
        """The pipeline called ``name``, if there is one."""
        t = self.t["pipelines"]
        with self._tx() as con:
            row = con.execute(t.select().where(t.c.name == name)).first()
        return Pipeline.from_json(json.loads(row.definition)) if row else None

    def require(self, name: str) -> Pipeline:
        """The pipeline called ``name``; a clear error naming the known ones otherwise."""
        found = self.get(name)
        if found is None:
            import difflib

            names = [p.name for p in self.all()]
            close = difflib.get_close_matches(name, names, n=1)
            hint = f"did you mean {close[0]}?" if close else (
                f"pipelines: {', '.join(names)}" if names else "there are no pipelines yet"
            )  # fmt: skip
            raise UsageError(f"there is no pipeline {name!r}", hint=hint)
        return found

    def all(self) -> list[Pipeline]:
        """Every pipeline, by name."""
        t = self.t["pipelines"]
        with self._tx() as con:
            rows = con.execute(t.select().order_by(t.c.name)).fetchall()
        return [Pipeline.from_json(json.loads(r.definition)) for r in rows]

    def save(self, pipeline: Pipeline, *, reason: str | None = None, author: str = "") -> None:
        """Insert or update a definition; ``reason`` also records its SQL as a new version."""
        t, sql_t = self.t["pipelines"], self.t["sql"]
        pipeline.updated_at = now()
        values = {
            "owner": pipeline.owner,
            "status": pipeline.status,
            "definition": json.dumps(pipeline.to_json(), default=str),
            "updated_at": pipeline.updated_at,
        }
        with self._tx() as con:
            _upsert(con, t, "name", pipeline.name, values)
            if reason is not None:
                con.execute(
                    sql_t.insert().values(
                        name=pipeline.name, version=pipeline.version, sql=pipeline.sql,
                        author=author or pipeline.owner, reason=reason, at=now(),
                    )
                )  # fmt: skip

    def sql_versions(self, name: str) -> list[dict[str, Any]]:
        """Every version of a pipeline's SQL, oldest first: version, sql, author, reason, at."""
        t = self.t["sql"]
        with self._tx() as con:
            rows = con.execute(t.select().where(t.c.name == name).order_by(t.c.version)).fetchall()
        return [dict(r._mapping) for r in rows]

    def delete(self, name: str) -> None:
        """Remove a pipeline with its history (the tables it wrote stay)."""
        with self._tx() as con:
            for key in ("pipelines", "sql", "runs", "incidents", "leases"):
                t = self.t[key]
                con.execute(t.delete().where(t.c.name == name))

    # -- runs ----------------------------------------------------------------------------------

    def save_run(self, run: Run) -> None:
        """Insert or update a run."""
        t = self.t["runs"]
        values = {"name": run.pipeline, "started_at": run.started_at, "status": run.status,
                  "details": json.dumps(run.to_json(), default=str)}  # fmt: skip
        with self._tx() as con:
            _upsert(con, t, "id", run.id, values)

    def runs(self, name: str | None = None, limit: int = 50) -> list[Run]:
        """The latest runs (of one pipeline, or all), newest first."""
        t = self.t["runs"]
        query = t.select().order_by(t.c.started_at.desc()).limit(limit)
        if name is not None:
            query = query.where(t.c.name == name)
        with self._tx() as con:
            rows = con.execute(query).fetchall()
        return [Run.from_json(json.loads(r.details)) for r in rows]

    def running(self) -> list[Run]:
        """Runs recorded as running (some may belong to a process that died)."""
        t = self.t["runs"]
        with self._tx() as con:
            rows = con.execute(t.select().where(t.c.status == "running")).fetchall()
        return [Run.from_json(json.loads(r.details)) for r in rows]

    # -- incidents -----------------------------------------------------------------------------

    def save_incident(self, incident: Incident) -> None:
        """Insert or update an incident."""
        t = self.t["incidents"]
        values = {"name": incident.pipeline, "at": incident.at, "status": incident.status,
                  "details": json.dumps(incident.to_json(), default=str)}  # fmt: skip
        with self._tx() as con:
            _upsert(con, t, "id", incident.id, values)

    def incidents(
        self, name: str | None = None, limit: int = 100, status: str | None = None
    ) -> list[Incident]:
        """The latest incidents (of one pipeline, or all), newest first."""
        t = self.t["incidents"]
        query = t.select().order_by(t.c.at.desc()).limit(limit)
        if name is not None:
            query = query.where(t.c.name == name)
        if status is not None:
            query = query.where(t.c.status == status)
        with self._tx() as con:
            rows = con.execute(query).fetchall()
        return [Incident.from_json(json.loads(r.details)) for r in rows]

    # -- leases --------------------------------------------------------------------------------

    def acquire(self, name: str, holder: str, ttl: float) -> bool:
        """Take the lease on ``name`` for ``ttl`` seconds; ``False`` if someone holds it."""
        from sqlalchemy.exc import IntegrityError

        t = self.t["leases"]
        moment = now()
        values = {"holder": holder, "acquired_at": moment, "expires_at": moment + ttl}
        with self._tx() as con:
            taken = con.execute(
                t.update()
                .where(t.c.name == name)
                .where((t.c.expires_at < moment) | (t.c.holder == holder))
                .values(**values)
            )
            if taken.rowcount == 1:
                return True
            current = con.execute(t.select().where(t.c.name == name)).first()
        if current is not None:
            if not _holder_gone(current.holder):
                return False
            with self._tx() as con:  # its process is gone: take it from exactly that holder
                taken = con.execute(
                    t.update()
                    .where(t.c.name == name)
                    .where(t.c.holder == current.holder)
                    .values(**values)
                )
            return taken.rowcount == 1
        try:
            with self._tx() as con:
                con.execute(t.insert().values(name=name, **values))
        except IntegrityError:  # another scheduler inserted it first
            return False
        return True

    def renew(self, name: str, holder: str, ttl: float) -> bool:
        """Extend a held lease; ``False`` if it was lost (expired and taken by another)."""
        t = self.t["leases"]
        with self._tx() as con:
            done = con.execute(
                t.update()
                .where(t.c.name == name)
                .where(t.c.holder == holder)
                .values(expires_at=now() + ttl)
            )
        return done.rowcount == 1

    def release(self, name: str, holder: str) -> None:
        """Give a lease back."""
        t = self.t["leases"]
        with self._tx() as con:
            con.execute(t.delete().where(t.c.name == name).where(t.c.holder == holder))

    def lease_holder(self, name: str) -> str | None:
        """Who holds the lease on ``name`` now (expired leases count as free)."""
        t = self.t["leases"]
        with self._tx() as con:
            row = con.execute(t.select().where(t.c.name == name)).first()
        if row is None or row.expires_at < now() or _holder_gone(row.holder):
            return None
        return str(row.holder)

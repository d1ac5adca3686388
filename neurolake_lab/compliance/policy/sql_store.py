"""Policies kept in the shared PostgreSQL catalog database, so every user's kernel obeys one.

When the catalog is PostgreSQL, ``policies.yaml`` in a user's own workspace would let that user
write their own rules; the policy in force is instead the newest row of ``neurolake_policies``
(id, when, who published it, the YAML text) in the catalog's database. Published versions are
kept (the table is append-only by convention), so an audit can say which rules were in force.
The newest id is checked at most once a second, so a statement costs no round trip.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from neurolake_lab.compliance.policy.errors import PolicyFileError
from neurolake_lab.compliance.policy.loader import (
    _from_bytes,
    default_policy,
    fail_closed_policy,
    parse_policy,
)
from neurolake_lab.compliance.policy.model import Policy
from neurolake_lab.compliance.policy.store import PolicyStore

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

TABLE = "neurolake_policies"
_DDL = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (id BIGSERIAL PRIMARY KEY, "
    "published_at TIMESTAMPTZ NOT NULL DEFAULT now(), author TEXT NOT NULL, text TEXT NOT NULL)"
)
#: How long the newest version id is trusted before the database is asked again.
RECHECK_SECONDS = 1.0


def _ensure(con: Connection) -> None:
    from sqlalchemy import text

    con.execute(text("SELECT pg_advisory_xact_lock(hashtext(:n))"), {"n": TABLE})
    con.execute(text(_DDL))


def publish_policy(engine: Engine, text: str, *, author: str) -> int:
    """Make ``text`` (a ``policies.yaml`` document) the policy in force; returns its version id.

    Raises:
        PolicyFileError: the document is not a valid policy (nothing is published).
    """
    from sqlalchemy import text as sql

    parse_policy(text, path=f"{TABLE} (new version)", owner=None)  # refuse before storing
    with engine.begin() as con:
        _ensure(con)
        row = con.execute(
            sql(f"INSERT INTO {TABLE} (author, text) VALUES (:a, :t) RETURNING id"),
            {"a": author, "t": text},
        ).fetchone()
    assert row is not None
    return int(row[0])


class SqlPolicyStore(PolicyStore):
    """The policy in force: the newest version in the PostgreSQL database at ``uri``."""

    def __init__(
        self,
        uri: str,
        workspace: str | os.PathLike[str],
        *,
        owner: str | None,
        protected_paths: Sequence[str] | None = None,
    ) -> None:
        super().__init__(workspace, owner=owner, protected_paths=protected_paths)
        self.uri = uri
        self._engine: Engine | None = None
        self._checked: tuple[float, tuple[int, int, int, int] | None] | None = None
        self._db_lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        """The connection pool to the catalog's database (made on first use)."""
        with self._db_lock:
            if self._engine is None:
                from sqlalchemy import create_engine

                self._engine = create_engine(self.uri, pool_pre_ping=True)
            return self._engine

    def _where(self, version: int | None = None) -> Path:
        from neurolake_lab.compliance.audit.sql_log import shown_uri

        suffix = f" version {version}" if version is not None else ""
        return Path(f"{shown_uri(self.uri)} table {TABLE}{suffix}")

    def _stat(self) -> tuple[int, int, int, int] | None:
        from sqlalchemy import text

        now = time.monotonic()
        if self._checked is not None and now - self._checked[0] < RECHECK_SECONDS:
            return self._checked[1]
        try:
            with self.engine.begin() as con:
                _ensure(con)
                newest = con.execute(text(f"SELECT max(id) FROM {TABLE}")).scalar()
            stamp = (int(newest or 0), 0, 0, 0)
        except Exception:  # the database is unreachable: _load fails closed
            stamp = None
        self._checked = (now, stamp)
        return stamp

    def _load(self) -> Policy:
        from sqlalchemy import text

        try:
            with self.engine.begin() as con:
                _ensure(con)
                row = con.execute(
                    text(f"SELECT id, text FROM {TABLE} ORDER BY id DESC LIMIT 1")
                ).fetchone()
        except Exception as exc:  # SQLAlchemy's errors: no policy can be read, so fail closed
            why = (str(getattr(exc, "orig", None) or exc).splitlines() or ["unknown error"])[0]
            error = PolicyFileError(self._where(), None, f"cannot read: {why}")
            return fail_closed_policy(self.owner, error, self._paths)
        if row is None:
            return default_policy(self.owner, self._paths)
        return _from_bytes(str(row[1]).encode("utf-8"), self._where(int(row[0])), self.owner,
                           self._paths)  # fmt: skip

    @property
    def location(self) -> str:
        """Where the policy is kept, for people: the database and table (no password)."""
        return str(self._where())

    def stored_text(self) -> str | None:
        """The newest published policy document (``None``: none was published)."""
        from sqlalchemy import text

        with self.engine.begin() as con:
            _ensure(con)
            row = con.execute(text(f"SELECT text FROM {TABLE} ORDER BY id DESC LIMIT 1")).fetchone()
        return str(row[0]) if row else None

    def published(self) -> None:
        """Ask the database again at the next statement (this process just published)."""
        self._checked = None

    def close(self) -> None:
        """Release the database connections."""
        with self._db_lock, contextlib.suppress(Exception):
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None

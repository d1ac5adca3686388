"""The audit log in the shared PostgreSQL catalog database: one chain for every user's kernel.

When the Iceberg catalog is PostgreSQL (the shared deployment), records go to the table
``neurolake_audit`` (``seq``, the record's canonical JSON line) of that database, and the chain's
head to ``neurolake_audit_head``, authenticated with the audit key as in the file log. An append is
one transaction that locks the head row (``SELECT ... FOR UPDATE``), checks it against the last
record, inserts the next record and moves the head: appenders in many kernels queue on the row
lock, so none loses a record or breaks a link, and the record and its head commit together (there
is no crash window between them, unlike a file and a separate head).

The key is ``$NEUROLAKE_AUDIT_KEY`` when set (what a JupyterHub deployment puts in every spawned
server's environment), else a random key kept in ``neurolake_audit_key``, made by the first append.
Records, hashes and MACs are exactly the file log's, and ``verify`` runs the same checks.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from neurolake_lab.compliance.audit.head import ChainHead
from neurolake_lab.compliance.audit.keys import ENV_VAR, MIN_KEY_CHARS
from neurolake_lab.compliance.audit.record import (
    GENESIS,
    KINDS,
    AuditRecord,
    canonical,
    check_seal,
    json_safe,
    parse_line,
    seal,
)
from neurolake_lab.compliance.audit.verify import VerifyResult, verify_lines
from neurolake_lab.exceptions import AuditError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

RECORDS = "neurolake_audit"
HEAD = "neurolake_audit_head"
KEY = "neurolake_audit_key"
_SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {RECORDS} (seq BIGINT PRIMARY KEY, line TEXT NOT NULL)",
    f"CREATE TABLE IF NOT EXISTS {HEAD} (id INTEGER PRIMARY KEY, count BIGINT NOT NULL, "
    "last_hash TEXT NOT NULL, mac TEXT NOT NULL)",
    f"CREATE TABLE IF NOT EXISTS {KEY} (id INTEGER PRIMARY KEY, key TEXT NOT NULL)",
)
_VERIFY_HINT = "run `neurolake audit verify` for details"


def shown_uri(uri: str) -> str:
    """A database URI without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(uri).render_as_string(hide_password=True)


class SqlAuditLog:
    """The append-only, hash-chained, authenticated audit log in a PostgreSQL database."""

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self._engine: Engine | None = None
        self._key = b""
        self._ready = False
        self._mutex = threading.Lock()

    @property
    def location(self) -> str:
        """Where the records are, for messages (no password)."""
        return f"{shown_uri(self.uri)} (table {RECORDS})"

    # -- connections ---------------------------------------------------------------------------

    def _connect(self) -> Engine:
        if self._engine is None:
            from sqlalchemy import create_engine

            self._engine = create_engine(self.uri, pool_pre_ping=True)
        return self._engine

    @contextlib.contextmanager
    def _transaction(self, what: str) -> Iterator[Connection]:
        from sqlalchemy.exc import SQLAlchemyError

        try:
            with self._connect().begin() as con:
                yield con
        except SQLAlchemyError as exc:
            orig = getattr(exc, "orig", None)
            first = (str(orig) if orig is not None else str(exc)).splitlines()
            raise AuditError(
                f"cannot {what} the audit log in {self.location}: {first[0] if first else exc}"
            ) from None

    def _ensure(self, con: Connection) -> None:
        """Create the tables once (under an advisory lock: kernels may start together)."""
        from sqlalchemy import text

        if self._ready:
            return
        con.execute(text("SELECT pg_advisory_xact_lock(hashtext(:n))"), {"n": RECORDS})
        for ddl in _SCHEMA:
            con.execute(text(ddl))
        self._ready = True

    def _load_key(self, con: Connection, *, create: bool) -> bytes | None:
        from sqlalchemy import text

        env = os.environ.get(ENV_VAR)
        if env:
            if len(env) < MIN_KEY_CHARS:
                raise AuditError(f"{ENV_VAR} is too short: use at least {MIN_KEY_CHARS} characters")
            return env.encode("utf-8")
        if create:
            con.execute(
                text(f"INSERT INTO {KEY} (id, key) VALUES (1, :k) ON CONFLICT (id) DO NOTHING"),
                {"k": secrets.token_hex(32)},
            )
        row = con.execute(text(f"SELECT key FROM {KEY} WHERE id = 1")).fetchone()
        return str(row[0]).encode("ascii") if row else None

    # -- writing -------------------------------------------------------------------------------

    def append(self, kind: str, *, user: str, **data: Any) -> str:
        """Record one event in one transaction; returns the record's id once committed.

        Raises:
            AuditError: an unknown kind, a value the log cannot store, a database failure, or a
                chain that no longer matches its head: nothing is appended then.
        """
        from sqlalchemy import text

        if kind not in KINDS:
            raise AuditError(f"unknown audit record kind {kind!r}; use one of {sorted(KINDS)}")
        if not isinstance(user, str) or not user:
            raise AuditError("an audit record needs the user who did it")
        safe = json_safe(data)
        with self._mutex, self._transaction("append to") as con:
            self._ensure(con)
            if not self._key:
                self._key = self._load_key(con, create=True) or b""
            head = self._locked_head(con)
            last = con.execute(
                text(f"SELECT line FROM {RECORDS} ORDER BY seq DESC LIMIT 1")
            ).fetchone()
            tip = parse_line(str(last[0]).encode("ascii")) if last else None
            self._check_head(head, tip)
            seq = head.count + 1
            record = seal(
                self._key,
                {
                    "seq": seq,
                    "id": f"a-{seq:06d}-{secrets.token_hex(3)}",
                    "ts": datetime.now(UTC).isoformat(timespec="microseconds")[:-6] + "Z",
                    "user": user,
                    "kind": kind,
                    "data": safe,
                    "prev": head.last_hash,
                },
            )
            con.execute(
                text(f"INSERT INTO {RECORDS} (seq, line) VALUES (:s, :l)"),
                {"s": seq, "l": record.line().decode("ascii").rstrip("\n")},
            )
            new = ChainHead.sealed(self._key, seq, record.hash)
            con.execute(
                text(f"UPDATE {HEAD} SET count = :c, last_hash = :h, mac = :m WHERE id = 1"),
                {"c": new.count, "h": new.last_hash, "m": new.mac},
            )
        return record.id

    def _locked_head(self, con: Connection) -> ChainHead:
        """The head row, locked until the transaction ends (made on the first append)."""
        from sqlalchemy import text

        query = text(f"SELECT count, last_hash, mac FROM {HEAD} WHERE id = 1 FOR UPDATE")
        row = con.execute(query).fetchone()
        if row is None:
            count = con.execute(text(f"SELECT count(*) FROM {RECORDS}")).scalar_one()
            if count:
                raise AuditError(
                    f"the audit log in {self.location} has lost its chain head "
                    f"({HEAD}); nothing was appended; {_VERIFY_HINT}"
                )
            genesis = ChainHead.sealed(self._key, 0, GENESIS)
            con.execute(
                text(
                    f"INSERT INTO {HEAD} (id, count, last_hash, mac) VALUES (1, 0, :h, :m) "
                    "ON CONFLICT (id) DO NOTHING"
                ),
                {"h": genesis.last_hash, "m": genesis.mac},
            )
            row = con.execute(query).fetchone()
            assert row is not None
        return ChainHead(int(row[0]), str(row[1]), str(row[2]))

    def _check_head(self, head: ChainHead, tip: AuditRecord | None) -> None:
        """Refuse to extend a chain that does not match its head (tampering is never hidden)."""
        seq, last_hash = (tip.seq, tip.hash) if tip is not None else (0, GENESIS)
        if not head.authentic(self._key):
            problem = f"its head ({HEAD}) was modified"
        elif head.count != seq or head.last_hash != last_hash:
            problem = f"it holds {seq} records but its head says {head.count}"
        elif tip is not None and check_seal(self._key, tip, canonical(tip.body())) is not None:
            problem = "its last record is not authentic"
        else:
            return
        raise AuditError(
            f"the audit log in {self.location} does not match its chain head: {problem}. "
            f"Nothing was appended; {_VERIFY_HINT}."
        )

    # -- reading -------------------------------------------------------------------------------

    def records(self) -> Iterator[AuditRecord]:
        """Every record, oldest first (not verified)."""
        for line in self._lines():
            yield parse_line(line)

    def tail(self, n: int = 20) -> list[AuditRecord]:
        """The last ``n`` records, oldest first."""
        from sqlalchemy import text

        if n <= 0:
            return []
        with self._transaction("read") as con:
            self._ensure(con)
            rows = con.execute(
                text(f"SELECT line FROM {RECORDS} ORDER BY seq DESC LIMIT :n"), {"n": n}
            ).fetchall()
        return [parse_line(str(r[0]).encode("ascii")) for r in reversed(rows)]

    def _lines(self) -> list[bytes]:
        from sqlalchemy import text

        with self._transaction("read") as con:
            self._ensure(con)
            rows = con.execute(text(f"SELECT line FROM {RECORDS} ORDER BY seq")).fetchall()
        return [str(r[0]).encode("ascii") for r in rows]

    def verify(self) -> VerifyResult:
        """Check every record and the head, read in one snapshot of the database."""
        from sqlalchemy import text

        with self._transaction("read") as con:
            con.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
            self._ensure(con)
            key = self._load_key(con, create=False)
            rows = con.execute(text(f"SELECT line FROM {RECORDS} ORDER BY seq")).fetchall()
            head_row = con.execute(
                text(f"SELECT count, last_hash, mac FROM {HEAD} WHERE id = 1")
            ).fetchone()
        head = ChainHead(int(head_row[0]), str(head_row[1]), str(head_row[2])) if head_row else None
        return verify_lines(
            (str(r[0]).encode("ascii") for r in rows),
            key=key,
            head=head,
            incomplete_tail=False,
            key_hint=f"${ENV_VAR} or the table {KEY}",
        )

    def close(self) -> None:
        """Release the database connections."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

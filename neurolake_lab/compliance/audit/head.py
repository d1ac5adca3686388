"""The chain's head (record count and last hash), kept in the workspace's ``catalog.db``.

A hash chain alone cannot tell that its last records were cut off, or that it was rebuilt from
scratch: the head, stored outside ``audit/`` and authenticated with the audit key, can. It lives in
its own table of the SQLite Iceberg catalog (WAL mode, a busy timeout, ``synchronous=FULL`` so a
committed head survives a power cut as the fsynced log does), and appenders update it under the
log's lock, right after the record is on disk.
"""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from neurolake_lab.exceptions import AuditError

TABLE = "neurolake_audit_head"
BUSY_TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class ChainHead:
    """How many records the log holds and the hash of the last one, with their MAC."""

    count: int
    last_hash: str
    mac: str

    @classmethod
    def sealed(cls, key: bytes, count: int, last_hash: str) -> ChainHead:
        """A head for ``count`` records ending in ``last_hash``, authenticated with ``key``."""
        return cls(count, last_hash, _mac(key, count, last_hash))

    def authentic(self, key: bytes) -> bool:
        """Whether the head was written by someone holding ``key``."""
        expected = _mac(key, self.count, self.last_hash).encode("ascii")
        return hmac.compare_digest(self.mac.encode("utf-8", "surrogatepass"), expected)


def _mac(key: bytes, count: int, last_hash: str) -> str:
    # A prefix no record body can start with (bodies are JSON objects), so a record MAC can never
    # be replayed as a head MAC.
    message = f"neurolake-audit-head\n{count}\n{last_hash}".encode("utf-8", "surrogatepass")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


class HeadStore:
    """Reads and writes the head row of ``catalog.db``; one SQLite connection, opened on first use.

    Not thread-safe by itself: :class:`~neurolake_lab.compliance.audit.log.AuditLog` serialises
    every call under its own lock.
    """

    def __init__(self, db_path: Path) -> None:
        self.path = db_path
        self._con: sqlite3.Connection | None = None
        self._ready = False

    def read(self) -> ChainHead | None:
        """The stored head, or ``None`` when there is none (no catalog, no table, or no row).

        Never creates ``catalog.db``: verifying a workspace leaves it as it was.
        """
        if self._con is None and not self.path.exists():
            return None
        try:
            row = (
                self._connect()
                .execute(f"SELECT count, last_hash, mac FROM {TABLE} WHERE id = 1")
                .fetchone()
            )
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return None
            raise AuditError(f"cannot read the audit chain head in {self.path}: {exc}") from None
        except sqlite3.Error as exc:
            raise AuditError(f"cannot read the audit chain head in {self.path}: {exc}") from None
        if row is None:
            return None
        count, last_hash, mac = row
        if not isinstance(count, int) or not isinstance(last_hash, str) or not isinstance(mac, str):
            return ChainHead(-1, "", "")  # not a head this code wrote: reads as an unauthentic one
        return ChainHead(count, last_hash, mac)

    def write(self, head: ChainHead) -> None:
        """Store ``head`` (insert or replace the one row); committed and synced on return."""
        try:
            con = self._connect()
            if not self._ready:
                self._prepare(con)
            con.execute(
                f"INSERT INTO {TABLE} (id, count, last_hash, mac, updated) VALUES (1, ?, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET count = excluded.count,"
                " last_hash = excluded.last_hash, mac = excluded.mac, updated = excluded.updated",
                (head.count, head.last_hash, head.mac, datetime.now(UTC).isoformat()),
            )
        except sqlite3.Error as exc:
            raise AuditError(f"cannot update the audit chain head in {self.path}: {exc}") from None

    def close(self) -> None:
        """Close the connection (it reopens on next use)."""
        if self._con is not None:
            self._con.close()
            self._con = None
            self._ready = False

    def _connect(self) -> sqlite3.Connection:
        if self._con is None:
            # autocommit (isolation_level=None): each statement is its own transaction
            con = sqlite3.connect(
                self.path,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
            )
            con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._con = con
        return self._con

    def _prepare(self, con: sqlite3.Connection) -> None:
        """WAL mode (readers never wait for a writer), full sync, and the head table."""
        mode = con.execute("PRAGMA journal_mode").fetchone()[0]
        if str(mode).lower() != "wal":
            con.execute("PRAGMA journal_mode = WAL")
        con.execute("PRAGMA synchronous = FULL")
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} (id INTEGER PRIMARY KEY CHECK (id = 1),"
            " count INTEGER NOT NULL, last_hash TEXT NOT NULL, mac TEXT NOT NULL,"
            " updated TEXT NOT NULL)"
        )
        self._ready = True

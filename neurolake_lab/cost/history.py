"""The workspace's query history for the cost model, in SQLite next to the Iceberg catalog.

Several kernels record into one workspace at once, so the history lives in ``catalog.db`` (the
workspace's SQLite file, already in WAL mode for the catalog) in tables of its own, written in
short transactions with a busy timeout. No query text is stored: a statement is its fingerprint
(a hash of the normalized SQL and the snapshots it read), its plan features, and the figures
predicted and measured. Imported federated updates are kept in a second table.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from neurolake_lab.exceptions import CostModelError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS neurolake_cost_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recorded_at REAL NOT NULL,
    fingerprint TEXT NOT NULL,
    feature_version INTEGER NOT NULL,
    features TEXT NOT NULL,
    analytic_ms REAL NOT NULL,
    predicted_ms REAL,
    confidence REAL,
    actual_ms REAL NOT NULL,
    estimated_rows INTEGER,
    actual_rows INTEGER,
    estimated_bytes INTEGER,
    actual_bytes INTEGER
);
CREATE INDEX IF NOT EXISTS neurolake_cost_history_fp ON neurolake_cost_history (fingerprint);
CREATE TABLE IF NOT EXISTS neurolake_cost_updates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    imported_at REAL NOT NULL,
    digest TEXT NOT NULL UNIQUE,
    feature_version INTEGER NOT NULL,
    parameters TEXT NOT NULL,
    samples INTEGER NOT NULL,
    epsilon REAL
);
"""


@dataclass(frozen=True)
class Observation:
    """One executed statement: its features and what it really cost."""

    id: int
    fingerprint: str
    features: list[float]
    analytic_ms: float
    predicted_ms: float | None
    actual_ms: float
    estimated_rows: int | None
    actual_rows: int | None
    estimated_bytes: int | None
    actual_bytes: int | None


@dataclass(frozen=True)
class StoredUpdate:
    """A federated update folded into this workspace."""

    digest: str
    parameters: list[float]
    samples: int
    epsilon: float | None


class HistoryStore:
    """Records and reads the cost history of one workspace (safe with many processes)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._ready = False

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        con: sqlite3.Connection | None = getattr(self._local, "con", None)
        if con is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
                con.execute("PRAGMA journal_mode=WAL")
                con.execute("PRAGMA busy_timeout=30000")
            except (sqlite3.Error, OSError) as exc:
                raise CostModelError(
                    f"cannot open the cost history in {self.path}: {exc}"
                ) from None
            self._local.con = con
        try:
            if not self._ready:
                con.executescript(_SCHEMA)
                self._ready = True
            yield con
        except sqlite3.Error as exc:
            raise CostModelError(f"the cost history in {self.path} failed: {exc}") from None

    def record(
        self,
        *,
        fingerprint: str,
        feature_version: int,
        features: Sequence[float],
        analytic_ms: float,
        predicted_ms: float | None,
        confidence: float | None,
        actual_ms: float,
        estimated_rows: int | None,
        actual_rows: int | None,
        estimated_bytes: int | None,
        actual_bytes: int | None,
    ) -> int:
        """Store one observation; returns its id."""
        with self._connect() as con:
            cur = con.execute(
                "INSERT INTO neurolake_cost_history (recorded_at, fingerprint, feature_version, "
                "features, analytic_ms, predicted_ms, confidence, actual_ms, estimated_rows, "
                "actual_rows, estimated_bytes, actual_bytes) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (time.time(), fingerprint, feature_version,
                 json.dumps([float(x) for x in features]), analytic_ms, predicted_ms, confidence,
                 actual_ms, estimated_rows, actual_rows, estimated_bytes, actual_bytes),
            )  # fmt: skip
            return int(cur.lastrowid or 0)

    def version(self) -> tuple[int, int]:
        """``(last history id, last update id)``: changes whenever something was recorded."""
        with self._connect() as con:
            row = con.execute(
                "SELECT (SELECT coalesce(max(id), 0) FROM neurolake_cost_history), "
                "(SELECT coalesce(max(id), 0) FROM neurolake_cost_updates)"
            ).fetchone()
        return (int(row[0]), int(row[1])) if row else (0, 0)

    def observations(self, feature_version: int, limit: int = 5000) -> list[Observation]:
        """The latest ``limit`` observations of ``feature_version``, oldest first."""
        with self._connect() as con:
            rows = con.execute(
                "SELECT id, fingerprint, features, analytic_ms, predicted_ms, actual_ms, "
                "estimated_rows, actual_rows, estimated_bytes, actual_bytes "
                "FROM neurolake_cost_history WHERE feature_version = ? ORDER BY id DESC LIMIT ?",
                (feature_version, limit),
            ).fetchall()
        return [
            Observation(r[0], r[1], json.loads(r[2]), r[3], r[4], r[5], r[6], r[7], r[8], r[9])
            for r in reversed(rows)
        ]

    def repeats(self, fingerprint: str, limit: int = 5) -> list[float]:
        """Measured durations of earlier runs of the same statement over the same snapshots."""
        with self._connect() as con:
            rows = con.execute(
                "SELECT actual_ms FROM neurolake_cost_history WHERE fingerprint = ? "
                "ORDER BY id DESC LIMIT ?",
                (fingerprint, limit),
            ).fetchall()
        return [float(r[0]) for r in rows]

    def add_update(
        self,
        digest: str,
        feature_version: int,
        parameters: Sequence[float],
        samples: int,
        epsilon: float | None,
    ) -> bool:
        """Keep an imported update; ``False`` when the same update was imported before."""
        with self._connect() as con:
            cur = con.execute(
                "INSERT OR IGNORE INTO neurolake_cost_updates (imported_at, digest, "
                "feature_version, parameters, samples, epsilon) VALUES (?,?,?,?,?,?)",
                (time.time(), digest, feature_version, json.dumps(list(parameters)), samples,
                 epsilon),
            )  # fmt: skip
            return cur.rowcount > 0

    def updates(self, feature_version: int) -> list[StoredUpdate]:
        """The imported updates of ``feature_version``."""
        with self._connect() as con:
            rows = con.execute(
                "SELECT digest, parameters, samples, epsilon FROM neurolake_cost_updates "
                "WHERE feature_version = ? ORDER BY id",
                (feature_version,),
            ).fetchall()
        return [StoredUpdate(r[0], json.loads(r[1]), int(r[2]), r[3]) for r in rows]

    def close(self) -> None:
        """Close this thread's connection."""
        con = getattr(self._local, "con", None)
        if con is not None:
            con.close()
            self._local.con = None

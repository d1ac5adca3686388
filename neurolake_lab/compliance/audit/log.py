"""The workspace's audit log: append records safely from many processes, read and verify them.

Layout: ``<workspace>/audit/audit.jsonl`` (one canonical JSON record per line, append-only),
``<workspace>/audit/audit.lock`` (the lock file), the chain head in ``<workspace>/catalog.db``
and the key in ``<workspace>/keys/audit.key`` (or ``$NEUROLAKE_AUDIT_KEY``).

An append holds an exclusive ``flock`` on the lock file while it finds the chain's tip, checks the
head, writes the record, ``fdatasync``s it and updates the head, so records from several kernels
never interleave or get lost. Each process keeps the log open and remembers the tip it last saw;
under the lock, the file's inode and size tell it whether another process appended since, and only
then does it read the last line again.

Durability: ``append`` returns once the record is on disk (``fdatasync``, about 0.2 ms here) and
the head is committed with ``synchronous=FULL`` (another sync, about 0.3 ms); with the rest, an
append costs about 0.7 ms (``bench/audit_append.py``), inside a cell's budget. The log is synced
before the head, so after a power cut the head is never ahead of the log; a head committed without
a sync could be rolled back by the power cut, and ``verify`` could not tell that from tampering.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from neurolake_lab.compliance.audit.head import ChainHead, HeadStore
from neurolake_lab.compliance.audit.keys import ENV_VAR, key_path, load_key
from neurolake_lab.compliance.audit.lines import last_lines, stream_lines, whole_end
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

LOG_FILE = "audit.jsonl"
LOCK_FILE = "audit.lock"
_VERIFY_HINT = "run `neurolake audit verify` for details"


@dataclass(frozen=True)
class _Tip:
    """The end of the chain as this process last saw it: file identity and size, last record."""

    ino: int
    size: int
    last: AuditRecord | None

    @property
    def seq(self) -> int:
        return self.last.seq if self.last is not None else 0

    @property
    def hash(self) -> str:
        return self.last.hash if self.last is not None else GENESIS


class AuditLog:
    """The append-only, hash-chained, authenticated audit log of one workspace.

    Examples:
        >>> import tempfile, pathlib
        >>> log = AuditLog(pathlib.Path(tempfile.mkdtemp()))
        >>> log.append("query", user="ada", sql="SELECT 42", rows=1)[:9]
        'a-000001-'
        >>> log.verify().ok, log.tail(1)[0].data
        (True, {'rows': 1, 'sql': 'SELECT 42'})
        >>> log.close()
    """

    def __init__(self, workspace: Path) -> None:
        self.workspace = Path(workspace)
        self.folder = self.workspace / "audit"
        self.path = self.folder / LOG_FILE
        self.lock_path = self.folder / LOCK_FILE
        self.catalog_db = self.workspace / "catalog.db"
        self._mutex = threading.Lock()  # threads of one process; flock orders the processes
        self._pid: int | None = None
        self._fd = -1
        self._lock_fd = -1
        self._key = b""
        self._heads = HeadStore(self.catalog_db)
        self._tip: _Tip | None = None

    @property
    def location(self) -> str:
        """Where the records are, for messages."""
        return str(self.path)

    # -- writing -------------------------------------------------------------------------------

    def append(self, kind: str, *, user: str, **data: Any) -> str:
        """Record one event; returns the record's id once the record is on disk.

        Args:
            kind: what happened: one of :data:`~neurolake_lab.compliance.audit.record.KINDS`.
            user: who did it.
            **data: what was asked and what ran (SQL, question, masked columns, row counts,
                snapshot ids, ...), made JSON-safe by
                :func:`~neurolake_lab.compliance.audit.record.json_safe`.

        Raises:
            AuditError: an unknown kind, a value the log cannot store, an I/O failure, or a log that
                no longer matches its head (tampered with): nothing is appended then.
        """
        if kind not in KINDS:
            raise AuditError(f"unknown audit record kind {kind!r}; use one of {sorted(KINDS)}")
        if not isinstance(user, str) or not user:
            raise AuditError("an audit record needs the user who did it")
        safe = json_safe(data)
        with self._mutex:
            self._open()
            with self._locked(self._lock_fd, fcntl.LOCK_EX):
                tip = self._current_tip()
                self._check_head(tip)
                seq = tip.seq + 1
                record = seal(
                    self._key,
                    {
                        "seq": seq,
                        "id": f"a-{seq:06d}-{secrets.token_hex(3)}",
                        "ts": datetime.now(UTC).isoformat(timespec="microseconds")[:-6] + "Z",
                        "user": user,
                        "kind": kind,
                        "data": safe,
                        "prev": tip.hash,
                    },
                )
                line = record.line()
                self._write(line)
                self._tip = _Tip(tip.ino, tip.size + len(line), record)
                self._heads.write(ChainHead.sealed(self._key, seq, record.hash))
        return record.id

    def close(self) -> None:
        """Close the files and the catalog connection; the next call opens them again."""
        with self._mutex:
            if self._pid == os.getpid():
                for fd in (self._fd, self._lock_fd):
                    if fd >= 0:
                        os.close(fd)
                self._heads.close()
            self._fd = self._lock_fd = -1
            self._pid = None
            self._tip = None

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _open(self) -> None:
        """Open the log, the lock file, the key and the head store once per process."""
        pid = os.getpid()
        if self._pid == pid:
            return
        # First use, or a child forked from a process that used the log: descriptors shared with
        # the parent would share its flock, so open our own. The inherited ones stay open in the
        # child (closing a shared SQLite connection after fork is unsafe); they die with it.
        self._heads = HeadStore(self.catalog_db)
        self._tip = None
        try:
            self._key = load_key(self.workspace, create=True) or b""
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            flags = os.O_CREAT | os.O_CLOEXEC
            self._lock_fd = os.open(self.lock_path, os.O_RDWR | flags, 0o600)
            self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND | flags, 0o600)
            _fsync_dir(self.folder)  # the log's directory entry is durable too
        except OSError as exc:
            raise AuditError(f"cannot open the audit log in {self.folder}: {exc}") from None
        self._pid = pid

    def _current_tip(self) -> _Tip:
        """The chain's end now (under the lock): from memory if the file is as we left it."""
        try:
            st = os.fstat(self._fd)
            try:
                named = os.stat(self.path)
            except FileNotFoundError:
                named = None
            if named is None or (named.st_ino, named.st_dev) != (st.st_ino, st.st_dev):
                # the log was moved or deleted: append to the file at the path (the head check
                # then tells whether that is the log it should be)
                os.close(self._fd)
                self._fd = os.open(
                    self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600
                )
                st = os.fstat(self._fd)
                self._tip = None
            tip = self._tip
            if tip is not None and tip.ino == st.st_ino and tip.size == st.st_size:
                return tip
            end = whole_end(self._fd, st.st_size)
            if end < st.st_size:
                # a partial line left by an append that crashed mid-write: drop it (we hold the
                # lock, so nobody is writing it now) and continue the chain after the last whole one
                os.ftruncate(self._fd, end)
                os.fdatasync(self._fd)
            lines = last_lines(self._fd, end, 1)
        except OSError as exc:
            raise AuditError(f"cannot read the audit log {self.path}: {exc}") from None
        last = None
        if lines:
            try:
                last = parse_line(lines[0])
            except AuditError as exc:
                raise AuditError(
                    f"the last record of the audit log {exc}; nothing was appended ({_VERIFY_HINT})"
                ) from None
        self._tip = _Tip(st.st_ino, end, last)
        return self._tip

    def _check_head(self, tip: _Tip) -> None:
        """Refuse to extend a chain that does not match its head, so tampering is never hidden.

        Appending would rewrite the head to fit the file: a cut-off tail or a rebuilt chain would
        then pass ``verify``. The only mismatch accepted is the head one record behind with an
        authentic last record: an append that crashed after writing and before updating the head.
        """
        head = self._heads.read()
        if head is None:
            if tip.last is None:
                self._heads.write(ChainHead.sealed(self._key, 0, GENESIS))
                return
            problem = "its chain head is missing from catalog.db"
        elif not head.authentic(self._key):
            problem = "its chain head in catalog.db was modified"
        elif head.count == tip.seq and head.last_hash == tip.hash:
            return
        elif (
            tip.last is not None
            and head.count == tip.seq - 1
            and head.last_hash == tip.last.prev
            and check_seal(self._key, tip.last, canonical(tip.last.body())) is None
        ):
            return  # the crash window: this append's head update repairs it
        else:
            problem = (
                f"it holds {tip.seq} records but its head in catalog.db says {head.count}"
                if head.count != tip.seq
                else "its last record is not the one its head in catalog.db names"
            )
        raise AuditError(
            f"the audit log {self.path} does not match its chain head: {problem}. "
            f"Nothing was appended; {_VERIFY_HINT}."
        )

    def _write(self, line: bytes) -> None:
        view = memoryview(line)
        try:
            while view:
                view = view[os.write(self._fd, view) :]
            os.fdatasync(self._fd)
        except OSError as exc:
            self._tip = None  # re-read under the lock next time (and drop a partial line)
            raise AuditError(f"cannot write to the audit log {self.path}: {exc}") from None

    # -- reading -------------------------------------------------------------------------------

    def records(self) -> Iterator[AuditRecord]:
        """Every whole record, oldest first, as of the call (streamed; not verified).

        Raises:
            AuditError: a line is not a well-formed record.
        """
        end, _, _ = self._snapshot(with_head=False)
        if end == 0:
            return
        try:
            for n, line in enumerate(stream_lines(self.path, end), start=1):
                yield self._parse(line, n)
        except OSError as exc:
            raise AuditError(f"cannot read the audit log {self.path}: {exc}") from None

    def tail(self, n: int = 20) -> list[AuditRecord]:
        """The last ``n`` whole records, oldest first (read backwards: cheap on a long log).

        Raises:
            AuditError: one of those lines is not a well-formed record.
        """
        end, _, _ = self._snapshot(with_head=False)
        if end == 0 or n <= 0:
            return []
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as exc:
            raise AuditError(f"cannot read the audit log {self.path}: {exc}") from None
        try:
            lines = last_lines(fd, end, n)
        finally:
            os.close(fd)
        return [self._parse(line, None) for line in lines]

    def verify(self) -> VerifyResult:
        """Check every record and the chain head; see :class:`VerifyResult` for what it reports.

        Detects an edited, deleted, reordered or inserted record, a cut-off tail, a chain rebuilt
        without the key, and a missing or modified head; a partial last line (a crash mid-append)
        is reported as ``incomplete_tail``, not as tampering. Never writes the log, key or head.

        Raises:
            AuditError: the log or the catalog cannot be read at all.
        """
        key = load_key(self.workspace, create=False)
        end, size, head = self._snapshot(with_head=True)
        hint = f"{key_path(self.workspace)} or ${ENV_VAR}"
        try:
            return verify_lines(
                stream_lines(self.path, end) if end else iter(()),
                key=key,
                head=head,
                incomplete_tail=end < size,
                key_hint=hint,
            )
        except OSError as exc:
            raise AuditError(f"cannot read the audit log {self.path}: {exc}") from None

    def _snapshot(self, *, with_head: bool) -> tuple[int, int, ChainHead | None]:
        """The log's whole-record end, its size and (optionally) the head, taken together.

        A shared lock makes the size and the head one consistent state: no append is halfway.
        """
        heads = HeadStore(self.catalog_db) if with_head else None
        try:
            if not self.folder.is_dir():
                return 0, 0, heads.read() if heads else None
            try:
                lock_fd = os.open(self.lock_path, os.O_RDONLY | os.O_CLOEXEC)
            except FileNotFoundError:  # no append ever ran here; a reader creates nothing
                lock_fd = -1
            try:
                with self._locked(lock_fd, fcntl.LOCK_SH):
                    try:
                        fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
                    except FileNotFoundError:
                        return 0, 0, heads.read() if heads else None
                    try:
                        size = os.fstat(fd).st_size
                        end = whole_end(fd, size)
                    finally:
                        os.close(fd)
                    return end, size, heads.read() if heads else None
            finally:
                if lock_fd >= 0:
                    os.close(lock_fd)
        except OSError as exc:
            raise AuditError(f"cannot read the audit log in {self.folder}: {exc}") from None
        finally:
            if heads is not None:
                heads.close()

    def _parse(self, line: bytes, n: int | None) -> AuditRecord:
        try:
            return parse_line(line)
        except AuditError as exc:
            where = f"line {n}" if n is not None else "a line"
            raise AuditError(f"{where} of the audit log {exc}; {_VERIFY_HINT}") from None

    @staticmethod
    @contextlib.contextmanager
    def _locked(fd: int, mode: int) -> Iterator[None]:
        """Hold ``flock(fd, mode)`` for the block (nothing when ``fd`` is -1: no lock file)."""
        if fd < 0:
            yield
            return
        fcntl.flock(fd, mode)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

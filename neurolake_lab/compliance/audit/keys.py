"""The workspace's audit key: the secret that authenticates records (HMAC), kept outside ``audit/``.

The key is ``$NEUROLAKE_AUDIT_KEY`` when set, else the file ``<workspace>/keys/audit.key`` (64 hex
characters, mode 0600), created on first use. Whoever can rewrite ``audit/`` but cannot read the
key cannot forge a record or rebuild the chain without ``verify`` noticing.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from neurolake_lab.exceptions import AuditError

ENV_VAR = "NEUROLAKE_AUDIT_KEY"
MIN_KEY_CHARS = 16


def key_path(workspace: Path) -> Path:
    """Where the workspace keeps its audit key file."""
    return workspace / "keys" / "audit.key"


def load_key(workspace: Path, *, create: bool) -> bytes | None:
    """The audit key as bytes (the key text, UTF-8), or ``None`` when there is none yet.

    Args:
        workspace: the workspace root folder.
        create: make a new random key file when neither the variable nor the file exists
            (appending does; verifying never does, since a fresh key authenticates nothing).

    Raises:
        AuditError: the variable is too short, or the key file cannot be read or created.
    """
    env = os.environ.get(ENV_VAR)
    if env:
        if len(env) < MIN_KEY_CHARS:
            raise AuditError(f"{ENV_VAR} is too short: use at least {MIN_KEY_CHARS} characters")
        return env.encode("utf-8")
    path = key_path(workspace)
    try:
        return _read(path)
    except FileNotFoundError:
        if not create:
            return None
    _create(path)
    try:
        return _read(path)
    except FileNotFoundError:
        raise AuditError(f"the audit key {path} vanished right after it was created") from None


def _read(path: Path) -> bytes:
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise
    except (OSError, UnicodeDecodeError) as exc:
        raise AuditError(f"cannot read the audit key {path}: {exc}") from None
    if len(text) < MIN_KEY_CHARS:
        raise AuditError(f"the audit key {path} is too short or empty")
    return text.encode("ascii")


def _create(path: Path) -> None:
    """Write a new key so that every process racing to create it ends up with the same one.

    The key is written whole to a private temporary file, then hard-linked into place: ``link``
    fails if the name exists, so exactly one process wins and nobody ever reads a half-written key
    (``O_EXCL`` on the final name alone would let a reader see it empty).
    """
    folder = path.parent
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = folder / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, (secrets.token_hex(32) + "\n").encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            tmp.unlink()
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError as exc:
        raise AuditError(f"cannot create the audit key {path}: {exc}") from None

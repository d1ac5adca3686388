"""Secrets a workspace keeps in ``<workspace>/keys/``: audit key, masking salt, field key.

Each is 64 hex characters (256 random bits) in a file of its own, mode 0600 in a 0700 folder,
created on first use. Several kernels may create one at the same moment: the secret is written
whole to a private temporary file and hard-linked into place, so exactly one link wins, everyone
reads that one, and nobody reads a half-written file (``O_EXCL`` on the final name alone would let
a reader see it empty).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from neurolake_lab.exceptions import NeuroLakeError

MIN_CHARS = 16


def key_file(workspace: Path, name: str) -> Path:
    """Where the workspace keeps the secret ``name`` (outside ``audit/`` and the warehouse)."""
    return workspace / "keys" / name


def read_secret(path: Path, *, create: bool, what: str, error: type[NeuroLakeError]) -> str | None:
    """The secret in ``path`` (created first when missing and ``create``), else ``None``.

    Raises:
        error: the file cannot be read or created, or holds less than a secret.
    """
    for _ in range(2):
        try:
            text = path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            if not create:
                return None
            _create(path, what, error)
            continue
        except (OSError, UnicodeDecodeError) as exc:
            raise error(f"cannot read the {what} {path}: {exc}") from None
        if len(text) < MIN_CHARS:
            raise error(f"the {what} {path} is too short or empty")
        return text
    raise error(f"the {what} {path} vanished right after it was created")


def _create(path: Path, what: str, error: type[NeuroLakeError]) -> None:
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
            with contextlib.suppress(OSError):
                tmp.unlink()
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError as exc:
        raise error(f"cannot create the {what} {path}: {exc}") from None

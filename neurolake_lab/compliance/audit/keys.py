"""The workspace's audit key: the secret that authenticates records (HMAC), kept outside ``audit/``.

The key is ``$NEUROLAKE_AUDIT_KEY`` when set, else the file ``<workspace>/keys/audit.key`` (64 hex
characters, mode 0600), created on first use. Whoever can rewrite ``audit/`` but cannot read the
key cannot forge a record or rebuild the chain without ``verify`` noticing.
"""

from __future__ import annotations

import os
from pathlib import Path

from neurolake_lab.exceptions import AuditError
from neurolake_lab.keyfiles import key_file, read_secret

ENV_VAR = "NEUROLAKE_AUDIT_KEY"
MIN_KEY_CHARS = 16


def key_path(workspace: Path) -> Path:
    """Where the workspace keeps its audit key file."""
    return key_file(workspace, "audit.key")


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
    text = read_secret(key_path(workspace), create=create, what="audit key", error=AuditError)
    return text.encode("ascii") if text is not None else None

"""``PolicyStore``: the workspace's policy in force, re-read only when ``policies.yaml`` changes.

Each change of version (the first load included) is queued as a ``PolicyChange`` so the session
can audit it; ``sql_store.py`` keeps the policy in the shared PostgreSQL catalog instead.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from neurolake_lab.compliance.policy.loader import load_policy, policy_path
from neurolake_lab.compliance.policy.model import Policy


@dataclass(frozen=True)
class PolicyChange:
    """The policy in force changed (for the audit log): from which version to which."""

    old_version: str | None
    new_version: str
    source: str
    error: str | None


class PolicyStore:
    """The workspace's policy, re-read only when ``policies.yaml`` changes on disk.

    ``current()`` costs one ``stat`` when nothing changed. Each time the version in force
    changes (the first load included), a ``PolicyChange`` is queued for ``take_changes()``.
    """

    def __init__(
        self,
        workspace: str | os.PathLike[str],
        *,
        owner: str | None,
        protected_paths: Sequence[str] | None = None,
    ) -> None:
        self.workspace = Path(workspace)
        self.path = policy_path(workspace)
        self.owner = owner
        self._paths = [str(workspace)] if protected_paths is None else list(protected_paths)
        self._stamp: tuple[int, int, int, int] | None = None
        self._policy: Policy | None = None
        self._changes: list[PolicyChange] = []
        self._lock = threading.Lock()

    def current(self) -> Policy:
        """The policy in force now (never raises; see ``load_policy``)."""
        with self._lock:
            stamp = self._stat()
            if self._policy is None or stamp != self._stamp:
                self._stamp = stamp
                policy = self._load()
                old = self._policy.version if self._policy is not None else None
                if policy.version != old:
                    self._changes.append(
                        PolicyChange(
                            old_version=old,
                            new_version=policy.version,
                            source=policy.source,
                            error=str(policy.error.message) if policy.error else None,
                        )
                    )
                self._policy = policy
            return self._policy

    def take_changes(self) -> list[PolicyChange]:
        """The version changes seen since the last call (oldest first)."""
        with self._lock:
            out, self._changes = self._changes, []
            return out

    def close(self) -> None:
        """Release what the store holds open (nothing for the file)."""

    @property
    def location(self) -> str:
        """Where the policy is kept, for people: the file's path."""
        return str(self.path)

    def stored_text(self) -> str | None:
        """The policy document as stored (``None``: there is none)."""
        try:
            return self.path.read_text(encoding="utf-8")
        except (FileNotFoundError, UnicodeDecodeError):
            return None

    def _load(self) -> Policy:
        """The policy as stored now (never raises)."""
        return load_policy(self.workspace, owner=self.owner, protected_paths=self._paths)

    def _stat(self) -> tuple[int, int, int, int] | None:
        """What changes whenever the stored policy does (here: the file's identity and times)."""
        try:
            st = self.path.stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)

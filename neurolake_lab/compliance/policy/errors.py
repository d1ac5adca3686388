"""Errors of the policy layer, all ``NeuroLakeError``s with one message that names the problem."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from neurolake_lab.exceptions import NeuroLakeError

if TYPE_CHECKING:
    from neurolake_lab.compliance.policy.enforcement import Enforcement


class PolicyError(NeuroLakeError):
    """The policy cannot be used as written, or a query cannot be checked against it."""

    title = "Policy error"


class PolicyFileError(PolicyError):
    """``policies.yaml`` is malformed: bad YAML, breaks the JSON Schema, or names unknown things.

    Attributes:
        path: The policy file.
        line: 1-based line of the offending value (``None`` when the file as a whole is at fault).
        reason: What is wrong, without the location.
    """

    title = "Invalid policy file"

    def __init__(self, path: Path | str, line: int | None, reason: str) -> None:
        where = f"{path}, line {line}" if line is not None else str(path)
        super().__init__(
            f"{where}: {reason}",
            hint="Until it is fixed, personal data is masked for everyone (the policy fails "
            "closed).",
        )
        self.path = Path(path)
        self.line = line
        self.reason = reason


class PolicyViolation(PolicyError):
    """A statement was stopped: it needs a denied column, or reaches around the catalog.

    ``enforcement`` carries every decision (for the audit log) and ``kind`` is ``"denied"`` or
    ``"refused"``.
    """

    title = "Policy violation"

    def __init__(
        self, message: str, *, kind: str, enforcement: Enforcement, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.kind = kind
        self.enforcement = enforcement

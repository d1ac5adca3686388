"""The error lineage raises when it cannot read a statement at all."""

from __future__ import annotations

from neurolake_lab.exceptions import NeuroLakeError


class LineageError(NeuroLakeError):
    """Column lineage cannot be computed for a statement (it does not parse, or is several)."""

    title = "Lineage error"

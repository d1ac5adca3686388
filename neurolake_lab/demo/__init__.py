"""The demo data set every new user sees first: the ``retail`` lakehouse (``demo-retail.md``).

``generate_retail`` makes its tables as Arrow, with descriptions and keys, deterministically for
a seed and with dates relative to today; ``load_retail`` stores them as Iceberg tables.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from neurolake_lab.demo.retail import DemoTable, ForeignKey, generate_retail

if TYPE_CHECKING:
    import datetime as dt

    from neurolake_lab.session import Session

__all__ = ["DemoTable", "ForeignKey", "generate_retail", "load_retail"]


def load_retail(
    session: Session, scale: float = 1, seed: int = 42, today: dt.date | None = None
) -> dict[str, int]:
    """Store the demo tables in the namespace ``retail`` (see :mod:`neurolake_lab.demo.load`)."""
    from neurolake_lab.demo.load import load_retail as _load

    return _load(session, scale=scale, seed=seed, today=today)

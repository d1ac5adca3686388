"""Progress of long work: a widget bar in a notebook, a text bar on a terminal's stderr.

Built on ``tqdm.auto``, which picks the ipywidgets bar inside a Jupyter kernel and the terminal bar
elsewhere (the ``neurolake`` command). Work that is usually quick (classifying a table, a write,
maintenance) passes ``delay`` so that nothing is shown unless it takes longer than that; the demo
load always shows its bar.

``NEUROLAKE_PROGRESS=0`` turns every bar off; ``NEUROLAKE_PROGRESS_DELAY`` (seconds) overrides the
delay of the bars that have one (tests set it to 0).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

#: seconds quick work may take before its bar appears
QUICK = 1.0
#: whether a long job's bar (one without a delay) is showing in this thread or task: the bars of
#: quick work inside it are not shown (a write inside the demo load); quick bars nest
_active: ContextVar[bool] = ContextVar("neurolake_progress_active", default=False)

Step = Callable[[str | None], None]


def enabled() -> bool:
    """Whether bars are shown at all (``NEUROLAKE_PROGRESS=0`` turns them off)."""
    return os.environ.get("NEUROLAKE_PROGRESS", "1").lower() not in ("0", "false", "no", "off")


@contextmanager
def bar(total: int, desc: str, unit: str = "step", *, delay: float = 0.0) -> Iterator[Step]:
    """A bar of ``total`` steps; the context gives ``step(label)``, called as each step ends.

    ``label`` (optional) says what comes next and is shown beside the bar. The bar closes when the
    block ends, also on an error (it then stays where the work stopped).
    """
    if not enabled() or total <= 0 or (delay and _active.get()):
        yield _nothing  # quick work inside a bigger job: the job's bar is enough
        return
    from tqdm.auto import tqdm  # type: ignore[import-untyped]

    quick = bool(delay)
    if quick:
        delay = float(os.environ.get("NEUROLAKE_PROGRESS_DELAY", delay))
    token = _active.set(_active.get() or not quick)
    try:
        with tqdm(total=total, desc=desc, unit=unit, delay=delay, leave=True) as progress:

            def step(label: str | None = None) -> None:
                if label is not None:
                    progress.set_postfix_str(label, refresh=False)
                progress.update(1)

            yield step
    finally:
        _active.reset(token)


def _nothing(label: str | None = None) -> None:
    """The step of a bar that is not shown."""

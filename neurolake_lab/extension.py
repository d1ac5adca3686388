"""``%load_ext neurolake_lab``: register the ``%%sql`` and ``%%nl`` magics, or close them.

Its own module because it is the one place that knows every magics class: ``%%nl`` works on the
session of the ``%%sql`` magics, so ``nl_magics`` imports ``magics``, never the other way round.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from neurolake_lab.magics import NeuroLakeMagics, get_magics
from neurolake_lab.nl_magics import NLMagics
from neurolake_lab.pipeline_magics import PipelineMagics

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell


def load(shell: InteractiveShell) -> None:
    """Register the magics on ``shell`` (idempotent)."""
    if get_magics(shell) is None:
        shell.register_magics(NeuroLakeMagics(shell), NLMagics(shell), PipelineMagics(shell))


def unload(shell: InteractiveShell) -> None:
    """Close the magics' session, if one was opened."""
    magics = get_magics(shell)
    if magics is not None and magics.has_session:
        magics.session.close()

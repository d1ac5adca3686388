"""NeuroLake Lab: an AI-native lakehouse notebook on DuckDB, inside Jupyter.

``neurolake_lab.connect()`` opens a session; ``%load_ext neurolake_lab`` adds the ``%%sql`` magics
to any IPython kernel. Heavy modules load on first use, so importing this package stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

try:
    from neurolake_lab._version import __version__
except ImportError:  # running from a source tree that was never built
    __version__ = "0.0.0+unknown"

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

    from neurolake_lab.session import Session

__all__ = ["__version__", "connect", "current_session"]


def connect(workspace: Any = None, *, user: str | None = None, **settings: Any) -> Session:
    """Open a session on a workspace folder; see :func:`neurolake_lab.session.connect`."""
    from neurolake_lab.session import connect as _connect

    return _connect(workspace, user=user, **settings)


def current_session() -> Session:
    """The session the ``%%sql`` cells of the running notebook use (for Python cells)."""
    from IPython import get_ipython

    from neurolake_lab.exceptions import UsageError
    from neurolake_lab.magics import get_magics

    shell = get_ipython()
    magics = get_magics(shell) if shell is not None else None
    if magics is None:
        raise UsageError("no NeuroLake notebook session here: use %load_ext neurolake_lab first")
    return magics.session


def load_ipython_extension(ipython: InteractiveShell) -> None:
    """``%load_ext neurolake_lab``: register the ``%sql``/``%%sql`` and exploration magics."""
    from neurolake_lab.extension import load

    load(ipython)


def unload_ipython_extension(ipython: InteractiveShell) -> None:
    """``%unload_ext neurolake_lab``: close the magics' session."""
    from neurolake_lab.extension import unload

    unload(ipython)


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "neurolake-lab"}]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "neurolake_lab.server"}]

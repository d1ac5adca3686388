"""The jupyter-server extension: authenticated REST handlers under ``/neurolake/``.

Enabled by ``jupyter-config/server-config/neurolake_lab.json`` (installed with the wheel). Later
issues add lineage, audit and preflight endpoints here; every handler derives from ``APIHandler``
and requires authentication.
"""

from __future__ import annotations

from typing import Any

from neurolake_lab.server.handlers import setup_handlers


def _load_jupyter_server_extension(server_app: Any) -> None:
    """Register the handlers with the running Jupyter server."""
    setup_handlers(server_app.web_app)
    server_app.log.info("NeuroLake server extension loaded at /neurolake/")


# jupyter_server looks the loader up under this name too (for older configs)
load_jupyter_server_extension = _load_jupyter_server_extension

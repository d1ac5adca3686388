"""The jupyter-server extension: authenticated REST handlers under ``/neurolake/``.

Enabled by ``jupyter-config/server-config/neurolake_lab.json`` (installed with the wheel). Later
issues add lineage, audit and preflight endpoints here; every handler derives from ``APIHandler``
and requires authentication.
"""

from __future__ import annotations

from typing import Any

from neurolake_lab.server.handlers import setup_handlers


def _load_jupyter_server_extension(server_app: Any) -> None:
    """Register the handlers with the running Jupyter server, and start the pipeline scheduler."""
    from neurolake_lab.config import default_workspace
    from neurolake_lab.server.scheduler import PipelineScheduler, tick_seconds

    setup_handlers(server_app.web_app)
    server_app.log.info("NeuroLake server extension loaded at /neurolake/")
    period = tick_seconds()
    if period:
        scheduler = PipelineScheduler(default_workspace(), period, server_app.log)
        server_app.web_app.settings["neurolake_scheduler"] = scheduler
        scheduler.start()


def _unload_jupyter_server_extension(server_app: Any) -> None:
    """Stop the pipeline scheduler and close the API's sessions (the server is stopping)."""
    scheduler = server_app.web_app.settings.pop("neurolake_scheduler", None)
    if scheduler is not None:
        scheduler.stop()
    pool = server_app.web_app.settings.pop("neurolake_pool", None)
    if pool is not None:
        pool.close()


# jupyter_server looks the loader up under this name too (for older configs)
load_jupyter_server_extension = _load_jupyter_server_extension

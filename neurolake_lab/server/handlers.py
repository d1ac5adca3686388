"""REST handlers; each requires an authenticated Jupyter user."""

from __future__ import annotations

import json
from typing import Any

import tornado
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

from neurolake_lab import __version__
from neurolake_lab.config import current_user, default_workspace


class StatusHandler(APIHandler):
    """``GET /neurolake/status``: version, default workspace and the acting user."""

    @tornado.web.authenticated
    def get(self) -> None:
        """Report what the front end needs to know before it talks to a kernel."""
        self.finish(
            json.dumps(
                {
                    "version": __version__,
                    "workspace": str(default_workspace()),
                    "user": current_user(),
                }
            )
        )


#: Every endpoint, relative to ``<base_url>/neurolake/`` (tests check each refuses anonymous use).
ROUTES: list[tuple[str, type[APIHandler]]] = [("status", StatusHandler)]


def setup_handlers(web_app: Any) -> None:
    """Add NeuroLake's handlers under the server's base URL."""
    base = web_app.settings["base_url"]
    web_app.add_handlers(
        ".*$", [(url_path_join(base, "neurolake", path), handler) for path, handler in ROUTES]
    )

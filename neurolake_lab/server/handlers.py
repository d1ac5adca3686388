"""Route table of the server extension; each handler requires an authenticated Jupyter user."""

from __future__ import annotations

import json
from typing import Any

import tornado
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

from neurolake_lab import __version__
from neurolake_lab.config import default_workspace
from neurolake_lab.server.api import API_ROUTES, identity
from neurolake_lab.server.pipeline_api import PIPELINE_ROUTES


class StatusHandler(APIHandler):
    """``GET /neurolake/status``: version, default workspace and who the API acts as."""

    @tornado.web.authenticated
    def get(self) -> None:
        """Report what the front end needs to know before it talks to a kernel."""
        self.finish(
            json.dumps(
                {
                    "version": __version__,
                    "workspace": str(default_workspace()),
                    "user": identity(self),
                }
            )
        )


#: Every endpoint, relative to ``<base_url>/neurolake/`` (tests check each refuses anonymous use).
ROUTES: list[tuple[str, type[APIHandler]]] = [
    ("status", StatusHandler),
    *API_ROUTES,
    *PIPELINE_ROUTES,
]


def setup_handlers(web_app: Any) -> None:
    """Add NeuroLake's handlers under the server's base URL, with the API's session pool."""
    from neurolake_lab.server.sessions import SessionPool

    web_app.settings["neurolake_pool"] = SessionPool(default_workspace())
    base = web_app.settings["base_url"]
    web_app.add_handlers(
        ".*$", [(url_path_join(base, "neurolake", path), handler) for path, handler in ROUTES]
    )

"""A Jupyter identity provider for tests: each of a few tokens names a user, as JupyterHub does.

Started with ``--ServerApp.identity_provider_class=tests.support.identities.TokenUsers``; the
tokens are ``<user>-token`` for the users in ``NEUROLAKE_TEST_USERS`` (comma-separated). Any other
request is handled as jupyter-server's own token login would.
"""

from __future__ import annotations

import os
from typing import Any

from jupyter_server.auth.identity import IdentityProvider, User


class TokenUsers(IdentityProvider):
    """``Authorization: token <user>-token`` authenticates as ``<user>``."""

    def get_user(self, handler: Any) -> Any:
        header = handler.request.headers.get("Authorization", "")
        users = [u for u in os.environ.get("NEUROLAKE_TEST_USERS", "").split(",") if u]
        for user in users:
            if header == f"token {user}-token":
                handler._token_authenticated = True  # a token, not a cookie: no XSRF check
                return User(username=user, name=user, display_name=user)
        return super().get_user(handler)

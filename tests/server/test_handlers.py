"""The server extension's status endpoint on a real jupyter-server with authentication on.

The API under /neurolake/api/ is tested in test_api.py.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from neurolake_lab import __version__
from neurolake_lab.server.handlers import ROUTES

pytestmark = pytest.mark.slow
TOKEN = "server-test-token"


@pytest.fixture(scope="module")
def server(launch_jupyter: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    workspace = tmp_path_factory.mktemp("server-ws")
    env = {
        "NEUROLAKE_WORKSPACE": str(workspace),
        "JUPYTER_RUNTIME_DIR": str(tmp_path_factory.mktemp("rt")),
    }
    url = launch_jupyter(
        "jupyter_server",
        TOKEN,
        env,
        "--ServerApp.base_url=/base/",
        f"--ServerApp.root_dir={workspace}",
        base="/base",
    )
    return url, workspace


def get(url: str, token: str | None) -> tuple[int, bytes]:
    headers = {"Authorization": f"token {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as err:
        return err.code, b""


def test_status(server: tuple[str, Path]) -> None:
    url, workspace = server
    code, body = get(f"{url}/neurolake/status", TOKEN)
    assert code == 200
    status = json.loads(body)
    assert status["version"] == __version__
    assert status["workspace"] == str(workspace)
    assert status["user"]


@pytest.mark.parametrize("path", [p for p, _ in ROUTES if not p.startswith("api/")])
def test_endpoint_refuses_unauthenticated_access(server: tuple[str, Path], path: str) -> None:
    url, _ = server
    assert get(f"{url}/neurolake/{path}", TOKEN)[0] == 200
    assert get(f"{url}/neurolake/{path}", None)[0] in (401, 403)
    assert get(f"{url}/neurolake/{path}", "wrong-token")[0] in (401, 403)

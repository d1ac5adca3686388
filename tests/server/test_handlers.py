"""The server extension's REST API on a real jupyter-server process with authentication on."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from neurolake_lab import __version__
from neurolake_lab.server.handlers import ROUTES

pytestmark = pytest.mark.slow
TOKEN = "server-test-token"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    workspace = tmp_path_factory.mktemp("server-ws")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "NEUROLAKE_WORKSPACE": str(workspace),
        "JUPYTER_RUNTIME_DIR": str(tmp_path_factory.mktemp("rt")),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter_server", f"--port={port}", "--ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}",
         "--ServerApp.open_browser=False", "--allow-root", "--ServerApp.base_url=/base/", f"--ServerApp.root_dir={workspace}"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/base"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2)
            break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise AssertionError("jupyter server did not start") from None
            time.sleep(0.3)
    yield url, workspace
    proc.terminate()
    proc.wait(timeout=20)


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


@pytest.mark.parametrize("path", [path for path, _ in ROUTES])
def test_endpoint_refuses_unauthenticated_access(server: tuple[str, Path], path: str) -> None:
    url, _ = server
    assert get(f"{url}/neurolake/{path}", TOKEN)[0] == 200
    assert get(f"{url}/neurolake/{path}", None)[0] in (401, 403)
    assert get(f"{url}/neurolake/{path}", "wrong-token")[0] in (401, 403)

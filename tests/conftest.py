"""Shared fixtures: every test gets its own workspace folder, never the user's ~/.neurolake."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import neurolake_lab
from neurolake_lab.session import Session


@pytest.fixture(autouse=True)
def _isolated_workspace(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    ws = tmp_path_factory.mktemp("workspace")
    monkeypatch.setenv("NEUROLAKE_WORKSPACE", str(ws))
    return ws


@pytest.fixture
def workspace(_isolated_workspace: Path) -> Path:
    return _isolated_workspace


@pytest.fixture
def session(workspace: Path) -> Iterator[Session]:
    with neurolake_lab.connect(workspace) as s:
        yield s


@pytest.fixture
def ip(workspace: Path) -> Iterator[Any]:
    """IPython with ``%load_ext neurolake_lab`` and a session on this test's workspace.

    Variables the test leaves in the shell's namespace are removed afterwards.
    """
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.testing.globalipapp import start_ipython

    from neurolake_lab.magics import get_magics

    shell = start_ipython() or InteractiveShell.instance()
    shell.run_line_magic("load_ext", "neurolake_lab")
    magics = get_magics(shell)
    assert magics is not None
    before = set(shell.user_ns)
    magics.session = neurolake_lab.connect(workspace)
    yield shell
    magics.session.close()
    for name in set(shell.user_ns) - before:
        shell.user_ns.pop(name, None)


@pytest.fixture(scope="session")
def retail_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The retail demo (seed 7), loaded once for the planner and agent tests."""
    from tests.support.nl_fixtures import retail_workspace

    return retail_workspace(tmp_path_factory)


@pytest.fixture(scope="session")
def hr_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A second schema (HR) the planner has never seen, loaded once."""
    from tests.support.nl_fixtures import hr_workspace

    return hr_workspace(tmp_path_factory)


@pytest.fixture(scope="module")
def retail(retail_root: Path) -> Iterator[Session]:
    from tests.support.nl_fixtures import open_session

    with open_session(retail_root) as s:
        yield s


@pytest.fixture(scope="module")
def hr(hr_root: Path) -> Iterator[Session]:
    from tests.support.nl_fixtures import open_session

    with open_session(hr_root) as s:
        yield s


@pytest.fixture(scope="session")
def report_validator() -> Any:
    from jsonschema import Draft202012Validator

    from neurolake_lab.report import report_schema

    schema = report_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def launch_jupyter() -> Iterator[Any]:
    """Start a real Jupyter server process on 127.0.0.1 and wait until it answers.

    ``launch(module, token, env, *args, base="")`` returns the server's URL (with ``base``); every
    process started is stopped at the end of the test session.
    """
    import os
    import subprocess
    import sys
    import tempfile
    import time
    import urllib.request

    procs: list[subprocess.Popen[bytes]] = []

    def launch(module: str, token: str, env: dict[str, str], *args: str, base: str = "") -> str:
        port = free_port()
        if module == "jupyterlab":  # each server starts with no saved layout or user settings
            state = tempfile.mkdtemp(prefix="lab-state-")
            args = (f"--LabApp.workspaces_dir={state}/workspaces",
                    f"--LabApp.user_settings_dir={state}/settings", *args)  # fmt: skip
        proc = subprocess.Popen(
            [sys.executable, "-m", module, f"--ServerApp.port={port}", "--ServerApp.ip=127.0.0.1",
             f"--IdentityProvider.token={token}", "--ServerApp.open_browser=False", "--allow-root", *args],
            env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        procs.append(proc)
        url = f"http://127.0.0.1:{port}{base}"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                return url
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError(f"{module} did not start") from None
                time.sleep(0.3)

    yield launch
    for proc in procs:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()

"""A real JupyterLab server on 127.0.0.1 and headless Debian Chromium driven by Playwright."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TOKEN = "neurolake-ui-test"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@dataclass
class Lab:
    url: str
    root: Path
    workspace: Path

    def page_url(self, path: str) -> str:
        return f"{self.url}/{path}?token={TOKEN}"

    def write_notebook(self, name: str, cells: list[str]) -> None:
        """A notebook on the NeuroLake kernel with ``cells`` as code cells, under the lab root."""
        write_notebook(self.root / name, cells)


@pytest.fixture(scope="module")
def lab(launch_jupyter: Any, tmp_path_factory: pytest.TempPathFactory) -> Lab:
    root = tmp_path_factory.mktemp("lab-root")
    workspace = tmp_path_factory.mktemp("lab-workspace")
    env = {
        "NEUROLAKE_WORKSPACE": str(workspace),
        "JUPYTER_RUNTIME_DIR": str(tmp_path_factory.mktemp("runtime")),
    }
    url = launch_jupyter(
        "jupyterlab",
        TOKEN,
        env,
        f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    )
    return Lab(url=url, root=root, workspace=workspace)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed (make test installs it)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def write_notebook(path: Path, cells: list[str]) -> None:
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": f"c{i}",
                "metadata": {},
                "outputs": [],
                "source": src,
            }
            for i, src in enumerate(cells)
        ],
        "metadata": {
            "kernelspec": {"name": "neurolake", "display_name": "NeuroLake", "language": "python"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Any:
    """Keep each phase's report on the test item (failure screenshots read it)."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report

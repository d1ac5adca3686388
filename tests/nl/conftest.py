"""Fixtures: the retail demo (seed 7) and the HR schema, loaded once; sessions per module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from neurolake_lab.session import Session
from tests.support.nl_fixtures import hr_workspace, open_session, retail_workspace


@pytest.fixture(scope="session")
def retail_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return retail_workspace(tmp_path_factory)


@pytest.fixture(scope="session")
def hr_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return hr_workspace(tmp_path_factory)


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("NEUROLAKE_LLM_BASE_URL", "OPENAI_API_KEY", "NEUROLAKE_LLM_SHARE_VALUES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NEUROLAKE_LLM", "offline")


@pytest.fixture(scope="module")
def retail(retail_root: Path) -> Iterator[Session]:
    with open_session(retail_root) as s:
        yield s


@pytest.fixture(scope="module")
def hr(hr_root: Path) -> Iterator[Session]:
    with open_session(hr_root) as s:
        yield s

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


@pytest.fixture(scope="session")
def report_validator() -> Any:
    from jsonschema import Draft202012Validator

    from neurolake_lab.display import report_schema

    schema = report_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)

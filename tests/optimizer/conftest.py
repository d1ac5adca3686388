"""A retail workspace per test (rules are checked on real Iceberg tables), copied from one load."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import neurolake_lab
from neurolake_lab.demo import load_retail
from neurolake_lab.session import Session


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = tmp_path_factory.mktemp("retail-template")
    with neurolake_lab.connect(ws) as session:
        # a fixed "today": two years of orders, 2024-01-16 to 2026-01-15 (the filters rely on it)
        load_retail(session, scale=0.2, today=dt.date(2026, 1, 15))
    return ws


@pytest.fixture
def retail(template: Path, tmp_path: Path) -> Iterator[Session]:
    ws = tmp_path / "ws"
    shutil.copytree(template, ws)
    with neurolake_lab.connect(ws) as session:
        yield session

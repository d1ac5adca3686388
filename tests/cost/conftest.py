"""Workspaces with real Iceberg tables for the cost model tests (built once per module)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import neurolake_lab
from neurolake_lab.cost.workload import load_tpch
from neurolake_lab.demo import load_retail
from neurolake_lab.session import Session


@pytest.fixture(scope="module")
def data_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Retail demo at scale 0.2 and TPC-H at sf 0.01, as Iceberg tables (read-only in tests)."""
    ws = tmp_path_factory.mktemp("cost-data")
    with neurolake_lab.connect(ws) as session:
        load_retail(session, scale=0.2)
        load_tpch(session, 0.01, "tpch")
    return ws


@pytest.fixture
def data_session(data_workspace: Path) -> Iterator[Session]:
    with neurolake_lab.connect(data_workspace) as s:
        yield s


@pytest.fixture
def own_copy(data_workspace: Path, tmp_path: Path) -> Iterator[Session]:
    """A session on a private copy of the data workspace, with an empty cost history."""
    import shutil
    import sqlite3

    ws = tmp_path / "copy"
    shutil.copytree(data_workspace, ws)
    with sqlite3.connect(ws / "catalog.db") as con:
        con.execute("DROP TABLE IF EXISTS neurolake_cost_history")
        con.execute("DROP TABLE IF EXISTS neurolake_cost_updates")
    with neurolake_lab.connect(ws) as s:
        yield s

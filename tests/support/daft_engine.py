"""Helpers for comparing the Daft engine with DuckDB through the whole cell pipeline."""

from __future__ import annotations

from typing import Any

from neurolake_lab.cell.engines import backend_for
from neurolake_lab.cell.plan import CellPlan
from neurolake_lab.engine.backend import EngineBackend
from neurolake_lab.session import Session
from tests.support.tpch_lake import rows


def daft_engine(session: Session, engine: str = "daft") -> EngineBackend:
    """The session's Daft engine (what ``--engine daft`` runs governed SQL on)."""
    return backend_for(CellPlan("", engine=engine), session.services)


def both(session: Session, sql: str, engine: str = "daft") -> tuple[list[Any], list[Any]]:
    """The rows of ``sql`` run on ``engine`` and on DuckDB, through the same governed cell."""
    other = session.sql(sql, engine=engine).arrow()
    duck = session.sql(sql).arrow()
    assert other.column_names == duck.column_names
    return rows(other), rows(duck)

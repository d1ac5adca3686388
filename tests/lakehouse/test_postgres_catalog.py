"""The Iceberg catalog on a real PostgreSQL server (the shared deployment's catalog).

A throwaway PostgreSQL cluster is created with ``initdb`` (Debian's ``postgresql`` package, which
``make test`` installs) and started on a free port; two sessions share it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import neurolake_lab
from tests.support.postgres import running_postgres

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    with running_postgres() as uri:
        yield uri


def test_tables_in_a_postgresql_catalog(postgres: str, tmp_path: Path, monkeypatch) -> None:
    warehouse = tmp_path / "shared-warehouse"
    with neurolake_lab.connect(tmp_path / "a", catalog_uri=postgres, warehouse=str(warehouse)) as a:
        a.sql("CREATE TABLE pg.t AS SELECT range AS id FROM range(5)")
        a.sql("INSERT INTO pg.t VALUES (5)")
        first = a.snapshots("pg.t").arrow().column("snapshot_id").to_pylist()[-1]
    # another user's workspace, configured through the environment, sees the same tables
    monkeypatch.setenv("NEUROLAKE_CATALOG_URI", postgres)
    monkeypatch.setenv("NEUROLAKE_WAREHOUSE", str(warehouse))
    with neurolake_lab.connect(tmp_path / "b") as b:
        assert b.sql("SELECT count(*) FROM pg.t").arrow().column(0)[0].as_py() == 6
        old = b.sql(f"SELECT count(*) FROM pg.t FOR VERSION AS OF {first}")
        assert old.arrow().column(0)[0].as_py() == 5
        b.sql("UPDATE pg.t SET id = -1 WHERE id = 0")
        assert b.sql("SELECT min(id) FROM t").arrow().column(0)[0].as_py() == -1
    # the data files are in the shared warehouse, the pointers in PostgreSQL (no SQLite catalog)
    assert list(warehouse.rglob("*.parquet"))
    import sqlalchemy

    engine = sqlalchemy.create_engine(postgres)
    with engine.connect() as con:
        names = con.execute(sqlalchemy.text("SELECT table_name FROM iceberg_tables")).fetchall()
    engine.dispose()
    assert [n for (n,) in names] == ["t"]

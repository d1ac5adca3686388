"""The Iceberg catalog on a real PostgreSQL server (the shared deployment's catalog).

A throwaway PostgreSQL cluster is created with ``initdb`` (Debian's ``postgresql`` package, which
``make test`` installs) and started on a free port; two sessions share it.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import neurolake_lab

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    assert found, "PostgreSQL is not installed: apt-get install postgresql (make test does)"
    bindir = Path(found[-1]).parent
    # not under pytest's tmp folder: that is private to root, and the server runs as postgres
    base = Path(tempfile.mkdtemp(prefix="neurolake-pg-"))
    data = base / "data"
    run_as: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        base.chmod(0o777)
        run_as = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [*run_as, str(bindir / "initdb"), "-D", str(data), "--auth=trust", "-U", "postgres"],
        check=True, capture_output=True,
    )  # fmt: skip
    port = _free_port()
    proc = subprocess.Popen(
        [*run_as, str(bindir / "postgres"), "-D", str(data), "-p", str(port),
         "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={data}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline and proc.poll() is None, "PostgreSQL did not start"
            time.sleep(0.2)
    time.sleep(0.3)
    yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/postgres"
    proc.terminate()
    proc.wait(timeout=30)
    shutil.rmtree(base, ignore_errors=True)


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

"""The lakehouse on an Iceberg REST catalog: every write a commit over HTTP, as a shared server sees it.

The server is ``tests/support/rest_catalog.py``: the REST spec's endpoints served on 127.0.0.1 by a
real pyiceberg ``SqlCatalog`` (there is no Java reference server on this machine). NeuroLake talks
to it through pyiceberg's ``RestCatalog``, exactly as it would to Polaris, Nessie or Lakekeeper.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

import neurolake_lab
from neurolake_lab.exceptions import LakehouseError, QueryError
from neurolake_lab.session import Session
from tests.support.rest_catalog import RestCatalogServer

pytestmark = pytest.mark.slow


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RestCatalogServer]:
    with RestCatalogServer(tmp_path / "rest-server") as srv:
        yield srv


def count(session: Session, sql: str) -> int:
    return int(session.sql(sql).arrow().column(0)[0].as_py())


def server_pointer(server: RestCatalogServer, ns: str, table: str) -> list[str]:
    """The metadata file the server's own catalog database points the table at."""
    con = sqlite3.connect(server.db_path)
    try:
        rows = con.execute(
            "SELECT metadata_location FROM iceberg_tables WHERE table_namespace = ? "
            "AND table_name = ?",
            (ns, table),
        ).fetchall()
    finally:
        con.close()
    return [loc for (loc,) in rows]


def start_writer(w: int, code: str, env: dict[str, str]) -> subprocess.Popen[str]:
    """A separate Python process (another user's kernel) running ``code`` with ``w`` set."""
    script = f"w = {w}\n" + textwrap.dedent(code)
    return subprocess.Popen(
        [sys.executable, "-c", script], env={**os.environ, **env}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def commits(server: RestCatalogServer, table_path: str) -> list[int]:
    """Statuses of the commits (POST to the table) the server answered."""
    return [r.status for r in server.requests if r.method == "POST" and r.path.endswith(table_path)]


def test_sql_writes_history_and_time_travel_through_rest(
    server: RestCatalogServer, tmp_path: Path
) -> None:
    warehouse = tmp_path / "shared-warehouse"
    with neurolake_lab.connect(
        tmp_path / "a", catalog_uri=server.uri, warehouse=str(warehouse)
    ) as s:
        assert s.lakehouse.config.is_rest
        s.sql("CREATE TABLE sales.t AS SELECT range AS id, range * 10 AS v FROM range(5)")
        s.sql("INSERT INTO sales.t VALUES (5, 50), (6, 60)")  # seen at once: no stale listing
        s.sql("UPDATE sales.t SET v = -1 WHERE id = 0")
        s.sql("DELETE FROM sales.t WHERE id IN (1, 2)")
        s.sql("ALTER TABLE sales.t ADD COLUMN note VARCHAR")
        s.sql("INSERT INTO sales.t VALUES (7, 70, 'new')")
        rows = s.sql("SELECT id, v, note FROM sales.t ORDER BY id").arrow().to_pylist()
        assert rows == [
            {"id": 0, "v": -1, "note": None}, {"id": 3, "v": 30, "note": None},
            {"id": 4, "v": 40, "note": None}, {"id": 5, "v": 50, "note": None},
            {"id": 6, "v": 60, "note": None}, {"id": 7, "v": 70, "note": "new"},
        ]  # fmt: skip

        snaps = s.snapshots("sales.t").arrow().to_pylist()[::-1]  # oldest first
        assert [x["operation"] for x in snaps] == [
            "create table as", "insert", "update", "delete", "insert"
        ]  # fmt: skip
        assert [x["total_rows"] for x in snaps] == [5, 7, 7, 5, 6]
        assert snaps[1]["sql"] == "INSERT INTO sales.t VALUES (5, 50), (6, 60)"
        first, inserted = snaps[0]["snapshot_id"], snaps[1]["snapshot_id"]
        assert count(s, f"SELECT count(*) FROM sales.t FOR VERSION AS OF {first}") == 5
        old = s.sql(f"SELECT * FROM sales.t FOR VERSION AS OF {inserted} ORDER BY id")
        assert old.arrow().column_names == ["id", "v"]  # the schema of that snapshot
        assert old.arrow().column("v").to_pylist()[:2] == [0, 10]  # before the UPDATE

        # the server's catalog holds the pointer the session reads; files are in the warehouse
        pointer = s.lakehouse.pointers[("sales", "t")]
        assert server_pointer(server, "sales", "t") == [pointer]
        assert pointer.startswith(warehouse.as_uri() + "/sales/t/metadata/")
        assert list((warehouse / "sales" / "t" / "data").glob("*.parquet"))
        assert not list((tmp_path / "a" / "warehouse").rglob("*.parquet"))
        # five snapshots and one schema change: six commits, every one over HTTP
        assert commits(server, "/namespaces/sales/tables/t").count(200) == 6

        s.sql("ALTER TABLE sales.t RENAME TO t2")
        assert count(s, "SELECT count(*) FROM sales.t2") == 6
        assert server_pointer(server, "sales", "t") == []
        s.sql("DROP TABLE sales.t2")
        with pytest.raises(QueryError, match="t2"):
            s.sql("SELECT * FROM sales.t2")
        assert server_pointer(server, "sales", "t2") == []
        assert not list((warehouse / "sales" / "t").rglob("*.parquet"))  # purged by the server


def test_session_write_with_partitioning_and_a_second_session(
    server: RestCatalogServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = tmp_path / "shared-warehouse"
    orders = pa.table(
        {
            "order_id": pa.array(range(6), pa.int64()),
            "region": ["eu", "us", "eu", "apac", "us", "eu"],
            "amount": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0],
        }
    )
    with neurolake_lab.connect(
        tmp_path / "a", catalog_uri=server.uri, warehouse=str(warehouse)
    ) as a:
        a.write("shop.orders", orders, partition_by=["region"], description="orders")
        info = next(d for d in a.lakehouse.describe() if d["name"] == "orders")
        assert info["partitioned_by"] and "region" in str(info["partitioned_by"])
        assert info["description"] == "orders"
        folders = {p.name for p in (warehouse / "shop" / "orders" / "data").iterdir()}
        assert folders == {"region=eu", "region=us", "region=apac"}
        first = a.snapshots("shop.orders").arrow().column("snapshot_id")[0].as_py()

        # another user's workspace, configured through the environment, sees the same tables
        monkeypatch.setenv("NEUROLAKE_CATALOG_URI", server.uri)
        monkeypatch.setenv("NEUROLAKE_WAREHOUSE", str(warehouse))
        with neurolake_lab.connect(tmp_path / "b") as b:
            assert count(b, "SELECT count(*) FROM shop.orders WHERE region = 'eu'") == 3
            assert count(b, "SELECT count(*) FROM orders") == 6  # bare name, unambiguous
            b.write("shop.orders", orders.slice(0, 2), mode="append")
            b.sql("UPDATE shop.orders SET amount = 0 WHERE region = 'apac'")
            assert count(b, f"SELECT count(*) FROM shop.orders FOR VERSION AS OF {first}") == 6
        # the first session lists a REST catalog at most once a second: then it sees b's commits
        time.sleep(1.1)
        assert count(a, "SELECT count(*) FROM shop.orders") == 8
        assert count(a, "SELECT sum(amount) FROM shop.orders WHERE region = 'apac'") == 0
        ops = a.snapshots("shop.orders").arrow().column("operation").to_pylist()
        assert ops == ["update", "write (append)", "write (append)"]  # create, then b's append


def test_without_a_warehouse_every_workspace_shares_the_servers_default(
    server: RestCatalogServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEUROLAKE_CATALOG_URI", server.uri)
    with neurolake_lab.connect(tmp_path / "a") as a:
        a.sql("CREATE TABLE d.t AS SELECT 1 AS x")
    with neurolake_lab.connect(tmp_path / "b") as b:
        assert count(b, "SELECT x FROM d.t") == 1
    # no warehouse was asked for: the server chose where the table lives
    assert list((server.default_warehouse / "d" / "t" / "data").glob("*.parquet"))
    assert not list(tmp_path.glob("[ab]/warehouse/**/*.parquet"))
    # a named warehouse is passed to the server as a name (not turned into a local path)
    with neurolake_lab.connect(tmp_path / "c", warehouse="analytics") as c:
        assert c.lakehouse.config.warehouse == "analytics"
        c.sql("CREATE TABLE d.t AS SELECT 2 AS x")  # its own catalog: no clash with the default
        assert count(c, "SELECT x FROM d.t") == 2
    assert list((server.root / "warehouses" / "analytics" / "d" / "t").rglob("*.parquet"))


def test_two_processes_appending_through_rest_lose_no_rows(
    server: RestCatalogServer, tmp_path: Path
) -> None:
    warehouse = tmp_path / "shared-warehouse"
    with neurolake_lab.connect(
        tmp_path / "main", catalog_uri=server.uri, warehouse=str(warehouse)
    ) as s:
        s.sql("CREATE TABLE c.events (writer INTEGER, seq INTEGER)")
        go = tmp_path / "go"
        code = f"""
            import os, time, neurolake_lab
            session = neurolake_lab.connect()
            session.sql("SELECT count(*) FROM c.events")  # catalog open, extension loaded
            print("ready", flush=True)
            while not os.path.exists({str(go)!r}):
                time.sleep(0.01)
            for i in range(15):
                session.sql(f"INSERT INTO c.events SELECT {{w}}, {{i}} * 10 + range FROM range(10)")
        """
        env = {"NEUROLAKE_CATALOG_URI": server.uri, "NEUROLAKE_WAREHOUSE": str(warehouse)}
        procs = [start_writer(w, code, {**env, "NEUROLAKE_WORKSPACE": str(tmp_path / f"w{w}")})
                 for w in (1, 2)]  # fmt: skip
        for proc in procs:  # both writers start at the same moment
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        go.touch()
        for proc in procs:
            _, err = proc.communicate(timeout=300)
            assert proc.returncode == 0, err
        got = s.sql(
            "SELECT writer, count(*) AS n, count(DISTINCT seq) AS d FROM c.events "
            "GROUP BY 1 ORDER BY 1"
        ).arrow()
        assert got.to_pylist() == [
            {"writer": 1, "n": 150, "d": 150}, {"writer": 2, "n": 150, "d": 150}
        ]  # fmt: skip
        assert len(s.snapshots("c.events")) == 30  # one commit per insert
        statuses = commits(server, "/namespaces/c/tables/events")
        # every commit the server took is a snapshot (a refused one, 409, was redone)
        assert statuses.count(200) == 31  # the create, then 30 inserts
        assert set(statuses) <= {200, 409}


def test_a_rest_server_that_is_down_is_one_clear_error(tmp_path: Path) -> None:
    with RestCatalogServer(tmp_path / "gone") as srv:
        uri = srv.uri
    with neurolake_lab.connect(tmp_path / "a", catalog_uri=uri) as s:
        with pytest.raises(LakehouseError) as info:
            s.sql("SELECT 1")
        message = info.value.message
        assert uri in message and "does not answer" in message
        assert "\n" not in message and "Traceback" not in message


def test_a_rest_server_going_away_mid_session_is_one_clear_error(tmp_path: Path) -> None:
    srv = RestCatalogServer(tmp_path / "rest").start()
    try:
        with neurolake_lab.connect(tmp_path / "a", catalog_uri=srv.uri) as s:
            s.sql("CREATE TABLE x.t AS SELECT 1 AS a")
            srv.close()
            time.sleep(1.1)  # past the second the table listing is kept
            with pytest.raises(LakehouseError) as info:
                s.sql("SELECT * FROM x.t")
            assert srv.uri in info.value.message and "does not answer" in info.value.message
    finally:
        srv.close()


def test_the_server_answers_as_the_spec_says(server: RestCatalogServer) -> None:
    """Not a mock: stale commits are refused by their requirements, errors use the spec's model."""
    import json
    import urllib.error
    import urllib.request

    from pyiceberg.catalog.rest import RestCatalog
    from pyiceberg.exceptions import CommitFailedException, NamespaceNotEmptyError
    from pyiceberg.types import StringType

    with urllib.request.urlopen(f"{server.uri}/v1/config") as resp:
        prefix = json.load(resp)["overrides"]["prefix"]
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(f"{server.uri}/v1/{prefix}/namespaces/nope")
    assert info.value.code == 404
    error = json.load(info.value)["error"]
    assert error["type"] == "NoSuchNamespaceException" and error["code"] == 404

    catalog = RestCatalog("test", uri=server.uri)
    catalog.create_namespace("n")
    catalog.create_table("n.t", pa.schema([("id", pa.int64())]))
    one, two = catalog.load_table("n.t"), catalog.load_table("n.t")
    with one.update_schema() as update:
        update.add_column("a", StringType())
    # two's change was prepared from the metadata before one's commit: the server refuses it
    with pytest.raises(CommitFailedException, match="CommitFailedException"):  # noqa: SIM117
        with two.update_schema() as update:
            update.add_column("b", StringType())
    assert [f.name for f in catalog.load_table("n.t").schema().fields] == ["id", "a"]
    with pytest.raises(NamespaceNotEmptyError):
        catalog.drop_namespace("n")
    catalog.close()

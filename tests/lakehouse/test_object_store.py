"""A warehouse on an S3-compatible object store: moto's real S3 server on 127.0.0.1.

pyiceberg writes data and metadata files through its FileIO; DuckDB reads them through the
``httpfs`` extension shipped as a package. The server checks every request's SigV4 signature
against an IAM access key, logs every request (to see what a query fetched), and can stop and
come back with its objects, as a store with durable disks does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import neurolake_lab
from neurolake_lab.exceptions import LakehouseError
from neurolake_lab.session import Session
from tests.support.s3_server import S3Server

pytestmark = pytest.mark.slow

BUCKET = "lake"


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    with S3Server() as server:
        server.create_bucket(BUCKET)
        yield server


def write_settings(workspace: Path, s3: S3Server, prefix: str, **overrides: str) -> None:
    """``neurolake.toml`` naming the bucket and the store, credentials under ``[catalog]``."""
    workspace.mkdir(parents=True, exist_ok=True)
    props = {**s3.catalog_properties(), **overrides}
    lines = ['owner = "ana"', f'warehouse = "s3://{BUCKET}/{prefix}"', "", "[catalog]"]
    lines += [f'"{k}" = "{v}"' for k, v in props.items()]
    (workspace / "neurolake.toml").write_text("\n".join(lines) + "\n")


@pytest.fixture
def lake(s3: S3Server, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Session]:
    ws = tmp_path / "ws"
    write_settings(ws, s3, request.node.name)
    with neurolake_lab.connect(ws, user="ana") as session:
        yield session


def scalar(session: Session, sql: str) -> object:
    return session.sql(sql).arrow().column(0)[0].as_py()


def test_ctas_insert_delete_and_time_travel(lake: Session, s3: S3Server, request) -> None:
    lake.sql(
        "CREATE TABLE shop.orders AS SELECT range AS id, range % 7 AS shop, range * 1.5 AS amount "
        "FROM range(1000)"
    )
    lake.sql("INSERT INTO shop.orders SELECT 1000 + range, 3, 1 FROM range(10)")
    lake.sql("DELETE FROM shop.orders WHERE shop = 0")
    assert scalar(lake, "SELECT count(*) FROM shop.orders") == 1010 - 143
    history = lake.snapshots("shop.orders").arrow().column("snapshot_id").to_pylist()
    first = history[-1]
    assert scalar(lake, f"SELECT count(*) FROM shop.orders FOR VERSION AS OF {first}") == 1000
    # the files are objects in the bucket, under the configured prefix; none on local disk
    keys = s3.keys(BUCKET, request.node.name)
    assert any(k.endswith(".parquet") for k in keys)
    assert any(k.endswith(".metadata.json") for k in keys)
    assert not list(Path(lake.settings.workspace).rglob("*.parquet"))


def test_reads_fetch_only_needed_columns_and_files(lake: Session, s3: S3Server) -> None:
    lake.sql(
        "CREATE TABLE shop.events PARTITIONED BY (day) AS SELECT range AS id, range % 4 AS day, "
        "repeat('x', 200) || range::VARCHAR AS payload, range * 2 AS value FROM range(40000)"
    )
    s3.clear_log()
    plan = lake.sql("EXPLAIN ANALYZE SELECT sum(value) FROM shop.events WHERE day = 2")
    text = "\n".join(str(v) for v in plan.arrow().column(1).to_pylist())
    assert "Total Files Read: 1" in text
    data = s3.gets(".parquet")
    assert scalar(lake, "SELECT sum(value) FROM shop.events WHERE day = 2") == sum(
        i * 2 for i in range(40000) if i % 4 == 2
    )
    # one partition's file of four, and of it only byte ranges (the footer, the needed columns)
    assert {r.path for r in data} and len({r.path for r in data}) == 1
    assert all(r.range for r in data)
    file_size = int(
        s3.client().head_object(Bucket=BUCKET, Key=data[0].path.split(f"/{BUCKET}/", 1)[1])[
            "ContentLength"
        ]
    )
    # the payload column is most of the file: reading `value` and `day` fetches far less
    assert sum(r.bytes_sent for r in data) < file_size / 3


def test_maintenance_on_the_object_store(lake: Session, s3: S3Server, request) -> None:
    lake.sql("CREATE TABLE shop.small (id BIGINT)")
    for i in range(4):
        lake.sql(f"INSERT INTO shop.small VALUES ({i})")
    prefix = f"{request.node.name}/shop/small/data/"
    orphan = f"{prefix}orphan.parquet"
    s3.client().put_object(Bucket=BUCKET, Key=orphan, Body=b"not referenced")
    report = lake.maintain(
        "shop.small", expire_older_than="0s", retain_last=1, orphans_older_than="0s"
    )
    assert report.files_compacted == 4 and report.files_written == 1
    assert report.orphans_removed >= 1
    assert orphan not in s3.keys(BUCKET, prefix)
    assert scalar(lake, "SELECT sum(id) FROM shop.small") == 6
    assert len([k for k in s3.keys(BUCKET, prefix) if k.endswith(".parquet")]) == 1


def test_wrong_credentials_one_clear_error_and_no_commit(
    lake: Session, s3: S3Server, tmp_path: Path, request
) -> None:
    lake.sql("CREATE TABLE shop.t AS SELECT range AS id FROM range(3)")
    before = lake.snapshots("shop.t").arrow().column("snapshot_id").to_pylist()
    bad = tmp_path / "bad"
    write_settings(bad, s3, request.node.name, **{"s3.secret-access-key": "wrong-secret"})
    # another kernel on the same catalog whose workspace has a wrong secret
    catalog = f"sqlite:///{lake.settings.workspace / 'catalog.db'}"
    code = textwrap.dedent(
        """
        import json, sys, neurolake_lab
        from neurolake_lab.exceptions import NeuroLakeError
        out = []
        with neurolake_lab.connect(sys.argv[1], user="ana", catalog_uri=sys.argv[2]) as s:
            for sql in ("INSERT INTO shop.t VALUES (99)", "SELECT count(*) FROM shop.t"):
                try:
                    s.sql(sql)
                    out.append(None)
                except NeuroLakeError as err:
                    out.append([type(err).__name__, err.message, err.hint or ""])
        print(json.dumps(out))
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(bad), catalog], capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    (write, read) = json.loads(proc.stdout.strip().splitlines()[-1])
    assert write is not None and read is not None
    assert write[0] == "LakehouseError"
    for _kind, message, hint in (write, read):
        assert "refused the credentials" in message and s3.endpoint in message, message
        assert "s3.secret-access-key" in hint
        for text in (message, hint, proc.stderr):
            assert "wrong-secret" not in text and s3.secret_access_key not in text
    after = lake.snapshots("shop.t").arrow().column("snapshot_id").to_pylist()
    assert after == before
    assert scalar(lake, "SELECT count(*) FROM shop.t") == 3


def test_credentials_stay_out_of_the_audit_log_and_the_session(lake: Session, s3: S3Server) -> None:
    lake.sql("CREATE TABLE shop.a AS SELECT 1 AS x")
    assert scalar(lake, "SELECT count(*) FROM shop.a") == 1
    secrets = lake.sql("SELECT secret_string FROM duckdb_secrets()").arrow().column(0).to_pylist()
    assert secrets and all(s3.secret_access_key not in s for s in secrets)
    audit = (Path(lake.settings.workspace) / "audit").rglob("*")
    for path in audit:
        if path.is_file():
            assert s3.secret_access_key.encode() not in path.read_bytes()


def test_server_stopping_mid_write_keeps_the_last_snapshot(lake: Session, s3: S3Server) -> None:
    lake.sql("CREATE TABLE shop.big AS SELECT range AS id FROM range(100)")
    before = lake.snapshots("shop.big").arrow().column("snapshot_id").to_pylist()
    stopped = threading.Event()

    def stop_on_first_data_upload(method: str, path: str) -> None:
        if method == "PUT" and path.endswith(".parquet") and not stopped.is_set():
            stopped.set()
            threading.Thread(target=s3.stop).start()

    s3.on_request = stop_on_first_data_upload
    try:
        with pytest.raises(LakehouseError) as info:
            lake.sql("INSERT INTO shop.big SELECT range FROM range(100000)")
    finally:
        s3.on_request = None
        if not s3.running:
            s3.start()
    assert stopped.is_set()
    assert "not committed" in info.value.message
    assert "does not answer" in info.value.message or "failed" in info.value.message
    after = lake.snapshots("shop.big").arrow().column("snapshot_id").to_pylist()
    assert after == before
    assert scalar(lake, "SELECT count(*) FROM shop.big") == 100
    lake.sql("INSERT INTO shop.big VALUES (100)")  # the session goes on
    assert scalar(lake, "SELECT count(*) FROM shop.big") == 101


def test_two_processes_committing_at_once_lose_nothing(
    lake: Session, s3: S3Server, tmp_path: Path
) -> None:
    lake.sql("CREATE TABLE shop.log (writer INTEGER, seq INTEGER)")
    code = textwrap.dedent(
        """
        import sys, neurolake_lab
        w = int(sys.argv[1])
        with neurolake_lab.connect(sys.argv[2], user="ana") as session:
            for i in range(8):
                session.sql(f"INSERT INTO shop.log SELECT {w}, {i} * 10 + range FROM range(10)")
        """
    )
    ws = str(lake.settings.workspace)
    env = {**os.environ, "NEUROLAKE_WORKSPACE": ws}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(w), ws], env=env, stderr=subprocess.PIPE, text=True
        )
        for w in (1, 2)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    got = lake.sql(
        "SELECT writer, count(*) AS n, count(DISTINCT seq) AS d FROM shop.log GROUP BY 1 ORDER BY 1"
    ).arrow()
    assert got.to_pylist() == [{"writer": 1, "n": 80, "d": 80}, {"writer": 2, "n": 80, "d": 80}]
    assert len(lake.snapshots("shop.log")) == 16


def test_reading_the_bucket_around_the_catalog_is_refused(
    lake: Session, s3: S3Server, request
) -> None:
    from neurolake_lab.compliance.policy import PolicyViolation

    lake.sql("CREATE TABLE shop.people AS SELECT 'ana@example.com' AS email, 1 AS id")
    pattern = f"s3://{BUCKET}/{request.node.name}/shop/people/data/*.parquet"
    # the owner may (the owner may read anything the store's key can)
    assert scalar(lake, f"SELECT count(*) FROM read_parquet('{pattern}')") == 1
    with neurolake_lab.connect(lake.settings.workspace, user="bob") as bob:
        with pytest.raises(PolicyViolation) as info:
            bob.sql(f"SELECT * FROM read_parquet('{pattern}')")
        assert "file-read" in str(info.value.message) + str(info.value.hint)
        masked = bob.sql("SELECT email FROM shop.people").arrow().column(0)[0].as_py()
        assert masked != "ana@example.com"


def test_daft_engine_reads_the_same_tables_from_the_bucket(lake: Session, s3: S3Server) -> None:
    lake.sql(
        "CREATE TABLE shop.sales AS SELECT range AS id, range % 5 AS shop, range * 2 AS amount "
        "FROM range(5000)"
    )
    sql = "SELECT shop, count(*) AS n, sum(amount) AS total FROM shop.sales GROUP BY shop ORDER BY shop"
    s3.clear_log()
    on_daft = lake.sql(sql, engine="daft").arrow().to_pylist()
    assert s3.gets(".parquet")  # Daft fetched the data files from the store itself
    assert on_daft == lake.sql(sql).arrow().to_pylist()

"""The Daft engine on a real Ray cluster, driven from a NeuroLake kernel.

A head and two workers run ``ray start`` each in a network namespace of its own (three hosts on a
bridge: :mod:`tests.support.ray_cluster`). A NeuroLake kernel outside the cluster, started with
``NEUROLAKE_ENGINE=daft-ray`` and the head's Ray Client address, runs ``%%sql`` cells as a
restricted user: the policy rewrite, lineage and the audit record happen in the kernel and only
the governed SQL goes to Daft, whose actors on the two workers read the Iceberg files. Results are
compared with the same user's governed DuckDB results on the demo data and on every TPC-H query
Daft's SQL supports; what Daft cannot run gets one error naming it. The cluster starts while the
data loads and is stopped by the module's fixture, leaving no process, namespace or link behind.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from jupyter_client.manager import KernelManager, start_new_kernel

import neurolake_lab
from neurolake_lab.compliance.redact import redact
from neurolake_lab.report import REPORT_MIME
from neurolake_lab.session import Session
from tests.support.ray_cluster import RayCluster, RayClusterError
from tests.support.tpch_lake import load_tpch, rows, same_rows

pytestmark = pytest.mark.slow

POLICY = """\
users:
  bob: {roles: [analyst], attributes: {country: Germany}}
roles:
  analyst: {}
rules:
  - {name: emails, columns: [retail.customers.email], roles: [analyst], action: mask, method: hash}
  - {name: phones, columns: [retail.customers.phone], roles: [analyst], action: mask,
     method: partial}
  - {name: names, columns: [retail.customers.full_name], roles: [analyst], action: mask,
     method: redact}
  - {name: births, columns: [retail.customers.date_of_birth], roles: [analyst], action: mask,
     method: "null"}
row_filters:
  - name: own-country
    tables: [retail.customers]
    roles: [analyst]
    predicate: country = current_user_country()
"""

DEMO = {
    "countries": "SELECT country, count(*) AS customers FROM retail.customers "
    "GROUP BY country ORDER BY country",
    "masked": "SELECT customer_id, full_name, email, phone, date_of_birth, segment "
    "FROM retail.customers ORDER BY customer_id LIMIT 25",
    "segments": "SELECT c.segment, o.status, count(*) AS orders, sum(o.total_amount) AS revenue "
    "FROM retail.orders o JOIN retail.customers c ON c.customer_id = o.customer_id "
    "GROUP BY c.segment, o.status ORDER BY 1, 2",
    "categories": "SELECT p.category, sum(i.quantity) AS units, count(DISTINCT i.order_id) AS "
    "orders FROM retail.order_items i JOIN retail.products p ON p.product_id = i.product_id "
    "WHERE i.discount > 0.1 GROUP BY p.category ORDER BY p.category",
    "tickets": "SELECT c.email, count(*) AS tickets, max(t.priority) AS top FROM "
    "retail.support_tickets t JOIN retail.customers c ON c.customer_id = t.customer_id "
    "GROUP BY c.email ORDER BY tickets DESC, c.email LIMIT 10",
}
SUPPORTED_TPCH = [n for n in range(1, 23) if n != 21]


@pytest.fixture(scope="module")
def cluster_lake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A workspace with the demo data and TPC-H, and a running cluster; all stopped after."""
    if os.geteuid() != 0:
        pytest.skip("the Ray nodes run in network namespaces: needs root (CI runs as root)")
    assert shutil.which("ip"), "ip (iproute2) is missing: `make system-packages` installs it"
    from neurolake_lab.demo import load_retail

    ws = tmp_path_factory.mktemp("daft-ray")
    (ws / "neurolake.toml").write_text('owner = "owner"\n')
    cluster = RayCluster(workers=2)
    with ThreadPoolExecutor(1) as pool:
        starting = pool.submit(cluster.__enter__)  # Ray starts while the data loads
        try:
            with neurolake_lab.connect(ws, user="owner") as owner:
                load_retail(owner, scale=0.1, seed=11)
                tpch = load_tpch(owner, 0.01)
            (ws / "policies.yaml").write_text(POLICY)
            starting.result()
        except BaseException as exc:
            wait([starting])
            cluster.__exit__()
            if isinstance(exc, RayClusterError):
                pytest.fail(f"the Ray cluster did not start on this machine: {exc}")
            raise
    try:
        yield {"ws": ws, "tpch": tpch, "cluster": cluster}
    finally:
        cluster.__exit__()
        assert cluster.leftovers() == [], "the cluster left processes or namespaces behind"


@pytest.fixture(scope="module")
def kernel(cluster_lake: dict[str, Any]) -> Iterator[Any]:
    """A NeuroLake kernel for bob whose queries run on the cluster (``NEUROLAKE_ENGINE``)."""
    cluster: RayCluster = cluster_lake["cluster"]
    env = {
        **os.environ, **cluster.env, "NEUROLAKE_WORKSPACE": str(cluster_lake["ws"]),
        "NEUROLAKE_USER": "bob", "NEUROLAKE_ENGINE": "daft-ray", "RAY_ADDRESS": cluster.address,
    }  # fmt: skip
    km: KernelManager
    km, kc = start_new_kernel(kernel_name="neurolake", env=env)
    try:
        yield kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


@pytest.fixture(scope="module")
def bob(cluster_lake: dict[str, Any]) -> Iterator[Session]:
    """Bob's session in the test process: the same governance, on DuckDB."""
    with neurolake_lab.connect(cluster_lake["ws"], user="bob") as session:
        yield session


def execute(kc: Any, code: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    outputs: list[dict[str, Any]] = []
    reply = kc.execute_interactive(code, timeout=600, output_hook=outputs.append)
    return reply["content"], [
        m for m in outputs if m["msg_type"] in ("execute_result", "display_data", "error")
    ]


def sql_cell(kc: Any, sql: str, out: Path, options: str = "") -> tuple[Any, dict[str, Any]]:
    """Run ``%%sql`` in the kernel; the result (through a Parquet file) and the cell's report."""
    # --yes: the first queries on Ray are slow (its actors start), so the cost model learns to ask
    # before running the next ones
    content, outputs = execute(kc, f"%%sql {options} --yes -o result\n{sql}")
    assert content["status"] == "ok", "\n".join(content.get("traceback", []))[-3000:]
    shown = [m for m in outputs if REPORT_MIME in m["content"].get("data", {})]
    assert len(shown) == 1, [(m["msg_type"], str(m["content"])[:800]) for m in outputs]
    saved, _ = execute(kc, f"result.arrow().to_pandas().to_parquet({str(out)!r})")
    assert saved["status"] == "ok", saved
    return pq.read_table(out), shown[0]["content"]["data"][REPORT_MIME]


def error_cell(kc: Any, sql: str) -> str:
    """Run a ``%%sql`` cell that must fail; its error as the user sees it."""
    content, outputs = execute(kc, f"%%sql --yes\n{sql}")
    assert content["status"] == "error"
    (error,) = [m for m in outputs if m["msg_type"] == "error"]
    return "\n".join(error["content"]["traceback"])


@pytest.mark.parametrize("name", list(DEMO))
def test_demo_queries_on_ray_equal_duckdb(
    kernel: Any, bob: Session, tmp_path: Path, name: str
) -> None:
    got, _ = sql_cell(kernel, DEMO[name], tmp_path / "r.parquet")
    expected = bob.sql(DEMO[name]).arrow()
    assert got.column_names == expected.column_names
    assert got.num_rows > 0 and same_rows(rows(got), rows(expected)), (
        rows(got)[:3],
        rows(expected)[:3],
    )


def test_masks_row_filter_audit_and_lineage_are_applied_in_the_kernel(
    kernel: Any, cluster_lake: dict[str, Any], tmp_path: Path
) -> None:
    sql = DEMO["masked"]
    got, report = sql_cell(kernel, sql, tmp_path / "ray.parquet", "--engine daft-ray")
    table = got.to_pylist()
    assert all(r["email"] is None or "@" not in r["email"] for r in table)  # hashed
    assert all(r["phone"] is None or r["phone"].startswith("*") for r in table)  # partial
    assert {r["full_name"] for r in table} <= {"[REDACTED]", None}
    assert {r["date_of_birth"] for r in table} == {None}
    # the row filter: only Germany's customers (the owner sees more)
    with neurolake_lab.connect(cluster_lake["ws"], user="owner") as owner:
        german = owner.sql("SELECT customer_id FROM retail.customers WHERE country = 'Germany'")
        ids = set(german.arrow().column(0).to_pylist())
        records = owner.audit.tail(40)
    assert {r["customer_id"] for r in table} <= ids
    # the audit record, written by the kernel: bob, on daft-ray, the governed SQL it sent
    (record,) = [r for r in records if r.kind == "query" and r.user == "bob"
                 and r.data.get("sql") == redact(sql) and r.data.get("engine") == "daft-ray"
                 ][-1:]  # fmt: skip
    executed = record.data["executed_sql"]  # literals redacted, as every audit record keeps SQL
    assert 'nl_mask_redact("full_name")' in executed and 'nl_mask_null("date_of_birth")' in executed
    assert "WHERE (country = " in executed  # the row filter, resolved for bob in the kernel
    assert set(record.data["tables"]) == {"retail.customers"}
    # lineage: as on DuckDB
    _, duck_report = sql_cell(kernel, sql, tmp_path / "duck.parquet", "--engine duckdb")
    assert report["lineage"] and report["lineage"] == duck_report["lineage"]


def test_plain_cells_follow_neurolake_engine(kernel: Any, cluster_lake: dict[str, Any]) -> None:
    sql = "SELECT status, count(*) AS n FROM retail.orders GROUP BY status ORDER BY status"
    content, _ = execute(kernel, f"%%sql --yes\n{sql}")
    assert content["status"] == "ok"
    with neurolake_lab.connect(cluster_lake["ws"], user="owner") as owner:
        record = [r for r in owner.audit.tail(20) if r.data.get("sql") == redact(sql)][-1]
    assert record.user == "bob" and record.data["engine"] == "daft-ray"


@pytest.mark.parametrize("number", SUPPORTED_TPCH)
def test_tpch_on_ray_equals_duckdb(
    kernel: Any, bob: Session, cluster_lake: dict[str, Any], tmp_path: Path, number: int
) -> None:
    sql = cluster_lake["tpch"][number]
    got, _ = sql_cell(kernel, sql, tmp_path / "r.parquet")
    expected = bob.sql(sql).arrow()
    assert got.column_names == expected.column_names
    assert same_rows(rows(got), rows(expected)), (rows(got)[:3], rows(expected)[:3])


def test_unsupported_constructs_get_one_error_naming_them(
    kernel: Any, cluster_lake: dict[str, Any]
) -> None:
    q21 = error_cell(kernel, cluster_lake["tpch"][21])
    assert "the Daft engine cannot run" in q21 and "Outer reference" in q21
    trim = error_cell(kernel, "SELECT trim(city) FROM retail.customers")
    assert "the Daft engine cannot run the function trim()" in trim
    assert "ray::" not in q21 + trim  # Daft's reason, not Ray's wrapping
    content, _ = execute(kernel, "%%sql --yes\nSELECT count(*) AS n FROM retail.products")
    assert content["status"] == "ok"  # the kernel and its cluster connection are still up


def test_the_work_ran_on_both_worker_hosts(kernel: Any, cluster_lake: dict[str, Any]) -> None:
    cluster: RayCluster = cluster_lake["cluster"]
    content, outputs = execute(
        kernel, "import ray\nsorted(n['NodeManagerAddress'] for n in ray.nodes() if n['Alive'])"
    )
    assert content["status"] == "ok"
    hosts = outputs[-1]["content"]["data"]["text/plain"]
    assert all(cluster.host(i) in hosts for i in range(3)), hosts
    # Daft's executors are actors on the workers (the head has no CPUs): one on each host
    for index in (1, 2):
        assert any("ray::RaySwordfishActor" in c for c in cluster.commands(index)), index

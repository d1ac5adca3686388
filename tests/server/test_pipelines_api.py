"""Pipelines in a running Jupyter server: its scheduler runs them, the designer's API shows them."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest

import neurolake_lab
from neurolake_lab.server.pipeline_api import PIPELINE_ROUTES
from tests.server.test_api import OWNER, REPO, TOKEN, call, check

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(launch_jupyter: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    workspace = tmp_path_factory.mktemp("pipelines-ws")
    with neurolake_lab.connect(workspace) as s:
        s.sql("CREATE TABLE shop.orders AS SELECT range AS order_id, range * 2 AS amount, "
              "'c' || (range % 3) AS customer FROM range(9)")  # fmt: skip
        s.pipelines.create(
            "totals", "SELECT customer, sum(amount) AS total FROM shop.orders GROUP BY 1",
            "mart.totals", mode="merge", key="customer", schedule="every 1h",
        )  # fmt: skip
        s.pipelines.create("copy", "SELECT * FROM mart.totals", "mart.copy", mode="overwrite")
        store = s.pipelines.store
        due = store.require("totals")
        due.created_at -= 2 * 3600  # its hourly run is due: the server's scheduler must run it
        store.save(due)
    env = {
        "NEUROLAKE_WORKSPACE": str(workspace),
        "JUPYTER_RUNTIME_DIR": str(tmp_path_factory.mktemp("rt")),
        "NEUROLAKE_TEST_USERS": f"{OWNER},mallory",
        "NEUROLAKE_PIPELINE_TICK": "1",
        "PYTHONPATH": str(REPO),
    }
    url = launch_jupyter(
        "jupyter_server", TOKEN, env, f"--ServerApp.root_dir={workspace}",
        "--ServerApp.identity_provider_class=tests.support.identities.TokenUsers",
    )  # fmt: skip
    return f"{url}/neurolake", workspace


def test_the_servers_scheduler_runs_due_pipelines(server: tuple[str, Path]) -> None:
    api, workspace = server
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        status, body = call(f"{api}/api/pipelines/totals")
        if status == 200 and body["history"] and body["history"][0]["status"] != "running":
            break
        time.sleep(0.5)
    (run,) = body["history"]
    assert run["trigger"] == "schedule" and run["status"] == "succeeded", run
    with neurolake_lab.connect(workspace) as s:
        assert s.sql("SELECT count(*) AS n FROM mart.totals").arrow()[0].to_pylist() == [3]
        # the copy pipeline has no schedule: the scheduler leaves it alone
        assert s.pipelines.history("copy") == []


def test_the_designer_reads_the_graph(server: tuple[str, Path]) -> None:
    api, _ = server
    status, body = call(f"{api}/api/pipelines")
    assert status == 200
    check("/api/pipelines", "GET", 200, body)
    assert [p["name"] for p in body["items"]] == ["copy", "totals"]
    nodes = {n["id"]: n for n in body["graph"]["nodes"]}
    assert nodes["table:shop.orders"]["role"] == "source"
    assert nodes["table:mart.totals"]["role"] == "both"  # written by one, read by the other
    assert nodes["pipeline:copy"]["health"] == "new"
    edges = {(e["source"], e["target"]) for e in body["graph"]["edges"]}
    assert edges == {
        ("table:shop.orders", "pipeline:totals"), ("pipeline:totals", "table:mart.totals"),
        ("table:mart.totals", "pipeline:copy"), ("pipeline:copy", "table:mart.copy"),
    }  # fmt: skip


def test_run_pause_resume_and_detail(server: tuple[str, Path]) -> None:
    api, _ = server
    status, body = call(f"{api}/api/pipelines/copy/run", method="POST", body={})
    assert status == 200 and body["status"] == "succeeded" and body["rows_written"] == 3
    check("/api/pipelines/{name}/{action}", "POST", 200, body)
    status, body = call(f"{api}/api/pipelines/copy/pause", method="POST", body={})
    assert status == 200 and body["status"] == "paused"
    check("/api/pipelines/{name}/{action}", "POST", 200, body)
    status, body = call(f"{api}/api/pipelines/copy")
    assert status == 200 and body["pipeline"]["health"] == "paused"
    check("/api/pipelines/{name}", "GET", 200, body)
    assert body["history"][0]["trigger"] == "manual" and body["versions"][0]["version"] == 1
    assert call(f"{api}/api/pipelines/copy/resume", method="POST", body={})[1]["status"] == "active"


def test_only_the_owner_acts_and_unknown_names_are_404(server: tuple[str, Path]) -> None:
    api, _ = server
    status, body = call(f"{api}/api/pipelines/copy/run", user="mallory", method="POST", body={})
    assert status == 403 and "belongs to" in body["reason"]
    assert call(f"{api}/api/pipelines/copy", user="mallory")[0] == 200  # looking is fine
    status, body = call(f"{api}/api/pipelines/nope")
    assert status == 404 and body["reason"] == "no pipeline nope in this workspace"
    check("/api/pipelines/{name}", "GET", 404, body)


def test_sql_for_a_question(server: tuple[str, Path]) -> None:
    api, _ = server
    status, body = call(f"{api}/api/pipeline-sql", method="POST",
                        body={"question": "number of orders per customer"})  # fmt: skip
    assert status == 200, body
    check("/api/pipeline-sql", "POST", 200, body)
    assert "count(*)" in body["sql"] and "shop.orders" in body["sql"]
    # a question the planner cannot map is refused with its reason, not answered wrongly
    status, body = call(f"{api}/api/pipeline-sql", method="POST",
                        body={"question": "average salary of employees per department"})  # fmt: skip
    assert status == 400 and body["reason"], body
    check("/api/pipeline-sql", "POST", 400, body)
    status, body = call(f"{api}/api/pipeline-sql", method="POST", body={"q": 1})
    assert status == 400 and "question" in body["reason"]


@pytest.mark.parametrize(("path", "handler"), PIPELINE_ROUTES)
def test_every_pipeline_endpoint_refuses_anonymous_access(
    server: tuple[str, Path], path: str, handler: Any
) -> None:
    api, _ = server
    concrete = re.sub(r"\(\?P<name>[^)]*\)", "copy", path)
    concrete = re.sub(r"\(\?P<action>[^)]*\)", "pause", concrete)
    for method in ("get", "post"):
        if method in vars(handler):
            body = {} if method == "post" else None
            assert call(f"{api}/{concrete}", user=None, method=method.upper(), body=body)[0] == 403


def test_jupyterlabs_cache_buster_is_not_a_bad_parameter(server: tuple[str, Path]) -> None:
    api, _ = server
    assert call(f"{api}/api/pipelines?1796399135588")[0] == 200
    status, body = call(f"{api}/api/pipelines?limit=3")
    assert status == 400 and "unknown parameter 'limit'" in body["reason"]

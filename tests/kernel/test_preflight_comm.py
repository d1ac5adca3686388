"""The ``neurolake.preflight`` comm: a real kernel answers what a cell would do, running nothing."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.manager import KernelManager, start_new_kernel

import neurolake_lab
from neurolake_lab.demo import load_retail
from tests.support.fake_openai import FakeOpenAI

pytestmark = pytest.mark.slow


@pytest.fixture
def kernel(workspace: Path) -> Iterator[tuple[KernelManager, Any, FakeOpenAI]]:
    with neurolake_lab.connect(workspace) as session:
        load_retail(session, scale=0.05, seed=9, today=dt.date(2026, 4, 2))
    with FakeOpenAI(script=[]) as llm:  # an LLM is configured: preflight must not call it
        env = {**os.environ, "NEUROLAKE_WORKSPACE": str(workspace),
               "NEUROLAKE_LLM_BASE_URL": llm.base_url}  # fmt: skip
        km, kc = start_new_kernel(kernel_name="neurolake", env=env)
        yield km, kc, llm
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def ask(kc: Any, comm_id: str, code: str, n: int) -> dict[str, Any]:
    msg = kc.session.msg("comm_msg", {"comm_id": comm_id, "data": {"id": n, "code": code}})
    kc.shell_channel.send(msg)
    while True:
        reply = kc.get_iopub_msg(timeout=30)
        if reply["msg_type"] == "comm_msg" and reply["content"]["comm_id"] == comm_id:
            data: dict[str, Any] = reply["content"]["data"]
            assert data["id"] == n
            return data


def test_preflight_answers_without_running(kernel: Any, workspace: Path) -> None:
    _, kc, llm = kernel
    comm_id = uuid.uuid4().hex
    kc.shell_channel.send(
        kc.session.msg(
            "comm_open", {"comm_id": comm_id, "target_name": "neurolake.preflight", "data": {}}
        )
    )
    sql = ask(
        kc,
        comm_id,
        "%%sql\nSELECT country, count(*) AS n FROM retail.customers GROUP BY country",
        1,
    )
    assert sql["kind"] == "sql" and sql["result"]["error"] is None
    assert sql["result"]["cost"]["predicted_ms"] is not None
    assert any(e["source"] == "retail.customers.country" for e in sql["result"]["lineage"]["edges"])
    pii = ask(kc, comm_id, "%%sql\nSELECT email FROM retail.customers", 2)
    assert [c["column"] for c in pii["result"]["compliance"]["pii_columns"]] == [
        "retail.customers.email"
    ]
    nl = ask(kc, comm_id, "%%nl\nHow many customers do we have?", 3)
    assert nl["kind"] == "nl" and "count" in nl["result"]["sql"].lower()
    assert nl["result"]["cost"] is not None
    assert llm.requests == []  # the offline planner, never the LLM
    assert ask(kc, comm_id, "x = 1", 4)["kind"] == "python"
    bad = ask(kc, comm_id, "%%sql\nSELEC 1", 5)
    assert bad["result"]["error"]["title"] == "SQL syntax error"
    # nothing ran: a CREATE in a preflighted cell created nothing, nothing was audited as run
    ask(kc, comm_id, "%%sql\nCREATE TABLE retail.oops AS SELECT 1 AS x", 6)
    with neurolake_lab.connect(workspace) as session:
        assert "oops" not in {t["name"] for t in session.tables().arrow().to_pylist()}
        assert not any("oops" in str(r.data) for r in session.audit.tail(50))

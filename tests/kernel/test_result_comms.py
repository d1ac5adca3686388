"""The ``neurolake.results`` and ``neurolake.feedback`` comms on a real NeuroLake kernel.

A truncated result is kept in the kernel and paged (sorted) on request, never shipped whole; a
``%%nl`` answer shows the extension's display with an id its Accept and Reject buttons send back,
and they reach the learning store.
"""

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
from neurolake_lab.nl_widgets import NL_MIME
from neurolake_lab.report import REPORT_MIME

pytestmark = pytest.mark.slow


@pytest.fixture
def kernel(workspace: Path) -> Iterator[tuple[KernelManager, Any]]:
    with neurolake_lab.connect(workspace) as session:
        load_retail(session, scale=0.05, seed=9, today=dt.date(2026, 4, 2))
    env = {**os.environ, "NEUROLAKE_WORKSPACE": str(workspace)}
    km, kc = start_new_kernel(kernel_name="neurolake", env=env)
    yield km, kc
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def run(kc: Any, code: str) -> list[dict[str, Any]]:
    """Execute ``code``; the data of every display it produced."""
    msg_id = kc.execute(code)
    shown: list[dict[str, Any]] = []
    while True:
        msg = kc.get_iopub_msg(timeout=60)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] in ("display_data", "execute_result"):
            shown.append(msg["content"]["data"])
        if msg["msg_type"] == "error":
            raise AssertionError(msg["content"]["evalue"])
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return shown


def open_comm(kc: Any, target: str) -> str:
    comm_id = uuid.uuid4().hex
    kc.shell_channel.send(
        kc.session.msg("comm_open", {"comm_id": comm_id, "target_name": target, "data": {}})
    )
    return comm_id


def ask(kc: Any, comm_id: str, data: dict[str, Any]) -> dict[str, Any]:
    kc.shell_channel.send(kc.session.msg("comm_msg", {"comm_id": comm_id, "data": data}))
    while True:
        reply = kc.get_iopub_msg(timeout=60)
        if reply["msg_type"] == "comm_msg" and reply["content"]["comm_id"] == comm_id:
            answer: dict[str, Any] = reply["content"]["data"]
            assert answer["id"] == data["id"]
            return answer


def test_a_truncated_result_pages_through_the_kernel(kernel: Any) -> None:
    _, kc = kernel
    shown = run(kc, "%%sql\nSELECT order_id, total_amount FROM retail.orders ORDER BY order_id")
    report = next(d[REPORT_MIME] for d in shown if REPORT_MIME in d)
    result = report["result"]
    assert result["truncated"] and len(result["rows_preview"]) == 50
    total = result["row_count"]
    comm = open_comm(kc, "neurolake.results")
    page = ask(kc, comm, {"id": 1, "result_id": result["result_id"], "offset": 50, "limit": 20})
    assert page["offset"] == 50 and page["row_count"] == total and len(page["rows"]) == 20
    assert page["rows"][0][0] == result["rows_preview"][-1][0] + 1
    top = ask(kc, comm, {"id": 2, "result_id": result["result_id"], "offset": 0, "limit": 3,
                         "sort": [{"column": "total_amount", "descending": True}]})  # fmt: skip
    amounts = [float(r[1]) for r in top["rows"]]
    assert amounts == sorted(amounts, reverse=True)
    assert amounts[0] == max(float(r[1]) for r in page["rows"] + top["rows"])
    last = ask(
        kc, comm, {"id": 3, "result_id": result["result_id"], "offset": total - 5, "limit": 50}
    )
    assert len(last["rows"]) == 5
    bad = ask(kc, comm, {"id": 4, "result_id": result["result_id"], "offset": 0, "limit": 10,
                         "sort": [{"column": "nope"}]})  # fmt: skip
    assert bad["error"] == "no column 'nope' in this result"
    gone = ask(kc, comm, {"id": 5, "result_id": "r999", "offset": 0, "limit": 10})
    assert "no longer kept" in gone["error"]
    # a small result is shipped whole and needs no id
    small = run(kc, "%%sql\nSELECT 1 AS x")
    assert "result_id" not in next(d[REPORT_MIME] for d in small if REPORT_MIME in d)["result"]


def test_a_withheld_preview_is_served_in_clear_to_the_live_view(kernel: Any) -> None:
    """The saved preview withholds the owner's clear PII; the kernel still serves its values."""
    _, kc = kernel
    shown = run(kc, "%%sql\nSELECT customer_id, email FROM retail.customers ORDER BY 1 LIMIT 3")
    result = next(d[REPORT_MIME] for d in shown if REPORT_MIME in d)["result"]
    assert not result["truncated"] and [w["column"] for w in result["withheld"]] == ["email"]
    assert {row[1] for row in result["rows_preview"]} == {"[withheld]"}
    comm = open_comm(kc, "neurolake.results")
    page = ask(kc, comm, {"id": 1, "result_id": result["result_id"], "offset": 0, "limit": 50})
    assert [r[0] for r in page["rows"]] == [r[0] for r in result["rows_preview"]]
    assert all("@" in r[1] for r in page["rows"])


def test_nl_answers_take_accept_and_reject(kernel: Any, workspace: Path) -> None:
    _, kc = kernel
    shown = run(kc, "%%nl\nHow many customers are there per country?")
    answer = next(d[NL_MIME] for d in shown if NL_MIME in d)
    assert answer["answer_id"] and answer["executed"] and "GROUP BY" in answer["sql"].upper()
    assert any(cls == "k" and text.upper() == "SELECT" for cls, text in answer["sql_tokens"])
    assert "".join(text for _, text in answer["sql_tokens"]) == answer["sql"]
    assert answer["intent"]["action"]
    assert any(REPORT_MIME in d for d in shown)  # the result follows the answer
    comm = open_comm(kc, "neurolake.feedback")
    accepted = ask(kc, comm, {"id": 1, "answer_id": answer["answer_id"], "verdict": "accept"})
    assert accepted == {
        "id": 1,
        "ok": True,
        "message": "Kept: similar questions will use this SQL.",
    }
    with neurolake_lab.connect(workspace) as s:
        from neurolake_lab.agents import orchestrator_for

        pairs = orchestrator_for(s).index.pairs()
    assert [p["question"] for p in pairs] == ["How many customers are there per country?"]
    rejected = ask(kc, comm, {"id": 2, "answer_id": answer["answer_id"], "verdict": "reject"})
    assert rejected["ok"] and "1 accepted answer removed" in rejected["message"], rejected
    with neurolake_lab.connect(workspace) as s:
        from neurolake_lab.agents import orchestrator_for

        assert orchestrator_for(s).index.pairs() == []
        assert s.audit.tail(1)[0].kind == "nl_feedback"
    unknown = ask(kc, comm, {"id": 3, "answer_id": "n999", "verdict": "accept"})
    assert not unknown["ok"] and "no longer kept" in unknown["message"]
    odd = ask(kc, comm, {"id": 4, "answer_id": answer["answer_id"], "verdict": "maybe"})
    assert not odd["ok"] and odd["message"] == "unknown verdict 'maybe'"


def test_duckdb_progress_bar_is_off(kernel: Any) -> None:
    _, kc = kernel
    shown = run(kc, "%%sql\nSELECT current_setting('enable_progress_bar') AS on")
    report = next(d[REPORT_MIME] for d in shown if REPORT_MIME in d)
    assert report["result"]["rows_preview"] == [[False]]

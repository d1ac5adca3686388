"""Comms on kernel subshells never use the session while a cell runs.

ipykernel 7 handles a comm message sent to a subshell on that subshell's thread, beside a cell
running on the main thread; the session (one DuckDB connection) is not safe for that. Preflight
answers "busy" at once, a page request waits for the cell, and both work again when it ends.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.manager import start_new_kernel

pytestmark = pytest.mark.slow


@pytest.fixture
def kc(workspace: Path) -> Iterator[Any]:
    env = {**os.environ, "NEUROLAKE_WORKSPACE": str(workspace)}
    km, client = start_new_kernel(kernel_name="neurolake", env=env)
    yield client
    client.stop_channels()
    km.shutdown_kernel(now=True)


def send(kc: Any, msg_type: str, content: dict[str, Any], subshell: str | None = None) -> str:
    msg = kc.session.msg(msg_type, content)
    if subshell:
        msg["header"]["subshell_id"] = subshell
    kc.shell_channel.send(msg)
    return str(msg["header"]["msg_id"])


def until(kc: Any, done: Any) -> list[dict[str, Any]]:
    """IOPub messages up to and including the first for which ``done(msg)`` holds."""
    seen = []
    while True:
        msg = kc.get_iopub_msg(timeout=60)
        seen.append(msg)
        if done(msg):
            return seen


def idle_after(msg_id: str) -> Any:
    return lambda m: (
        m["msg_type"] == "status"
        and m["content"]["execution_state"] == "idle"
        and m["parent_header"].get("msg_id") == msg_id
    )


def test_comms_on_a_subshell_wait_for_the_running_cell(kc: Any) -> None:
    kc.control_channel.send(kc.session.msg("create_subshell_request", {}))
    subshell = kc.get_control_msg(timeout=30)["content"]["subshell_id"]
    until(kc, idle_after(kc.execute("%%sql\nCREATE TABLE t AS SELECT range AS i FROM range(10)")))
    preflight, results = uuid.uuid4().hex, uuid.uuid4().hex
    for comm_id, target in ((preflight, "neurolake.preflight"), (results, "neurolake.results")):
        send(kc, "comm_open", {"comm_id": comm_id, "target_name": target, "data": {}})
    code = "%%sql\nSELECT i FROM t"

    def answer(comm_id: str, n: int) -> Any:
        return lambda m: (
            m["msg_type"] == "comm_msg"
            and m["content"]["comm_id"] == comm_id
            and m["content"]["data"].get("id") == n
        )

    # the comms' first messages go to the subshell (the case a browser reaches once the
    # per-target subshell exists), so they are handled on its thread
    send(kc, "comm_msg", {"comm_id": preflight, "data": {"id": 1, "code": code}}, subshell)
    first = until(kc, answer(preflight, 1))[-1]["content"]["data"]
    assert first["kind"] == "sql" and first["result"]["cost"] is not None

    # display() publishes at once from the cell (print() may be flushed after the cell ends)
    kc.execute("import time; time.sleep(6); display('cell done')")
    until(kc, lambda m: m["msg_type"] == "execute_input")
    send(kc, "comm_msg", {"comm_id": preflight, "data": {"id": 2, "code": code}}, subshell)
    page = {"id": 3, "result_id": "r-none", "offset": 0, "limit": 5, "sort": []}
    send(kc, "comm_msg", {"comm_id": results, "data": page}, subshell)
    seen = until(kc, answer(results, 3))
    order = [
        "busy" if answer(preflight, 2)(m)
        else "done" if m["msg_type"] == "display_data" and "cell done" in str(m["content"])
        else None
        for m in seen
    ]  # fmt: skip
    # preflight answered "busy" while the cell ran; the page request waited for the cell
    assert order.index("busy") < order.index("done")
    busy = next(m for m in seen if answer(preflight, 2)(m))["content"]["data"]
    assert busy["kind"] == "busy" and busy["result"] is None
    assert "error" in seen[-1]["content"]["data"]  # no such result: answered, after the cell

    send(kc, "comm_msg", {"comm_id": preflight, "data": {"id": 4, "code": code}}, subshell)
    again = until(kc, answer(preflight, 4))[-1]["content"]["data"]
    assert again["kind"] == "sql" and again["result"]["error"] is None


#: a ``%%nl --confirm`` panel whose Run records, in ``events``, when it used the session
PANEL = """\
from neurolake_lab.magics import get_magics
from neurolake_lab.nl_widgets import ConfirmPanel

events = []
session = get_magics(get_ipython()).session

def run(sql):
    events.append("run start")
    try:
        return session.sql(sql)
    finally:
        events.append("run end")

panel = ConfirmPanel("SELECT count(*) AS n FROM t", run)
display(panel)
print(panel.run_button.model_id)
"""


@pytest.mark.parametrize(
    "wait", ["time.sleep(5)", "await asyncio.sleep(5)"], ids=["blocking", "awaiting"]
)
def test_a_widget_click_waits_for_the_running_cell(kc: Any, wait: str) -> None:
    """The Run button's comm message, sent while a cell runs, runs its SQL after the cell.

    Sent as JupyterLab 4.6 may send it, on a subshell (ipykernel routes it to the main shell,
    where the widget was made). A cell that awaits lets ipykernel handle it at once, between
    the cell's steps, on the cell's own thread: it must wait for the cell all the same.
    """
    kc.control_channel.send(kc.session.msg("create_subshell_request", {}))
    subshell = kc.get_control_msg(timeout=30)["content"]["subshell_id"]
    until(kc, idle_after(kc.execute("%%sql\nCREATE TABLE t AS SELECT range AS i FROM range(10)")))
    seen = until(kc, idle_after(kc.execute(PANEL)))
    button = next(
        m["content"]["text"].strip() for m in seen
        if m["msg_type"] == "stream" and m["content"]["name"] == "stdout"
    )  # fmt: skip
    kc.execute(
        f"import asyncio, time\nevents.append('cell start')\n{wait}\nevents.append('cell end')"
    )
    until(kc, lambda m: m["msg_type"] == "execute_input")
    click = {"method": "custom", "content": {"event": "click"}}
    send(kc, "comm_msg", {"comm_id": button, "data": click}, subshell)
    # the panel is replaced by the record of the run once the click was handled
    until(kc, lambda m: m["msg_type"] == "update_display_data" and "Ran after" in str(m["content"]))
    code = "print(events, panel.state, panel.answer.arrow().to_pylist())"
    seen = until(kc, idle_after(kc.execute(code)))
    out = "".join(m["content"]["text"] for m in seen if m["msg_type"] == "stream")
    assert out.strip() == "['cell start', 'cell end', 'run start', 'run end'] done [{'n': 10}]"

"""Kernel protocol behaviour the conformance suite does not cover: reports, errors, completion,
inspection, interrupt, shutdown and restart, two kernels on one workspace."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.manager import KernelManager, start_new_kernel

from neurolake_lab.report import REPORT_MIME

pytestmark = pytest.mark.slow
LONG_QUERY = (
    "SELECT count(*) FROM range(100000000000) a, range(100) b WHERE (a.range * b.range) % 7 = 3"
)


def start(workspace: Path) -> tuple[KernelManager, Any]:
    env = {**os.environ, "NEUROLAKE_WORKSPACE": str(workspace)}
    return start_new_kernel(kernel_name="neurolake", env=env)


def run(kc: Any, code: str, timeout: float = 30) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    outputs: list[dict[str, Any]] = []
    reply = kc.execute_interactive(code, timeout=timeout, output_hook=outputs.append)
    return reply["content"], [
        m for m in outputs if m["msg_type"] not in ("status", "execute_input")
    ]


def spill_dirs(workspace: Path) -> list[Path]:
    return sorted((workspace / "cache" / "spill").glob("duckdb-*"))


@pytest.fixture
def kernel(workspace: Path) -> Iterator[tuple[KernelManager, Any]]:
    km, kc = start(workspace)
    yield km, kc
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def test_kernel_info_and_python(kernel: tuple[KernelManager, Any]) -> None:
    _, kc = kernel
    kc.kernel_info()
    info = kc.get_shell_msg(timeout=10)["content"]
    assert info["implementation"] == "neurolake"
    assert info["language_info"]["name"] == "python"
    content, outputs = run(kc, "x = 20\nx + 22")
    assert content["status"] == "ok"
    assert outputs[-1]["content"]["data"]["text/plain"] == "42"


def test_sql_cell_report_is_valid(kernel: tuple[KernelManager, Any], report_validator: Any) -> None:
    _, kc = kernel
    content, outputs = run(
        kc,
        "%%sql\nCREATE TABLE t AS SELECT range AS id FROM range(10);\nSELECT count(*) AS n FROM t",
    )
    assert content["status"] == "ok"
    (result,) = [m for m in outputs if m["msg_type"] == "execute_result"]
    data = result["content"]["data"]
    assert {REPORT_MIME, "text/html", "text/plain"} <= set(data)
    report_validator.validate(data[REPORT_MIME])
    assert data[REPORT_MIME]["result"]["rows_preview"] == [[10]]


def test_error_is_short_and_state_survives(kernel: tuple[KernelManager, Any]) -> None:
    _, kc = kernel
    run(kc, "%sql CREATE TABLE customers AS SELECT 1 AS id")
    content, outputs = run(kc, "%sql SELECT * FROM customer")
    assert content["status"] == "error"
    (error,) = [m for m in outputs if m["msg_type"] == "error"]
    text = "\n".join(error["content"]["traceback"])
    assert "Unknown table" in text and 'Did you mean "customers"?' in text
    assert (
        "Traceback" not in text
        and "neurolake_lab" not in text
        and len(error["content"]["traceback"]) <= 4
    )
    content, outputs = run(kc, "%sql SELECT id FROM customers")
    assert content["status"] == "ok"


def complete(kc: Any, code: str) -> dict[str, Any]:
    kc.complete(code, len(code))
    reply: dict[str, Any] = kc.get_shell_msg(timeout=10)["content"]
    return reply


def test_sql_completion_and_inspection(kernel: tuple[KernelManager, Any]) -> None:
    _, kc = kernel
    run(kc, "%sql CREATE TABLE orders AS SELECT 1 AS order_id, 2.5 AS amount, 'DE' AS country")
    run(kc, "%sql CREATE TABLE order_items AS SELECT 1 AS order_id, 3 AS qty")
    assert set(complete(kc, "%%sql\nSELECT * FROM ord")["matches"]) == {"orders", "order_items"}
    reply = complete(kc, "%%sql\nSELECT amo FROM orders")
    # cursor at the end of the text: the word is "orders" -> nothing new; complete mid-cell instead
    code = "%%sql\nSELECT amo"
    cols = complete(kc, code + " FROM orders")
    assert reply["status"] == "ok" and cols["status"] == "ok"
    kc.complete(code + " FROM orders", len(code))
    mid = kc.get_shell_msg(timeout=10)["content"]
    assert "amount" in mid["matches"] and mid["cursor_start"] == len(code) - 3
    aliased = "%%sql\nSELECT o.cou"
    kc.complete(aliased + " FROM orders o JOIN order_items i USING (order_id)", len(aliased))
    assert kc.get_shell_msg(timeout=10)["content"]["matches"] == ["country"]
    assert "SELECT" in complete(kc, "%%sql\nSEL")["matches"]
    # Python cells still complete as Python
    assert "OrderedDict" in complete(kc, "import collections; collections.OrderedDi")["matches"]
    inspect = "%%sql\nSELECT * FROM orders"
    kc.inspect(inspect, len(inspect) - 2)
    found = kc.get_shell_msg(timeout=10)["content"]
    assert found["found"] is True
    assert "amount" in found["data"]["text/plain"] and "DECIMAL" in found["data"]["text/plain"]


def test_interrupt_cancels_query_and_keeps_state(kernel: tuple[KernelManager, Any]) -> None:
    km, kc = kernel
    run(kc, "%sql CREATE TABLE kept AS SELECT 7 AS v")
    msg_id = kc.execute(f"%sql --yes {LONG_QUERY}")  # --yes: it would ask first, being huge
    time.sleep(1.0)
    started = time.monotonic()
    km.interrupt_kernel()
    while True:
        reply = kc.get_shell_msg(timeout=10)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    assert time.monotonic() - started < 5
    assert reply["content"]["status"] == "error"
    assert (
        "interrupted" in reply["content"]["ename"].lower()
        or "cancel" in " ".join(reply["content"]["traceback"]).lower()
    )
    content, _ = run(kc, "%sql SELECT v FROM kept")
    assert content["status"] == "ok"


def test_shutdown_and_restart_release_the_workspace(workspace: Path) -> None:
    km, kc = start(workspace)
    try:
        run(kc, "%sql SELECT 1")
        assert len(spill_dirs(workspace)) == 1
        km.restart_kernel(now=False)
        kc.wait_for_ready(timeout=30)
        assert spill_dirs(workspace) == []  # the old kernel cleaned up on its way out
        content, _ = run(kc, "%sql SELECT 2 AS two")
        assert content["status"] == "ok"
        assert len(spill_dirs(workspace)) == 1
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    assert spill_dirs(workspace) == []


def test_two_kernels_share_a_workspace(workspace: Path) -> None:
    first, second = start(workspace), start(workspace)
    try:
        for _, kc in (first, second):
            content, _ = run(kc, "%%sql\nCREATE TABLE mine AS SELECT 1 AS x;\nSELECT * FROM mine")
            assert content["status"] == "ok"
        assert len(spill_dirs(workspace)) == 2
    finally:
        for km, kc in (first, second):
            kc.stop_channels()
            km.shutdown_kernel(now=False)
    assert spill_dirs(workspace) == []


def test_shutdown_closes_the_catalog_without_errors(workspace: Path, tmp_path: Path) -> None:
    """The catalog's connection is opened on the shell thread and closed at shutdown on another:
    no ``sqlite3.ProgrammingError`` (issue 10), and the shutdown completes."""
    log = tmp_path / "kernel.err"
    with log.open("w") as err:
        env = {**os.environ, "NEUROLAKE_WORKSPACE": str(workspace)}
        km, kc = start_new_kernel(kernel_name="neurolake", env=env, stderr=err)
        try:
            for code in ("%sql CREATE TABLE a.t AS SELECT 1 AS x", "%sql SELECT * FROM a.t"):
                content, _ = run(kc, code)
                assert content["status"] == "ok"
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=False)
    text = log.read_text()
    assert "ProgrammingError" not in text and "Traceback" not in text, text

"""``%%nl`` in a real NeuroLake kernel (jupyter_client): the report, the displays, and start-up
that imports neither LanceDB nor openai."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.manager import start_new_kernel

import neurolake_lab
from neurolake_lab.nl_widgets import NL_MIME
from neurolake_lab.report import REPORT_MIME

pytestmark = pytest.mark.slow
WIDGET = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from neurolake_lab.demo import load_retail

    root = tmp_path_factory.mktemp("kernel-nl")
    with neurolake_lab.connect(root) as s:
        load_retail(s, scale=0.05, seed=7)
        s.ask("How many customers?")  # builds the index, as an earlier kernel would have
    return root


@pytest.fixture
def kernel(small: Path) -> Iterator[Any]:
    env = {**os.environ, "NEUROLAKE_WORKSPACE": str(small), "NEUROLAKE_LLM": "offline"}
    km, kc = start_new_kernel(kernel_name="neurolake", env=env)
    yield kc
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def run(kc: Any, code: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    outputs: list[dict[str, Any]] = []
    reply = kc.execute_interactive(code, timeout=60, output_hook=outputs.append)
    return reply["content"], [
        m for m in outputs if m["msg_type"] not in ("status", "execute_input")
    ]


def modules(kc: Any) -> str:
    _, out = run(
        kc, "import sys; print(sorted(m for m in ('lancedb', 'openai') if m in sys.modules))"
    )
    return "".join(m["content"].get("text", "") for m in out if m["msg_type"] == "stream")


def test_nl_cell_in_a_kernel(kernel: Any, report_validator: Any) -> None:
    assert modules(kernel).strip() == "[]"  # kernel start imports neither
    content, outputs = run(kernel, "%%nl -o ans\nNumber of customers per segment")
    assert content["status"] == "ok", content
    displays = [m["content"]["data"] for m in outputs if m["msg_type"] == "display_data"]
    # one answer display the extension draws (intent, SQL, Accept/Reject), with fallbacks
    (answer,) = displays
    assert answer[NL_MIME]["answer_id"] and answer[NL_MIME]["sql"].startswith("SELECT")
    assert answer["text/plain"].startswith("Understood:")
    assert "```sql\nSELECT" in answer["text/markdown"]
    assert WIDGET not in answer
    (result,) = [m for m in outputs if m["msg_type"] == "execute_result"]
    report = result["content"]["data"][REPORT_MIME]
    report_validator.validate(report)
    assert report["kind"] == "nl" and report["question"] == "Number of customers per segment"
    assert report["intent"]["entity"] == "retail.customers"
    assert report["result"]["row_count"] == 3 and report["audit_id"]
    # a built index is read from its copy: asking needed no LanceDB import
    assert modules(kernel).strip() == "[]"
    content, outputs = run(kernel, "print(type(ans).__name__, len(ans.result))")
    assert "NLResult 3" in "".join(m["content"].get("text", "") for m in outputs)


def test_a_question_it_cannot_read(kernel: Any) -> None:
    content, outputs = run(kernel, "%%nl\nHow many wombats are there?")
    assert content["status"] == "error"
    (error,) = [m for m in outputs if m["msg_type"] == "error"]
    text = "\n".join(error["content"]["traceback"])
    assert "Could not read the question" in text and "wombats" in text
    assert "Closest tables and columns" in text
    content, _ = run(kernel, "1 + 1")
    assert content["status"] == "ok"  # the kernel stays up

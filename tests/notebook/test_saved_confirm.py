"""Cells that ask before running keep their result as plain outputs in the saved notebook.

A notebook with a ``%%sql`` cell predicted above the confirmation threshold and a ``%%nl
--confirm`` cell runs headless on the NeuroLake kernel (nbclient); later Python cells press Run
(or Cancel) through the kernel, as the buttons do. The notebook is then written to disk and read
back: each asking cell must hold the decision and the cell report bundle (JSON, HTML, text) in
place of the widget, with personal data a reader's policy masks ``[withheld]`` unless the owner
turned ``save_clear_pii`` on.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

import neurolake_lab
from neurolake_lab.demo import load_retail
from neurolake_lab.report import REPORT_MIME, WITHHELD

pytestmark = pytest.mark.slow
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
WIDGET = "application/vnd.jupyter.widget-view+json"
MAGICS = "from neurolake_lab.magics import get_magics\nmagics = get_magics(get_ipython())\n"
NL = "nl = get_ipython().magics_manager.registry['NLMagics']\n"
EMAILS = "SELECT customer_id, email, country FROM retail.customers ORDER BY customer_id LIMIT 5"

CELLS = [
    f"%%sql -o firsts\n{EMAILS}",  # 0: predicted above the (tiny) threshold: asks
    MAGICS + "magics.last_confirm.confirm();",  # 1: Run
    "%%nl --confirm -o germans\nEmail and country of customers in Germany",  # 2
    NL + "nl.last_panel.confirm();",  # 3: Run
    "%%sql\nSELECT status, count(*) AS n FROM retail.orders GROUP BY status",  # 4: cancelled
    "magics.last_confirm.cancel()",  # 5
    "%%sql\nSELECT status, count(*) AS n FROM retail.orders GROUP BY status",  # 6: edited, fails
    "magics.last_confirm.editor.value = 'SELECT nope FROM retail.orders'\n"
    "magics.last_confirm.confirm();",  # 7
    # 8-10: the owner chose to save clear values (read per cell, like the neurolake.toml setting)
    "import os\nos.environ['NEUROLAKE_SAVE_CLEAR_PII'] = '1'",
    f"%%sql\n{EMAILS}",
    "magics.last_confirm.confirm();",
    "len(firsts), len(germans.result)",  # 11: -o kept the (whole, clear) results
]


def outputs(cell: Any, mime: str) -> list[Any]:
    return [o.data[mime] for o in cell.outputs if mime in o.get("data", {})]


def test_confirmed_results_are_saved_as_plain_outputs(
    workspace: Path, tmp_path: Path, report_validator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with neurolake_lab.connect(workspace) as owner:
        load_retail(owner, scale=0.05, seed=7)
        clear = owner.sql(EMAILS).arrow().column("email").to_pylist()
    assert all("@" in e for e in clear)
    monkeypatch.setenv("NEUROLAKE_COST_CONFIRM_BYTES", "1000")  # every query reading data asks
    monkeypatch.delenv("NEUROLAKE_SAVE_CLEAR_PII", raising=False)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "neurolake", "display_name": "NeuroLake",
                                 "language": "python"}  # fmt: skip
    nb.cells = [nbformat.v4.new_code_cell(src) for src in CELLS]
    assert os.environ["NEUROLAKE_WORKSPACE"] == str(workspace)  # the kernel inherits it
    NotebookClient(
        nb, timeout=120, kernel_name="neurolake", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "confirm.executed.ipynb"
    nbformat.write(nb, path)  # what JupyterLab's save writes: the outputs as they are now
    saved = nbformat.read(path, as_version=4)
    cells = saved.cells
    for c in cells:
        assert not [o for o in c.outputs if o.output_type == "error"], c.source
        assert not [o for o in c.outputs if o.get("name") == "stderr"], c.source

    # %%sql, Run pressed: no widget left, the decision with its reason, then the report
    sql = cells[0]
    assert not outputs(sql, WIDGET)
    (record,) = [t for t in outputs(sql, "text/plain") if t.startswith("Ran after confirmation")]
    assert "may be expensive" in record and EMAILS in record
    assert "Ran after confirmation" in outputs(sql, "text/html")[0]
    (report,) = outputs(sql, REPORT_MIME)
    report_validator.validate(report)
    assert report["result"]["row_count"] == 5
    assert [row[1] for row in report["result"]["rows_preview"]] == [WITHHELD] * 5
    assert report["result"]["withheld"] == [{"column": "email",
                                             "source": "retail.customers.email"}]  # fmt: skip
    (html,) = [h for h in outputs(sql, "text/html") if "neurolake-report" in h]
    (text,) = [t for t in outputs(sql, "text/plain") if "5 rows" in t]
    for fallback in (html, text):
        assert WITHHELD in fallback and "not saved in clear" in fallback
    # the Python cell that pressed Run shows nothing: the result lives in the cell that asked
    assert cells[1].outputs == []

    # %%nl --confirm: the question as understood, the decision, the governed nl report
    nl = cells[2]
    assert not outputs(nl, WIDGET)
    assert "Understood:" in outputs(nl, "text/plain")[0]
    assert any(t.startswith("Ran after confirmation") for t in outputs(nl, "text/plain"))
    (report,) = outputs(nl, REPORT_MIME)
    report_validator.validate(report)
    assert report["kind"] == "nl" and report["question"].startswith("Email and country")
    assert report["result"]["row_count"] > 0
    emails = [c["name"] for c in report["result"]["columns"]].index("email")
    assert {row[emails] for row in report["result"]["rows_preview"]} == {WITHHELD}
    assert WITHHELD in outputs(nl, "text/html")[-1] and WITHHELD in outputs(nl, "text/plain")[-1]
    assert cells[3].outputs == []

    # no clear personal data anywhere in the saved file (the policy default: readers see hashes)
    first_part = json.dumps([c.outputs for c in cells[:8]])
    assert not any(e in first_part for e in clear)

    # cancelled: the decision, nothing ran, no buttons
    cancelled = cells[4]
    assert not outputs(cancelled, WIDGET) and not outputs(cancelled, REPORT_MIME)
    assert any("Cancelled: nothing ran." in t for t in outputs(cancelled, "text/plain"))

    # failed: the decision and the error, kept as an error display
    failed = cells[6]
    assert not outputs(failed, WIDGET) and not outputs(failed, REPORT_MIME)
    assert any("failed" in t for t in outputs(failed, "text/plain"))
    assert any("nope" in t for t in outputs(failed, "text/plain"))
    assert any("nope" in h for h in outputs(failed, "text/html"))

    # save_clear_pii on: the owner's choice, the values are saved in clear
    (report,) = outputs(cells[9], REPORT_MIME)
    assert "withheld" not in report["result"]
    assert [row[1] for row in report["result"]["rows_preview"]] == clear
    assert clear[0] in outputs(cells[9], "text/plain")[-1]
    assert outputs(cells[11], "text/plain") == ["(5, " + str(report_rows(cells[2])) + ")"]


def report_rows(cell: Any) -> int:
    (report,) = outputs(cell, REPORT_MIME)
    return int(report["result"]["row_count"])

"""A cell that asked before running keeps its result after save and reload in a real JupyterLab.

Run is clicked in the ``%%sql`` cell's panel (its predicted cost is above the workspace's
threshold) and in a ``%%nl --confirm`` panel; the notebook is saved, the kernel shut down, and the
page reloaded: both cells still show the decision and the rendered report, no Run or Cancel button
is left, and the file on disk holds the report with the email column ``[withheld]``.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest

import neurolake_lab
from neurolake_lab.report import REPORT_MIME, WITHHELD
from tests.ui.conftest import TOKEN

pytestmark = [pytest.mark.ui, pytest.mark.slow]

PEOPLE = (
    "CREATE TABLE crm.people AS SELECT range AS id, 'person' || range || '@example.com' AS email, "
    "['FR', 'DE'][range % 2 + 1] AS country FROM range(200)"
)
ASKS = "%%sql -o people\nSELECT id, email, country FROM crm.people ORDER BY id LIMIT 5"
NL = "%%nl --confirm\nHow many people are there?"


def shut_down_kernels(url: str) -> None:
    """Stop every kernel of the server: what the page shows next comes from the saved file."""
    with urllib.request.urlopen(f"{url}/api/sessions?token={TOKEN}") as reply:
        sessions = json.load(reply)
    for session in sessions:
        request = urllib.request.Request(
            f"{url}/api/sessions/{session['id']}?token={TOKEN}", method="DELETE"
        )
        urllib.request.urlopen(request).close()


def test_confirmed_results_survive_save_and_reload(lab: Any, browser: Any, artifacts: Path) -> None:
    with neurolake_lab.connect(lab.workspace) as owner:
        owner.sql(PEOPLE)
    with (lab.workspace / "neurolake.toml").open("a") as toml:
        toml.write("\n[cost]\nconfirm_above_bytes = 1\n")  # every query that reads data asks
    lab.write_notebook("confirm.ipynb", [ASKS, NL])
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.set_default_timeout(60_000)
    try:
        page.goto(lab.page_url("lab/tree/confirm.ipynb"))
        page.wait_for_selector(".jp-Notebook .jp-Cell")
        page.get_by_text("NeuroLake | Idle").wait_for()
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        cells = page.locator(".jp-Notebook .jp-Cell")
        for i in (0, 1):
            cell = cells.nth(i)
            run = cell.locator(".jupyter-widgets button", has_text="Run")
            run.wait_for()
            assert cell.get_by_text("Not run yet").count() == 1
            assert cell.locator(".nl-strip").count() == 0  # nothing ran yet
            if i == 0:
                assert "may be expensive" in cell.locator(".jupyter-widgets").first.inner_text()
            page.get_by_text("NeuroLake | Idle").wait_for()
            run.click()
            cell.locator(".nl-strip [data-nl-item='rows']").wait_for()
            cell.get_by_text("Ran after confirmation.").wait_for()
            assert cell.locator(".jupyter-widgets button").count() == 0  # no stale buttons
        page.screenshot(path=str(artifacts / "ui-confirm-ran.png"), full_page=True)

        # save (the toolbar's "Save and create checkpoint"), then read what was written
        page.locator(".jp-Notebook").first.click()
        page.keyboard.press("Control+s")
        saved_path = lab.root / "confirm.ipynb"
        page.wait_for_function(
            "() => !document.querySelector('.jp-mod-current.jp-mod-dirty')", timeout=30_000
        )
        saved = json.loads(saved_path.read_text())
        sql_out, nl_out = (c["outputs"] for c in saved["cells"])
        (report,) = [o["data"][REPORT_MIME] for o in sql_out if REPORT_MIME in o.get("data", {})]
        assert [row[1] for row in report["result"]["rows_preview"]] == [WITHHELD] * 5
        assert "@example.com" not in json.dumps(sql_out)
        (answer,) = [o["data"][REPORT_MIME] for o in nl_out if REPORT_MIME in o.get("data", {})]
        assert answer["kind"] == "nl" and answer["result"]["rows_preview"] == [[200]]
        for outputs in (sql_out, nl_out):
            assert not [o for o in outputs if "application/vnd.jupyter.widget-view+json"
                        in o.get("data", {})]  # fmt: skip

        shut_down_kernels(lab.url)
        page.reload()
        page.wait_for_selector(".jp-Notebook .jp-Cell")
        cells = page.locator(".jp-Notebook .jp-Cell")
        for i in (0, 1):
            cell = cells.nth(i)
            cell.locator(".nl-strip [data-nl-item='rows']").wait_for()
            assert cell.get_by_text("Ran after confirmation.").count() == 1
            assert cell.get_by_text("Not run yet").count() == 0
            assert cell.locator("button", has_text="Run").count() == 0
        first = cells.nth(0).locator(".nl-table tbody tr")
        assert first.count() == 5 and WITHHELD in first.first.inner_text()
        assert cells.nth(1).locator(".nl-table tbody td").first.inner_text().strip() == "200"
        page.screenshot(path=str(artifacts / "ui-confirm-reloaded.png"), full_page=True)
    except Exception:
        page.screenshot(path=str(artifacts / "ui-confirm-failure.png"), full_page=True)
        raise
    finally:
        page.close()

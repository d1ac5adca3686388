"""The panels and settings in a real JupyterLab, where a cell and a panel meet.

One JupyterLab on a small retail demo, one page, tests in order: the result page size from
JupyterLab's settings (and the owner's withheld PII shown live), the Lakehouse panel refreshing
after cells write, "query as of" an older snapshot run for its rows, a table dragged from the
panel into a cell, the owner's PII override in the Governance panel, and its audit filters.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import neurolake_lab
from tests.ui.conftest import CHROMIUM, CHROMIUM_ARGS, TOKEN, Lab, write_notebook

pytestmark = [pytest.mark.ui, pytest.mark.slow]

PAGE_SIZE = 20
CELLS = [
    # 0: a governed result of a few hundred rows, paged at PAGE_SIZE
    "%%sql\nSELECT customer_id, email, country FROM retail.customers ORDER BY customer_id",
    # 1, 2: a new table, then a second snapshot of it
    "%%sql\nCREATE TABLE retail.vip AS SELECT customer_id, email FROM retail.customers "
    "WHERE segment = 'enterprise'",
    "%%sql\nINSERT INTO retail.vip SELECT customer_id, email FROM retail.customers "
    "WHERE segment <> 'enterprise' LIMIT 3",
    # 3: filled from the Lakehouse panel
    "",
]


@pytest.fixture(scope="module")
def panels_lab(launch_jupyter: Any, tmp_path_factory: pytest.TempPathFactory) -> Lab:
    from neurolake_lab.demo import load_retail

    root = tmp_path_factory.mktemp("panels-root")
    workspace = tmp_path_factory.mktemp("panels-ws")
    with neurolake_lab.connect(workspace) as s:
        load_retail(s, scale=0.05, seed=9, today=dt.date(2026, 4, 2))
    env = {"NEUROLAKE_WORKSPACE": str(workspace),
           "JUPYTER_RUNTIME_DIR": str(tmp_path_factory.mktemp("panels-rt"))}  # fmt: skip
    url = launch_jupyter(
        "jupyterlab",
        TOKEN,
        env,
        f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    )
    write_notebook(root / "panels.ipynb", CELLS)
    return Lab(url=url, root=root, workspace=workspace)


def api(lab: Lab, path: str, method: str = "GET", body: Any = None) -> Any:
    """A JSON request to the server with the test's token."""
    request = urllib.request.Request(
        f"{lab.url}/{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"token {TOKEN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as r:
        text = r.read()
    return json.loads(text) if text else None


@pytest.fixture(scope="module")
def page(panels_lab: Lab, artifacts: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    # the page size as a user sets it in the Settings Editor, before JupyterLab loads
    raw = json.dumps({"pageSize": PAGE_SIZE})
    api(panels_lab, "lab/api/settings/neurolake-lab:plugin", "PUT", {"raw": raw})
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        pg = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
        pg.set_default_timeout(60_000)
        errors: list[str] = []
        pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        pg.console_errors = errors  # type: ignore[attr-defined]
        pg.goto(panels_lab.page_url("lab/tree/panels.ipynb"))
        pg.get_by_text("NeuroLake | Idle").wait_for()
        no_news = pg.get_by_role("button", name="No")
        if no_news.count():
            no_news.first.click()
        yield pg
        browser.close()


@pytest.fixture(autouse=True)
def _screenshot_on_failure(
    request: pytest.FixtureRequest, page: Any, artifacts: Path
) -> Iterator[None]:
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        page.screenshot(path=str(artifacts / f"ui-failure-{request.node.name}.png"), full_page=True)


def cell(page: Any, i: int) -> Any:
    return page.locator(".jp-Notebook .jp-Cell").nth(i)


def editor(page: Any, i: int) -> Any:
    return cell(page, i).locator(".jp-InputArea-editor")


def run_cell(page: Any, i: int) -> Any:
    """Runs cell ``i`` and waits for its strip; the cell."""
    editor(page, i).click()
    page.keyboard.press("Shift+Enter")
    out = cell(page, i)
    out.locator("[data-neurolake='strip']").wait_for()
    return out


def side_panel(page: Any, name: str) -> Any:
    """The Lakehouse or Governance panel, opened (clicking an open panel's tab would close it)."""
    panel = page.locator(f"[data-neurolake='{name.lower()}-panel']")
    if not panel.is_visible():
        page.locator(f".jp-SideBar .lm-TabBar-tab[title^='{name}']").click()
        panel.wait_for()
    return panel


def table_names(panel: Any) -> list[str]:
    return list(panel.locator("[data-neurolake='lakehouse-table']").all_inner_texts())


def test_page_size_setting_pages_the_table_and_withheld_pii_shows_live(page: Any) -> None:
    out = run_cell(page, 0)
    status = out.locator(".nl-pager-status")
    total = int(status.inner_text().split(" of ")[1].replace(",", ""))
    assert total > 2 * PAGE_SIZE
    assert status.inner_text() == f"1\u2013{PAGE_SIZE} of {total:,}"
    assert out.locator("tbody tr").count() == PAGE_SIZE
    out.locator("[data-neurolake='pager'] [data-action='next']").click()
    page.wait_for_function(
        f"el => el.textContent.startsWith('{PAGE_SIZE + 1}\\u2013{2 * PAGE_SIZE} ')",
        arg=status.element_handle(),
    )
    assert out.locator("tbody tr").count() == PAGE_SIZE
    # the saved preview withholds the owner's clear emails; the live table asks the kernel
    emails = out.locator("tbody tr td:nth-child(2)")
    assert all("@" in e for e in emails.all_inner_texts())
    assert (
        "saved notebook keeps it out" in out.locator("[data-neurolake='pii-banner']").inner_text()
    )


def test_lakehouse_refreshes_when_a_cell_writes(page: Any, artifacts: Path) -> None:
    panel = side_panel(page, "Lakehouse")
    panel.locator("[data-neurolake='lakehouse-table']").first.wait_for()
    assert "vip" not in table_names(panel)
    run_cell(page, 1)
    vip = panel.locator("details[data-table='retail.vip']")
    vip.wait_for()  # listed without a click on Refresh
    rows = vip.locator("summary .nl-right")
    first = int(rows.inner_text().split()[0].replace(",", ""))
    assert first > 0
    out = run_cell(page, 2)
    # the panel redraws its tree: look the count up again each time
    page.wait_for_function(
        "([n]) => document.querySelector("
        '\'[data-neurolake="lakehouse-panel"] details[data-table="retail.vip"] summary .nl-right\''
        ")?.textContent === n",
        arg=[f"{first + 3:,} rows"],
    )
    # a write reads the PII it copies; its summary shows none, so no "in clear" banner
    assert out.locator("[data-neurolake='pii-banner']").count() == 0
    panel.screenshot(path=str(artifacts / "ui-panels-lakehouse.png"))


def test_query_as_of_an_older_snapshot(page: Any) -> None:
    panel = side_panel(page, "Lakehouse")
    vip = panel.locator("details[data-table='retail.vip']")
    vip.locator("summary").first.click()
    snaps = vip.locator("details.nl-subsection").first
    snaps.locator("summary").click()
    older = snaps.locator("li", has_not_text="(current)")
    older.first.wait_for()
    assert snaps.locator("li").count() == 2
    editor(page, 3).click()
    older.first.locator("[data-neurolake='query-as-of']").click()
    page.wait_for_function(
        "el => el.textContent.includes('FOR VERSION AS OF')", arg=editor(page, 3).element_handle()
    )
    out = run_cell(page, 3)
    now = int(vip.locator("summary .nl-right").first.inner_text().split()[0].replace(",", ""))
    rows = out.locator("[data-nl-item='rows']").inner_text()
    assert rows.endswith(" rows") and f"{now - 3:,}" in rows, rows  # before the INSERT


def test_drag_a_table_from_the_lakehouse_into_a_cell(page: Any) -> None:
    panel = side_panel(page, "Lakehouse")
    editor(page, 3).click()
    page.keyboard.press("Escape")
    page.keyboard.press("b")  # a new cell below
    target = editor(page, 4)
    target.click()
    page.keyboard.type("%%sql\nSELECT count(*) AS n FROM ")
    line = target.locator(".cm-line").nth(1)
    box = line.bounding_box()
    panel.locator("[data-neurolake='lakehouse-table']", has_text="orders").first.drag_to(
        line, target_position={"x": box["width"] - 4, "y": box["height"] / 2}
    )
    page.wait_for_function(
        "el => el.textContent.includes('FROM retail.orders')", arg=target.element_handle()
    )
    out = run_cell(page, 4)
    counted = int(out.locator("tbody td").first.inner_text().replace(",", ""))
    orders = next(t for t in api_tables(page) if t["id"] == "retail.orders")
    assert counted == orders["rows"]


def api_tables(page: Any) -> list[dict[str, Any]]:
    """The Lakehouse API's tables, read from the page (its cookie and XSRF)."""
    items: list[dict[str, Any]] = page.evaluate(
        "() => fetch('/neurolake/api/tables?limit=500').then(r => r.json()).then(j => j.items)"
    )
    return items


def test_owner_overrides_a_pii_tag_in_governance(page: Any, panels_lab: Lab) -> None:
    governance = side_panel(page, "Governance")
    lakehouse = side_panel(page, "Lakehouse")
    vip = lakehouse.locator("details[data-table='retail.vip']")
    if vip.get_attribute("open") is not None:
        vip.locator("summary").first.click()  # closed: opening it selects it again
    vip.locator("summary").first.click()
    pii = governance.locator("[data-neurolake='pii-classification']")
    row = pii.locator("tr[data-column='customer_id']")
    row.wait_for()
    assert row.locator("select").input_value() == ""  # not PII
    assert pii.locator("tr[data-column='email'] select").input_value() == "EMAIL_ADDRESS"
    row.locator("select").select_option("PERSON")
    pii.locator("tr[data-column='customer_id']", has_text="(override)").wait_for()
    stored = api(panels_lab, "neurolake/api/tables/retail.vip/pii")
    by_column = {c["column"]: c for c in stored["columns"]}
    assert by_column["customer_id"]["entity"] == "PERSON"
    assert by_column["customer_id"]["source"] == "override"
    # and back: the owner's "not PII" is an override too
    pii.locator("tr[data-column='customer_id'] select").select_option("")
    page.wait_for_function(
        "el => el.querySelector('tr[data-column=\"customer_id\"] select').value === ''",
        arg=pii.element_handle(),
    )
    stored = api(panels_lab, "neurolake/api/tables/retail.vip/pii")
    assert next(c for c in stored["columns"] if c["column"] == "customer_id")["entity"] is None


def test_governance_filters_by_user_and_table(page: Any, panels_lab: Lab, artifacts: Path) -> None:
    panel = side_panel(page, "Governance")
    records = panel.locator(".nl-audit-record")
    records.first.wait_for()
    me = api(panels_lab, "neurolake/status")["user"]
    user = panel.locator("[data-neurolake='audit-user']")
    user.fill("nobody-at-all")
    user.press("Enter")
    panel.get_by_text("No records match.").wait_for()
    user.fill(me)
    user.press("Enter")
    records.first.wait_for()
    assert all(f" by {me}" in r for r in records.locator(".nl-audit-head").all_inner_texts())
    table = panel.locator("[data-neurolake='audit-table']")
    table.fill("retail.vip")
    table.press("Enter")
    page.wait_for_function(
        "() => { const r = document.querySelectorAll('.nl-audit-record');"
        " return r.length > 0 && [...r].every(x => x.textContent.includes('retail.vip')); }"
    )
    shown = records.count()
    expected = api(panels_lab, f"neurolake/api/audit?user={me}&table=retail.vip&limit=25")
    assert shown == min(25, expected["total"]) and shown >= 3  # CREATE, INSERT, as-of query
    panel.locator("[data-neurolake='audit-verify']").click()
    status = panel.locator("[data-neurolake='audit-verify-status']")
    page.wait_for_function("el => el.textContent.startsWith('intact')", arg=status.element_handle())
    panel.screenshot(path=str(artifacts / "ui-panels-governance.png"))
    assert page.console_errors == []

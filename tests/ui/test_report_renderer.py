"""A %%sql cell in a real JupyterLab renders through our extension: the table and the strip."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.ui, pytest.mark.slow]

GOVERNED = (
    "%%sql\n"
    "CREATE TABLE crm.people AS SELECT * FROM (VALUES (1, 'ann@example.com', 'FR'), "
    "(2, 'bob@example.org', 'DE')) t(id, email, country);\n"
    "SELECT id, email FROM crm.people ORDER BY id"
)

EVENTS = (
    "%%sql\n"
    "CREATE TABLE lab.events PARTITIONED BY (month(day)) AS SELECT range AS id, "
    "DATE '2025-01-01' + INTERVAL (range % 300) DAY AS day FROM range(60000)"
)
SLOW_FILTER = (
    "%%sql -o march\nSELECT count(*) AS n FROM lab.events WHERE year(day) = 2025 AND month(day) = 3"
)

SQL = (
    "%%sql\n"
    "CREATE TABLE orders AS SELECT range AS order_id, ['Germany', 'France', 'Japan'][range % 3 + 1] AS country,\n"
    "       round(10 + range % 97, 2)::DECIMAL(10,2) AS amount FROM range(120000);\n"
    "SELECT country, count(*) AS orders, sum(amount) AS revenue FROM orders GROUP BY ALL ORDER BY country"
)


def test_sql_cells_render_table_strip_and_compliance(
    lab: Any, browser: Any, artifacts: Path
) -> None:
    lab.write_notebook(
        "report.ipynb",
        [SQL, "%sql SELECT range AS n FROM range(1000000)", GOVERNED, EVENTS, SLOW_FILTER,
         "%%nl --confirm\nHow many events are there?"],
    )  # fmt: skip
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(60_000)
    try:
        page.goto(lab.page_url("lab/tree/report.ipynb"))
        page.wait_for_selector(".jp-Notebook .jp-Cell")
        # wait until the NeuroLake kernel is connected and idle, then run all cells from the menu
        page.get_by_text("NeuroLake | Idle").wait_for()
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()

        strips = page.locator(".jp-OutputArea-output .nl-strip")
        strips.nth(4).wait_for()
        first = page.locator(".jp-OutputArea-output").filter(has=page.locator(".nl-strip")).first
        headers = first.locator("thead th").all_inner_texts()
        assert [h.split("\n")[0].strip() for h in headers][:3] == ["country", "orders", "revenue"]
        rows = first.locator("tbody tr")
        assert rows.count() == 3
        assert rows.first.inner_text().split()[:2] == ["France", "40,000"]
        strip = strips.first
        assert strip.locator("[data-nl-item='rows']").inner_text().strip() == "3 rows"
        # what the query took: beside the prediction when there is one, else on its own
        took = strip.locator("[data-nl-item='cost'], [data-nl-item='time']").first.inner_text()
        assert re.search(r"(^predicted \S+ m?s \u00b7 took |^)\S+ m?s", took), took
        big = strips.nth(1).locator("[data-nl-item='rows']").inner_text()
        assert "showing 50 of 1,000,000 rows" in big
        # the fallback HTML is not what renders: our MIME renderer won
        assert page.locator(".jp-OutputArea-output .neurolake-report").count() == 0
        no_news = page.get_by_role("button", name="No")
        if no_news.count():  # JupyterLab's "get notified about news?" toast
            no_news.first.click()
        # the governed cell: a compliance badge whose details open on click
        badge = strips.nth(2).locator("button[data-nl-item='compliance']")
        assert badge.inner_text().startswith("PII: 1 column")
        details = (
            page.locator(".jp-OutputArea-output .nl-report")
            .nth(2)
            .locator("[data-nl-details='compliance']")
        )
        assert not details.is_visible()
        badge.click()
        details.wait_for(state="visible")
        text = details.inner_text()
        assert "PII column crm.people.email: EMAIL_ADDRESS" in text and "audit record a-" in text
        strips.nth(2).locator("button[data-nl-item='lineage']").click()
        governed = page.locator(".jp-OutputArea-output .nl-report").nth(2)
        graph = governed.locator("[data-neurolake='lineage-graph']")
        edge = graph.locator(".nl-edge[data-source='crm.people.email']")
        edge.wait_for()
        assert edge.get_attribute("data-target") == "output.email"
        assert edge.get_attribute("data-kinds") == "IDENTITY"
        strips.nth(2).locator("button[data-nl-item='lineage']").click()  # closed again
        page.screenshot(path=str(artifacts / "ui-compliance-details.png"), full_page=True)
        badge.click()  # closed again for the README screenshot
        # the cost model's suggestion goes into the cell with one click, magic line kept
        cost = strips.nth(4).locator("button[data-nl-item='cost']")
        assert cost.inner_text().startswith("predicted ") and "suggestion" in cost.inner_text()
        cost.click()
        report = page.locator(".jp-OutputArea-output .nl-report").nth(4)
        report.locator("[data-nl-details='cost'] button.nl-apply").first.click()
        editor = page.locator(".jp-Cell").nth(4).locator(".jp-InputArea-editor")
        page.wait_for_function(
            "el => !el.textContent.includes('year(day)')", arg=editor.element_handle()
        )
        text = editor.inner_text()
        assert text.startswith("%%sql -o march") and "day >=" in text and "day <" in text
        # %%nl --confirm: the SQL waits in an ipywidgets editor until Run is clicked
        confirm = page.locator(".jp-Cell").nth(5)
        run = confirm.locator(".jupyter-widgets button", has_text="Run")
        run.wait_for()
        assert "count(*)" in confirm.locator(".jupyter-widgets textarea").input_value()
        assert confirm.locator(".nl-strip").count() == 0  # nothing ran yet
        run.click()
        confirm.locator(".nl-strip [data-nl-item='rows']").wait_for()
        assert confirm.locator(".nl-table tbody td").first.inner_text().strip() == "60,000"
        page.locator(".jp-Cell").first.click()
        page.screenshot(path=str(artifacts / "ui-sql-cell.png"), full_page=True)
    except Exception:
        page.screenshot(path=str(artifacts / "ui-sql-cell-failure.png"), full_page=True)
        raise
    finally:
        page.close()

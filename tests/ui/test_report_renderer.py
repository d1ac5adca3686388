"""A %%sql cell in a real JupyterLab renders through our extension: the table and the strip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.ui, pytest.mark.slow]

SQL = (
    "%%sql\n"
    "CREATE TABLE orders AS SELECT range AS order_id, ['Germany', 'France', 'Japan'][range % 3 + 1] AS country,\n"
    "       round(10 + range % 97, 2)::DECIMAL(10,2) AS amount FROM range(120000);\n"
    "SELECT country, count(*) AS orders, sum(amount) AS revenue FROM orders GROUP BY ALL ORDER BY country"
)


def test_sql_cell_renders_table_and_strip(lab: Any, browser: Any, artifacts: Path) -> None:
    lab.write_notebook("report.ipynb", [SQL, "%sql SELECT range AS n FROM range(1000000)"])
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
        strips.nth(1).wait_for()
        first = page.locator(".jp-OutputArea-output").filter(has=page.locator(".nl-strip")).first
        headers = first.locator("thead th").all_inner_texts()
        assert [h.split("\n")[0].strip() for h in headers][:3] == ["country", "orders", "revenue"]
        rows = first.locator("tbody tr")
        assert rows.count() == 3
        assert rows.first.inner_text().split()[:2] == ["France", "40000"]
        strip = strips.first
        assert strip.locator("[data-nl-item='rows']").inner_text().strip() == "3 rows"
        assert strip.locator("[data-nl-item='time']").inner_text().strip().endswith(("ms", "s"))
        big = strips.nth(1).locator("[data-nl-item='rows']").inner_text()
        assert "showing 50 of 1,000,000 rows" in big
        # the fallback HTML is not what renders: our MIME renderer won
        assert page.locator(".jp-OutputArea-output .neurolake-report").count() == 0
        no_news = page.get_by_role("button", name="No")
        if no_news.count():  # JupyterLab's "get notified about news?" toast
            no_news.first.click()
        page.locator(".jp-Cell").first.click()
        page.screenshot(path=str(artifacts / "ui-sql-cell.png"), full_page=True)
    except Exception:
        page.screenshot(path=str(artifacts / "ui-sql-cell-failure.png"), full_page=True)
        raise
    finally:
        page.close()

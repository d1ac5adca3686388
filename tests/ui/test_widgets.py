"""The explorer and the chart widgets in a real JupyterLab: paging through the kernel, a Vega-Lite
chart drawn by JupyterLab's own renderer, and the switch redrawing it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.ui, pytest.mark.slow]

EXPLORE = (
    "%%sql --explore\n"
    "SELECT range AS id, ['DE', 'FR', 'JP'][range % 3 + 1] AS country, range * 0.5 AS amount "
    "FROM range(10000)"
)
CHART = (
    "%%sql --chart\n"
    "SELECT DATE '2026-01-01' + range::INT AS day, ['web', 'store'][range % 2 + 1] AS channel, "
    "range % 17 AS orders FROM range(60)"
)


def test_explorer_pages_and_chart_switches(lab: Any, browser: Any, artifacts: Path) -> None:
    lab.write_notebook("widgets.ipynb", [EXPLORE, CHART])
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.set_default_timeout(60_000)
    try:
        page.goto(lab.page_url("lab/tree/widgets.ipynb"))
        page.wait_for_selector(".jp-Notebook .jp-Cell")
        page.get_by_text("NeuroLake | Idle").wait_for()
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()

        explorer = page.locator(".jp-Cell").nth(0).locator(".jupyter-widgets").first
        position = explorer.get_by_text("rows 1 to 50 of 10,000")
        position.wait_for()
        table = explorer.locator("table").first
        assert table.locator("tbody tr").count() == 50  # one page in the browser, not 10,000 rows
        assert table.locator("tbody tr").first.locator("td").first.inner_text() == "0"
        # widget events reach the kernel between cells: wait until the chart cell has run
        chart_cell = page.locator(".jp-Cell").nth(1)
        chart_cell.locator(".vega-embed").first.wait_for()
        page.get_by_text("NeuroLake | Idle").wait_for()
        explorer.locator("button[title='Next page']").click()
        explorer.get_by_text("rows 51 to 100 of 10,000").wait_for()
        # the page's rows arrive as their own widget update, just after the position line
        table.locator("tbody tr").first.locator("td").first.get_by_text("50", exact=True).wait_for()
        explorer.locator("button[title='Last page']").click()
        explorer.get_by_text("page 200 of 200").wait_for()

        # JupyterLab's own Vega renderer drew it: a line per channel, as SVG
        chart_cell.locator(".vega-embed svg .mark-line path").first.wait_for(state="attached")
        assert chart_cell.locator(".vega-embed svg .mark-rect path").count() == 0
        page.screenshot(path=str(artifacts / "ui-widgets-line.png"), full_page=True)
        chart_cell.locator(".jupyter-widgets button", has_text="bar").click()
        chart_cell.locator(".vega-embed svg .mark-rect path").first.wait_for(state="attached")
        assert chart_cell.locator(".vega-embed svg .mark-line path").count() == 0
        assert chart_cell.locator(".jp-RenderedText[data-mime-type*='error']").count() == 0
        page.screenshot(path=str(artifacts / "ui-widgets-bar.png"), full_page=True)
    finally:
        page.close()

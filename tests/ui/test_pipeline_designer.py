"""The Pipeline Designer in a real JupyterLab: the graph by health, a pipeline's incidents and
repair on click, and a pipeline designed in the panel written into the notebook as a %%pipeline
cell, whose run then shows in the designer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import neurolake_lab

pytestmark = [pytest.mark.ui, pytest.mark.slow]


def populate(workspace: Path) -> None:
    """Three pipelines: one healed by a SQL repair, one healthy, one paused by the Monitor."""
    with neurolake_lab.connect(workspace) as s:
        s.sql("CREATE TABLE raw.orders AS SELECT range AS id, range * 2 AS amount, "
              "'c' || (range % 3) AS cust FROM range(30)")  # fmt: skip
        s.sql("CREATE TABLE raw.legacy AS SELECT 1 AS id")
        s.pipelines.create("totals", "SELECT o.cust, sum(o.amount) AS total FROM raw.orders o "
                           "GROUP BY o.cust", "mart.totals", mode="merge", key="cust",
                           schedule="every 1h")  # fmt: skip
        s.pipelines.create("copy", "SELECT * FROM mart.totals", "mart.copy", mode="overwrite")
        s.pipelines.create("legacy", "SELECT id FROM raw.legacy", "mart.legacy")
        for name in ("totals", "copy", "legacy"):
            assert s.pipelines.run(name).status == "succeeded"
        s.sql("ALTER TABLE raw.orders RENAME COLUMN amount TO amount_usd")
        assert s.pipelines.run("totals").status == "healed"
        assert s.pipelines.run("copy").status == "succeeded"
        s.sql("DROP TABLE raw.legacy")
        assert s.pipelines.run("legacy").status == "failed"


def health(page: Any) -> dict[str, str]:
    nodes = page.locator("[data-neurolake='pipeline-node'][data-kind='pipeline']")
    return {
        nodes.nth(i).get_attribute("data-id"): nodes.nth(i).get_attribute("data-health")
        for i in range(nodes.count())
    }


def test_the_designer_draws_explains_and_writes_pipeline_cells(
    lab: Any, browser: Any, artifacts: Path
) -> None:
    populate(lab.workspace)
    lab.write_notebook("pipelines.ipynb", ["%pipelines"])
    page = browser.new_page(viewport={"width": 1500, "height": 950})
    page.set_default_timeout(60_000)
    try:
        page.goto(lab.page_url("lab/tree/pipelines.ipynb"))
        page.get_by_text("NeuroLake | Idle").wait_for()
        no_news = page.get_by_role("button", name="No")
        if no_news.count():
            no_news.first.click()
        # open it as a user does: the command palette
        page.locator(".jp-Notebook").first.click()
        page.keyboard.press("Control+Shift+C")
        page.keyboard.type("Pipeline Designer")
        page.keyboard.press("Enter")
        designer = page.locator("[data-neurolake='pipeline-designer']")
        designer.wait_for()
        page.wait_for_function(
            "document.querySelectorAll('[data-neurolake=pipeline-node]').length === 8"
        )
        assert health(page) == {
            "pipeline:totals": "warning", "pipeline:copy": "ok", "pipeline:legacy": "paused",
        }  # fmt: skip
        # sources to the left of their pipeline, targets to the right (ELK's layered layout)
        box = {
            i: page.locator(f"[data-id='{i}']").bounding_box()
            for i in ("table:raw.orders", "pipeline:totals", "table:mart.totals", "pipeline:copy")
        }
        xs = [box[i]["x"] for i in box]
        assert xs == sorted(xs)
        assert designer.locator("[data-neurolake='pipeline-status']").inner_text() == "3 pipelines"
        page.screenshot(path=str(artifacts / "ui-pipeline-designer.png"))

        # a pipeline's history and incidents on click: the Monitor's repair, old and new SQL
        page.locator("[data-id='pipeline:totals']").click()
        pane = designer.locator("[data-neurolake='pipeline-detail'][data-name='totals']")
        pane.wait_for()
        statuses = pane.locator("[data-neurolake='pipeline-run']").evaluate_all(
            "rows => rows.map(r => r.dataset.status)"
        )
        assert statuses == ["healed", "succeeded"]
        incident = pane.locator("[data-neurolake='pipeline-incident']").first
        assert "column_renamed" in incident.inner_text() and "fixed" in incident.inner_text()
        repair = pane.locator("[data-neurolake='pipeline-repair']").first
        repair.locator("summary").click()
        before, after = repair.locator("pre").all_inner_texts()
        assert "o.amount)" in before and "o.amount_usd" in after
        page.screenshot(path=str(artifacts / "ui-pipeline-incident.png"))
        page.locator("[data-id='pipeline:legacy']").click()
        paused = designer.locator("[data-neurolake='pipeline-detail'][data-name='legacy']")
        assert (
            "table_dropped" in paused.locator("[data-neurolake='pipeline-incident']").inner_text()
        )
        assert paused.locator("[data-neurolake='pipeline-resume']").count() == 1

        # designing one in the panel writes a %%pipeline cell into the notebook and runs it
        designer.locator("[data-neurolake='pipeline-new-open']").click()
        form = designer.locator("[data-neurolake='pipeline-new']")
        form.locator("[data-neurolake='new-source'][value='raw.orders']").check()
        assert form.locator("[data-neurolake='new-sql']").input_value() == (
            "SELECT *\nFROM raw.orders"
        )
        form.locator("[data-neurolake='new-sql']").fill(
            "SELECT cust, count(*) AS orders FROM raw.orders GROUP BY cust"
        )
        form.locator("[data-neurolake='new-name']").fill("orders_per_cust")
        form.locator("[data-neurolake='new-into']").fill("mart.orders_per_cust")
        form.locator("[data-neurolake='new-mode']").select_option("merge")
        form.locator("[data-neurolake='new-key']").fill("cust")
        form.locator("[data-neurolake='new-schedule']").fill("daily at 02:00")
        form.locator("[data-neurolake='new-insert-run']").click()
        cells = page.locator(".jp-Notebook .jp-Cell")
        editor = cells.nth(1).locator(".jp-InputArea-editor")
        editor.wait_for()
        page.wait_for_function(
            "el => el.textContent.includes('%%pipeline')", arg=editor.element_handle()
        )
        source = editor.text_content() or ""
        assert source.startswith(
            "%%pipeline orders_per_cust --into mart.orders_per_cust --mode merge --key cust "
            '--schedule "daily at 02:00"'
        ), source
        cells.nth(1).locator(".jp-OutputArea-output").first.wait_for()
        node = designer.locator("[data-id='pipeline:orders_per_cust']")
        node.wait_for()
        assert node.get_attribute("data-health") == "ok"
        assert designer.locator("[data-neurolake='pipeline-status']").inner_text() == "4 pipelines"
        page.screenshot(path=str(artifacts / "ui-pipeline-from-designer.png"))
    except Exception:
        page.screenshot(path=str(artifacts / "ui-pipeline-designer-failure.png"))
        raise
    finally:
        page.close()
    with neurolake_lab.connect(lab.workspace) as s:
        assert s.pipelines.get("orders_per_cust").schedule == "daily at 02:00"
        assert s.sql("SELECT count(*) FROM mart.orders_per_cust").arrow()[0].to_pylist() == [3]

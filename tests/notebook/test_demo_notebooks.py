"""The demo notebooks Binder opens run headless on the NeuroLake kernel, each on a fresh demo workspace.

A cell tagged ``raises-exception`` must fail with the error it shows the reader; every other cell must
produce no error and nothing on stderr. Each notebook's point is checked in its outputs.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

import neurolake_lab
from neurolake_lab.demo import load_retail
from neurolake_lab.report import REPORT_MIME

pytestmark = pytest.mark.slow
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DEMOS = ["tour", "natural_language", "governance", "lineage_and_cost", "pipelines"]
WIDGET = "application/vnd.jupyter.widget-view+json"


def demo_notebook_names() -> list[str]:
    folder = resources.files("neurolake_lab.notebooks")
    return sorted(
        p.name.removesuffix(".ipynb") for p in folder.iterdir() if p.name.endswith(".ipynb")
    )


def run_demo(name: str, workspace: Path) -> nbformat.NotebookNode:
    with neurolake_lab.connect(workspace) as session:
        load_retail(session)
    source = resources.files("neurolake_lab.notebooks").joinpath(f"{name}.ipynb").read_text()
    nb = nbformat.reads(source, as_version=4)
    assert nb.metadata.kernelspec.name == "neurolake"
    os.environ["NEUROLAKE_WORKSPACE"] = str(workspace)  # the kernel inherits it (monkeypatched env)
    NotebookClient(
        nb, timeout=120, kernel_name="neurolake", resources={"metadata": {"path": str(workspace)}}
    ).execute()
    ARTIFACTS.mkdir(exist_ok=True)
    nbformat.write(nb, ARTIFACTS / f"{name}.executed.ipynb")
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if "raises-exception" in cell.metadata.get("tags", []):
            assert len(errors) == 1 and len(errors[0].traceback) <= 4, cell.source
        else:
            assert not errors, (cell.source, errors)
        stderr = [o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stderr"]
        assert not stderr, (cell.source, stderr)
    return nb


def cell(nb: nbformat.NotebookNode, start: str) -> Any:
    (found,) = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith(start)]
    return found


def data(c: Any, mime: str) -> list[Any]:
    return [o.data[mime] for o in c.get("outputs", []) if mime in o.get("data", {})]


def texts(c: Any) -> str:
    return "\n".join(
        o.get("text", "") + o.get("data", {}).get("text/plain", "") + o.get("evalue", "")
        for o in c.outputs
    )


def test_every_shipped_demo_is_tested() -> None:
    assert sorted([*DEMOS, "quickstart"]) == demo_notebook_names()
    for name in DEMOS:
        nb = nbformat.reads(
            resources.files("neurolake_lab.notebooks").joinpath(f"{name}.ipynb").read_text(), 4
        )
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")  # stored clean
        assert sum(c.cell_type == "markdown" for c in nb.cells) >= 5  # written for a reader


def test_tour(workspace: Path, report_validator: Any) -> None:
    nb = run_demo("tour", workspace)
    tables = data(cell(nb, "%tables"), REPORT_MIME)[0]
    names = {row[1] for row in tables["result"]["rows_preview"]}
    assert {"customers", "orders", "order_items", "products", "support_tickets"} <= names
    assert not any(n.startswith("__") for n in names)
    for c in nb.cells:
        for report in data(c, REPORT_MIME):
            report_validator.validate(report)
    chart = cell(nb, "%%sql --chart")
    (spec,) = data(chart, "application/vnd.vegalite.v5+json")
    assert spec["mark"]["type"] == "line" and data(chart, WIDGET)
    churn = cell(nb, "%%nl\nShow me customers who churned")
    (report,) = data(churn, REPORT_MIME)
    columns = {c["name"] for c in report["result"]["columns"]}
    assert "churned_at" in columns and not columns & {"full_name", "email", "phone"}
    owner = data(cell(nb, "%%sql\nSELECT full_name"), REPORT_MIME)[0]
    assert owner["compliance"]["warnings"]  # the owner sees PII in clear, with a warning
    explore = cell(nb, "%%sql --explore")
    assert data(explore, WIDGET) and "149,809" in texts(explore).replace("149809", "149,809")


def test_natural_language(workspace: Path) -> None:
    nb = run_demo("natural_language", workspace)
    follow = texts(cell(nb, "%%nl\nonly for Germany"))
    assert "refining the previous question" in follow and "Germany" in follow
    refusal = cell(nb, "%%nl --new\nwhat was the weather")
    (error,) = [o for o in refusal.outputs if o.output_type == "error"]
    assert error.ename == "PlanningError" and "weather" in error.evalue
    confirm = cell(nb, "%%nl --confirm")
    assert data(confirm, WIDGET) and not data(confirm, REPORT_MIME)  # waits for Run
    assert not data(cell(nb, "%%nl --sql-only"), REPORT_MIME)
    reused = texts(cell(nb, "%%nl --new\nhow many orders were cancelled"))
    assert "(an accepted answer)" in reused and "'mobile' -> 'web'" in reused


def test_governance(workspace: Path) -> None:
    nb = run_demo("governance", workspace)
    (as_ana,) = data(cell(nb, 'ana = neurolake_lab.connect(user="ana")'), REPORT_MIME)
    rows = as_ana["result"]["rows_preview"]
    assert rows and {r[4] for r in rows} == {"Germany"} and {r[1] for r in rows} == {"[REDACTED]"}
    assert all("@" not in r[2] for r in rows)
    assert as_ana["compliance"]["row_filters"] and as_ana["compliance"]["masked"]
    denied = cell(nb, 'ana.sql("SELECT customer_id, credit_card_number')
    (error,) = [o for o in denied.outputs if o.output_type == "error"]
    assert error.ename == "PolicyViolation" and "no-card-numbers" in error.evalue
    (verify,) = data(cell(nb, "%audit --verify"), REPORT_MIME)
    assert verify["result"]["rows_preview"][0][0] is True
    (gone,) = data(cell(nb, "%%sql\nSELECT count(*) AS still_there"), REPORT_MIME)
    assert gone["result"]["rows_preview"] == [[0]]
    assert not (workspace / "policies.yaml").exists()  # the notebook put the workspace back


def test_lineage_and_cost(workspace: Path) -> None:
    nb = run_demo("lineage_and_cost", workspace)
    (optimized,) = data(cell(nb, "%%sql --optimize"), REPORT_MIME)
    assert optimized["notices"][0].startswith("optimized: filter on order_date as a range")
    (plain,) = data(cell(nb, "%%sql\nSELECT status"), REPORT_MIME)
    assert plain["cost"]["suggestions"] and plain["result"] == optimized["result"]
    (upstream,) = data(cell(nb, "%lineage analytics.revenue_by_country.revenue"), REPORT_MIME)
    assert [
        "retail.orders.total_amount",
        "analytics.revenue_by_country.revenue",
        "AGGREGATION",
    ] in [r[:3] for r in upstream["result"]["rows_preview"]]
    (changed,) = data(cell(nb, "%%sql\nSELECT now.country"), REPORT_MIME)
    assert [r[0] for r in changed["result"]["rows_preview"]] == ["Germany"]
    assert "rollback" in texts(cell(nb, "%rollback"))


def test_pipelines(workspace: Path) -> None:
    nb = run_demo("pipelines", workspace)
    assert "run succeeded" in texts(cell(nb, "%%pipeline customer_totals"))
    runs = [
        texts(c)
        for c in nb.cells
        if c.cell_type == "code" and c.source == "%pipelines run customer_totals"
    ]
    assert len(runs) == 3 and "run succeeded — 0 rows written" in runs[0]  # a rerun: nothing new
    assert "run succeeded — 3 rows written" in runs[1]  # only the three customers with new orders
    assert "run healed" in runs[2]  # the renamed source column was repaired
    (incidents,) = data(cell(nb, "%pipelines --incidents"), REPORT_MIME)
    names = [c["name"] for c in incidents["result"]["columns"]]
    row = dict(zip(names, incidents["result"]["rows_preview"][0], strict=True))
    assert "total_amount" in row["old_sql"] and "total_amount" not in row["new_sql"]
    assert "status='failed'" not in texts(cell(nb, "import neurolake_lab"))

"""The shipped quickstart notebook runs headless on the NeuroLake kernel and carries its reports."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from neurolake_lab.report import REPORT_MIME

pytestmark = pytest.mark.slow
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def test_quickstart_executes_with_valid_reports(workspace: Path, report_validator: Any) -> None:
    source = resources.files("neurolake_lab.notebooks").joinpath("quickstart.ipynb").read_text()
    nb = nbformat.reads(source, as_version=4)
    assert nb.metadata.kernelspec.name == "neurolake"
    os.environ["NEUROLAKE_WORKSPACE"] = str(workspace)  # the kernel inherits it (monkeypatched env)
    NotebookClient(
        nb, timeout=120, kernel_name="neurolake", resources={"metadata": {"path": str(workspace)}}
    ).execute()
    ARTIFACTS.mkdir(exist_ok=True)
    nbformat.write(nb, ARTIFACTS / "quickstart.executed.ipynb")

    sql_cells = [
        c
        for c in nb.cells
        if c.cell_type == "code"
        and c.source.lstrip().startswith(("%%sql", "%sql", "%tables", "%describe", "%profile"))
    ]
    assert len(sql_cells) >= 8
    reports = 0
    mistakes = [c for c in sql_cells if "raises-exception" in c.metadata.get("tags", [])]
    assert len(mistakes) == 2
    typo, refused = sorted(mistakes, key=lambda c: "ordrs" not in c.source)
    (error,) = [o for o in typo.outputs if o.output_type == "error"]
    assert 'Did you mean "orders"?' in "\n".join(error.traceback) and len(error.traceback) <= 4
    (error,) = [o for o in refused.outputs if o.output_type == "error"]
    assert "unique(order_id)" in "\n".join(error.traceback) and error.ename == "QualityError"
    for cell in sql_cells:
        if cell in mistakes:
            continue
        assert not any(o.output_type == "error" for o in cell.outputs), cell.source
        if "--explain" in cell.source or "--no-execute" in cell.source:
            continue
        bundles = [
            o.data for o in cell.outputs if o.output_type in ("execute_result", "display_data")
        ]
        assert bundles, cell.source
        report = bundles[-1][REPORT_MIME]
        report_validator.validate(report)
        reports += 1
    assert reports >= 7
    before = next(c for c in nb.cells if "FOR VERSION AS OF $first" in c.source)
    assert before.outputs[-1].data[REPORT_MIME]["result"]["row_count"] == 4
    rollback = next(c for c in nb.cells if c.source.startswith("%rollback"))
    assert "rollback" in rollback.outputs[-1].data["text/plain"]
    by_country = next(c for c in nb.cells if "-o by_country" in c.source)
    report = by_country.outputs[-1].data[REPORT_MIME]
    assert [c["name"] for c in report["result"]["columns"]] == ["country", "orders", "avg_amount"]
    assert report["result"]["row_count"] == 4

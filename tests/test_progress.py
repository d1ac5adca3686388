"""Progress of long work: a terminal bar in the CLI, ipywidgets bars in a notebook."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

from neurolake_lab import progress

NEUROLAKE = [sys.executable, "-m", "neurolake_lab.cli"]


def test_quick_bars_inside_a_bar_are_hidden(capsys: pytest.CaptureFixture[str]) -> None:
    with progress.bar(2, "outer job") as step:
        with progress.bar(1, "inner quick work", delay=progress.QUICK) as inner:
            inner(None)
        step("half")
        step(None)
    err = capsys.readouterr().err
    assert "outer job: 100%" in err and "2/2" in err and "inner quick work" not in err


def test_quick_work_shows_nothing_unless_slow(capsys: pytest.CaptureFixture[str]) -> None:
    with progress.bar(3, "quick", delay=60) as step:
        for _ in range(3):
            step(None)
    assert "quick" not in capsys.readouterr().err


@pytest.mark.slow
def test_cli_demo_load_draws_a_terminal_bar(tmp_path: Path) -> None:
    run = subprocess.run([*NEUROLAKE, "demo", "load", "--scale", "0.05", "--workspace",
                          str(tmp_path / "ws")], capture_output=True, text=True, check=True)  # fmt: skip
    frames = run.stderr.split("\r")
    assert any("loading the retail demo: 100%" in f and "6/6" in f for f in frames), run.stderr
    assert any("loading the retail demo:  17%" in f for f in frames)  # it moved step by step
    assert "retail.orders" in run.stdout
    quiet = subprocess.run([*NEUROLAKE, "demo", "load", "--scale", "0.05", "--workspace",
                            str(tmp_path / "ws")], capture_output=True, text=True, check=True,
                           env={**os.environ, "NEUROLAKE_PROGRESS": "0"})  # fmt: skip
    assert "loading" not in quiet.stderr


@pytest.mark.slow
def test_notebook_shows_widget_bars(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEUROLAKE_PROGRESS_DELAY", "0")  # show the quick bars too
    nb = new_notebook(metadata={"kernelspec": {"name": "neurolake", "display_name": "NeuroLake"}})
    nb.cells = [
        new_code_cell("import neurolake_lab\nfrom neurolake_lab.demo import load_retail\n"
                      "load_retail(neurolake_lab.current_session(), scale=0.05)"),
        new_code_cell("%sql CREATE TABLE crm.people AS SELECT range AS id, "
                      "'user' || range || '@example.org' AS contact FROM range(5000)"),
        new_code_cell("%maintain crm.people"),
    ]  # fmt: skip
    NotebookClient(nb, timeout=120, kernel_name="neurolake").execute()
    expected = [
        ["loading the retail demo: 100%"],
        ["writing crm.people: 100%", "classifying PII in crm.people: 100%"],
        ["maintaining crm.people: 100%"],
    ]
    # the bars' final state is in the notebook's saved widget state (updates go over comms)
    models = nb.metadata.widgets["application/vnd.jupyter.widget-state+json"]["state"]
    texts = [str(m["state"].get("value")).replace("\u2007", " ") for m in models.values()]
    for cell, bars in zip(nb.cells, expected, strict=True):
        views = [
            o.data["application/vnd.jupyter.widget-view+json"]["model_id"]
            for o in cell.outputs
            if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
        ]
        assert len(views) == len(bars), cell.source
        assert all(models[v]["model_name"] == "HBoxModel" for v in views)
        for label in bars:
            assert any(label in t for t in texts), (label, texts)
        assert not [o for o in cell.outputs if o.get("name") == "stderr"]

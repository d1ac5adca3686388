"""Every example in docs/guide.md runs: python/ipython blocks in order on the NeuroLake kernel (on a
workspace with the demo data), bash blocks as commands, toml blocks as a workspace's settings.

``shell`` blocks are the set-up commands (``make lab``, ``make test``) that CI itself runs.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

import neurolake_lab
from neurolake_lab.demo import load_retail

pytestmark = pytest.mark.slow
GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guide.md"
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)
RUNS = {"python", "ipython", "bash", "toml", "shell"}


def blocks(kind: str) -> list[str]:
    return [body for lang, body in BLOCK.findall(GUIDE.read_text()) if lang == kind]


def test_every_block_is_of_a_kind_the_test_runs() -> None:
    kinds = {lang for lang, _ in BLOCK.findall(GUIDE.read_text())}
    assert kinds <= RUNS, kinds - RUNS
    assert len(blocks("python")) + len(blocks("ipython")) >= 25


def test_guide_is_linked_from_the_readme() -> None:
    readme = (GUIDE.parents[1] / "README.md").read_text()
    assert "(docs/guide.md)" in readme


def test_notebook_examples_run(workspace: Path) -> None:
    with neurolake_lab.connect(workspace) as session:
        load_retail(session)
    cells = [
        body for lang, body in BLOCK.findall(GUIDE.read_text()) if lang in ("python", "ipython")
    ]
    nb = new_notebook(metadata={"kernelspec": {"name": "neurolake", "display_name": "NeuroLake"}})
    nb.cells = [new_code_cell(body.rstrip("\n")) for body in cells]
    os.environ["NEUROLAKE_WORKSPACE"] = str(workspace)  # the kernel inherits it (monkeypatched env)
    NotebookClient(nb, timeout=120, kernel_name="neurolake", allow_errors=True,
                   resources={"metadata": {"path": str(workspace)}}).execute()  # fmt: skip
    nbformat.write(
        nb, Path(__file__).resolve().parents[2] / "test-artifacts" / "guide.executed.ipynb"
    )
    for cell in nb.cells:
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert not errors, (cell.source, [(e.ename, e.evalue) for e in errors])
        assert not [o for o in cell.outputs if o.get("name") == "stderr"], cell.source
        values = [
            o.data.get("text/plain", "") for o in cell.outputs if o.output_type == "execute_result"
        ]
        assert "False" not in values and not any(v.startswith("(False") for v in values), (
            cell.source
        )
    texts = {c.source.splitlines()[0]: c for c in nb.cells}
    no_pii = texts["%%sql -o top_channels --no-pii"]
    assert "@" not in str(no_pii.outputs[-1].data["text/plain"])
    troubleshoot = next(c for c in nb.cells if "retail.ordrs" in c.source)
    assert troubleshoot.outputs[-1].data["text/plain"] == "True"


def test_shell_commands_run(tmp_path: Path) -> None:
    env = {**os.environ, "NEUROLAKE_WORKSPACE": str(tmp_path / "ws")}
    neurolake = [sys.executable, "-m", "neurolake_lab.cli"]
    commands = [line for body in blocks("bash") for line in body.splitlines() if line.strip()]
    assert len(commands) >= 4
    for line in commands:
        words = shlex.split(line, comments=True)
        assert words[0] == "neurolake", line
        run = subprocess.run(
            [*neurolake, *words[1:]], cwd=tmp_path, env=env, capture_output=True, text=True
        )
        assert run.returncode == 0, (line, run.stderr)
    assert (tmp_path / "demo-notebooks" / "tour.ipynb").exists()


def test_toml_settings_load(tmp_path: Path) -> None:
    (text,) = blocks("toml")
    with neurolake_lab.connect(tmp_path) as session:  # creates neurolake.toml with the owner
        owner = session.settings.owner
    settings_file = tmp_path / "neurolake.toml"
    settings_file.write_text(settings_file.read_text() + "\n" + text)
    expected = tomllib.loads(text)
    with neurolake_lab.connect(tmp_path) as session:
        settings = session.settings
        assert settings.owner == owner
        for key, value in expected.items():
            assert getattr(settings, key, None) == value or settings.extra.get(key) == value, key

"""``bench/nl_eval.py --sets test2`` reports figures and never shows which held-out question failed.

The second held-out set is sealed so that whoever tunes the planner cannot look at it: the
script prints only the per-schema figures, keeps per-question outcomes out of ``--json``, and
writes them only to a JSON file in the artifacts folder (``test-artifacts/``, git-ignored).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import nl_eval

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


def test_the_second_held_out_set_is_measured_but_not_shown(tmp_path: Path) -> None:
    items = nl_eval.questions("klinik", "test2")
    summary_path = tmp_path / "summary.json"
    run = subprocess.run(
        [sys.executable, str(REPO / "bench" / "nl_eval.py"), "--schemas", "klinik",
         "--sets", "test2", "--artifacts", str(tmp_path / "artifacts"),
         "--json", str(summary_path)],
        capture_output=True, text=True, timeout=900, cwd=REPO,
        env={**os.environ, "NEUROLAKE_LLM": "offline"},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    printed = run.stdout + run.stderr
    assert "test2 accuracy" in printed and "correct refusals" in printed
    leaked = [i["id"] for i in items if i["id"] in printed or i["question"] in printed]
    assert not leaked, leaked
    summary = json.loads(summary_path.read_text())["schemas"]["klinik"]["test2"]
    assert "outcomes" not in summary
    assert summary["answerable"] + summary["unanswerable"] == len(items)
    sealed = json.loads((tmp_path / "artifacts" / "nl_eval_test2_offline.json").read_text())
    assert sealed["set"] == "test2"
    outcomes = sealed["schemas"]["klinik"]["outcomes"]
    assert sorted(o["id"] for o in outcomes) == sorted(i["id"] for i in items)
    assert [o["verdict"] for o in outcomes].count("correct") == summary["correct"]

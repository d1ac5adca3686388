"""``bench/nl_eval.py`` on a sealed held-out set prints figures, never which question failed.

The later held-out sets (``test2``, ``test3``: :data:`tests.support.nl_eval.SEALED_SETS`) are
sealed so that whoever tunes the planner cannot look at them: the script prints only the
per-schema figures, keeps per-question outcomes out of ``--json``, and writes them only to a JSON
file per set in the artifacts folder (``test-artifacts/``, git-ignored).
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


def test_the_sealed_held_out_sets_are_measured_but_not_shown(tmp_path: Path) -> None:
    assert set(nl_eval.SEALED_SETS) == {"test2", "test3"}
    assert set(nl_eval.SEALED_SETS) <= set(nl_eval.HELD_OUT)
    summary_path = tmp_path / "summary.json"
    run = subprocess.run(
        [sys.executable, str(REPO / "bench" / "nl_eval.py"), "--schemas", "klinik",
         "--sets", ",".join(nl_eval.SEALED_SETS), "--show-test",
         "--artifacts", str(tmp_path / "artifacts"), "--json", str(summary_path)],
        capture_output=True, text=True, timeout=1800, cwd=REPO,
        env={**os.environ, "NEUROLAKE_LLM": "offline"},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    printed = run.stdout + run.stderr
    for split in nl_eval.SEALED_SETS:
        items = nl_eval.questions("klinik", split)
        assert f"{split} accuracy" in printed
        leaked = [i["id"] for i in items if i["id"] in printed or i["question"] in printed]
        assert not leaked, (split, leaked)
        summary = json.loads(summary_path.read_text())["schemas"]["klinik"][split]
        assert "outcomes" not in summary
        assert summary["answerable"] + summary["unanswerable"] == len(items)
        sealed = json.loads((tmp_path / "artifacts" / f"nl_eval_{split}_offline.json").read_text())
        assert sealed["set"] == split
        outcomes = sealed["schemas"]["klinik"]["outcomes"]
        assert sorted(o["id"] for o in outcomes) == sorted(i["id"] for i in items)
        correct = sum(o["verdict"] == "correct" for o in outcomes)
        assert correct == summary["correct"], split

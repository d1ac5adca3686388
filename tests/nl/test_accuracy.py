"""Execution accuracy at the issue's threshold (85%) on question sets, scored by result sets.

The dev set (``../shared/nl-dev-questions.jsonl``, copied to ``data/``) is asked on the demo
loaded at seed 7 — never the seed the planner was written against (42). The project's own sets:
50 retail questions, 30 retail paraphrases and 15 more written later, 53 questions on the HR
schema (``tests/support/hr_data.py``) and 15 on a logistics schema with no semantic definitions
(``tests/support/logistics_data.py``). How each scored when first run, before the planner was
adjusted to it, is in ``bench/README.md``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from neurolake_lab.session import Session
from tests.support.nl_accuracy import load_items, score

pytestmark = pytest.mark.slow
DATA = Path(__file__).resolve().parent / "data"
BENCH = Path(__file__).resolve().parents[2] / "bench"
THRESHOLD = 0.85


def test_dev_set_at_seed_7(retail: Session) -> None:
    result = score(retail, load_items(DATA / "nl-dev-questions.jsonl"))
    assert result.total == 20
    assert result.accuracy >= THRESHOLD, result.failures


@pytest.mark.parametrize(
    "name",
    ["nl_questions_retail.jsonl", "nl_questions_paraphrase.jsonl", "nl_questions_blind.jsonl"],
)
def test_own_retail_sets(retail: Session, name: str) -> None:
    result = score(retail, load_items(BENCH / name))
    assert result.total >= 15
    assert result.accuracy >= THRESHOLD, result.failures


@pytest.mark.parametrize("name", ["hr_questions.jsonl", "hr_questions_paraphrase.jsonl"])
def test_own_hr_sets(hr: Session, name: str) -> None:
    result = score(hr, load_items(DATA / name))
    assert result.accuracy >= THRESHOLD, result.failures


def test_logistics_a_schema_without_definitions(tmp_path_factory: pytest.TempPathFactory) -> None:
    import neurolake_lab
    from tests.support.logistics_data import load_logistics

    with neurolake_lab.connect(tmp_path_factory.mktemp("logistics")) as s:
        load_logistics(s)
        result = score(s, load_items(DATA / "logistics_questions.jsonl"))
    assert result.accuracy >= THRESHOLD, result.failures

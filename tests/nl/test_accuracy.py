"""Execution accuracy at the issue's threshold (85%) on question sets, scored by result sets.

The dev set (``data/nl-dev-questions.jsonl``, given with the project's brief) is asked on the demo
loaded at seed 7 — never the seed the planner was written against (42). The project's own sets,
each written before it was first run: 50 retail questions, 30 retail paraphrases, 15 + 8 more
retail questions; 38 + 15 + 6 questions on the HR schema (``tests/support/hr_data.py``); 15 + 6
on a logistics schema with no semantic definitions (``tests/support/logistics_data.py``). How each
set scored when first run, before the planner was adjusted to it, is in ``bench/README.md``.
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
    "names",
    [
        ["nl_questions_retail.jsonl"],
        ["nl_questions_paraphrase.jsonl"],
        ["nl_questions_blind.jsonl", "nl_questions_blind2_retail.jsonl"],
    ],
)
def test_own_retail_sets(retail: Session, names: list[str]) -> None:
    result = score(retail, [item for n in names for item in load_items(BENCH / n)])
    assert result.total >= 20
    assert result.accuracy >= THRESHOLD, result.failures


@pytest.mark.parametrize(
    "names",
    [["hr_questions.jsonl"], ["hr_questions_paraphrase.jsonl", "hr_questions_blind2.jsonl"]],
)
def test_own_hr_sets(hr: Session, names: list[str]) -> None:
    result = score(hr, [item for n in names for item in load_items(DATA / n)])
    assert result.accuracy >= THRESHOLD, result.failures


def test_logistics_a_schema_without_definitions(tmp_path_factory: pytest.TempPathFactory) -> None:
    import neurolake_lab
    from tests.support.logistics_data import load_logistics

    items = load_items(DATA / "logistics_questions.jsonl") + load_items(
        DATA / "logistics_questions_blind2.jsonl"
    )
    with neurolake_lab.connect(tmp_path_factory.mktemp("logistics")) as s:
        load_logistics(s)
        result = score(s, items)
    assert result.accuracy >= THRESHOLD, result.failures

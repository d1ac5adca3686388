"""The ``%%nl`` evaluation's question sets: the second held-out set (``test2``) stays held out.

``<schema>.test2.jsonl`` was written after the planner was tuned, by someone who read neither the
planner nor the other sets; every question of it is in the test split. These tests check its
shape (per schema 24 answerable and 6 unanswerable questions, ids and questions not shared with
the other sets) and that the loader refuses a held-out file with a question outside the test
split, so a tuning question cannot slip into it unnoticed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.support import nl_eval


def _words(question: str) -> str:
    return " ".join(re.findall(r"[a-z0-9#]+", question.lower()))


@pytest.mark.parametrize("schema", list(nl_eval.SCHEMAS))
def test_the_second_held_out_set_is_whole_and_new(schema: str) -> None:
    items = nl_eval.questions(schema, "test2")
    answerable = [i for i in items if i.get("answerable", True)]
    assert (len(answerable), len(items) - len(answerable)) == (24, 6)
    assert {i["split"] for i in items} == {"test"}
    assert all(i["sql"].strip() for i in answerable)
    assert not any("sql" in i for i in items if not i.get("answerable", True))
    others = [i for split in nl_eval.SETS if split != "test2"
              for i in nl_eval.questions(schema, split)]  # fmt: skip
    ids = [i["id"] for i in items]
    assert len(set(ids)) == len(ids)
    assert not set(ids) & {i["id"] for i in others}
    seen = {_words(i["question"]) for i in others}
    assert not [i["id"] for i in items if _words(i["question"]) in seen]


def test_a_held_out_file_with_a_dev_question_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [
        {"id": "x-1", "split": "test", "question": "How many?", "sql": "SELECT 1"},
        {"id": "x-2", "split": "dev", "question": "How many more?", "sql": "SELECT 2"},
    ]
    (tmp_path / "x.test2.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    monkeypatch.setattr(nl_eval, "DATA", tmp_path)
    with pytest.raises(ValueError, match=r"x\.test2\.jsonl is a held-out set.*x-2"):
        nl_eval.questions("x", "test2")
    (tmp_path / "x.later.jsonl").write_text(json.dumps(rows[1]) + "\n")
    assert [i["id"] for i in nl_eval.questions("x", "later")] == ["x-2"]  # a dev set may


def test_an_unknown_set_is_named() -> None:
    with pytest.raises(ValueError, match="unknown question set 'test9'"):
        nl_eval.questions("retail", "test9")

"""The ``%%nl`` evaluation's question sets: the later held-out sets (``test2``, ``test3``) stay held out.

``<schema>.test2.jsonl`` and ``<schema>.test3.jsonl`` were each written after the planner was
tuned, by someone who read neither the planner nor the other sets; every question of them is in
the test split. These tests check their shape (per schema 24 answerable and 6 unanswerable
questions, ids and questions not shared with any other set, word for word) and that the loader
refuses a held-out file with a question outside the test split, so a tuning question cannot slip
into it unnoticed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.support import nl_eval

#: the held-out sets kept in files of their own (the ``test`` split shares its file with ``dev``)
WHOLE_HELD_OUT = [s for s in nl_eval.HELD_OUT if s != "test"]


def _words(question: str) -> str:
    return " ".join(re.findall(r"[a-z0-9#]+", question.lower()))


def test_the_later_held_out_sets_are_sealed() -> None:
    assert WHOLE_HELD_OUT == ["test2", "test3"]
    assert set(WHOLE_HELD_OUT) <= set(nl_eval.SEALED_SETS)


@pytest.mark.parametrize("split", WHOLE_HELD_OUT)
@pytest.mark.parametrize("schema", list(nl_eval.SCHEMAS))
def test_a_later_held_out_set_is_whole_and_new(schema: str, split: str) -> None:
    items = nl_eval.questions(schema, split)
    answerable = [i for i in items if i.get("answerable", True)]
    assert (len(answerable), len(items) - len(answerable)) == (24, 6)
    assert {i["split"] for i in items} == {"test"}
    assert all(i["sql"].strip() for i in answerable)
    assert not any("sql" in i for i in items if not i.get("answerable", True))
    others = [i for other in nl_eval.SETS if other != split
              for i in nl_eval.questions(schema, other)]  # fmt: skip
    ids = [i["id"] for i in items]
    assert len(set(ids)) == len(ids)
    assert not set(ids) & {i["id"] for i in others}
    seen = {_words(i["question"]) for i in others}
    assert not [i["id"] for i in items if _words(i["question"]) in seen]


@pytest.mark.parametrize("split", WHOLE_HELD_OUT)
def test_a_held_out_file_with_a_dev_question_is_refused(
    split: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [
        {"id": "x-1", "split": "test", "question": "How many?", "sql": "SELECT 1"},
        {"id": "x-2", "split": "dev", "question": "How many more?", "sql": "SELECT 2"},
    ]
    (tmp_path / f"x.{split}.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    monkeypatch.setattr(nl_eval, "DATA", tmp_path)
    with pytest.raises(ValueError, match=rf"x\.{split}\.jsonl is a held-out set.*x-2"):
        nl_eval.questions("x", split)
    (tmp_path / "x.later.jsonl").write_text(json.dumps(rows[1]) + "\n")
    assert [i["id"] for i in nl_eval.questions("x", "later")] == ["x-2"]  # a dev set may


def test_an_unknown_set_is_named() -> None:
    with pytest.raises(ValueError, match="unknown question set 'test9'"):
        nl_eval.questions("retail", "test9")

"""A fast slice of the four-schema ``%%nl`` evaluation (``bench/nl_eval.py``), as a regression test.

For each schema a few dev-split questions the planner answers correctly must stay correct, and a
few more (harder ones and unanswerable ones) must never be answered wrongly: a refusal is fine, a
wrong table is not. The whole evaluation, with its test splits, runs in ``make bench``; here the
sealed held-out sets' reference SQL (``test2``, ``test3``) is only run (never the planner on it),
to keep it valid.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import neurolake_lab
from neurolake_lab.session import Session
from tests.support import nl_eval

pytestmark = pytest.mark.slow

#: schema -> (ids that must be answered correctly, ids that must not be answered wrongly)
SLICE: dict[str, tuple[list[str], list[str]]] = {
    "retail": (
        ["retail-02", "retail-03", "retail-05", "retail-08", "retail-35", "retail-43"],
        ["retail-27", "retail-u01", "retail-u05"],
    ),
    "tpch": (
        ["tpch-02", "tpch-03", "tpch-07", "tpch-22", "tpch-28", "tpch-38"],
        ["tpch-18", "tpch-u02", "tpch-u05"],
    ),
    "klinik": (
        ["klinik-01", "klinik-03", "klinik-05", "klinik-23", "klinik-27", "klinik-41"],
        ["klinik-13", "klinik-u01", "klinik-u05"],
    ),
    "flights": (
        ["flights-04", "flights-07", "flights-10", "flights-17", "flights-29", "flights-39"],
        ["flights-06", "flights-u02", "flights-u07"],
    ),
}


@pytest.fixture(scope="module", params=list(SLICE))
def loaded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           monkeypatch_module: pytest.MonkeyPatch) -> Iterator[tuple[str, Session]]:  # fmt: skip
    schema = str(request.param)
    root: Path = tmp_path_factory.mktemp(f"eval-{schema}")
    with neurolake_lab.connect(root) as session:
        nl_eval.SCHEMAS[schema](session)
        yield schema, session


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NEUROLAKE_LLM", "offline")
        yield mp


def test_slice(loaded: tuple[str, Session]) -> None:
    schema, session = loaded
    must_answer, must_not_err = SLICE[schema]
    items = {i["id"]: i for i in nl_eval.questions(schema, "dev")}
    outcomes = {i: nl_eval.judge(session, items[i]) for i in must_answer + must_not_err}
    wrong = {i: (o.detail, o.sql) for i, o in outcomes.items() if o.verdict == "wrong"}
    assert not wrong, wrong
    missed = {i: outcomes[i].detail for i in must_answer if outcomes[i].verdict != "correct"}
    assert not missed, missed


def test_the_sealed_held_out_sets_reference_sql_is_sound(loaded: tuple[str, Session]) -> None:
    schema, session = loaded
    for split in nl_eval.SEALED_SETS:  # test2 and test3
        assert not nl_eval.check_gold(session, nl_eval.questions(schema, split)), split

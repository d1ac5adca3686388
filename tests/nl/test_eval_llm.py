"""``bench/nl_eval.py --mode llm`` end to end against a local OpenAI-compatible server.

The scripted model here answers with the offline planner's SQL from its own prompt, or refuses
when the prompt says the planner could not read the question — so the test checks the path (the
planner's reading in the prompt, the model's refusal counted as a refusal, answers judged by
their results), not a model's accuracy.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

import neurolake_lab
from neurolake_lab.session import Session
from tests.support import nl_eval
from tests.support.fake_openai import FakeOpenAI

pytestmark = pytest.mark.slow


def _echo(body: dict[str, Any]) -> str:
    system = body["messages"][0]["content"]
    found = re.search(r"The offline planner read the question.*?```sql\n(.*?)\n```", system, re.S)
    if found is None:
        return "-- cannot answer: the planner could not read it either"
    return f"```sql\n{found.group(1)}\n```"


@pytest.fixture(scope="module")
def klinik(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    from tests.support.klinik_data import load_klinik

    with neurolake_lab.connect(tmp_path_factory.mktemp("klinik-llm")) as s:
        load_klinik(s)
        yield s


def test_the_llm_mode_is_judged_like_the_planner(
    klinik: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = klinik
    fake = FakeOpenAI().start()
    monkeypatch.setenv("NEUROLAKE_LLM", "openai")
    monkeypatch.setenv("NEUROLAKE_LLM_BASE_URL", fake.base_url)
    monkeypatch.setenv("NEUROLAKE_LLM_MODEL", "echo-model")
    monkeypatch.setenv("NEUROLAKE_LLM_MAX_RETRIES", "0")
    items = {i["id"]: i for i in nl_eval.questions("klinik", "dev")}
    chosen = [items[i] for i in ("klinik-03", "klinik-27", "klinik-u01", "klinik-u05")]
    fake.add(*[_echo] * len(chosen))
    summary = nl_eval.evaluate(session, chosen, mode="llm")
    assert (summary.correct, summary.wrong, summary.refused_right) == (2, 0, 2), [
        (o.item["id"], o.verdict, o.detail) for o in summary.outcomes
    ]
    assert all("echo-model" in o.explanation for o in summary.outcomes if o.verdict == "correct")
    prompt = fake.chat_requests[0].prompt_text
    assert "The offline planner read the question as follows" in prompt
    fake.close()

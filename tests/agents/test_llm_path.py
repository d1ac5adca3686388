"""The LLM route through the real ``openai`` client against a scripted server on 127.0.0.1:
good SQL, bad SQL then a fix, no fix after three tries, timeouts, a refused key, malformed
answers, writes refused, and what the prompts carry (never PII values, no values by default)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from neurolake_lab.agents import orchestrator_for
from neurolake_lab.exceptions import LLMAuthError, LLMOutputError, LLMTimeoutError
from neurolake_lab.session import Session
from tests.support.fake_openai import Delay, FakeOpenAI, HTTPError, Malformed

GOOD = "```sql\nSELECT country, count(*) AS n FROM retail.customers GROUP BY country\n```"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch, retail: Session) -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        monkeypatch.setenv("NEUROLAKE_LLM", "openai")
        monkeypatch.setenv("NEUROLAKE_LLM_BASE_URL", fake.base_url)
        monkeypatch.setenv("NEUROLAKE_LLM_MODEL", "fake-sql-model")
        monkeypatch.setenv("NEUROLAKE_LLM_MAX_RETRIES", "0")
        monkeypatch.setenv("NEUROLAKE_LLM_TIMEOUT", "2")
        orchestrator_for(retail).reset()
        yield fake


def test_good_sql(server: FakeOpenAI, retail: Session) -> None:
    server.add(GOOD)
    answer = retail.ask("How many customers per country?")
    assert answer.source == "llm"
    assert answer.sql == "SELECT country, count(*) AS n FROM retail.customers GROUP BY country"
    assert len(answer.result) == 12
    assert "fake-sql-model" in answer.explanation
    assert answer.intent.source == "llm" and answer.intent.entity == "retail.customers"
    assert answer.report["kind"] == "nl"
    (request,) = server.chat_requests
    assert request.body["model"] == "fake-sql-model"


def test_bad_sql_then_a_fix(server: FakeOpenAI, retail: Session) -> None:
    server.add("```sql\nSELECT countri, count(*) FROM retail.customers GROUP BY countri\n```", GOOD)
    answer = retail.ask("Customers per country")
    assert len(answer.result) == 12
    _, second = server.chat_requests
    repair = second.body["messages"][-1]["content"]
    assert "countri" in repair and "failed" in repair  # the error went back to the model
    assert second.body["messages"][-2]["role"] == "assistant"
    assert "after 2 tries" in answer.explanation


def test_no_fix_after_three_tries(server: FakeOpenAI, retail: Session) -> None:
    server.add("SELECT nope FROM retail.customers", "SELECT nope2 FROM retail.customers",
               "I am not sure what you mean.")  # fmt: skip
    with pytest.raises(LLMOutputError) as info:
        retail.ask("Customers per country")
    assert "after 3 tries" in info.value.message
    assert "NEUROLAKE_LLM=offline" in (info.value.hint or "")
    assert len(server.chat_requests) == 3
    assert server.remaining == 0


def test_writes_are_refused_and_sent_back(server: FakeOpenAI, retail: Session) -> None:
    server.add("```sql\nDELETE FROM retail.customers\n```", GOOD)
    answer = retail.ask("Customers per country")
    assert len(answer.result) == 12
    assert "read-only" in server.chat_requests[1].body["messages"][-1]["content"]
    assert retail.sql("SELECT count(*) FROM retail.customers").arrow().column(0)[0].as_py() > 0


def test_files_cannot_be_read_through_generated_sql(server: FakeOpenAI, retail: Session) -> None:
    server.add("SELECT * FROM read_csv('/etc/passwd')", GOOD)
    retail.ask("Customers per country")
    assert "read_csv" in server.chat_requests[1].body["messages"][-1]["content"]


def test_timeout(server: FakeOpenAI, retail: Session) -> None:
    server.add(Delay(5, GOOD))
    with pytest.raises(LLMTimeoutError):
        retail.ask("Customers per country")


def test_refused_key(server: FakeOpenAI, retail: Session) -> None:
    server.add(HTTPError(401, "Incorrect API key provided"))
    with pytest.raises(LLMAuthError):
        retail.ask("Customers per country")


def test_malformed_answers(server: FakeOpenAI, retail: Session) -> None:
    server.add(Malformed())
    with pytest.raises(LLMOutputError):
        retail.ask("Customers per country")


def test_prompts_carry_schema_but_no_values_by_default(server: FakeOpenAI, retail: Session) -> None:
    server.add(GOOD)
    retail.ask("Customers per country")
    prompt = server.chat_requests[0].prompt_text
    assert "TABLE retail.customers" in prompt and "churned_at DATE" in prompt
    assert "email VARCHAR [PII]" in prompt
    assert "FOREIGN KEY (customer_id) REFERENCES retail.customers(customer_id)" in prompt
    assert '"name": "revenue"' in prompt  # the workspace's definitions
    assert "values:" not in prompt  # no sampled values without the owner's consent
    _no_pii_values(retail, prompt)


def test_values_only_when_the_owner_allows(
    server: FakeOpenAI, retail: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEUROLAKE_LLM_SHARE_VALUES", "1")
    server.add(GOOD)
    retail.ask("Customers per country")
    prompt = server.chat_requests[0].prompt_text
    assert (
        "segment VARCHAR -- Customer segment: consumer, small_business or enterprise. (values:"
        in prompt
    )
    assert "'Germany'" in prompt
    _no_pii_values(retail, prompt)


def test_examples_never_carry_values_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import neurolake_lab
    from neurolake_lab.demo import load_retail

    with neurolake_lab.connect(tmp_path) as s, FakeOpenAI() as fake:
        load_retail(s, scale=0.05, seed=5)
        email = s.sql("SELECT email FROM retail.customers LIMIT 1").arrow().column(0)[0].as_py()
        orch = orchestrator_for(s)
        orch.ask("How many customers in Germany?")
        orch.accept()
        sql = f"SELECT customer_id FROM retail.customers WHERE email = '{email}'"
        orch.ask("Which customer has this email address?", sql=sql)
        orch.accept()
        monkeypatch.setenv("NEUROLAKE_LLM", "openai")
        monkeypatch.setenv("NEUROLAKE_LLM_BASE_URL", fake.base_url)
        fake.add(GOOD, GOOD)
        s.ask("How many customers are in France?")
        prompt = fake.chat_requests[0].prompt_text
        assert "How many customers in Germany?" in prompt  # the accepted question, as typed
        assert "country = '?'" in prompt and "country = 'Germany'" not in prompt
        assert email not in prompt
        monkeypatch.setenv("NEUROLAKE_LLM_SHARE_VALUES", "true")
        s.ask("How many customers are in France?")
        allowed = fake.chat_requests[1].prompt_text
        assert "country = 'Germany'" in allowed  # values allowed: kept
        assert email not in allowed  # but never a value compared with a PII column


def _no_pii_values(session: Session, prompt: str) -> None:
    rows = (
        session.sql(
            "SELECT full_name, email, phone, street_address, credit_card_number, last_login_ip "
            "FROM retail.customers LIMIT 200"
        )
        .arrow()
        .to_pylist()
    )
    for row in rows:
        for value in row.values():
            assert str(value) not in prompt


def test_a_follow_up_carries_the_previous_turn(server: FakeOpenAI, retail: Session) -> None:
    server.add(GOOD, "SELECT count(*) FROM retail.customers WHERE country = 'Germany'")
    retail.ask("Customers per country")
    answer = retail.ask("only for Germany", follow_up=True)
    assert len(answer.result) == 1
    messages = server.chat_requests[1].body["messages"]
    assert messages[-3]["content"] == "Customers per country"
    assert "GROUP BY country" in messages[-2]["content"]
    assert messages[-1]["content"].startswith("Refine the previous query: only for Germany")


def test_the_prompt_carries_the_planners_reading(server: FakeOpenAI, retail: Session) -> None:
    server.add(GOOD)
    retail.ask("How many customers churned last month in Germany?")
    prompt = server.chat_requests[0].prompt_text
    assert "The offline planner read the question as follows" in prompt
    assert "churned_at" in prompt and "'Germany'" in prompt  # typed in the question: kept


def test_planner_values_the_question_does_not_hold_are_masked(
    server: FakeOpenAI, retail: Session
) -> None:
    server.add(GOOD)
    retail.ask("How many small business customers are there?")
    prompt = server.chat_requests[0].prompt_text
    assert "The offline planner read the question as follows" in prompt
    assert "'small_business'" not in prompt and "segment = '?'" in prompt


def test_the_prompt_says_why_the_planner_could_not_read_it(
    server: FakeOpenAI, retail: Session
) -> None:
    server.add(GOOD)
    retail.ask("Which customers left a one-star review?")
    prompt = server.chat_requests[0].prompt_text
    assert "The offline planner could not read this question" in prompt and "review" in prompt


def test_the_model_can_refuse(server: FakeOpenAI, retail: Session) -> None:
    from neurolake_lab.exceptions import PlanningError

    server.add("-- cannot answer: there is no review or rating column")
    with pytest.raises(PlanningError, match="cannot answer this: there is no review"):
        retail.ask("Which customers left a one-star review?")
    assert len(server.chat_requests) == 1  # a refusal is not sent back for a repair

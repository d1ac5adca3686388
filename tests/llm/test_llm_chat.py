"""OpenAIChat through the real openai client against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import subprocess
import sys

import pytest

from neurolake_lab.exceptions import (
    LLMAuthError,
    LLMError,
    LLMOutputError,
    LLMTimeoutError,
    LLMUnavailableError,
    NeuroLakeError,
)
from neurolake_lab.llm import ChatMessage, ChatModel, OpenAIChat
from tests.support.fake_openai import Delay, FakeOpenAI, HTTPError, Malformed, Reply

KEY = "sk-test-Zq8Xw3Lr5Tn0Vb7Ym2Kd9"
QUESTION = [
    ChatMessage("system", "You write DuckDB SQL."),
    ChatMessage("user", "How many customers are there?"),
]


def chat(server: FakeOpenAI, **kwargs: object) -> OpenAIChat:
    options: dict[str, object] = {"api_key": KEY, "model": "test-model", "timeout": 5.0}
    options.update(kwargs)
    return OpenAIChat(base_url=server.base_url, backoff=0.01, **options)  # type: ignore[arg-type]


def test_good_reply_carries_text_model_usage_and_latency(fake_openai: FakeOpenAI) -> None:
    fake_openai.add("SELECT count(*) FROM customers")
    model = chat(fake_openai)
    assert isinstance(model, ChatModel)
    reply = model.complete(QUESTION, temperature=0.2, max_tokens=50, stop=["\n\n"])
    assert reply.text == "SELECT count(*) FROM customers"
    assert reply.model == "test-model"
    # the fake counts whitespace words: 4 + 5 in the prompt, 4 in the reply
    assert (reply.prompt_tokens, reply.completion_tokens) == (9, 4)
    assert reply.latency_ms > 0
    assert reply.attempts == 1 and reply.finish_reason == "stop" and not reply.truncated
    [request] = fake_openai.chat_requests
    assert request.path == "/v1/chat/completions"
    assert request.authorization == f"Bearer {KEY}"
    body = request.body
    assert body["model"] == "test-model"
    assert body["messages"] == [
        {"role": "system", "content": "You write DuckDB SQL."},
        {"role": "user", "content": "How many customers are there?"},
    ]
    assert (body["temperature"], body["max_tokens"], body["stop"]) == (0.2, 50, ["\n\n"])


def test_callable_step_answers_from_the_prompt(fake_openai: FakeOpenAI) -> None:
    def answer(request: dict) -> str:
        question = request["messages"][-1]["content"]
        table = question.split()[-1].rstrip("?")
        return f"```sql\nSELECT count(*) FROM {table};\n```"

    fake_openai.add(answer, answer)
    model = chat(fake_openai)
    assert "FROM orders;" in model.complete([ChatMessage("user", "count the rows of orders?")]).text
    assert "FROM stores;" in model.complete([ChatMessage("user", "count rows in stores")]).text
    assert [r.prompt_text for r in fake_openai.chat_requests] == [
        "count the rows of orders?",
        "count rows in stores",
    ]


def test_a_server_without_usage_or_key(fake_openai: FakeOpenAI) -> None:
    fake_openai.add(Reply("SELECT 1", usage=False, model="served-name", finish_reason="length"))
    reply = chat(fake_openai, api_key=None).complete(QUESTION)
    assert reply.prompt_tokens is None and reply.completion_tokens is None
    assert reply.model == "served-name"
    assert reply.truncated
    # local servers need no key; the client still sends a placeholder, never an empty header
    assert fake_openai.chat_requests[0].authorization == "Bearer no-key"


@pytest.mark.parametrize("status", [401, 403])
def test_refused_key_names_the_env_var_never_the_key(fake_openai: FakeOpenAI, status: int) -> None:
    # OpenAI's own 401 message quotes part of the key: it must not reach our message
    fake_openai.add(HTTPError(status, f"Incorrect API key provided: {KEY[:8]}***{KEY[-4:]}"))
    with pytest.raises(LLMAuthError) as caught:
        chat(fake_openai).complete(QUESTION)
    text = str(caught.value)
    assert "OPENAI_API_KEY" in text and f"HTTP {status}" in text
    assert fake_openai.base_url in text
    assert KEY not in text and KEY[:8] not in text and KEY[-4:] not in text
    assert len(fake_openai.chat_requests) == 1  # a refused key is not retried


def test_missing_key_says_none_is_configured(fake_openai: FakeOpenAI) -> None:
    fake_openai.add(HTTPError(401, "You didn't provide an API key."))
    with pytest.raises(LLMAuthError, match=r"needs an API key .* none is configured"):
        chat(fake_openai, api_key=None).complete(QUESTION)


def test_500_then_good_reply_is_retried(fake_openai: FakeOpenAI) -> None:
    fake_openai.add(HTTPError(500, "upstream exploded"), "SELECT 42")
    reply = chat(fake_openai).complete(QUESTION)
    assert reply.text == "SELECT 42"
    assert reply.attempts == 2
    assert len(fake_openai.chat_requests) == 2
    # the retry sends the same conversation again
    assert fake_openai.chat_requests[0].body == fake_openai.chat_requests[1].body


def test_429_is_retried_honouring_retry_after_ms(fake_openai: FakeOpenAI) -> None:
    fake_openai.add(
        HTTPError(429, "Rate limit reached", headers={"retry-after-ms": "20"}), "SELECT 7"
    )
    reply = chat(fake_openai, max_retries=1).complete(QUESTION)
    assert reply.text == "SELECT 7" and reply.attempts == 2
    assert len(fake_openai.chat_requests) == 2


def test_retries_run_out_with_a_clear_error(fake_openai: FakeOpenAI) -> None:
    fake_openai.add(*[HTTPError(503, "overloaded")] * 3, "never reached")
    with pytest.raises(LLMUnavailableError) as caught:
        chat(fake_openai, max_retries=2).complete(QUESTION)
    assert len(fake_openai.chat_requests) == 3
    text = str(caught.value)
    assert "HTTP 503" in text and "3 attempts" in text and "overloaded" in text
    assert "NEUROLAKE_LLM=offline" in text
    assert fake_openai.remaining == 1


def test_a_long_retry_after_is_reported_not_waited_on(fake_openai: FakeOpenAI) -> None:
    fake_openai.add(HTTPError(429, "slow down", headers={"retry-after": "3600"}), "SELECT 1")
    with pytest.raises(LLMUnavailableError, match="asks to wait 3600 s"):
        chat(fake_openai).complete(QUESTION)
    assert len(fake_openai.chat_requests) == 1


def test_the_script_running_out_is_a_clear_500(fake_openai: FakeOpenAI) -> None:
    with pytest.raises(LLMUnavailableError, match="no more steps"):
        chat(fake_openai, max_retries=0).complete(QUESTION)


def test_timeout_raises_and_is_not_retried(fake_openai: FakeOpenAI) -> None:
    fake_openai.add(Delay(30, "SELECT 1"), "SELECT 2")
    with pytest.raises(LLMTimeoutError) as caught:
        chat(fake_openai, timeout=0.3, max_retries=2).complete(QUESTION)
    text = str(caught.value)
    assert "within 0.3 s" in text and fake_openai.base_url in text
    assert "NEUROLAKE_LLM_TIMEOUT" in text
    assert len(fake_openai.chat_requests) == 1


def test_connection_refused_names_the_url_and_the_offline_switch(closed_port_url: str) -> None:
    model = OpenAIChat(base_url=closed_port_url, api_key=KEY, model="m", max_retries=1)
    model.endpoint.backoff = 0.01
    with pytest.raises(LLMUnavailableError) as caught:
        model.complete(QUESTION)
    text = str(caught.value)
    assert f"cannot reach the LLM endpoint at {closed_port_url}" in text
    assert "refused" in text.lower()
    assert "NEUROLAKE_LLM=offline" in text
    assert KEY not in text


def test_credentials_in_the_url_are_not_shown(closed_port_url: str) -> None:
    url = closed_port_url.replace("http://", "http://alice:hunter2@")
    model = OpenAIChat(base_url=url, api_key=None, model="m", max_retries=0)
    with pytest.raises(LLMUnavailableError) as caught:
        model.complete(QUESTION)
    assert "hunter2" not in str(caught.value) and "alice" not in str(caught.value)
    assert closed_port_url in str(caught.value)


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        (Malformed(), r"not valid JSON"),
        (Malformed('{"object": "chat.completion"}'), r"not a chat completion \(no choices\)"),
        (Malformed('{"choices": []}'), r"not a chat completion \(no choices\)"),
        (Malformed("<html>proxy error</html>", "text/html"), r"not a chat completion"),
        (Reply("   "), r"no text \(finish reason: stop\)"),
    ],
)
def test_malformed_output_is_an_output_error(
    fake_openai: FakeOpenAI, step: object, expected: str
) -> None:
    fake_openai.add(step)  # type: ignore[arg-type]
    with pytest.raises(LLMOutputError, match=expected) as caught:
        chat(fake_openai).complete(QUESTION)
    assert fake_openai.base_url in str(caught.value)
    assert len(fake_openai.chat_requests) == 1


def test_unknown_model_and_bad_request(fake_openai: FakeOpenAI) -> None:
    fake_openai.add(
        HTTPError(404, "The model `nope` does not exist"),
        HTTPError(400, "max_tokens is too large"),
    )
    model = chat(fake_openai)
    with pytest.raises(LLMError, match=r"HTTP 404.*does not exist") as caught:
        model.complete(QUESTION)
    assert "NEUROLAKE_LLM_MODEL" in str(caught.value)
    with pytest.raises(
        LLMError, match=r"refused the chat completion request \(HTTP 400\): max_tokens"
    ):
        model.complete(QUESTION)
    assert len(fake_openai.chat_requests) == 2  # neither is retried


def test_errors_are_neurolake_errors_with_a_title() -> None:
    for cls in (LLMError, LLMAuthError, LLMOutputError, LLMTimeoutError, LLMUnavailableError):
        assert issubclass(cls, NeuroLakeError)
    assert LLMAuthError("x").title != LLMError("x").title


def test_messages_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown chat role 'robot'"):
        ChatMessage("robot", "hi")
    with pytest.raises(ValueError, match="at least one message"):
        OpenAIChat(base_url="http://127.0.0.1:1/v1", api_key=None, model="m").complete([])


def test_one_client_is_reused_across_calls(fake_openai: FakeOpenAI) -> None:
    fake_openai.add("SELECT 1", "SELECT 2")
    with chat(fake_openai) as model:
        first = model.endpoint.client()
        model.complete(QUESTION)
        model.complete(QUESTION)
        assert model.endpoint.client() is first
    assert model.endpoint._client is None  # closed on exit


def test_importing_the_package_does_not_load_openai() -> None:
    code = (
        "import sys, neurolake_lab.llm as llm;"
        "llm.llm_config({}, env={'OPENAI_API_KEY': 'k'});"
        "llm.OpenAIChat(base_url=None, api_key='k', model='m');"
        "llm.LocalEmbedder().embed(['customers']);"
        "print('openai' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

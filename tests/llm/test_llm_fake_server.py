"""The fake OpenAI server itself, over plain HTTP: other test folders rely on its behaviour."""

from __future__ import annotations

import base64
import json
import struct
import urllib.error
import urllib.request

import pytest

from tests.support.fake_openai import FakeOpenAI, HTTPError, Reply, fake_vector


def post(url: str, body: object, key: str = "k") -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json", "authorization": f"Bearer {key}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_chat_shapes_both_paths_and_the_end_of_the_script() -> None:
    with FakeOpenAI(["one", Reply("two words", finish_reason="length")]) as server:
        root = f"http://127.0.0.1:{server.port}"
        body = {"model": "m", "messages": [{"role": "user", "content": "a b c"}]}
        status, first = post(f"{root}/v1/chat/completions", body)
        assert status == 200 and first["object"] == "chat.completion"
        assert first["choices"][0]["message"] == {
            "role": "assistant",
            "content": "one",
            "refusal": None,
        }
        assert first["usage"] == {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}
        status, second = post(f"{root}/chat/completions", body)
        assert second["choices"][0]["finish_reason"] == "length"
        status, end = post(f"{root}/v1/chat/completions", body)
        assert status == 500 and "no more steps" in end["error"]["message"]
        assert [r.path for r in server.requests] == [
            "/v1/chat/completions",
            "/chat/completions",
            "/v1/chat/completions",
        ]
        assert server.requests[0].authorization == "Bearer k"


def test_error_bodies_look_like_openai() -> None:
    with FakeOpenAI([HTTPError(429, "slow", headers={"retry-after": "1"})]) as server:
        status, body = post(f"{server.base_url}/chat/completions", {"messages": []})
        assert status == 429
        assert body == {
            "error": {
                "message": "slow",
                "type": "rate_limit_exceeded",
                "param": None,
                "code": "rate_limit_exceeded",
            }
        }
        status, body = post(f"{server.base_url}/models", {})
        assert status == 404 and "no route" in body["error"]["message"]


@pytest.mark.parametrize("fmt", ["float", "base64"])
def test_embeddings_in_both_encodings(fmt: str) -> None:
    with FakeOpenAI(embedding_dim=4) as server:
        status, body = post(
            f"{server.base_url}/embeddings",
            {"model": "e", "input": ["x y", "z"], "encoding_format": fmt},
        )
        assert status == 200 and [d["index"] for d in body["data"]] == [0, 1]
        raw = body["data"][1]["embedding"]
        vector = list(struct.unpack("<4f", base64.b64decode(raw))) if fmt == "base64" else raw
        assert vector == pytest.approx(fake_vector("z", 4), rel=1e-6)
        assert body["usage"]["prompt_tokens"] == 3

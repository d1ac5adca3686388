"""A real, scriptable OpenAI-compatible HTTP server on 127.0.0.1 for tests.

It speaks ``POST /v1/chat/completions`` (also ``/chat/completions``) and ``POST /v1/embeddings``
with the JSON shapes the ``openai`` client parses, so tests drive the real client over real HTTP.
Each chat request takes the next step of the test's script:

* ``str`` or :class:`Reply` — a normal completion with that text;
* a callable ``(request_json) -> str`` — answer from the prompt;
* :class:`HTTPError` — a status (401, 429, 500, ...) with an OpenAI-style error body;
* :class:`Delay` — wait (to trigger client timeouts), then take the step it wraps;
* :class:`Malformed` — a body that is not the JSON the client expects.

When the script runs out the server answers HTTP 500 saying so. Every request is recorded (path,
JSON body, headers) so tests can check what the prompts carried and which key was sent.

Usage::

    with FakeOpenAI(["SELECT 1"]) as server:
        client = OpenAI(base_url=server.base_url, api_key="k")
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    """A successful chat completion."""

    text: str
    finish_reason: str = "stop"
    usage: bool = True  # False: omit the ``usage`` object, as some local servers do
    model: str | None = None  # None: echo the model the request named


@dataclass(frozen=True)
class HTTPError:
    """An error status with the body OpenAI sends (``{"error": {...}}``)."""

    status: int
    message: str = ""
    code: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Delay:
    """Wait ``seconds`` before answering with ``then`` (cut short when the server closes)."""

    seconds: float
    then: Step = ""


@dataclass(frozen=True)
class Malformed:
    """A 200 response whose body is ``body`` verbatim (broken JSON, or JSON of the wrong shape)."""

    body: str = '{"id": "chatcmpl-broken", "choices": [{"message": '
    content_type: str = "application/json"


Step = str | Reply | HTTPError | Delay | Malformed | Callable[[dict[str, Any]], str]

_ERROR_TYPES = {
    400: ("invalid_request_error", "bad_request"),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "unsupported_country_region_territory"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("rate_limit_exceeded", "rate_limit_exceeded"),
}


@dataclass(frozen=True)
class Recorded:
    """One request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any  # the parsed JSON, or the raw text when it was not JSON

    @property
    def authorization(self) -> str | None:
        """The ``Authorization`` header as sent (e.g. ``"Bearer sk-..."``)."""
        return self.headers.get("authorization")

    @property
    def prompt_text(self) -> str:
        """Every message's content of a chat request, joined: what the model was shown."""
        if not isinstance(self.body, dict):
            return ""
        return "\n".join(str(m.get("content", "")) for m in self.body.get("messages", []))


def fake_vector(text: str, dim: int) -> list[float]:
    """A deterministic, deliberately unnormalised vector for ``text`` (the default embedding)."""
    out: list[float] = []
    counter = 0
    while len(out) < dim:
        digest = hashlib.sha256(f"{counter}:{text}".encode()).digest()
        out.extend((b - 127.5) / 12.0 for b in digest)
        counter += 1
    return out[:dim]


class FakeOpenAI:
    """The server; start it with ``with`` (or :meth:`start` / :meth:`close`).

    Args:
        script: The chat steps, consumed one per chat request (more can be added with
            :meth:`add`).
        embedding_dim: Length of the vectors ``/v1/embeddings`` returns.
        embed: ``text -> vector`` for embeddings; defaults to :func:`fake_vector`.
        embedding_script: Steps for embedding requests (errors, delays, malformed bodies), taken
            before the default answer; a ``str`` or :class:`Reply` step means "answer normally".
    """

    def __init__(
        self,
        script: Iterable[Step] = (),
        *,
        embedding_dim: int = 16,
        embed: Callable[[str], list[float]] | None = None,
        embedding_script: Iterable[Step] = (),
    ) -> None:
        self._steps: deque[Step] = deque(script)
        self._embedding_steps: deque[Step] = deque(embedding_script)
        self.embedding_dim = embedding_dim
        self._embed = embed or (lambda text: fake_vector(text, embedding_dim))
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle -------------------------------------------------------------------------------

    def start(self) -> FakeOpenAI:
        """Bind 127.0.0.1 on a free port and serve in a background thread."""
        handler = _make_handler(self)
        server = _QuietServer(("127.0.0.1", 0), handler)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},  # so close() returns at once
            name="fake-openai",
            daemon=True,
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving; delays in progress end at once."""
        self._closing.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def port(self) -> int:
        """The port the server listens on."""
        assert self._server is not None, "server not started"
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/v1``, what the openai client takes as ``base_url``."""
        return f"http://127.0.0.1:{self.port}/v1"

    # -- script and records -----------------------------------------------------------------------

    def add(self, *steps: Step) -> None:
        """Append chat steps to the script."""
        with self._lock:
            self._steps.extend(steps)

    @property
    def remaining(self) -> int:
        """Chat steps not used yet."""
        with self._lock:
            return len(self._steps)

    @property
    def chat_requests(self) -> list[Recorded]:
        """The chat-completion requests received, in order."""
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/chat/completions")]

    @property
    def embedding_requests(self) -> list[Recorded]:
        """The embedding requests received, in order."""
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/embeddings")]

    def _record(self, request: Recorded) -> None:
        with self._lock:
            self.requests.append(request)

    def _next_step(self, embeddings: bool) -> Step | None:
        with self._lock:
            queue = self._embedding_steps if embeddings else self._steps
            return queue.popleft() if queue else None


class _QuietServer(ThreadingHTTPServer):
    """Threads are daemons; a client that hung up (after its timeout) is not an error."""

    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        exc = sys.exc_info()[1]
        if isinstance(exc, (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)):
            return
        super().handle_error(request, client_address)


def _make_handler(owner: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length).decode("utf-8", errors="replace")
            try:
                body: Any = json.loads(raw) if raw else None
            except json.JSONDecodeError:
                body = raw
            path = self.path.split("?", 1)[0]
            owner._record(
                Recorded("POST", path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            if path in ("/v1/chat/completions", "/chat/completions"):
                self._answer(owner._next_step(embeddings=False), body, embeddings=False)
            elif path in ("/v1/embeddings", "/embeddings"):
                step = owner._next_step(embeddings=True)
                self._answer("" if step is None else step, body, embeddings=True)
            else:
                self._error(HTTPError(404, f"no route for POST {path}", code="unknown_url"))

        def _answer(self, step: Step | None, body: Any, *, embeddings: bool) -> None:
            while isinstance(step, Delay):
                owner._closing.wait(step.seconds)
                step = step.then
            if step is None:
                self._error(HTTPError(500, "fake server: the test's script has no more steps"))
            elif isinstance(step, HTTPError):
                self._error(step)
            elif isinstance(step, Malformed):
                self._send(200, step.body.encode(), step.content_type)
            elif embeddings:
                self._send_json(200, _embedding_response(owner, body))
            else:
                reply = step if isinstance(step, Reply) else Reply(_text_of(step, body))
                self._send_json(200, _chat_response(reply, body))

        def _error(self, err: HTTPError) -> None:
            kind, code = _ERROR_TYPES.get(err.status, ("server_error", "server_error"))
            payload = {
                "error": {
                    "message": err.message or f"fake server error {err.status}",
                    "type": kind,
                    "param": None,
                    "code": err.code or code,
                }
            }
            self._send_json(err.status, payload, err.headers)

        def _send_json(
            self, status: int, payload: Any, headers: Mapping[str, str] | None = None
        ) -> None:
            self._send(status, json.dumps(payload).encode(), "application/json", headers)

        def _send(
            self,
            status: int,
            data: bytes,
            content_type: str,
            headers: Mapping[str, str] | None = None,
        ) -> None:
            self.send_response(status)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(data)))
            self.send_header("x-request-id", f"req_fake_{len(owner.requests)}")
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler


def _text_of(step: Step, body: Any) -> str:
    if callable(step):
        return step(body if isinstance(body, dict) else {})
    assert isinstance(step, str), f"not a chat step: {step!r}"
    return step


def _count_tokens(text: str) -> int:
    """Whitespace words: a stand-in tokenizer, deterministic so tests can check the counts."""
    return len(text.split())


def _chat_response(reply: Reply, request: Any) -> dict[str, Any]:
    request = request if isinstance(request, dict) else {}
    prompt = "\n".join(str(m.get("content", "")) for m in request.get("messages", []))
    prompt_tokens, completion_tokens = _count_tokens(prompt), _count_tokens(reply.text)
    response: dict[str, Any] = {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": reply.model or request.get("model", "fake-model"),
        "system_fingerprint": "fp_fake",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply.text, "refusal": None},
                "logprobs": None,
                "finish_reason": reply.finish_reason,
            }
        ],
    }
    if reply.usage:
        response["usage"] = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
    return response


def _embedding_response(owner: FakeOpenAI, request: Any) -> dict[str, Any]:
    request = request if isinstance(request, dict) else {}
    inputs = request.get("input", [])
    texts = [inputs] if isinstance(inputs, str) else [str(t) for t in inputs]
    as_base64 = request.get("encoding_format") == "base64"
    data = []
    for i, text in enumerate(texts):
        vector = owner._embed(text)
        encoded: Any = (
            base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
            if as_base64
            else vector
        )
        data.append({"object": "embedding", "index": i, "embedding": encoded})
    tokens = sum(_count_tokens(t) for t in texts)
    return {
        "object": "list",
        "data": data,
        "model": request.get("model", "fake-embedding"),
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }

"""A :class:`ChatModel` backed by any OpenAI-compatible chat-completions endpoint.

OpenAI itself, vLLM, llama.cpp's server and Ollama all speak ``POST /v1/chat/completions``; the
``openai`` client (loaded on first use) does the HTTP, :class:`Endpoint` the retries and errors.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from neurolake_lab.exceptions import LLMOutputError
from neurolake_lab.llm.base import ChatMessage, ChatModel, ChatReply
from neurolake_lab.llm.endpoint import Endpoint, usage_tokens

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletionMessageParam


class OpenAIChat(ChatModel):
    """Chat completions from an OpenAI-compatible endpoint.

    Args:
        base_url: The API root (e.g. ``http://localhost:11434/v1``); None: OpenAI's API.
        api_key: The key; None for local servers that need none (a placeholder is sent).
        model: The model to ask, e.g. ``"gpt-4o-mini"``.
        timeout: Seconds to wait for one request; a timeout is not retried.
        max_retries: Retries on 429, 5xx and connection errors, with exponential back-off.
        backoff: First back-off delay in seconds (doubles per retry).

    Example:
        >>> chat = OpenAIChat(base_url="http://127.0.0.1:8000/v1", api_key=None, model="m")
        >>> chat.name
        'm'
    """

    def __init__(
        self,
        *,
        base_url: str | None,
        api_key: str | None,
        model: str,
        timeout: float = 30.0,
        max_retries: int = 2,
        backoff: float = 0.5,
    ) -> None:
        self.name = model
        self.model = model
        self.endpoint = Endpoint(
            base_url=base_url,
            api_key=api_key,
            timeout=timeout,
            max_retries=max_retries,
            backoff=backoff,
        )

    def __repr__(self) -> str:
        return f"OpenAIChat(model={self.model!r}, endpoint={self.endpoint!r})"

    def close(self) -> None:
        """Close the HTTP connection pool (a new one opens on the next call)."""
        self.endpoint.close()

    def __enter__(self) -> OpenAIChat:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        temperature: float = 0.0,
        max_tokens: int | None = None,
        stop: Sequence[str] | None = None,
    ) -> ChatReply:
        """Send ``messages`` and return the first choice's text with its usage and latency.

        Raises:
            LLMUnavailableError: The endpoint cannot be reached or keeps failing.
            LLMAuthError: The endpoint refused the key.
            LLMTimeoutError: No answer within the timeout.
            LLMOutputError: The answer is not a chat completion with text in it.
            LLMError: Another refusal (unknown model, bad request).
        """
        if not messages:
            raise ValueError("complete() needs at least one message")
        payload = cast(
            "list[ChatCompletionMessageParam]",
            [{"role": m.role, "content": m.content} for m in messages],
        )
        options: dict[str, Any] = {"temperature": temperature}
        if max_tokens is not None:
            options["max_tokens"] = max_tokens
        if stop:
            options["stop"] = list(stop)
        started = time.perf_counter()
        response, attempts = self.endpoint.call(
            lambda client: client.chat.completions.create(
                model=self.model, messages=payload, **options
            ),
            what="chat completion",
        )
        latency_ms = (time.perf_counter() - started) * 1000.0
        return self._reply(response, latency_ms, attempts)

    def _reply(self, response: Any, latency_ms: float, attempts: int) -> ChatReply:
        where = f"the LLM endpoint at {self.endpoint.url}"
        choices = getattr(response, "choices", None)
        if not isinstance(choices, list) or not choices:
            raise LLMOutputError(
                f"{where} answered with something that is not a chat completion "
                f"(no choices): {_preview(response)}"
            )
        choice = choices[0]
        message = getattr(choice, "message", None)
        text = getattr(message, "content", None)
        finish = getattr(choice, "finish_reason", None)
        if not isinstance(text, str) or not text.strip():
            refusal = getattr(message, "refusal", None)
            if refusal:
                raise LLMOutputError(f"the model {self.model!r} refused: {str(refusal)[:300]}")
            raise LLMOutputError(
                f"{where} sent a chat completion with no text (finish reason: {finish})"
            )
        usage = getattr(response, "usage", None)
        return ChatReply(
            text=text,
            model=str(getattr(response, "model", None) or self.model),
            prompt_tokens=usage_tokens(usage, "prompt_tokens"),
            completion_tokens=usage_tokens(usage, "completion_tokens"),
            latency_ms=latency_ms,
            finish_reason=str(finish) if finish is not None else None,
            attempts=attempts,
        )


def _preview(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text[:200] + ("..." if len(text) > 200 else "")

"""The one interface every language model behind NeuroLake implements.

The agents speak only :class:`ChatModel`; which endpoint answers (OpenAI, vLLM, llama.cpp, Ollama,
or a test server) is a matter of configuration (:mod:`neurolake_lab.llm.config`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

#: The roles the chat-completions API accepts in a message we send.
ROLES = frozenset({"system", "user", "assistant"})


@dataclass(frozen=True)
class ChatMessage:
    """One message of a conversation: ``role`` is ``"system"``, ``"user"`` or ``"assistant"``."""

    role: str
    content: str

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown chat role {self.role!r}; use one of {sorted(ROLES)}")


@dataclass(frozen=True)
class ChatReply:
    """What the model answered, with what it cost.

    Attributes:
        text: The reply's content.
        model: The model that answered, as the endpoint reports it.
        prompt_tokens: Tokens in the prompt, when the endpoint reports usage.
        completion_tokens: Tokens in the reply, when the endpoint reports usage.
        latency_ms: Wall time of the whole call, retries and back-off included.
        finish_reason: Why generation stopped (``"stop"``, ``"length"`` when cut at
            ``max_tokens``, ...), when reported.
        attempts: How many HTTP requests the call took (1 when the first one succeeded).
    """

    text: str
    model: str
    prompt_tokens: int | None
    completion_tokens: int | None
    latency_ms: float
    finish_reason: str | None = None
    attempts: int = 1

    @property
    def truncated(self) -> bool:
        """True when the reply was cut off at ``max_tokens``."""
        return self.finish_reason == "length"


@runtime_checkable
class ChatModel(Protocol):
    """A chat model: messages in, one reply out."""

    name: str

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        temperature: float = 0.0,
        max_tokens: int | None = None,
        stop: Sequence[str] | None = None,
    ) -> ChatReply:
        """Answer the conversation ``messages``.

        Raises:
            LLMUnavailableError: The endpoint cannot be reached or keeps failing.
            LLMAuthError: The endpoint refused the key.
            LLMTimeoutError: No answer within the configured timeout.
            LLMOutputError: The answer is not a usable completion.
        """
        ...

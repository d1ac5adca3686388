"""One OpenAI-compatible endpoint: the ``openai`` client, retries with back-off, and our errors.

Chat and embeddings both go through :meth:`Endpoint.call`, so they share one retry policy and
one mapping of the client's exceptions to :class:`~neurolake_lab.exceptions.LLMError` subclasses.

The retry loop is ours, not the client's ``max_retries``, on purpose: the client also retries a
request that timed out, so a cell would wait ``(max_retries + 1) x timeout`` (90 s with the
defaults) before saying anything, and it honours a ``Retry-After`` of up to two minutes. Here a
timeout is reported at once, and a server that asks for a long wait is reported instead of
waited on; 429, 5xx, 408/409 and connection errors are retried with exponential back-off.
"""

from __future__ import annotations

import json
import math
import random
import re
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from neurolake_lab.exceptions import (
    LLMAuthError,
    LLMError,
    LLMOutputError,
    LLMTimeoutError,
    LLMUnavailableError,
)

if TYPE_CHECKING:
    import openai

T = TypeVar("T")

#: Sent when an endpoint needs no key (vLLM, llama.cpp, Ollama): the client insists on one.
PLACEHOLDER_KEY = "no-key"
#: Where the key comes from, for messages (the key itself is never shown).
KEY_SOURCES = "OPENAI_API_KEY (or llm_api_key in neurolake.toml)"
OFFLINE_HINT = "Set NEUROLAKE_LLM=offline to use the offline planner instead."

_RETRY_STATUSES = frozenset({408, 409, 429})
_SECRET_PATTERN = re.compile(r"\bsk-[A-Za-z0-9_\-*]{8,}")


class Endpoint:
    """An OpenAI-compatible endpoint and how to call it.

    Args:
        base_url: The API root, e.g. ``http://localhost:8000/v1``; None: the client's default
            (``$OPENAI_BASE_URL``, else OpenAI's API).
        api_key: The key; None for servers that need none.
        timeout: Seconds to wait for one HTTP request (connect, read, write each).
        max_retries: Retries after the first attempt on 429, 5xx and connection errors.
        backoff: First back-off delay in seconds; it doubles per retry, up to ``max_backoff``.
        max_backoff: Longest back-off delay.
        max_retry_after: Longest ``Retry-After`` a server may ask for; a longer one is reported
            as the endpoint being unavailable instead of waited on.
    """

    def __init__(
        self,
        *,
        base_url: str | None,
        api_key: str | None,
        timeout: float = 30.0,
        max_retries: int = 2,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        max_retry_after: float = 20.0,
    ) -> None:
        if timeout <= 0:
            raise LLMError(f"the LLM timeout must be positive, not {timeout}")
        if max_retries < 0:
            raise LLMError(f"the LLM retry count must be 0 or more, not {max_retries}")
        self._base_url = base_url
        self._api_key = api_key
        self.timeout = float(timeout)
        self.max_retries = int(max_retries)
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self._client: openai.OpenAI | None = None

    def __repr__(self) -> str:
        return f"Endpoint(url={self.url!r}, timeout={self.timeout}, max_retries={self.max_retries})"

    @property
    def has_key(self) -> bool:
        """Whether a real key (not the placeholder) is sent."""
        return bool(self._api_key)

    @property
    def url(self) -> str:
        """The API root, safe to show: no user name, password or query string."""
        raw = self._base_url if self._base_url else str(self.client().base_url)
        return safe_url(raw)

    def client(self) -> openai.OpenAI:
        """The ``openai`` client, made on first use (the library loads only then)."""
        if self._client is None:
            import openai

            self._client = openai.OpenAI(
                base_url=self._base_url,
                api_key=self._api_key or PLACEHOLDER_KEY,
                timeout=self.timeout,
                max_retries=0,  # retries are ours (see the module docstring)
            )
        return self._client

    def close(self) -> None:
        """Close the client's connection pool."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def call(self, request: Callable[[openai.OpenAI], T], *, what: str) -> tuple[T, int]:
        """Run ``request(client)`` with retries; return its result and the number of attempts.

        Args:
            request: One API call on the client, e.g. ``lambda c: c.embeddings.create(...)``.
            what: What the call is for, in messages ("chat completion", "embeddings").

        Raises:
            LLMUnavailableError: Unreachable, or 429/5xx on every attempt.
            LLMAuthError: HTTP 401 or 403.
            LLMTimeoutError: No answer within ``timeout`` seconds.
            LLMOutputError: The response body is not JSON.
            LLMError: Any other refusal (unknown model, bad request).
        """
        import openai

        client = self.client()
        attempts = 0
        while True:
            attempts += 1
            try:
                return request(client), attempts
            except openai.APITimeoutError:
                raise LLMTimeoutError(
                    f"the LLM endpoint at {self.url} did not answer the {what} request within "
                    f"{self.timeout:g} s",
                    hint="Raise NEUROLAKE_LLM_TIMEOUT, or set NEUROLAKE_LLM=offline.",
                ) from None
            except openai.APIConnectionError as exc:
                error: LLMError = LLMUnavailableError(
                    f"cannot reach the LLM endpoint at {self.url}: {self._reason(exc)}",
                    hint=f"Check that the server is running and the URL is right. {OFFLINE_HINT}",
                )
                wait = self._backoff(attempts)
            except openai.APIStatusError as exc:
                error = self._status_error(exc, what, attempts)
                if not _retryable(exc.status_code):
                    raise error from None
                asked = _retry_after(exc.response.headers)
                if asked is not None and asked > self.max_retry_after:
                    raise LLMUnavailableError(
                        f"{error.message}; it asks to wait {asked:g} s before trying again",
                        hint=OFFLINE_HINT,
                    ) from None
                wait = asked if asked is not None and asked >= 0 else self._backoff(attempts)
            except json.JSONDecodeError as exc:
                raise LLMOutputError(
                    f"the LLM endpoint at {self.url} answered the {what} request with a body "
                    f"that is not valid JSON ({exc.msg} at character {exc.pos})",
                    hint="Check that NEUROLAKE_LLM_BASE_URL points at an OpenAI-compatible API "
                    "(it usually ends in /v1).",
                ) from None
            except openai.APIResponseValidationError as exc:
                raise LLMOutputError(
                    f"the LLM endpoint at {self.url} answered the {what} request in an "
                    f"unexpected shape: {self._scrub(exc.message)}"
                ) from None
            if attempts > self.max_retries:
                raise error from None
            time.sleep(wait)

    def _status_error(self, exc: openai.APIStatusError, what: str, attempts: int) -> LLMError:
        status = exc.status_code
        where = f"the LLM endpoint at {self.url}"
        if status in (401, 403):
            # The server's own message is not shown: OpenAI's quotes part of the key.
            if self.has_key:
                return LLMAuthError(
                    f"{where} refused the API key (HTTP {status})",
                    hint=f"Set a valid key in {KEY_SOURCES}. {OFFLINE_HINT}",
                )
            return LLMAuthError(
                f"{where} needs an API key (HTTP {status}) and none is configured",
                hint=f"Set the key in {KEY_SOURCES}. {OFFLINE_HINT}",
            )
        detail = self._server_message(exc)
        if _retryable(status):
            tries = f" ({attempts} attempts)" if attempts > 1 else ""
            return LLMUnavailableError(
                f"{where} failed the {what} request with HTTP {status}{tries}: {detail}",
                hint=OFFLINE_HINT,
            )
        if status == 404:
            return LLMError(
                f"{where} answered HTTP 404 to the {what} request: {detail}",
                hint="Check NEUROLAKE_LLM_MODEL (or NEUROLAKE_EMBEDDINGS_MODEL) names a model it "
                "serves, and that the base URL is the API root (it usually ends in /v1).",
            )
        return LLMError(f"{where} refused the {what} request (HTTP {status}): {detail}")

    def _server_message(self, exc: openai.APIStatusError) -> str:
        body = exc.body
        message = body.get("message") if isinstance(body, Mapping) else body
        text = str(message).strip() if message else "no message"
        return self._scrub(text[:300])

    def _reason(self, exc: Exception) -> str:
        cause = exc.__cause__ or exc.__context__
        text = str(cause) if cause is not None and str(cause) else str(exc)
        return self._scrub(text[:300])

    def _scrub(self, text: str) -> str:
        """``text`` without the API key or anything that looks like one."""
        if self._api_key and len(self._api_key) >= 4:
            text = text.replace(self._api_key, "***")
        return _SECRET_PATTERN.sub("sk-***", text)

    def _backoff(self, attempts: int) -> float:
        delay = min(self.backoff * 2.0 ** (attempts - 1), self.max_backoff)
        return delay * random.uniform(0.75, 1.0)  # jitter spreads out clients that failed together


def safe_url(url: str) -> str:
    """``url`` without credentials, query or fragment, and without a trailing slash.

    Example:
        >>> safe_url("http://alice:secret@llm.internal:8000/v1/?key=abc")
        'http://llm.internal:8000/v1'
        >>> safe_url("https://[::1]:8443/v1")
        'https://[::1]:8443/v1'
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid URL>"
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"  # IPv6
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))


def _retryable(status: int) -> bool:
    return status in _RETRY_STATUSES or status >= 500


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds a ``retry-after-ms`` / ``retry-after`` header asks for (None when absent)."""
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) / scale
        except ValueError:
            continue  # an HTTP date: rare from LLM servers; fall back to back-off
        if math.isfinite(seconds):
            return seconds
        return math.inf
    return None


def usage_tokens(usage: Any, name: str) -> int | None:
    """``usage.<name>`` as an int, or None when the endpoint did not report it."""
    value = getattr(usage, name, None) if usage is not None else None
    return int(value) if isinstance(value, int | float) else None

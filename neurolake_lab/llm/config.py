"""Which language model and embeddings a session uses, from the environment and neurolake.toml.

The LLM is used only when an endpoint or a key is configured; otherwise everything runs offline
(the schema-grounded planner, the local embedding). Environment variables win over
``neurolake.toml``, as for every other setting:

==============================  ============================  ===============================
environment                     neurolake.toml                meaning
==============================  ============================  ===============================
``NEUROLAKE_LLM``               ``llm``                       ``offline`` forces offline;
                                                              ``openai`` requires an endpoint
``NEUROLAKE_LLM_BASE_URL``      ``llm_base_url``              API root, e.g. ``.../v1``
``OPENAI_API_KEY``              ``llm_api_key``               the key (none for local servers)
``NEUROLAKE_LLM_MODEL``         ``llm_model``                 chat model (``gpt-4o-mini``)
``NEUROLAKE_LLM_TIMEOUT``       ``llm_timeout``               seconds per request (30)
``NEUROLAKE_LLM_MAX_RETRIES``   ``llm_max_retries``           retries on 429/5xx (2)
``NEUROLAKE_EMBEDDINGS_MODEL``  ``llm_embeddings_model``      embeddings from the endpoint
==============================  ============================  ===============================

A key is better kept in the environment than in ``neurolake.toml``, which others may read.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from neurolake_lab.exceptions import LLMError
from neurolake_lab.llm.base import ChatModel
from neurolake_lab.llm.embeddings import Embedder, LocalEmbedder, OpenAIEmbedder
from neurolake_lab.llm.openai_chat import OpenAIChat

DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 2
MODES = ("openai", "offline")


@dataclass(frozen=True)
class LLMConfig:
    """The resolved LLM settings.

    Attributes:
        mode: ``"openai"`` (an OpenAI-compatible endpoint answers) or ``"offline"``.
        base_url: The endpoint's API root; None means OpenAI's own API (in ``openai`` mode).
        api_key: The key, or None; never shown in ``repr``.
        model: The chat model's name.
        embeddings_model: The endpoint's embeddings model, or None for the local embedding.
        timeout: Seconds to wait for one request.
        max_retries: Retries on 429, 5xx and connection errors.
    """

    mode: str
    base_url: str | None
    api_key: str | None = field(repr=False)
    model: str
    embeddings_model: str | None
    timeout: float
    max_retries: int

    @property
    def offline(self) -> bool:
        """True when no LLM is used."""
        return self.mode == "offline"

    def describe(self) -> str:
        """One line for reports: which model answers, where (never the key)."""
        if self.offline:
            return "offline planner (no LLM configured)"
        from neurolake_lab.llm.endpoint import safe_url

        where = safe_url(self.base_url) if self.base_url else "OpenAI API"
        return f"{self.model} at {where}"


def llm_config(
    settings_extra: Mapping[str, Any] | None = None, env: Mapping[str, str] = os.environ
) -> LLMConfig:
    """Resolve the LLM settings from ``env`` (which wins) and the workspace settings.

    Args:
        settings_extra: The extra keys of ``neurolake.toml`` (``Settings.extra``).
        env: The environment to read (``os.environ`` by default).

    Raises:
        LLMError: A value cannot be used (unknown mode, a base URL that is not http(s), a
            timeout that is not a positive number, ``NEUROLAKE_LLM=openai`` with no endpoint
            or key).

    Example:
        >>> llm_config({}, env={}).mode
        'offline'
        >>> llm_config({}, env={"NEUROLAKE_LLM_BASE_URL": "http://localhost:8000/v1"}).mode
        'openai'
    """
    stored = settings_extra or {}

    def pick(env_name: str, key: str) -> str | None:
        value = env.get(env_name)
        if value is not None and value.strip():
            return value.strip()
        setting = stored.get(key)
        if setting is not None and str(setting).strip():
            return str(setting).strip()
        return None

    forced = (pick("NEUROLAKE_LLM", "llm") or "").lower()
    if forced not in ("", "auto", *MODES):
        raise LLMError(
            f"unknown LLM mode {forced!r} in NEUROLAKE_LLM (or llm in neurolake.toml)",
            hint="Use 'offline', 'openai', or leave it unset (the LLM is used when configured).",
        )
    base_url = pick("NEUROLAKE_LLM_BASE_URL", "llm_base_url")
    if base_url is not None and not base_url.lower().startswith(("http://", "https://")):
        from neurolake_lab.llm.endpoint import safe_url

        raise LLMError(
            f"the LLM base URL {safe_url(base_url)!r} (NEUROLAKE_LLM_BASE_URL or llm_base_url) "
            "must start with http:// or https://",
            hint="For example http://localhost:11434/v1 (Ollama) or http://localhost:8000/v1.",
        )
    api_key = pick("OPENAI_API_KEY", "llm_api_key")
    if forced == "offline":
        mode = "offline"
    elif base_url or api_key:
        mode = "openai"
    elif forced == "openai":
        raise LLMError(
            "NEUROLAKE_LLM=openai, but no LLM endpoint or key is configured",
            hint="Set NEUROLAKE_LLM_BASE_URL (a local server) or OPENAI_API_KEY (OpenAI).",
        )
    else:
        mode = "offline"
    return LLMConfig(
        mode=mode,
        base_url=base_url,
        api_key=api_key,
        model=pick("NEUROLAKE_LLM_MODEL", "llm_model") or DEFAULT_MODEL,
        embeddings_model=pick("NEUROLAKE_EMBEDDINGS_MODEL", "llm_embeddings_model"),
        timeout=_number(
            pick("NEUROLAKE_LLM_TIMEOUT", "llm_timeout"),
            "NEUROLAKE_LLM_TIMEOUT (or llm_timeout in neurolake.toml)",
            DEFAULT_TIMEOUT,
        ),
        max_retries=int(
            _number(
                pick("NEUROLAKE_LLM_MAX_RETRIES", "llm_max_retries"),
                "NEUROLAKE_LLM_MAX_RETRIES (or llm_max_retries in neurolake.toml)",
                DEFAULT_MAX_RETRIES,
                integer=True,
            )
        ),
    )


def chat_model(config: LLMConfig) -> ChatModel | None:
    """The chat model ``config`` describes, or None in offline mode (the planner answers)."""
    if config.offline:
        return None
    return OpenAIChat(
        base_url=config.base_url,
        api_key=config.api_key,
        model=config.model,
        timeout=config.timeout,
        max_retries=config.max_retries,
    )


def embedder(config: LLMConfig) -> Embedder:
    """The endpoint's embeddings when an embeddings model is set with an endpoint, else local."""
    if config.offline or not config.embeddings_model:
        return LocalEmbedder()
    return OpenAIEmbedder(
        base_url=config.base_url,
        api_key=config.api_key,
        model=config.embeddings_model,
        timeout=config.timeout,
        max_retries=config.max_retries,
    )


def _number(raw: str | None, name: str, default: float, *, integer: bool = False) -> float:
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    ok = math.isfinite(value) and (value >= 0 if integer else value > 0)
    if not ok or (integer and value != int(value)):
        kind = "a whole number, 0 or more" if integer else "a positive number of seconds"
        raise LLMError(f"{name} must be {kind}, not {raw!r}")
    return value

"""Language models and embeddings behind ``%%nl``: one small interface, offline by default.

* :class:`ChatModel` — messages in, :class:`ChatReply` out; :class:`OpenAIChat` implements it for
  any OpenAI-compatible endpoint (OpenAI, vLLM, llama.cpp, Ollama).
* :func:`llm_config` / :func:`chat_model` — the LLM is used only when an endpoint or key is
  configured; :func:`chat_model` returns None offline, and the offline planner answers.
* :class:`Embedder` — :class:`LocalEmbedder` (deterministic, no download) by default,
  :class:`OpenAIEmbedder` when ``NEUROLAKE_EMBEDDINGS_MODEL`` is set with an endpoint.
* :func:`extract_sql` — the SQL in a model's reply.

Nothing here imports the ``openai`` package until a request is made.
"""

from neurolake_lab.llm.base import ChatMessage, ChatModel, ChatReply
from neurolake_lab.llm.config import LLMConfig, chat_model, embedder, llm_config
from neurolake_lab.llm.embeddings import Embedder, LocalEmbedder, OpenAIEmbedder
from neurolake_lab.llm.openai_chat import OpenAIChat
from neurolake_lab.llm.sql_extract import extract_sql

__all__ = [
    "ChatMessage",
    "ChatModel",
    "ChatReply",
    "Embedder",
    "LLMConfig",
    "LocalEmbedder",
    "OpenAIChat",
    "OpenAIEmbedder",
    "chat_model",
    "embedder",
    "extract_sql",
    "llm_config",
]

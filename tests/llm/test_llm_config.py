"""Resolving the LLM settings: environment over neurolake.toml, offline unless configured."""

from __future__ import annotations

import pytest

from neurolake_lab.config import Workspace, resolve_settings
from neurolake_lab.exceptions import LLMError
from neurolake_lab.llm import LocalEmbedder, OpenAIChat, OpenAIEmbedder, chat_model, embedder
from neurolake_lab.llm.config import DEFAULT_MODEL, llm_config


def test_nothing_configured_is_offline() -> None:
    config = llm_config({}, env={})
    assert config.mode == "offline" and config.offline
    assert (config.base_url, config.api_key, config.model) == (None, None, DEFAULT_MODEL)
    assert (config.timeout, config.max_retries, config.embeddings_model) == (30.0, 2, None)
    assert chat_model(config) is None
    assert isinstance(embedder(config), LocalEmbedder)
    assert config.describe().startswith("offline")


def test_a_key_alone_means_openai() -> None:
    config = llm_config(None, env={"OPENAI_API_KEY": "sk-abcdefgh12345678"})
    assert config.mode == "openai" and config.base_url is None
    model = chat_model(config)
    assert isinstance(model, OpenAIChat) and model.name == DEFAULT_MODEL
    assert config.describe() == f"{DEFAULT_MODEL} at OpenAI API"


def test_a_base_url_alone_means_openai_without_a_key() -> None:
    config = llm_config({}, env={"NEUROLAKE_LLM_BASE_URL": "http://localhost:11434/v1"})
    assert config.mode == "openai" and config.api_key is None
    assert config.describe() == f"{DEFAULT_MODEL} at http://localhost:11434/v1"


def test_env_wins_over_settings_and_settings_fill_in() -> None:
    settings = {
        "llm_base_url": "http://settings-host:8000/v1",
        "llm_api_key": "from-settings",
        "llm_model": "settings-model",
        "llm_timeout": 12,
        "llm_max_retries": 5,
        "llm_embeddings_model": "settings-embed",
    }
    env = {"NEUROLAKE_LLM_MODEL": "env-model", "NEUROLAKE_LLM_TIMEOUT": "4.5", "OPENAI_API_KEY": ""}
    config = llm_config(settings, env=env)
    assert config.base_url == "http://settings-host:8000/v1"
    assert config.api_key == "from-settings"  # an empty env var counts as unset
    assert config.model == "env-model"
    assert config.timeout == 4.5
    assert config.max_retries == 5
    assert config.embeddings_model == "settings-embed"


def test_offline_forcing_wins_over_everything() -> None:
    env = {"NEUROLAKE_LLM": "Offline", "OPENAI_API_KEY": "sk-abcdefgh12345678"}
    config = llm_config({"llm_base_url": "http://x/v1", "llm_embeddings_model": "e"}, env=env)
    assert config.mode == "offline"
    assert chat_model(config) is None
    assert isinstance(embedder(config), LocalEmbedder)
    # and from neurolake.toml alone
    assert llm_config({"llm": "offline", "llm_base_url": "http://x/v1"}, env={}).offline


def test_forcing_openai_without_an_endpoint_says_what_to_set() -> None:
    with pytest.raises(LLMError, match="NEUROLAKE_LLM=openai, but no LLM endpoint") as caught:
        llm_config({}, env={"NEUROLAKE_LLM": "openai"})
    assert "OPENAI_API_KEY" in str(caught.value) and "NEUROLAKE_LLM_BASE_URL" in str(caught.value)
    assert llm_config({}, env={"NEUROLAKE_LLM": "openai", "OPENAI_API_KEY": "k"}).mode == "openai"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"NEUROLAKE_LLM": "gpt"}, "unknown LLM mode 'gpt'"),
        ({"NEUROLAKE_LLM_TIMEOUT": "soon"}, "NEUROLAKE_LLM_TIMEOUT .* positive number"),
        ({"NEUROLAKE_LLM_TIMEOUT": "0"}, "NEUROLAKE_LLM_TIMEOUT"),
        ({"NEUROLAKE_LLM_TIMEOUT": "nan"}, "NEUROLAKE_LLM_TIMEOUT"),
        ({"NEUROLAKE_LLM_MAX_RETRIES": "1.5"}, "NEUROLAKE_LLM_MAX_RETRIES .* whole number"),
        ({"NEUROLAKE_LLM_MAX_RETRIES": "-1"}, "NEUROLAKE_LLM_MAX_RETRIES"),
        ({"NEUROLAKE_LLM_BASE_URL": "localhost:8000/v1"}, "must start with http:// or https://"),
    ],
)
def test_bad_values_are_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(LLMError, match=message):
        llm_config({}, env=env)


def test_embeddings_go_to_the_endpoint_only_when_a_model_is_set() -> None:
    env = {"NEUROLAKE_LLM_BASE_URL": "http://127.0.0.1:9/v1"}
    assert isinstance(embedder(llm_config({}, env=env)), LocalEmbedder)
    remote = embedder(llm_config({}, env={**env, "NEUROLAKE_EMBEDDINGS_MODEL": "nomic-embed"}))
    assert isinstance(remote, OpenAIEmbedder) and remote.name == "openai:nomic-embed"


def test_the_key_is_not_in_the_repr() -> None:
    config = llm_config({}, env={"OPENAI_API_KEY": "sk-verysecretvalue123"})
    assert "verysecret" not in repr(config)
    model = chat_model(config)
    assert "verysecret" not in repr(model)


def test_settings_from_a_workspace_file_reach_the_config(workspace) -> None:
    Workspace(workspace).ensure()
    with (workspace / "neurolake.toml").open("a") as fh:
        fh.write('llm_base_url = "http://127.0.0.1:8000/v1"\nllm_model = "qwen2.5-coder"\n')
    settings = resolve_settings(workspace)
    config = llm_config(settings.extra, env={})
    assert (config.mode, config.base_url, config.model) == (
        "openai",
        "http://127.0.0.1:8000/v1",
        "qwen2.5-coder",
    )

"""The examples in the llm package's docstrings run as written."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["base", "config", "embeddings", "endpoint", "lexicon", "openai_chat", "sql_extract"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(f"neurolake_lab.llm.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0

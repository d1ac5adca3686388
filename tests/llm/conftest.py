"""Fixtures for the LLM layer: a real OpenAI-compatible server on 127.0.0.1, and a closed port."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from tests.support.fake_openai import FakeOpenAI


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    """A started server with an empty script; tests add steps with ``fake_openai.add(...)``."""
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def closed_port_url() -> str:
    """An API root on a port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"

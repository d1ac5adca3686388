"""The planner and agent tests run offline: no LLM endpoint from the environment."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("NEUROLAKE_LLM_BASE_URL", "OPENAI_API_KEY", "NEUROLAKE_LLM_SHARE_VALUES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NEUROLAKE_LLM", "offline")

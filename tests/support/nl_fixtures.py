"""Workspaces with the retail demo or the HR schema, made once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

import neurolake_lab
from neurolake_lab.session import Session

DEV_SEED = 7  # the seed the dev set is scored at (never the one the planner was written on)


def retail_workspace(factory: pytest.TempPathFactory, seed: int = DEV_SEED) -> Path:
    from neurolake_lab.demo import load_retail

    root = factory.mktemp(f"retail{seed}")
    with neurolake_lab.connect(root) as s:
        load_retail(s, seed=seed)
    return root


def hr_workspace(factory: pytest.TempPathFactory, seed: int = 1) -> Path:
    from tests.support.hr_data import load_hr

    root = factory.mktemp(f"hr{seed}")
    with neurolake_lab.connect(root) as s:
        load_hr(s, seed=seed)
    return root


def open_session(root: Path) -> Session:
    """A session with the offline planner forced (tests that want an LLM configure one)."""
    return neurolake_lab.connect(root)

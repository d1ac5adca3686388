"""``Session.ask``: the NLResult it returns, its options, and two schemas in one workspace."""

from __future__ import annotations

from pathlib import Path

import pytest

import neurolake_lab
from neurolake_lab.agents.answer import NLResult
from neurolake_lab.exceptions import PlanningError, UsageError
from neurolake_lab.session import Session


def test_the_answer(retail: Session) -> None:
    answer = retail.ask("How many support tickets are still open?")
    assert isinstance(answer, NLResult)
    assert answer.question == "How many support tickets are still open?"
    assert answer.intent.action == "count" and answer.intent.entity == "retail.support_tickets"
    assert "resolved_at IS NULL" in answer.sql
    expected = retail.sql("SELECT count(*) FROM retail.support_tickets WHERE resolved_at IS NULL")
    assert answer.df().iloc[0, 0] == expected.df().iloc[0, 0]
    assert answer.explanation.startswith("Counted rows of retail.support_tickets where resolved_at")
    assert answer.report["kind"] == "nl" and answer.report["intent"]["action"] == "count"
    assert "resolved_at IS NULL" in repr(answer)


def test_options(retail: Session) -> None:
    with pytest.raises(UsageError, match="no question"):
        retail.ask("  ")
    with pytest.raises(UsageError, match="mode must be"):
        retail.ask("Total revenue", mode="magic")
    with pytest.raises(UsageError, match="needs an LLM endpoint"):
        retail.ask("Total revenue", mode="llm")
    assert retail.ask("Total revenue", mode="offline").source == "planner"


def test_an_empty_workspace(workspace: Path) -> None:
    with neurolake_lab.connect(workspace) as s, pytest.raises(PlanningError):
        s.ask("How many customers are there?")


def test_two_schemas_in_one_workspace(tmp_path: Path) -> None:
    from neurolake_lab.demo import load_retail
    from tests.support.hr_data import load_hr

    with neurolake_lab.connect(tmp_path) as s:
        load_retail(s, scale=0.05, seed=2)
        load_hr(s)
        assert s.ask("How many directors are there?").intent.entity == "hr.employees"
        assert s.ask("Orders per status").intent.entity == "retail.orders"
        assert "hr.departments" in s.ask("Headcount per department").sql
        assert "retail.order_items" in s.ask("Top 3 categories by revenue").sql

"""The %%nl path's compliance and optimizer steps use the workspace's policies and cost model."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import neurolake_lab
from neurolake_lab.compliance.policy import PolicyViolation
from neurolake_lab.demo import load_retail
from neurolake_lab.session import Session


@pytest.fixture
def retail(session: Session) -> Session:
    load_retail(session, scale=0.05, seed=5, today=dt.date(2026, 6, 1))
    return session


def test_answers_for_another_user_are_masked_and_say_so(retail: Session, workspace: Path) -> None:
    with neurolake_lab.connect(workspace, user="mallory") as other:
        answer = other.ask("Show the email of the customers in Germany")
        emails = answer.result.arrow().column("email").to_pylist()
        assert emails and not any("@" in e for e in emails)
        masked = answer.report["compliance"]["masked"]
        assert masked == [
            {"column": "retail.customers.email", "method": "hash", "policy": "default"}
        ]
        # the SQL shown is the question's SQL; what ran is the governed one
        assert "nl_mask" not in answer.sql and "nl_mask" in answer.result.executed_sql


def test_answers_carry_a_cost_prediction(retail: Session) -> None:
    answer = retail.ask("How many orders were placed per channel?")
    cost = answer.report["cost"]
    assert cost["predicted_ms"] is not None and cost["estimated_rows"] is not None
    assert cost["actual_ms"] is not None and 0 <= cost["confidence"] <= 1


def test_a_denied_column_stops_the_answer_and_is_audited(retail: Session, workspace: Path) -> None:
    Path(workspace, "policies.yaml").write_text(
        "users:\n  mallory: {roles: [analyst]}\nroles:\n  analyst: {}\n"
        "rules:\n  - name: no-phone\n    columns: [retail.customers.phone]\n"
        "    roles: [analyst]\n    action: deny\n"
    )
    with neurolake_lab.connect(workspace, user="mallory") as other:
        with pytest.raises(PolicyViolation, match="no-phone"):
            other.ask("Show the phone of the customers in France")
        record = other.audit.tail(1)[0]
        # One record per question: the `%%nl` record carries the denial.
        assert record.kind == "nl"
        assert record.data["decision"] == "denied"
        assert record.data["denied"] == [{"column": "retail.customers.phone", "policy": "no-phone"}]

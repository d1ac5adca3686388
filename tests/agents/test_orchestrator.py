"""The orchestrator: intent -> DataEngineer -> Compliance -> Optimizer -> engine -> audit; the
report it builds; follow-ups; learning from accepted answers; validation of generated SQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import neurolake_lab
from neurolake_lab.agents import orchestrator_for
from neurolake_lab.agents.base import Agent
from neurolake_lab.agents.compliance import (
    ComplianceAgent,
    ComplianceDecision,
    PassThroughCompliance,
    ReviewRequest,
)
from neurolake_lab.agents.engineer import DataEngineerAgent
from neurolake_lab.agents.intent_parser import IntentParser
from neurolake_lab.agents.optimizer import (
    OptimizerAgent,
    OptimizerDecision,
    PassThroughOptimizer,
)
from neurolake_lab.agents.validate import check_query
from neurolake_lab.compliance.audit import AuditLog
from neurolake_lab.compliance.redact import redact
from neurolake_lab.exceptions import PlanningError, QueryError, UsageError
from neurolake_lab.session import Session


@pytest.fixture
def fresh(retail: Session) -> Iterator[Session]:
    orch = orchestrator_for(retail)
    orch.reset()
    yield retail
    orch.reset()


def test_agents_follow_the_protocol() -> None:
    assert isinstance(IntentParser(), Agent)
    assert isinstance(DataEngineerAgent(), Agent)


def test_a_question_is_audited_and_reported(fresh: Session, report_validator: Any) -> None:
    answer = fresh.ask("Number of enterprise customers in Germany")
    report_validator.validate(answer.report)
    report = answer.report
    assert report["kind"] == "nl" and report["question"] == answer.question
    assert report["intent"]["entity"] == "retail.customers"
    assert report["intent"]["explanation"] == answer.explanation
    assert report["sql"] == answer.sql and report["executed_sql"] == answer.executed_sql
    assert report["result"]["row_count"] == 1
    assert report["timings"]["total_ms"] > 0 and "understand_ms" in report["timings"]
    assert answer.audit_id == report["audit_id"]
    (record,) = [r for r in AuditLog(fresh.workspace.root).tail(5) if r.id == answer.audit_id]
    assert record.kind == "nl" and record.user == fresh.user
    assert record.data["question"] == answer.question
    # stored SQL carries no literal (one redaction for every place SQL is kept)
    assert record.data["sql"] == redact(answer.sql) == record.data["executed_sql"]
    assert "Germany" not in record.data["sql"]
    assert record.data["rows"] == 1
    # the query result's own report is untouched: it stays a SQL report
    assert answer.result is not None and answer.result.report["kind"] == "sql"


class Masking:
    """A compliance step that rewrites the SQL and says so."""

    name = "test masking"

    def __init__(self) -> None:
        self.seen: list[ReviewRequest] = []

    def review(self, request: ReviewRequest) -> ComplianceDecision:
        self.seen.append(request)
        sql = f"SELECT * FROM ({request.sql}) AS governed LIMIT 1"
        return ComplianceDecision(sql=sql, masked=[{"column": "x", "method": "hash"}],
                                  warnings=["rewritten for the test"])  # fmt: skip


class Refusing:
    name = "test refusal"

    def review(self, request: ReviewRequest) -> ComplianceDecision:
        return ComplianceDecision(sql=request.sql, refusal=UsageError("denied by the test policy"))


class Predicting:
    name = "test optimizer"

    def review(self, request: ReviewRequest) -> OptimizerDecision:
        return OptimizerDecision(sql=request.sql, predicted_ms=12.5, estimated_rows=7,
                                 estimated_bytes=100, confidence=0.5)  # fmt: skip


def test_compliance_and_optimizer_steps(fresh: Session, report_validator: Any) -> None:
    orch = orchestrator_for(fresh)
    masking = Masking()
    assert isinstance(masking, ComplianceAgent) and isinstance(Predicting(), OptimizerAgent)
    orch.compliance, orch.optimizer = masking, Predicting()
    try:
        answer = fresh.ask("Number of customers per country")
        assert len(answer.result) == 1  # the rewritten SQL is what ran
        assert (
            answer.executed_sql.startswith("SELECT * FROM (") and answer.sql in answer.executed_sql
        )
        assert masking.seen[0].pii_columns["retail.customers"] >= {"email", "full_name"}
        report = answer.report
        report_validator.validate(report)
        assert report["compliance"]["masked"] == [{"column": "x", "method": "hash"}]
        assert report["cost"]["predicted_ms"] == 12.5 and report["cost"]["estimated_rows"] == 7
        record = next(r for r in AuditLog(fresh.workspace.root).tail(3) if r.id == answer.audit_id)
        assert record.data["executed_sql"] == answer.executed_sql
        orch.compliance = Refusing()
        with pytest.raises(UsageError, match="denied by the test policy"):
            fresh.ask("Number of customers per country")
    finally:
        orch.compliance, orch.optimizer = PassThroughCompliance(), PassThroughOptimizer()


def test_sql_only_and_edited_sql(fresh: Session, report_validator: Any) -> None:
    log = AuditLog(fresh.workspace.root)
    before = len(log.tail(1000))
    draft = fresh.ask("Orders per status", execute=False)
    assert draft.result is None and draft.audit_id is None
    assert len(log.tail(1000)) == before  # nothing ran, nothing audited
    report_validator.validate(draft.report)
    with pytest.raises(UsageError, match="not run"):
        draft.arrow()
    edited = fresh.ask("Orders per status", sql=draft.sql + " LIMIT 2")
    assert edited.source == "edited" and len(edited.result) == 2
    with pytest.raises(QueryError):
        fresh.ask("Orders per status", sql="SELECT nope FROM retail.orders")
    with pytest.raises(QueryError, match="read-only"):
        fresh.ask("Orders per status", sql="DROP TABLE retail.orders")


def test_follow_ups_refine_the_previous_question(fresh: Session) -> None:
    first = fresh.ask("How many customers churned last month?")
    germany = fresh.ask("only for Germany", follow_up=True)
    expected = fresh.sql(
        "SELECT count(*) FROM retail.customers WHERE country = 'Germany' AND churned_at >= "
        "date_trunc('month', current_date) - INTERVAL 1 MONTH AND churned_at < "
        "date_trunc('month', current_date)"
    )
    assert germany.arrow().column(0).to_pylist() == expected.arrow().column(0).to_pylist()
    assert first.arrow().column(0)[0].as_py() > germany.arrow().column(0)[0].as_py()
    by_segment = fresh.ask("now by segment", follow_up=True)
    assert by_segment.arrow().column_names[0] == "segment"
    assert "country = 'Germany'" in by_segment.sql  # kept from the turn before
    alone = fresh.ask("only for Germany")  # standing alone: no earlier count, no segments
    assert alone.intent.action == "list" and "churned_at" not in alone.sql.split("FROM")[1]


def test_a_follow_up_needs_something_to_follow(fresh: Session) -> None:
    with pytest.raises(PlanningError, match="earlier question"):
        fresh.ask("only for Germany", follow_up=True)


def test_generated_sql_is_checked(retail: Session) -> None:
    snapshot = orchestrator_for(retail).context().snapshot
    assert check_query("SELECT * FROM retail.orders", snapshot)
    assert check_query("WITH t AS (SELECT 1 AS x) SELECT * FROM t", snapshot)
    assert check_query("SELECT * FROM range(3)", snapshot)
    for sql, kind in [
        ("DELETE FROM retail.orders", "not_allowed"),
        ("CREATE TABLE x AS SELECT 1", "not_allowed"),
        ("SELECT * FROM read_parquet('/tmp/x.parquet')", "not_allowed"),
        ("SELECT * FROM iceberg_scan('/tmp/x')", "not_allowed"),
        ("SELECT * FROM retail.nope", "unknown_table"),
        ("SELECT 1; SELECT 2", "syntax"),
        ("SELEC 1", "syntax"),
    ]:
        with pytest.raises(QueryError) as info:
            check_query(sql, snapshot)
        assert info.value.kind == kind, sql


def test_accepted_answers_are_learnt(tmp_path: Path) -> None:
    from neurolake_lab.demo import load_retail

    with neurolake_lab.connect(tmp_path) as s:
        load_retail(s, scale=0.05, seed=11)
        orch = orchestrator_for(s)
        with pytest.raises(UsageError):
            orch.accept()  # nothing asked yet
        # a person's own SQL for a question, accepted
        sql = ("SELECT count(*) AS n FROM retail.customers WHERE country = 'France' "
               "AND segment = 'enterprise' AND signup_date >= DATE '2020-01-01'")  # fmt: skip
        orch.ask("How many big accounts are there in France?", sql=sql)
        orch.accept()
        # the same shape with another country: the template, with the value swapped
        answer = s.ask("How many big accounts are there in Germany?")
        assert answer.source == "template"
        assert "country = 'Germany'" in answer.sql and "segment = 'enterprise'" in answer.sql
        assert "big accounts" not in answer.sql and "France" in answer.explanation
        expected = s.sql(sql.replace("France", "Germany")).arrow().column(0)[0].as_py()
        assert answer.arrow().column(0)[0].as_py() == expected
        # without the accepted answer the planner would not know "big accounts"
        with pytest.raises(PlanningError):
            s.ask("How many big accounts are there in Germany?", learn=False)
        # another shape is not forced into the template
        other = s.ask("How many customers are there in Germany?")
        assert other.source == "planner"
    # the pair outlives the session: a new kernel on the workspace finds it
    with neurolake_lab.connect(tmp_path) as s2:
        again = s2.ask("How many big accounts are there in Japan?")
        assert again.source == "template" and "'Japan'" in again.sql

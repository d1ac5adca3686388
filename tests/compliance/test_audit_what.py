"""A ``%%nl`` question is audited once (question, SQL, decision); every kind reads as a line."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import neurolake_lab
from neurolake_lab.compliance.audit.record import KINDS
from neurolake_lab.compliance.audit.summary import _BY_KIND, decision, describe
from neurolake_lab.compliance.policy import PolicyViolation
from neurolake_lab.compliance.redact import redact
from neurolake_lab.magics import get_magics
from neurolake_lab.session import Session

DENY_EMAIL = """\
version: 1
rules:
  - name: no-email
    tags: [EMAIL_ADDRESS]
    action: deny
"""


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("NEUROLAKE_LLM_BASE_URL", "OPENAI_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NEUROLAKE_LLM", "offline")


@pytest.fixture
def retail_copy(retail_root: Path, tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(retail_root, root)
    return root


@pytest.fixture
def bob(retail_copy: Path) -> Iterator[Session]:
    """Not the owner: the default policy hashes every PII column for him."""
    with neurolake_lab.connect(retail_copy, user="bob") as s:
        yield s


def _new_records(session: Session, after: int) -> list[object]:
    return [r for r in session.audit.tail(50) if r.seq > after and r.kind != "policy_change"]


def test_a_question_is_one_record_with_its_question_sql_and_decision(bob: Session) -> None:
    bob.sql("SELECT 1")  # the policy's first reading is audited before, not among the new records
    before = bob.audit.tail(1)[0].seq
    answer = bob.ask("email addresses of customers in Germany")
    (record,) = _new_records(bob, before)
    assert record.kind == "nl" and record.id == answer.audit_id == answer.report["audit_id"]
    data = record.data
    assert data["question"] == "email addresses of customers in Germany"
    # stored without its literals (compliance/redact.py: any literal may be personal data)
    assert data["sql"] == redact(answer.sql) and "nl_mask_hash" in data["executed_sql"]
    assert data["decision"] == "masked" and data["rows"] == len(answer.result)
    assert data["source"] == "planner"
    what = describe(record.kind, data)
    assert what.startswith("“email addresses of customers in Germany” → SELECT")
    assert "masked: email" in what and f"{len(answer.result):,} rows" in what


def test_a_refused_question_is_one_record_with_the_refusal(retail_copy: Path) -> None:
    (retail_copy / "policies.yaml").write_text(DENY_EMAIL)
    with neurolake_lab.connect(retail_copy, user="bob") as s:
        s.sql("SELECT 1")
        before = s.audit.tail(1)[0].seq
        with pytest.raises(PolicyViolation):
            s.ask("email addresses of customers in Germany")
        (record,) = _new_records(s, before)
    assert record.kind == "nl" and record.data["decision"] == "denied"
    assert record.data["question"] == "email addresses of customers in Germany"
    assert "retail.customers.email" in str(record.data["denied"])
    assert "✗" in describe(record.kind, record.data) and "email" in describe("nl", record.data)


def test_audit_magic_shows_the_question_and_a_readable_line_for_policy_changes(
    retail_copy: Path,
) -> None:
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.testing.globalipapp import start_ipython

    shell = start_ipython() or InteractiveShell.instance()
    shell.run_line_magic("load_ext", "neurolake_lab")
    magics = get_magics(shell)
    assert magics is not None
    magics.session = neurolake_lab.connect(retail_copy, user="bob")
    try:
        shell.run_cell("%%nl\nhow many customers per country")
        (retail_copy / "policies.yaml").write_text(DENY_EMAIL)
        shell.run_cell("%sql SELECT count(*) FROM retail.orders")
        rows = shell.run_cell("%audit -n 4").result.arrow().to_pylist()
    finally:
        magics.session.close()
    kinds = [r["kind"] for r in rows]
    assert kinds.count("nl") == 1 and "policy_change" in kinds
    for row in rows:
        assert row["what"].strip(), row
    nl = next(r for r in rows if r["kind"] == "nl")
    assert nl["what"].startswith("“how many customers per country” → SELECT")
    change = [r for r in rows if r["kind"] == "policy_change"][-1]
    assert change["what"].startswith("policy default → sha256:") and "(file)" in change["what"]


def test_every_kind_the_system_writes_has_its_own_wording() -> None:
    assert set(KINDS) <= set(_BY_KIND)
    samples = {
        "write": {"operation": "create table as", "table": "a.t", "rows_added": 3,
                  "sql": "CREATE TABLE a.t AS SELECT 1"},
        "erasure": {"table": "crm.c", "predicate": "id = <redacted>", "rows_removed": 2,
                    "snapshots_expired": 1},
        "maintenance": {"table": "a.t", "expired": 2, "files_compacted": 4, "orphans_removed": 0},
        "pipeline_run": {"pipeline": "daily", "status": "succeeded", "rows": 10, "table": "a.t"},
        "pipeline_incident": {"pipeline": "daily", "check": "schema", "status": "healed",
                              "action": "repair: renamed column followed"},
        "refusal": {"sql": "SELECT * FROM iceberg_scan('x')",
                    "refusals": [{"rule": "catalog-bypass", "message": "..."}]},
    }  # fmt: skip
    assert describe("write", samples["write"]).startswith("create table as a.t (+3 rows)")
    assert describe("erasure", samples["erasure"]).startswith("erased 2 rows of crm.c")
    assert "4 files compacted" in describe("maintenance", samples["maintenance"])
    assert describe("pipeline_run", samples["pipeline_run"]) == (
        "pipeline daily run succeeded: 10 rows into a.t"
    )
    assert "renamed column" in describe("pipeline_incident", samples["pipeline_incident"])
    assert "catalog-bypass" in describe("refusal", samples["refusal"])
    assert describe("something_new", {"a": 1}) == "a=1"


def test_decisions() -> None:
    assert decision({}) == "allowed"
    assert decision({"masked": [{"column": "t.email"}]}) == "masked"
    assert decision({"row_filters": [{"table": "t"}]}) == "filtered"
    assert decision({"error": "Policy violation: Denied: ..."}) == "denied"
    assert decision({"error": "Query error: no table"}) == "error"

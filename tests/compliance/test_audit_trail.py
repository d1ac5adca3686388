"""Every query and write of a session is in the audit log, without personal data in its SQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.testing.globalipapp import start_ipython

import neurolake_lab
from neurolake_lab.compliance.redact import redact
from neurolake_lab.exceptions import QueryError
from neurolake_lab.magics import get_magics
from neurolake_lab.session import Session


def test_queries_and_writes_are_recorded_with_their_ids_in_the_report(session: Session) -> None:
    created = session.sql("CREATE TABLE a.t AS SELECT range AS id FROM range(3)")
    result = session.sql("SELECT count(*) FROM a.t")
    records = session.audit.tail(5)
    write, query = records[-2], records[-1]
    assert write.kind == "write" and write.data["operation"] == "create table as"
    assert write.data["rows_added"] == 3 and write.data["table"] == "a.t"
    assert write.user == session.user and write.id == created.report["audit_id"]
    assert query.kind == "query" and query.data["rows"] == 1
    assert query.data["tables"] == {"a.t": write.data["snapshot_id"]}
    assert result.report["audit_id"] == query.id
    assert session.audit.verify().ok


def test_failed_statements_are_recorded_too(session: Session) -> None:
    with pytest.raises(QueryError):
        session.sql("SELECT * FROM nowhere")
    last = session.audit.tail(1)[0]
    assert last.kind == "query" and "nowhere" in last.data["error"]


def test_literals_are_stored_redacted(session: Session) -> None:
    session.sql(
        "CREATE TABLE crm.c AS SELECT * FROM (VALUES (1, 'ann@example.com', 'gold'), "
        "(2, 'bob@example.org', 'silver')) t(id, email, tier)"
    )
    session.sql("SELECT id FROM crm.c WHERE email = 'ann@example.com' AND tier = 'gold'")
    session.sql("UPDATE crm.c SET email = 'new@example.com' WHERE id = 2")
    session.sql("INSERT INTO crm.c VALUES (3, 'cy@example.net', 'gold')")
    text = Path(session.settings.workspace, "audit", "audit.jsonl").read_text()
    for value in ("ann@example.com", "new@example.com", "cy@example.net"):
        assert value not in text
    select = [r for r in session.audit.tail(5) if r.kind == "query"][-1]
    assert select.data["sql"].count("<redacted>") == 2  # every literal, not only PII columns'


def test_redact_cases() -> None:
    assert redact("SELECT 1 WHERE email LIKE 'a%'") == "SELECT 1 WHERE email LIKE '<redacted>'"
    assert "'x'" not in redact("SELECT contains(notes, 'x') FROM t")  # anywhere in the tree
    assert "555" not in redact("SELECT * FROM t WHERE phone IN ('555-1', '555-2')")
    assert redact("SELECT 'ann@x.com' WHERE email = ").count("<redacted>") == 1  # unparseable
    assert redact("SELECT $$ann@x.com$$, E'ann\\@x', 4111111111111111") == (
        "SELECT '<redacted>', '<redacted>', '<redacted>'"
    )
    assert redact("SELECT 1 -- ann@x.com\nFROM t /* ann */ LIMIT 100000") == (
        "SELECT 1 FROM t LIMIT 100000"
    )
    assert redact("SELECT * FROM t FOR VERSION AS OF 1234567890123 WHERE n > 2024") == (
        "SELECT * FROM t FOR VERSION AS OF 1234567890123 WHERE n > 2024"
    )


def test_audit_magic(workspace: Path) -> None:
    shell = start_ipython() or InteractiveShell.instance()
    shell.run_line_magic("load_ext", "neurolake_lab")
    magics = get_magics(shell)
    magics.session = neurolake_lab.connect(workspace)
    try:
        shell.run_cell("%sql SELECT 42")
        rows = shell.run_cell("%audit -n 1").result.arrow().to_pylist()
        assert rows[0]["kind"] == "query" and rows[0]["what"] == "SELECT 42  → 1 row"
        check = shell.run_cell("%audit --verify").result.arrow().to_pylist()[0]
        assert check["ok"] and check["records"] >= 1
        assert "usage" in str(shell.run_cell("%audit 5").error_in_exec)
    finally:
        magics.session.close()

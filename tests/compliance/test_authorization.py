"""Who may change what: the workspace owner, a table's creator, and grants in policies.yaml.

One authorizer decides for SQL writes (the cell pipeline's ``authorize`` stage) and for the
Session's table and PII methods alike; every refusal is audited and names the privilege needed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

import neurolake_lab
from neurolake_lab.compliance.authorize import NotAuthorized
from neurolake_lab.compliance.policy import PolicyFileError, parse_policy
from neurolake_lab.session import Session

CUSTOMERS = pa.table(
    {
        "customer_id": pa.array([1, 2, 3], pa.int64()),
        "email": ["ann@example.com", "bob@example.org", "cy@example.net"],
        "country": ["DE", "FR", "DE"],
    }
)

GRANTS = """\
roles:
  analyst: {}
  engineer: {}
users:
  analyst: {roles: [analyst]}
  eng: {roles: [engineer]}
grants:
  - name: analysts-scratch
    roles: [analyst]
    tables: ["scratch.*"]
    privileges: [write]
  - name: engineers-orders
    roles: [engineer]
    tables: [retail.orders]
    privileges: [write, maintain]
"""


@pytest.fixture
def owner(workspace: Path) -> Iterator[Session]:
    with neurolake_lab.connect(workspace) as s:
        s.write("retail.customers", CUSTOMERS)
        s.sql("CREATE TABLE retail.orders AS SELECT range AS id, range * 2 AS amount FROM range(5)")
        yield s


def _as(workspace: Path, user: str) -> Session:
    return neurolake_lab.connect(workspace, user=user)


def _snapshot(session: Session, table: str) -> int | None:
    session.lakehouse.refresh(session.engine.con)
    ns, name = table.split(".")
    return session.lakehouse.current_snapshot_id((ns, name))


def _last_refusal(session: Session) -> dict[str, Any]:
    record = session.audit.tail(1)[0]
    assert record.kind == "refusal", record
    return dict(record.data)


REFUSED_SQL = [
    ("INSERT INTO retail.customers VALUES (4, 'x@y.z', 'IT')", "write"),
    ("UPDATE retail.customers SET country = 'XX' WHERE customer_id = 1", "write"),
    ("DELETE FROM retail.customers WHERE customer_id = 1", "write"),
    ("ALTER TABLE retail.customers RENAME COLUMN email TO contact", "alter"),
    ("ALTER TABLE retail.customers DROP COLUMN country", "alter"),
    ("ALTER TABLE retail.customers SET ('neurolake.pii' = '{}')", "tag"),
    ("COMMENT ON TABLE retail.customers IS 'mine now'", "alter"),
    ("DROP TABLE retail.customers", "drop"),
    ("CREATE OR REPLACE TABLE retail.customers AS SELECT 1 AS customer_id", "write"),
    ("TRUNCATE retail.customers", "write"),
    ("DROP SCHEMA retail CASCADE", "drop"),
]  # fmt: skip


@pytest.mark.parametrize(("sql", "privilege"), REFUSED_SQL)
def test_a_non_owner_changes_no_table_through_sql(
    owner: Session, workspace: Path, sql: str, privilege: str
) -> None:
    before = _snapshot(owner, "retail.customers")
    with _as(workspace, "analyst") as analyst:
        with pytest.raises(NotAuthorized, match=f"analyst may not .*'{privilege}' privilege"):
            analyst.sql(sql)
        refusal = _last_refusal(analyst)
        assert refusal["privilege"] == privilege and refusal["rule"] == "authorization"
        assert "x@y.z" not in str(refusal)  # the refused SQL is audited redacted
    assert _snapshot(owner, "retail.customers") == before
    assert owner.sql("SELECT count(*) AS n FROM retail.customers").arrow()["n"][0].as_py() == 3
    assert ("email", "VARCHAR") in owner.engine.columns("retail.customers")


def test_a_merge_needs_a_grant_too(owner: Session, workspace: Path) -> None:
    before = _snapshot(owner, "retail.orders")
    with _as(workspace, "analyst") as analyst, pytest.raises(NotAuthorized, match="'write'"):
        analyst.sql(
            "MERGE INTO retail.orders AS t USING (SELECT 1 AS id) AS s ON t.id = s.id "
            "WHEN MATCHED THEN DELETE"
        )
    assert _snapshot(owner, "retail.orders") == before


def test_a_non_owner_uses_no_management_method(owner: Session, workspace: Path) -> None:
    snap = _snapshot(owner, "retail.customers")
    tags_before = owner.classify_pii("retail.customers")
    assert tags_before["email"].entity == "EMAIL_ADDRESS"
    calls = {
        "tag": lambda s: s.set_pii("retail.customers", "email", None),
        "quality": lambda s: s.set_quality("retail.customers", checks=["customer_id <> 1"]),
        "erase": lambda s: s.erase("retail.customers", "customer_id = 1"),
        "rollback": lambda s: s.rollback("retail.customers", snap),
        "maintain": lambda s: s.maintain("retail.customers"),
        "write": lambda s: s.write("retail.customers", CUSTOMERS),
    }
    with _as(workspace, "analyst") as analyst:
        for privilege, call in calls.items():
            with pytest.raises(NotAuthorized, match=f"'{privilege}' privilege on retail.customers"):
                call(analyst)
            assert _last_refusal(analyst)["privilege"] == privilege
        with pytest.raises(NotAuthorized, match="'maintain' privilege"):
            analyst.apply_layout("retail.customers")
    assert owner.classify_pii("retail.customers")["email"].entity == "EMAIL_ADDRESS"
    assert owner.quality("retail.customers").empty
    assert _snapshot(owner, "retail.customers") == snap
    assert owner.sql("SELECT count(*) AS n FROM retail.customers").arrow()["n"][0].as_py() == 3


def test_the_error_names_who_has_the_privilege_and_how_to_grant_it(
    owner: Session, workspace: Path
) -> None:
    with _as(workspace, "analyst") as analyst, pytest.raises(NotAuthorized) as info:
        analyst.erase("retail.customers", "customer_id = 1")
    err = info.value
    assert err.privilege == "erase" and err.table == "retail.customers" and err.user == "analyst"
    assert f"the workspace owner ({owner.settings.owner})" in err.message
    assert err.hint is not None and "grants:" in err.hint and "privileges: [erase]" in err.hint


def test_grants_give_writes_and_creators_manage_their_tables(
    owner: Session, workspace: Path
) -> None:
    (workspace / "policies.yaml").write_text(GRANTS)
    with _as(workspace, "analyst") as analyst:
        # a grant on scratch.*: the analyst creates a table there and becomes its creator
        analyst.sql(
            "CREATE TABLE scratch.mine AS SELECT customer_id, country FROM retail.customers"
        )
        analyst.sql("INSERT INTO scratch.mine VALUES (9, 'IT')")
        analyst.sql("ALTER TABLE scratch.mine ADD COLUMN note VARCHAR")
        analyst.maintain("scratch.mine", compact=False, remove_orphans=False)
        snap = _snapshot(analyst, "scratch.mine")
        # ... but tags, quality rules and rollback stay with the owner, even on their own table
        with pytest.raises(NotAuthorized, match=r"'tag' privilege on scratch\.mine"):
            analyst.set_pii("scratch.mine", "country", "LOCATION")
        with pytest.raises(NotAuthorized, match="'tag' privilege"):
            analyst.sql("ALTER TABLE scratch.mine SET ('neurolake.pii' = '{}')")
        with pytest.raises(NotAuthorized, match="'quality' privilege"):
            analyst.set_quality("scratch.mine", not_null=["customer_id"])
        with pytest.raises(NotAuthorized, match="'rollback' privilege"):
            analyst.rollback("scratch.mine", snap)
        # no grant outside scratch
        with pytest.raises(NotAuthorized, match=r"'write' privilege on retail\.orders"):
            analyst.sql("INSERT INTO retail.orders VALUES (10, 20)")
        analyst.sql("DROP TABLE scratch.mine")
    with _as(workspace, "eng") as eng:
        eng.sql("INSERT INTO retail.orders VALUES (10, 20)")
        eng.maintain("retail.orders", compact=False, remove_orphans=False)
        with pytest.raises(NotAuthorized, match=r"'alter' privilege on retail\.orders"):
            eng.sql("ALTER TABLE retail.orders ADD COLUMN x INTEGER")
        with pytest.raises(NotAuthorized, match=r"'write' privilege on scratch\.other"):
            eng.sql("CREATE TABLE scratch.other AS SELECT 1 AS x")
    assert owner.sql("SELECT count(*) AS n FROM retail.orders").arrow()["n"][0].as_py() == 6


def test_an_admin_role_may_do_everything(owner: Session, workspace: Path) -> None:
    (workspace / "policies.yaml").write_text(
        "roles: {admin: {}}\nusers: {dana: {roles: [admin]}}\n"
        "grants:\n  - {name: admins, roles: [admin], privileges: [all]}\n"
    )
    snap = _snapshot(owner, "retail.customers")
    with _as(workspace, "dana") as dana:
        dana.sql("INSERT INTO retail.customers VALUES (4, 'dee@example.com', 'IT')")
        dana.set_quality("retail.customers", not_null=["customer_id"])
        dana.rollback("retail.customers", snap)
        dana.set_pii("retail.customers", "country", "LOCATION")
    assert owner.classify_pii("retail.customers")["country"].entity == "LOCATION"


def test_the_creator_keeps_a_replaced_table(owner: Session, workspace: Path) -> None:
    (workspace / "policies.yaml").write_text(GRANTS)
    with _as(workspace, "analyst") as analyst:
        analyst.sql("CREATE TABLE scratch.t AS SELECT 1 AS x")
    owner.sql("CREATE OR REPLACE TABLE scratch.t AS SELECT 2 AS x")  # the owner replaces it
    _, meta = owner.lakehouse.metadata("scratch.t")
    assert meta.properties["neurolake.owner"] == "analyst"
    with _as(workspace, "eng") as eng, pytest.raises(NotAuthorized, match=r"creator \(analyst\)"):
        eng.sql("DROP TABLE scratch.t")


def test_preflight_reports_a_refused_write_without_auditing_it(
    owner: Session, workspace: Path
) -> None:
    with _as(workspace, "analyst") as analyst:
        analyst.sql("SELECT 1")
        seq = analyst.audit.tail(1)[0].seq
        out = analyst.preflight("DELETE FROM retail.customers WHERE customer_id = 1")
        assert out["error"]["title"] == "Not authorized"
        assert "'write' privilege" in out["error"]["message"]
        assert analyst.audit.tail(1)[0].seq == seq


def test_a_pipeline_needs_its_owner_to_be_allowed_to_write(owner: Session, workspace: Path) -> None:
    with _as(workspace, "analyst") as analyst:
        with pytest.raises(NotAuthorized, match=r"'write' privilege on retail\.orders"):
            analyst.pipelines.create("copy", "SELECT id + 100 AS id, amount FROM retail.orders",
                                     "retail.orders")  # fmt: skip
        assert "copy" not in [p["name"] for p in analyst.pipelines.list()]


def test_grants_are_validated_with_their_line() -> None:
    with pytest.raises(PolicyFileError, match=r"line 3: grants\[0\]\.roles\[0\]: unknown role"):
        parse_policy(
            "grants:\n  - name: g\n    roles: [nobody]\n    privileges: [write]\n", owner="o"
        )
    with pytest.raises(PolicyFileError, match="'policy' is about the whole workspace"):
        parse_policy("grants:\n  - {name: g, tables: [a.b], privileges: [policy]}\n", owner="o")
    with pytest.raises(PolicyFileError, match="privileges"):
        parse_policy("grants:\n  - {name: g, privileges: [sudo]}\n", owner="o")
    policy = parse_policy("grants:\n  - {name: g, users: [bob], privileges: [all]}\n", owner="o")
    assert "erase" in policy.grants[0].privileges and policy.grants[0].tables == ("*",)

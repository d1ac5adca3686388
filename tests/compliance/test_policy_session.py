"""The policy over a real NeuroLake workspace: Iceberg tables as DuckDB views, time travel, bare
names, the warehouse on disk, policies.yaml in the workspace and a masked CTAS into Iceberg.

The session does not call the policy yet (the lead wires it); these tests do what the session
will: enforce, then let the lakehouse rewrite time travel and run the statement.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

import neurolake_lab
from neurolake_lab.compliance.policy import (
    Enforcement,
    PolicyStore,
    carry_tags,
    enforce,
    policy_path,
    register_masking_functions,
    register_user_functions,
    workspace_salt,
)
from neurolake_lab.session import Session
from tests.compliance.policy_support import TAGS, retail_db

POLICY = """\
users:
  mallory: {roles: [analyst], attributes: {country: FR}}
roles:
  analyst: {}
row_filters:
  - name: own-country
    tables: [retail.customers]
    roles: [analyst]
    predicate: country = current_user_country()
"""


@pytest.fixture
def lake(workspace: Path) -> Iterator[dict[str, object]]:
    """An owner's session that wrote retail.customers twice (two snapshots)."""
    source = retail_db(30)
    owner = neurolake_lab.connect(workspace)
    first = source.execute("SELECT * FROM retail.customers WHERE customer_id < 15").to_arrow_table()
    second = source.execute(
        "SELECT * FROM retail.customers WHERE customer_id >= 15"
    ).to_arrow_table()
    owner.write("retail.customers", first)
    snap1 = owner.lakehouse.current_snapshot_id(("retail", "customers"))
    owner.write("retail.customers", second)
    snap2 = owner.lakehouse.current_snapshot_id(("retail", "customers"))
    assert snap1 is not None and snap2 is not None and snap1 != snap2
    try:
        yield {"owner": owner, "snap1": snap1, "snap2": snap2, "workspace": workspace}
    finally:
        owner.close()


def _governed(session: Session, workspace: Path) -> tuple[PolicyStore, dict[str, dict[str, str]]]:
    con = session.engine.con
    session.lakehouse.refresh(con)
    register_masking_functions(con, workspace_salt(workspace))
    store = PolicyStore(workspace, owner=session.settings.owner)
    register_user_functions(con, store.current(), session.user)
    schema = {
        "retail.customers": {
            r[0]: r[1] for r in con.execute("DESCRIBE retail.customers").fetchall()
        }
    }
    return store, schema


def _enforce(
    session: Session, store: PolicyStore, schema: dict[str, dict[str, str]], sql: str
) -> Enforcement:
    return enforce(sql, schema=schema, tags=TAGS, user=session.user, policy=store.current())


def _run(session: Session, e: Enforcement) -> pa.Table:
    e.raise_if_blocked()
    sql = session.lakehouse.rewrite_time_travel(e.sql)
    return session.engine.con.execute(sql).to_arrow_table()


def test_another_user_reads_masked_and_filtered_through_views_and_time_travel(
    lake: dict[str, object],
) -> None:
    workspace = lake["workspace"]
    assert isinstance(workspace, Path)
    policy_path(workspace).write_text(POLICY)
    with neurolake_lab.connect(workspace, user="mallory") as mallory:
        store, schema = _governed(mallory, workspace)
        assert store.current().source == "file"

        now = _run(mallory, _enforce(mallory, store, schema, "SELECT * FROM retail.customers"))
        assert now.num_rows == 10 and set(now["country"].to_pylist()) == {"FR"}
        assert not any("@" in e for e in now["email"].to_pylist())

        bare = _run(
            mallory, _enforce(mallory, store, schema, "SELECT email, country FROM customers")
        )
        assert bare.num_rows == 10 and not any("@" in e for e in bare["email"].to_pylist())

        old_sql = f"SELECT customer_id, email, ssn FROM retail.customers FOR VERSION AS OF {lake['snap1']}"
        e = _enforce(mallory, store, schema, old_sql)
        assert "FOR VERSION AS OF" in e.sql and e.row_filters
        old = _run(mallory, e)
        ids = old["customer_id"].to_pylist()
        assert ids and max(ids) < 15 and all(i % 3 == 1 for i in ids)  # FR rows of snapshot 1
        assert not any(s.startswith("900-") for s in old["ssn"].to_pylist())

        probe = _enforce(
            mallory,
            store,
            schema,
            "SELECT count(*) AS n FROM retail.customers FOR TIMESTAMP AS OF now()::TIMESTAMP "
            "WHERE email = 'user1@example.com'",
        )
        assert _run(mallory, probe)["n"].to_pylist() == [0]


def test_the_owner_reads_in_clear_and_the_warehouse_is_off_limits_to_others(
    lake: dict[str, object],
) -> None:
    workspace = lake["workspace"]
    assert isinstance(workspace, Path)
    owner = lake["owner"]
    assert isinstance(owner, Session)
    store, schema = _governed(owner, workspace)
    e = _enforce(owner, store, schema, "SELECT email FROM retail.customers ORDER BY customer_id")
    assert not e.rewritten and any("in clear" in w for w in e.warnings)
    assert _run(owner, e)["email"].to_pylist()[0] == "user0@example.com"

    files = sorted(workspace.rglob("*.parquet"))
    assert files
    raw = f"SELECT * FROM read_parquet('{files[0]}')"
    assert not _enforce(owner, store, schema, raw).blocked
    scan = f"SELECT * FROM iceberg_scan('{files[0].parent.parent}')"
    with neurolake_lab.connect(workspace, user="mallory") as mallory:
        store, schema = _governed(mallory, workspace)
        for sql, rule in [(raw, "file-read"), (scan, "catalog-bypass")]:
            e = _enforce(mallory, store, schema, sql)
            assert e.blocked and e.refusals[0].rule == rule


def test_a_masked_ctas_into_iceberg_keeps_the_masking_and_carries_the_tags(
    lake: dict[str, object],
) -> None:
    workspace = lake["workspace"]
    assert isinstance(workspace, Path)
    owner = lake["owner"]
    assert isinstance(owner, Session)
    ctas = (
        "CREATE TABLE retail.contacts PARTITIONED BY (month(signup_date)) AS "
        "SELECT customer_id, signup_date, email FROM retail.customers"
    )
    with neurolake_lab.connect(workspace, user="mallory") as mallory:
        store, schema = _governed(mallory, workspace)
        e = _enforce(mallory, store, schema, ctas)
        assert "PARTITIONED BY (month(signup_date))" in e.sql and "nl_mask_hash" in e.sql
        plan = mallory.lakehouse.analyze(e.sql, "CREATE")
        assert plan is not None and plan.kind == "ctas" and plan.partition_by
        mallory.lakehouse.execute(plan, None, None, mallory.write_context(e.sql))
        carried = carry_tags(ctas, schema=schema, tags=TAGS)
        assert set(carried) == {"email"} and carried["email"].tag["entity"] == "EMAIL_ADDRESS"

    owner.lakehouse.refresh(owner.engine.con)
    copied = owner.engine.con.execute("SELECT email FROM retail.contacts").fetchall()
    assert len(copied) == 30 and not any("@" in r[0] for r in copied)

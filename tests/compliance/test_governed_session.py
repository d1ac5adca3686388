"""Policies through the Session: every %%sql/Session.sql statement is governed, audited, reported."""

from __future__ import annotations

from pathlib import Path

import pytest

import neurolake_lab
from neurolake_lab.compliance.policy import PolicyViolation
from neurolake_lab.session import Session

ANN = "ann@example.com"


@pytest.fixture
def owner(session: Session) -> Session:
    session.sql(
        "CREATE TABLE crm.people AS SELECT * FROM (VALUES "
        f"(1, 'Ann Smith', '{ANN}', 'FR', 100), (2, 'Bob Jones', 'bob@example.org', 'DE', 200), "
        "(3, 'Cy Young', 'cy@example.net', 'FR', 300)) t(id, full_name, email, country, spend)"
    )
    return session


def col(result, name: str) -> list:
    return result.arrow().column(name).to_pylist()


def test_another_user_gets_pii_masked_everywhere(owner: Session, workspace: Path) -> None:
    with neurolake_lab.connect(workspace, user="mallory") as other:
        result = other.sql("SELECT id, email, spend FROM crm.people ORDER BY id")
        assert col(result, "spend") == [100, 200, 300]
        assert not any("@" in e for e in col(result, "email"))
        masked = {m["column"] for m in result.report["compliance"]["masked"]}
        assert masked == {"crm.people.email"}
        assert any(
            e["masked"]
            for e in result.report["lineage"]["edges"]
            if e["source"] == "crm.people.email"
        )
        # probing the clear value through a filter finds nothing
        probe = other.sql(f"SELECT count(*) AS n FROM people WHERE email = '{ANN}'")
        assert col(probe, "n") == [0]
        # the audit record says what was masked, without the value asked for
        record = other.audit.tail(1)[0]
        assert record.data["masked"] and ANN not in str(record.data)


def test_the_owner_sees_clear_values_with_a_warning(owner: Session) -> None:
    result = owner.sql("SELECT email FROM crm.people ORDER BY id")
    assert col(result, "email")[0] == ANN
    compliance = result.report["compliance"]
    assert {c["column"] for c in compliance["pii_columns"]} == {"crm.people.email"}
    assert compliance["warnings"] and not compliance["masked"]
    assert owner.sql("SELECT 1 AS x").report["compliance"]["warnings"] == []


def test_no_pii_masks_for_the_owner_too(owner: Session) -> None:
    masked = owner.sql("SELECT full_name, email, country FROM crm.people", no_pii=True)
    assert not any("@" in e for e in col(masked, "email"))
    assert "Ann Smith" not in col(masked, "full_name") and "FR" in col(masked, "country")
    dropped = owner.sql("SELECT full_name, email, country FROM crm.people", no_pii="drop")
    assert dropped.columns == ["country"]


def test_ways_around_the_catalog_are_refused_and_audited(owner: Session, workspace: Path) -> None:
    files = sorted(Path(workspace, "warehouse").rglob("*.parquet"))
    with neurolake_lab.connect(workspace, user="mallory") as other:
        with pytest.raises(PolicyViolation, match="file-read"):
            other.sql(f"SELECT * FROM read_parquet('{files[0]}')")
        assert other.audit.tail(1)[0].kind == "refusal"
        with pytest.raises(PolicyViolation, match="attach"):
            other.sql("ATTACH 'x.db' AS x")
        assert other.sql("SELECT count(*) AS n FROM crm.people").arrow()[0][0].as_py() == 3
    # the owner may
    assert len(owner.sql(f"SELECT * FROM read_parquet('{files[0]}')")) == 3


def test_policy_file_row_filters_denies_and_changes(owner: Session, workspace: Path) -> None:
    Path(workspace, "policies.yaml").write_text(
        "users:\n"
        "  mallory: {roles: [analyst], attributes: {country: FR}}\n"
        "roles:\n  analyst: {}\n"
        "row_filters:\n"
        "  - name: own-country\n    tables: [crm.people]\n    roles: [analyst]\n"
        "    predicate: country = current_user_country()\n"
        "rules:\n"
        "  - name: no-spend\n    columns: [crm.people.spend]\n    roles: [analyst]\n    action: deny\n"
    )
    with neurolake_lab.connect(workspace, user="mallory") as other:
        result = other.sql("SELECT id, country FROM crm.people ORDER BY id")
        assert col(result, "id") == [1, 3] and result.report["compliance"]["row_filters"]
        with pytest.raises(PolicyViolation, match=r"crm\.people\.spend.*no-spend"):
            other.sql("SELECT sum(spend) FROM crm.people")
        kinds = [r.kind for r in other.audit.tail(10)]
        assert "policy_change" in kinds and "policy_decision" in kinds


def test_a_broken_policy_file_fails_closed(owner: Session, workspace: Path) -> None:
    Path(workspace, "policies.yaml").write_text("users:\n  bob: [this is: not valid\n")
    result = owner.sql("SELECT email FROM crm.people")
    assert not any("@" in e for e in col(result, "email"))  # masked even for the owner
    warnings = " ".join(result.report["compliance"]["warnings"])
    assert "policies.yaml" in warnings and "line" in warnings


def test_ctas_by_another_user_keeps_masking_and_carries_the_tags(
    owner: Session, workspace: Path
) -> None:
    Path(workspace, "policies.yaml").write_text(
        "grants:\n  - {name: copies, users: [mallory], tables: [crm.copy], privileges: [write]}\n"
    )
    with neurolake_lab.connect(workspace, user="mallory") as other:
        other.sql("CREATE TABLE crm.copy AS SELECT id, lower(email) AS contact FROM crm.people")
    assert not any("@" in c for c in col(owner.sql("SELECT contact FROM crm.copy"), "contact"))
    tags = owner.classify_pii("crm.copy")
    assert tags["contact"].entity == "EMAIL_ADDRESS"  # a hash, but it came from an email
    # the owner's own copy is tagged as well and so masked for others
    owner.sql("CREATE TABLE crm.copy2 AS SELECT upper(email) AS e FROM crm.people")
    with neurolake_lab.connect(workspace, user="mallory") as other:
        assert not any("@" in e for e in col(other.sql("SELECT e FROM crm.copy2"), "e"))


def test_time_travel_is_governed(owner: Session, workspace: Path) -> None:
    first = owner.snapshots("crm.people").arrow().column("snapshot_id").to_pylist()[-1]
    with neurolake_lab.connect(workspace, user="mallory") as other:
        old = other.sql(f"SELECT email FROM crm.people FOR VERSION AS OF {first}")
        assert len(old) == 3 and not any("@" in e for e in col(old, "email"))

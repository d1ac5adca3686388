"""PII tags of lakehouse tables: classified when tables are created or gain columns, overridable."""

from __future__ import annotations

import datetime as dt

import pytest

import neurolake_lab
from neurolake_lab.compliance.recorder import stored_tags
from neurolake_lab.demo import load_retail
from neurolake_lab.exceptions import UsageError
from neurolake_lab.session import Session


def test_ctas_classifies_columns_and_stores_the_tags(session: Session) -> None:
    session.sql(
        "CREATE TABLE crm.contacts AS SELECT * FROM (VALUES "
        "(1, 'anna.schmidt@example.de', 'SKU-1001', '+49 30 901820'), "
        "(2, 'j.dupont@example.fr', 'SKU-2002', '+33 1 42 68 53 00'), "
        "(3, 'mike.jones@example.com', 'SKU-3003', '+1 212-555-0199')) t(id, email, sku, phone)"
    )
    _, meta = session.lakehouse.metadata("crm.contacts")
    assert "neurolake.pii" in meta.properties  # stored with the table, for every kernel
    tags = session.classify_pii("crm.contacts")
    assert list(tags) == ["id", "email", "sku", "phone"]
    assert tags["email"].entity == "EMAIL_ADDRESS" and tags["email"].category == "identifier"
    assert tags["phone"].entity == "PHONE_NUMBER"
    assert tags["id"].entity is None and tags["sku"].entity is None


def test_new_columns_are_classified_when_values_arrive(session: Session) -> None:
    session.sql("CREATE TABLE crm.people AS SELECT 1 AS id, 'x' AS note")
    session.sql("ALTER TABLE crm.people ADD COLUMN ip VARCHAR")
    assert "ip" not in stored_tags(
        session.lakehouse, ("crm", "people")
    )  # no values yet: no verdict
    session.sql("INSERT INTO crm.people VALUES (2, 'y', '203.0.113.7'), (3, 'z', '198.51.100.23')")
    assert stored_tags(session.lakehouse, ("crm", "people"))["ip"].entity == "IP_ADDRESS"


def test_overrides_persist_and_are_shared(session: Session, workspace) -> None:
    session.sql("CREATE TABLE crm.codes AS SELECT 'A-17' AS code, 'B' AS grade")
    session.set_pii("crm.codes", "code", "US_SSN")
    session.set_pii("crm.codes", "grade", None)
    with neurolake_lab.connect(workspace) as other:
        tags = other.classify_pii("crm.codes")
        assert tags["code"].entity == "US_SSN" and tags["code"].source == "override"
        assert tags["grade"].entity is None and tags["grade"].source == "override"
    session.sql("INSERT INTO crm.codes VALUES ('C-1', 'A')")
    assert session.classify_pii("crm.codes")["code"].entity == "US_SSN"
    with pytest.raises(UsageError, match="no column nope"):
        session.set_pii("crm.codes", "nope", "PERSON")


def test_demo_tables_are_tagged_as_the_spec_says(session: Session) -> None:
    load_retail(session, scale=0.05, seed=11, today=dt.date(2026, 5, 1))
    customers = session.classify_pii("retail.customers")
    expected = {
        "full_name": "PERSON", "email": "EMAIL_ADDRESS", "phone": "PHONE_NUMBER",
        "street_address": "STREET_ADDRESS", "date_of_birth": "DATE_OF_BIRTH",
        "credit_card_number": "CREDIT_CARD", "last_login_ip": "IP_ADDRESS",
    }  # fmt: skip
    assert {c: t.entity for c, t in customers.items() if t.entity} == expected
    tickets = session.classify_pii("retail.support_tickets")
    assert tickets["body"].free_text and set(tickets["body"].entities) >= {"EMAIL_ADDRESS"}
    assert tickets["subject"].entity is None
    for table in ("orders", "order_items", "products"):
        assert not any(t.entity for t in session.classify_pii(f"retail.{table}").values())


def test_pii_values_stay_out_of_iceberg_manifests(session: Session) -> None:
    session.sql(
        "CREATE TABLE crm.m AS SELECT range AS id, 'person' || range || '@example.com' AS email "
        "FROM range(20)"
    )
    session.sql("INSERT INTO crm.m VALUES (99, 'zed@example.com')")
    table = session.lakehouse.load(("crm", "m"))
    email = table.schema().find_field("email").field_id
    key = table.schema().find_field("id").field_id
    files = [task.file for task in table.scan().plan_files()]
    assert len(files) == 2
    for data_file in files:  # the tags were committed with the very first rows
        assert email not in (data_file.lower_bounds or {}) and email not in (
            data_file.upper_bounds or {}
        )
        assert key in data_file.lower_bounds  # other columns keep their statistics for pruning


def test_tags_are_bound_to_field_ids(session: Session) -> None:
    """A rename or a type change keeps the tag; a dropped column's tag stays for old snapshots."""
    import json

    from neurolake_lab.compliance.tagging import read_tags
    from neurolake_lab.compliance.tagging import stored_tags as by_id

    session.sql(
        "CREATE TABLE crm.ids AS SELECT * FROM (VALUES (1, 'ann@example.com', '203.0.113.7'), "
        "(2, 'bob@example.org', '198.51.100.23')) t(id, email, ip)"
    )
    _, meta = session.lakehouse.metadata("crm.ids")
    stored = json.loads(meta.properties["neurolake.pii"])
    ids = {f.name: f.field_id for f in meta.schema().fields}
    assert stored["version"] == 2
    assert stored["fields"][str(ids["email"])]["entity"] == "EMAIL_ADDRESS"
    session.sql("ALTER TABLE crm.ids RENAME COLUMN email TO contact")
    session.sql("ALTER TABLE crm.ids ALTER COLUMN id TYPE BIGINT")
    session.sql("ALTER TABLE crm.ids DROP COLUMN ip")
    tags = stored_tags(session.lakehouse, ("crm", "ids"))
    assert tags["contact"].entity == "EMAIL_ADDRESS" and "ip" not in tags
    _, meta = session.lakehouse.metadata("crm.ids")
    assert by_id(meta.properties)[0][ids["ip"]].entity == "IP_ADDRESS"  # kept for old snapshots
    # the first format (by name) is still read, by the names of the schema that reads it
    legacy = {"neurolake.pii": json.dumps({"email": {"entity": "EMAIL_ADDRESS"}})}
    assert read_tags(legacy, {"email": 2})["email"].entity == "EMAIL_ADDRESS"
    assert read_tags(legacy, {"contact": 2}) == {}

"""No laundering through CTAS/INSERT (tags carry over), and "remove PII" (mask or drop)."""

from __future__ import annotations

import pytest

from neurolake_lab.compliance.policy import carry_tags
from tests.compliance.policy_support import (
    EXAMPLE_POLICY,
    OWNER,
    TAGS,
    Governed,
    policy_from,
    retail_db,
    schema_of,
)


@pytest.fixture(scope="module")
def schema() -> dict[str, dict[str, str]]:
    return schema_of(retail_db(3))


def test_ctas_carries_the_tags_of_what_it_copies(schema: dict[str, dict[str, str]]) -> None:
    carried = carry_tags(
        "CREATE TABLE retail.export AS SELECT customer_id, email AS contact, "
        "upper(first_name) || ' ' || last_name AS full_name, md5(ssn) AS ssn_hash, city, "
        "length(phone) AS phone_length FROM retail.customers",
        schema=schema,
        tags=TAGS,
    )
    assert set(carried) == {"contact", "full_name", "ssn_hash", "phone_length"}
    assert carried["contact"].tag == {
        "entity": "EMAIL_ADDRESS",
        "entities": ["EMAIL_ADDRESS"],
        "score": 0.9,
        "category": "identifier",
        "free_text": False,
        "source": "carried",
        "origin": ["retail.customers.email"],
    }
    assert carried["contact"].sources == ("retail.customers.email",)
    assert carried["full_name"].tag["entity"] == "PERSON"
    assert set(carried["full_name"].sources) == {
        "retail.customers.first_name",
        "retail.customers.last_name",
    }
    assert carried["ssn_hash"].tag["entity"] == "US_SSN"  # a hash is still about the person


def test_aggregates_that_reveal_nothing_carry_nothing(schema: dict[str, dict[str, str]]) -> None:
    carried = carry_tags(
        "CREATE TABLE retail.stats AS SELECT country, count(email) AS emails, "
        "count(DISTINCT ssn) AS people, string_agg(last_name, ',') AS names, "
        "min(birth_date) AS oldest FROM retail.customers GROUP BY country",
        schema=schema,
        tags=TAGS,
    )
    assert set(carried) == {"names", "oldest"}
    assert carried["oldest"].tag["category"] == "quasi-identifier"


def test_mixed_sources_keep_every_entity_and_the_strongest_category(
    schema: dict[str, dict[str, str]],
) -> None:
    carried = carry_tags(
        "CREATE TABLE retail.x AS SELECT concat(birth_date, email) AS blob FROM retail.customers",
        schema=schema,
        tags=TAGS,
    )
    tag = carried["blob"].tag
    assert set(tag["entities"]) == {"DATE_OF_BIRTH", "EMAIL_ADDRESS"}
    assert tag["category"] == "identifier" and tag["entity"] == "EMAIL_ADDRESS"


def test_insert_maps_by_position_and_keeps_existing_tags(schema: dict[str, dict[str, str]]) -> None:
    statement = "INSERT INTO retail.contacts SELECT customer_id, email, phone FROM retail.customers"
    target = ["id", "mail", "tel"]
    carried = carry_tags(statement, schema=schema, tags=TAGS, target_columns=target)
    assert set(carried) == {"mail", "tel"}
    existing = {"mail": TAGS["retail.customers"]["email"], "tel": None}
    carried = carry_tags(
        statement, schema=schema, tags=TAGS, target_columns=target, target_tags=existing
    )
    assert set(carried) == {"tel"}
    assert (
        carry_tags(
            "SELECT email AS e FROM retail.customers",
            schema=schema,
            tags=TAGS,
            target_columns=["e"],
        )["e"].tag["entity"]
        == "EMAIL_ADDRESS"
    )


def test_a_masked_copy_made_by_another_user_is_still_tagged(
    schema: dict[str, dict[str, str]],
) -> None:
    user = Governed(retail_db(10), policy_from(None), "mallory")
    e = user.enforce("CREATE TABLE copy_of AS SELECT customer_id, email FROM retail.customers")
    user.con.execute(e.sql)
    assert "@" not in user.con.execute("SELECT max(email) FROM copy_of").fetchall()[0][0]
    carried = carry_tags(
        "CREATE TABLE copy_of AS SELECT customer_id, email FROM retail.customers",
        schema=schema,
        tags=TAGS,
    )
    assert set(carried) == {"email"}


def test_no_pii_mask_masks_every_pii_column_even_for_the_owner() -> None:
    owner = Governed(retail_db(10), policy_from(None), OWNER)
    e = owner.enforce("SELECT customer_id, email, city FROM retail.customers", no_pii="mask")
    assert e.masked == ({"column": "retail.customers.email", "method": "hash", "policy": "no-pii"},)
    rows = owner.rows("SELECT customer_id, email, city FROM retail.customers", no_pii="mask")
    assert rows and all("@" not in r[1] for r in rows)


def test_no_pii_drop_leaves_pii_columns_out_of_the_result() -> None:
    owner = Governed(retail_db(10), policy_from(None), OWNER)
    sql = "SELECT customer_id, email, city, upper(last_name) AS shout FROM retail.customers ORDER BY customer_id"
    e = owner.enforce(sql, no_pii="drop")
    assert e.dropped == ("email", "shout")
    cur = owner.con.execute(e.sql)
    assert [d[0] for d in cur.description] == ["customer_id", "city"]
    assert cur.fetchall()[:2] == [(0, "Berlin"), (1, "Paris")]
    e = owner.enforce("SELECT * FROM retail.customers", no_pii="drop")
    cur = owner.con.execute(e.sql)
    assert [d[0] for d in cur.description] == [
        "customer_id", "city", "country", "segment", "signup_date", "lifetime_value",
    ]  # fmt: skip
    assert any("left out" in w for w in e.warnings)


def test_no_pii_drop_of_only_pii_masks_instead() -> None:
    bob = Governed(retail_db(10), policy_from(EXAMPLE_POLICY), "bob")
    e = bob.enforce("SELECT email FROM retail.customers", no_pii="drop")
    assert e.dropped == () and any("masked instead" in w for w in e.warnings)
    assert all("@" not in r[0] for r in bob.con.execute(e.sql).fetchall())

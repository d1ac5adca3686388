"""Row filters apply wherever a query reads the table; rules per role, user and purpose."""

from __future__ import annotations

import pytest

from neurolake_lab.compliance.policy import PolicyViolation
from tests.compliance.policy_support import (
    EXAMPLE_POLICY,
    OWNER,
    SALT,
    Governed,
    create_retail,
    flat_text,
    policy_from,
    retail_db,
)

ROWS = 60
DE_ROWS = 20  # customer i lives in ['DE', 'FR', 'US'][i % 3]


@pytest.fixture(scope="module")
def policy():  # type: ignore[no-untyped-def]
    return policy_from(EXAMPLE_POLICY)


@pytest.fixture
def bob(policy) -> Governed:  # type: ignore[no-untyped-def]
    return Governed(retail_db(ROWS), policy, "bob")  # analyst in DE


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT count(*) FROM retail.customers",
        "SELECT count(*) FROM customers_view",
        "WITH c AS (SELECT * FROM retail.customers) SELECT count(*) FROM c",
        "WITH customers AS (SELECT * FROM retail.customers) SELECT count(*) FROM customers",
        "SELECT count(*) FROM (SELECT customer_id FROM (SELECT * FROM retail.customers))",
        "SELECT count(DISTINCT o.customer_id) FROM retail.orders o "
        "JOIN retail.customers c ON c.customer_id = o.customer_id",
        "SELECT count(*) FROM (SELECT customer_id FROM retail.customers "
        "UNION SELECT customer_id FROM retail.customers)",
        "SELECT count(*) FROM (SELECT customer_id FROM retail.customers "
        "INTERSECT SELECT customer_id FROM retail.customers)",
        "SELECT count(*) FROM range(100) r(i) WHERE i IN (SELECT customer_id FROM retail.customers)",
        "SELECT count(*) FROM range(100) r(i) WHERE EXISTS "
        "(SELECT 1 FROM retail.customers c WHERE c.customer_id = r.i)",
        "SELECT count(*) FROM range(100) r(i), LATERAL "
        "(SELECT * FROM retail.customers c WHERE c.customer_id = r.i)",
        "SELECT count(*) FROM customers_macro()",
        "SELECT sum(n) FROM (SELECT count(*) AS n FROM retail.customers GROUP BY segment)",
        "SELECT max(rn) FROM (SELECT row_number() OVER () AS rn FROM retail.customers)",
    ],
)
def test_row_filters_hold_through_every_construct(bob: Governed, sql: str) -> None:
    for definition in [
        "CREATE VIEW customers_view AS SELECT * EXCLUDE (ssn) FROM retail.customers",
        "CREATE MACRO customers_macro() AS TABLE SELECT customer_id FROM retail.customers",
    ]:
        bob.con.execute(bob.enforce(definition).sql)
    assert bob.rows(sql) == [(DE_ROWS,)]


def test_only_rows_of_the_users_country_come_back(bob: Governed) -> None:
    rows = bob.dicts("SELECT country, city, customer_id FROM retail.customers")
    assert len(rows) == DE_ROWS and {r["country"] for r in rows} == {"DE"}
    e = bob.enforce("SELECT country FROM retail.customers")
    assert e.row_filters == (
        {"table": "retail.customers", "predicate": "country = 'DE'", "policy": "own-country"},
    )


def test_a_filter_may_read_other_tables(bob: Governed) -> None:
    # own-orders: orders of customers in the user's country (60 customers x 3 orders)
    assert bob.rows("SELECT count(*) FROM retail.orders") == [(DE_ROWS * 3,)]
    e = bob.enforce("SELECT count(*) FROM retail.orders")
    assert e.row_filters[0]["policy"] == "own-orders"
    assert "country = 'DE'" in e.row_filters[0]["predicate"]


def test_masks_follow_the_first_matching_rule(bob: Governed) -> None:
    [row] = bob.dicts("SELECT * EXCLUDE (ssn) FROM retail.customers WHERE customer_id = 3")
    assert row["first_name"] == row["last_name"] == "[REDACTED]"  # names-redacted
    assert row["phone"] == "*******0003"  # phone-partial
    assert row["birth_date"] is None  # birth-null
    assert len(row["email"]) == 32 and "@" not in row["email"]  # defaults: hash
    assert row["city"] == "Berlin" and row["customer_id"] == 3
    e = bob.enforce("SELECT * EXCLUDE (ssn) FROM retail.customers")
    methods = {m["column"].rsplit(".", 1)[1]: (m["method"], m["policy"]) for m in e.masked}
    assert methods == {
        "first_name": ("redact", "names-redacted"),
        "last_name": ("redact", "names-redacted"),
        "email": ("hash", "defaults"),
        "phone": ("partial", "phone-partial"),
        "street": ("hash", "defaults"),
        "birth_date": ("null", "birth-null"),
    }


def test_a_purpose_opens_a_rule_for_the_roles_allowed_to_declare_it(policy) -> None:  # type: ignore[no-untyped-def]
    carol = Governed(retail_db(ROWS), policy, "carol")  # support in FR
    without = carol.dicts("SELECT email, phone, country FROM retail.customers ORDER BY customer_id")
    assert len(without) == DE_ROWS and {r["country"] for r in without} == {"FR"}
    assert "@" not in flat_text([tuple(r.values()) for r in without])
    with_purpose = carol.dicts(
        "SELECT email, phone FROM retail.customers ORDER BY customer_id", purpose="support_case"
    )
    assert with_purpose[0] == {"email": "user1@example.com", "phone": "+1-555-0001"}
    # the purpose does not lift the row filter
    assert len(with_purpose) == DE_ROWS

    bob = Governed(carol.con, policy, "bob")
    e = bob.enforce("SELECT email FROM retail.customers", purpose="support_case")
    assert e.blocked and e.refusals[0].rule == "purpose"
    with pytest.raises(PolicyViolation, match="may not declare purpose 'support_case'"):
        e.raise_if_blocked()
    e = bob.enforce("SELECT email FROM retail.customers", purpose="sightseeing")
    assert e.blocked and "unknown purpose 'sightseeing'" in e.refusals[0].message


def test_a_user_without_the_attribute_sees_no_rows(policy) -> None:  # type: ignore[no-untyped-def]
    frank = Governed(retail_db(ROWS), policy, "frank")  # analyst, no country attribute
    assert frank.rows("SELECT count(*) FROM retail.customers") == [(0,)]
    e = frank.enforce("SELECT count(*) FROM retail.customers")
    assert any("no attribute 'country'" in w for w in e.warnings)


def test_the_owner_and_admins_are_not_filtered(policy) -> None:  # type: ignore[no-untyped-def]
    con = retail_db(ROWS)
    owner = Governed(con, policy, OWNER)
    assert owner.rows("SELECT count(*) FROM retail.customers") == [(ROWS,)]
    assert owner.enforce("SELECT * FROM retail.customers").row_filters == ()
    dave = Governed(con, policy, "dave")  # admin: admin-sees-all, no row filter names admins
    [row] = dave.dicts("SELECT email, ssn FROM retail.customers WHERE customer_id = 2")
    assert row == {"email": "user2@example.com", "ssn": "900-02-0002"}
    assert dave.rows("SELECT count(*) FROM retail.customers") == [(ROWS,)]


def test_a_filter_sees_clear_values_the_user_cannot() -> None:
    policy = policy_from(
        "row_filters:\n"
        "  - name: example-accounts\n"
        "    tables: [retail.customers]\n"
        "    predicate: \"email LIKE 'user1%@example.com'\"\n"
    )
    user = Governed(retail_db(ROWS), policy, "mallory")
    rows = user.dicts("SELECT customer_id, email FROM retail.customers ORDER BY customer_id")
    assert [r["customer_id"] for r in rows] == [1, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]
    assert all("@" not in r["email"] for r in rows)


def test_update_and_delete_change_only_rows_the_user_may_see(policy) -> None:  # type: ignore[no-untyped-def]
    import duckdb

    from neurolake_lab.compliance.policy import register_masking_functions

    con = duckdb.connect()
    create_retail(con, ROWS)
    register_masking_functions(con, SALT)
    bob = Governed(con, policy, "bob")
    e = bob.enforce("UPDATE retail.customers SET segment = 'vip' WHERE segment = 'gold'")
    assert "country = 'DE'" in e.sql
    con.execute(e.sql)
    by_country = dict(
        con.execute(
            "SELECT country, count(*) FROM retail.customers WHERE segment = 'vip' GROUP BY 1"
        ).fetchall()
    )
    assert set(by_country) == {"DE"}
    con.execute(bob.enforce("DELETE FROM retail.customers").sql)
    left = dict(con.execute("SELECT country, count(*) FROM retail.customers GROUP BY 1").fetchall())
    assert left == {"FR": DE_ROWS, "US": DE_ROWS}


def test_the_owner_can_be_put_under_the_policy() -> None:
    policy = policy_from(
        "defaults:\n  owner: policy\n"
        "row_filters:\n  - name: gold-only\n    tables: [retail.customers]\n    roles: [owner]\n"
        "    predicate: segment = 'gold'\n"
    )
    owner = Governed(retail_db(12), policy, OWNER)
    rows = owner.dicts("SELECT email, segment FROM retail.customers")
    assert len(rows) == 6 and all(r["segment"] == "gold" and "@" not in r["email"] for r in rows)
    assert not owner.enforce("SELECT * FROM read_text('/etc/hostname')").blocked  # guards: exempt

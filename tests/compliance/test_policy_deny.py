"""Denied columns stop the queries that need them, with the column and policy named; remediation."""

from __future__ import annotations

import duckdb
import pytest

from neurolake_lab.compliance.policy import DENIAL_PATTERN, PolicyViolation
from tests.compliance.policy_support import EXAMPLE_POLICY, Governed, policy_from, retail_db


@pytest.fixture(scope="module")
def bob() -> Governed:
    return Governed(retail_db(30), policy_from(EXAMPLE_POLICY), "bob")


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT ssn FROM retail.customers",
        "SELECT * FROM retail.customers",
        "SELECT c.* FROM retail.customers c",
        "SELECT count(*) FROM retail.customers WHERE ssn LIKE '900-%'",
        "SELECT customer_id FROM retail.customers ORDER BY ssn",
        "SELECT segment, count(DISTINCT ssn) FROM retail.customers GROUP BY segment",
        "SELECT o.order_id FROM retail.orders o JOIN retail.customers c ON c.ssn = o.status",
        "WITH x AS (SELECT ssn AS s FROM retail.customers) SELECT s FROM x",
        "SELECT customer_id FROM retail.customers WHERE customer_id IN "
        "(SELECT customer_id FROM retail.customers WHERE ssn IS NOT NULL)",
        "CREATE TABLE copy_of AS SELECT * FROM retail.customers",
        "UPDATE retail.customers SET segment = 'x' WHERE ssn = '900-01-0001'",
        "DELETE FROM retail.customers WHERE ssn = '900-01-0001'",
    ],
)
def test_a_query_that_needs_a_denied_column_is_stopped(bob: Governed, sql: str) -> None:
    e = bob.enforce(sql)
    assert e.blocked and e.refusals == ()
    assert e.denied == ({"column": "retail.customers.ssn", "policy": "no-ssn"},)
    with pytest.raises(PolicyViolation) as info:
        e.raise_if_blocked()
    err = info.value
    assert err.kind == "denied" and err.enforcement is e
    assert "retail.customers.ssn" in err.message and '"no-ssn"' in err.message
    assert "EXCLUDE (ssn)" in (err.hint or "")
    assert e.to_report()["denied"] == [{"column": "retail.customers.ssn", "policy": "no-ssn"}]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * EXCLUDE (ssn) FROM retail.customers",
        "SELECT email, city FROM retail.customers",
        "WITH x AS (SELECT * FROM retail.customers) SELECT email FROM x",
        "SELECT customer_id FROM (SELECT * FROM retail.customers)",
        "SELECT count(*) FROM retail.customers",
    ],
)
def test_queries_that_do_not_need_it_run(bob: Governed, sql: str) -> None:
    e = bob.enforce(sql)
    assert not e.blocked and e.denied == ()
    assert bob.rows(sql)


def test_the_denied_column_raises_if_a_query_reaches_it_anyway(bob: Governed) -> None:
    # the static check is the first line; the subquery's error() is the backstop
    e = bob.enforce("SELECT customer_id FROM retail.customers")
    assert "is denied by policy" in e.sql
    reaching = e.sql.replace("SELECT customer_id FROM", "SELECT ssn FROM", 1)
    with pytest.raises(duckdb.InvalidInputException) as info:
        bob.con.execute(reaching).fetchall()
    match = DENIAL_PATTERN.search(str(info.value))
    assert match is not None
    assert match.group("column") == "retail.customers.ssn" and match.group("policy") == "no-ssn"


def test_remediate_mode_masks_instead_of_denying() -> None:
    text = EXAMPLE_POLICY.replace("mode: enforce", "mode: remediate")
    bob = Governed(retail_db(30), policy_from(text), "bob")
    e = bob.enforce("SELECT customer_id, ssn FROM retail.customers ORDER BY customer_id")
    assert not e.blocked and e.denied == ()
    assert {"column": "retail.customers.ssn", "method": "hash", "policy": "no-ssn"} in e.masked
    assert len(e.remediations) == 1 and "remediate" in e.remediations[0]
    assert e.remediations[0] in e.to_report()["warnings"]
    rows = bob.rows("SELECT customer_id, ssn FROM retail.customers ORDER BY customer_id")
    assert rows and all(not ssn.startswith("900-") and len(ssn) == 32 for _, ssn in rows)


def test_a_rule_can_remediate_with_its_own_method() -> None:
    text = EXAMPLE_POLICY.replace(
        "  - name: no-ssn\n    tags: [US_SSN]\n    action: deny\n",
        "  - name: no-ssn\n    tags: [US_SSN]\n    action: deny\n    mode: remediate\n"
        "    method: partial\n",
    )
    assert text != EXAMPLE_POLICY
    bob = Governed(retail_db(30), policy_from(text), "bob")
    [(ssn,)] = bob.rows("SELECT ssn FROM retail.customers WHERE customer_id = 3")
    assert ssn == "*******0003"
    e = bob.enforce("SELECT ssn FROM retail.customers")
    assert e.masked == (
        {"column": "retail.customers.ssn", "method": "partial", "policy": "no-ssn"},
    )


def test_defaults_can_deny_every_pii_column_no_rule_decides() -> None:
    policy = policy_from("defaults:\n  pii: deny\n")
    user = Governed(retail_db(10), policy, "mallory")
    e = user.enforce("SELECT email, city FROM retail.customers")
    assert e.denied == ({"column": "retail.customers.email", "policy": "defaults"},)
    assert not user.enforce("SELECT city FROM retail.customers").blocked

"""The API the session relies on: text or shared tree in, the report's compliance part out."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
import sqlglot
from sqlglot.optimizer.qualify import qualify

from neurolake_lab.compliance.policy import (
    PolicyError,
    clear_cache,
    default_policy,
    enforce,
    register_user_functions,
)
from neurolake_lab.report import report_schema
from tests.compliance.policy_support import (
    EXAMPLE_POLICY,
    TAGS,
    Governed,
    policy_from,
    retail_db,
    schema_of,
)


@pytest.fixture(scope="module")
def con():  # type: ignore[no-untyped-def]
    return retail_db(12)


def test_the_users_text_is_kept_around_the_governed_references(con) -> None:  # type: ignore[no-untyped-def]
    sql = "SELECT /* keep me */ Email\nFROM   Retail.Customers   -- and me\nWHERE city = 'Paris'"
    e = enforce(
        sql, schema=schema_of(con), tags=TAGS, user="mallory", policy=default_policy("alice")
    )
    assert e.sql.startswith(
        "SELECT /* keep me */ Email\nFROM   (SELECT * EXCLUDE (__nl_key) REPLACE ("
    )
    assert e.sql.endswith(") AS Customers   -- and me\nWHERE city = 'Paris'")
    assert all("@" not in r[0] for r in con.execute(e.sql).fetchall())


def test_a_shared_tree_is_used_and_left_unchanged(con) -> None:  # type: ignore[no-untyped-def]
    schema = schema_of(con)
    sql = "SELECT c.email, count(*) AS n FROM retail.customers c GROUP BY ALL"
    for tree in (
        sqlglot.parse_one(sql, read="duckdb"),
        qualify(sqlglot.parse_one(sql, read="duckdb"), schema=schema, dialect="duckdb"),
    ):
        before = tree.sql("duckdb")
        e = enforce(
            tree, sql=sql, schema=schema, tags=TAGS, user="mallory", policy=default_policy("alice")
        )
        assert tree.sql("duckdb") == before
        assert e.rewritten and e.masked[0]["column"] == "retail.customers.email"
        rows = con.execute(e.sql).fetchall()
        assert len(rows) == 12 and all("@" not in r[0] for r in rows)
        e = enforce(tree, schema=schema, tags=TAGS, user="mallory", policy=default_policy("alice"))
        assert all("@" not in r[0] for r in con.execute(e.sql).fetchall())


def test_the_compliance_part_fits_the_report_schema(con) -> None:  # type: ignore[no-untyped-def]
    part = report_schema()["properties"]["compliance"]
    bob = Governed(con, policy_from(EXAMPLE_POLICY), "bob")
    for sql in [
        "SELECT * EXCLUDE (ssn) FROM retail.customers",
        "SELECT ssn FROM retail.customers",
        "SELECT * FROM read_text('/etc/hostname')",
        "SELECT 1",
    ]:
        jsonschema.validate(bob.enforce(sql).to_report(), part)
    e = bob.enforce("SELECT email, country FROM retail.customers")
    report = e.to_report()
    assert report["pii_columns"] == [
        {"column": "retail.customers.email", "entity": "EMAIL_ADDRESS", "category": "identifier"}
    ]
    assert report["masked"] == [
        {"column": "retail.customers.email", "method": "hash", "policy": "defaults"}
    ]
    assert report["row_filters"] == [
        {"table": "retail.customers", "predicate": "country = 'DE'", "policy": "own-country"}
    ]
    audit = e.to_audit()
    assert audit["policy_version"].startswith("sha256:") and audit["executed_sql"] == e.sql
    assert audit["tables"] == ["retail.customers"] and audit["blocked"] is False


def test_one_statement_at_a_time(con) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PolicyError, match="one statement at a time"):
        enforce(
            "SELECT 1; SELECT 2",
            schema=schema_of(con),
            tags=TAGS,
            user="m",
            policy=default_policy("a"),
        )


def test_results_are_cached_by_statement_policy_and_tags(con) -> None:  # type: ignore[no-untyped-def]
    schema = schema_of(con)
    policy = default_policy("alice")
    clear_cache()
    sql = "SELECT email FROM retail.customers"
    first = enforce(sql, schema=schema, tags=TAGS, user="mallory", policy=policy)
    assert enforce(sql, schema=schema, tags=TAGS, user="mallory", policy=policy) is first
    for literal in ("'a  b'", "'a b'"):  # the key is the exact text: literals differ
        e = enforce(
            f"{sql} WHERE city = {literal}", schema=schema, tags=TAGS, user="mallory", policy=policy
        )
        assert e.sql.endswith(literal)
    untagged = {**TAGS, "retail.customers": {}}
    assert not enforce(sql, schema=schema, tags=untagged, user="mallory", policy=policy).rewritten
    assert not enforce(sql, schema=schema, tags=TAGS, user="alice", policy=policy).rewritten
    other = policy_from(EXAMPLE_POLICY)
    assert (
        enforce(sql, schema=schema, tags=TAGS, user="mallory", policy=other).policy_version
        != first.policy_version
    )


def test_user_functions_give_the_users_attributes(con, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    policy = policy_from(EXAMPLE_POLICY)
    register_user_functions(con, policy, "bob")
    row = con.execute(
        "SELECT current_user_name(), current_user_country(), current_user_region(), "
        "current_user_has_role('analyst'), current_user_has_role('admin')"
    ).fetchone()
    assert row == ("bob", "DE", "EU", True, False)
    register_user_functions(con, policy, "carol")
    assert con.execute("SELECT current_user_name(), current_user_region()").fetchone() == (
        "carol",
        None,
    )


def test_statements_without_governed_tables_pass_unchanged(con) -> None:  # type: ignore[no-untyped-def]
    for sql in [
        "SELECT 42",
        "CREATE TEMP TABLE scratch AS SELECT range AS i FROM range(3)",
        "SELECT * FROM scratch",
    ]:
        e = enforce(
            sql, schema=schema_of(con), tags=TAGS, user="mallory", policy=default_policy("alice")
        )
        assert e.sql == sql and not e.rewritten and not e.blocked


def test_a_tagged_table_missing_from_the_schema_is_still_governed(con) -> None:  # type: ignore[no-untyped-def]
    schema = {t: c for t, c in schema_of(con).items() if t != "retail.customers"}
    e = enforce(
        "SELECT email FROM retail.customers",
        schema=schema,
        tags=TAGS,
        user="mallory",
        policy=default_policy("alice"),
    )
    assert e.rewritten and e.masked
    assert all("@" not in r[0] for r in con.execute(e.sql).fetchall())


def test_docstring_examples_run() -> None:
    import doctest
    import importlib

    for name in ("enforce", "masking", "carry"):
        module = importlib.import_module(f"neurolake_lab.compliance.policy.{name}")
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, name

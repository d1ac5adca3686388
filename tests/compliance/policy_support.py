"""A small retail database in a real DuckDB, with PII tags, for the policy tests.

``retail.customers`` has 13 columns, 7 of them PII (names, e-mail, phone, street, birth date,
SSN); ``retail.orders`` has an IP address; ``retail.tickets`` free text. Values are made so that a
leak is easy to spot: every clear e-mail ends in ``@example.com``, every SSN starts ``900-``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from neurolake_lab.compliance.policy import (
    Enforcement,
    Policy,
    enforce,
    parse_policy,
    register_masking_functions,
    register_user_functions,
)

SALT = "policy-tests-salt-0123456789abcdef"
OWNER = "alice"
COUNTRIES = ("DE", "FR", "US")


def _tag(entity: str, category: str, *, free_text: bool = False) -> dict[str, Any]:
    return {
        "entity": entity,
        "entities": [entity],
        "score": 0.9,
        "category": category,
        "free_text": free_text,
        "source": "detected",
    }


NO_PII = {
    "entity": None,
    "entities": [],
    "score": 0.99,
    "category": None,
    "free_text": False,
    "source": "detected",
}

TAGS: dict[str, dict[str, Any]] = {
    "retail.customers": {
        "customer_id": NO_PII,
        "first_name": _tag("PERSON", "identifier"),
        "last_name": _tag("PERSON", "identifier"),
        "email": _tag("EMAIL_ADDRESS", "identifier"),
        "phone": _tag("PHONE_NUMBER", "identifier"),
        "street": _tag("STREET_ADDRESS", "identifier"),
        "city": NO_PII,
        "country": NO_PII,
        "birth_date": _tag("DATE_OF_BIRTH", "quasi-identifier"),
        "ssn": _tag("US_SSN", "identifier"),
        "segment": NO_PII,
        "signup_date": NO_PII,
        "lifetime_value": NO_PII,
    },
    "retail.orders": {
        "order_id": NO_PII,
        "customer_id": NO_PII,
        "order_date": NO_PII,
        "amount": NO_PII,
        "status": NO_PII,
        "ip_address": _tag("IP_ADDRESS", "identifier"),
    },
    "retail.tickets": {
        "ticket_id": NO_PII,
        "customer_id": NO_PII,
        "body": {
            **_tag("PERSON", "identifier", free_text=True),
            "entities": ["PERSON", "EMAIL_ADDRESS"],
        },
    },
}


def create_retail(con: duckdb.DuckDBPyConnection, rows: int = 60) -> None:
    """Create ``retail.customers`` (``rows`` rows), ``retail.orders`` (3 per customer), tickets."""
    con.execute("CREATE SCHEMA IF NOT EXISTS retail")
    con.execute(
        f"""
        CREATE OR REPLACE TABLE retail.customers AS
        SELECT
            i::INTEGER AS customer_id,
            'First' || i AS first_name,
            'Last' || i AS last_name,
            'user' || i || '@example.com' AS email,
            '+1-555-' || lpad(i::VARCHAR, 4, '0') AS phone,
            i || ' Main Street' AS street,
            ['Berlin', 'Paris', 'Boston'][(i % 3) + 1] AS city,
            ['DE', 'FR', 'US'][(i % 3) + 1] AS country,
            DATE '1970-01-01' + (i * 101)::INTEGER AS birth_date,
            '900-' || lpad((i % 100)::VARCHAR, 2, '0') || '-' || lpad(i::VARCHAR, 4, '0') AS ssn,
            ['gold', 'silver', 'bronze', 'gold'][(i % 4) + 1] AS segment,
            DATE '2024-01-01' + i::INTEGER AS signup_date,
            (i * 12.5)::DOUBLE AS lifetime_value
        FROM range({rows}) r(i)
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TABLE retail.orders AS
        SELECT
            (c * 10 + k)::INTEGER AS order_id,
            c::INTEGER AS customer_id,
            DATE '2025-01-01' + (c + k)::INTEGER AS order_date,
            (c + k * 3.5)::DOUBLE AS amount,
            ['paid', 'shipped', 'returned'][k + 1] AS status,
            '10.0.' || c || '.' || k AS ip_address
        FROM range({rows}) a(c), range(3) b(k)
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TABLE retail.tickets AS
        SELECT i::INTEGER AS ticket_id, i::INTEGER AS customer_id,
               'Hi, this is First' || i || ', write to user' || i || '@example.com' AS body
        FROM range({rows}) r(i)
        """
    )


def schema_of(
    con: duckdb.DuckDBPyConnection, tables: list[str] | None = None
) -> dict[str, dict[str, str]]:
    """``{"ns.t": {column: type}}`` as DuckDB describes the tables."""
    out: dict[str, dict[str, str]] = {}
    for table in tables or list(TAGS):
        rows = con.execute(f"DESCRIBE {table}").fetchall()
        out[table] = {r[0]: r[1] for r in rows}
    return out


def retail_db(rows: int = 60) -> duckdb.DuckDBPyConnection:
    """A fresh in-memory DuckDB with the retail tables and the masking functions."""
    con = duckdb.connect()
    create_retail(con, rows)
    register_masking_functions(con, SALT)
    return con


def policy_from(
    text: str | None, *, owner: str = OWNER, path: Path | str = "policies.yaml"
) -> Policy:
    """A policy parsed from YAML text (``None``: the built-in default)."""
    from neurolake_lab.compliance.policy import default_policy

    if text is None:
        return default_policy(owner)
    return parse_policy(text, path=path, owner=owner)


class Governed:
    """Runs SQL in a DuckDB as a given user, through the policy (as the session will)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, policy: Policy, user: str, **options: Any):
        self.con = con
        self.policy = policy
        self.user = user
        self.options = options
        self.schema = schema_of(con)
        register_user_functions(con, policy, user)

    def enforce(self, sql: str, **options: Any) -> Enforcement:
        return enforce(
            sql,
            schema=self.schema,
            tags=TAGS,
            user=self.user,
            policy=self.policy,
            **{**self.options, **options},
        )

    def rows(self, sql: str, **options: Any) -> list[tuple[Any, ...]]:
        e = self.enforce(sql, **options)
        e.raise_if_blocked()
        return self.con.execute(e.sql).fetchall()

    def dicts(self, sql: str, **options: Any) -> list[dict[str, Any]]:
        e = self.enforce(sql, **options)
        e.raise_if_blocked()
        cur = self.con.execute(e.sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def flat_text(rows: list[tuple[Any, ...]]) -> str:
    """Every value of a result as one string, to search for leaked clear values."""
    return " | ".join(repr(v) for row in rows for v in row)


#: A policy with every feature, used across the tests (line numbers matter to some of them).
EXAMPLE_POLICY = """\
version: 1
mode: enforce
defaults:
  pii: mask
  method: hash
  owner: allow
  roles: [viewer]
roles:
  viewer: {description: everyone listed or not}
  analyst: {inherits: [viewer]}
  support: {inherits: [viewer]}
  admin: {}
  engineer: {}
users:
  bob: {roles: [analyst], attributes: {country: DE, region: EU}}
  carol: {roles: [support], attributes: {country: FR}}
  dave: {roles: [admin]}
  erin: {roles: [engineer]}
  frank: {roles: [analyst]}
purposes:
  support_case: {description: helping one customer, roles: [support]}
  marketing: {}
rules:
  - name: admin-sees-all
    roles: [admin]
    tags: [pii]
    action: allow
  - name: no-ssn
    tags: [US_SSN]
    action: deny
  - name: support-contact
    roles: [support]
    purposes: [support_case]
    columns: [retail.customers.email, retail.customers.phone]
    action: allow
  - name: phone-partial
    columns: ["*.phone"]
    action: mask
    method: partial
  - name: names-redacted
    tags: [PERSON]
    action: mask
    method: redact
  - name: birth-null
    tags: [DATE_OF_BIRTH]
    action: mask
    method: "null"
row_filters:
  - name: own-country
    tables: [retail.customers]
    roles: [analyst, support]
    predicate: "country = current_user_country()"
  - name: own-orders
    tables: [retail.orders]
    roles: [analyst]
    predicate: >-
      customer_id IN (SELECT customer_id FROM retail.customers
      WHERE country = current_user_country())
guards:
  file_reads: workspace
  exempt_roles: [owner, engineer]
"""

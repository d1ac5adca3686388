"""A masked column is masked wherever a query reads it: nothing recovers or probes clear values.

Every query runs in a real DuckDB as ``mallory`` (not the owner) under the default policy, which
hashes every PII column. A leak would show as a clear value in the result (every clear e-mail
ends in ``@example.com``, names start ``First``/``Last``, SSNs ``900-``), or as a probe that finds
a row by its clear value.
"""

from __future__ import annotations

import duckdb
import pytest

from tests.compliance.policy_support import Governed, flat_text, policy_from, retail_db

CLEAR = ("@example.com", "First", "Last", "900-", "Main Street", "+1-555")
PROBE = "'user1@example.com'"


@pytest.fixture(scope="module")
def mallory() -> Governed:
    con = retail_db(60)
    # the lakehouse's bare-name view (main.customers) exists next to the schema table
    con.execute("CREATE VIEW main.customers AS SELECT * FROM retail.customers")
    return Governed(con, policy_from(None), "mallory")


def _no_clear_values(rows: list[tuple[object, ...]]) -> None:
    text = flat_text(rows)
    for clear in CLEAR:
        assert clear not in text, f"clear value {clear!r} leaked: {text[:300]}"


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM retail.customers",
        "FROM retail.customers",
        "SELECT c.* FROM retail.customers c",
        "SELECT * EXCLUDE (city) FROM retail.customers",
        "SELECT * REPLACE (lower(email) AS email) FROM retail.customers",
        "SELECT COLUMNS('.*name|email|ssn') FROM retail.customers",
        "SELECT #4, #10 FROM retail.customers",
        "SELECT c FROM retail.customers c",  # the whole row as a struct
        "SELECT email, upper(first_name), substr(ssn, 1, 4), phone || '' FROM retail.customers",
        "SELECT retail.customers.email FROM retail.customers",
        "SELECT memory.retail.customers.email FROM memory.retail.customers",
        "SELECT email FROM customers",  # the bare-name view
        "SELECT email FROM main.customers",
        "SELECT email FROM memory.main.customers",
        "WITH x AS (SELECT * FROM retail.customers) SELECT email, ssn FROM x",
        "WITH customers AS (SELECT * FROM customers) SELECT email FROM customers",
        "SELECT email FROM (SELECT * FROM (SELECT * FROM retail.customers))",
        "SELECT email FROM retail.customers UNION ALL SELECT 'x'",
        "SELECT ssn FROM retail.customers EXCEPT SELECT 'nothing'",
        "SELECT * FROM retail.customers UNION BY NAME SELECT 1 AS extra",
        "SELECT o.order_id, c.email FROM retail.orders o JOIN retail.customers c USING (customer_id)",
        "SELECT c.email, l.x FROM retail.customers c, LATERAL (SELECT c.ssn AS x) l",
        "SELECT email, count(*) FROM retail.customers GROUP BY email ORDER BY email",
        "SELECT max(email), min(ssn), string_agg(last_name, ',') FROM retail.customers",
        "SELECT first_value(email) OVER (PARTITION BY ssn ORDER BY phone) FROM retail.customers",
        "SELECT list(email) FROM retail.customers",
        "SELECT list_filter(list(email), x -> x LIKE '%@%') FROM retail.customers",
        "SELECT CASE WHEN customer_id > 3 THEN email ELSE ssn END FROM retail.customers",
        "SELECT struct_pack(e := email) FROM retail.customers",
        "PIVOT retail.customers ON country USING first(email)",
        "SUMMARIZE retail.customers",
        "SELECT ip_address FROM retail.orders",
        "SELECT body FROM retail.tickets",
        "SELECT * FROM retail.customers TABLESAMPLE RESERVOIR (10 ROWS)",
        "SELECT a, d FROM retail.customers AS c(a, b, d)",
    ],
)
def test_results_hold_no_clear_value(mallory: Governed, sql: str) -> None:
    enforcement = mallory.enforce(sql)
    assert enforcement.rewritten and not enforcement.blocked
    rows = mallory.rows(sql)
    assert rows
    _no_clear_values(rows)


@pytest.mark.parametrize(
    "sql",
    [
        f"SELECT count(*) FROM retail.customers WHERE email = {PROBE}",
        "SELECT count(*) FROM retail.customers WHERE email LIKE '%@example.com'",
        "SELECT count(*) FROM retail.customers WHERE starts_with(ssn, '900-')",
        "SELECT count(*) FROM retail.customers WHERE regexp_matches(email, '^user1@')",
        "SELECT count(*) FROM retail.customers WHERE length(email) = 17",
        f"SELECT count(*) FROM retail.customers WHERE email IN ({PROBE}, 'user2@example.com')",
        f"SELECT count(*) FROM retail.customers c JOIN (SELECT {PROBE} AS e) p ON c.email = p.e",
        f"SELECT count(*) FROM retail.customers JOIN (SELECT {PROBE} AS email) USING (email)",
        f"SELECT count(*) FROM retail.orders WHERE customer_id IN "
        f"(SELECT customer_id FROM retail.customers WHERE email = {PROBE})",
        f"SELECT count(*) FROM retail.orders o WHERE EXISTS "
        f"(SELECT 1 FROM retail.customers c WHERE c.customer_id = o.customer_id AND c.email = {PROBE})",
        "SELECT count(*) FROM (SELECT country FROM retail.customers GROUP BY country "
        "HAVING max(email) = 'user9@example.com')",
        f"SELECT count(*) FROM (SELECT customer_id FROM retail.customers "
        f"QUALIFY first_value(email) OVER (PARTITION BY customer_id) = {PROBE})",
        f"SELECT count(*) FROM (SELECT email FROM retail.customers ORDER BY email = {PROBE} DESC "
        f"LIMIT 1) WHERE email = {PROBE}",
        f"SELECT count(*) FILTER (WHERE email = {PROBE}) FROM retail.customers",
        f"SELECT sum(CASE WHEN email = {PROBE} THEN 1 ELSE 0 END) FROM retail.customers",
        f"SELECT count(*) FROM retail.customers WHERE "
        f"CASE WHEN email = {PROBE} THEN error('found') ELSE false END",
        f"WITH hit AS (SELECT * FROM retail.customers WHERE email = {PROBE}) SELECT count(*) FROM hit",
        f"SELECT count(*) FROM customers WHERE email = {PROBE}",
        "SELECT count(*) FROM retail.customers WHERE birth_date::VARCHAR = '1970-01-01'",
    ],
)
def test_filters_and_joins_on_masked_columns_cannot_probe(mallory: Governed, sql: str) -> None:
    rows = mallory.rows(sql)
    assert rows == [(0,)] or rows == [(None,)], rows


def test_masked_values_still_join_and_group_consistently(mallory: Governed) -> None:
    # equal clear values give equal pseudonyms, so a self-join on a masked column still works
    [(pairs,)] = mallory.rows(
        "SELECT count(*) FROM retail.customers a JOIN retail.customers b ON a.email = b.email"
    )
    [(distinct,)] = mallory.rows("SELECT count(DISTINCT email) FROM retail.customers")
    assert pairs == distinct == 60


def test_ordering_by_a_masked_column_follows_the_pseudonym(mallory: Governed) -> None:
    clear = [
        r[0]
        for r in mallory.con.execute(
            "SELECT customer_id FROM retail.customers ORDER BY email"
        ).fetchall()
    ]
    masked = [r[0] for r in mallory.rows("SELECT customer_id FROM retail.customers ORDER BY email")]
    assert sorted(clear) == sorted(masked) and clear != masked


def test_views_and_macros_are_governed_when_they_are_defined(mallory: Governed) -> None:
    con = mallory.con
    for sql in [
        "CREATE OR REPLACE VIEW v_people AS SELECT * FROM retail.customers",
        "CREATE OR REPLACE MACRO m_people() AS TABLE SELECT email, ssn FROM retail.customers",
        "CREATE OR REPLACE MACRO m_email(i) AS (SELECT email FROM retail.customers WHERE customer_id = i)",
        "CREATE OR REPLACE TEMP TABLE t_people AS SELECT * FROM retail.customers",
    ]:
        e = mallory.enforce(sql)
        assert e.rewritten and not e.blocked
        con.execute(e.sql)
    for sql in [
        "SELECT email, ssn FROM v_people",
        "SELECT * FROM m_people()",
        "SELECT m_email(1)",
        "SELECT email FROM t_people",
    ]:
        rows = mallory.rows(sql)
        assert rows
        _no_clear_values(rows)
    assert mallory.rows(f"SELECT count(*) FROM v_people WHERE email = {PROBE}") == [(0,)]


def test_prepared_and_explained_statements_are_rewritten(mallory: Governed) -> None:
    e = mallory.enforce("PREPARE q AS SELECT email FROM retail.customers WHERE customer_id = $1")
    assert e.rewritten and e.sql.startswith("PREPARE q AS SELECT email FROM (SELECT")
    mallory.con.execute(e.sql)
    rows = mallory.rows("EXECUTE q(1)")
    assert rows and "@" not in rows[0][0]
    e = mallory.enforce("EXPLAIN ANALYZE SELECT email FROM retail.customers")
    assert e.rewritten and e.sql.startswith("EXPLAIN ANALYZE SELECT")
    assert "nl_mask_hash" in e.sql
    mallory.con.execute(e.sql)


def test_update_and_delete_cannot_probe_by_clear_values(mallory: Governed) -> None:
    con = duckdb.connect()
    from neurolake_lab.compliance.policy import register_masking_functions
    from tests.compliance.policy_support import SALT, create_retail

    create_retail(con, 30)
    register_masking_functions(con, SALT)
    user = Governed(con, policy_from(None), "mallory")
    e = user.enforce(f"DELETE FROM retail.customers WHERE email = {PROBE}")
    # the WHERE runs over the governed rows; the DELETE only matches their row ids
    assert 'nl_mask_hash_keyed("email"' in e.sql and "__nl_rowid" in e.sql
    assert con.execute(e.sql).fetchall() == [(0,)]
    for whole_row in ("c::VARCHAR", "to_json(c)::VARCHAR", "list_value(c)::VARCHAR"):
        e = user.enforce(
            f"DELETE FROM retail.customers AS c WHERE error({whole_row}) IS NULL AND c.customer_id = 1"
        )
        with pytest.raises(duckdb.Error) as info:
            con.execute(e.sql)
        assert "customer_id" in str(info.value)  # the row itself, governed
        _no_clear_values([(str(info.value),)])
    e = user.enforce(
        f"UPDATE retail.customers SET segment = 'hit' WHERE email = {PROBE} OR ssn LIKE '900-%'"
    )
    assert con.execute(e.sql).fetchall() == [(0,)]
    e = user.enforce("UPDATE retail.customers SET city = email WHERE customer_id = 1 RETURNING *")
    rows = con.execute(e.sql).fetchall()
    _no_clear_values(rows)
    [(city,)] = con.execute("SELECT city FROM retail.customers WHERE customer_id = 1").fetchall()
    assert "@" not in city  # the copy written by UPDATE is the pseudonym, not the address
    assert con.execute("SELECT count(*) FROM retail.customers").fetchall() == [(30,)]


def test_the_owner_sees_clear_values_with_a_warning(mallory: Governed) -> None:
    owner = Governed(mallory.con, policy_from(None), "alice")
    e = owner.enforce("SELECT email FROM retail.customers WHERE customer_id = 1")
    assert not e.rewritten and e.masked == ()
    assert e.pii_columns == (
        {"column": "retail.customers.email", "entity": "EMAIL_ADDRESS", "category": "identifier"},
    )
    assert any("in clear" in w and "retail.customers.email" in w for w in e.warnings)
    assert owner.rows("SELECT email FROM retail.customers WHERE customer_id = 1") == [
        ("user1@example.com",)
    ]

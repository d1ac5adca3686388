"""The retail demo generator: types, counts, determinism and the spec's consistency rules.

Checks run on real generated data, mostly as DuckDB SQL over the Arrow tables, with a fixed
``today`` so that "last month" and "last 7 days" are known.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
import re
import unicodedata
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from neurolake_lab.demo import DemoTable, ForeignKey, generate_retail
from neurolake_lab.exceptions import UsageError

TODAY = dt.date(2025, 3, 15)

EXPECTED_SCHEMAS: dict[str, list[tuple[str, pa.DataType, bool]]] = {
    "customers": [
        ("customer_id", pa.int64(), False),
        ("full_name", pa.string(), False),
        ("email", pa.string(), False),
        ("phone", pa.string(), False),
        ("street_address", pa.string(), False),
        ("city", pa.string(), False),
        ("country", pa.string(), False),
        ("date_of_birth", pa.date32(), False),
        ("credit_card_number", pa.string(), False),
        ("last_login_ip", pa.string(), False),
        ("segment", pa.string(), False),
        ("signup_date", pa.date32(), False),
        ("churned_at", pa.date32(), True),
    ],
    "products": [
        ("product_id", pa.int64(), False),
        ("product_name", pa.string(), False),
        ("category", pa.string(), False),
        ("unit_price", pa.decimal128(10, 2), False),
    ],
    "orders": [
        ("order_id", pa.int64(), False),
        ("customer_id", pa.int64(), False),
        ("order_date", pa.date32(), False),
        ("status", pa.string(), False),
        ("channel", pa.string(), False),
        ("total_amount", pa.decimal128(12, 2), False),
    ],
    "order_items": [
        ("order_id", pa.int64(), False),
        ("line_no", pa.int32(), False),
        ("product_id", pa.int64(), False),
        ("quantity", pa.int32(), False),
        ("unit_price", pa.decimal128(10, 2), False),
        ("discount", pa.decimal128(4, 3), False),
    ],
    "support_tickets": [
        ("ticket_id", pa.int64(), False),
        ("customer_id", pa.int64(), False),
        ("opened_at", pa.timestamp("us"), False),
        ("resolved_at", pa.timestamp("us"), True),
        ("channel", pa.string(), False),
        ("priority", pa.string(), False),
        ("subject", pa.string(), False),
        ("body", pa.string(), False),
    ],
}


@pytest.fixture(scope="module")
def tables() -> list[DemoTable]:
    return generate_retail(scale=1, seed=42, today=TODAY)


@pytest.fixture(scope="module")
def by_name(tables: list[DemoTable]) -> dict[str, pa.Table]:
    return {t.name: t.data for t in tables}


@pytest.fixture(scope="module")
def con(by_name: dict[str, pa.Table]) -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect()
    for name, data in by_name.items():
        c.register(name, data)
    yield c
    c.close()


def one(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    row = con.execute(sql.replace("TODAY", f"DATE '{TODAY}'")).fetchone()
    assert row is not None
    return row[0]


def none_of(con: duckdb.DuckDBPyConnection, count_sql: str) -> None:
    """The ``SELECT count(*)`` of rows that break a rule finds none."""
    assert one(con, count_sql) == 0, count_sql


# --- shape -----------------------------------------------------------------------------------


def test_tables_come_in_dependency_order_with_the_exact_types(tables: list[DemoTable]) -> None:
    assert [t.name for t in tables] == list(EXPECTED_SCHEMAS)
    for t in tables:
        fields = [(f.name, f.type, f.nullable) for f in t.data.schema]
        assert fields == EXPECTED_SCHEMAS[t.name], t.name
        for f in t.data.schema:
            if not f.nullable:
                assert t.data.column(f.name).null_count == 0, (t.name, f.name)


def test_row_counts_at_scale_1(by_name: dict[str, pa.Table]) -> None:
    counts = {name: t.num_rows for name, t in by_name.items()}
    assert counts["customers"] == 5_000
    assert counts["products"] == 200
    assert counts["orders"] == 60_000
    assert counts["support_tickets"] == 8_000
    assert 145_000 <= counts["order_items"] <= 155_000


def test_scale_multiplies_the_counts_and_keeps_every_category() -> None:
    small = {t.name: t.data for t in generate_retail(scale=0.1, seed=3, today=TODAY)}
    assert small["customers"].num_rows == 500
    assert small["products"].num_rows == 20
    assert small["orders"].num_rows == 6_000
    assert small["support_tickets"].num_rows == 800
    assert 14_000 <= small["order_items"].num_rows <= 16_000
    tiny = {t.name: t.data for t in generate_retail(scale=0.001, seed=3, today=TODAY)}
    assert tiny["customers"].num_rows == 5
    assert tiny["products"].num_rows == 8
    assert len(set(tiny["products"].column("category").to_pylist())) == 8
    assert tiny["orders"].num_rows == 60


@pytest.mark.parametrize("scale", [0, -1, math.nan, math.inf, "1", True, None])
def test_a_scale_that_is_not_a_positive_number_is_refused(scale: Any) -> None:
    with pytest.raises(UsageError, match="scale"):
        generate_retail(scale=scale, today=TODAY)


@pytest.mark.parametrize("seed", [-1, 1.5, "42", None])
def test_a_seed_that_is_not_a_non_negative_integer_is_refused(seed: Any) -> None:
    with pytest.raises(UsageError, match="seed"):
        generate_retail(scale=0.01, seed=seed, today=TODAY)


def test_numpy_numbers_are_accepted_as_scale_and_seed() -> None:
    import numpy as np

    tables = generate_retail(scale=np.float64(0.01), seed=np.int64(4), today=TODAY)
    assert tables[0].data.num_rows == 50
    assert tables[0].data.equals(generate_retail(scale=0.01, seed=4, today=TODAY)[0].data)


# --- determinism -----------------------------------------------------------------------------


def test_the_same_call_gives_identical_tables_and_another_seed_other_data() -> None:
    first = generate_retail(scale=0.1, seed=7, today=TODAY)
    again = generate_retail(scale=0.1, seed=7, today=TODAY)
    other = generate_retail(scale=0.1, seed=8, today=TODAY)
    for a, b in zip(first, again, strict=True):
        assert a.data.equals(b.data), a.name
    for a, c in zip(first, other, strict=True):
        assert not a.data.equals(c.data), a.name
    names_a = first[0].data.column("full_name").to_pylist()
    names_c = other[0].data.column("full_name").to_pylist()
    assert sum(x != y for x, y in zip(names_a, names_c, strict=True)) > 400


def test_today_defaults_to_the_current_utc_date() -> None:
    before = dt.datetime.now(dt.UTC).date()
    implicit = generate_retail(scale=0.01, seed=5)
    after = dt.datetime.now(dt.UTC).date()
    if before != after:
        pytest.skip("the UTC date changed during the test")
    explicit = generate_retail(scale=0.01, seed=5, today=before)
    for a, b in zip(implicit, explicit, strict=True):
        assert a.data.equals(b.data), a.name


# --- metadata --------------------------------------------------------------------------------


def test_every_table_and_column_is_documented_in_one_line(tables: list[DemoTable]) -> None:
    for t in tables:
        assert t.description.strip() and "\n" not in t.description
        assert list(t.column_docs) == t.data.schema.names, t.name
        for column, doc in t.column_docs.items():
            assert doc.strip() and "\n" not in doc, (t.name, column)


def test_keys_are_declared_and_hold(
    tables: list[DemoTable], con: duckdb.DuckDBPyConnection
) -> None:
    keys = {t.name: (t.primary_key, t.foreign_keys) for t in tables}
    assert keys == {
        "customers": (("customer_id",), ()),
        "products": (("product_id",), ()),
        "orders": (("order_id",), (ForeignKey(("customer_id",), "customers", ("customer_id",)),)),
        "order_items": (
            ("order_id", "line_no"),
            (
                ForeignKey(("order_id",), "orders", ("order_id",)),
                ForeignKey(("product_id",), "products", ("product_id",)),
            ),
        ),
        "support_tickets": (
            ("ticket_id",),
            (ForeignKey(("customer_id",), "customers", ("customer_id",)),),
        ),
    }
    for t in tables:
        cols = ", ".join(t.primary_key)
        dupes = one(
            con,
            f"SELECT count(*) FROM (SELECT {cols} FROM {t.name} GROUP BY ALL HAVING count(*) > 1)",
        )
        assert dupes == 0, t.name
        for fk in t.foreign_keys:
            on = " AND ".join(
                f"r.{rc} = t.{c}" for c, rc in zip(fk.columns, fk.ref_columns, strict=True)
            )
            orphans = one(
                con,
                f"SELECT count(*) FROM {t.name} t WHERE NOT EXISTS (SELECT 1 FROM {fk.ref_table} r WHERE {on})",
            )
            assert orphans == 0, (t.name, fk)


# --- orders and items ------------------------------------------------------------------------


def test_order_totals_equal_their_items_exactly(con: duckdb.DuckDBPyConnection) -> None:
    none_of(
        con,
        "SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.order_id)",
    )
    mismatches = one(
        con,
        """
        SELECT count(*) FROM orders o JOIN (
            SELECT order_id, round(sum(quantity * unit_price * (1 - discount)), 2) AS total
            FROM order_items GROUP BY order_id
        ) s USING (order_id)
        WHERE o.total_amount <> s.total
        """,
    )
    assert mismatches == 0


def test_lines_are_numbered_one_to_n_and_about_2_5_per_order(
    con: duckdb.DuckDBPyConnection,
) -> None:
    bad = one(
        con,
        """
        SELECT count(*) FROM (
            SELECT order_id, min(line_no) AS lo, max(line_no) AS hi, count(*) AS n,
                   count(DISTINCT line_no) AS d, count(DISTINCT product_id) AS p
            FROM order_items GROUP BY order_id
        ) WHERE lo <> 1 OR hi <> n OR d <> n OR p <> n
        """,
    )
    assert bad == 0
    avg_lines = one(
        con, "SELECT avg(n) FROM (SELECT count(*) AS n FROM order_items GROUP BY order_id)"
    )
    assert 2.3 <= avg_lines <= 2.7


def test_item_values_are_in_range_and_prices_near_the_list_price(
    con: duckdb.DuckDBPyConnection,
) -> None:
    row = con.execute(
        """
        SELECT min(quantity), max(quantity), min(discount), max(discount),
               min(i.unit_price / p.unit_price), max(i.unit_price / p.unit_price),
               avg(CASE WHEN i.unit_price = p.unit_price THEN 1 ELSE 0 END),
               avg(CASE WHEN discount > 0 THEN 1 ELSE 0 END)
        FROM order_items i JOIN products p USING (product_id)
        """
    ).fetchone()
    assert row is not None
    qmin, qmax, dmin, dmax, rmin, rmax, same_price, discounted = row
    assert (qmin, qmax) == (1, 10)
    assert dmin == 0 and Decimal("0.25") <= dmax <= Decimal("0.3")
    assert Decimal("0.8") <= rmin and rmax <= Decimal("1.1")
    assert 0.6 <= same_price <= 0.9
    assert 0.15 <= discounted <= 0.6


def test_orders_lie_within_each_customers_life_and_the_last_24_months(
    con: duckdb.DuckDBPyConnection,
) -> None:
    none_of(
        con,
        "SELECT count(*) FROM orders WHERE order_date < TODAY - INTERVAL 730 DAY OR order_date > TODAY",
    )
    none_of(
        con,
        "SELECT count(*) FROM orders o JOIN customers c USING (customer_id) WHERE o.order_date < c.signup_date",
    )
    none_of(
        con,
        "SELECT count(*) FROM orders o JOIN customers c USING (customer_id) WHERE o.order_date > c.churned_at",
    )


def test_about_3_percent_of_customers_never_ordered(con: duckdb.DuckDBPyConnection) -> None:
    share = one(
        con,
        "SELECT avg(CASE WHEN NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.customer_id) THEN 1.0 ELSE 0 END) FROM customers c",
    )
    assert 0.02 <= share <= 0.04


def test_statuses_and_channels_are_the_specs_and_recent_orders_are_not_yet_delivered(
    con: duckdb.DuckDBPyConnection,
) -> None:
    statuses = dict(con.execute("SELECT status, count(*) FROM orders GROUP BY ALL").fetchall())
    assert set(statuses) == {"placed", "shipped", "delivered", "returned", "cancelled"}
    assert statuses["delivered"] > statuses["returned"] > 0 and statuses["cancelled"] > 0
    channels = dict(con.execute("SELECT channel, count(*) FROM orders GROUP BY ALL").fetchall())
    assert set(channels) == {"web", "mobile", "store"}
    none_of(
        con,
        "SELECT count(*) FROM orders WHERE status = 'placed' AND order_date < TODAY - INTERVAL 7 DAY",
    )
    none_of(
        con,
        "SELECT count(*) FROM orders WHERE status = 'returned' AND order_date >= TODAY - INTERVAL 7 DAY",
    )


# --- customers -------------------------------------------------------------------------------


def test_churn_is_about_15_percent_spread_over_the_last_12_months(
    con: duckdb.DuckDBPyConnection,
) -> None:
    share = one(
        con, "SELECT avg(CASE WHEN churned_at IS NOT NULL THEN 1.0 ELSE 0 END) FROM customers"
    )
    assert 0.14 <= share <= 0.16
    none_of(
        con,
        "SELECT count(*) FROM customers WHERE churned_at < TODAY - INTERVAL 365 DAY OR churned_at > TODAY",
    )
    none_of(con, "SELECT count(*) FROM customers WHERE churned_at <= signup_date")
    months = con.execute(
        "SELECT date_trunc('month', churned_at) AS m, count(*) FROM customers WHERE churned_at IS NOT NULL GROUP BY m"
    ).fetchall()
    assert len(months) >= 12
    assert min(n for m, n in months if m.date() > dt.date(2024, 3, 31)) >= 20


@pytest.mark.parametrize("today", [dt.date(2025, 1, 1), dt.date(2024, 3, 31), dt.date(2026, 7, 9)])
def test_some_customers_churned_last_calendar_month(today: dt.date) -> None:
    customers = generate_retail(scale=0.2, seed=11, today=today)[0].data
    last_month_end = today.replace(day=1)
    last_month_start = (last_month_end - dt.timedelta(days=1)).replace(day=1)
    churned = [d for d in customers.column("churned_at").to_pylist() if d is not None]
    assert sum(last_month_start <= d < last_month_end for d in churned) > 0
    assert max(customers.column("signup_date").to_pylist()) < today
    assert min(customers.column("signup_date").to_pylist()) >= today - dt.timedelta(days=1095)


def test_dates_of_birth_are_adults_and_signups_within_36_months(
    con: duckdb.DuckDBPyConnection,
) -> None:
    none_of(
        con,
        "SELECT count(*) FROM customers WHERE signup_date < TODAY - INTERVAL 1095 DAY OR signup_date > TODAY",
    )
    none_of(
        con, "SELECT count(*) FROM customers WHERE date_of_birth > signup_date - INTERVAL 18 YEAR"
    )
    assert one(con, "SELECT max(date_diff('year', date_of_birth, TODAY)) FROM customers") <= 90
    # signups grow towards the present
    assert one(
        con,
        "SELECT count(*) FILTER (signup_date >= TODAY - INTERVAL 365 DAY) > count(*) FILTER (signup_date < TODAY - INTERVAL 730 DAY) FROM customers",
    )


def test_countries_and_segments_are_uneven(con: duckdb.DuckDBPyConnection) -> None:
    countries = dict(con.execute("SELECT country, count(*) FROM customers GROUP BY ALL").fetchall())
    assert len(countries) == 12
    assert {"Germany", "France", "United States", "Japan", "Brazil", "India"} <= set(countries)
    assert max(countries.values()) > 3 * min(countries.values())
    segments = dict(con.execute("SELECT segment, count(*) FROM customers GROUP BY ALL").fetchall())
    assert set(segments) == {"consumer", "small_business", "enterprise"}
    assert segments["consumer"] > segments["small_business"] > segments["enterprise"] > 0
    assert (
        one(
            con,
            "SELECT count(*) FROM customers WHERE segment = 'enterprise' AND country = 'Germany'",
        )
        > 0
    )
    cities = con.execute(
        "SELECT country, count(DISTINCT city) FROM customers GROUP BY ALL"
    ).fetchall()
    assert all(n >= 8 for _, n in cities)


def _fold(text: str) -> str:
    german = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
    plain = unicodedata.normalize("NFKD", text.lower().translate(german))
    return "".join(
        ch for ch in plain.encode("ascii", "ignore").decode() if ch.isalnum() or ch == " "
    )


def test_emails_are_unique_and_derived_from_the_names(by_name: dict[str, pa.Table]) -> None:
    customers = by_name["customers"]
    emails = customers.column("email").to_pylist()
    assert len(set(emails)) == len(emails)
    domains = set()
    for name, email in zip(customers.column("full_name").to_pylist(), emails, strict=True):
        local, _, domain = email.partition("@")
        assert re.fullmatch(r"[a-z0-9._]+", local) and re.fullmatch(
            r"[a-z0-9.-]+\.[a-z]{2,}", domain
        ), email
        parts = [p.replace(" ", "") for p in _fold(name).split()]
        assert any(p in local for p in parts) or any(p in local for p in _fold(name).split()), (
            name,
            email,
        )
        domains.add(domain)
    assert len(domains) > 100  # personal providers of every country and company domains


COUNTRY_CODES = {
    "United States": "+1 ", "Canada": "+1 ", "Germany": "+49 ", "United Kingdom": "+44 ",
    "France": "+33 ", "India": "+91", "Japan": "+81 ", "Brazil": "+55 ", "Spain": "+34 ",
    "Italy": "+39 ", "Australia": "+61 ", "Mexico": "+52 ",
}  # fmt: skip


def test_phones_follow_each_countrys_formats(by_name: dict[str, pa.Table]) -> None:
    customers = by_name["customers"]
    seen_international = set()
    seen_national = set()
    for country, phone in zip(
        customers.column("country").to_pylist(), customers.column("phone").to_pylist(), strict=True
    ):
        assert re.fullmatch(r"[+0-9 ()\-.]+", phone), phone
        digits = re.sub(r"\D", "", phone)
        assert 9 <= len(digits) <= 13, phone
        if phone.startswith("+"):
            assert phone.startswith(COUNTRY_CODES[country]), (country, phone)
            seen_international.add(country)
        else:
            seen_national.add(country)
    assert seen_international == set(COUNTRY_CODES) and seen_national == set(COUNTRY_CODES)


REGIONS = {
    "United States": "US", "Canada": "CA", "Germany": "DE", "United Kingdom": "GB",
    "France": "FR", "India": "IN", "Japan": "JP", "Brazil": "BR", "Spain": "ES", "Italy": "IT",
    "Australia": "AU", "Mexico": "MX",
}  # fmt: skip


def test_phones_are_valid_numbers_of_their_country(by_name: dict[str, pa.Table]) -> None:
    # libphonenumber's rules (phonenumbers comes with Presidio, whose phone recognizer uses them)
    phonenumbers = pytest.importorskip("phonenumbers")
    customers = by_name["customers"]
    invalid = [
        (country, phone)
        for country, phone in zip(
            customers.column("country").to_pylist(),
            customers.column("phone").to_pylist(),
            strict=True,
        )
        if not phonenumbers.is_valid_number_for_region(
            phonenumbers.parse(phone, REGIONS[country]), REGIONS[country]
        )
    ]
    assert invalid == []


def test_addresses_names_and_ips_look_real(by_name: dict[str, pa.Table]) -> None:
    customers = by_name["customers"].to_pydict()
    rows = list(
        zip(customers["country"], customers["street_address"], customers["full_name"], strict=True)
    )
    german = [a for c, a, _ in rows if c == "Germany"]
    assert all(re.fullmatch(r"\D+ \d+[A-D]?", a) for a in german), german[:5]
    american = [a for c, a, _ in rows if c == "United States"]
    assert all(re.fullmatch(r"\d+ [\w ]+(, Apt \d+| #\d+)?", a) for a in american), american[:5]
    japanese = [a for c, a, _ in rows if c == "Japan"]
    assert all(re.match(r"\d+-\d+-\d+ ", a) for a in japanese)
    spanish_names = [n for c, _, n in rows if c == "Spain"]
    assert any(len(n.split()) == 3 for n in spanish_names)  # two surnames
    assert len(set(customers["full_name"])) > 2_000
    assert len(set(customers["street_address"])) > 4_500
    for ip in customers["last_login_ip"]:
        address = ipaddress.IPv4Address(ip)
        assert address.is_global, ip


def _luhn_ok(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def test_every_card_number_is_a_luhn_valid_test_card_in_varied_formats(
    by_name: dict[str, pa.Table],
) -> None:
    cards = by_name["customers"].column("credit_card_number").to_pylist()
    brands = {"visa": 0, "mastercard": 0, "amex": 0}
    styles = {"plain": 0, "spaces": 0, "dashes": 0}
    for card in cards:
        digits = re.sub(r"[ -]", "", card)
        assert digits.isdigit() and _luhn_ok(digits), card
        if digits[0] == "4":
            brands["visa"] += 1
            assert len(digits) == 16
        elif 51 <= int(digits[:2]) <= 55 or 2221 <= int(digits[:4]) <= 2720:
            brands["mastercard"] += 1
            assert len(digits) == 16
        else:
            assert digits[:2] in ("34", "37") and len(digits) == 15, card
            brands["amex"] += 1
        styles["spaces" if " " in card else "dashes" if "-" in card else "plain"] += 1
    assert all(n > 300 for n in brands.values()), brands
    assert all(n > 1_000 for n in styles.values()), styles
    assert len(set(cards)) > 4_990


# --- products --------------------------------------------------------------------------------


def test_products_have_unique_names_eight_categories_and_cheap_books(
    con: duckdb.DuckDBPyConnection,
) -> None:
    assert one(con, "SELECT count(DISTINCT product_name) FROM products") == 200
    assert one(con, "SELECT count(DISTINCT category) FROM products") == 8
    assert one(con, "SELECT min(unit_price) FROM products") > 0
    assert (
        one(con, "SELECT count(*) FROM products WHERE category = 'Books' AND unit_price < 20") > 0
    )


# --- support tickets -------------------------------------------------------------------------


def test_tickets_lie_in_the_last_12_months_and_recent_ones_are_likelier_open(
    con: duckdb.DuckDBPyConnection,
) -> None:
    none_of(
        con,
        "SELECT count(*) FROM support_tickets WHERE opened_at < TODAY - INTERVAL 365 DAY OR opened_at >= TODAY",
    )
    none_of(
        con,
        "SELECT count(*) FROM support_tickets WHERE resolved_at <= opened_at OR resolved_at >= TODAY",
    )
    recent, older = con.execute(
        """
        SELECT avg(CASE WHEN resolved_at IS NULL THEN 1.0 ELSE 0 END) FILTER (opened_at >= TODAY - INTERVAL 7 DAY),
               avg(CASE WHEN resolved_at IS NULL THEN 1.0 ELSE 0 END) FILTER (opened_at < TODAY - INTERVAL 30 DAY)
        FROM support_tickets
        """.replace("TODAY", f"DATE '{TODAY}'")
    ).fetchone() or (None, None)
    assert 0 < older < recent
    # tickets come from customers during their time with the shop
    none_of(
        con,
        "SELECT count(*) FROM support_tickets t JOIN customers c USING (customer_id) WHERE t.opened_at < c.signup_date OR t.opened_at >= c.churned_at + INTERVAL 1 DAY",
    )
    assert one(con, "SELECT max(length(subject)) FROM support_tickets") <= 60
    priorities = {
        r[0] for r in con.execute("SELECT DISTINCT priority FROM support_tickets").fetchall()
    }
    assert priorities == {"low", "medium", "high", "urgent"}
    channels = {
        r[0] for r in con.execute("SELECT DISTINCT channel FROM support_tickets").fetchall()
    }
    assert channels == {"email", "chat", "phone"}


def test_about_a_third_of_ticket_bodies_mention_an_email_or_phone(
    con: duckdb.DuckDBPyConnection,
) -> None:
    email_share, phone_share, any_at = con.execute(
        """
        SELECT avg(CASE WHEN contains(t.body, c.email) THEN 1.0 ELSE 0 END),
               avg(CASE WHEN contains(t.body, c.phone) THEN 1.0 ELSE 0 END),
               avg(CASE WHEN contains(t.body, '@') THEN 1.0 ELSE 0 END)
        FROM support_tickets t JOIN customers c USING (customer_id)
        """
    ).fetchone() or (0, 0, 0)
    assert 0.28 <= email_share + phone_share <= 0.39
    assert email_share > 0.1 and phone_share > 0.1
    assert any_at == email_share  # no address in a body other than the customer's own


def test_tickets_about_an_order_name_one_the_customer_placed_before(
    con: duckdb.DuckDBPyConnection,
) -> None:
    rows = con.execute(
        """
        SELECT t.customer_id, t.opened_at, o.customer_id, o.order_date
        FROM support_tickets t
        JOIN orders o ON o.order_id = CAST(regexp_extract(t.body, 'order #(\\d+)', 1) AS BIGINT)
        WHERE regexp_matches(t.body, 'order #\\d+')
        """
    ).fetchall()
    assert len(rows) > 2_000
    for ticket_customer, opened, order_customer, order_date in rows:
        assert ticket_customer == order_customer
        assert order_date <= opened.date()


# --- the questions users will ask -------------------------------------------------------------


QUESTIONS = {
    "churned last month": "SELECT count(*) FROM customers WHERE churned_at >= date_trunc('month', TODAY) - INTERVAL 1 MONTH AND churned_at < date_trunc('month', TODAY)",
    "returned last month": "SELECT count(*) FROM orders WHERE status = 'returned' AND order_date >= date_trunc('month', TODAY) - INTERVAL 1 MONTH AND order_date < date_trunc('month', TODAY)",
    "categories with revenue last month": "SELECT count(DISTINCT p.category) FROM order_items i JOIN orders o USING (order_id) JOIN products p USING (product_id) WHERE o.status NOT IN ('cancelled', 'returned') AND o.order_date >= date_trunc('month', TODAY) - INTERVAL 1 MONTH AND o.order_date < date_trunc('month', TODAY)",
    "urgent tickets in the last 7 days": "SELECT count(*) FROM support_tickets WHERE priority = 'urgent' AND opened_at >= TODAY - INTERVAL 7 DAY",
    "open tickets": "SELECT count(*) FROM support_tickets WHERE resolved_at IS NULL",
    "months with signups in the last 12": "SELECT count(DISTINCT date_trunc('month', signup_date)) FROM customers WHERE signup_date >= TODAY - INTERVAL 12 MONTH",
    "orders placed this month": "SELECT count(*) FROM orders WHERE order_date >= date_trunc('month', TODAY)",
}


@pytest.mark.parametrize("question", list(QUESTIONS))
def test_the_development_questions_have_non_empty_answers(
    question: str, con: duckdb.DuckDBPyConnection
) -> None:
    assert one(con, QUESTIONS[question]) > 0


def test_top_spenders_and_top_products_have_no_ties(con: duckdb.DuckDBPyConnection) -> None:
    spent = [
        r[0]
        for r in con.execute(
            "SELECT sum(total_amount) AS s FROM orders WHERE status NOT IN ('cancelled', 'returned') GROUP BY customer_id ORDER BY s DESC LIMIT 11"
        ).fetchall()
    ]
    assert len(set(spent)) == 11
    revenue = [
        r[0]
        for r in con.execute(
            "SELECT sum(i.quantity * i.unit_price * (1 - i.discount)) AS r FROM order_items i JOIN orders o USING (order_id) WHERE o.status NOT IN ('cancelled', 'returned') GROUP BY i.product_id ORDER BY r DESC LIMIT 6"
        ).fetchall()
    ]
    assert len(set(revenue)) == 6


@pytest.mark.slow
def test_scale_20_keeps_counts_and_uniqueness() -> None:
    tables = {t.name: t.data for t in generate_retail(scale=20, seed=42, today=TODAY)}
    assert tables["customers"].num_rows == 100_000
    assert tables["orders"].num_rows == 1_200_000
    assert 2_900_000 <= tables["order_items"].num_rows <= 3_100_000
    assert tables["support_tickets"].num_rows == 160_000
    products = tables["products"]
    assert products.num_rows == 4_000
    assert len(set(products.column("product_name").to_pylist())) == 4_000
    emails = tables["customers"].column("email")
    assert len(emails.unique()) == len(emails)
    con = duckdb.connect()
    for name, data in tables.items():
        con.register(name, data)
    mismatches = con.execute(
        "SELECT count(*) FROM orders o JOIN (SELECT order_id, round(sum(quantity * unit_price * (1 - discount)), 2) AS total FROM order_items GROUP BY order_id) s USING (order_id) WHERE o.total_amount <> s.total"
    ).fetchone()
    assert mismatches == (0,)

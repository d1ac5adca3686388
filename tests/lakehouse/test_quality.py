"""Quality checks on writes: refused with the offending rows, or quarantined."""

from __future__ import annotations

import pytest

from neurolake_lab.exceptions import QualityError, UsageError
from neurolake_lab.session import Session


def count(session: Session, sql: str) -> int:
    return int(session.sql(sql, namespace={}).arrow().column(0)[0].as_py())


@pytest.fixture
def orders(session: Session) -> Session:
    session.sql(
        "CREATE TABLE q.orders (order_id BIGINT, status VARCHAR, amount DECIMAL(10,2), qty INTEGER)"
    )
    session.set_quality(
        "q.orders", not_null=["order_id"], unique=["order_id"],
        accepted_values={"status": ["placed", "shipped"]}, ranges={"qty": [1, 10]},
        checks=["amount >= 0"],
    )  # fmt: skip
    session.sql("INSERT INTO q.orders VALUES (1, 'placed', 5, 1)")
    return session


@pytest.mark.parametrize(
    ("values", "check"),
    [
        ("(NULL, 'placed', 1, 1)", "not_null(order_id)"),
        ("(1, 'placed', 1, 1)", "unique(order_id)"),  # clashes with the row already there
        ("(2, 'placed', 1, 1), (2, 'shipped', 1, 1)", "unique(order_id)"),  # within the write
        ("(3, 'lost', 1, 1)", "accepted_values(status)"),
        ("(4, 'placed', 1, 11)", "range(qty)"),
        ("(5, 'placed', -1, 1)", "check(amount >= 0)"),
    ],
)
def test_a_write_breaking_a_check_is_refused_with_the_offending_rows(
    orders: Session, values: str, check: str
) -> None:
    with pytest.raises(QualityError) as info:
        orders.sql(f"INSERT INTO q.orders VALUES (6, 'placed', 2, 2), {values}")
    err = info.value
    assert check in err.violations and "nothing was written" in err.message
    bad = err.rows.to_pylist()
    assert bad and all(check in row["_violations"] for row in bad)
    assert all(row["order_id"] != 6 for row in bad)  # the good row is not reported
    assert count(orders, "SELECT count(*) FROM q.orders") == 1


def test_quarantine_keeps_the_bad_rows_and_writes_the_rest(orders: Session) -> None:
    rules = orders.quality("q.orders")
    orders.set_quality(
        "q.orders", not_null=rules.not_null, unique=rules.unique, on_failure="quarantine"
    )
    result = orders.sql("INSERT INTO q.orders VALUES (2, 'placed', 1, 1), (NULL, 'x', 1, 1)")
    out = result.arrow().to_pylist()[0]
    assert out["rows_added"] == 1 and out["quarantined"] == 1
    assert "went to q.orders__quarantine" in result.notices[0]
    assert result.report["notices"] == result.notices
    assert "q.orders__quarantine" in result._repr_mimebundle_()["text/plain"]
    bad = orders.sql("SELECT * FROM q.orders__quarantine").arrow().to_pylist()
    assert bad[0]["_violations"] == "not_null(order_id)" and bad[0]["_quarantined_at"]
    assert count(orders, "SELECT count(*) FROM q.orders") == 2


def test_rows_per_write(session: Session) -> None:
    session.sql("CREATE TABLE q.batch (x INTEGER)")
    session.set_quality("q.batch", rows_per_write=[2, 3])
    with pytest.raises(QualityError, match="between 2 and 3 rows; this one brings 1"):
        session.sql("INSERT INTO q.batch VALUES (1)")
    session.sql("INSERT INTO q.batch VALUES (1), (2)")
    assert count(session, "SELECT count(*) FROM q.batch") == 2


def test_constraints_in_create_table_become_checks(session: Session) -> None:
    session.sql(
        "CREATE TABLE q.c (id BIGINT PRIMARY KEY, name VARCHAR NOT NULL, "
        "score INTEGER CHECK (score BETWEEN 0 AND 100))"
    )
    rules = session.quality("q.c")
    assert rules.not_null == ["id", "name"] and rules.unique == [["id"]]
    assert rules.checks == ["score BETWEEN 0 AND 100"]
    with pytest.raises(QualityError, match="check"):
        session.sql("INSERT INTO q.c VALUES (1, 'a', 101)")
    session.sql("INSERT INTO q.c VALUES (1, 'a', 100)")
    with pytest.raises(QualityError, match="unique"):
        session.write("q.c", __import__("pyarrow").table({"id": [1], "name": ["b"]}))


def test_update_keeps_checks_and_does_not_clash_with_itself(orders: Session) -> None:
    orders.sql("UPDATE q.orders SET amount = 7 WHERE order_id = 1")  # same key, new value: fine
    with pytest.raises(QualityError, match="accepted_values"):
        orders.sql("UPDATE q.orders SET status = 'lost'")
    assert orders.sql("SELECT status, amount FROM q.orders").arrow().to_pylist() == [
        {"status": "placed", "amount": __import__("decimal").Decimal("7.00")}
    ]


def test_alter_column_not_null_and_renames_follow_rules(orders: Session) -> None:
    orders.sql("INSERT INTO q.orders VALUES (2, NULL, 1, 1)")
    with pytest.raises(Exception, match="has 1 NULL values"):
        orders.sql("ALTER TABLE q.orders ALTER COLUMN status SET NOT NULL")
    orders.sql("ALTER TABLE q.orders RENAME COLUMN order_id TO id")
    assert orders.quality("q.orders").unique == [["id"]]
    with pytest.raises(QualityError, match=r"unique\(id\)"):
        orders.sql("INSERT INTO q.orders VALUES (1, 'placed', 1, 1)")


def test_set_quality_names_unknown_columns(orders: Session) -> None:
    with pytest.raises(UsageError, match="no column nope"):
        orders.set_quality("q.orders", not_null=["nope"])

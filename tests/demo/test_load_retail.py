"""The demo data set stored as Iceberg tables: what the spec and the planner rely on."""

from __future__ import annotations

import datetime as dt
import json

import pytest

import neurolake_lab
from neurolake_lab.demo import load_retail
from neurolake_lab.session import Session

TODAY = dt.date(2026, 3, 15)


@pytest.fixture
def retail(session: Session) -> Session:
    load_retail(session, scale=0.1, seed=7, today=TODAY)
    return session


def test_counts_tables_and_bare_names(retail: Session) -> None:
    counts = {r["name"]: r["rows"] for r in retail.tables().arrow().to_pylist()}
    assert counts["customers"] == 500 and counts["products"] >= 20
    assert counts["orders"] == 6000 and counts["support_tickets"] == 800
    assert retail.sql("SELECT count(*) FROM customers").arrow().column(0)[0].as_py() == 500
    fk = retail.sql(
        "SELECT count(*) FROM retail.orders o ANTI JOIN retail.customers c USING (customer_id)"
    )
    assert fk.arrow().column(0)[0].as_py() == 0


def test_descriptions_keys_and_partitioning(retail: Session) -> None:
    _, meta = retail.lakehouse.metadata("retail.orders")
    assert meta.properties["comment"]
    assert all(field.doc for field in meta.schema().fields)
    assert meta.properties["neurolake.primary_key"] == "order_id"
    assert json.loads(meta.properties["neurolake.foreign_keys"]) == [
        {
            "columns": ["customer_id"],
            "references": "retail.customers",
            "ref_columns": ["customer_id"],
        }
    ]
    assert [str(f.transform) for f in meta.spec().fields] == ["month"]
    _, items = retail.lakehouse.metadata("retail.order_items")
    refs = {fk["references"] for fk in json.loads(items.properties["neurolake.foreign_keys"])}
    assert refs == {"retail.orders", "retail.products"}
    # quality checks protect the keys of the stored tables
    with pytest.raises(neurolake_lab.exceptions.QualityError, match="unique"):
        retail.sql("INSERT INTO retail.products SELECT * FROM retail.products LIMIT 1")


def test_dates_relative_to_today_and_deterministic(retail: Session, workspace) -> None:
    latest = retail.sql("SELECT max(order_date) FROM retail.orders").arrow().column(0)[0].as_py()
    assert TODAY - dt.timedelta(days=31) <= latest <= TODAY
    first = retail.sql("SELECT * FROM retail.customers ORDER BY customer_id LIMIT 5").arrow()
    load_retail(retail, scale=0.1, seed=7, today=TODAY)  # replaces the namespace
    again = retail.sql("SELECT * FROM retail.customers ORDER BY customer_id LIMIT 5").arrow()
    assert first.equals(again)
    assert retail.sql("SELECT count(*) FROM retail.customers").arrow().column(0)[0].as_py() == 500
    load_retail(retail, scale=0.1, seed=8, today=TODAY)
    other = retail.sql("SELECT * FROM retail.customers ORDER BY customer_id LIMIT 5").arrow()
    assert not first.equals(other)

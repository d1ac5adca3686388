"""The ``retail`` demo data set as Arrow tables with their descriptions and keys.

``generate_retail`` builds the five tables of ``demo-retail.md`` (customers, products, orders,
order_items, support_tickets): deterministic for a (scale, seed, today), dates placed relative to
``today`` so that "last month" always has data. Storing them as Iceberg tables is
``load_retail``'s job; this module only makes the data and says what every column means.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from neurolake_lab.demo.arrays import Column
from neurolake_lab.demo.customers import generate_customers
from neurolake_lab.demo.orders import generate_orders
from neurolake_lab.demo.products import generate_products
from neurolake_lab.demo.tickets import generate_tickets
from neurolake_lab.exceptions import UsageError

#: row counts at scale 1 (order_items follow from the orders: about 2.5 per order)
BASE_ROWS = {"customers": 5_000, "products": 200, "orders": 60_000, "support_tickets": 8_000}
MIN_PRODUCTS = 8  # one per category

_MONEY = pa.decimal128(10, 2)


@dataclass(frozen=True)
class ForeignKey:
    """Columns of a table that reference the key columns of another table of the namespace."""

    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]


@dataclass(frozen=True)
class DemoTable:
    """One generated table: its data, one-line description, column docs and keys."""

    name: str
    data: pa.Table
    description: str
    column_docs: dict[str, str]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...]


@dataclass(frozen=True)
class _Spec:
    """What the spec says about a table: its description, columns (type, nullable, doc), keys."""

    description: str
    columns: tuple[tuple[str, pa.DataType, bool, str], ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()

    @property
    def schema(self) -> pa.Schema:
        return pa.schema(
            [pa.field(name, type_, nullable=nullable) for name, type_, nullable, _ in self.columns]
        )


def _customer_ref() -> ForeignKey:
    return ForeignKey(("customer_id",), "customers", ("customer_id",))


# fmt: off
SPECS: dict[str, _Spec] = {
    "customers": _Spec(
        "One row per customer of the demo shop: identity and contact details (PII), location, "
        "segment, signup date and churn date.",
        (
            ("customer_id", pa.int64(), False, "Unique identifier of the customer (primary key)."),
            ("full_name", pa.string(), False, "Customer's full name (PII: person name)."),
            ("email", pa.string(), False, "Customer's email address (PII: email address)."),
            ("phone", pa.string(), False,
             "Customer's phone number, national or international format of their country "
             "(PII: phone number)."),
            ("street_address", pa.string(), False,
             "Street and house number of the customer's address, in their country's style "
             "(PII: street address)."),
            ("city", pa.string(), False, "City of the customer's address."),
            ("country", pa.string(), False,
             "Country of the customer, full English name (e.g. Germany, United States)."),
            ("date_of_birth", pa.date32(), False, "Customer's date of birth (PII: date of birth)."),
            ("credit_card_number", pa.string(), False,
             "Payment card on file: a Visa, Mastercard or Amex test number with a valid checksum "
             "(PII: credit card number)."),
            ("last_login_ip", pa.string(), False,
             "IPv4 address of the customer's last login (PII: IP address)."),
            ("segment", pa.string(), False,
             "Customer segment: consumer, small_business or enterprise."),
            ("signup_date", pa.date32(), False, "Date the customer signed up."),
            ("churned_at", pa.date32(), True,
             "Date the customer churned (left); NULL while the customer is active."),
        ),
        ("customer_id",),
    ),
    "products": _Spec(
        "The product catalogue: one row per product with its category and list price.",
        (
            ("product_id", pa.int64(), False, "Unique identifier of the product (primary key)."),
            ("product_name", pa.string(), False, "Name of the product (unique)."),
            ("category", pa.string(), False,
             "Product category: Electronics, Books, Home, Garden, Toys, Sports, Beauty or "
             "Grocery."),
            ("unit_price", _MONEY, False, "Current list price of one unit."),
        ),
        ("product_id",),
    ),
    "orders": _Spec(
        "One row per customer order: when it was placed, its status, sales channel and total "
        "amount.",
        (
            ("order_id", pa.int64(), False, "Unique identifier of the order (primary key)."),
            ("customer_id", pa.int64(), False,
             "Customer who placed the order (references customers.customer_id)."),
            ("order_date", pa.date32(), False, "Date the order was placed."),
            ("status", pa.string(), False,
             "Order status: placed, shipped, delivered, returned or cancelled (revenue excludes "
             "returned and cancelled orders)."),
            ("channel", pa.string(), False, "Sales channel of the order: web, mobile or store."),
            ("total_amount", pa.decimal128(12, 2), False,
             "Order total: sum over its items of quantity * unit_price * (1 - discount), rounded "
             "to cents."),
        ),
        ("order_id",),
        (_customer_ref(),),
    ),
    "order_items": _Spec(
        "One row per order line: the product, quantity, unit price paid and discount.",
        (
            ("order_id", pa.int64(), False,
             "Order this line belongs to (references orders.order_id)."),
            ("line_no", pa.int32(), False, "Line number within the order, 1..n."),
            ("product_id", pa.int64(), False,
             "Product ordered (references products.product_id)."),
            ("quantity", pa.int32(), False, "Number of units ordered, 1 to 10."),
            ("unit_price", _MONEY, False,
             "Price paid per unit before the discount (close to the product's list price)."),
            ("discount", pa.decimal128(4, 3), False,
             "Discount on the line as a fraction from 0 to 0.3 (0.1 means 10% off)."),
        ),
        ("order_id", "line_no"),
        (
            ForeignKey(("order_id",), "orders", ("order_id",)),
            ForeignKey(("product_id",), "products", ("product_id",)),
        ),
    ),
    "support_tickets": _Spec(
        "One row per customer support ticket: when it was opened and resolved, channel, "
        "priority, subject and the customer's message.",
        (
            ("ticket_id", pa.int64(), False, "Unique identifier of the ticket (primary key)."),
            ("customer_id", pa.int64(), False,
             "Customer who opened the ticket (references customers.customer_id)."),
            ("opened_at", pa.timestamp("us"), False, "Date and time (UTC) the ticket was opened."),
            ("resolved_at", pa.timestamp("us"), True,
             "Date and time (UTC) the ticket was resolved; NULL while the ticket is open."),
            ("channel", pa.string(), False,
             "Channel the ticket came in through: email, chat or phone."),
            ("priority", pa.string(), False, "Ticket priority: low, medium, high or urgent."),
            ("subject", pa.string(), False, "Short subject line of the ticket."),
            ("body", pa.string(), False,
             "Free-text message from the customer; may contain names, email addresses and phone "
             "numbers (PII in free text)."),
        ),
        ("ticket_id",),
        (_customer_ref(),),
    ),
}
# fmt: on


def row_counts(scale: float) -> dict[str, int]:
    """Rows of each generated table at ``scale`` (order_items, about 2.5 per order, excepted)."""
    counts = {name: max(1, round(rows * scale)) for name, rows in BASE_ROWS.items()}
    counts["products"] = max(MIN_PRODUCTS, counts["products"])
    return counts


def generate_retail(
    scale: float = 1, seed: int = 42, today: dt.date | None = None
) -> list[DemoTable]:
    """Generate the ``retail`` demo tables in dependency order.

    Args:
        scale: multiplies every row count (5,000 customers, 200 products, 60,000 orders, about
            150,000 order items and 8,000 support tickets at 1); must be positive.
        seed: the same (scale, seed, today) always gives the same tables.
        today: the day the data is placed around (signups within 36 months of it, orders within
            24, churn and tickets within 12); the current UTC date by default. Timestamps end
            before its midnight, so none lies in the future whenever it is generated that day.

    Returns:
        customers, products, orders, order_items and support_tickets, in that order.

    Raises:
        UsageError: ``scale`` is not a positive number or ``seed`` not a non-negative integer.
    """
    if isinstance(scale, bool) or not isinstance(scale, numbers.Real) or not 0 < scale < math.inf:
        raise UsageError(f"the demo scale must be a positive number, not {scale!r}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise UsageError(f"the demo seed must be a non-negative integer, not {seed!r}")
    if today is None:
        today = dt.datetime.now(dt.UTC).date()
    elif isinstance(today, dt.datetime):
        today = today.date()
    day = (today - dt.date(1970, 1, 1)).days
    counts = row_counts(float(scale))
    # one independent stream per table, so changing one table's recipe leaves the others alone
    rng_customers, rng_products, rng_orders, rng_tickets = (
        np.random.default_rng(s) for s in np.random.SeedSequence(int(seed)).spawn(4)
    )
    customers = generate_customers(rng_customers, counts["customers"], day)
    products = generate_products(rng_products, counts["products"])
    orders = generate_orders(rng_orders, counts["orders"], customers, products, day)
    tickets = generate_tickets(
        rng_tickets, counts["support_tickets"], customers, orders, products, day
    )
    columns = {
        "customers": customers.columns,
        "products": products.columns,
        "orders": orders.orders,
        "order_items": orders.items,
        "support_tickets": tickets,
    }
    return [_table(name, columns[name]) for name in SPECS]


def _table(name: str, columns: dict[str, Column]) -> DemoTable:
    """Put the generated columns in the spec's order and types, with the spec's metadata."""
    spec = SPECS[name]
    schema = spec.schema
    if set(columns) != set(schema.names):
        raise RuntimeError(f"generated columns of {name} do not match its spec")
    data = pa.Table.from_arrays([columns[c] for c in schema.names], schema=schema)
    return DemoTable(
        name=name,
        data=data,
        description=spec.description,
        column_docs={c: doc for c, _, _, doc in spec.columns},
        primary_key=spec.primary_key,
        foreign_keys=spec.foreign_keys,
    )

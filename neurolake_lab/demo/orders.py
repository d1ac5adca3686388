"""Orders and their line items, consistent with the customers and the catalogue.

Each order falls between its customer's signup (or 24 months ago) and churn (or today); totals are
computed in integer arithmetic so that ``total_amount`` equals
``round(sum(quantity * unit_price * (1 - discount)), 2)`` of its items exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from neurolake_lab.demo.arrays import Column, date_array, decimal_array, int_array
from neurolake_lab.demo.customers import Customers
from neurolake_lab.demo.merchandise import CATEGORIES
from neurolake_lab.demo.products import Products
from neurolake_lab.demo.text import pick

IntArray = npt.NDArray[np.int64]

ORDER_DAYS = 730  # orders lie within the last 24 months
STATUSES = ("placed", "shipped", "delivered", "returned", "cancelled")
CHANNELS = ("web", "mobile", "store")
CHANNEL_SHARES = (0.5, 0.35, 0.15)
#: mean extra lines per order beyond the first, by channel (about 2.5 lines per order overall)
EXTRA_LINES = np.array([1.6, 1.5, 1.2])
MAX_LINES = 12
#: chance that a line is discounted, by channel (the app runs the most promotions)
DISCOUNT_CHANCE = np.array([0.3, 0.45, 0.2])
#: mean extra units per line, by segment (businesses buy more of each)
EXTRA_UNITS = np.array([0.35, 1.0, 2.0])
#: more orders per day of tenure, by segment
ORDER_RATE = np.array([1.0, 1.6, 2.5])


@dataclass(frozen=True)
class Orders:
    """The orders and order_items columns, plus each order's customer row, day and first product."""

    orders: dict[str, Column]
    items: dict[str, Column]
    customer: IntArray
    day: IntArray
    first_product: IntArray


def generate_orders(
    rng: np.random.Generator, n: int, customers: Customers, products: Products, today: int
) -> Orders:
    """``n`` orders, order_id 1..n in date order, with about 2.5 items each."""
    customer = _order_customers(rng, n, customers, today)
    start = np.maximum(customers.signup, today - ORDER_DAYS + 1)[customer]
    span = customers.last_day[customer] - start + 1
    day = start + np.floor(rng.random(n) * span).astype(np.int64)
    order = np.lexsort((rng.random(n), day))
    customer, day = customer[order], day[order]

    preferred = rng.choice(len(CHANNELS), size=len(customers.signup), p=CHANNEL_SHARES)
    channel = np.where(
        rng.random(n) < 0.7,
        preferred[customer],
        rng.choice(len(CHANNELS), size=n, p=CHANNEL_SHARES),
    ).astype(np.int64)
    status = _statuses(rng, today - day)

    lines = 1 + rng.poisson(EXTRA_LINES[channel])
    lines = np.clip(lines, 1, min(MAX_LINES, len(products.list_cents))).astype(np.int64)
    first_line = np.concatenate([[0], np.cumsum(lines)[:-1]]).astype(np.int64)
    item_order = np.repeat(np.arange(n), lines)
    line_no = np.arange(len(item_order)) - first_line[item_order] + 1
    product = _distinct_products(rng, item_order, products)

    category_extra = np.array([c.extra_quantity for c in CATEGORIES])[products.category[product]]
    units = EXTRA_UNITS[customers.segment[customer[item_order]]] + category_extra
    quantity = np.minimum(1 + rng.poisson(np.maximum(units, 0.05)), 10).astype(np.int64)

    list_cents = products.list_cents[product]
    # a quarter of lines were sold at an older or promotional price near the list price
    varied = rng.random(len(product)) < 0.25
    factor = rng.uniform(0.85, 1.05, len(product))
    paid_cents = np.where(varied, np.maximum(np.round(list_cents * factor), 1), list_cents)
    paid_cents = paid_cents.astype(np.int64)

    discounted = rng.random(len(product)) < DISCOUNT_CHANCE[channel[item_order]]
    round_off = np.array([50, 100, 150, 200, 250, 300])[rng.integers(0, 6, len(product))]
    odd_off = rng.integers(5, 301, len(product))
    off = np.where(rng.random(len(product)) < 0.6, round_off, odd_off)
    discount = np.where(discounted, off, 0).astype(np.int64)  # thousandths

    # exact line amounts in units of 1e-5: cents x thousandths
    amount = quantity * paid_cents * (1000 - discount)
    total = (np.add.reduceat(amount, first_line) + 500) // 1000  # round half up to cents

    orders = {
        "order_id": int_array(np.arange(1, n + 1), pa.int64()),
        "customer_id": int_array(customer + 1, pa.int64()),
        "order_date": date_array(day),
        "status": pick(STATUSES, status),
        "channel": pick(CHANNELS, channel),
        "total_amount": decimal_array(total, 12, 2),
    }
    items = {
        "order_id": int_array(item_order + 1, pa.int64()),
        "line_no": int_array(line_no, pa.int32()),
        "product_id": int_array(product + 1, pa.int64()),
        "quantity": int_array(quantity, pa.int32()),
        "unit_price": decimal_array(paid_cents, 10, 2),
        "discount": decimal_array(discount, 4, 3),
    }
    return Orders(orders, items, customer, day, product[first_line])


def _order_customers(
    rng: np.random.Generator, n: int, customers: Customers, today: int
) -> IntArray:
    """The customer row of each order: every ordering customer at least once, the rest weighted.

    Weights follow how long the customer could order, a per-customer appetite and the segment,
    so a few customers order far more than most.
    """
    buyers = np.flatnonzero(~customers.no_orders)
    if n < len(buyers):
        return np.asarray(rng.choice(buyers, size=n, replace=False), dtype=np.int64)
    start = np.maximum(customers.signup[buyers], today - ORDER_DAYS + 1)
    span = customers.last_day[buyers] - start + 1
    appetite = rng.lognormal(0.0, 0.9, len(buyers))
    weight = span * appetite * ORDER_RATE[customers.segment[buyers]]
    extra = rng.multinomial(n - len(buyers), weight / weight.sum())
    return np.repeat(buyers, 1 + extra).astype(np.int64)


def _statuses(rng: np.random.Generator, age: IntArray) -> IntArray:
    """Status by the order's age in days: recent orders are still placed or shipped.

    About 4% are cancelled at any age; about 6% of those older than a week were returned.
    """
    n = len(age)
    placed, shipped, delivered, returned, cancelled = range(len(STATUSES))
    r = rng.random(n)
    status = np.full(n, delivered, dtype=np.int64)
    status[age <= 9] = np.where(r[age <= 9] < 0.55, shipped, delivered)
    status[age <= 2] = np.where(r[age <= 2] < 0.75, placed, shipped)
    fate = rng.random(n)
    status[(fate >= 0.04) & (fate < 0.10) & (age > 7)] = returned
    status[fate < 0.04] = cancelled
    return status


def _distinct_products(
    rng: np.random.Generator, item_order: IntArray, products: Products
) -> IntArray:
    """A product per line, by popularity, never twice in the same order.

    Lines that repeat a product of their order are drawn again until none do; after a few rounds
    uniformly, so orders with as many lines as there are products still finish.
    """
    n_products = len(products.list_cents)
    cumulative = np.cumsum(products.popularity)
    cumulative /= cumulative[-1]

    def draw(size: int, weighted: bool) -> IntArray:
        if weighted:
            found = np.searchsorted(cumulative, rng.random(size), side="right")
            return np.minimum(found, n_products - 1).astype(np.int64)
        return rng.integers(0, n_products, size).astype(np.int64)

    product = draw(len(item_order), True)
    check = np.arange(len(item_order))  # the lines that may still repeat a product
    for attempt in range(200):
        key = item_order[check] * n_products + product[check]
        _, first_use = np.unique(key, return_index=True)  # keeps each order's earliest line
        repeated = np.ones(len(key), dtype=bool)
        repeated[first_use] = False
        if not repeated.any():
            return product
        rows = check[repeated]
        product[rows] = draw(len(rows), attempt < 10)
        dirty = np.zeros(int(item_order[-1]) + 1, dtype=bool)
        dirty[item_order[rows]] = True
        check = np.flatnonzero(dirty[item_order])
    raise RuntimeError("could not draw distinct products for every order")

"""Support tickets: when they were opened and resolved, and what the customer wrote.

Tickets come from customers during their time with the shop in the last 12 months (customers who
order more write more). A ticket about an order names one the customer placed before opening it.
About a third of the bodies give the customer's email address or phone number.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from neurolake_lab.demo.arrays import Column, date_array, int_array, timestamp_array
from neurolake_lab.demo.customers import Customers
from neurolake_lab.demo.orders import Orders
from neurolake_lab.demo.products import Products
from neurolake_lab.demo.text import int_strings, join, pick, render
from neurolake_lab.demo.ticket_text import (
    EMAIL_MENTIONS,
    FOLLOW_UPS,
    GREETINGS,
    PHONE_MENTIONS,
    SIGN_OFFS,
    TOPICS,
)

IntArray = npt.NDArray[np.int64]

TICKET_DAYS = 365  # tickets lie within the last 12 months
CHANNELS = ("email", "chat", "phone")
CHANNEL_SHARES = (0.45, 0.35, 0.2)
PRIORITIES = ("low", "medium", "high", "urgent")
PRIORITY_SHARES = (0.3, 0.42, 0.2, 0.08)
#: median hours to resolve, by priority, and how much faster each channel is
MEDIAN_HOURS = np.array([55.0, 26.0, 10.0, 3.0])
CHANNEL_SPEED = np.array([1.0, 0.75, 0.6])
#: share of tickets left open whatever their age (a backlog nobody closed)
STUCK_OPEN = 0.015
MENTION_SHARE = 1 / 3
#: tickets come in mostly during the day
HOUR_WEIGHTS = np.array(
    [1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 10, 10, 9, 10, 10, 10, 9, 8, 7, 6, 5, 4, 3, 2], dtype=float
)
_DAY_US = 86_400 * 1_000_000


def generate_tickets(
    rng: np.random.Generator,
    n: int,
    customers: Customers,
    orders: Orders,
    products: Products,
    today: int,
) -> dict[str, Column]:
    """``n`` support tickets, ticket_id 1..n in the order they were opened."""
    n_customers = len(customers.signup)
    order_count = np.bincount(orders.customer, minlength=n_customers)
    weight = (1.0 + order_count) * np.where(customers.churned, 1.8, 1.0)
    customer = rng.choice(n_customers, size=n, p=weight / weight.sum()).astype(np.int64)

    # the customer's time with us in the last year, up to the end of the churn day or yesterday
    first_day = np.maximum(customers.signup, today - TICKET_DAYS)[customer]
    end_day = np.minimum(customers.last_day + 1, today)[customer]
    day = first_day + np.floor(rng.random(n) * (end_day - first_day)).astype(np.int64)
    hour = rng.choice(24, size=n, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    second = hour * 3600 + rng.integers(0, 3600, n)
    opened = day * _DAY_US + second * 1_000_000 + rng.integers(0, 1_000_000, n)
    order = np.argsort(opened, kind="stable")
    customer, day, opened = customer[order], day[order], opened[order]

    channel = rng.choice(len(CHANNELS), size=n, p=CHANNEL_SHARES).astype(np.int64)
    priority = rng.choice(len(PRIORITIES), size=n, p=PRIORITY_SHARES).astype(np.int64)
    median = MEDIAN_HOURS[priority] * CHANNEL_SPEED[channel]
    hours = rng.lognormal(np.log(median), 0.8)
    resolved = opened + np.maximum(np.round(hours * 3600e6), 300e6).astype(np.int64)
    still_open = (resolved >= today * _DAY_US) | (rng.random(n) < STUCK_OPEN)

    subject, body = _text(rng, customer, day, customers, orders, products)
    return {
        "ticket_id": int_array(np.arange(1, n + 1), pa.int64()),
        "customer_id": int_array(customer + 1, pa.int64()),
        "opened_at": timestamp_array(opened),
        "resolved_at": timestamp_array(resolved, null=still_open),
        "channel": pick(CHANNELS, channel),
        "priority": pick(PRIORITIES, priority),
        "subject": subject,
        "body": body,
    }


def _recent_order(
    rng: np.random.Generator, customer: IntArray, day: IntArray, orders: Orders
) -> IntArray:
    """Per ticket, the row of one of its customer's orders placed by that day, or -1 if none.

    The latest orders are the likeliest subject of a ticket.
    """
    by_customer = np.lexsort((orders.day, orders.customer))
    span = int(orders.day.max()) + 1 if len(orders.day) else 1
    keys = orders.customer[by_customer] * span + orders.day[by_customer]
    begin = np.searchsorted(keys, customer * span)
    end = np.searchsorted(keys, customer * span + np.minimum(day, span - 1), side="right")
    count = end - begin
    back = np.minimum(rng.geometric(0.5, len(customer)) - 1, np.maximum(count - 1, 0))
    chosen = by_customer[np.clip(end - 1 - back, 0, max(len(keys) - 1, 0))]
    return np.where(count > 0, chosen, -1).astype(np.int64)


def _flatten(lists: Sequence[Sequence[str]]) -> tuple[list[str], IntArray, IntArray]:
    """All entries of ``lists`` in one list, with each list's offset and size."""
    sizes = np.array([len(x) for x in lists], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    return [v for x in lists for v in x], offsets, sizes


def _text(
    rng: np.random.Generator,
    customer: IntArray,
    day: IntArray,
    customers: Customers,
    orders: Orders,
    products: Products,
) -> tuple[Column, Column]:
    """Subject and body of each ticket."""
    n = len(customer)
    chosen = _recent_order(rng, customer, day, orders)
    has_order = chosen >= 0
    topic_weight = np.array([t.weight for t in TOPICS])
    general = np.array([not t.about_order for t in TOPICS])
    topic = rng.choice(len(TOPICS), size=n, p=topic_weight / topic_weight.sum())
    general_pick = rng.choice(
        np.flatnonzero(general), size=n, p=topic_weight[general] / topic_weight[general].sum()
    )
    topic = np.where(has_order, topic, general_pick).astype(np.int64)

    popular = np.cumsum(products.popularity) / products.popularity.sum()
    any_product = np.minimum(np.searchsorted(popular, rng.random(n)), len(popular) - 1)
    safe = np.maximum(chosen, 0)
    product = np.where(has_order, orders.first_product[safe], any_product)
    take = customer
    fields = {
        "order": int_strings(safe + 1),
        "order_date": pc.cast(date_array(orders.day[safe]), pa.string()),
        "product": pick(products.names, product),
        "email": customers.email.take(take),
        "phone": customers.phone.take(take),
        "first": customers.first_name.take(take),
        "name": customers.columns["full_name"].take(take),
    }

    def per_topic(lists: Sequence[Sequence[str]]) -> Column:
        flat, offsets, sizes = _flatten(lists)
        which = offsets[topic] + np.floor(rng.random(n) * sizes[topic]).astype(np.int64)
        return render(flat, which, fields)

    subject = per_topic([t.subjects for t in TOPICS])
    problem = per_topic([t.problems for t in TOPICS])

    mentions = EMAIL_MENTIONS + PHONE_MENTIONS
    mention = rng.random(n) < MENTION_SHARE
    contact_which = np.where(mention, rng.integers(0, len(mentions), n), len(mentions))
    contact = render((*mentions, ""), contact_which, fields)
    body = join(
        pick(GREETINGS, rng.integers(0, len(GREETINGS), n)),
        problem,
        pick(FOLLOW_UPS, rng.integers(0, len(FOLLOW_UPS), n)),
        contact,
        render(SIGN_OFFS, rng.integers(0, len(SIGN_OFFS), n), fields),
        sep=" ",
    )
    body = pc.utf8_trim_whitespace(pc.replace_substring_regex(body, " {2,}", " "))
    return subject, body

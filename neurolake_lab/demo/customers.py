"""The customers: who they are (PII), where they live, their segment, signup and churn dates.

Dates are day numbers (days since 1970-01-01) relative to ``today``. Signups grow towards the
present, about 15% churned within the last year, and about 3% never order (chosen here, so the
orders generator can respect it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from neurolake_lab.demo.arrays import Column, date_array, int_array
from neurolake_lab.demo.locales import LOCALES
from neurolake_lab.demo.pii import credit_cards, ipv4_addresses, people
from neurolake_lab.demo.text import pick

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

SEGMENTS = ("consumer", "small_business", "enterprise")
SEGMENT_SHARES = (0.76, 0.17, 0.07)
SIGNUP_DAYS = 1095  # 36 months
CHURN_DAYS = 365  # churn lies within the last 12 months
CHURN_SHARE = 0.15
NO_ORDER_SHARE = 0.03
#: customers must have been with us this long before they can churn
MIN_TENURE_BEFORE_CHURN = 30


@dataclass(frozen=True)
class Customers:
    """The customers table's columns plus what orders and tickets need to know about each row."""

    columns: dict[str, Column]
    signup: IntArray
    #: churn day, or ``today`` for active customers (the last day they can order)
    last_day: IntArray
    churned: BoolArray
    segment: IntArray
    no_orders: BoolArray
    first_name: Column
    email: Column
    phone: Column


def generate_customers(rng: np.random.Generator, n: int, today: int) -> Customers:
    """``n`` customers, customer_id 1..n in order of signup.

    Args:
        rng: the seeded generator.
        n: how many customers.
        today: the day number of "today"; every date lies on or before it.
    """
    # more recent signups are more common: half uniform, half with linearly falling density
    recent = rng.random(n) < 0.55
    uniform_ago = rng.integers(1, SIGNUP_DAYS + 1, n)
    falling_ago = 1 + np.floor((SIGNUP_DAYS - 1) * (1 - np.sqrt(rng.random(n)))).astype(np.int64)
    signup = np.sort(today - np.where(recent, falling_ago, uniform_ago)).astype(np.int64)

    weights = np.array([loc.weight for loc in LOCALES], dtype=np.float64)
    country = rng.choice(len(LOCALES), size=n, p=weights / weights.sum()).astype(np.int64)
    segment = rng.choice(len(SEGMENTS), size=n, p=SEGMENT_SHARES).astype(np.int64)

    # adults when they signed up: 18 plus a triangular 0-62 years
    age_days = 18 * 365 + 5 + np.floor(rng.triangular(0, 14, 62, n) * 365.25).astype(np.int64)
    birth = signup - age_days
    birth_year = birth.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970

    churned, churn_day = _churn(rng, signup, today)
    no_orders = np.zeros(n, dtype=bool)
    n_none = round(NO_ORDER_SHARE * n)
    if n_none:
        # the newest customers are likelier not to have ordered yet
        w = np.where(signup > today - 90, 3.0, 1.0)
        no_orders[rng.choice(n, size=n_none, replace=False, p=w / w.sum())] = True

    person = people(rng, country, segment != 0, birth_year)
    columns = {
        "customer_id": int_array(np.arange(1, n + 1), pa.int64()),
        "full_name": person.full_name,
        "email": person.email,
        "phone": person.phone,
        "street_address": person.street_address,
        "city": person.city,
        "country": pick([loc.country for loc in LOCALES], country),
        "date_of_birth": date_array(birth),
        "credit_card_number": credit_cards(rng, n),
        "last_login_ip": ipv4_addresses(rng, n),
        "segment": pick(SEGMENTS, segment),
        "signup_date": date_array(signup),
        "churned_at": date_array(churn_day, null=~churned),
    }
    return Customers(
        columns,
        signup,
        np.where(churned, churn_day, today),
        churned,
        segment,
        no_orders,
        person.first_name,
        person.email,
        person.phone,
    )


def _churn(rng: np.random.Generator, signup: IntArray, today: int) -> tuple[BoolArray, IntArray]:
    """Which customers churned (about 15%), and the day each did, spread over the last year.

    A churn day lies after the signup day; customers churn only after their first month.
    """
    n = len(signup)
    churned = np.zeros(n, dtype=bool)
    count = round(CHURN_SHARE * n)
    first = np.maximum(signup + 1, today - CHURN_DAYS + 1)
    # chance in proportion to the days a customer could churn on, so each day's churn follows
    # the number of customers there were (rising as the shop grows)
    weight = np.where(signup <= today - MIN_TENURE_BEFORE_CHURN, today - first + 1, 0)
    if np.count_nonzero(weight) < count:
        weight = today - first + 1
    churned[rng.choice(n, size=count, replace=False, p=weight / weight.sum())] = True
    day = first + np.floor(rng.random(n) * (today - first + 1)).astype(np.int64)
    return churned, np.where(churned, day, 0).astype(np.int64)

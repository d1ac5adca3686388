"""The product catalogue: unique names per category, list prices and how popular each one is."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from neurolake_lab.demo.arrays import Column, decimal_array, int_array
from neurolake_lab.demo.merchandise import CATEGORIES
from neurolake_lab.demo.text import pick

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: common price endings in cents
_ENDINGS = np.array([99, 99, 99, 49, 95, 0])


@dataclass(frozen=True)
class Products:
    """The products table's columns plus what orders need to know about each product."""

    columns: dict[str, Column]
    category: IntArray
    list_cents: IntArray
    #: relative chance of the product being on an order line (a few sell much more than most)
    popularity: FloatArray
    names: list[str]


def generate_products(rng: np.random.Generator, n: int) -> Products:
    """``n`` products (at least one per category), product_id 1..n ordered by category.

    Every category gets one product first, the rest are shared out by the categories' weights.
    """
    if n < len(CATEGORIES):
        raise ValueError(f"need at least {len(CATEGORIES)} products, one per category")
    weights = np.array([c.weight for c in CATEGORIES], dtype=np.float64)
    counts = 1 + rng.multinomial(n - len(CATEGORIES), weights / weights.sum())
    category = np.repeat(np.arange(len(CATEGORIES)), counts).astype(np.int64)
    names: list[str] = []
    cents = np.empty(n, dtype=np.int64)
    start = 0
    for c, (cat, count) in enumerate(zip(CATEGORIES, counts.tolist(), strict=True)):
        names.extend(_names(rng, c, count))
        price = rng.lognormal(np.log(cat.median_price), cat.price_sigma, count)
        price = np.clip(price, 1.0, 2999.0)
        whole = np.floor(price).astype(np.int64)
        ending = _ENDINGS[rng.integers(0, len(_ENDINGS), count)]
        cents[start : start + count] = np.maximum(whole * 100 + ending, 99)
        start += count
    rank = rng.permutation(n) + 1
    popularity: FloatArray = 1.0 / rank.astype(np.float64) ** 0.8
    columns = {
        "product_id": int_array(np.arange(1, n + 1), pa.int64()),
        "product_name": pa.array(names, type=pa.string()),
        "category": pick([c.name for c in CATEGORIES], category),
        "unit_price": decimal_array(cents, 10, 2),
    }
    return Products(columns, category, cents, popularity, names)


def _names(rng: np.random.Generator, c: int, count: int) -> list[str]:
    """``count`` distinct names of category ``c``, numbered editions once combinations run out.

    This loop is over products, not rows: at most a few thousand names even at scale 20.
    """
    cat = CATEGORIES[c]
    a, b, z = cat.parts
    combos = len(a) * len(b) * len(z)
    chosen = rng.permutation(combos)[: min(count, combos)].tolist()
    out = []
    for k in range(count):
        code = chosen[k % combos]
        name = cat.pattern.format(
            a[code // (len(b) * len(z))], b[(code // len(z)) % len(b)], z[code % len(z)]
        )
        edition = k // combos
        out.append(f"{name} Edition {edition + 1}" if edition else name)
    return out

"""Personal data that looks real for each country: names, emails, phones, addresses, cards, IPs.

Everything is drawn from the hand-written lists in ``locales`` with a seeded numpy generator and
assembled with Arrow string kernels, one template at a time (see ``text``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from neurolake_lab.demo.arrays import Column
from neurolake_lab.demo.locales import COMPANY_SUFFIXES, LOCALES, Locale
from neurolake_lab.demo.text import (
    ascii_fold,
    fill_digits,
    fixed_width_strings,
    int_strings,
    join,
    pick,
    render,
)

IntArray = npt.NDArray[np.int64]

#: local parts of personal email addresses; ``i`` is the first initial, ``nn`` a number 1-99,
#: ``yy`` the two digits of the birth year
PERSONAL_EMAILS = (
    "{f}.{l}", "{f}{l}", "{i}{l}", "{f}_{l}", "{f}.{l}{nn}", "{l}.{f}", "{f}{nn}",
    "{i}.{l}{yy}", "{f}{l}{yy}",
)  # fmt: skip
#: local parts of company email addresses
COMPANY_EMAILS = ("{f}.{l}", "{i}{l}", "{f}", "{i}.{l}")


@dataclass(frozen=True)
class People:
    """The person columns of the customers, one row per customer."""

    first_name: Column
    full_name: Column
    email: Column
    phone: Column
    street_address: Column
    city: Column


class _Pool:
    """One list per country, concatenated, so a row's country picks from its own list."""

    def __init__(self, field: Callable[[Locale], Sequence[str]]) -> None:
        lists = [tuple(field(loc)) for loc in LOCALES]
        self.values: tuple[str, ...] = tuple(v for lst in lists for v in lst)
        self.sizes = np.array([len(lst) for lst in lists], dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)[:-1]]).astype(np.int64)
        # falling weights down each list (its first entries are the most common)
        self.cumulative = [np.cumsum(1.0 / np.arange(1, len(lst) + 1) ** 0.9) for lst in lists]

    def uniform(self, rng: np.random.Generator, country: IntArray) -> IntArray:
        """An index into ``values`` per row, uniform within the row's country."""
        within = np.floor(rng.random(len(country)) * self.sizes[country]).astype(np.int64)
        return np.asarray(self.offsets[country] + within, dtype=np.int64)

    def falling(self, rng: np.random.Generator, country: IntArray) -> IntArray:
        """An index into ``values`` per row, the first entries of each list the most likely."""
        u = rng.random(len(country))
        out = np.empty(len(country), dtype=np.int64)
        for c, cum in enumerate(self.cumulative):
            rows = np.flatnonzero(country == c)
            within = np.searchsorted(cum, u[rows] * cum[-1], side="right")
            out[rows] = self.offsets[c] + np.minimum(within, len(cum) - 1)
        return out


_FIRST = _Pool(lambda loc: loc.first_names)
_LAST = _Pool(lambda loc: loc.last_names)
_NAME_FORMATS = _Pool(lambda loc: loc.name_formats)
_CITIES = _Pool(lambda loc: loc.cities)
_STREETS = _Pool(lambda loc: loc.streets)
_ADDRESS_FORMATS = _Pool(lambda loc: loc.address_formats)
_PHONE_FORMATS = _Pool(lambda loc: loc.phone_formats)
_DOMAINS = _Pool(lambda loc: loc.email_domains)
_FOLDED_FIRST = tuple(ascii_fold(v) for v in _FIRST.values)
_FOLDED_LAST = tuple(ascii_fold(v) for v in _LAST.values)
_TLDS = tuple(loc.company_tld for loc in LOCALES)


def people(
    rng: np.random.Generator,
    country: IntArray,
    business: npt.NDArray[np.bool_],
    birth_year: IntArray,
) -> People:
    """Names, contacts and addresses for customers of the given countries.

    Args:
        rng: the seeded generator.
        country: index into ``LOCALES`` per customer.
        business: true for customers of a business segment (some use a company email domain).
        birth_year: year of birth per customer (some email addresses carry its last two digits).
    """
    n = len(country)
    first = _FIRST.uniform(rng, country)
    last = _LAST.uniform(rng, country)
    last2 = _LAST.uniform(rng, country)
    full_name = render(
        _NAME_FORMATS.values,
        _NAME_FORMATS.uniform(rng, country),
        {
            "first": pick(_FIRST.values, first),
            "last": pick(_LAST.values, last),
            "last2": pick(_LAST.values, last2),
        },
    )
    email = _emails(rng, country, business, birth_year, first, last)
    phone = fill_digits(_PHONE_FORMATS.values, _PHONE_FORMATS.uniform(rng, country), rng)
    fields = {
        "street": pick(_STREETS.values, _STREETS.uniform(rng, country)),
        "n": int_strings(1 + np.floor(199 * rng.random(n) ** 2).astype(np.int64)),
        "N": int_strings(10 + np.floor(9990 * rng.random(n) ** 1.7).astype(np.int64)),
        "a": int_strings(rng.integers(1, 41, n)),
        "f": int_strings(rng.integers(1, 10, n)),
        "L": pick(("A", "B", "C", "D"), rng.integers(0, 4, n)),
        "r": int_strings(100 * rng.integers(1, 13, n) + rng.integers(1, 13, n)),
        "c": int_strings(rng.integers(1, 10, n)),
        "b": int_strings(rng.integers(1, 31, n)),
        "g": int_strings(rng.integers(1, 21, n)),
    }
    street_address = render(_ADDRESS_FORMATS.values, _ADDRESS_FORMATS.uniform(rng, country), fields)
    city = pick(_CITIES.values, _CITIES.falling(rng, country))
    return People(pick(_FIRST.values, first), full_name, email, phone, street_address, city)


def _emails(
    rng: np.random.Generator,
    country: IntArray,
    business: npt.NDArray[np.bool_],
    birth_year: IntArray,
    first: IntArray,
    last: IntArray,
) -> Column:
    """Email addresses derived from each person's name, unique across the customers."""
    n = len(country)
    company = business & (rng.random(n) < 0.6)
    fields = {
        "f": pick(_FOLDED_FIRST, first),
        "l": pick(_FOLDED_LAST, last),
        "nn": int_strings(rng.integers(1, 100, n)),
        "yy": int_strings(birth_year % 100, width=2),
    }
    fields["i"] = pc.utf8_slice_codeunits(fields["f"], 0, 1)
    templates = PERSONAL_EMAILS + COMPANY_EMAILS
    which = np.where(
        company,
        len(PERSONAL_EMAILS) + rng.integers(0, len(COMPANY_EMAILS), n),
        rng.integers(0, len(PERSONAL_EMAILS), n),
    )
    local = render(templates, which, fields)
    company_domain = render(
        ("{name}{suffix}.{tld}",),
        np.zeros(n, dtype=np.int64),
        {
            "name": pick(_FOLDED_LAST, _LAST.uniform(rng, country)),
            "suffix": pick(COMPANY_SUFFIXES, rng.integers(0, len(COMPANY_SUFFIXES), n)),
            "tld": pick(_TLDS, country),
        },
    )
    personal_domain = pick(_DOMAINS.values, _DOMAINS.falling(rng, country))
    domain = pc.if_else(pa.array(company), company_domain, personal_domain)
    return _make_unique(rng, join(local, "@", domain))


def _make_unique(rng: np.random.Generator, emails: Column) -> Column:
    """Give each repeated address (after its first use) a number before the ``@``."""
    for _ in range(20):
        codes = emails.dictionary_encode().indices.to_numpy()
        _, first_use = np.unique(codes, return_index=True)
        repeated = np.ones(len(codes), dtype=bool)
        repeated[first_use] = False
        if not repeated.any():
            return emails
        rows = np.flatnonzero(repeated)
        numbers = int_strings(rng.integers(2, 1000, len(rows)))
        parts = pc.split_pattern(emails.take(rows), "@", max_splits=1)
        local = pc.list_element(parts, 0)
        domain = pc.list_element(parts, 1)
        fixed = join(local, numbers, "@", domain)
        emails = pc.replace_with_mask(emails, pa.array(repeated), fixed)
    raise RuntimeError("could not make the demo email addresses unique")


#: (brand, length, prefixes of well-known test card ranges)
CARD_BRANDS = (
    ("visa", 16, ("411111", "424242", "400000", "401288")),
    ("mastercard", 16, ("555555", "510510", "545454", "520082")),
    ("amex", 15, ("378282", "371449", "340000")),
)
CARD_BRAND_SHARES = (0.5, 0.35, 0.15)
#: digit groups of the printed number per card length
CARD_GROUPS = {16: (4, 4, 4, 4), 15: (4, 6, 5)}


def luhn_check_digit(payload: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """The Luhn check digit completing each row of ``payload`` (digits, most significant first)."""
    width = payload.shape[1]
    doubled = (width - 1 - np.arange(width)) % 2 == 0  # every second digit from the right
    values = payload.astype(np.int64)
    values[:, doubled] *= 2
    values[values > 9] -= 9
    return np.asarray((10 - values.sum(axis=1) % 10) % 10, dtype=np.uint8)


def credit_cards(rng: np.random.Generator, n: int) -> Column:
    """Card numbers in Visa, Mastercard and Amex test ranges with valid Luhn check digits.

    A third each are printed plain, in groups separated by spaces, or by dashes.
    """
    brand = rng.choice(len(CARD_BRANDS), size=n, p=CARD_BRAND_SHARES)
    style = rng.integers(0, 3, n)
    chunks: list[Column] = []
    rows: list[npt.NDArray[np.intp]] = []
    for b, (_name, length, prefixes) in enumerate(CARD_BRANDS):
        for s, sep in enumerate(("", " ", "-")):
            idx = np.flatnonzero((brand == b) & (style == s))
            prefix_bytes = np.frombuffer("".join(prefixes).encode(), dtype=np.uint8) - ord("0")
            prefix_table = prefix_bytes.reshape(len(prefixes), 6)
            payload = np.empty((len(idx), length - 1), dtype=np.uint8)
            payload[:, :6] = prefix_table[rng.integers(0, len(prefixes), len(idx))]
            payload[:, 6:] = rng.integers(0, 10, (len(idx), length - 7), dtype=np.uint8)
            digits = np.concatenate([payload, luhn_check_digit(payload)[:, None]], axis=1)
            chunks.append(fixed_width_strings(_grouped(digits + ord("0"), length, sep)))
            rows.append(idx)
    position = np.empty(n, dtype=np.int64)
    position[np.concatenate(rows)] = np.arange(n)
    return pa.concat_arrays(chunks).take(position)


def _grouped(digits: npt.NDArray[np.uint8], length: int, sep: str) -> npt.NDArray[np.uint8]:
    """ASCII digit rows with ``sep`` between the card's digit groups (as they are if no ``sep``)."""
    if not sep:
        return digits
    groups = CARD_GROUPS[length]
    out = np.full((len(digits), length + len(groups) - 1), ord(sep), dtype=np.uint8)
    dest = np.concatenate([np.arange(g) + sum(groups[:i]) + i for i, g in enumerate(groups)])
    out[:, dest] = digits
    return out


#: first octets never used for public addresses (private, loopback, link-local, CGNAT, docs)
_RESERVED_FIRST_OCTETS = (10, 100, 127, 169, 172, 192, 198, 203)


def ipv4_addresses(rng: np.random.Generator, n: int) -> Column:
    """Dotted IPv4 addresses outside the private and reserved ranges."""
    first = np.setdiff1d(np.arange(1, 224), _RESERVED_FIRST_OCTETS)
    octets = [
        first[rng.integers(0, len(first), n)],
        rng.integers(0, 256, n),
        rng.integers(0, 256, n),
        rng.integers(1, 255, n),
    ]
    return join(*(int_strings(o) for o in octets), sep=".")

"""The generator's vectorised string and number helpers agree with their plain-Python meaning."""

from __future__ import annotations

import re
from decimal import Decimal

import numpy as np
import pyarrow as pa

from neurolake_lab.demo.arrays import decimal_array
from neurolake_lab.demo.pii import luhn_check_digit
from neurolake_lab.demo.text import ascii_fold, fill_digits, int_strings, render


def test_render_equals_str_format_row_by_row() -> None:
    rng = np.random.default_rng(1)
    templates = ["{a}-{b}", "x", "{b} and {a}!", "", "{a}{a}"]
    n = 500
    a = [f"a{i}" for i in range(n)]
    b = [f"ß{i % 7}" for i in range(n)]
    which = rng.integers(0, len(templates), n)
    out = render(templates, which, {"a": pa.array(a), "b": pa.array(b)}).to_pylist()
    assert out == [templates[w].format(a=x, b=y) for w, x, y in zip(which, a, b, strict=True)]


def test_fill_digits_keeps_the_pattern_and_draws_digits() -> None:
    rng = np.random.default_rng(2)
    patterns = ["+1 (N##) N##-####", "0## ##", "plain"]
    which = rng.integers(0, 3, 300)
    out = fill_digits(patterns, which, rng).to_pylist()
    regexes = [r"\+1 \([2-9]\d\d\) [2-9]\d\d-\d{4}", r"0\d\d \d\d", r"plain"]
    assert all(re.fullmatch(regexes[w], s) for w, s in zip(which, out, strict=True))
    assert len(set(out)) > 150  # the digits vary


def test_int_strings_pad_and_ascii_fold_names() -> None:
    assert int_strings(np.array([7, 42, 1999]), width=2).to_pylist() == ["07", "42", "1999"]
    assert [ascii_fold(v) for v in ("Müller", "Côté", "O'Brien", "De Luca", "Ramírez")] == [
        "mueller",
        "cote",
        "obrien",
        "deluca",
        "ramirez",
    ]


def test_luhn_check_digit_of_known_test_cards() -> None:
    cards = ["4111111111111111", "5555555555554444", "378282246310005", "4242424242424242"]
    for card in cards:
        payload = np.frombuffer(card[:-1].encode(), dtype=np.uint8)[None, :] - ord("0")
        assert luhn_check_digit(payload).tolist() == [int(card[-1])]


def test_decimal_array_is_exact_for_unscaled_integers() -> None:
    values = np.array([0, 1, 1234, 999_999_999_999, -5], dtype=np.int64)
    arr = decimal_array(values, 12, 2)
    assert arr.type == pa.decimal128(12, 2)
    assert arr.to_pylist() == [
        Decimal("0.00"),
        Decimal("0.01"),
        Decimal("12.34"),
        Decimal("9999999999.99"),
        Decimal("-0.05"),
    ]

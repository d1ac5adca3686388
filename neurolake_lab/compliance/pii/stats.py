"""Column-level evidence from the values as a whole: check digits, formats and phone validity.

Presidio judges one value at a time; a column says more. Thirteen digits that pass the GS1
check digit in every row are barcodes, even when some also pass the Luhn check a card needs (one
random number in ten does); sixteen digits that all pass Luhn and start like a card network's
numbers are cards, whatever the column is called; an IBAN's mod-97 check tells an account number
from a code of the same shape, even when the length differs from the country's rule. Phone
numbers are parsed with python-phonenumbers (the library Presidio's own recognizer uses) in the
configured regions, so ``0151 23456789`` reads as a German mobile number in a German workspace.

Each rule needs (nearly) all sampled values to agree, so one rule decides a column or none does
and the per-value analysis in ``decide.py`` runs as before.

The three check-digit algorithms are a few lines each, written here rather than taken from a
library: Presidio keeps its Luhn and IBAN checks inside its recognizers' private methods, and
python-stdnum would be a new dependency for three functions.

    >>> luhn_ok("4242424242424242"), gtin_ok("4006381333931")
    (True, True)
    >>> iban_ok("GB29 NWBK 6016 1331 9268 19")
    True
"""

from __future__ import annotations

import contextvars
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from neurolake_lab.compliance.pii.hints import Hints
from neurolake_lab.compliance.pii.tags import PiiTag, category_of

#: Regions whose national phone formats are recognised when no configuration says otherwise
#: (numbers written with ``+`` or ``00`` are read whatever the regions).
DEFAULT_PHONE_REGIONS = (
    "US", "GB", "DE", "FR", "ES", "IT", "NL", "JP", "IN", "BR", "MX", "AU", "CA", "CH", "AT",
    "BE", "PT", "PL", "SE", "IE", "ZA", "NG", "CN", "KR", "IL",
)  # fmt: skip

_regions: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar(
    "pii_phone_regions", default=DEFAULT_PHONE_REGIONS
)


def phone_regions() -> tuple[str, ...]:
    """The regions in force for the current classification (see :func:`using_phone_regions`)."""
    return _regions.get()


@contextmanager
def using_phone_regions(regions: Sequence[str] | None) -> Iterator[None]:
    """Read national phone numbers as numbers of ``regions`` (ISO 3166 codes) inside the block.

    Raises:
        ValueError: A region is not one python-phonenumbers knows.
    """
    if not regions:
        yield
        return
    import phonenumbers

    wanted = tuple(dict.fromkeys(r.strip().upper() for r in regions if r.strip()))
    unknown = [r for r in wanted if r not in phonenumbers.SUPPORTED_REGIONS]
    if unknown:
        raise ValueError(
            f"Unknown phone region(s) {', '.join(unknown)}: use ISO 3166 codes such as DE, US, GB."
        )
    token = _regions.set(wanted)
    try:
        yield
    finally:
        _regions.reset(token)


# --------------------------------------------------------------------------------------------
# check digits
# --------------------------------------------------------------------------------------------


def luhn_ok(digits: str) -> bool:
    """The Luhn (mod 10) check payment cards carry."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = (ord(ch) - 48) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def gtin_ok(digits: str) -> bool:
    """The GS1 check digit of EAN-8, UPC-A, EAN-13 and GTIN-14 (weights 3 and 1 from the right)."""
    total = sum((ord(ch) - 48) * (3 if i % 2 else 1) for i, ch in enumerate(reversed(digits)))
    return total % 10 == 0


def iban_ok(text: str) -> bool:
    """The ISO 13616 mod-97 check of an IBAN (spaces allowed)."""
    s = text.replace(" ", "").upper()
    if not _IBAN_SHAPE.match(s):
        return False
    rotated = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in rotated)) % 97 == 1


_IBAN_SHAPE = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$")
#: Card numbers start like a network's: Visa 4, Mastercard 51-55/2221-2720, Amex 34/37, Diners
#: 30/36/38/39, Discover 6011/64/65, JCB 35, UnionPay 62, Maestro 50/56-58/6.
_CARD_PREFIX = re.compile(r"^(4|5[0-8]|2[2-7]|3[04-9]|6)")
_DIGITS_AND_SEPARATORS = re.compile(r"^[\d][\d \-]*\d$")
#: Dates, times, versions and IPv4 addresses are digit groups too, but never phone numbers.
_NOT_PHONE = re.compile(
    r"^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{1,3}(?:\.\d{1,3}){1,3}"
    r"|\d{1,2}:\d{2}(?::\d{2})?)$"
)
_PHONE_SHAPE = re.compile(r"^\+?[\d\s().\-/]{6,24}(?:\s*(?:x|ext\.?|#)\s*\d{1,6})?$", re.I)

#: Share of values a rule needs (sampled values are distinct; one odd value in twenty is allowed).
AGREE = 0.9
#: Most values the phone rule parses (python-phonenumbers costs ~30 µs a parse and region).
PHONE_SAMPLE = 60


# --------------------------------------------------------------------------------------------
# the column rules
# --------------------------------------------------------------------------------------------


def decide(values: Sequence[str], hints: Hints) -> PiiTag | None:
    """A tag when the column's values as a whole decide it, else None (analyse value by value).

    Returns ``PiiTag.none(...)`` for columns the check digits prove are codes (barcodes).
    """
    if not values:
        return None
    return (
        _numeric_codes(values, hints)
        or _iban(values)
        or _versions(values)
        or _phones(values, hints)
    )


def _share(flags: Sequence[bool]) -> float:
    return sum(flags) / len(flags) if flags else 0.0


def _numeric_codes(values: Sequence[str], hints: Hints) -> PiiTag | None:
    """Cards by Luhn and network prefix; barcodes by the GS1 check digit."""
    if _share([bool(_DIGITS_AND_SEPARATORS.match(v)) for v in values]) < AGREE:
        return None
    digits = [v.replace(" ", "").replace("-", "") for v in values]
    lengths = [len(d) for d in digits]
    gtin = _share([len(d) in (8, 12, 13, 14) and gtin_ok(d) for d in digits])
    luhn = _share([13 <= len(d) <= 19 and luhn_ok(d) for d in digits])
    if gtin >= AGREE and (luhn < AGREE or not hints.supports("CREDIT_CARD")):
        return PiiTag.none(round(gtin, 3))  # barcodes: EAN/UPC/GTIN (ISBN-13 too)
    card_prefix = _share([bool(_CARD_PREFIX.match(d)) for d in digits])
    need = 0.8 if hints.supports("CREDIT_CARD") else AGREE
    if (
        luhn >= need
        and card_prefix >= need
        and gtin < 0.5
        and not hints.rules_out("CREDIT_CARD")
        and min(lengths) >= 13
    ):
        return _tag("CREDIT_CARD", luhn)
    return None


_DOTTED_QUAD = re.compile(r"^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$")


def _versions(values: Sequence[str]) -> PiiTag | None:
    """Four-part versions (``4.4.3.1``) are valid IPv4 addresses: the spread of the parts differs.

    Addresses spread their octets over 0-255 (even private ones: ``10.20.131.7``); version
    parts stay small. All four parts under 30 in nearly every value happens by chance once in
    ~5,000 public addresses and ~1 in 70 private ``10.x.y.z`` ones.
    """
    quads = [_DOTTED_QUAD.match(v) for v in values]
    if _share([q is not None for q in quads]) < AGREE:
        return None
    small = _share([q is not None and all(int(p) < 30 for p in q.groups()) for q in quads])
    return PiiTag.none(round(small, 3)) if small >= 0.8 else None


def _iban(values: Sequence[str]) -> PiiTag | None:
    ok = _share([iban_ok(v) for v in values])
    return _tag("IBAN_CODE", ok) if ok >= AGREE else None


def _phones(values: Sequence[str], hints: Hints) -> PiiTag | None:
    """Phone numbers parsed in the configured regions.

    With a name that says phone, numbers that are *possible* (right length for the region) are
    enough: test data and old records hold numbers no carrier ever assigned. Without one, the
    values must be *valid* and written as international numbers (``+49 ...``, ``0049 ...``):
    national digit groups are as likely references or dates, and are left to the per-value
    analysis.
    """
    if hints.rules_out("PHONE_NUMBER"):
        return None
    sample = list(values[:PHONE_SAMPLE])
    if _share([bool(_PHONE_SHAPE.match(v)) for v in sample]) < AGREE:
        return None
    if _share([bool(_NOT_PHONE.match(v.strip())) for v in sample]) > 0.1:
        return None
    hinted = hints.supports("PHONE_NUMBER")
    international = _share([v.startswith(("+", "00")) for v in sample])
    if not hinted and international < AGREE:
        return None
    valid, possible = _phone_validity(sample)
    if hinted and possible >= 0.8:
        return _tag("PHONE_NUMBER", max(valid, possible * 0.9))
    if valid >= 0.8:
        return _tag("PHONE_NUMBER", valid)
    return None


def _phone_validity(values: Sequence[str]) -> tuple[float, float]:
    """Shares of values that are valid, and possible, numbers of some configured region."""
    import phonenumbers

    regions = list(phone_regions())
    valid = possible = 0
    for value in values:
        text = "+" + value[2:] if value.startswith("00") else value
        tries = [None] if text.startswith("+") else regions
        best = 0  # 0 none, 1 possible, 2 valid
        for i, region in enumerate(tries):
            try:
                number = phonenumbers.parse(text, region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(number):
                best = 2
                if region is not None and i:  # the next value tries this region first
                    regions.insert(0, regions.pop(i))
                break
            if best == 0 and phonenumbers.is_possible_number(number):
                best = 1
        valid += best == 2
        possible += best >= 1
    n = max(1, len(values))
    return valid / n, possible / n


def _tag(entity: str, share: float) -> PiiTag:
    return PiiTag(entity, (entity,), round(min(1.0, 0.5 + 0.5 * share), 3), category_of(entity))

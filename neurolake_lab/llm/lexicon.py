"""Words of schema text and questions: tokens, light stems, abbreviations and synonym concepts.

Used by the local embedding (and open to the offline planner) so that ``customer_id``,
``CustomerID`` and "customers" share a word, and "revenue" and "sales" share a concept. The
stemmer and the lists are hand-written because the library stemmers and lemmatizers are either
not a dependency (snowball, nltk) or too slow to load for this (spaCy's lemmatizer, ~5 s); the
lists are short, generic business and schema vocabulary, not any one data set's, and grow
deliberately (a change bumps :data:`VERSION`, which re-embeds the index).

Example:
    >>> words("CustomerID, order_dates in München")
    ['customer', 'id', 'order', 'dates', 'münchen']
    >>> [stem(w) for w in ("categories", "shipped", "addresses", "status")]
    ['category', 'ship', 'address', 'status']
    >>> concept("turnover") == concept("revenue") == concept("sales")
    True
"""

from __future__ import annotations

import re
import unicodedata

#: Bumped whenever tokenising, stemming or the lists change (embeddings change with it).
VERSION = 1

_CHUNK = re.compile(r"[^\W_]+")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")

#: Generic English words that say nothing about which table or column is meant.
_STOPWORDS_TEXT = """
a an the of in on at to for from by per with without and or not no nor is are was were be been
being am do does did have has had what which who whom whose how when where why many much show me
list give get find tell all each every any some that this these those it its their there them they
i we you our your my please than then into over under as about also only can could would should
will shall may might just one through via
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())

#: Abbreviations common in column names, expanded to the words they stand for.
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "qty": ("quantity",),
    "amt": ("amount",),
    "cust": ("customer",),
    "addr": ("address",),
    "nbr": ("number",),
    "num": ("number",),
    "pct": ("percent",),
    "perc": ("percent",),
    "avg": ("average",),
    "cnt": ("count",),
    "dt": ("date",),
    "ts": ("timestamp",),
    "yr": ("year",),
    "mth": ("month",),
    "wk": ("week",),
    "dob": ("birth", "date"),
    "tel": ("phone",),
    "prod": ("product",),
    "cat": ("category",),
    "dept": ("department",),
    "emp": ("employee",),
    "mgr": ("manager",),
    "acct": ("account",),
    "txn": ("transaction",),
    "trx": ("transaction",),
    "inv": ("invoice",),
    "org": ("organization",),
    "bal": ("balance",),
    "fname": ("first", "name"),
    "lname": ("last", "name"),
    "zip": ("postal", "code"),
    "zipcode": ("postal", "code"),
    "postcode": ("postal", "code"),
    "sku": ("product",),
}

#: Words that mean the same thing in business data; each group shares one concept.
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("revenue", "sales", "turnover"),
    ("customer", "client", "buyer", "purchaser", "shopper"),
    ("product", "item", "article", "goods", "merchandise"),
    ("order", "purchase"),
    ("amount", "total"),
    ("price", "fee", "charge"),
    ("quantity", "units"),
    ("country", "nation"),
    ("city", "town"),
    ("region", "territory"),
    ("employee", "staff", "worker", "personnel"),
    ("supplier", "vendor"),
    ("date", "day", "timestamp", "datetime", "time"),
    ("email", "mail"),
    ("phone", "telephone", "mobile"),
    ("signup", "registration", "register", "enroll", "enrollment"),
    ("segment", "tier"),
    ("category", "kind"),  # not "type": index text says "type VARCHAR"
    ("refund", "return"),
    ("shipment", "delivery", "shipping"),
    ("discount", "rebate", "markdown"),
    ("store", "shop", "outlet", "branch"),
    ("user", "member"),
    ("birthday", "birth"),
    ("gender", "sex"),
    ("salary", "wage", "compensation", "pay"),
    ("profit", "margin"),
)


def words(text: str) -> list[str]:
    """Lower-case words of ``text``, abbreviations expanded.

    Identifiers split at ``_`` and at case changes; stopwords and single letters are dropped.
    """
    out: list[str] = []
    for chunk in _CHUNK.findall(unicodedata.normalize("NFKC", text)):
        # camelCase splits only in ASCII identifiers; other scripts keep the word whole
        for part in _CAMEL.findall(chunk) if chunk.isascii() else [chunk]:
            word = part.casefold()
            if word in STOPWORDS or (len(word) == 1 and not word.isdigit()):
                continue
            out.extend(ABBREVIATIONS.get(word, (word,)))
    return out


def stem(word: str) -> str:
    """A light English stem: plurals, ``-ing``, ``-ed`` and a final ``e`` removed.

    Deliberately conservative (``customer`` stays ``customer``): it only has to make inflected
    forms of one word meet.
    """
    w = word
    if len(w) <= 3 or not w.isalpha():
        return w
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("sses") or w.endswith(("xes", "ches", "shes", "zes")):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    if w.endswith("ing") and len(w) > 5:
        w = _undouble(w[:-3])
    elif w.endswith("ed") and len(w) > 4:
        w = _undouble(w[:-2])
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]
    return w


def _undouble(w: str) -> str:
    """``shipp`` -> ``ship``: a doubled final consonant left by ``-ing``/``-ed``."""
    if len(w) > 2 and w[-1] == w[-2] and w[-1] not in "aeiouls":
        return w[:-1]
    return w


_CONCEPTS: dict[str, str] = {stem(w): group[0] for group in SYNONYMS for w in group}


def concept(word: str) -> str | None:
    """The synonym group ``word`` (or its stem) belongs to, named by the group's first word."""
    return _CONCEPTS.get(word) or _CONCEPTS.get(stem(word))

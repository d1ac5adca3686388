"""Which columns hold personal data, as far as the index can tell.

Three sources, in order:

1. The table's PII tags (property ``neurolake.pii``, written by the compliance layer): a column
   is PII when its tag names an entity. A tagged table is *classified*; its verdicts are final.
2. A classifier hook (``pii_columns(table_id) -> set[str] | None``) the compliance layer wires in
   for tables that carry no tags yet; None means "cannot tell".
3. Only when neither answers: a conservative guess from column names and docs, so that an
   unclassified table never leaks sample values into the index or PII into a "remove PII"
   answer. It errs towards PII (a column called ``name`` is suspected even on a product table).

The index never stores sample values of a column that any of these marks as PII.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

#: Table property with the compliance layer's PII tags (``PiiTag.to_json()`` per column).
PII_PROPERTY = "neurolake.pii"

#: ``table_id -> PII column names`` (None: this hook cannot tell for the table).
PiiHook = Callable[[str], "set[str] | frozenset[str] | None"]

# Name parts that suggest personal data (after splitting at _ and case changes). Generic, not
# any one schema's: identity, contact, government and financial identifiers, birth, network.
_NAME_HINTS: dict[str, str] = {
    "name": "PERSON", "fname": "PERSON", "lname": "PERSON", "surname": "PERSON",
    "firstname": "PERSON", "lastname": "PERSON", "fullname": "PERSON", "email": "EMAIL_ADDRESS",
    "mail": "EMAIL_ADDRESS", "phone": "PHONE_NUMBER", "mobile": "PHONE_NUMBER",
    "telephone": "PHONE_NUMBER", "tel": "PHONE_NUMBER", "fax": "PHONE_NUMBER",
    "address": "STREET_ADDRESS", "street": "STREET_ADDRESS", "addr": "STREET_ADDRESS",
    "zip": "LOCATION", "postcode": "LOCATION", "postal": "LOCATION",
    "birth": "DATE_OF_BIRTH", "dob": "DATE_OF_BIRTH", "birthday": "DATE_OF_BIRTH",
    "ssn": "US_SSN", "passport": "US_PASSPORT", "license": "US_DRIVER_LICENSE",
    "iban": "IBAN_CODE", "card": "CREDIT_CARD", "cc": "CREDIT_CARD", "ip": "IP_ADDRESS",
    "mac": "MAC_ADDRESS", "password": "CREDENTIAL", "salary": "SENSITIVE", "gender": "SENSITIVE",
    "religion": "NRP", "ethnicity": "NRP", "nationality": "NRP", "health": "MEDICAL_CONDITION",
    "diagnosis": "MEDICAL_CONDITION", "tax": "TAX_ID",
}  # fmt: skip
_DOC_HINT = re.compile(
    r"\b(pii|personal data|personal information|personally identifiable|sensitive|"
    r"free[- ]text|email address|phone number|date of birth|home address|street address)\b",
    re.IGNORECASE,
)
_PARTS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def parse_tags(properties: Mapping[str, str]) -> dict[str, dict[str, Any]] | None:
    """The table's PII tags by column, or None when the table carries none (not classified)."""
    raw = properties.get(PII_PROPERTY)
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None  # unreadable tags: treat the table as not classified (the guess applies)
    if not isinstance(data, dict):
        return None
    return {str(k): v for k, v in data.items() if isinstance(v, dict)}


def tag_entity(tag: Mapping[str, Any]) -> str | None:
    """The entity a tag names (None: the column was classified as holding no PII)."""
    entity = tag.get("entity")
    if isinstance(entity, str) and entity:
        return entity
    entities = tag.get("entities")
    if tag.get("free_text") or (isinstance(entities, list) and entities and entity is None):
        # free text with PII in it, or entities without a dominant one: still personal data
        return str(entities[0]) if isinstance(entities, list) and entities else "FREE_TEXT"
    return None


#: Words before "name" that say it names a thing, not a person ("product_name").
_THING_NAMES = frozenset(
    [
        "product",
        "company",
        "department",
        "dept",
        "category",
        "brand",
        "city",
        "country",
        "region",
        "state",
        "store",
        "shop",
        "course",
        "project",
        "team",
        "branch",
        "file",
        "table",
        "column",
        "host",
        "domain",
        "event",
        "item",
        "plan",
        "campaign",
        "vendor",
        "supplier",
        "org",
        "organization",
        "organisation",
        "business",
        "site",
        "warehouse",
        "channel",
        "segment",
        "group",
        "tag",
        "model",
        "service",
        "app",
        "application",
        "job",
        "role",
        "title",
        "street_type",
        "type",
        "status",
        "display",
    ]
)


def suspected_entity(name: str, doc: str = "") -> str | None:
    """A conservative guess whether an unclassified column holds PII, from its name and doc.

    Example:
        >>> suspected_entity("last_login_ip"), suspected_entity("country", "Country name")
        ('IP_ADDRESS', None)
        >>> suspected_entity("full_name"), suspected_entity("product_name")
        ('PERSON', None)
        >>> suspected_entity("body", "Free-text message; may contain names (PII in free text)")
        'FREE_TEXT'
    """
    parts = [p.lower() for p in _PARTS.findall(name)]
    for part in parts:
        hint = _NAME_HINTS.get(part)
        if hint == "PERSON" and part == "name" and any(p in _THING_NAMES for p in parts):
            continue  # the name of a product, a department, a city: not a person's
        if hint is not None:
            return hint
    if _DOC_HINT.search(doc or ""):
        return "FREE_TEXT" if "free" in doc.lower() else "PII"
    return None


def column_pii(
    table_id: str,
    columns: list[tuple[str, str]],
    properties: Mapping[str, str],
    hook: PiiHook | None,
) -> tuple[dict[str, tuple[str, str]], bool]:
    """PII verdicts of a table's columns: ``{column: (entity, source)}`` and whether classified.

    Args:
        table_id: ``namespace.table``.
        columns: ``(name, doc)`` of every column.
        properties: The table's properties (where the tags live).
        hook: The classifier hook, consulted only when the table has no tags.
    """
    tags = parse_tags(properties)
    out: dict[str, tuple[str, str]] = {}
    if tags is not None:
        for name, doc in columns:
            tag = tags.get(name)
            if tag is not None:
                entity = tag_entity(tag)
                if entity is not None:
                    out[name] = (entity, "tag")
            else:  # a column added after classification: guess until it is classified
                guess = suspected_entity(name, doc)
                if guess is not None:
                    out[name] = (guess, "heuristic")
        return out, True
    found = hook(table_id) if hook is not None else None
    if found is not None:
        known = {name for name, _ in columns}
        for name in found:
            if name in known:
                out[name] = ("PII", "hook")
        return out, True
    for name, doc in columns:
        guess = suspected_entity(name, doc)
        if guess is not None:
            out[name] = (guess, "heuristic")
    return out, False

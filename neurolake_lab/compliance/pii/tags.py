"""PII tags: what a column holds, how sure we are, and its privacy category.

A tag is what the classifier returns for one column and what the session stores as a column
property; overrides by users (``%pii``) are tags too, with ``source="override"``.

Privacy categories, as Snowflake's classification uses them:

================  ==========================================================================
category          entities
================  ==========================================================================
identifier        PERSON, EMAIL_ADDRESS, PHONE_NUMBER, CREDIT_CARD, IBAN_CODE, US_SSN,
                  IP_ADDRESS, STREET_ADDRESS, US_ITIN, US_PASSPORT, US_DRIVER_LICENSE,
                  US_BANK_NUMBER, UK_NHS, MEDICAL_LICENSE, CRYPTO, MAC_ADDRESS — each
                  singles out a person on its own
quasi-identifier  DATE_OF_BIRTH, LOCATION, AGE — single out a person only in combination
sensitive         NRP (nationality, religious or political group: GDPR art. 9 special
                  categories), MEDICAL_CONDITION (only by override: no recognizer yet)
================  ==========================================================================

An entity not in the table (a name a user typed in an override) counts as an identifier, so
that an unknown kind of PII is protected rather than let through.

Policy decisions the classifier follows: a country, city, region or postcode on its own is not
tagged (coarse geography; ``LOCATION`` appears only among the entities of free text that holds
other PII), nor are company names, order/product identifiers, amounts or non-birth dates.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from neurolake_lab.exceptions import PiiError

IDENTIFIER = "identifier"
QUASI_IDENTIFIER = "quasi-identifier"
SENSITIVE = "sensitive"
CATEGORIES = (IDENTIFIER, QUASI_IDENTIFIER, SENSITIVE)
#: Where a tag comes from: the classifier, a write that copied a PII column (``carried``), or a
#: user. Classification replaces only its own (``detected``) tags.
SOURCES = ("detected", "carried", "override")

#: Entity → privacy category (the table in the module docstring).
CATEGORY_OF: Mapping[str, str] = {
    "PERSON": IDENTIFIER,
    "EMAIL_ADDRESS": IDENTIFIER,
    "PHONE_NUMBER": IDENTIFIER,
    "CREDIT_CARD": IDENTIFIER,
    "IBAN_CODE": IDENTIFIER,
    "US_SSN": IDENTIFIER,
    "IP_ADDRESS": IDENTIFIER,
    "STREET_ADDRESS": IDENTIFIER,
    "US_ITIN": IDENTIFIER,
    "US_PASSPORT": IDENTIFIER,
    "US_DRIVER_LICENSE": IDENTIFIER,
    "US_BANK_NUMBER": IDENTIFIER,
    "UK_NHS": IDENTIFIER,
    "MEDICAL_LICENSE": IDENTIFIER,
    "CRYPTO": IDENTIFIER,
    "MAC_ADDRESS": IDENTIFIER,
    "DATE_OF_BIRTH": QUASI_IDENTIFIER,
    "LOCATION": QUASI_IDENTIFIER,
    "AGE": QUASI_IDENTIFIER,
    "NRP": SENSITIVE,
    "MEDICAL_CONDITION": SENSITIVE,
}


def category_of(entity: str | None) -> str | None:
    """The privacy category of an entity (``None`` for no PII; unknown entities: identifier)."""
    if entity is None:
        return None
    return CATEGORY_OF.get(entity, IDENTIFIER)


@dataclass(frozen=True)
class PiiTag:
    """The PII verdict for one column.

    Attributes:
        entity: The dominant entity (Presidio's names, plus ``STREET_ADDRESS`` and
            ``DATE_OF_BIRTH``); ``None`` when the column holds no PII.
        entities: Every entity found, most frequent first (free text may hold several).
        score: Confidence in ``entity`` (0..1); for ``None``, confidence that there is no PII.
        category: ``identifier``, ``quasi-identifier``, ``sensitive``, or ``None``.
        free_text: The values are prose that contains PII, not PII values themselves.
        source: ``detected`` by the classifier, ``carried`` by a write from the PII columns it
            copied, or set by a user ``override``.
        origin: For a carried tag, the ``ns.table.column`` names it was copied from.
    """

    entity: str | None
    entities: tuple[str, ...]
    score: float
    category: str | None
    free_text: bool = False
    source: str = "detected"
    origin: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.entities, tuple):
            object.__setattr__(self, "entities", tuple(self.entities))
        if not isinstance(self.origin, tuple):
            object.__setattr__(self, "origin", tuple(self.origin))
        problem = self._problem()
        if problem:
            raise PiiError(f"Invalid PII tag {self!r}: {problem}.")

    def _problem(self) -> str | None:
        if self.entity is not None and (not isinstance(self.entity, str) or not self.entity):
            return "the entity must be a non-empty string or None"
        if not all(isinstance(e, str) and e for e in self.entities):
            return "entities must be non-empty strings"
        if self.entity is not None and self.entity not in self.entities:
            return "the entity must be one of the entities"
        if self.entity is None and (self.free_text or self.category is not None):
            return "a tag without an entity has no category and is not free text"
        if self.entity is not None and self.category not in CATEGORIES:
            return f"the category must be one of {', '.join(CATEGORIES)}"
        if isinstance(self.score, bool) or not isinstance(self.score, int | float):
            return "the score must be a number"
        if not (0.0 <= self.score <= 1.0) or math.isnan(self.score):
            return "the score must be between 0 and 1"
        if self.source not in SOURCES:
            return f"the source must be one of {', '.join(SOURCES)}"
        if not all(isinstance(o, str) and o for o in self.origin):
            return "the origin must be column names"
        return None

    @property
    def is_pii(self) -> bool:
        """Whether the column holds PII (an entity is set)."""
        return self.entity is not None

    @property
    def pinned(self) -> bool:
        """Whether classification keeps this tag: set by a user or carried from a PII source."""
        return self.source != "detected"

    @classmethod
    def none(cls, score: float = 1.0, *, source: str = "detected") -> PiiTag:
        """A tag for a column without PII."""
        return cls(None, (), score, None, source=source)

    @classmethod
    def override(cls, entity: str | None) -> PiiTag:
        """A user's override: ``entity`` (any name, e.g. ``EMAIL_ADDRESS``) or ``None``."""
        if entity is None:
            return cls.none(source="override")
        return cls(entity, (entity,), 1.0, category_of(entity), source="override")

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (stored as a column property by the session)."""
        return {
            "entity": self.entity,
            "entities": list(self.entities),
            "score": self.score,
            "category": self.category,
            "free_text": self.free_text,
            "source": self.source,
            **({"origin": list(self.origin)} if self.origin else {}),
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> PiiTag:
        """Read a tag written by :meth:`to_json`; missing optional keys take their defaults.

        Raises:
            PiiError: ``d`` is not a tag (wrong types, unknown category or source).
        """
        if not isinstance(d, Mapping) or "entity" not in d:
            raise PiiError(f"Not a PII tag (expected a mapping with an 'entity' key): {d!r}.")
        entity = d["entity"]
        entities = d.get("entities", [entity] if entity is not None else [])
        if not isinstance(entities, list | tuple):
            raise PiiError(f"Invalid PII tag {d!r}: entities must be a list.")
        origin = d.get("origin", ())
        if not isinstance(origin, list | tuple):
            raise PiiError(f"Invalid PII tag {d!r}: origin must be a list.")
        return cls(
            entity=entity,
            entities=tuple(entities),
            score=d.get("score", 1.0),
            category=d.get("category", category_of(entity)),
            free_text=bool(d.get("free_text", False)),
            source=d.get("source", "detected"),
            origin=tuple(origin),
        )

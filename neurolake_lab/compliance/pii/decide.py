"""The column-level decision: from sampled values, name and description to one ``PiiTag``.

Rules, in order (the thresholds are constants below, each with its reason):

1. Non-text columns: a date or timestamp is a ``DATE_OF_BIRTH`` when the name or description says
   birth and the dates are plausible birth dates (1900 up to today); an integer column is
   analysed only when its name or description says phone, card, SSN or IBAN (a phone number
   stored as an integer lost its ``+``); other numbers, booleans and binaries hold no PII.
2. Text columns, pattern stage: every sampled value meets the recognizers its characters allow.
   When most values (``STRUCTURED_SHARE``; less when the name agrees) *are* one entity — the
   match covers most of the value — the column is that entity. A match glued to an identifier
   (``ORD-2024-000123``) never counts, nor does a bare digit string as a phone number unless
   the name says phone, nor an entity the name argues against (``1.2.3.4`` in ``version``).
3. Prose (several words, a good part lower-case words) that step 2 did not claim is free text:
   it is flagged when identifiers appear in enough of its values (``FREE_TEXT_MIN_SHARE``),
   with every entity found and the most frequent as ``entity``.
4. Short text that no pattern explains (names, places, nationalities) goes through spaCy's NER.
   A person needs agreement between NER and the shape of the values, and less of it when the
   name says person (``first_name``) than when it says nothing; nothing makes ``product_name``
   a person. Places (countries, cities) are not tagged (policy: see ``tags.py``).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from neurolake_lab.compliance.pii import stats
from neurolake_lab.compliance.pii.engine import Finding, PiiEngine
from neurolake_lab.compliance.pii.hints import Hints
from neurolake_lab.compliance.pii.tags import PiiTag, category_of

#: Minimum Presidio score (after context) for a value's match to count, per entity. Phone
#: numbers score 0.4 without context in Presidio; dates of birth and bare SSNs only reach
#: their threshold with context.
MIN_SCORE = {
    "EMAIL_ADDRESS": 0.5,
    "PHONE_NUMBER": 0.4,
    "CREDIT_CARD": 0.5,
    "IBAN_CODE": 0.5,
    "US_SSN": 0.4,
    "IP_ADDRESS": 0.5,
    "STREET_ADDRESS": 0.4,
    "DATE_OF_BIRTH": 0.5,
    "PERSON": 0.5,
    "LOCATION": 0.5,
    "NRP": 0.5,
    "ORGANIZATION": 0.5,
}
#: Share of values that must be the entity for a structured column (hinted by name: lower).
STRUCTURED_SHARE = 0.5
STRUCTURED_SHARE_HINTED = 0.3
#: Share of a value's characters a match must cover for the value to *be* the entity. A street
#: address is often one part of a longer address (postcode, city), hence its lower bar.
MIN_COVERAGE = 0.6
MIN_COVERAGE_BY_ENTITY = {"STREET_ADDRESS": 0.25}
#: Free text is flagged when an identifier appears in at least this share of values (and in at
#: least two values once there are ten or more); NER-found people need a higher share because
#: the small model sees the odd capitalised word as a name.
FREE_TEXT_MIN_SHARE = 0.02
FREE_TEXT_MIN_SHARE_NER = 0.1
#: How many values go through NER (it costs ~0.5 ms per short value, ~3 ms per sentence).
NER_SAMPLE_SHORT = 100
NER_SAMPLE_PROSE = 64
#: The pattern stage stops early on structured columns once this many values decide it.
EARLY_STOP_AFTER = 30

#: Tie-break between entities with the same evidence: the more specific first.
PRIORITY = (
    "CREDIT_CARD",
    "IBAN_CODE",
    "US_SSN",
    "EMAIL_ADDRESS",
    "IP_ADDRESS",
    "PHONE_NUMBER",
    "DATE_OF_BIRTH",
    "STREET_ADDRESS",
    "PERSON",
    "NRP",
    "LOCATION",
)
#: Entities that make free text PII; places and groups alone do not (see ``tags.py``).
FREE_TEXT_TRIGGERS = frozenset(PRIORITY) - {"LOCATION", "NRP"}

_PHONE_FORMAT_CHARS = frozenset("+ -()./")
# A capitalised word, possibly with apostrophes, hyphens or a final dot (O'Neil, Jean-Luc, Dr.)
_APOSTROPHES = "'\u2019"
_NAME_TOKEN = re.compile(rf"^[^\W\d_]+(?:[{_APOSTROPHES}\-][^\W\d_]+)*\.?$")
_NAME_PARTICLES = frozenset((
    "de", "da", "do", "dos", "das", "del", "della", "di", "du", "la", "le", "van", "von", "der",
    "den", "bin", "al", "y", "e",
))  # fmt: skip


@dataclass
class _Stats:
    hits: int = 0
    covered: int = 0  # hits whose match covers the value (MIN_COVERAGE)
    score: float = 0.0  # sum of the best score per hit


@dataclass
class _Evidence:
    n: int = 0
    stats: dict[str, _Stats] = field(default_factory=dict)
    covered_any: int = 0  # values covered by some PII match

    def add(self, value: str, findings: Sequence[Finding]) -> None:
        self.n += 1
        best: dict[str, float] = {}
        cover: dict[str, int] = {}
        size = max(1, len(value.strip()))
        for f in findings:
            if f.score < MIN_SCORE.get(f.entity, 0.5):
                continue
            best[f.entity] = max(best.get(f.entity, 0.0), f.score)
            cover[f.entity] = cover.get(f.entity, 0) + (f.end - f.start)
        any_covered = False
        for entity, score in best.items():
            s = self.stats.setdefault(entity, _Stats())
            s.hits += 1
            s.score += score
            if min(1.0, cover[entity] / size) >= MIN_COVERAGE_BY_ENTITY.get(entity, MIN_COVERAGE):
                s.covered += 1
                any_covered = True
        self.covered_any += any_covered

    def share(self, entity: str, *, covered: bool = False) -> float:
        s = self.stats.get(entity)
        if s is None or self.n == 0:
            return 0.0
        return (s.covered if covered else s.hits) / self.n

    def mean_score(self, entity: str) -> float:
        s = self.stats.get(entity)
        return s.score / s.hits if s and s.hits else 0.0


# --------------------------------------------------------------------------------------------
# value shapes
# --------------------------------------------------------------------------------------------


def _tokens(value: str) -> list[str]:
    return value.split()


def is_prose(values: Sequence[str]) -> bool:
    """Sentences rather than values: a few words, a good part of them lower-case words.

    Names, addresses, codes and user agents are mostly capitalised words, numbers and symbols;
    even short sentences ("Identity confirmed, born 12 March 1985.") are a quarter lower-case.
    """
    if not values:
        return False
    lengths, lower_shares = [], []
    for v in values:
        toks = _tokens(v)
        lengths.append(len(toks))
        words = [t.strip(".,;:!?()\"'") for t in toks]
        lower = sum(1 for w in words if w.isalpha() and w.islower())
        lower_shares.append(lower / len(toks) if toks else 0.0)
    return statistics.median(lengths) >= 4 and statistics.median(lower_shares) >= 0.25


def _is_wordy(values: Sequence[str]) -> bool:
    """Short text of words (names, places, groups): few tokens, letters, mostly no digits."""
    if not values:
        return False
    no_digit = sum(1 for v in values if not any(c.isdigit() for c in v))
    has_alpha = sum(1 for v in values if any(c.isalpha() for c in v))
    lengths = [len(_tokens(v)) for v in values]
    return (
        no_digit / len(values) >= 0.8
        and has_alpha / len(values) >= 0.9
        and statistics.median(lengths) <= 6
    )


def _name_shaped(value: str) -> bool:
    """Looks like a person's name: one to five capitalised words (particles allowed).

    >>> _name_shaped("Jean-Luc O'Neil"), _name_shaped("木村 陽一"), _name_shaped("oak stool")
    (True, True, False)
    """
    toks = _tokens(value)
    if not 1 <= len(toks) <= 5:
        return False
    capitalised = 0
    for t in toks:
        if t.lower() in _NAME_PARTICLES:
            continue
        # scripts without case (木村 陽一) count as capitalised
        if not _NAME_TOKEN.match(t) or not (t[0].isupper() or t[0].lower() == t[0].upper()):
            return False
        capitalised += 1
    return capitalised >= 1


def _candidates(value: str, hints: Hints) -> list[str]:
    """Pattern entities this value's characters allow (saves running the others)."""
    digits = sum(c.isdigit() for c in value)
    letters = sum(c.isalpha() for c in value)
    out = []
    if "@" in value:
        out.append("EMAIL_ADDRESS")
    if digits >= 7:
        out.append("PHONE_NUMBER")
    if digits >= 12:
        out.append("CREDIT_CARD")
    if digits >= 9:
        out.append("US_SSN")
    if digits >= 10 and letters >= 2:
        out.append("IBAN_CODE")
    if (value.count(".") >= 3 and digits >= 4) or value.count(":") >= 2:
        out.append("IP_ADDRESS")
    if digits >= 1 and letters >= 3:
        out.append("STREET_ADDRESS")
    if digits >= 6 or (digits >= 5 and letters >= 3):
        out.append("DATE_OF_BIRTH")
    return out


def _keep(value: str, f: Finding, hints: Hints) -> bool:
    """Whether a match counts.

    A bare digit string is a phone number only if the name or description says phone (it is
    as likely an id); an IP network in CIDR notation (``10.0.0.0/8``) is not a host's address.
    """
    text = value[f.start : f.end]
    if f.entity == "IP_ADDRESS":
        return "/" not in text
    if f.entity != "PHONE_NUMBER" or hints.supports("PHONE_NUMBER"):
        return True
    return any(c in _PHONE_FORMAT_CHARS for c in text)


def _best(entities: Sequence[str], key: dict[str, float]) -> str:
    return min(entities, key=lambda e: (-key[e], PRIORITY.index(e) if e in PRIORITY else 99))


# --------------------------------------------------------------------------------------------
# the decision
# --------------------------------------------------------------------------------------------


def decide_text(values: Sequence[str], hints: Hints, engine: PiiEngine) -> PiiTag:
    """Decide a column of text values (distinct, non-empty, in sample order)."""
    if not values:
        return PiiTag.none()
    decided = stats.decide(values, hints)
    if decided is not None:
        return decided
    prose = is_prose(values)
    context = hints.context()
    ev = _Evidence()
    for i, value in enumerate(values):
        findings = engine.patterns(value, _candidates(value, hints), context)
        ev.add(value, [f for f in findings if _keep(value, f, hints)])
        if not prose and i + 1 >= EARLY_STOP_AFTER and (i + 1) % EARLY_STOP_AFTER == 0:
            top = max((ev.share(e, covered=True) for e in ev.stats), default=0.0)
            if top >= 0.9 or max((ev.share(e) for e in ev.stats), default=0.0) <= 0.02:
                break
    # Values that *are* PII win even when they read like prose (French addresses have many
    # lower-case words: "5 rue de la Paix").
    tag = _structured(ev, hints) or _address_layout(values, ev, hints)
    if tag is not None:
        return tag
    if prose:
        return _free_text(values, ev, engine)
    if _is_wordy(values):
        return _short_text(values, hints, engine)
    return PiiTag.none(_no_pii_score(ev, hints))


def decide_patterns(readings: Sequence[Sequence[str]], hints: Hints, engine: PiiEngine) -> PiiTag:
    """Decide with the pattern stage only, for the entities the name or description names.

    Used for integer columns named like a phone, card, SSN or IBAN column. Each value comes
    with its possible readings as text; the first reading with a match counts.
    """
    ev = _Evidence()
    context = hints.context()
    for options in readings:
        kept: list[Finding] = []
        for text in options:
            findings = engine.patterns(text, _candidates(text, hints), context)
            kept = [f for f in findings if hints.supports(f.entity) and _keep(text, f, hints)]
            if kept:
                ev.add(text, kept)
                break
        else:
            ev.add(options[0] if options else "", [])
    return _structured(ev, hints) or PiiTag.none(_no_pii_score(ev, hints))


def _structured(ev: _Evidence, hints: Hints) -> PiiTag | None:
    shares = {e: ev.share(e, covered=True) for e in ev.stats if not hints.rules_out(e)}
    ok = [
        e
        for e, share in shares.items()
        if share
        >= (STRUCTURED_SHARE_HINTED if hints.supports(e) else STRUCTURED_SHARE) * _rounding(ev.n)
    ]
    if not ok and ev.n and ev.covered_any / ev.n >= STRUCTURED_SHARE and shares:
        ok = [max(shares, key=lambda e: shares[e])]  # a mix (emails and phones) is still PII
    if not ok:
        return None
    entity = _best(ok, shares)
    entities = sorted(
        (e for e, s in shares.items() if s >= 0.2 or e == entity),
        key=lambda e: (-shares[e], PRIORITY.index(e) if e in PRIORITY else 99),
    )
    score = round(min(1.0, ev.mean_score(entity) * min(1.0, shares[entity] / 0.8)), 3)
    return PiiTag(entity, tuple(entities), score, category_of(entity))


#: A part of an address: a house number (``12``, ``4b``, ``17/3``) or a postcode-like token.
_ADDRESS_NUMBER = re.compile(
    r"^(?:\d{1,5}[a-zA-Z]?(?:[/-]\d{1,4})?|[A-Z]{1,2}\d[A-Z\d]?|\d{4,5}-?\d{0,3})[,.]?$"
)


def _address_layout(values: Sequence[str], ev: _Evidence, hints: Hints) -> PiiTag | None:
    """Addresses in layouts the street patterns do not know, when the column name says address.

    Nearly every value must read like an address: three or more words, capitalised words and a
    house number or postcode among them, and no value that is some other entity.
    """
    if not values or not hints.supports("STREET_ADDRESS"):
        return None
    if ev.covered_any - ev.stats.get("STREET_ADDRESS", _Stats()).covered > 0.2 * ev.n:
        return None  # values that are emails, phones or dates: not this rule's to decide

    def looks(v: str) -> bool:
        toks = v.replace(",", " ").split()
        caps = sum(1 for t in toks if t[:1].isupper() and any(c.isalpha() for c in t))
        return len(toks) >= 3 and caps >= 2 and any(_ADDRESS_NUMBER.match(t) for t in toks)

    share = sum(1 for v in values if looks(v)) / len(values)
    if share < 0.8:
        return None
    score = round(0.5 + 0.3 * share, 3)
    return PiiTag("STREET_ADDRESS", ("STREET_ADDRESS",), score, category_of("STREET_ADDRESS"))


def _rounding(n: int) -> float:
    # With very few distinct values one miss weighs a lot; relax the share a little.
    return 0.8 if n < 5 else 1.0


def _no_pii_score(ev: _Evidence, hints: Hints) -> float:
    top = max((ev.share(e) for e in ev.stats if not hints.rules_out(e)), default=0.0)
    return round(1.0 - top, 3)


def _short_text(values: Sequence[str], hints: Hints, engine: PiiEngine) -> PiiTag:
    sample = list(values[:NER_SAMPLE_SHORT])
    forms = [_person_form(v) for v in sample]
    names = [f[0] for f in forms]
    results = engine.ner(names, ("PERSON", "NRP", "LOCATION", "ORGANIZATION"))
    counts = {"PERSON": 0, "NRP": 0, "LOCATION": 0, "ORGANIZATION": 0}
    for value, findings in zip(names, results, strict=True):
        size = max(1, len(value.strip()))
        for entity in counts:
            covered = sum(
                f.end - f.start
                for f in findings
                if f.entity == entity and f.score >= MIN_SCORE[entity]
            )
            if covered / size >= 0.5:
                counts[entity] += 1
    n = len(sample)
    person = counts["PERSON"] / n
    nrp = counts["NRP"] / n
    place = counts["LOCATION"] / n
    shape = sum(1 for v in names if _name_shaped(v)) / n
    comma = sum(1 for name, inverted in forms if inverted and _name_shaped(name)) / n
    company = sum(1 for v in sample if _legal_form(v)) / n
    org = counts["ORGANIZATION"] / n
    multi = sum(1 for v in names if len(v.split()) >= 2) / n
    if org >= 0.5 and org > 2 * person and multi >= 0.8 and hints.person != "strong":
        # "Delta Air Lines", "JetBlue Airways": organisations (a single first name is the small
        # model's usual false ORG, hence whole names only)
        company = max(company, org)

    is_person = False
    if not hints.person_negative and company < 0.3:
        if hints.person == "strong":
            is_person = shape >= 0.8 or (person >= 0.2 and shape >= 0.5)
        elif hints.person == "weak":
            is_person = shape >= 0.8 and place < 0.5 and (person >= 0.15 or comma >= 0.8)
            # "account_holder": two or more name words in nearly every value, no places
            is_person = is_person or (shape >= 0.9 and multi >= 0.8 and place < 0.3)
        else:
            # "Last, First" in nearly every value is a way of writing people's names; places
            # written "City, Country" are what NER tells apart
            is_person = shape >= 0.8 and (person >= 0.6 or (comma >= 0.8 and place < 0.2))
    is_nrp = (hints.supports("NRP") and nrp >= 0.3) or nrp >= 0.8

    if is_person and (not is_nrp or person >= nrp):
        score = round(min(1.0, 0.5 + 0.5 * max(person, comma, shape if hints.person else 0.0)), 3)
        return PiiTag("PERSON", ("PERSON",), score, category_of("PERSON"))
    if is_nrp:
        score = round(min(1.0, 0.5 + 0.5 * nrp), 3)
        return PiiTag("NRP", ("NRP",), score, category_of("NRP"))
    return PiiTag.none(round(1.0 - max(person, nrp), 3))


#: Titles and honorifics dropped before a value is judged as a name (lower case, no dots).
_HONORIFICS = frozenset((
    "mr", "mrs", "ms", "mx", "miss", "dr", "prof", "sir", "dame", "herr", "frau", "fr", "hr",
    "mme", "mlle", "m", "sr", "sra", "srta", "sig", "sigra", "dott", "dssa", "don", "dona", "doña",
    "ing", "dipl", "mag", "lic", "mba", "phd", "jr", "md", "dds", "ii", "iii", "iv", "pan",
    "pani", "dhr", "mevr", "mw", "hr", "sig", "sigg", "gent", "egr", "av", "lda",
))  # fmt: skip
#: Legal forms that make a capitalised value a company ("Valverde e Hijos", "Kühn GmbH").
_LEGAL_FORMS = frozenset((
    "gmbh", "ag", "kg", "ohg", "ug", "ltd", "llc", "inc", "plc", "corp", "sa", "sas", "sarl", "srl",
    "spa", "bv", "nv", "ab", "oy", "sl", "ltda", "kgaa", "gbr", "group", "holding", "hijos",
    "figli", "söhne", "sons", "&",
))  # fmt: skip


def _person_form(value: str) -> tuple[str, bool]:
    """The value as ``First Last`` without titles, and whether it was written ``Last, First``.

    Upper-case words become title case (``AGUIRRE`` → ``Aguirre``), which spaCy's NER reads
    better; tokens with a dot inside (``Sig.ra``, ``Dipl.-Ing.``, ``B.Eng.``) are titles.
    """
    inverted = False
    text = value.strip()
    if text.count(",") == 1:
        last, first = (p.strip() for p in text.split(","))
        if last and first:
            text, inverted = f"{first} {last}", True
    kept = []
    for tok in text.split():
        bare = tok.lower().replace(".", "")
        if bare in _HONORIFICS or ("." in tok[:-1] and len(tok) > 2):
            continue
        kept.append(tok.title() if tok.isupper() and len(tok) > 1 else tok)
    return " ".join(kept) if kept else text, inverted


def _legal_form(value: str) -> bool:
    return any(t.lower().strip(".,") in _LEGAL_FORMS for t in value.split())


def _free_text(values: Sequence[str], ev: _Evidence, engine: PiiEngine) -> PiiTag:
    sample = list(values[:NER_SAMPLE_PROSE])
    ner_hits: dict[str, int] = {}
    ner_scores: dict[str, float] = {}
    for text, findings in zip(sample, engine.ner(sample, ("PERSON", "LOCATION")), strict=True):
        seen = {
            f.entity
            for f in findings
            if f.score >= MIN_SCORE[f.entity] and not _implausible_person(text, f)
        }
        for entity in seen:
            ner_hits[entity] = ner_hits.get(entity, 0) + 1
            ner_scores[entity] = max(f.score for f in findings if f.entity == entity)

    def enough(hits: int, n: int, share: float, floor: int) -> bool:
        return hits >= max(min(floor, n), math.ceil(share * n))

    found: dict[str, float] = {}  # entity -> share of values
    for entity, s in ev.stats.items():
        if enough(s.hits, ev.n, FREE_TEXT_MIN_SHARE, 2 if ev.n >= 10 else 1):
            found[entity] = s.hits / ev.n
    for entity, hits in ner_hits.items():
        # NER's stray names ("Shipped to Germany" → PERSON "Shipped") need two sightings
        if enough(hits, len(sample), FREE_TEXT_MIN_SHARE_NER, 2):
            found[entity] = max(found.get(entity, 0.0), hits / len(sample))
    triggers = [e for e in found if e in FREE_TEXT_TRIGGERS]
    if not triggers:
        return PiiTag.none(round(1.0 - max(found.values(), default=0.0), 3))
    entity = _best(triggers, found)
    entities = tuple(
        sorted(found, key=lambda e: (-found[e], PRIORITY.index(e) if e in PRIORITY else 99))
    )
    score = ev.mean_score(entity) if entity in ev.stats else ner_scores.get(entity, 0.85)
    return PiiTag(entity, entities, round(min(1.0, score), 3), category_of(entity), free_text=True)


def _implausible_person(text: str, f: Finding) -> bool:
    """A PERSON found in prose that is the small model's usual false alarm, not a name.

    Names in text are capitalised: lower-case words ("compagnon banc") are not a person. A
    capitalised first word of a sentence in an unfamiliar language ("Keuken been welke...") is
    not one either; people in notes are mostly written with two words or mid-sentence.
    """
    if f.entity != "PERSON":
        return False
    words = [w for w in text[f.start : f.end].split() if w.lower() not in _NAME_PARTICLES]
    if not words or any(not w[0].isupper() for w in words):
        return True
    if len(words) > 1:
        return False
    before = text[: f.start].rstrip()
    return not before or before.endswith((".", "!", "?", ":", ";"))


def decide_dates(values: Sequence[dt.date | dt.datetime], hints: Hints) -> PiiTag:
    """A date/timestamp column: a date of birth only if named so and plausible."""
    if not values or not hints.supports("DATE_OF_BIRTH"):
        return PiiTag.none()
    today = dt.date.today()
    plausible = 0
    for v in values:
        d = v.date() if isinstance(v, dt.datetime) else v
        plausible += dt.date(1900, 1, 1) <= d <= today
    if plausible / len(values) < 0.9:
        return PiiTag.none(0.5)
    return PiiTag("DATE_OF_BIRTH", ("DATE_OF_BIRTH",), 0.85, category_of("DATE_OF_BIRTH"))

"""The Presidio recognizers the classifier runs, including two Presidio lacks.

``DateOfBirthRecognizer`` finds full dates (four-digit years, numeric and written months in six
languages) whose score only reaches the classifier's threshold with birth context: a word such
as "born" or "date of birth" just before the date, or in the column's name or description (passed
as Presidio context). ``StreetAddressRecognizer`` finds the street line of addresses as nine
locales write them: number first (English, French), name then number (German, Dutch, Nordic),
street type first (Spanish, Portuguese, Italian) and Japanese block numbers (romanised).
Presidio has neither: its date recognizer cannot tell a birth date from an order date, and its
LOCATION comes from NER, which sees cities but not street lines.

Phone numbers are Presidio's ``PhoneRecognizer`` (python-phonenumbers) over more regions than
its default, with context words in several languages.

This module imports Presidio; only ``engine.py`` imports it, on first use.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

import phonenumbers
from presidio_analyzer import (
    AnalysisExplanation,
    EntityRecognizer,
    Pattern,
    PatternRecognizer,
    RecognizerResult,
)
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    EmailRecognizer,
    IbanRecognizer,
    IpRecognizer,
    PhoneRecognizer,
    SpacyRecognizer,
    UsSsnRecognizer,
)

from neurolake_lab.compliance.pii.hints import WORDS
from neurolake_lab.compliance.pii.stats import DEFAULT_PHONE_REGIONS, phone_regions

if TYPE_CHECKING:
    from presidio_analyzer.nlp_engine import NlpArtifacts


#: Entities the pattern recognizers find (no NLP model needed).
PATTERN_ENTITIES = (
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "IBAN_CODE",
    "US_SSN",
    "IP_ADDRESS",
    "STREET_ADDRESS",
    "DATE_OF_BIRTH",
)
#: Entities spaCy's named-entity recogniser finds.
NER_ENTITIES = ("PERSON", "LOCATION", "NRP")

_MONTHS = (
    # English, German, French, Spanish, Portuguese, Italian (full names and abbreviations)
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|"
    "januar|jänner|februar|märz|mai|juni|juli|oktober|dezember|okt|dez|"
    "janvier|février|fevrier|mars|avril|juin|juillet|août|aout|septembre|octobre|novembre|"
    "décembre|decembre|"
    "enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|"
    "noviembre|diciembre|"
    "janeiro|fevereiro|março|maio|junho|julho|setembro|outubro|dezembro|"
    "gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre"
)
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_MONTH_NUM = r"(?:0?[1-9]|1[0-2])"
_YEAR = r"(?:19|20)\d{2}"


class DateOfBirthRecognizer(PatternRecognizer):
    """Full dates that are birth dates when context says so (see the module docstring)."""

    #: Below the classifier's threshold (0.5) unless context adds Presidio's 0.35.
    SCORE = 0.2
    PATTERNS = (
        Pattern("iso date", rf"\b{_YEAR}[-/.]{_MONTH_NUM}[-/.]{_DAY}\b", SCORE),
        Pattern("numeric date", rf"\b{_DAY}[-/.]{_DAY}[-/.]{_YEAR}\b", SCORE),
        Pattern(
            "day month year",
            rf"\b{_DAY}(?:\.|st|nd|rd|th|er)?[\s.-]+(?:de\s+)?(?:{_MONTHS})\.?[\s.,-]+(?:de\s+)?{_YEAR}\b",
            SCORE,
        ),
        Pattern(
            "month day year",
            rf"\b(?:{_MONTHS})\.?\s+{_DAY}(?:st|nd|rd|th)?,?\s+{_YEAR}\b",
            SCORE,
        ),
    )

    def __init__(self) -> None:
        super().__init__(
            supported_entity="DATE_OF_BIRTH",
            name="DateOfBirthRecognizer",
            patterns=list(self.PATTERNS),
            context=sorted(WORDS["DATE_OF_BIRTH"]),
        )

    def invalidate_result(self, pattern_text: str) -> bool | None:
        """Drop dates in the future: nobody is born tomorrow."""
        year = re.search(_YEAR, pattern_text)
        return year is None or int(year.group()) > dt.date.today().year


# Upper-case letter, any letter: Presidio compiles patterns with the ``regex`` module, which
# knows Unicode classes.
_UP = r"\p{Lu}"
_L = r"\p{L}"
_START = r"(?<![\p{L}\d])"
_EN_TYPES = (
    "street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|place|pl|way|"
    "terrace|close|crescent|highway|hwy|square|sq|parkway|pkwy|circle|cir|trail|mews|"
    "gardens|grove|walk|parade|marg|park|passage|heights|hill|hills|green|row|rise|vale|view|"
    "meadow|meadows|mill|mills|center|centre|point|ridge|estate|wharf|yard|alley|hollow|"
    "junction|crossing|fields|manor|cottages|port|bypass|causeway|loop|pike|plaza|run|"
    "spur|summit|track|turnpike|via|village|vista|wells"
)
_DE_SUFFIX = (
    "straße|strasse|str\\.|gasse|weg|allee|platz|damm|ufer|chaussee|steig|pfad|"
    "straat|laan|gracht|plein|kade|dijk|singel|gade|vej|vägen|gatan|veien|ring|hof|markt|"
    "park|pad|dreef|steeg|wal|stieg|zeile|graben|berg|torget|gränd|stigen|backe"
)
_DE_WORDS = "Straße|Strasse|Str\\.|Weg|Allee|Platz|Gasse|Damm|Ufer|Chaussee|Straat|Laan|Plein"
_FR_TYPES = (
    "rue|avenue|av\\.|boulevard|bd|place|chemin|allée|allee|impasse|quai|route|cours|square|"
    "passage|rond-point|chaussée|faubourg|promenade|voie|sentier"
)
_LATIN_TYPES = (
    "Calle|C/|Avenida|Avda\\.?|Av\\.|Paseo|Plaza|Pza\\.|Camino|Carrera|Ronda|Travesía|Rúa|"
    "Rua|R\\.|Alameda|Travessa|Estrada|Praça|Largo|Rodovia|Via|Viale|Piazza|Piazzale|Corso|"
    "Vicolo|Lungomare|Strada|Carrer|Avinguda|Passeig|Rue|Avenue|Boulevard|Chemin|Allée|"
    "Impasse|Quai|ul\\.|ulica|al\\.|Aleja"
)


class StreetAddressRecognizer(PatternRecognizer):
    """Street lines of postal addresses in several locales (see the module docstring)."""

    SCORE = 0.5
    PATTERNS = (
        Pattern(
            "number first (en)",
            rf"{_START}\d{{1,5}}[A-Za-z]?(?:[/-]\d{{1,4}})?,?\s+"
            rf"(?:{_UP}[{_L}'.-]*\s+|\d{{1,3}}(?:st|nd|rd|th)\s+){{1,4}}(?i:{_EN_TYPES})\b\.?",
            SCORE,
        ),
        Pattern(
            "name then number (de, nl, nordic)",
            rf"{_START}{_UP}[{_L}'.-]*?(?i:{_DE_SUFFIX})\s*\d{{1,4}}\s?[a-zA-Z]?\b",
            SCORE,
        ),
        Pattern(
            "adjective, street word, number (de)",
            rf"{_START}(?:{_UP}[{_L}-]*\s+){{1,3}}(?:{_DE_WORDS})\s+\d{{1,4}}\s?[a-zA-Z]?\b",
            SCORE,
        ),
        Pattern(
            "number then street type (fr)",
            rf"{_START}\d{{1,4}}(?:\s?(?:bis|ter))?,?\s+(?i:{_FR_TYPES})\s+"
            rf"(?:(?:de|du|des|la|le|les|l'|d')\s*)*{_UP}[{_L}'-]*",
            SCORE,
        ),
        Pattern(
            "street type, name, number (es, pt, it)",
            rf"{_START}(?:{_LATIN_TYPES})\s+(?:[{_L}'.ºª-]+\s+){{0,5}}?[{_L}\d'.ºª-]+?,?\s+"
            rf"(?:n[º°o.]\s*)?\d{{1,5}}[a-zA-Z]?\b",
            SCORE,
        ),
        Pattern(
            "flat or unit, then a street (en)",
            rf"{_START}(?i:flat|studio|apartment|apt\.?|unit|suite|ste\.?)\s+\d{{1,4}}[a-zA-Z]?"
            rf"(?:,\s*|\s*\n\s*){_UP}[{_L}'.-]*(?:\s+{_UP}[{_L}'.-]*){{0,3}}",
            SCORE,
        ),
        Pattern(
            "block number, district, ward (jp)",
            rf"{_START}\d{{1,2}}(?:-chome)?[- ]\d{{1,3}}(?:-\d{{1,3}})?\s+{_UP}\p{{Ll}}+"
            rf"(?:[- ]\p{{Ll}}+)*,\s*{_UP}\p{{Ll}}+-(?:ku|shi|cho|machi|gun|mura)\b",
            SCORE,
        ),
    )

    def __init__(self) -> None:
        super().__init__(
            supported_entity="STREET_ADDRESS",
            name="StreetAddressRecognizer",
            patterns=list(self.PATTERNS),
            context=sorted(WORDS["STREET_ADDRESS"]),
            # Case matters: street names are capitalised, so no IGNORECASE (the street-type
            # alternatives that may be lower case carry their own (?i:...)).
            global_regex_flags=re.DOTALL | re.MULTILINE | re.UNICODE,
        )


#: A run of digits as phone numbers are written (``+49 (0)30 1234-567``, ``(41) 97018-0570``).
#: Runs glued to letters or digits (inside hashes, UUIDs, tracking codes) are not phone numbers.
DIGIT_RUN = re.compile(r"(?<![^\W_])\+?\(?\d[\d ().\-/]*\d(?![^\W_])")


def phone_runs(text: str) -> list[tuple[int, int]]:
    """Spans of digit runs long enough to be a phone number (seven digits or more)."""
    return [m.span() for m in DIGIT_RUN.finditer(text) if sum(c.isdigit() for c in m.group()) >= 7]


class MultiRegionPhoneRecognizer(PhoneRecognizer):
    """Presidio's phone recognizer over many regions, without paying for every region each time.

    Presidio runs python-phonenumbers' matcher once per supported region; over 25 regions that
    was most of the classifier's time. Here numbers written with ``+`` are found in one pass
    (region ``ZZ``: international format only), and national formats are tried region by region
    (the regions of the current classification, :func:`stats.phone_regions`) only until every
    national-looking digit run is matched. The results are Presidio's own
    (same scores, explanations and context words); only the loop differs, hence the override.
    """

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
    ) -> list[RecognizerResult]:
        """Find phone numbers: international ones once, national ones region by region."""
        runs = phone_runs(text)
        if not runs:
            return []
        results = self._matches(text, "ZZ", nlp_artifacts)
        national = [r for r in runs if not text.startswith("+", r[0])]
        for region in phone_regions():
            if all(any(m.start < e and s < m.end for m in results) for s, e in national):
                break
            results += self._matches(text, region, nlp_artifacts)
        return EntityRecognizer.remove_duplicates(results)

    def _matches(
        self, text: str, region: str, nlp_artifacts: NlpArtifacts | None
    ) -> list[RecognizerResult]:
        out = []
        leniency = 1 if self.leniency is None else self.leniency
        for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=leniency):
            found = phonenumbers.region_code_for_number(match.number) or region
            out.append(
                RecognizerResult(
                    entity_type=self.supported_entities[0],
                    start=match.start,
                    end=match.end,
                    score=self.SCORE,
                    analysis_explanation=AnalysisExplanation(
                        recognizer=type(self).__name__,
                        original_score=self.SCORE,
                        textual_explanation=f"Recognized as {found} region phone number",
                    ),
                    recognition_metadata={
                        RecognizerResult.RECOGNIZER_NAME_KEY: type(self).__name__,
                        RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                    },
                )
            )
        return out


def build_recognizers() -> list[EntityRecognizer]:
    """Every recognizer the classifier registers with Presidio's analyzer."""
    return [
        EmailRecognizer(),
        MultiRegionPhoneRecognizer(
            context=sorted(WORDS["PHONE_NUMBER"]), supported_regions=DEFAULT_PHONE_REGIONS
        ),
        CreditCardRecognizer(),
        IbanRecognizer(),
        UsSsnRecognizer(),
        IpRecognizer(),
        DateOfBirthRecognizer(),
        StreetAddressRecognizer(),
        SpacyRecognizer(supported_entities=[*NER_ENTITIES, "ORGANIZATION"]),
    ]

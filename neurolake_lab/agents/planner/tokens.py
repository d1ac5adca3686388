"""A question as tokens: words (with stems), numbers, quoted strings and clause punctuation.

Hand-written rather than a tokenizer library because what the planner needs is small and
specific: contractions opened up ("haven't" -> "have not"), numbers with their value ("$20",
"1,000", "five", "20%"), quoted values kept whole, and each token's light stem from the same
stemmer the embeddings use (:func:`neurolake_lab.llm.lexicon.stem`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from neurolake_lab.llm.lexicon import stem

_CONTRACTIONS = (
    (re.compile(r"\b(can)'t\b", re.I), r"\1 not"),
    (re.compile(r"\bwon't\b", re.I), "will not"),
    (re.compile(r"n't\b", re.I), " not"),
    (re.compile(r"'(s|re|ve|d|ll|m)\b", re.I), ""),
    (re.compile(r"s'(?=\s|$)", re.I), "s"),
)
#: Units and ordinals a number may carry without being a code ("30-day", "20kg", "3rd").
_UNIT_SUFFIX = (
    r"(?:day|week|month|year|hour|minute|second|quarter|kg|km|g|mi|eur|usd|k|m|st|nd|rd|th)s?\b"
)
_TOKEN = re.compile(
    r"""(?P<quoted>"[^"]+"|'[^']+'|\u201c[^\u201d]+\u201d|\u2018[^\u2019]+\u2019)
      | (?P<date>\d{4}-\d{2}-\d{2})
      | (?P<dcode>\d+-\d+(?![\w.-]))
      | (?P<code>(?:[^\W\d_]+\#?\d[\w#.]*|\d+-?(?!"""
    + _UNIT_SUFFIX
    + r""")[^\W\d_][\w#.]*)(?<![.]))
      | (?P<number>[$€£]?\d+(?:[.,]\d{3})*(?:\.\d+)?%?)
      | (?P<word>[^\W\d_]+(?:[-_][^\W\d_]+)*)
      | (?P<punct>[,;:?!.()])""",
    re.VERBOSE,
)
NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "fifty": 50,
    "hundred": 100,
    "dozen": 12,
}


@dataclass
class Token:
    """One token of a question.

    Attributes:
        i: Position in the token list.
        text: As written.
        low: Lower case (the quoted text without its quotes, for ``quoted``).
        stem: Light stem of ``low`` (words only).
        kind: ``word``, ``number``, ``date`` (ISO ``YYYY-MM-DD``), ``quoted`` or ``punct``.
        value: The number of a ``number`` token (or of a number word).
        percent: Whether the number was written with ``%``.
    """

    i: int
    text: str
    low: str
    stem: str
    kind: str
    value: float | None = None
    percent: bool = False

    @property
    def is_word(self) -> bool:
        """A word (number words included)."""
        return self.kind == "word"

    @property
    def is_number(self) -> bool:
        """A number written in digits or as a number word."""
        return self.value is not None


def tokenize(question: str) -> list[Token]:
    """The tokens of ``question``.

    Example:
        >>> [t.low for t in tokenize("Which customers haven't ordered in the last 30 days?")]
        ['which', 'customers', 'have', 'not', 'ordered', 'in', 'the', 'last', '30', 'days', '?']
        >>> [(t.kind, t.value) for t in tokenize("top five, $1,200.50")][1:]
        [('word', 5.0), ('punct', None), ('number', 1200.5)]
    """
    text = unicodedata.normalize("NFKC", question)
    text = re.sub(r"\be-mail", "email", text, flags=re.I)
    for pattern, repl in _CONTRACTIONS:
        text = pattern.sub(repl, text)
    out: list[Token] = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "word"
        raw = m.group()
        if kind == "quoted":
            inner = raw[1:-1].strip()
            out.append(Token(len(out), raw, inner.lower(), inner.lower(), "quoted"))
        elif kind == "date":
            out.append(Token(len(out), raw, raw, raw, "date"))
        elif kind in ("dcode", "code"):  # "E175", "Q4", "Brand#13", "5-820": one word, as written
            out.append(Token(len(out), raw, raw.lower(), raw.lower(), "word"))
        elif kind == "number":
            digits = raw.lstrip("$€£").rstrip("%").replace(",", "")
            out.append(
                Token(
                    len(out),
                    raw,
                    raw.lower(),
                    raw.lower(),
                    "number",
                    value=float(digits),
                    percent=raw.endswith("%"),
                )
            )
        elif kind == "word":
            for part in re.split(r"[-_]", raw):
                low = part.lower()
                number = NUMBER_WORDS.get(low)
                value = float(number) if number is not None else None
                out.append(Token(len(out), part, low, stem(low), "word", value=value))
        else:
            out.append(Token(len(out), raw, raw, raw, "punct"))
    return out

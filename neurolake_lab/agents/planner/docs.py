"""What table and column descriptions say, as phrases the linker can match words against.

Abbreviated or foreign names (``aufn_ts``, ``dep_delay_min``, ``c_acctbal``) carry no English a
question could use; their ``COMMENT ON`` / Iceberg ``doc`` text does. This module reads:

* the noun phrases of a description ("Departure delay in minutes" -> "departure delay",
  "delay", "minute"), for the column or table it describes;
* what a table's rows are ("Inpatient cases: one row per hospital stay" -> "inpatient case",
  "case", "hospital stay", "stay"), including names in parentheses ("departments (wards)");
* coded values explained in the description ("F = female, M = male", "N = emergency"), so that
  "female patients" becomes ``geschl_cd = 'F'``;
* the state a boolean column records ("Whether the flight was cancelled" -> "cancelled");
* concatenated names split into words the schema uses elsewhere (``lineitem`` -> "line item",
  ``shipmode`` -> "ship mode").

Hand-written: the descriptions are short English sentences of a few known shapes, and a parser
library would add a model download for no gain here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from neurolake_lab.llm import lexicon

#: Words that start a description without naming anything ("Date the order was placed").
_LEADING = frozenset(
    {"date", "time", "timestamp", "number", "name", "whether", "identifier", "id", "code",
     "free", "text", "flag", "indicator", "key"}
)  # fmt: skip
#: Words that end a table description's head noun phrase ("Procedures and services performed").
_BREAK = frozenset({"during", "across", "within", "between", "including", "like", "such"})
_CLAUSE_END = re.compile(r"[.;:()\[\]]|,\s|\s-\s|\bwhere\b|\bwhen\b|\bwhile\b|\bnull\b", re.I)
_CODE = re.compile(r"(?:^|[\s,;:(])([A-Za-z0-9][\w#./-]{0,11})\s*=\s*([^,;.()=]+)")
_WHETHER = re.compile(
    r"^whether\s+(?:the\s+|a\s+|an\s+|this\s+)?[\w-]+(?:\s+[\w-]+)?\s+"
    r"(?:was|is|were|are|has\s+been|had\s+been|has|had|got)\s+(?:a\s+|an\s+|the\s+)?"
    r"([\w-]+(?:\s+[\w-]+)?)",
    re.I,
)
_ROW_PER = re.compile(
    r"one\s+row\s+(?:per|for\s+each|for\s+every)\s+([\w\s-]+?)(?:[.,;:(]|$)", re.I
)
_PARENS = re.compile(r"\(([^)]{2,40})\)")


def words_of(text: str) -> list[str]:
    """Lower-case content words of a description."""
    return _content(text)


def _content(text: str) -> list[str]:
    """Lower-case content words of a phrase (stopwords, digits and one-letter words dropped)."""
    out = []
    for word in re.findall(r"[^\W\d_][\w'-]*", text.lower()):
        for part in word.split("-"):
            if len(part) > 1 and part.isalpha() and part not in lexicon.STOPWORDS:
                out.append(part)
    return out


def _ngrams(words: list[str], longest: int = 3) -> Iterable[list[str]]:
    for n in range(min(longest, len(words)), 0, -1):
        for i in range(len(words) - n + 1):
            yield words[i : i + n]


def first_clause(doc: str) -> str:
    """The description up to its first full stop, colon, bracket or condition."""
    return _CLAUSE_END.split(doc or "", maxsplit=1)[0].strip()


def column_phrases(doc: str) -> list[tuple[list[str], float]]:
    """Phrases of a column description that name the column, with how strongly.

    A single word that only modifies the leading noun ("departure" of "departure delay") is
    weaker than the noun itself: it says what the column is about, not what it holds.

    Example:
        >>> [(" ".join(w), s) for w, s in column_phrases("Departure delay in minutes.")][:3]
        [('departure delay minutes', 0.8), ('departure delay', 0.8), ('delay departure', 0.7)]
    """
    words = [w for w in _content(first_clause(doc))]
    while words and words[0] in _LEADING and len(words) > 1:
        words = words[1:]
    lead: list[str] = []
    for word in re.findall(r"[^\W\d_][\w'-]*", first_clause(doc).lower()):
        if word in lexicon.STOPWORDS or word in _BREAK or (lead and word.endswith("ed")):
            break
        lead.append(word)
    modifiers = set(lead[:-1]) - {lead[-1]} if lead else set()
    out: list[tuple[list[str], float]] = []
    for gram in _ngrams(words):
        leading = gram == words[: len(gram)]
        single = 0.65 if gram[0] in modifiers else 0.7
        out.append((gram, single if len(gram) == 1 else 0.8 if leading else 0.75))
        if len(gram) == 2:  # "amount billed" is also asked as "billed amount"
            out.append((gram[::-1], 0.7))
    return out


def table_phrases(doc: str) -> list[tuple[list[str], float]]:
    """Phrases of a table description that name its rows ("case", "hospital stay").

    The head noun phrase is the description's start up to the first preposition or
    participle ("Aircraft in the fleet" -> "aircraft", "Patients registered at ..." ->
    "patients"); "one row per X" and names in brackets count as well.

    Example:
        >>> [" ".join(w) for w, s in table_phrases("Aircraft in the fleet, one row per airframe.")]
        ['aircraft', 'fleet', 'airframe']
    """
    out: list[tuple[list[str], float]] = []
    head: list[str] = []
    for word in re.findall(r"[^\W\d_][\w'-]*", first_clause(doc).lower()):
        if word in lexicon.STOPWORDS or word in _BREAK or (head and word.endswith("ed")):
            break
        head.extend(p for p in word.split("-") if len(p) > 1)
    if head:
        out.append((head[-1:], 0.9))
        if len(head) > 1:
            out.append((head[-2:], 0.9))
            out.extend(([w], 0.6) for w in head[:-1])
    rest = _content(first_clause(doc))[len(head) :]
    out.extend(([w], 0.5) for w in rest if not w.endswith("ed"))  # "Aircraft in the fleet"
    for match in [*_ROW_PER.finditer(doc or ""), *_PARENS.finditer(first_clause_with_parens(doc))]:
        words = _content(match.group(1))
        if words and len(words) <= 4:
            out.append((words[-1:], 0.85))
            if len(words) > 1:
                out.append((words[-2:], 0.85))
    return out


def first_clause_with_parens(doc: str) -> str:
    """The first sentence, brackets included ("Hospital departments (wards)")."""
    return (doc or "").split(".", 1)[0]


def coded_values(doc: str) -> list[tuple[str, list[str]]]:
    """``(code, meaning words)`` pairs a description explains.

    Example:
        >>> coded_values("Sex of the patient: F = female, M = male, D = diverse.")
        [('F', ['female']), ('M', ['male']), ('D', ['diverse'])]
        >>> coded_values("Admission type: N = emergency, E = elective (planned).")
        [('N', ['emergency']), ('E', ['elective'])]
    """
    out = []
    for match in _CODE.finditer(doc or ""):
        meaning = _content(match.group(2))
        if meaning and len(meaning) <= 5:
            out.append((match.group(1), meaning))
    return out


def flag_state(doc: str) -> list[str] | None:
    """The words of the state a boolean column records, from "Whether the X was Y".

    Example:
        >>> flag_state("Whether the flight was cancelled."), flag_state("Whether the airline "
        ...     "is a low-cost carrier.")
        (['cancelled'], ['low', 'cost', 'carrier'])
    """
    match = _WHETHER.match((doc or "").strip())
    if not match:
        return None
    words = _content(match.group(1))
    return [w for w in words if w not in ("during", "within")] or None


def split_compound(word: str, vocabulary: set[str]) -> list[str]:
    """``word`` split into two words of ``vocabulary`` (``lineitem`` -> line, item), else [word].

    Example:
        >>> split_compound("shipmode", {"ship", "mode"}), split_compound("custkey", {"cust"})
        (['ship', 'mode'], ['custkey'])
    """
    if len(word) < 7 or word in vocabulary:
        return [word]
    for i in range(len(word) - 3, 2, -1):
        left, right = word[:i], word[i:]
        if left in vocabulary and right in vocabulary:
            return [left, right]
    return [word]

"""Words of a question judged on their own: plurals, participles, demonyms, output names.

Small English judgements the parser's passes share; none of them looks at the schema.
"""

from __future__ import annotations

from neurolake_lab.agents.planner.cues import Cue
from neurolake_lab.agents.planner.tokens import Token
from neurolake_lab.index.model import ColumnInfo
from neurolake_lab.llm import lexicon


def demonym(value: str, word: str) -> bool:
    """Whether ``word`` names what ``value`` is the place of: German/Germany, Mexican/Mexico.

    Example:
        >>> demonym("germany", "german"), demonym("canada", "canadian"), demonym("atlanta",
        ...     "atlantis")
        (True, True, False)
    """
    if len(value) < 5 or value == word:
        return False
    if value.startswith(word) or word.startswith(value):
        return abs(len(value) - len(word)) <= 4
    common = 0
    for a, b in zip(value, word, strict=False):
        if a != b:
            break
        common += 1
    shorter = min(len(value), len(word))
    return shorter >= 6 and common >= shorter - 1 and word.endswith(("an", "ian", "ese", "ish"))


_IRREGULAR_PLURALS = frozenset({"people", "children", "men", "women", "persons", "staff"})


def plural_noun(tok: Token) -> bool:
    """Whether a noun is written in the plural ("customers", "categories"; not "status")."""
    low = tok.low
    if low in _IRREGULAR_PLURALS:
        return True
    return low.endswith("s") and not low.endswith(("ss", "us", "is")) and tok.stem != low


#: Past participles that do not end in -ed.
_IRREGULAR_PARTICIPLES = frozenset({"flown", "built", "sold", "made", "done", "paid", "held",
                                    "taken", "given", "run", "written", "seen", "bought",
                                    "brought", "driven", "won", "known", "sent", "spent", "shown",
                                    "grown", "drawn", "chosen", "kept", "led", "met",
                                    # simple pasts: verbs too ("flights flew ...")
                                    "flew", "went", "took", "gave", "came", "wrote", "drove",
                                    "grew", "drew", "chose", "saw", "knew", "began", "rode",
                                    "left"})  # fmt: skip


def participle(tok: Token | None) -> bool:
    """Whether a word is a past participle ("placed", "flown"): the verb of a passive."""
    if tok is None or not tok.is_word:
        return False
    low = tok.low
    return (low.endswith("ed") and len(low) > 4) or low in _IRREGULAR_PARTICIPLES


def is_year_number(col: ColumnInfo) -> bool:
    """An integer column holding a calendar year (``mfg_yr``, "Year the aircraft was built")."""
    words = lexicon.words(col.name) + lexicon.words(col.description)[:3]
    return col.is_numeric and not col.is_temporal and any(w in ("year", "yr") for w in words)


def negate(op: str) -> str:
    """The condition that is true when ``op`` is false (``is null`` -> ``is not null``)."""
    return {
        "is null": "is not null",
        "is not null": "is null",
        "is true": "is false",
        "is false": "is true",
        "< 0": ">= 0",
        ">= 0": "< 0",
        "> 0": "<= 0",
        "<= 0": "> 0",
    }.get(op, op)


def label_of(func: str, column: str) -> str:
    """The output name of ``func`` over ``column`` (``avg_unit_price``, ``total_amount``)."""
    prefix = {"avg": "avg", "sum": "total", "median": "median", "min": "min", "max": "max"}
    if func == "sum" and column.startswith("total"):
        return column
    return f"{prefix.get(func, func)}_{column}"


def cue_word(tokens: list[Token], cue: Cue) -> str:
    """The words of a cue, for messages."""
    return " ".join(t.text for t in tokens[cue.i : cue.end])

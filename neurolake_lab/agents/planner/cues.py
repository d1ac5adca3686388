"""The structure words of a question: what to compute, how to group, rank, compare and cut.

Found before schema linking, so that "last month", "top 5", "less than 20" or "remove PII" are
never mistaken for data. Every token used here goes into ``taken``; what remains is linked to
the schema (:mod:`neurolake_lab.agents.planner.linker`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from neurolake_lab.agents.planner import vocab
from neurolake_lab.agents.planner.timewindow import UNITS, WindowMatch, find_windows
from neurolake_lab.agents.planner.tokens import Token

_PII_VERBS = frozenset(
    {
        "remove",
        "removed",
        "without",
        "no",
        "hide",
        "hidden",
        "mask",
        "masked",
        "exclude",
        "excluding",
        "drop",
        "strip",
        "redact",
        "redacted",
        "omit",
        "minus",
        "except",
    }
)
_PII_ADJ = frozenset(
    {
        "anonymised",
        "anonymized",
        "anonymous",
        "anonymise",
        "anonymize",
        "anonymously",
        "deidentified",
        "pseudonymised",
        "pseudonymized",
        "pseudonymous",
    }
)
_PERSONAL = frozenset({"personal", "private", "sensitive", "identifying"})
_DATA = frozenset({"data", "information", "info", "details", "fields", "columns", "values"})
_UNIT_WORDS = {
    "seconds": "second",
    "second": "second",
    "minutes": "minute",
    "minute": "minute",
    "hours": "hour",
    "hour": "hour",
    "days": "day",
    "day": "day",
    "weeks": "week",
}
_RANK_LIMIT = frozenset(
    {
        "most",
        "least",
        "highest",
        "lowest",
        "largest",
        "smallest",
        "biggest",
        "cheapest",
        "expensive",
        "newest",
        "latest",
        "oldest",
        "earliest",
        "best",
        "worst",
        "fewest",
        "top",
    }
)
_SORT_VERBS = frozenset({"sorted", "ordered", "order", "sort", "ranked", "rank"})
_DURATION = frozenset({"time", "duration", "long", "took", "take", "takes", "taken"})
_LIST_WORDS = frozenset({"show", "list", "display", "give", "find", "get", "which", "what", "who"})


@dataclass
class Comparison:
    """``op value`` (or ``between value and value2``) at tokens ``start``..``end``."""

    op: str
    value: float
    start: int
    end: int
    value2: float | None = None
    hint: str | None = None
    percent: bool = False
    text: str = ""


@dataclass
class Limit:
    """A row limit (``top 5``) and the direction it ranks in, when it says one."""

    n: int
    descending: bool | None
    start: int
    end: int
    explicit: bool = True


@dataclass
class Cue:
    """A structure word at token ``i`` (``end`` exclusive): ``kind`` and its ``data``."""

    kind: str
    i: int
    end: int
    data: Any = None


@dataclass
class Structure:
    """Everything structural found in a question."""

    taken: set[int] = field(default_factory=set)
    remove_pii: bool = False
    unit: str | None = None
    comparisons: list[Comparison] = field(default_factory=list)
    windows: list[WindowMatch] = field(default_factory=list)
    limit: Limit | None = None
    grains: list[tuple[int, str]] = field(default_factory=list)
    cues: list[Cue] = field(default_factory=list)

    def cue_at(self, i: int) -> Cue | None:
        """The cue starting at token ``i``."""
        return next((c for c in self.cues if c.i == i), None)

    def cues_of(self, kind: str) -> list[Cue]:
        """Cues of one kind, in order."""
        return [c for c in self.cues if c.kind == kind]


def find_structure(
    tokens: list[Token], is_phrase: Callable[[list[Token]], bool] | None = None
) -> Structure:
    """Find the structure words of a tokenized question.

    ``is_phrase`` says whether tokens name something in the schema ("annual budget"), so that
    a structure word that starts a column's name is left to the schema.
    """
    s = Structure()
    _remove_pii(tokens, s)
    _comparisons(tokens, s)
    s.windows = find_windows(tokens, s.taken)
    for w in s.windows:
        s.taken.update(range(w.start, w.end))
    _units(tokens, s)
    _limits(tokens, s)
    _grains(tokens, s, is_phrase)
    _cues(tokens, s, is_phrase)
    s.cues.sort(key=lambda c: c.i)
    return s


def _low(tokens: list[Token], i: int, s: Structure) -> str:
    return tokens[i].low if 0 <= i < len(tokens) and i not in s.taken else ""


def _take(s: Structure, start: int, end: int) -> None:
    s.taken.update(range(start, end))


def _remove_pii(tokens: list[Token], s: Structure) -> None:
    n = len(tokens)
    for i in range(n):
        low = tokens[i].low
        end = 0
        if low in _PII_ADJ or (low == "pii" and _low(tokens, i + 1, s) == "free"):
            end = i + (2 if low == "pii" else 1)
        elif low in _PII_VERBS:
            j = i + 1
            while _low(tokens, j, s) in ("any", "the", "all", "of", "their"):
                j += 1
            word = _low(tokens, j, s)
            if word == "pii":
                end = j + 1
            elif word in _PERSONAL and _low(tokens, j + 1, s) in _DATA:
                end = j + 2
            elif word == "personally" and _low(tokens, j + 1, s) == "identifiable":
                end = j + 2 + (_low(tokens, j + 2, s) in _DATA)
        elif low == "pii" and _low(tokens, i + 1, s) in ("removed", "masked", "hidden", "redacted"):
            end = i + 2
        if end:
            start = i
            while start > 0 and tokens[start - 1].low in (",", "but", "and", "with", "please"):
                start -= 1
            _take(s, start, end)
            s.remove_pii = True


#: "5 or more", "2020 or later": at least; "5 or fewer", "2019 or before": at most.
_OR_MORE = frozenset({"more", "above", "over", "higher", "greater", "older", "later", "after",
                      "newer"})  # fmt: skip
_OR_LESS = frozenset({"less", "fewer", "below", "under", "lower", "younger", "earlier", "before"})


def _comparisons(tokens: list[Token], s: Structure) -> None:
    n = len(tokens)
    phrases = sorted(vocab.COMPARISONS, key=len, reverse=True)
    i = 0
    while i < n:
        low = tokens[i].low
        if low == "between":
            a, b = _number(tokens, i + 1, s), _number(tokens, i + 3, s)
            years = a is not None and _yearish(tokens[i + 1]) and _yearish(tokens[i + 3])
            if a is not None and b is not None and _low(tokens, i + 2, s) in ("and", "to"):  # noqa: SIM102
                if not years:
                    s.comparisons.append(
                        Comparison("between", a, i, i + 4, value2=b, text=_text(tokens, i, i + 4))
                    )
                    _take(s, i, i + 4)
                    i += 4
                    continue
        matched = False
        for phrase in phrases:
            k = len(phrase)
            if tuple(t.low for t in tokens[i : i + k]) != phrase:
                continue
            j = i + k
            while _low(tokens, j, s) in ("a", "an", "the", "of", "usd", "eur", "$", "€"):
                j += 1
            value = _number(tokens, j, s)
            if value is None and _low(tokens, j - 1, s) in ("a", "an") and j > i + k:
                # "longer than a week", "more than an hour late": one of the unit
                value = 1.0 if _low(tokens, j, s) in _ONE_UNIT else None
                j -= 1  # the unit is read after the comparison, as after "3 days"
            if value is None:
                continue
            hint = next(
                (vocab.COMPARISON_HINTS[w] for w in phrase if w in vocab.COMPARISON_HINTS), None
            )
            end = j + 1 + (_low(tokens, j + 1, s) in vocab.MEASURE_UNITS)
            s.comparisons.append(
                Comparison(
                    vocab.COMPARISONS[phrase],
                    value,
                    i,
                    end,
                    hint=hint,
                    percent=tokens[j].percent,
                    text=_text(tokens, i, end),
                )
            )
            _take(s, i, end)
            i = end
            matched = True
            break
        if matched:
            continue
        value = _number(tokens, i, s)
        after = (_low(tokens, i + 1, s), _low(tokens, i + 2, s))
        if value is not None and after[0] == "or" and after[1] in _OR_MORE | _OR_LESS:
            op = ">=" if after[1] in _OR_MORE else "<="
            hint = "age" if after[1] in ("older", "younger") else None
            s.comparisons.append(
                Comparison(op, value, i, i + 3, hint=hint, text=_text(tokens, i, i + 3))
            )
            _take(s, i, i + 3)
            i += 3
            continue
        i += 1


def _yearish(tok: Token) -> bool:
    return tok.value is not None and tok.value.is_integer() and 1900 <= tok.value <= 2200


#: Units a comparison may name one of with an article ("more than an hour").
_ONE_UNIT = frozenset({"second", "minute", "hour", "day", "week", "month", "year"})


def _number(tokens: list[Token], i: int, s: Structure) -> float | None:
    if 0 <= i < len(tokens) and i not in s.taken and tokens[i].value is not None:
        return tokens[i].value
    return None


def _text(tokens: list[Token], start: int, end: int) -> str:
    return " ".join(t.text for t in tokens[start:end])


def _units(tokens: list[Token], s: Structure) -> None:
    for i, tok in enumerate(tokens):
        if tok.low == "in" and _low(tokens, i + 1, s) in _UNIT_WORDS and i not in s.taken:
            s.unit = _UNIT_WORDS[tokens[i + 1].low]
            _take(s, i, i + 2)


def _limits(tokens: list[Token], s: Structure) -> None:
    n = len(tokens)
    for i in range(n):
        if i in s.taken:
            continue
        low = tokens[i].low
        value = _number(tokens, i + 1, s) if i + 1 < n else None
        if low in ("top", "bottom", "first", "best", "worst") and value is not None:
            desc = {"top": True, "best": True, "bottom": False, "worst": False}.get(low)
            s.limit = Limit(int(value), desc, i, i + 2)
            _take(s, i, i + 2)
            return
        if low in _LIST_WORDS | {"the", "those", "these", "only", "just"} and value is not None:
            nxt = _low(tokens, i + 2, s)
            if nxt and nxt not in UNITS and nxt not in ("%", "percent"):
                s.limit = Limit(int(value), None, i + 1, i + 2)
                _take(s, i + 1, i + 2)
                return
        own = _number(tokens, i, s)
        if own is not None and _low(tokens, i + 1, s) in _RANK_LIMIT and not _yearish(tokens[i]):
            s.limit = Limit(int(own), None, i, i + 1)
            _take(s, i, i + 1)
            return
    for i in range(n):
        if tokens[i].low in ("top", "bottom") and i not in s.taken:
            after = tokens[i + 1] if i + 1 < n else None
            plural = after is not None and after.low.endswith("s") and after.low != after.stem
            s.limit = Limit(10 if plural else 1, tokens[i].low == "top", i, i + 1, explicit=False)
            _take(s, i, i + 1)
            return


def _grains(
    tokens: list[Token], s: Structure, is_phrase: Callable[[list[Token]], bool] | None
) -> None:
    n = len(tokens)
    for i in range(n):
        if i in s.taken:
            continue
        low = tokens[i].low
        if is_phrase is not None and i + 1 < n and is_phrase(tokens[i : i + 2]):
            continue  # "annual budget" is a column, not a yearly grouping
        if low in vocab.GRAIN_ADJECTIVES:
            s.grains.append((i, vocab.GRAINS[low]))
            _take(s, i, i + 1)
        elif low in ("per", "by", "each", "every", "a") and _low(tokens, i + 1, s) in vocab.GRAINS:
            s.grains.append((i, vocab.GRAINS[tokens[i + 1].low]))
            _take(s, i, i + 2)
        elif (
            low in vocab.GRAINS and _low(tokens, i + 1, s) == "by" and _low(tokens, i + 2, s) == low
        ):
            s.grains.append((i, vocab.GRAINS[low]))  # "month by month"
            _take(s, i, i + 3)
        elif low == "over" and _low(tokens, i + 1, s) == "time":
            s.grains.append((i, "month"))
            _take(s, i, i + 2)


def _cues(
    tokens: list[Token], s: Structure, is_phrase: Callable[[list[Token]], bool] | None = None
) -> None:
    n = len(tokens)
    for i in range(1, n):
        if tokens[i].low == "single" and tokens[i - 1].low in ("a", "any", "one", "each"):
            s.taken.add(i)  # "the maximum for a single stay": one row, said twice
    i = 0
    while i < n:
        if i in s.taken:
            i += 1
            continue
        low = tokens[i].low
        nxt = _low(tokens, i + 1, s)
        cue: Cue | None = None
        if low == "how" and nxt in ("many", "much"):
            cue = Cue("count", i, i + 2) if nxt == "many" else Cue("agg", i, i + 2, "sum")
        elif low == "how" and nxt == "long":
            cue = Cue("duration", i, i + 2)
        elif (
            low in ("number", "count", "amount")
            and nxt == "of"
            and not (i > 0 and is_phrase is not None and is_phrase(tokens[i - 1 : i + 1]))
        ):
            cue = Cue("count", i, i + 2)  # not "the seat count of aircraft" (a column)
        elif low in ("count", "counts") and not (
            i > 0 and is_phrase is not None and is_phrase(tokens[i - 1 : i + 1])
        ):
            cue = Cue("count", i, i + 1)  # "... - count", "count them" (not "seat count")
        elif low in ("what", "which") and nxt in (
            "percent",
            "percentage",
            "share",
            "fraction",
            "proportion",
        ):
            cue = Cue("share", i, i + 2, nxt in vocab.PERCENT_WORDS)
        elif low in vocab.SHARE_WORDS and low != "rate" and low != "ratio":
            cue = Cue("share", i, i + 1, low in vocab.PERCENT_WORDS)
        elif low == "rate" or low == "ratio":
            cue = Cue("rate", i, i + 1)
        elif low in _SORT_VERBS and nxt == "by":
            cue = Cue("sort", i, i + 2)
        elif low in ("for", "in") and nxt in ("each", "every"):
            cue = Cue("group", i, i + 2, "each")
        elif low in ("broken", "split", "grouped", "breakdown", "segmented", "break") and nxt in (
            "by",
            "down",
        ):
            end = i + 2 + (_low(tokens, i + 2, s) == "by")
            cue = Cue("group", i, end)
        elif low in vocab.GROUP_WORDS:
            cue = Cue("group", i, i + 1, "each" if low in ("each", "every") else None)
        elif low in ("other", "apart") and nxt in ("than", "from"):
            cue = Cue("neg", i, i + 2)
        elif low in vocab.NEGATIONS:
            cue = Cue("neg", i, i + 1)
        elif low in vocab.DISTINCT_WORDS:
            cue = Cue("distinct", i, i + 1)
        elif low in _DURATION:
            cue = Cue("duration", i, i + 1)
        elif low in vocab.RANK_ADJECTIVES and not (
            low == "recent" and _low(tokens, i - 1, s) == "most"
        ):
            cue = Cue("rankadj", i, i + 1, vocab.RANK_ADJECTIVES[low])
        elif low in ("most", "least", "fewest", "more", "fewer") and _low(tokens, i - 1, s) != "no":
            if low == "most" and nxt in vocab.RANK_ADJECTIVES:
                concept, _ = vocab.RANK_ADJECTIVES[nxt]
                cue = Cue("rankadj", i, i + 2, (concept, True))
            elif low == "most" and nxt == "recent":
                cue = Cue("rankadj", i, i + 2, ("date", True))
            elif low in ("most", "least", "fewest"):
                # "the most common diagnosis": how often, i.e. a count
                end = (
                    i
                    + 1
                    + (nxt in ("common", "frequent", "popular", "usual", "often", "frequently"))
                )
                cue = Cue("rank", i, end, low == "most")
        elif low in ("best", "worst"):
            cue = Cue("rank", i, i + 1, low == "best")
        elif low in ("busiest", "commonest", "popular"):
            cue = Cue("rank", i, i + 1, True)
        elif low in vocab.AGGREGATES and not (
            low == "total"
            and _low(tokens, i - 1, s)
            in ("a", "an", "its", "their", "with", "whose", "had", "has", "have")
            and is_phrase is not None
            and is_phrase(tokens[i : i + 2])
        ):
            cue = Cue("agg", i, i + 1, vocab.AGGREGATES[low])  # not "a total price" (a column)
        elif low in _LIST_WORDS and not (
            is_phrase is not None and i + 1 < n and is_phrase(tokens[i : i + 2])
        ):
            cue = Cue("list", i, i + 1)  # not "the highest list price" (a column)
        elif low in ("asc", "ascending", "desc", "descending"):
            cue = Cue("direction", i, i + 1, low.startswith("desc"))
        elif low in ("first", "last") and _low(tokens, i - 1, s) in (
            "highest",
            "lowest",
            "newest",
            "oldest",
            "largest",
        ):
            cue = Cue("direction", i, i + 1, None)
        if cue is not None:
            s.cues.append(cue)
            _take(s, cue.i, cue.end)
            i = cue.end
        else:
            i += 1

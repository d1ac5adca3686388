"""Schema linking: which words of a question name which tables, columns, values and definitions.

A question's words are matched against the schema's phrase index
(:class:`~neurolake_lab.agents.planner.phrases.PhraseIndex`) longest phrase first; words that
match nothing exactly are tried against single-word entries by their root ("resolution" ~
``resolved_at``). Each mention keeps every candidate with a score; the
parser decides among them with the context of the whole question.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from neurolake_lab.agents.planner import vocab
from neurolake_lab.agents.planner.tokens import Token
from neurolake_lab.index.index import normalize_value
from neurolake_lab.llm import lexicon

if TYPE_CHECKING:
    from neurolake_lab.agents.planner.phrases import PhraseIndex

#: Column-name words too generic to name a column on their own (weak matches only).
GENERIC = frozenset(
    {
        "id",
        "date",
        "time",
        "timestamp",
        "name",
        "type",
        "code",
        "flag",
        "key",
        "number",
        "value",
        "text",
        "at",
        "on",
        "is",
        "has",
        "no",
    }
)
#: Words that never link to the schema on their own (grammar, not content).
_NEVER = frozenset(lexicon.STOPWORDS - {"no", "not", "only"}) | {"the", "a", "an", "there"}
#: Structure words: aggregates, counting, grouping, ranking (a column word that is one of these
#: still matches as part of a longer phrase, "total amount", never alone).
STRUCTURE = (
    frozenset(vocab.AGGREGATES)
    | vocab.COUNT_WORDS
    | vocab.SHARE_WORDS
    | {
        "top",
        "bottom",
        "first",
        "last",
        "most",
        "least",
        "per",
        "each",
        "every",
        "by",
        "average",
    }
)
MAX_PHRASE = 4


@dataclass(frozen=True)
class Candidate:
    """One reading of a phrase.

    Attributes:
        kind: ``table``, ``column``, ``value``, ``metric``, ``filter``, ``state`` or ``event``.
        target: Table id, column id, metric or filter name.
        score: How well the phrase names it (0..1).
        value: For ``value``: the stored value; for ``state``: ``is null``, ``is not null``,
            ``is true``, ``is false``, or a sign (``< 0``, ``> 0``: "early" for a delay that is
            "negative when early").
    """

    kind: str
    target: str
    score: float
    value: str | None = None

    @property
    def table(self) -> str | None:
        """The table the candidate belongs to (None for metrics and named filters)."""
        if self.kind == "table":
            return self.target
        if self.kind in ("column", "value", "state", "event"):
            return self.target.rpartition(".")[0]
        return None


@dataclass
class Mention:
    """Words of the question (tokens ``start`` to ``end``, exclusive) and what they may name."""

    start: int
    end: int
    text: str
    candidates: list[Candidate]
    chosen: Candidate | None = None
    role: str = ""
    fields: dict[str, object] = field(default_factory=dict)

    def best(self, kinds: Iterable[str] | None = None) -> Candidate | None:
        """The highest-scoring candidate (of the given kinds)."""
        wanted = set(kinds) if kinds is not None else None
        found = [c for c in self.candidates if wanted is None or c.kind in wanted]
        return max(found, key=lambda c: c.score) if found else None

    def has(self, kind: str) -> bool:
        """Whether any candidate is of ``kind``."""
        return any(c.kind == kind for c in self.candidates)

    def __repr__(self) -> str:
        chosen = self.chosen or self.best()
        return f"<{self.text!r} -> {chosen.kind}:{chosen.target}>" if chosen else f"<{self.text!r}>"


def stems(words: Iterable[str]) -> tuple[str, ...]:
    """Light stems of words."""
    return tuple(lexicon.stem(w.lower()) for w in words)


def _derived(stem: str) -> str:
    """The verb a noun is made from: "admission" -> "admit", "departure" -> "depart"."""
    for suffix, base in (("ission", "it"), ("ation", ""), ("ure", ""), ("ival", "iv"),
                         ("ment", "")):  # fmt: skip
        if stem.endswith(suffix) and len(stem) - len(suffix) >= 3:
            return stem[: -len(suffix)] + base
    return stem


def same_root(a: str, b: str) -> bool:
    """Whether two stems are forms of one word ("resolution"/"resolv", "signup"/"sign").

    Example:
        >>> same_root("resolution", "resolv"), same_root("cancellation", "cancel")
        (True, True)
        >>> same_root("status", "state"), same_root("date", "data")
        (False, False)
        >>> same_root("admission", "admit"), same_root("death", "died"), same_root("born", "birth")
        (True, True, True)
    """
    if a == b:
        return True
    a, b = vocab.IRREGULAR.get(a, a), vocab.IRREGULAR.get(b, b)
    if a == b:
        return True
    a, b = _derived(a), _derived(b)
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) < 4 or not short.isalpha() or not long_.isalpha():
        return False
    if long_.startswith(short) and len(long_) - len(short) <= 5:
        return True
    common = 0
    for x, y in zip(short, long_, strict=False):
        if x != y:
            break
        common += 1
    return common >= max(5, len(short) - 1)


def link(tokens: Sequence[Token], index: PhraseIndex, taken: set[int]) -> list[Mention]:
    """Mentions of schema things among the tokens not ``taken`` by structure, left to right.

    Longest phrase first; single words that match nothing exactly are matched by root.
    """
    mentions: list[Mention] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if i in taken or not (tok.is_word or tok.kind == "quoted"):
            i += 1
            continue
        matched = False
        shortest = 2 if tok.low in _NEVER else 1  # "in transit" may start with a small word
        for n in range(min(MAX_PHRASE, len(tokens) - i), shortest - 1, -1):
            span = tokens[i : i + n]
            if any(t.i in taken or not t.is_word for t in span):
                continue
            if n == 1 and tok.kind == "quoted":
                break
            found = index.lookup(span)
            if n == 1 and tok.low in STRUCTURE:
                found = [c for c in found if c.kind in ("value", "metric", "filter")]
            if n == 1 and found and len(tok.stem) >= 4 and tok.low not in STRUCTURE:
                # a word's own root can beat a synonym's: "delivery" ~ delivered_at, not the
                # shipping date its synonym "shipping" names
                found += [c for c in index.fuzzy(tok) if c.kind in ("column", "event", "state")]
            found = [c for c in found if _as_written(c, span)]
            if found:
                text = " ".join(t.text for t in span)
                exact = [_exact_bonus(c, span) for c in found]
                mentions.append(Mention(i, i + n, text, exact))
                i += n
                matched = True
                break
        if not matched and tok.low in _NEVER:
            i += 1
            continue
        if not matched:
            if tok.kind == "quoted":
                mentions.append(Mention(i, i + 1, tok.low, [], role="quoted"))
            elif tok.low not in STRUCTURE and len(tok.stem) >= 4:
                found = index.fuzzy(tok)
                if found:
                    mentions.append(Mention(i, i + 1, tok.text, found, fields={"fuzzy": True}))
            i += 1
    return mentions


def _as_written(cand: Candidate, span: Sequence[Token]) -> bool:
    """Whether a stored value is written as stored ("trucks" is TRUCK; "shipped" is not SHIP).

    Only values matched by their own words are checked; a value found through the meaning its
    column's description gives it ("female" for ``F``) is taken as it is.
    """
    if cand.kind != "value" or cand.value is None:
        return True
    stored = normalize_value(cand.value).split()
    if stems(stored) != tuple(t.stem for t in span):
        return True
    # a verb made of a stored noun is not the noun ("shipped" is not SHIP); the stored form of
    # a word may be longer than the question's ("return" is 'returned')
    return not any(
        t.low != w
        and t.low not in (w + "s", w + "es")
        and t.low.startswith(w[:3])
        and len(t.low) > len(w)
        for t, w in zip(span, stored, strict=True)
    )


def _exact_bonus(cand: Candidate, span: Sequence[Token]) -> Candidate:
    """Prefer readings written exactly as the schema writes them.

    "open" is the state a NULL ``resolved_at`` stands for, not the column ``opened_at`` (which
    shares its stem); "opened" is that column, not the state.
    """
    written = [t.low for t in span]
    one = span[0]
    if (
        cand.kind == "state"
        and len(span) == 1
        and cand.value == "is null"
        and one.low != one.stem
        and not one.low.startswith(one.stem + "s")
    ):
        return Candidate(cand.kind, cand.target, cand.score * 0.7, cand.value)
    if cand.kind in ("column", "event"):
        words = lexicon.words(cand.target.rpartition(".")[2])
        plural_ok = all(
            w in words or w.rstrip("s") in words or w[:-3] + "y" in words for w in written
        )
        if not plural_ok and cand.score >= 0.9:
            return Candidate(cand.kind, cand.target, cand.score * 0.92, cand.value)
    return cand

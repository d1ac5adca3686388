"""Whether a question refines the previous one ("only for Germany", "now by month").

The kernel keeps one conversation per notebook; ``%%nl`` follows up when asked to
(``--follow-up``) or when the question reads as a refinement: it opens with a refining word
("only", "now", "and", "but", "instead", "what about", ...), ends with "instead"/"too"/"as well",
or is a short fragment that names no table, measure or listing of its own.
"""

from __future__ import annotations

from neurolake_lab.agents.planner.tokens import tokenize
from neurolake_lab.agents.planner.vocab import REFINEMENT_STARTS

_OPENERS = (("what", "about"), ("how", "about"), ("and", "what"), ("same", "for"),
            ("same", "but"), ("break", "it"), ("split", "it"), ("show", "only"))  # fmt: skip
_ENDINGS = ("instead", "too", "well", "also")
_FRAGMENT_STARTS = frozenset({"for", "in", "by", "per", "with", "without", "from", "during",
                              "last", "this", "since", "before", "after", "excluding"})  # fmt: skip


def reads_as_refinement(question: str) -> bool:
    """Whether ``question`` reads as refining the previous one.

    Example:
        >>> [reads_as_refinement(q) for q in ("only for Germany", "now by month",
        ...  "What about France?", "Top 5 products by revenue", "How many customers?")]
        [True, True, True, False, False]
    """
    words = [t.low for t in tokenize(question) if t.is_word]
    if not words:
        return False
    if words[0] in REFINEMENT_STARTS and words[0] not in ("order",):
        return True
    if tuple(words[:2]) in _OPENERS:
        return True
    if words[-1] in _ENDINGS and (words[-1] != "well" or words[-2:-1] == ["as"]):
        return True
    return words[0] in _FRAGMENT_STARTS and len(words) <= 4

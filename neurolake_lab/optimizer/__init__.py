"""The optimizer agent: cheaper rewrites of a cell, judged by the cost model, and when to ask.

``suggest(query, sql, prediction, model)`` returns ``Suggestion``s (each a rewrite of the whole
cell with its predicted saving; ``equivalent`` says whether it returns the same result).
``apply(sql, suggestion)`` is the rewritten cell (what ``--optimize`` and the button run).
``needs_confirmation(prediction, settings.extra)`` says whether the cell should ask first.
"""

from neurolake_lab.cost.prediction import Suggestion
from neurolake_lab.optimizer.advisor import RULES, judge, suggest
from neurolake_lab.optimizer.confirm import Confirmation, needs_confirmation, thresholds

__all__ = [
    "RULES",
    "Confirmation",
    "Suggestion",
    "apply",
    "best",
    "judge",
    "needs_confirmation",
    "suggest",
    "thresholds",
]


def apply(sql: str, suggestion: Suggestion) -> str:
    """The cell rewritten as ``suggestion`` says (the cell itself when it has no rewrite)."""
    return suggestion.rewrite if suggestion.rewrite is not None else sql


def best(suggestions: list[Suggestion], *, equivalent_only: bool = True) -> Suggestion | None:
    """The rewrite ``--optimize`` applies: the largest predicted saving (same result by default)."""
    usable = [s for s in suggestions if s.rewrite and (s.equivalent or not equivalent_only)]
    return max(usable, key=lambda s: s.predicted_saving_ms or 0.0, default=None)

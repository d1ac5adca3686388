"""Read a question into an :class:`~neurolake_lab.agents.intent.Intent`, grounded in the schema.

Three passes: structure words (:mod:`.cues`), schema mentions (:mod:`.linker`), then this module
decides what each mention is for. Every structure word claims the mentions it governs:

* a group word ("per", "by", "for each") claims what follows as group keys;
* an aggregate ("average", "total") claims the next column, metric or duration as its argument
  (tables in between qualify it: "average *order* value");
* a count ("how many", "number of") claims the next table as the rows to count;
* a share ("what share of") claims its base table; what follows becomes the condition;
* a negation ("never", "without") claims the next table (an anti-join), value or state;
* ranking words ("most", "top 5", "cheapest") order and cut.

What no structure word claims gets the role its kind suggests: values and states filter, metrics
measure, a date column next to a time window anchors it, a related table becomes an EXISTS.
Words left over that carry meaning make the question fail with :class:`PlanningError` naming
them and the closest tables and columns — the planner never answers a guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from neurolake_lab.agents.intent import Intent
from neurolake_lab.agents.planner.cues import Structure
from neurolake_lab.agents.planner.linker import Mention
from neurolake_lab.agents.planner.parse.derived import DerivedMixin
from neurolake_lab.agents.planner.parse.finish import FinishMixin
from neurolake_lab.agents.planner.parse.measures import MeasuresMixin
from neurolake_lab.agents.planner.parse.mentions import MentionsMixin
from neurolake_lab.agents.planner.parse.ranking import RankingMixin
from neurolake_lab.agents.planner.parse.references import ReferencesMixin
from neurolake_lab.agents.planner.parse.roles import RolesMixin
from neurolake_lab.agents.planner.parse.windows import WindowsMixin
from neurolake_lab.agents.planner.tokens import Token
from neurolake_lab.agents.planner.view import PlannerView
from neurolake_lab.exceptions import PlanningError


@dataclass
class ParseResult:
    """The outcome of reading a question: an intent, or what could not be understood."""

    question: str
    tokens: list[Token]
    structure: Structure
    mentions: list[Mention]
    built: Intent | None
    problems: list[str] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)

    def intent(self) -> Intent:
        """The intent; raises :class:`PlanningError` when the question was not understood."""
        if self.built is None or self.problems:
            raise PlanningError(
                "; ".join(self.problems) or f"could not read {self.question!r}",
                question=self.question,
                suggestions=self.suggestions,
            )
        return self.built


def parse_question(question: str, view: PlannerView, previous: Intent | None = None) -> ParseResult:
    """Read ``question`` against the view; ``previous`` is refined by a follow-up question."""
    return _Parser(question, view, previous).run()


class _Parser(
    MentionsMixin,
    DerivedMixin,
    MeasuresMixin,
    RankingMixin,
    RolesMixin,
    WindowsMixin,
    ReferencesMixin,
    FinishMixin,
):
    """The passes in order (:meth:`run`); each mixin module holds the passes of one kind."""

    def run(self) -> ParseResult:
        self._values_from_words()
        self._agents()
        self._implicit_count()
        self._noun_totals()
        self._noun_values()
        self._compounds()
        self._entity()
        self._choose_all()
        self._absorb()
        self._events_by_windows()
        self._limit_subject()
        self._derived()
        self._cue_roles()
        self._comparisons()
        self._default_roles()
        self._windows()
        self._verb_conditions()
        self._grains()
        self._per_group()
        self._default_measure()
        self._ranking()
        self._references()
        self._finish()
        self._accounted()
        self._unmatched()
        built = None if self.problems else self.intent
        return ParseResult(
            self.q,
            self.toks,
            self.st,
            self.mentions,
            built,
            self.problems,
            self._suggestions() if self.problems else [],
        )

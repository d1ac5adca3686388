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
from typing import Any

from neurolake_lab.agents.intent import (
    Filter,
    GroupKey,
    Intent,
    Measure,
    Order,
    Relation,
    TimeWindow,
)
from neurolake_lab.agents.planner import vocab
from neurolake_lab.agents.planner.cues import Comparison, Cue, Structure, find_structure
from neurolake_lab.agents.planner.linker import Candidate, Mention, link
from neurolake_lab.agents.planner.tokens import Token, tokenize
from neurolake_lab.agents.planner.view import PlannerView
from neurolake_lab.exceptions import PlanningError
from neurolake_lab.llm import lexicon

#: Words that may sit between a structure word and the mention it governs.
_BRIDGE = frozenset(
    {
        "the",
        "a",
        "an",
        "of",
        "all",
        "our",
        "their",
        "its",
        "each",
        "every",
        "any",
        "those",
        "these",
        "that",
        "this",
        "per",
        "in",
        "for",
        "with",
        "on",
        "by",
        "from",
        "to",
        "distinct",
        "different",
        "unique",
        "total",
        "do",
        "does",
        "did",
        "we",
        "have",
        "has",
        "had",
        "is",
        "are",
        "was",
        "were",
        "there",
        "much",
        "many",
    }
)
_COMPARE_GAP = frozenset(
    {
        "a",
        "an",
        "the",
        "is",
        "are",
        "was",
        "were",
        "of",
        "with",
        "that",
        "which",
        "in",
        "total",
        "has",
        "have",
        "had",
    }
)
_ANCHOR_GAP = frozenset(
    {
        "was",
        "were",
        "is",
        "are",
        "been",
        "in",
        "during",
        "the",
        "have",
        "has",
        "had",
        "within",
        "over",
    }
)
_VERB_GAP = frozenset({"a", "an", "any", "the", "one", "single", "some"})
_NEG_GAP = frozenset(
    {
        "have",
        "has",
        "had",
        "ever",
        "been",
        "yet",
        "any",
        "a",
        "an",
        "the",
        "did",
        "do",
        "does",
        "placed",
        "made",
        "got",
        "received",
        "single",
        "one",
        "with",
        "of",
    }
)


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


class _Parser:
    def __init__(self, question: str, view: PlannerView, previous: Intent | None) -> None:
        self.q = question
        self.view = view
        self.previous = previous
        self.toks = tokenize(question)
        self.st = find_structure(self.toks, lambda toks: bool(view.phrases.lookup(toks)))
        self.mentions = link(self.toks, view.phrases, self.st.taken)
        self.problems: list[str] = []
        self.unresolved: list[str] = []
        self.intent = Intent(question)
        self.entity: str | None = None
        self.context: set[str] = set()
        self.anchors: dict[int, str] = {}  # window index -> column id
        self.relation_of: dict[int, Relation] = {}  # mention index -> relation
        self.group_by_mention: dict[int, GroupKey] = {}
        self.measure_from: dict[int, int] = {}  # cue index -> measure index
        self.pending_rank: bool | None = None

    # -- entry --------------------------------------------------------------------------------

    def run(self) -> ParseResult:
        self._values_from_words()
        self._noun_totals()
        self._compounds()
        self._entity()
        for m in self.mentions:
            if m.chosen is None and m.candidates:
                m.chosen = self._choose(m)
        self._absorb()
        self._events_by_windows()
        self._limit_subject()
        self._cue_roles()
        self._comparisons()
        self._default_roles()
        self._windows()
        self._verb_conditions()
        self._grains()
        self._default_measure()
        self._ranking()
        self._finish()
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

    # -- helpers ------------------------------------------------------------------------------

    def _low(self, i: int) -> str:
        return self.toks[i].low if 0 <= i < len(self.toks) else ""

    def _mention_at(self, i: int) -> Mention | None:
        return next((m for m in self.mentions if m.start == i), None)

    def _next_mention(self, i: int, gap: frozenset[str] = _BRIDGE) -> Mention | None:
        """The mention starting at ``i`` or after it, with only ``gap`` words before it."""
        j = i
        while j < len(self.toks):
            m = self._mention_at(j)
            if m is not None:
                return m
            if self.toks[j].low not in gap or self.toks[j].kind == "punct":
                return None
            j += 1
        return None

    def _after(self, m: Mention, gap: frozenset[str] = _BRIDGE) -> Mention | None:
        return self._next_mention(m.end, gap)

    def _before(self, i: int, gap: frozenset[str] = _BRIDGE) -> Mention | None:
        """The mention ending at ``i`` (or before it, across ``gap`` words)."""
        j = i - 1
        while j >= 0:
            m = next((x for x in self.mentions if x.end == j + 1), None)
            if m is not None:
                return m
            if self.toks[j].low not in gap or self.toks[j].kind == "punct":
                return None
            j -= 1
        return None

    def _kind(self, m: Mention) -> str:
        return m.chosen.kind if m.chosen else ""

    def _table_of(self, m: Mention) -> str | None:
        return m.chosen.table if m.chosen else None

    def _add_measure(self, measure: Measure, cue: Cue | None = None) -> None:
        self.intent.measures.append(measure)

    def _up(self, table: str | None) -> list[str]:
        return self.view.graph.reachable_up(table) if table else []

    # -- values the index did not sample ------------------------------------------------------

    def _values_from_words(self) -> None:
        """Quoted words, and capitalised words nothing matched, looked up in the data."""
        tables = tuple(sorted(self.view.snapshot.tables))
        for m in self.mentions:
            if m.role == "quoted" and not m.candidates:
                from neurolake_lab.index.index import normalize_value

                found = [
                    (c.id, v)
                    for c in self.view.snapshot.columns()
                    for v in c.samples
                    if normalize_value(v) == normalize_value(m.text)
                ] or self.view.probe_value(m.text, tables)
                m.candidates = [Candidate("value", c, 0.95, v) for c, v in found]
                m.role = ""
                if not found:
                    self.problems.append(f"no column holds the value {m.text!r}")
        covered = {i for m in self.mentions for i in range(m.start, m.end)}
        i = 0
        while i < len(self.toks):
            tok = self.toks[i]
            if (
                i in covered
                or i in self.st.taken
                or not tok.is_word
                or not tok.text[:1].isupper()
                or i == 0
                or tok.low in vocab.FILLER
            ):
                i += 1
                continue
            j = i
            while (
                j + 1 < len(self.toks)
                and self.toks[j + 1].is_word
                and self.toks[j + 1].text[:1].isupper()
                and j + 1 not in covered
            ):
                j += 1
            text = " ".join(t.text for t in self.toks[i : j + 1])
            found = self._value_root(text) or self.view.probe_value(text, tables)
            if found:
                self.mentions.append(
                    Mention(i, j + 1, text, [Candidate("value", c, 0.95, v) for c, v in found])
                )
            i = j + 1
        self.mentions.sort(key=lambda m: m.start)

    def _noun_totals(self) -> None:
        """An aggregate word used as a noun after a table's name: "the order total"."""
        for cue in list(self.st.cues_of("agg")):
            prev = next((m for m in self.mentions if m.end == cue.i), None)
            if prev is None or not self._is_table(prev) or self._mention_at(cue.end) is not None:
                continue
            word = self.toks[cue.i].low
            table = (prev.best(("table",)) or Candidate("table", "", 0)).target
            col = self._concept_column(table, word) or (
                self._concept_column(table, "amount") if word == "total" else None
            )
            if col is None:
                continue
            self.st.cues.remove(cue)
            prev.role = "qualifier"
            found = Mention(cue.i, cue.end, word, [Candidate("column", col.id, 0.9)])
            self.mentions.append(found)
            self.mentions.sort(key=lambda x: x.start)

    def _value_root(self, text: str) -> list[tuple[str, str]]:
        """Sampled values a capitalised word is an adjective of ("German" ~ 'Germany')."""
        word = text.lower()
        if " " in text or len(word) < 5:
            return []
        return [
            (c.id, v)
            for c in self.view.snapshot.columns()
            for v in c.samples
            if " " not in v and _demonym(v.lower(), word)
        ]

    # -- the entity ---------------------------------------------------------------------------

    def _is_table(self, m: Mention) -> bool:
        best = m.best()
        return best is not None and best.kind == "table"

    def _entity(self) -> None:
        tables = [m for m in self.mentions if self._is_table(m) and m.role != "qualifier"]
        entity: Mention | None = None
        grouped = [m for m in tables if self._after_group_word(m)]
        if len(grouped) < len(tables):
            tables = [m for m in tables if m not in grouped] + grouped
        for kind in ("count", "share", "agg"):
            for cue in self.st.cues_of(kind):
                if self._low(cue.i - 1) in ("by", "on"):
                    continue  # "top 5 employees by number of requests": a ranking measure
                after = [m for m in tables if m.start >= cue.end]
                gate = [
                    m
                    for m in self.mentions
                    if m.start >= cue.end
                    and not self._is_table(m)
                    and m.best(("value", "state")) is None
                ]
                if after and (kind != "agg" or not gate or after[0].start < gate[0].start):
                    entity = after[0]
                    break
            if entity is not None:
                break
        if entity is None and not tables:
            votes: dict[str, float] = {}
            for m in self.mentions:
                best = m.best(("value", "state"))
                if best is not None and best.table:
                    votes[best.table] = votes.get(best.table, 0.0) + best.score
            if votes and not self._has_kind("metric"):
                self.entity = max(votes, key=lambda t: votes[t])
        if (
            entity is None
            and tables
            and not (self._after_group_word(tables[0]) and self._has_kind("metric"))
        ):
            entity = tables[0]
        if entity is not None:
            entity.chosen = entity.best(("table",))
            entity.role = "entity"
            self.entity = entity.chosen.target if entity.chosen else None
        elif self.previous is not None and self.previous.entity:
            self.entity = self.previous.entity
        self.context = {c.target for m in tables if (c := m.best(("table",))) is not None}
        if self.entity:
            self.context.add(self.entity)

    def _after_group_word(self, m: Mention) -> bool:
        """Whether a group word precedes the table ("per department"): a group, not a measure."""
        j = m.start - 1
        while j >= 0 and self.toks[j].low in ("the", "each", "every"):
            j -= 1
        cue = next((c for c in self.st.cues if c.end == j + 1), None)
        return cue is not None and cue.kind == "group"

    def _has_kind(self, kind: str) -> bool:
        return any(m.best((kind,)) is not None for m in self.mentions)

    def _choose(self, m: Mention, kinds: tuple[str, ...] | None = None) -> Candidate | None:
        up = set(self._up(self.entity))
        for t in list(self.context):
            up.update(self._up(t))

        def score(c: Candidate) -> float:
            bonus = 0.0
            table = c.table
            if c.kind in ("metric", "filter"):
                bonus = 0.2
            elif table is not None and table == self.entity:
                bonus = 0.3
            elif table is not None and table in self.context:
                bonus = 0.2
            elif table is not None and table in up:
                bonus = 0.15
            elif table is not None and self.entity and self.view.graph.related(table, self.entity):
                bonus = 0.05
            return c.score + bonus

        found = [c for c in m.candidates if kinds is None or c.kind in kinds]
        return max(found, key=score) if found else None

    # -- mentions that only qualify others ----------------------------------------------------

    def _absorb(self) -> None:
        for k, m in enumerate(self.mentions):
            if m.role or m.chosen is None:
                continue
            nxt = self.mentions[k + 1] if k + 1 < len(self.mentions) else None
            prev = self.mentions[k - 1] if k > 0 else None
            kind = m.chosen.kind
            adjacent = nxt is not None and nxt.start == m.end and nxt.chosen is not None
            # "placed an order", "placed the most orders": a verb before its object
            verbish = kind in ("value", "event", "state") or (kind == "column" and m.has("event"))
            if verbish and nxt is not None and self._is_table(nxt):
                gap = self.toks[m.end : nxt.start]
                ranks = {i for c in self.st.cues if c.kind in ("rank", "rankadj")
                         for i in range(c.i, c.end)}  # fmt: skip
                if gap and all(t.low in _VERB_GAP or t.i in ranks for t in gap):
                    m.role = "verb"  # "placed an order", "delivered the most shipments"
                    self._happened(m)
                    continue
            # "sales channel": a metric word used as an adjective
            if kind == "metric" and adjacent and nxt and nxt.chosen and nxt.chosen.kind == "column":
                m.role = "qualifier"
                continue
            # "the Books category": the column word next to a value of that column
            if kind == "column":
                for other in (prev, nxt):
                    if (
                        other is not None
                        and other.chosen is not None
                        and other.chosen.kind in ("value", "state")
                        and other.chosen.target == m.chosen.target
                        and abs(other.start - m.start) <= 3
                    ):
                        m.role = "qualifier"
                if m.role:
                    continue
            # "line items": a column word of a table right before the table's name
            adjective = m.best(("state",)) is not None
            if kind == "column" and nxt and self._is_table(nxt) and adjacent and not adjective:
                target = nxt.best(("table",))
                if target is not None and m.chosen.table == target.target:
                    m.role = "qualifier"
                    continue
            if kind == "table" and adjacent and nxt and nxt.chosen and nxt.chosen.kind == "column":
                owner = nxt.chosen.table or ""
                # "customer segment": the table's own column
                if owner == m.chosen.target:
                    m.role = "qualifier"
                    continue

    def _compounds(self) -> None:
        """A table's name before a column of its child table names the child: "order line"."""
        for k, m in enumerate(self.mentions[:-1]):
            nxt = self.mentions[k + 1]
            table, col = m.best(), nxt.best()
            if table is None or col is None or table.kind != "table" or col.kind != "column":
                continue
            if nxt.has("event") or nxt.has("state") or self.view.column(col.target).is_temporal:
                continue  # "employees completed": a verb, not a compound noun
            name = col.target.rpartition(".")[2]
            owner = col.table or ""
            if col.score < 0.9 or nxt.start != m.end:
                continue
            if owner == table.target:
                m.role = "qualifier"  # "carrier mode": the carriers' own column
                m.chosen = table
                continue
            if self.view.table(table.target).column(name) is not None:
                continue  # "products priced": the table's own price, not its lines
            if nxt.start == m.end and self.view.graph.child_edge(table.target, owner) is not None:
                m.role = "qualifier"
                m.chosen = table
                nxt.chosen = Candidate("table", owner, 0.9)
                nxt.candidates = [nxt.chosen]
                nxt.text = f"{m.text} {nxt.text}"

    def _happened(self, m: Mention) -> None:
        """Remember that a verb's event happened ("delivered", "completed").

        A date column empty until its event happens makes the verb a condition on its table.
        """
        state = next((c for c in m.candidates if c.kind == "state" and c.value == "is not null"),
                     None)  # fmt: skip
        if state is not None:
            m.fields["happened"] = state.target

    def _events_by_windows(self) -> None:
        """A word that is both a value and a date's event ("placed") read as the event.

        It is the event when it stands next to a time window or right after its table's name
        ("orders placed via web").
        """
        for k, m in enumerate(self.mentions):
            if m.chosen is None or m.chosen.kind != "value":
                continue
            prev = self.mentions[k - 1] if k else None
            participle = (
                prev is not None
                and prev.end == m.start
                and self._is_table(prev)
                and ((prev.best(("table",)) or m.chosen).target == m.chosen.table)
            )
            if self._window_next_to(m) is None and not participle:
                continue
            event = next(
                (c for c in m.candidates if c.kind == "event" and c.table == m.chosen.table), None
            )
            if event is not None:
                m.chosen = event
                if participle and self._window_next_to(m) is None:
                    m.role = "verb"

    def _limit_subject(self) -> None:
        """The column right after a limit is what the rows are: "top 3 categories"."""
        limit = self.st.limit
        if limit is None:
            return
        m = self._next_mention(limit.end, frozenset({"the", "most", "least"}))
        if m is None or m.role or m.chosen is None or m.chosen.kind != "column":
            return
        col = self.view.column(m.chosen.target)
        if not col.is_numeric and not col.is_temporal:
            m.role = "group"
            key = GroupKey(column=col.id, text=m.text)
            self.intent.grouping.append(key)
            self.group_by_mention[self.mentions.index(m)] = key

    # -- structure words claim mentions -------------------------------------------------------

    def _cue_roles(self) -> None:
        cues = self.st.cues
        for idx, cue in enumerate(cues):
            handler = getattr(self, f"_cue_{cue.kind}", None)
            if handler is not None:
                handler(cue, cues[idx + 1] if idx + 1 < len(cues) else None)

    def _free_after(self, i: int, gap: frozenset[str] = _BRIDGE) -> Mention | None:
        m = self._next_mention(i, gap)
        while m is not None and m.role in ("qualifier", "verb"):
            m = self._next_mention(m.end, gap)
        return m

    def _cue_group(self, cue: Cue, nxt: Cue | None) -> None:
        m = self._free_after(cue.end)
        if nxt is not None and nxt.kind in ("agg", "count") and nxt.i == cue.end:
            before = self._before(cue.i, frozenset())
            if before is not None and self._is_table(before) and self.pending_rank is None:
                self.pending_rank = True  # "carriers by average weight": ranked by it
        if m is None:
            return  # "by number of ...": the count cue measures it
        if m.role and m.role != "entity":
            return
        ranking = self.st.limit is not None or self.st.cues_of("rank")
        while m is not None:
            cand = m.chosen
            if cand is None:
                return
            if cand.kind == "metric" and ranking and not self.intent.grouping:
                m.role = "measure"
                self._add_measure(Measure("metric", metric=cand.target, label=cand.target))
                return
            if cand.kind in ("value", "state", "filter"):
                return  # "by phone": a filter, left to the default roles
            if cand.kind == "table" and cand.target == self._measure_table():
                m.role = "context"  # "quantity per order line": one row each already
                return
            if cand.kind == "table":
                if (
                    self.entity == cand.target
                    and m.role == "entity"
                    and (self._measure_table() in (None, self.entity))
                ):
                    return
                m.role = "group"
                key = GroupKey(table=cand.target, text=m.text)
            elif cand.kind in ("column", "event"):
                col = self.view.column(cand.target)
                m.role = "group"
                grain = self._grain_after(m.end)
                key = GroupKey(column=col.id, grain=grain, text=m.text)
            else:
                return
            self.intent.grouping.append(key)
            self.group_by_mention[self.mentions.index(m)] = key
            follow = self._next_mention(m.end, frozenset({"and", "or", ",", "then", "the"}))
            if (
                follow is None
                or follow.role
                or follow.chosen is None
                or follow.chosen.kind not in ("column", "table", "event")
            ):
                return
            m = follow

    def _grain_after(self, i: int) -> str | None:
        for pos, grain in self.st.grains:
            if pos == i:
                self.st.grains.remove((pos, grain))
                return grain
        if i < len(self.toks) and self.toks[i].low in vocab.GRAINS and i not in self.st.taken:
            self.st.taken.add(i)
            return vocab.GRAINS[self.toks[i].low]
        return None

    def _cue_agg(self, cue: Cue, nxt: Cue | None) -> None:
        func = str(cue.data)
        if nxt is not None and nxt.kind == "count" and nxt.i - cue.end <= 1:
            per_group = any(c.kind == "group" and c.i > nxt.end for c in self.st.cues)
            if func in ("max", "min") and not per_group:
                self.pending_rank = func == "max"  # "the highest number of customers"
            elif func != "sum":  # "total number of orders" is a count; "average number of" not
                self._avg_count(nxt, func)
            return
        if nxt is not None and nxt.kind == "duration" and nxt.i == cue.end:
            return  # "average time to resolve": the duration cue takes it
        m = self._free_after(cue.end)
        while m is not None and m.chosen is not None and m.chosen.kind == "table":
            if m.role not in ("entity", ""):
                break
            after = self._free_after(m.end, _BRIDGE | {"'s"})
            if after is None and self.st.cues_of("group"):
                # "average orders per customer": the number of orders per customer
                per = self._free_after(self.st.cues_of("group")[0].end)
                if per is not None and per.chosen is not None and per.chosen.kind == "table":
                    self._avg_count_tables(m, per, func)
                    return
            if after is None:
                break
            m = after
        if m is None or m.chosen is None or m.role:
            if func in ("max", "min") and self.st.cues_of("list"):
                self.pending_rank = func == "max"
            return
        cand = m.chosen
        follow = self._after(m, frozenset())
        if (
            cand.kind == "column"
            and not self.view.column(cand.target).is_numeric
            and follow is not None
            and follow.chosen is not None
            and follow.chosen.kind == "column"
            and self.view.column(follow.chosen.target).is_numeric
        ):
            m.role = "qualifier"  # "leave days": the days column, qualified
            m, cand = follow, follow.chosen
        if cand.kind == "metric":
            m.role = "measure"
            self._add_measure(Measure("metric", metric=cand.target, label=cand.target), cue)
        elif cand.kind in ("column", "event"):
            col = self.view.column(cand.target)
            duration = self._duration_next(m)
            if (
                func in ("min", "max")
                and self._ranks_entity(cue)
                and col.table in self._up(self.entity)
            ):
                # "which department has the lowest budget": order the departments
                m.role = "order"
                self.intent.order.append(Order(column=col.id, descending=func == "max"))
                self.pending_rank = func == "max"
            elif duration is not None:
                m.role = "measure"
                self._add_measure(self._duration_measure(col, func), cue)
            elif col.is_numeric:
                m.role = "measure"
                label = _label(func, col.name)
                self._add_measure(Measure(func, column=col.id, label=label), cue)
            elif func in ("min", "max") and col.is_temporal:
                m.role = "measure"
                self._add_measure(Measure(func, column=col.id, label=_label(func, col.name)), cue)
            elif func in ("max", "min") and self.st.cues_of("list"):
                self.pending_rank = func == "max"
            else:
                self.problems.append(
                    f"cannot take the {cue_word(self.toks, cue)} of {m.text!r}"
                    f" ({col.id} is {col.data_type})"
                )

    def _ranks_entity(self, cue: Cue) -> bool:
        """A superlative that ranks the listed rows: "which <entity> has the highest ..."."""
        if self.st.cues_of("group") or self.entity is None:
            return False
        entity = next((m for m in self.mentions if m.role == "entity"), None)
        lists = [c for c in self.st.cues_of("list") if c.end <= cue.i]
        return entity is not None and any(c.end <= entity.start < cue.i for c in lists)

    def _duration_next(self, m: Mention) -> Cue | None:
        for cue in self.st.cues_of("duration"):
            if cue.i == m.end or (cue.end == m.start):
                return cue
        return None

    def _duration_measure(self, end: Any, func: str) -> Measure:
        start = self.view.start_column(end)
        if start is None:
            self.problems.append(f"{end.id} has no start time to measure a duration from")
            return Measure(func)
        unit = self.st.unit or ("hour" if end.is_timestamp else "day")
        return Measure(
            func if func != "sum" else "sum",
            duration=(start.id, end.id),
            unit=unit,
            table=end.table,
            label=f"{func}_{lexicon.words(end.name)[0]}_{unit}s",
        )

    def _cue_duration(self, cue: Cue, nxt: Cue | None) -> None:
        # "how long does it take to resolve", "time to resolution", "average time to ship"
        for done in self.mentions:
            chosen = done.chosen
            if done.role == "measure" and chosen and chosen.kind in ("column", "event"):  # noqa: SIM102
                if self.view.column(chosen.target).is_temporal:
                    return
        m = None
        before = next((x for x in self.mentions if x.end == cue.i), None)
        if before is not None and before.role in ("", "entity"):
            # "delivery time", "resolution time": the event word right before
            col = self._temporal_candidate(before)
            if col is None and before.end - before.start == 1:
                fuzzy = self.view.phrases.fuzzy(self.toks[before.start])
                col = self._temporal_candidate(Mention(before.start, before.end, "", fuzzy))
            if col is not None:
                before.role = before.role or "measure"
                self._add_measure(self._duration_measure(col, self._duration_func(cue)))
                return
        for j in range(cue.end, min(cue.end + 8, len(self.toks))):
            found = self._mention_at(j)
            if found is not None and self._temporal_candidate(found) is not None:
                m = found
                break
        if m is None or m.role not in ("", "verb") or m.chosen is None:
            return
        cand = m.chosen
        col = self.view.snapshot.column(cand.target) if cand.kind != "table" else None
        if col is None or not col.is_temporal:
            temporal = self._temporal_candidate(m)
            if temporal is None:
                return
            col = temporal
        m.role = "measure"
        self._add_measure(self._duration_measure(col, self._duration_func(cue)))

    def _duration_func(self, cue: Cue) -> str:
        prev = [c for c in self.st.cues_of("agg") if c.end <= cue.i]
        return str(prev[-1].data) if prev else "avg"

    def _temporal_candidate(self, m: Mention) -> Any:
        for c in sorted(m.candidates, key=lambda c: -c.score):
            if c.kind in ("column", "event", "state"):
                col = self.view.snapshot.column(c.target)
                if col is not None and col.is_temporal:
                    return col
        return None

    def _avg_count(self, count: Cue, func: str) -> None:
        target = self._free_after(count.end)
        while target is not None and target.chosen is not None and target.chosen.kind != "table":
            target = self._free_after(target.end)
        per_cue = next((c for c in self.st.cues_of("group") if c.i >= count.end), None)
        per = self._free_after(per_cue.end) if per_cue else None
        if per is None and target is not None:
            # "how many items does an order have": the next table is what they are per
            per = next(
                (x for x in self.mentions if x.start >= target.end and self._is_table(x)), None
            )
        if target is None or per is None:
            self.problems.append(
                "'average number of X' needs the X and what it is per "
                "(e.g. 'average number of items per order')"
            )
            return
        self._avg_count_tables(target, per, func)

    def _avg_count_tables(self, target: Mention, per: Mention, func: str) -> None:
        child = target.best(("table",))
        parent = per.best(("table",))
        if child is None or parent is None:
            return
        target.role = per.role = "measure"
        self.entity = child.target
        self._add_measure(
            Measure(
                "avg_count" if func == "avg" else f"{func}_count",
                table=child.target,
                per=parent.target,
                label=f"{func}_{self.view.table(child.target).name}_per_"
                f"{self.view.table(parent.target).name}",
            )
        )

    def _adjective(self, m: Mention) -> bool:
        """Whether a mention describes the rows rather than naming what to count.

        Values, states and named filters do, and so does an event word right before a table
        ("churned customers").
        """
        if m.chosen is None:
            return False
        if m.chosen.kind in ("value", "state", "filter"):
            return True
        after = self._after(m, frozenset())
        return m.best(("state",)) is not None and after is not None and self._is_table(after)

    def _cue_count(self, cue: Cue, nxt: Cue | None) -> None:
        if any(ms.func.endswith("_count") for ms in self.intent.measures):
            return
        distinct = any(c.kind == "distinct" and cue.end <= c.i <= cue.end + 1 for c in self.st.cues)
        m = self._free_after(cue.end, _BRIDGE | {"distinct", "different", "unique"})
        while m is not None and self._adjective(m):
            m = self._free_after(m.end, _BRIDGE | {"and", "or"})
        if m is None or m.chosen is None:
            if self.entity:
                self._add_measure(Measure("count", table=self.entity, label="count"), cue)
            return
        cand = m.chosen
        if cand.kind == "table":
            if m.role not in ("", "entity"):
                return
            m.role = m.role or "counted"
            label = self.view.table(cand.target).name
            self._add_measure(Measure("count", table=cand.target, label=label), cue)
        elif cand.kind in ("column", "event"):
            col = self.view.column(cand.target)
            if col.is_temporal or cand.kind == "event":
                m.role = "anchor-count"
                self.entity = self.entity or col.table
                self.context.add(col.table)
                self._add_measure(Measure("count", table=col.table, label="count"), cue)
                m.fields["count_anchor"] = col.id
            elif col.is_numeric and not distinct and col.name not in self.view.key(col.table):
                # "number of units": the sum of a quantity, not a count of its values
                m.role = "measure"
                self._add_measure(Measure("sum", column=col.id, label=_label("sum", col.name)))
            else:
                m.role = "measure"
                self._add_measure(
                    Measure("count_distinct", column=col.id, label=f"distinct_{col.name}"), cue
                )
        elif cand.kind == "metric":
            m.role = "measure"
            self._add_measure(Measure("metric", metric=cand.target, label=cand.target), cue)

    def _cue_share(self, cue: Cue, nxt: Cue | None) -> None:
        percent = bool(cue.data)
        m = self._free_after(cue.end)
        base: str | None = None
        if m is not None and m.chosen is not None and m.chosen.kind == "table":
            base = m.chosen.target
            if m.role in ("", "entity"):
                m.role = "entity"
        elif m is not None and m.chosen is not None and m.chosen.kind == "metric":
            m.role = "measure"
            self._add_measure(
                Measure(
                    "share",
                    metric=m.chosen.target,
                    unit="percent" if percent else None,
                    label="percentage" if percent else "share",
                )
            )
            return
        self.entity = base or self.entity
        self._add_measure(
            Measure(
                "share",
                table=self.entity,
                unit="percent" if percent else None,
                label="percentage" if percent else "share",
            )
        )

    def _cue_rate(self, cue: Cue, nxt: Cue | None) -> None:
        # "churn rate", "return rate": the share of rows in that state
        m = self._before(cue.i, frozenset({"the"}))
        if m is None or m.chosen is None:
            return
        if self.entity is None and m.chosen.table:
            self.entity = m.chosen.table
        self._add_measure(Measure("share", table=self.entity, label="rate"))
        m.fields["share_condition"] = True

    def _cue_neg(self, cue: Cue, nxt: Cue | None) -> None:
        m = self._next_mention(cue.end, _NEG_GAP | _BRIDGE)
        while m is not None and m.role == "verb":
            m = self._next_mention(m.end, _NEG_GAP | _BRIDGE)
        if m is None or m.chosen is None or m.role not in ("", "entity"):
            return
        m.fields["negated"] = True
        cand = m.chosen
        verb = cand.kind == "event" or (
            cand.kind == "column" and (m.has("event") or self.view.column(cand.target).is_temporal)
        )
        if verb or (cand.kind == "value" and self._table_after(m)):
            table = self._table_after(m) or cand.table
            if table and table != self.entity:
                m.role = "verb"
                follow = self._free_after(m.end, _NEG_GAP | _BRIDGE)
                if follow is not None and follow.chosen and follow.chosen.kind == "table":
                    follow.fields["negated"] = True
                elif self.entity is not None:
                    # "employees who never requested leave": the verb names the related table
                    m.chosen = Candidate("table", table, 0.9)
                    m.role = ""
                    self._table_role(self.mentions.index(m), m, True)

    def _table_after(self, m: Mention) -> str | None:
        nxt = self._after(m, _VERB_GAP | _NEG_GAP)
        if nxt is not None and self._is_table(nxt):
            best = nxt.best(("table",))
            return best.target if best else None
        return None

    def _cue_rank(self, cue: Cue, nxt: Cue | None) -> None:
        desc = bool(cue.data)
        self.pending_rank = desc
        m = self._free_after(cue.end)
        if m is None:
            self._rank_by_verb(cue)
            return
        if m.chosen is None or m.role not in ("", "entity", "counted"):
            return
        cand = m.chosen
        if (cand.kind == "table" and cand.target != self.entity) or (
            cand.kind == "table" and m.role == "" and self.intent.grouping
        ):
            m.role = "measure"
            self._add_measure(
                Measure("count", table=cand.target, label=self.view.table(cand.target).name)
            )
        elif cand.kind == "metric" and not m.role:
            m.role = "measure"
            self._add_measure(Measure("metric", metric=cand.target, label=cand.target))
        elif cand.kind == "column" and not m.role:
            col = self.view.column(cand.target)
            if col.is_numeric:
                m.role = "order"
                self.intent.order.append(Order(column=col.id, descending=desc))

    def _rank_by_verb(self, cue: Cue) -> None:
        """Count the rows of the verb's child table: "which warehouse shipped the most"."""
        verb = self._before(cue.i, frozenset({"the"}))
        if verb is None or self.entity is None or self.intent.measures:
            return
        col = self._temporal_candidate(verb)
        if col is None or self.view.graph.child_edge(self.entity, col.table) is None:
            return
        verb.role = "verb"
        self._happened(verb)
        label = self.view.table(col.table).name
        self._add_measure(Measure("count", table=col.table, label=label))

    def _cue_rankadj(self, cue: Cue, nxt: Cue | None) -> None:
        concept, desc = cue.data
        if self.intent.order:
            return
        table = self.entity
        if table is None:
            return
        col = self._concept_column(table, concept)
        if col is not None:
            self.intent.order.append(Order(column=col.id, descending=desc))
            self.pending_rank = desc

    def _concept_column(self, table: str, concept: str) -> Any:
        if concept == "date":
            return self.view.main_date(table)
        for t in self._up(table):
            for col in self.view.table(t).columns:
                words = lexicon.words(col.name)
                if col.is_numeric and any(lexicon.stem(w) == lexicon.stem(concept) for w in words):
                    return col
        return None

    def _cue_sort(self, cue: Cue, nxt: Cue | None) -> None:
        m = self._free_after(cue.end)
        if m is None or m.chosen is None:
            return
        desc = True
        direction = next((c for c in self.st.cues_of("direction") if c.i >= cue.end), None)
        if direction is not None and direction.data is not None:
            desc = bool(direction.data)
        elif direction is not None:
            desc = self._low(direction.i - 1) in ("highest", "newest", "largest")
        cand = m.chosen
        if cand.kind == "metric":
            m.role = "measure"
            self._add_measure(Measure("metric", metric=cand.target, label=cand.target))
            self.pending_rank = desc
        elif cand.kind in ("column", "event"):
            m.role = "order"
            self.intent.order.append(Order(column=cand.target, descending=desc))

    def _cue_list(self, cue: Cue, nxt: Cue | None) -> None:
        # "which country has the most customers": the column after "which" is what to group by
        m = self._free_after(cue.end, frozenset({"the"}))
        ranks = self.st.cues_of("rank") or [
            c for c in self.st.cues_of("agg") if c.data in ("max", "min")
        ]
        if m is None or m.chosen is None or m.role or not ranks:
            return
        if m.chosen.kind == "column" and not self.view.column(m.chosen.target).is_numeric:
            m.role = "group"
            key = GroupKey(column=m.chosen.target, text=m.text)
            self.intent.grouping.append(key)
            self.group_by_mention[self.mentions.index(m)] = key
            if self.st.limit is None and not _plural(self.toks[m.end - 1]):
                self.intent.limit = 1

    # -- comparisons --------------------------------------------------------------------------

    def _comparisons(self) -> None:
        for comp in self.st.comparisons:
            self._comparison(comp)

    def _comparison(self, comp: Comparison) -> None:
        value: Any = [comp.value, comp.value2] if comp.op == "between" else comp.value
        after = self._next_mention(comp.end, frozenset({"the", "a", "an", "of"}))
        if (
            after is not None
            and after.chosen is not None
            and after.chosen.kind == "table"
            and after.chosen.target != self.entity
            and self.entity is not None
        ):
            after.role = "relation"
            rel = Relation(
                after.chosen.target,
                min_count=(comp.op, comp.value),
                text=comp.text + " " + after.text,
            )
            self.intent.relations.append(rel)
            self.relation_of[self.mentions.index(after)] = rel
            return
        before = self._before(comp.start, _COMPARE_GAP)
        if before is not None and before.chosen is not None:
            cand = before.chosen
            if cand.kind == "metric":
                before.role = before.role or "measure"
                idx = self._metric_measure(cand.target)
                self.intent.having.append(Filter(f"measure:{idx}", comp.op, value, text=comp.text))
                return
            if cand.kind in ("column", "event") and not before.role:
                col = self.view.column(cand.target)
                if not col.is_numeric:
                    numeric = [
                        c
                        for c in before.candidates
                        if c.kind == "column" and self.view.column(c.target).is_numeric
                    ]
                    if numeric:
                        col = self.view.column(max(numeric, key=lambda c: c.score).target)
                if col.is_numeric:
                    before.role = "comparison"
                    self.intent.filters.append(
                        Filter(col.id, comp.op, value, table=col.table, text=comp.text)
                    )
                    return
            if before.role == "measure" and self.intent.measures:
                self.intent.having.append(
                    Filter(
                        f"measure:{len(self.intent.measures) - 1}", comp.op, value, text=comp.text
                    )
                )
                return
        if self.entity is None:
            self.problems.append(f"{comp.text!r}: compared with what?")
            return
        col = self._default_numeric(self.entity, comp.hint)
        if col is None:
            self.problems.append(f"{comp.text!r}: {self.entity} has no number to compare")
            return
        self.intent.filters.append(Filter(col.id, comp.op, value, table=col.table, text=comp.text))
        self.intent.notes.append(f"read {comp.text!r} as {col.name} {comp.op} {comp.value:g}")

    def _metric_measure(self, name: str) -> int:
        for i, ms in enumerate(self.intent.measures):
            if ms.metric == name:
                return i
        self._add_measure(Measure("metric", metric=name, label=name))
        return len(self.intent.measures) - 1

    def _default_numeric(self, table: str, hint: str | None) -> Any:
        if hint:
            col = self._concept_column(table, hint)
            if col is not None:
                return col
        keys = self.view.key(table)
        cols = [
            c
            for c in self.view.table(table).columns
            if c.is_numeric and c.name not in keys and lexicon.words(c.name)[-1:] != ["id"]
        ]
        for concept in ("amount", "price", "total", "value"):
            for c in cols:
                if concept in lexicon.words(c.name):
                    return c
        return cols[0] if len(cols) == 1 else None

    # -- default roles ------------------------------------------------------------------------

    def _verb_conditions(self) -> None:
        for m in self.mentions:
            column = m.fields.get("happened")
            if m.role == "verb" and isinstance(column, str) and not self._anchors(column):
                table = column.rpartition(".")[0]
                self._add_filter(Filter(column, "is not null", table=table, text=m.text), m)

    def _anchors(self, column: str) -> bool:
        return any(w.column == column for w in [self.intent.window] if w is not None)

    def _default_roles(self) -> None:
        order = sorted(
            range(len(self.mentions)),
            key=lambda k: (
                getattr(self.mentions[k].chosen, "kind", "") != "table",
                k,
            ),
        )
        for k in order:
            m = self.mentions[k]
            if m.role or m.chosen is None:
                continue
            cand = m.chosen
            negated = bool(m.fields.get("negated"))
            if cand.kind == "table":
                self._table_role(k, m, negated)
            elif cand.kind == "metric":
                m.role = "measure"
                self._metric_measure(cand.target)
            elif cand.kind == "value":
                m.role = "filter"
                self._value_filter(m, cand, negated)
            elif cand.kind == "state":
                m.role = "filter"
                op = _negate(cand.value or "") if negated else cand.value or ""
                col = self.view.column(cand.target)
                self._add_filter(Filter(col.id, op, table=col.table, text=m.text), m)
            elif cand.kind == "filter":
                m.role = "filter"
                named = next(f for f in self.view.semantics.filters if f.name == cand.target)
                cond = f"NOT ({named.condition})" if negated else named.condition
                self._add_filter(Filter(None, "sql", sql=cond, table=named.table, text=m.text), m)
            elif cand.kind in ("column", "event"):
                self._column_role(m, cand, negated)

    def _table_role(self, k: int, m: Mention, negated: bool) -> None:
        target = m.chosen.target if m.chosen else ""
        if target == self.entity:
            m.role = "entity"
            return
        if self.entity is None:
            self.entity = target
            m.role = "entity"
            return
        graph = self.view.graph
        related = graph.child_edge(self.entity, target) is not None or (
            graph.path_up(target, self.entity) is not None and negated
        )
        through = target
        if not related and target not in self._up(self.entity):
            # "products never ordered": order lines reference both products and orders
            bridge = [
                e.child
                for e in graph.children(self.entity)
                if graph.path_up(e.child, target) is not None
            ]
            if len(bridge) == 1:
                through, related = bridge[0], True
        if related:
            if self._measure_table() in (target, through):
                m.role = "context"
                return
            m.role = "relation"
            rel = Relation(through, negated=negated, text=m.text)
            self.intent.relations.append(rel)
            self.relation_of[k] = rel
            return
        m.role = "context"
        self.context.add(target)

    def _value_filter(self, m: Mention, cand: Candidate, negated: bool) -> None:
        col = self.view.column(cand.target)
        for f in self.intent.filters:
            if (
                f.column == col.id
                and f.op in ("=", "in", "!=", "not in")
                and ((f.op in ("!=", "not in")) == negated)
            ):
                values = f.value if isinstance(f.value, list) else [f.value]
                if cand.value not in values:
                    values.append(cand.value)
                f.value = values
                f.op = ("not in" if negated else "in") if len(values) > 1 else f.op
                f.text += f" {m.text}"
                return
        self._add_filter(
            Filter(col.id, "!=" if negated else "=", cand.value, table=col.table, text=m.text), m
        )

    def _add_filter(self, f: Filter, m: Mention) -> None:
        if m.fields.get("share_condition") or self._in_share_condition(m):
            share = next(ms for ms in self.intent.measures if ms.func == "share")
            share.condition.append(f)
            return
        rel = self._relation_for(f.table)
        if rel is not None:
            rel.filters.append(f)
            return
        self.intent.filters.append(f)

    def _in_share_condition(self, m: Mention) -> bool:
        shares = [c for c in self.st.cues if c.kind == "share"]
        if not shares or not any(ms.func == "share" for ms in self.intent.measures):
            return False
        cue = shares[0]
        if m.start < cue.end:
            return False
        # "share of customers in Germany that churned": "in Germany" filters, the rest is
        # the condition; "share of orders from the web": one predicate, the condition
        prev = self._low(m.start - 1)
        prev2 = self._low(m.start - 2)
        has_other = (
            sum(
                1
                for x in self.mentions
                if x.start > cue.end
                and x.chosen is not None
                and x.chosen.kind in ("value", "state", "filter")
            )
            > 1
        )
        return not (
            has_other
            and (prev in ("in", "from", "among", "for") or prev2 in ("in", "from", "among", "for"))
        )

    def _relation_for(self, table: str | None) -> Relation | None:
        if table is None or self.entity is None or table == self.entity:
            return None
        if table in self._up(self.entity) or table in self._up(self._measure_table()):
            return None
        for rel in self.intent.relations:
            if rel.table == table or table in self._up(rel.table):
                return rel
        return None

    def _column_role(self, m: Mention, cand: Candidate, negated: bool) -> None:
        col = self.view.column(cand.target)
        if col.is_temporal and self._window_next_to(m) is not None:
            m.role = "anchor"
            return
        state = m.best(("state",))
        if col.is_temporal and state is not None and state.target == col.id:
            # "customers who churned", "resolved tickets": the event happened
            m.role = "filter"
            op = _negate(state.value or "") if negated else state.value or ""
            self._add_filter(Filter(col.id, op, table=col.table, text=m.text), m)
            return
        if col.is_temporal and cand.kind == "event":
            m.role = "verb"
            return
        if col.is_boolean:
            m.role = "filter"
            self._add_filter(
                Filter(col.id, "is false" if negated else "is true", table=col.table, text=m.text),
                m,
            )
            return
        m.role = "projection"
        self.intent.projections.append(col.id)

    def _window_next_to(self, m: Mention) -> int | None:
        for idx, w in enumerate(self.st.windows):
            gap = [t.low for t in self.toks[m.end : w.start]]
            if (
                all(
                    g
                    in (
                        "was",
                        "were",
                        "is",
                        "are",
                        "in",
                        "during",
                        "within",
                        "over",
                        "the",
                        "been",
                        "have",
                        "has",
                        "had",
                    )
                    for g in gap
                )
                and len(gap) <= 3
            ):
                return idx
        return None

    def _measure_table(self) -> str | None:
        for ms in self.intent.measures:
            if ms.column:
                return ms.column.rpartition(".")[0]
            if ms.duration:
                return ms.duration[1].rpartition(".")[0]
            if ms.table and ms.func in ("count", "avg_count"):
                return ms.table
        return None

    # -- time ---------------------------------------------------------------------------------

    def _windows(self) -> None:
        for w in self.st.windows:
            window = TimeWindow(None, w.lower, w.upper, w.text)
            anchor = self._anchor_for(w.start) or self._anchor_after(w.end) or self._only_event()
            target: Relation | None = None
            if anchor is not None:
                window.column = anchor
                window.explicit_column = True
                target = self._relation_for(anchor.rpartition(".")[0])
            else:
                before = self._before(w.start, frozenset({"was", "were", "in", "the", "during"}))
                rel_idx = self.mentions.index(before) if before is not None else -1
                if rel_idx in self.relation_of:
                    target = self.relation_of[rel_idx]
            if target is not None:
                target.window = window
            elif self.intent.window is None:
                self.intent.window = window
            else:
                self.problems.append(
                    f"two time windows: {self.intent.window.text!r} and {w.text!r}"
                )

    def _anchor_after(self, end: int) -> str | None:
        """The event named right after the window: "last month's churned customers"."""
        m = self._mention_at(end)
        if m is None or m.chosen is None or m.chosen.kind == "table":
            return None
        col = self._temporal_candidate(m)
        if col is None or not (m.has("event") or m.has("state")):
            return None
        self.intent.filters = [f for f in self.intent.filters if f.text != m.text]
        return str(col.id)

    def _only_event(self) -> str | None:
        """The one event the question names ("trainings completed ... this year"), if one."""
        found = set()
        for m in self.mentions:
            if m.chosen is None or m.role not in ("filter", "verb"):
                continue
            col = self._temporal_candidate(m) if m.chosen.kind != "table" else None
            if col is not None and m.best(("event", "state")) is not None:
                found.add(col.id)
        if len(found) != 1:
            return None
        column = str(found.pop())
        # the event's own "has happened" filter is implied by the window
        self.intent.filters = [
            f for f in self.intent.filters if not (f.column == column and f.op == "is not null")
        ]
        return column

    def _anchor_for(self, start: int) -> str | None:
        m = self._before(start, _ANCHOR_GAP)
        while m is not None and m.role in ("filter",) and m.chosen and m.chosen.kind == "value":
            m = self._before(m.start, _BRIDGE)
        if m is None:
            return None
        if m.fields.get("count_anchor"):
            return str(m.fields["count_anchor"])
        if m.chosen is not None and m.chosen.kind == "table":
            return None  # "vacation requests this year": the table's main date
        col = (
            self._temporal_candidate(m)
            if m.role in ("anchor", "verb", "anchor-count", "filter", "")
            else None
        )
        if col is not None and m.role in ("filter",) and m.chosen and m.chosen.kind == "state":
            # "churned last month": the event's date, not just "has churned"
            self.intent.filters = [f for f in self.intent.filters if f.text != m.text]
        if col is not None and m.role == "verb" and m.chosen and m.chosen.kind == "value":
            return None
        if col is not None and m.role == "verb" and m.chosen and m.chosen.kind == "event":
            ev = self.view.column(m.chosen.target)
            if ev.table not in self._up(self.entity) and self.entity:
                rel = self._relation_for(ev.table)
                if rel is None:
                    return None
        return col.id if col is not None else None

    def _grains(self) -> None:
        for pos, grain in list(self.st.grains):
            anchor = None
            m = self._next_mention(pos + 1, _BRIDGE) or self._before(pos, _BRIDGE)
            if m is not None:
                col = self._temporal_candidate(m)
                if col is not None:
                    anchor = col.id
                    if m.role in ("", "projection", "verb", "anchor"):
                        m.role = "anchor"
                        if not self.intent.measures and col.table:
                            self.entity = self.entity or col.table
            if anchor is None and self.intent.window is not None:
                anchor = self.intent.window.column
            self.intent.grouping.insert(0, GroupKey(column=anchor, grain=grain, text=grain))

    # -- ranking, limit, action ---------------------------------------------------------------

    def _default_measure(self) -> None:
        it = self.intent
        entity = self.entity
        if not it.measures and entity and (it.grouping or self.st.cues_of("count")):
            label = self.view.table(entity).name
            it.measures.append(Measure("count", table=entity, label=label, implied=True))

    def _ranking(self) -> None:
        limit = self.st.limit
        desc = limit.descending if limit is not None else None
        if desc is None:
            desc = self.pending_rank
        if limit is not None:
            self.intent.limit = limit.n
        if desc is None and limit is None:
            return
        if not self.intent.order and self.intent.measures:
            self.intent.order.append(
                Order(measure=0, descending=desc if desc is not None else True)
            )
        elif not self.intent.order and desc is not None and self.entity:
            col = self._default_numeric(self.entity, None)
            if col is not None:
                self.intent.order.append(Order(column=col.id, descending=desc))
        if self.intent.limit is None and desc is not None and self.intent.order:
            entity_mention = next((m for m in self.mentions if m.role == "entity"), None)
            if entity_mention is not None and not self._plural(entity_mention):
                self.intent.limit = 1

    def _plural(self, m: Mention) -> bool:
        return _plural(self.toks[m.end - 1])

    def _finish(self) -> None:
        it = self.intent
        it.entity = self.entity
        if self.st.remove_pii:
            it.transformations.append("remove_pii")
        if it.entity is None:
            tables = {m.chosen.table for m in self.mentions if m.chosen and m.chosen.table}
            metric = next((ms for ms in it.measures if ms.metric), None)
            measured = self._measure_table()
            if measured is not None:
                it.entity = self.entity = measured
            elif len(tables) == 1:
                it.entity = tables.pop()
            elif metric is None:
                self.problems.append("could not tell which table the question is about")
                return
        if not it.measures and (it.grouping or self.st.cues_of("count")):
            it.measures.append(Measure("count", table=it.entity, label="count", implied=True))
        for ms in it.measures:
            if ms.func == "share" and not ms.condition and ms.metric is None:
                self.problems.append("a share of what? no condition found after 'share'")
            if ms.func == "count" and ms.table is None:
                ms.table = it.entity
        if it.measures:
            only_count = all(ms.func == "count" for ms in it.measures) and not it.grouping
            it.action = "count" if only_count else "aggregate"
        else:
            it.action = "list"
            keep = self._list_projection()
            it.projections = keep

    def _list_projection(self) -> list[str]:
        cols = [
            c for c in self.intent.projections if self.entity and c.startswith(self.entity + ".")
        ]
        if cols and self.entity:
            key = [f"{self.entity}.{k}" for k in self.view.key(self.entity)]
            return list(dict.fromkeys([*key, *cols]))
        return []

    # -- what was not understood --------------------------------------------------------------

    def _unmatched(self) -> None:
        covered = set(self.st.taken)
        for m in self.mentions:
            if m.chosen is not None or m.candidates:
                covered.update(range(m.start, m.end))
        words = []
        for i, tok in enumerate(self.toks):
            if i in covered or tok.kind == "punct" or tok.low in vocab.FILLER:
                continue
            if tok.kind == "number":
                words.append(tok.text)
                continue
            if tok.low in lexicon.STOPWORDS or len(tok.low) <= 2:
                continue
            words.append(tok.text)
        if words:
            self.intent.unmatched = words
            self.problems.append("did not understand " + ", ".join(repr(w) for w in words))

    def _suggestions(self) -> list[str]:
        import difflib

        names = {}
        for t in self.view.snapshot.tables.values():
            names[t.name.lower()] = t.id
            for c in t.columns:
                names[c.name.lower()] = c.id
                for w in lexicon.words(c.name):
                    names.setdefault(w, c.id)
        out: list[str] = []
        for word in self.intent.unmatched or [t.low for t in self.toks if t.is_word]:
            for hit in difflib.get_close_matches(word.lower(), list(names), n=3, cutoff=0.6):
                if names[hit] not in out:
                    out.append(names[hit])
        return out[:6]


def _demonym(value: str, word: str) -> bool:
    """Whether ``word`` names what ``value`` is the place of: German/Germany, Mexican/Mexico.

    Example:
        >>> _demonym("germany", "german"), _demonym("canada", "canadian"), _demonym("atlanta",
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


def _plural(tok: Token) -> bool:
    """Whether a noun is written in the plural ("customers", "categories"; not "status")."""
    low = tok.low
    return low.endswith("s") and not low.endswith(("ss", "us", "is")) and tok.stem != low


def _negate(op: str) -> str:
    return {
        "is null": "is not null",
        "is not null": "is null",
        "is true": "is false",
        "is false": "is true",
    }.get(op, op)


def _label(func: str, column: str) -> str:
    prefix = {"avg": "avg", "sum": "total", "median": "median", "min": "min", "max": "max"}
    if func == "sum" and column.startswith("total"):
        return column
    return f"{prefix.get(func, func)}_{column}"


def cue_word(tokens: list[Token], cue: Cue) -> str:
    """The words of a cue, for messages."""
    return " ".join(t.text for t in tokens[cue.i : cue.end])

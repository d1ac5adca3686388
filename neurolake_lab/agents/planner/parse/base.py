"""The parser's state, and the helpers every pass uses.

Finding mentions near a word, choosing a candidate in context, and small judgements about
columns (a table's default number, a concept's column).
"""

from __future__ import annotations

from typing import Any

from neurolake_lab.agents.intent import Filter, GroupKey, Intent, Measure, Relation
from neurolake_lab.agents.planner.cues import Comparison, Cue, find_structure
from neurolake_lab.agents.planner.linker import Candidate, Mention, link
from neurolake_lab.agents.planner.parse.words import cue_word as cue_word
from neurolake_lab.agents.planner.parse.words import demonym as demonym
from neurolake_lab.agents.planner.parse.words import is_year_number as is_year_number
from neurolake_lab.agents.planner.parse.words import label_of as label_of
from neurolake_lab.agents.planner.parse.words import negate as negate
from neurolake_lab.agents.planner.parse.words import participle as participle
from neurolake_lab.agents.planner.parse.words import plural_noun as plural_noun
from neurolake_lab.agents.planner.tokens import tokenize
from neurolake_lab.agents.planner.view import PlannerView
from neurolake_lab.index.model import ColumnInfo
from neurolake_lab.llm import lexicon

#: Words that may sit between a structure word and the mention it governs.
BRIDGE = frozenset(
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
COMPARE_GAP = frozenset(
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
ANCHOR_GAP = frozenset(
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
VERB_GAP = frozenset({"a", "an", "any", "the", "one", "single", "some"})
NEG_GAP = frozenset(
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


class ParserBase:
    """A question being read: tokens, structure, mentions, and the intent built so far."""

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
        self.each_group: GroupKey | None = None  # "for each region": ranked within it

    def _low(self, i: int) -> str:
        return self.toks[i].low if 0 <= i < len(self.toks) else ""

    def _mention_at(self, i: int) -> Mention | None:
        return next((m for m in self.mentions if m.start == i), None)

    def _next_mention(self, i: int, gap: frozenset[str] = BRIDGE) -> Mention | None:
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

    def _after(self, m: Mention, gap: frozenset[str] = BRIDGE) -> Mention | None:
        return self._next_mention(m.end, gap)

    def _before(self, i: int, gap: frozenset[str] = BRIDGE) -> Mention | None:
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

    def _is_table(self, m: Mention) -> bool:
        best = m.best()
        return best is not None and best.kind == "table"

    def _has_kind(self, kind: str) -> bool:
        return any(m.best((kind,)) is not None for m in self.mentions)

    def _event_date(self, m: Mention) -> Any:
        """The date of the event ``m`` names, if it names one that happened ("signups").

        Not for a state that is an absence ("cancelled": no departure time) or a flag.
        """
        chosen = m.chosen
        if chosen is None or chosen.kind == "table":
            return None
        if chosen.kind == "state" and chosen.value != "is not null":
            return None
        col = self.view.snapshot.column(chosen.target)
        if col is not None and not col.is_temporal:
            return None
        return self._temporal_candidate(m)

    def _count_child_rows(self, m: Mention) -> bool:
        """Rank by counting the child rows a condition names ("the most deaths").

        "by emergency admissions" likewise; adds the count measure, the condition stays.
        """
        cand = m.chosen
        if cand is None or self.entity is None:
            return False
        flag = cand.kind == "column" and self.view.column(cand.target).is_boolean
        if cand.kind not in ("state", "value", "event") and not flag:
            return False
        table = cand.table
        if table is None or table == self.entity:
            return False
        if self.view.graph.path_up(table, self.entity) is None:
            return False
        self._add_measure(Measure("count", table=table, label=self.view.table(table).name))
        self.intent.readings.append((m.text, f"ranked by the number of {table} rows"))
        return True

    def _choose(self, m: Mention, kinds: tuple[str, ...] | None = None) -> Candidate | None:
        ranked = self._ranked(m, kinds)
        return ranked[0][1] if ranked else None

    def _ranked(
        self, m: Mention, kinds: tuple[str, ...] | None = None
    ) -> list[tuple[float, Candidate]]:
        """The candidates of ``m`` (of ``kinds``) with their scores in context, best first."""
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
        scored = [(score(c), c) for c in found]
        # stable: among equal scores the first candidate stays first, as max() would keep it
        return sorted(scored, key=lambda sc: -sc[0])

    def _free_after(self, i: int, gap: frozenset[str] = BRIDGE) -> Mention | None:
        m = self._next_mention(i, gap)
        while m is not None and m.role in ("qualifier", "verb"):
            m = self._next_mention(m.end, gap)
        return m

    def _temporal_candidate(self, m: Mention) -> Any:
        for c in sorted(m.candidates, key=lambda c: -c.score):
            if c.kind in ("column", "event", "state"):
                col = self.view.snapshot.column(c.target)
                if col is not None and col.is_temporal:
                    return col
        return None

    def _measure_table(self) -> str | None:
        for ms in self.intent.measures:
            if ms.column:
                return ms.column.rpartition(".")[0]
            if ms.duration:
                return ms.duration[1].rpartition(".")[0]
            if ms.table and ms.func in ("count", "avg_count", "share"):
                return ms.table
        return None

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

    def _concept_column(self, table: str, concept: str) -> Any:
        if concept == "date":
            return self.view.main_date(table)
        for t in self._up(table):
            for col in self.view.table(t).columns:
                words = self.view.column_words(col)
                if col.is_numeric and any(lexicon.stem(w) == lexicon.stem(concept) for w in words):
                    return col
        return None

    def _default_numeric(self, table: str, hint: str | None) -> Any:
        if hint:
            col = self._concept_column(table, hint)
            if col is not None:
                return col
        keys = self.view.key(table)
        cols = [
            c
            for c in self.view.table(table).columns
            if c.is_numeric
            and c.name not in keys
            and self.view.column_words(c)[-1:] not in (["id"], ["key"])
        ]
        for concept in ("amount", "price", "total", "value"):
            for c in cols:
                if concept in self.view.column_words(c):
                    return c
        return cols[0] if len(cols) == 1 else None

    def _metric_measure(self, name: str) -> int:
        for i, ms in enumerate(self.intent.measures):
            if ms.metric == name:
                return i
        self._add_measure(Measure("metric", metric=name, label=name))
        return len(self.intent.measures) - 1

    def _anchors(self, column: str) -> bool:
        return any(w.column == column for w in [self.intent.window] if w is not None)

    def _plural(self, m: Mention) -> bool:
        return plural_noun(self.toks[m.end - 1])

    def _after_group_word(self, m: Mention) -> bool:
        """Whether a group word precedes the table ("per department"): a group, not a measure."""
        j = m.start - 1
        while j >= 0 and self.toks[j].low in ("the", "each", "every"):
            j -= 1
        cue = next((c for c in self.st.cues if c.end == j + 1), None)
        return cue is not None and cue.kind == "group"

    def _relation_for(self, table: str | None) -> Relation | None:
        if table is None or self.entity is None or table == self.entity:
            return None
        if table in self._up(self.entity) or table in self._up(self._measure_table()):
            return None
        for rel in self.intent.relations:
            if rel.table == table or table in self._up(rel.table):
                return rel
        return None

    def _happened(self, m: Mention) -> None:
        """Remember that a verb's event happened ("delivered", "completed").

        A date column empty until its event happens makes the verb a condition on its table.
        """
        state = next((c for c in m.candidates if c.kind == "state" and c.value == "is not null"),
                     None)  # fmt: skip
        if state is not None:
            m.fields["happened"] = state.target

    def _birth_column(self) -> ColumnInfo | None:
        tables = [self.entity] if self.entity else []
        tables += [m.chosen.table for m in self.mentions if m.chosen and m.chosen.table]
        tables += sorted(self.view.snapshot.tables)
        for tid in dict.fromkeys(t for t in tables if t):
            for col in self.view.table(tid).columns:
                words = lexicon.words(col.name) + lexicon.words(col.description)
                if col.is_temporal and ("birth" in words or "dob" in words):
                    return col
        return None

    def age_filter(self, comp: Comparison, birth: ColumnInfo) -> None:
        """An age compared with a number ("65 or older", "patients under 18")."""
        self.st.taken.update(range(comp.start, comp.end))
        years = int(comp.value) + (1 if comp.op in (">", "<=") else 0)
        op = "<=" if comp.op in (">", ">=") else ">"
        cond = f"{birth.name} {op} current_date - INTERVAL {years} YEAR"
        self.intent.filters.append(Filter(None, "sql", sql=cond, table=birth.table,
                                          text=comp.text))  # fmt: skip
        self.intent.readings.append((comp.text, f"age {comp.op} {comp.value:g} ({cond})"))
        self.entity = self.entity or birth.table

    def _verb_after_subject(self, subject: Mention, m: Mention) -> bool:
        """A word between plural rows and a preposition is their verb: "people *work* in"."""
        if not self._plural(subject) or m.end - m.start != 1 or m.start != subject.end:
            return False
        return self._low(m.end) in ("in", "at", "for", "from", "on", "with", "to")

    def _add_filter(self, f: Filter, m: Mention) -> None:
        if m.fields.get("share_condition") or self._in_share_condition(m):
            share = next(ms for ms in self.intent.measures if ms.func == "share")
            share.condition.append(f)
            return
        rel = self._relation_for(f.table) or self._child_relation(f.table, m.text)
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
        # "percentage of *German* customers that churned": words before the rows narrow them
        after = [x for x in self.mentions if x.start >= cue.end]
        base = next((x for x in after if self._is_table(x)), None) or next(
            (x for x in after if x.best(("event",)) is not None and self._plural(x)), None
        )  # "percentage of emergency *admissions*": the rows, named by their event
        if base is not None and m.end <= base.start:
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

    def _child_relation(self, table: str | None, text: str) -> Relation | None:
        """An EXISTS over rows that belong to the entity, for a condition on them.

        "patients still in hospital": some stay of theirs is open.
        """
        entity = self.entity
        if table is None or entity is None or table == entity:
            return None
        if table in self._up(entity) or table in self._up(self._measure_table()):
            return None
        if self.view.graph.path_up(table, entity) is None:
            return None
        rel = Relation(table, text=text)
        self.intent.relations.append(rel)
        self.intent.readings.append((text, f"some {table} row of each {entity} row"))
        return rel

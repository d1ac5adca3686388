"""Negations, ranking and sorting words, comparisons with numbers, the final order and limit."""

from __future__ import annotations

from typing import Any

from neurolake_lab.agents.intent import Filter, GroupKey, Measure, Order, Relation
from neurolake_lab.agents.planner.cues import Comparison, Cue
from neurolake_lab.agents.planner.parse.base import COMPARE_GAP, ParserBase, plural_noun


class RankingMixin(ParserBase):
    """Negation, ranking, sorting, comparison and limit."""

    def _cue_rank(self, cue: Cue, nxt: Cue | None) -> None:
        desc = bool(cue.data)
        self.pending_rank = desc
        m = self._free_after(cue.end)
        if m is None:
            self._rank_by_verb(cue)
            return
        if m.chosen is None or m.role not in ("", "entity", "counted"):
            return
        if self._count_child_rows(m):
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
            if self.st.limit is None and not plural_noun(self.toks[m.end - 1]):
                self.intent.limit = 1

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
        before = self._before(comp.start, COMPARE_GAP)
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
            self.problems.append("ranked by what? name the number to rank by")
        if self.intent.limit is None and desc is not None and self.intent.order:
            entity_mention = next((m for m in self.mentions if m.role == "entity"), None)
            if entity_mention is not None and not self._plural(entity_mention):
                self.intent.limit = 1

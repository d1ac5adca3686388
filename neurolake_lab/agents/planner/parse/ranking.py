"""Negations, ranking and sorting words, comparisons with numbers, the final order and limit."""

from __future__ import annotations

from typing import Any

from neurolake_lab.agents.intent import Filter, GroupKey, Measure, Order, Relation
from neurolake_lab.agents.planner import vocab
from neurolake_lab.agents.planner.cues import Comparison, Cue
from neurolake_lab.agents.planner.linker import Mention, same_root
from neurolake_lab.agents.planner.parse.base import (
    BRIDGE,
    COMPARE_GAP,
    ParserBase,
    label_of,
    plural_noun,
)
from neurolake_lab.agents.planner.parse.words import is_year_number
from neurolake_lab.llm import lexicon

#: Units of time (light stems) in seconds, for comparisons with a duration column.
_SECONDS = {"second": 1, "sec": 1, "minute": 60, "minut": 60, "min": 60, "hour": 3600, "hr": 3600,
            "day": 86400, "week": 604800}  # fmt: skip


#: Words after "2020 or" that make the number a year ("2020 or later", "2019 or before").
_TEMPORAL = frozenset({"later", "after", "newer", "earlier", "before"})


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
            own = self.entity is None or col.table in self._up(self.entity)
            if col.is_numeric and (not own or self.intent.grouping) and cand.score >= 0.7:
                # "which airline carried the most passengers": a quantity of the airline's
                # flights, added up per airline; "which model has the most seats": a value each
                # model has once (the same on all its rows), not a total
                m.role = "measure"
                func = "max" if self._constant_per_group(col) else "sum"
                self._add_measure(Measure(func, column=col.id, label=label_of(func, col.name)))
            elif col.is_numeric and own:
                m.role = "order"
                self.intent.order.append(Order(column=col.id, descending=desc))

    def _constant_per_group(self, col: Any) -> bool:
        keys = [k.column for k in self.intent.grouping if k.column and not k.grain]
        probe = self.view.probe
        if len(keys) != 1 or probe is None or keys[0].rpartition(".")[0] != col.table:
            return False
        if not probe.constant_within(col.table, col.name, keys[0].rpartition(".")[2]):
            return False
        group = keys[0].rpartition(".")[2]
        self.intent.readings.append((col.name, f"the {col.name} of each {group} (one value each)"))
        return True

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
        self._signs()

    def _signs(self) -> None:
        """A sign word before a number column: "a negative balance" (< 0), "positive" (> 0)."""
        for i, tok in enumerate(self.toks):
            if tok.low not in ("negative", "positive") or i in self.st.taken:
                continue
            m = self._mention_at(i + 1)
            if m is None or m.chosen is None or m.role or m.chosen.kind != "column":
                continue
            col = self.view.column(m.chosen.target)
            if not col.is_numeric:
                continue
            op = "<" if tok.low == "negative" else ">"
            m.role = "comparison"
            self.st.taken.add(i)
            text = f"{tok.text} {m.text}"
            self.intent.filters.append(Filter(col.id, op, 0, table=col.table, text=text))
            self.intent.readings.append((text, f"{col.name} {op} 0"))

    def _year_of_date(self, comp: Comparison, col: Any) -> Any:
        """A year on a date column ("2020 or later"): from the first day of it (or to its end)."""
        value = comp.value
        if not col.is_temporal or not float(value).is_integer() or not 1900 <= value <= 2200:
            return None
        year = int(value) + (1 if comp.op in (">", "<=") else 0)
        return f"{year:04d}-01-01"

    def _converted(self, comp: Comparison, col: Any, value: float) -> float:
        """Units of time converted: "a delay over 2 hours" on a column in minutes is 120."""
        tok = self.toks[comp.end] if comp.end < len(self.toks) else None
        unit = _SECONDS.get(tok.stem) if tok is not None and tok.is_word else None
        if unit is None or tok is None:
            return value
        words = self.view.column_words(col) + lexicon.words(col.description)
        own = next((_SECONDS[w] for w in (lexicon.stem(x) for x in words) if w in _SECONDS), None)
        if own is None:
            return value  # the column's unit is unknown: the unit word stays unexplained
        self.st.taken.add(comp.end)
        if own != unit:
            self.intent.readings.append(
                (f"{comp.text} {tok.text}", f"{col.name} {comp.op} {value * unit / own:g}")
            )
        return value * unit / own

    def _scaled(self, comp: Comparison, col: Any) -> float:
        """A percentage compared with a column of fractions (0.05 = 5%) is divided by 100."""
        if not comp.percent or self.view.probe is None:
            return comp.value
        top = self.view.probe.max_abs(col.table, col.name)
        if top is not None and top <= 1.0:
            self.intent.readings.append((comp.text, f"{comp.value / 100:g} ({col.name} holds "
                                                    "fractions)"))  # fmt: skip
            return comp.value / 100
        return comp.value

    def _comparison(self, comp: Comparison) -> None:
        value: Any = [comp.value, comp.value2] if comp.op == "between" else comp.value
        after = self._next_mention(comp.end, frozenset({"the", "a", "an", "of"}))
        if after is not None and after.start == comp.end and self._unit_word(after):
            # "between 5000 and 10000 EUR", "more than 60 minutes": the unit, not a column
            self.mentions.remove(after)
            if self.toks[after.start].low in vocab.MEASURE_UNITS:
                self.st.taken.add(after.start)
            sign = self._mention_at(after.end)
            if sign is not None and self._signed(comp, sign):
                return
            # "more than 45 minutes at departure": the column named after the unit
            after = self._next_mention(after.end, frozenset({"at", "on", "upon", "in", "of"}))
        if (
            after is not None
            and after.chosen is not None
            and after.chosen.kind == "table"
            and after.chosen.target != self.entity
            and self.entity is not None
        ):
            after.role = "relation"
            verb = self._before(comp.start, frozenset({"have", "has", "had", "ever", "made"}))
            if (
                verb is not None
                and not verb.role
                and any(c.table == after.chosen.target for c in verb.candidates)
            ):
                verb.role = "verb"  # "placed more than 20 orders": placing is having them
                self.intent.readings.append((verb.text, f"the verb of {after.text}"))
            rel = Relation(
                after.chosen.target,
                min_count=(comp.op, comp.value),
                text=comp.text + " " + after.text,
            )
            self.intent.relations.append(rel)
            self.relation_of[self.mentions.index(after)] = rel
            return
        if after is not None and after.chosen is not None and after.chosen.kind == "column":
            col = self.view.column(after.chosen.target)
            if col.is_numeric and not after.role:  # "more than 180 passengers"
                after.role = "comparison"
                if comp.op != "between":
                    value = self._converted(comp, col, self._scaled(comp, col))
                self.intent.filters.append(
                    Filter(col.id, comp.op, value, table=col.table, text=comp.text)
                )
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
                if col.is_numeric and (not self._said_year(comp) or self._yearly(col)):
                    before.role = "comparison"
                    if comp.op != "between":
                        value = self._converted(comp, col, self._scaled(comp, col))
                    self.intent.filters.append(
                        Filter(col.id, comp.op, value, table=col.table, text=comp.text)
                    )
                    return
                day = self._year_of_date(comp, col) if comp.op in (">=", "<=", ">", "<") else None
                if day is not None:  # "orders placed in 2024 or later"
                    before.role = "comparison"
                    op = ">=" if comp.op in (">=", ">") else "<"
                    self.intent.filters.append(Filter(col.id, op, day, table=col.table,
                                                      text=comp.text))  # fmt: skip
                    self.intent.readings.append((comp.text, f"{col.name} {op} {day}"))
                    return
            if self._unit_or_year(comp, value):
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
        if self._unit_or_year(comp, value):
            return
        col = self._default_numeric(self.entity, comp.hint)
        birth = self._birth_column() if col is None else None
        if birth is not None and birth.table == self.entity:
            self.age_filter(comp, birth)  # "patients under 18": nothing else has a number
            return
        if col is None:
            self.problems.append(f"{comp.text!r}: {self.entity} has no number to compare")
            return
        self.intent.filters.append(Filter(col.id, comp.op, value, table=col.table, text=comp.text))
        self.intent.notes.append(f"read {comp.text!r} as {col.name} {comp.op} {comp.value:g}")

    @staticmethod
    def _said_year(comp: Comparison) -> bool:
        """Whether the number is a year by its words ("2020 or later", "2019 or before")."""
        return bool(comp.text) and comp.text.split()[-1].lower() in _TEMPORAL

    def _yearly(self, col: Any) -> bool:
        """Whether a number column holds years ("year built"): its name says so or its values."""
        if is_year_number(col):
            return True
        top = self.view.probe.max_abs(col.table, col.name) if self.view.probe else None
        return top is not None and 1900 <= top <= 2200

    def _unit_or_year(self, comp: Comparison, value: Any) -> bool:
        """A comparison its own words place: a unit's one column, or a year on the rows' date.

        "longer than 2000 miles" compares the one column measured in miles (not the number of
        flights); "2020 or later" the entity's own date from the first day of 2020.
        """
        tables = {m.chosen.table for m in self.mentions if m.chosen is not None and m.chosen.table}
        table = self.entity or (tables.pop() if len(tables) == 1 else None)
        if table is None:
            return False
        unit = comp.text.split()[-1].lower() if comp.text else ""
        col = self._unit_column(table, unit) if unit in vocab.MEASURE_UNITS - {"percent", "pct"} \
            else None  # fmt: skip
        if col is not None:
            self.intent.filters.append(Filter(col.id, comp.op, value, table=col.table,
                                              text=comp.text))  # fmt: skip
            self.intent.readings.append((comp.text, f"{col.name} {comp.op} {comp.value:g}"))
            return True
        if not self._said_year(comp):
            return False
        main = self.view.main_date(table)
        day = self._year_of_date(comp, main) if main is not None else None
        if main is None or day is None:
            self.problems.append(f"{comp.text!r}: later or earlier than what? name the date")
            return True
        op = ">=" if comp.op in (">=", ">") else "<"
        self.intent.filters.append(Filter(main.id, op, day, table=main.table, text=comp.text))
        self.intent.readings.append((comp.text, f"{main.name} {op} {day}"))
        return True

    def _unit_column(self, table: str, unit: str) -> Any:
        """The one number column of ``table`` whose name or description gives ``unit``."""
        wanted = {unit, lexicon.stem(unit)}
        found = []
        for col in self.view.table(table).columns:
            words = self.view.column_words(col) + lexicon.words(col.description)
            if col.is_numeric and wanted & ({lexicon.stem(w) for w in words} | set(words)):
                found.append(col)
        return found[0] if len(found) == 1 else None

    def _signed(self, comp: Comparison, m: Mention) -> bool:
        """Compare a number with the column a sign word names: "more than 30 minutes late".

        "late" is a delay's positive side: the delay is more than 30; "early" its negative one.
        """
        cand = m.chosen
        if cand is None or cand.kind != "state" or cand.value not in ("> 0", "< 0"):
            return False
        if comp.op not in (">", ">=") or m.fields.get("ambiguous"):
            return False
        col = self.view.column(cand.target)
        value = self._converted(comp, col, comp.value)
        op, bound = (comp.op, value) if cand.value == "> 0" else ("<" if comp.op == ">" else "<=",
                                                                 -value)  # fmt: skip
        m.role = "comparison"
        text = f"{comp.text} {m.text}"
        self._add_filter(Filter(col.id, op, bound, table=col.table, text=text), m)
        self.intent.readings.append((text, f"{col.name} {op} {bound:g}"))
        return True

    def _unit_word(self, m: Mention) -> bool:
        """Whether a mention is a unit written after a number (EUR, minutes, miles)."""
        low = self.toks[m.start].low
        return m.end - m.start == 1 and (
            low in vocab.MEASURE_UNITS or lexicon.stem(low) in _SECONDS or low in ("mile", "min")
        )

    def _default_measure(self) -> None:
        it = self.intent
        entity = self.entity
        if not it.measures and entity and (it.grouping or self.st.cues_of("count")):
            label = self.view.table(entity).name
            it.measures.append(Measure("count", table=entity, label=label, implied=True))
        elif not it.measures and it.grouping:
            # "which ship mode is used most often": rows counted per group (the table is the
            # group's, set when the intent is finished)
            it.measures.append(Measure("count", label="count", implied=True))

    def _polarity(self, desc: bool | None) -> bool | None:
        """Flip best/worst for quantities where more is worse ("the worst delay": highest)."""
        words = {self.toks[c.i].low for c in self.st.cues_of("rank")}
        if self.st.limit is not None:
            words.add(self.toks[self.st.limit.start].low)
        if not words & {"best", "worst"} or desc is None:
            return desc
        ms = self.intent.measures[0]
        text = " ".join(filter(None, [ms.column, ms.label, ms.metric, *(
            f.column or "" for f in ms.condition)]))  # fmt: skip
        stems = {lexicon.stem(w) for w in lexicon.words(text)}
        if ms.column:
            stems |= {
                lexicon.stem(w) for w in lexicon.words(self.view.column(ms.column).description)
            }
        if any(same_root(s, w) for s in stems for w in vocab.WORSE_WHEN_HIGHER):
            return not desc
        return desc

    def _per_group(self) -> None:
        """Ranked within each group: "for each region, which nation has the most customers"."""
        each = self.each_group
        ranked = self.pending_rank is not None or self.st.limit is not None
        if each is None or not ranked:
            return
        subject = self._ranked_subject(each)
        if subject is None or subject.chosen is None:
            self.problems.append("ranked within each group, but which rows are ranked?")
            return
        cand = subject.chosen
        if cand.kind == "table":
            key = GroupKey(table=cand.target, text=subject.text)
        elif cand.kind in ("column", "event") and not self.view.column(cand.target).is_numeric:
            key = GroupKey(column=cand.target, text=subject.text)
        else:
            self.problems.append(f"cannot rank {subject.text!r} within each group")
            return
        if subject.role == "relation":
            self.intent.relations = [r for r in self.intent.relations if r.text != subject.text]
        subject.role = "group"
        self.intent.grouping = [each, key]
        if not self.intent.measures:
            if key.column is None:
                self.problems.append(f"ranked by what? say what to count or add up per "
                                     f"{subject.text}")  # fmt: skip
                return
            table = key.column.rpartition(".")[0]
            self.intent.measures.append(Measure("count", table=table, label="count"))
        desc = self.st.limit.descending if self.st.limit is not None else None
        desc = self._polarity(self.pending_rank if desc is None else desc)
        self.intent.order = [Order(measure=0, descending=desc if desc is not None else True)]
        self.intent.per_group = self.st.limit.n if self.st.limit is not None else 1
        label = self.intent.measures[0].label
        reading = f"the top {self.intent.per_group} per {each.text} by {label}"
        self.intent.readings.append((subject.text, reading))

    def _ranked_subject(self, each: GroupKey) -> Mention | None:
        """The mention after "which"/"what is the most common" or after a ranking word."""
        starts = [c.end for c in self.st.cues_of("list")] + [c.end for c in self.st.cues_of("rank")]
        for start in starts:
            j = start
            while j < len(self.toks):
                m = self._mention_at(j)
                if m is not None:
                    if m.text != each.text and m.role in ("", "entity", "relation", "counted",
                                                          "group", "projection"):  # fmt: skip
                        return m
                    break
                low = self.toks[j].low
                skip = low in BRIDGE or low in ("its", "their") or low in vocab.FILLER
                if not skip and j not in self.st.taken:
                    break
                j += 1
        return None

    def _ranking(self) -> None:
        limit = self.st.limit
        desc = limit.descending if limit is not None else None
        if desc is None:
            desc = self.pending_rank
        if self.intent.per_group is not None:
            return
        if limit is not None:
            self.intent.limit = limit.n
        if desc is None and limit is None:
            return
        if not self.intent.order and self.intent.measures:
            desc = self._polarity(desc)
            self.intent.order.append(
                Order(measure=0, descending=desc if desc is not None else True)
            )
        elif not self.intent.order and desc is not None and self.entity:
            self.problems.append("ranked by what? name the number to rank by")
        if self.intent.limit is None and desc is not None and self.intent.order:
            entity_mention = next((m for m in self.mentions if m.role == "entity"), None)
            if entity_mention is not None and not self._plural(entity_mention):
                self.intent.limit = 1

"""Structure words that ask for a number, and group words.

Counts, aggregates, shares, rates and durations each claim their argument; group words claim
the group keys.
"""

from __future__ import annotations

from typing import Any

from neurolake_lab.agents.intent import Filter, GroupKey, Measure, Order
from neurolake_lab.agents.planner import vocab
from neurolake_lab.agents.planner.cues import Cue
from neurolake_lab.agents.planner.linker import Mention
from neurolake_lab.agents.planner.parse.base import (
    BRIDGE,
    ParserBase,
    cue_word,
    label_of,
    participle,
    plural_noun,
)
from neurolake_lab.llm import lexicon


class MeasuresMixin(ParserBase):
    """Count, aggregate, share, rate, duration and group cues."""

    def _cue_roles(self) -> None:
        cues = self.st.cues
        for idx, cue in enumerate(cues):
            handler = getattr(self, f"_cue_{cue.kind}", None)
            if handler is not None:
                handler(cue, cues[idx + 1] if idx + 1 < len(cues) else None)

    def _cue_group(self, cue: Cue, nxt: Cue | None) -> None:
        m = self._free_after(cue.end)
        if nxt is not None and nxt.kind in ("agg", "count") and nxt.i == cue.end:
            before = self._before(cue.i, frozenset())
            if before is not None and self._is_table(before) and self.pending_rank is None:
                self.pending_rank = True  # "carriers by average weight": ranked by it
            if self.st.limit is not None or self.st.cues_of("rank"):
                return  # "top 10 patients by total charges": the aggregate measures, we rank
        ranks = self.st.limit is not None or bool(self.st.cues_of("rank"))
        if ranks and m is not None and self._count_child_rows(m):
            return  # "top 3 departments by emergency admissions": count them
        if m is None:
            return  # "by number of ...": the count cue measures it
        if m.role and m.role != "entity":
            return
        if not self.intent.measures:
            before = self._before(cue.i, frozenset())
            if before is not None and not before.role:
                self._events_counted(before, None)  # "security cancellations per airline"
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
                after = self._mention_at(m.end)
                if after is not None and after.chosen is not None and after.chosen.kind == "table" \
                        and after.chosen.target == cand.table and not after.role:  # fmt: skip
                    m = after  # "per low-cost carrier": the carriers, those that are low-cost
                    continue
                head = self.view.phrases.lookup(self.toks[m.end - 1 : m.end])
                if cand.kind == "state" and any(c.kind == "table" and c.target == cand.table
                                                for c in head):  # fmt: skip
                    # one phrase, "low-cost carrier": group by the carriers, keep the condition
                    key = GroupKey(table=cand.table, text=m.text)
                    self.intent.grouping.append(key)
                return  # "by phone": a filter, left to the default roles
            numeric = cand.kind == "column" and self.view.column(cand.target).is_numeric
            if numeric and ranking and not self.intent.measures:
                m.role = "measure"  # "best-selling product ... by quantity": ranked by its sum
                col = self.view.column(cand.target)
                self._add_measure(Measure("sum", column=col.id, label=label_of("sum", col.name)))
                return
            if cand.kind == "table" and cand.target == self._measure_table():
                m.role = "context"  # "quantity per order line": one row each already
                return
            if cand.kind == "table":
                if (
                    self.entity == cand.target
                    and m.role == "entity"
                    and (self._measure_table() in (None, self.entity))
                    and cue.data != "each"
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
            if cue.data == "each" and self.each_group is None:
                self.each_group = key
            follow = self._next_mention(m.end, frozenset({"and", "or", ",", "then", "the"}))
            if (
                follow is None
                or participle(self.toks[follow.start])  # "per ship mode shipped in 1998"
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
            elif func != "sum" and not self._number_column(nxt, func):
                self._avg_count(nxt, func)  # "total number of orders" is a count
            return
        if nxt is not None and nxt.kind == "duration" and nxt.i == cue.end:
            return  # "average time to resolve": the duration cue takes it
        if func in ("max", "min") and nxt is not None and nxt.kind == "agg" and nxt.i == cue.end:
            self.pending_rank = func == "max"  # "the highest total charges": ranked by the total
            return
        m = self._free_after(cue.end)
        if func == "sum" and self._total_of_rows(m):
            return
        while m is not None and m.chosen is not None and m.chosen.kind == "table":
            if m.role not in ("entity", ""):
                break
            after = self._free_after(m.end, BRIDGE | {"'s"})
            if after is None and self.st.cues_of("group"):
                # "average orders per customer": the number of orders per customer
                per = self._free_after(self.st.cues_of("group")[0].end)
                if per is not None and per.chosen is not None and per.chosen.kind == "table":
                    self._avg_count_tables(m, per, func)
                    return
            if after is None:
                break
            m = after
        largest = m is not None and m.chosen is not None and m.chosen.kind == "table"
        if largest and func in ("max", "min") and m is not None and self._largest_row(m, func):
            return
        if m is None or m.chosen is None or m.role or m.chosen.kind in ("state", "value"):
            if func in ("max", "min") and self.st.cues_of("list"):
                self.pending_rank = func == "max"  # "which airline has the highest ... rate"
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
                label = label_of(func, col.name)
                self._add_measure(Measure(func, column=col.id, label=label), cue)
            elif func in ("min", "max") and col.is_temporal:
                m.role = "measure"
                self._add_measure(Measure(func, column=col.id, label=label_of(func, col.name)), cue)
            elif func in ("max", "min") and self.st.cues_of("list"):
                self.pending_rank = func == "max"
            else:
                self.problems.append(
                    f"cannot take the {cue_word(self.toks, cue)} of {m.text!r}"
                    f" ({col.id} is {col.data_type})"
                )

    def _total_of_rows(self, m: Mention | None) -> bool:
        """Count the rows a total is of: "Total flights per manufacturer"."""
        if m is None or m.chosen is None or m.chosen.kind != "table":
            return False
        if m.role not in ("", "entity"):
            return False
        if not self._plural(m):
            return False
        after = self._free_after(m.end, BRIDGE | {"'s"})
        if after is not None and after.chosen is not None and (
            after.chosen.kind == "metric"
            or (after.chosen.kind == "column" and self.view.column(after.chosen.target).is_numeric)
        ) and not self._after_group_word(after):  # fmt: skip
            return False  # "total order amount": the amount is added up
        m.role = m.role or "counted"
        self._add_measure(Measure("count", table=m.chosen.target,
                                  label=self.view.table(m.chosen.target).name))  # fmt: skip
        self.intent.readings.append((f"total {m.text}", f"the number of {m.chosen.target} rows"))
        return True

    def _largest_row(self, m: Mention, func: str) -> bool:
        """The row with the largest money column (amount, price): "the largest order"."""
        table = m.chosen.target if m.chosen else ""
        col = self._default_numeric(table, None)
        if col is None:
            return False
        self.intent.order.append(Order(column=col.id, descending=func == "max"))
        self.pending_rank = func == "max"
        self.intent.readings.append((m.text, f"by {col.name}"))
        return True

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

    def _number_column(self, count: Cue, func: str) -> bool:
        """Aggregate a column that holds a number of things ("average number of passengers")."""
        m = self._free_after(count.end)
        cand = m.chosen if m is not None else None
        if m is None or cand is None or cand.kind != "column" or cand.score < 0.7:
            return False
        col = self.view.column(cand.target)
        if not col.is_numeric or col.name in self.view.key(col.table):
            return False
        m.role = "measure"
        count.data = "claimed"  # the count words are this aggregate's, not a count of rows
        self._add_measure(Measure(func, column=col.id, label=label_of(func, col.name)))
        self.intent.readings.append((f"number of {m.text}", f"{func} of {col.name}"))
        return True

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
        if any(ms.func.endswith("_count") for ms in self.intent.measures) or cue.data == "claimed":
            return
        distinct = any(c.kind == "distinct" and cue.end <= c.i <= cue.end + 1 for c in self.st.cues)
        m = self._free_after(cue.end, BRIDGE | {"distinct", "different", "unique"})
        first = m
        while m is not None and self._adjective(m):
            m = self._free_after(m.end, BRIDGE | {"and", "or"})
        if first is not None and first is not m and self._events_counted(first, m):
            return
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
        elif cand.kind == "column" and self.view.column(cand.target).is_boolean:
            col = self.view.column(cand.target)  # "number of deaths": rows where it is true
            m.role = "filter"
            self._add_measure(Measure("count", table=col.table, label="count"), cue)
            self.intent.filters.append(Filter(col.id, "is true", table=col.table, text=m.text))
        elif cand.kind in ("column", "event"):
            col = self.view.column(cand.target)
            if col.is_temporal or cand.kind == "event":
                m.role = "anchor-count"
                self.entity = self.entity or col.table
                self.context.add(col.table)
                self._add_measure(Measure("count", table=col.table, label="count"), cue)
                m.fields["count_anchor"] = col.id
            elif participle(self.toks[m.end - 1]):
                return  # "how many flights arrived ...": a verb, not a quantity to add up
            elif col.is_numeric and not distinct and col.name not in self.view.key(col.table):
                # "number of units": the sum of a quantity, not a count of its values
                m.role = "measure"
                self._add_measure(Measure("sum", column=col.id, label=label_of("sum", col.name)))
            else:
                m.role = "measure"
                self._add_measure(
                    Measure("count_distinct", column=col.id, label=f"distinct_{col.name}"), cue
                )
        elif cand.kind == "metric":
            m.role = "measure"
            self._add_measure(Measure("metric", metric=cand.target, label=cand.target), cue)

    def _implicit_count(self) -> None:
        """Count the rows of a question that starts with the plural of a state.

        "Deaths per department in 2024", "Cancellations by airline last month"; one that starts
        with a quantity adds it up ("Passengers per airline in Q1 2025").
        """
        asks = ("count", "agg", "share", "rate", "list", "duration", "sort", "rank", "rankadj")
        if any(c.kind in asks for c in self.st.cues) or not self.mentions:
            return
        m = self.mentions[0]
        if any(t.is_word and t.low not in ("the", "all") for t in self.toks[: m.start]):
            return
        best = m.best()
        col = self.view.column(best.target) if best is not None and best.kind == "column" else None
        if not plural_noun(self.toks[m.end - 1]) or self._is_table(m) or best is None:
            return
        if col is not None and col.is_numeric and col.name not in self.view.key(col.table):
            words = self.view.column_words(col)[-1:]
            if words not in (["id"], ["key"], ["no"], ["nr"]) and best.score >= 0.7:
                self.st.cues.insert(0, Cue("agg", m.start, m.start, "sum"))
            return
        # a state or an event ("Deaths", "Cancellations"), not a stored name ("Books under 20"
        # lists books)
        if best.kind in ("state", "event") or (col is not None and col.is_boolean):
            self.st.cues.insert(0, Cue("count", m.start, m.start))

    def _events_counted(self, first: Mention, after: Mention | None) -> bool:
        """A state used as a noun counts its rows: "number of cancellations per reason"."""
        if first.chosen is None or first.chosen.kind not in ("state", "value", "event"):
            return False
        if after is not None and self._is_table(after) and after.start == first.end:
            return False  # "number of cancelled flights": the flights are counted
        table = first.chosen.table
        if table is None or not plural_noun(self.toks[first.end - 1]):
            return False
        self._add_measure(Measure("count", table=table, label=self.view.table(table).name))
        self.intent.readings.append((first.text, f"rows of {table} that are {first.text}"))
        return True

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
        rows = m.chosen.table
        if self.entity is None and rows:
            self.entity = rows
        elif rows and self.entity and self.view.graph.path_up(rows, self.entity) is None:
            rows = self.entity  # the condition is on a table the rows belong to
        self._add_measure(Measure("share", table=rows or self.entity, label="rate"))
        m.fields["share_condition"] = True

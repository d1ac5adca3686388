"""Quantities no column holds but two columns give: durations and ages.

* Between two named events: "days from signup to churn", "hours between order date and ship
  date", "time from admission to discharge".
* Of a row whose table starts and ends ("length of stay", "average stay in hours", "longest
  hospital stay", "stays that lasted longer than 14 days"): from the table's main date to its
  one other date (:meth:`~..view.PlannerView.end_column`); refused when that is not clear.
* Age from a date of birth ("average age", "65 or older"), in whole years as of today.

Each reading is added to the intent's readings so the explanation says how it was computed.
"""

from __future__ import annotations

from neurolake_lab.agents.intent import Filter, Measure
from neurolake_lab.agents.planner.cues import Comparison, Cue
from neurolake_lab.agents.planner.linker import Mention
from neurolake_lab.agents.planner.parse.base import ParserBase, is_year_number
from neurolake_lab.index.model import ColumnInfo

UNITS = {"second": "second", "minute": "minute", "hour": "hour", "day": "day", "week": "week"}
_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800}
_LENGTH = frozenset({"length", "duration", "lasted", "long"})
#: "age at admission", "age on discharge", "age when admitted": an age at an event's date
_AT_EVENT = frozenset({"at", "on", "when", "upon"})
_DATE_GAP = frozenset({"the", "their", "its", "it", "they", "was", "were", "had", "been"})
_AT_GAP = frozenset({"at", "on", "when", "upon", "the", "time", "of", "their", "his", "her"})


def duration_sql(start: ColumnInfo, end: ColumnInfo, unit: str) -> str:
    """SQL (bare column names) for the time from ``start`` to ``end`` in ``unit``s.

    Two dates subtract to whole days (DuckDB has no ``epoch`` of an integer).
    """
    seconds = _SECONDS.get(unit, 86400)
    if start.is_timestamp or end.is_timestamp:
        return f"epoch({end.name} - {start.name}) / {seconds:.1f}"
    days = f"({end.name} - {start.name})"
    return days if unit == "day" else f"{days} * {86400 / seconds:g}"


def age_sql(birth: ColumnInfo) -> str:
    """Completed years from ``birth`` to today."""
    return f"date_part('year', age(current_date::TIMESTAMP, {birth.name}::TIMESTAMP))"


class DerivedMixin(ParserBase):
    """Durations and ages, read before the structure words claim their mentions."""

    def _derived(self) -> None:
        before = set(self.st.taken)
        self._event_durations()
        self._time_to_event()
        self._within()
        self._date_order()
        self._row_durations()
        self._ages()
        used = self.st.taken - before  # "14 days": the unit is the duration's, not a column
        self.mentions = [
            m for m in self.mentions if m.role or any(i not in used for i in range(m.start, m.end))
        ]

    # -- helpers -----------------------------------------------------------------------------

    def _unit_at(self, i: int) -> str | None:
        if 0 <= i < len(self.toks) and i not in self.st.taken:
            return UNITS.get(self.toks[i].stem)
        return None

    def _agg_before(self, i: int) -> Cue | None:
        """The aggregate cue right before token ``i`` (across "number of", articles)."""
        j = i - 1
        while j >= 0 and self.toks[j].low in ("the", "a", "an", "of", "number", "in", *_LENGTH):
            j -= 1
        return next((c for c in self.st.cues_of("agg") if c.end == j + 1), None)

    def _claim(self, cue: Cue | None, *tokens: int) -> str:
        """Take ``cue`` and ``tokens`` out of play; the cue's function (avg without one)."""
        if cue is not None and cue in self.st.cues:
            self.st.cues.remove(cue)
            self.st.taken.update(range(cue.i, cue.end))
        for count in [c for c in self.st.cues_of("count") if c.end in tokens or c.i + 2 in tokens]:
            self.st.cues.remove(count)
            self.st.taken.update(range(count.i, count.end))
        self.st.taken.update(tokens)
        return str(cue.data) if cue is not None else "avg"

    def _temporal(self, m: Mention | None) -> ColumnInfo | None:
        if m is None or m.chosen is None:
            return None
        col = self._temporal_candidate(m)
        return col if isinstance(col, ColumnInfo) else None

    # -- durations ---------------------------------------------------------------------------

    def _event_durations(self) -> None:
        """The time between two named dates: "days from signup to churn"."""
        for i, tok in enumerate(self.toks):
            unit = self._unit_at(i) or ("" if tok.low == "time" else None)
            if unit is None or self._low(i + 1) not in ("from", "between"):
                continue
            first = self._mention_at(i + 2)
            start = self._temporal(first)
            if first is None or start is None or self._low(first.end) not in ("to", "and", "until"):
                continue
            second = self._mention_at(first.end + 1)
            end = self._temporal(second)
            if second is None or end is None or end.id == start.id:
                continue
            unit = unit or self.st.unit or ("hour" if end.is_timestamp else "day")
            func = self._claim(self._agg_before(i), i, i + 1, first.end)
            first.role = second.role = "measure"
            table = self._duration_table(start, end)
            if table is None:
                self.problems.append(f"{start.id} and {end.id} are not dates of one row")
                return
            self._add_measure(Measure(func, duration=(start.id, end.id), unit=unit, table=table,
                                      label=f"{func}_{unit}s"))  # fmt: skip
            self.intent.readings.append(
                (
                    f"{tok.text} from {first.text} to {second.text}",
                    f"{func} of {end.name} - {start.name} in {unit}s",
                )
            )
            return

    def _time_to_event(self) -> None:
        """From the row's start to a named event: "hours to resolve a ticket"."""
        for i, _tok in enumerate(self.toks):
            unit = self._unit_at(i)
            if unit is None or self._low(i + 1) not in ("to", "until", "till"):
                continue
            m = self._mention_at(i + 2)
            end = self._temporal(m)
            start = self.view.start_column(end) if end is not None else None
            if m is None or end is None or start is None:
                continue
            comp = next((c for c in self.st.comparisons if c.end == i), None)
            if comp is not None:
                # "tickets took more than 3 days to resolve": a condition on the time, no measure
                m.role = "filter"
                self.entity = self.entity or end.table
                self.st.taken.update((i + 1,))
                self._duration_filter(comp, start, end)
                return
            func = self._claim(self._agg_before(i), i, i + 1)
            m.role = "measure"
            self.entity = self.entity or end.table
            self._add_measure(Measure(func, duration=(start.id, end.id), unit=unit,
                                      table=end.table, label=f"{func}_{unit}s"))  # fmt: skip
            self.intent.readings.append(
                (f"{self.toks[i].text} to {m.text}", f"{func} of {end.name} - {start.name}")
            )
            return

    def _within(self) -> None:
        """An event within a time of the row's start: "tickets resolved within 24 hours"."""
        for i, tok in enumerate(self.toks):
            if tok.low != "within" or i in self.st.taken:
                continue
            value = self.toks[i + 1].value if i + 1 < len(self.toks) else None
            unit = self._unit_at(i + 2)
            m = self._before(i, frozenset())
            end = self._temporal(m)
            start = self.view.start_column(end) if end is not None else None
            if value is None or unit is None or m is None or end is None or start is None:
                continue
            m.role = "filter"
            self.entity = self.entity or end.table
            self.st.taken.update(range(i, i + 3))
            cond = f"{duration_sql(start, end, unit)} <= {value:g}"
            text = f"{m.text} within {value:g} {unit}s"
            self.intent.filters.append(Filter(None, "sql", sql=cond, table=end.table, text=text))
            self.intent.readings.append((text, f"{end.name} - {start.name} <= {value:g} {unit}s"))

    def _date_order(self) -> None:
        """One date of a row after (or before) another of the same row.

        "received after the commit date"; "received more than 20 days after they shipped".
        """
        for i, tok in enumerate(self.toks):
            if tok.low not in ("after", "before") or i in self.st.taken:
                continue
            comp = next((c for c in self.st.comparisons if c.end + 1 == i), None)
            unit = self._unit_at(comp.end) if comp is not None else None
            left_end = comp.start if comp is not None and unit is not None else i
            first = self._before(left_end, frozenset({"was", "were", "is", "are", "been"}))
            second = self._next_mention(i + 1, _DATE_GAP)
            a, b = self._temporal(first), self._temporal(second)
            if first is None or second is None or a is None or b is None:
                continue
            if a.id == b.id or a.table != b.table:
                continue
            op = ">" if tok.low == "after" else "<"
            if comp is not None and unit is not None:
                self.st.comparisons.remove(comp)
                self.st.taken.update(range(comp.start, comp.end + 1))
                later, sooner = (a, b) if op == ">" else (b, a)
                cond = f"{duration_sql(sooner, later, unit)} {comp.op} {comp.value:g}"
            else:
                cond = f"{a.name} {op} {b.name}"
            first.role = second.role = "filter"
            self.st.taken.add(i)
            self.entity = self.entity or a.table
            text = " ".join(t.text for t in self.toks[first.start : second.end])
            self.intent.filters.append(Filter(None, "sql", sql=cond, table=a.table, text=text))
            self.intent.readings.append((text, cond))

    def _duration_table(self, start: ColumnInfo, end: ColumnInfo) -> str | None:
        """The table whose rows carry both dates (one is reached from the other's table)."""
        graph = self.view.graph
        if graph.path_up(end.table, start.table) is not None:
            return end.table
        if graph.path_up(start.table, end.table) is not None:
            return start.table
        return None

    def _row_durations(self) -> None:
        """The length of rows: "length of stay", "average stay in hours", "lasted 14 days"."""
        for m in self.mentions:
            best = m.best(("table",))
            if best is None or m.best() is not best:
                continue
            near = {self._low(m.start - 1), self._low(m.start - 2), self._low(m.end)}
            cue = self._agg_before(m.start)
            lasted = self._duration_comparison(m)
            if not (near & _LENGTH or (cue is not None and self.st.unit) or lasted):
                continue
            span = self.view.duration_columns(best.target)
            if span is None:
                if near & _LENGTH or lasted:
                    self.problems.append(
                        f"{m.text!r}: {best.target} has no clear start and end date to measure"
                    )
                return
            start, end = span
            m.chosen = best
            m.role = m.role or "entity"
            self.entity = self.entity or best.target
            for j in (m.start - 1, m.start - 2, m.end):
                if self._low(j) in _LENGTH:
                    self.st.taken.add(j)
            if lasted is not None:
                self._duration_filter(lasted, start, end)
                continue
            unit = self.st.unit or ("hour" if end.is_timestamp else "day")
            func = self._claim(cue)
            self._add_measure(Measure(func, duration=(start.id, end.id), unit=unit,
                                      table=best.target, label=f"{func}_{unit}s"))  # fmt: skip
            self.intent.readings.append(
                (m.text, f"{func} time from {start.name} to {end.name} in {unit}s")
            )

    def _duration_comparison(self, m: Mention) -> Comparison | None:
        """A comparison of a row's length: "stays lasted longer than 14 days"."""
        windows = {j for w in self.st.windows for j in range(w.start, w.end)}
        for comp in self.st.comparisons:
            # "stays in Q1 2025 lasted longer than a week": a time window may sit between
            gap = [t.low for t in self.toks[m.end : comp.start] if t.i not in windows]
            if len(gap) <= 2 and ((gap and gap[-1] in ("lasted", "took")) or comp.text.startswith(
                    ("longer", "shorter"))) and self._unit_at(comp.end) is not None:  # fmt: skip
                return comp
        return None

    def _duration_filter(self, comp: Comparison, start: ColumnInfo, end: ColumnInfo) -> None:
        unit = self._unit_at(comp.end) or "day"
        self.st.comparisons.remove(comp)
        self.st.taken.update(range(comp.start - 1, comp.end + 1))
        cond = f"{duration_sql(start, end, unit)} {comp.op} {comp.value:g}"
        self.intent.filters.append(Filter(None, "sql", sql=cond, table=start.table,
                                          text=comp.text))  # fmt: skip
        self.intent.readings.append((comp.text, f"{end.name} - {start.name} {comp.op} "
                                                f"{comp.value:g} {unit}s"))  # fmt: skip

    # -- ages --------------------------------------------------------------------------------

    def _event_after_age(self, i: int) -> int | None:
        """Where an "at"/"on"/"when" naming a date follows "age"; None: the age is today's.

        Right after it ("age at admission") or after its rows ("age of patients at admission").
        """
        if self._low(i + 1) in _AT_EVENT:
            return i + 1
        for j in range(i + 2, min(i + 6, len(self.toks))):
            if self.toks[j].kind == "punct":
                return None
            if self._low(j) in _AT_EVENT and self._temporal(self._next_mention(j + 1, _AT_GAP)):
                return j
        return None

    def _age_at_event(self, i: int, func: str, birth: ColumnInfo) -> None:
        """An age when something happened ("age at admission"): from birth to that date.

        The rows measured are the event's (one age per admission), joined to the date of
        birth; an event the schema has no date for is refused, never read as today's age.
        """
        m = self._next_mention(i + 1, _AT_GAP)
        event = self._temporal(m)
        reach = event is not None and (
            event.table == birth.table
            or self.view.graph.path_up(event.table, birth.table) is not None
        )
        if m is None or event is None or not reach:
            what = m.text if m is not None else self._low(i + 1)
            self.problems.append(f"'age {self._low(i)} {what}': no date of that event to "
                                 f"tell an age from")  # fmt: skip
            return
        self.st.taken.update(range(i, m.start))
        m.role = "measure"
        event_table = self.view.table(event.table).name
        birth_table = self.view.table(birth.table).name
        expression = (f"date_part('year', age({event_table}.{event.name}::TIMESTAMP, "
                      f"{birth_table}.{birth.name}::TIMESTAMP))")  # fmt: skip
        self._add_measure(Measure(func, expression=expression, table=event.table,
                                  label=f"{func}_age"))  # fmt: skip
        self.intent.readings.append(
            (f"age {self._low(i)} {m.text}",
             f"whole years from {birth.name} to {event.name}, per {event.table} row")
        )  # fmt: skip
        self.entity = self.entity or event.table

    def _year_age(self, comp: Comparison) -> None:
        """Compare an age with a column holding a year ("aircraft older than 20 years")."""
        tables = [self.entity] if self.entity else []
        tables += [m.chosen.table for m in self.mentions if m.chosen and m.chosen.table]
        col = next((c for t in dict.fromkeys(x for x in tables if x)
                    for c in self.view.table(t).columns if is_year_number(c)), None)  # fmt: skip
        self.st.comparisons.remove(comp)
        self.st.taken.update(range(comp.start, comp.end + 1))
        if col is None:
            self.problems.append(f"{comp.text!r}: no date of birth or year to tell an age from")
            return
        # older than N years: made before this year - N (as of today)
        op = {">": "<", ">=": "<=", "<": ">", "<=": ">="}.get(comp.op, comp.op)
        cond = f"{col.name} {op} year(current_date) - {comp.value:g}"
        self.intent.filters.append(Filter(None, "sql", sql=cond, table=col.table, text=comp.text))
        self.intent.readings.append((comp.text, f"{cond} (years since {col.name}, as of today)"))
        self.entity = self.entity or col.table

    def _ages(self) -> None:
        ages = [i for i, t in enumerate(self.toks) if t.low == "age" and i not in self.st.taken]
        hinted = [c for c in self.st.comparisons if c.hint == "age"]
        if not ages and not hinted:
            return
        birth = self._birth_column()
        if birth is None:
            for comp in hinted:
                self._year_age(comp)
            return  # "age" stays unknown: the planner refuses
        for i in ages:
            cue = self._agg_before(i)
            func = self._claim(cue, i) if cue is not None else None
            if func is None:
                continue
            at = self._event_after_age(i)
            if at is not None:
                self._age_at_event(at, func, birth)
                continue
            self._add_measure(Measure(func, expression=age_sql(birth), table=birth.table,
                                      label=f"{func}_age"))  # fmt: skip
            self.intent.readings.append(("age", f"whole years since {birth.name}, as of today"))
            self.entity = self.entity or birth.table
        for comp in hinted:
            self.st.comparisons.remove(comp)
            self.age_filter(comp, birth)

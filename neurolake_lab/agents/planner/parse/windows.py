"""Time: which date column each time window applies to, and time grains ("per month")."""

from __future__ import annotations

import re

from neurolake_lab.agents.intent import Filter, GroupKey, Relation, TimeWindow
from neurolake_lab.agents.planner.parse.base import ANCHOR_GAP, BRIDGE, ParserBase
from neurolake_lab.agents.planner.timewindow import WindowMatch
from neurolake_lab.index.model import ColumnInfo
from neurolake_lab.llm import lexicon

_YEAR = re.compile(r"DATE '(\d{4})-01-01'")


def _is_year_number(col: ColumnInfo) -> bool:
    """An integer column holding a calendar year (``mfg_yr``, "Year the aircraft was built")."""
    words = lexicon.words(col.name) + lexicon.words(col.description)[:3]
    return col.is_numeric and not col.is_temporal and any(w in ("year", "yr") for w in words)


class WindowsMixin(ParserBase):
    """Time windows and grains."""

    def _windows(self) -> None:
        for w in self.st.windows:
            if self._year_number(w):
                continue
            window = TimeWindow(None, w.lower, w.upper, w.text)
            anchor = self._anchor_for(w.start) or self._anchor_after(w.end) or self._only_event()
            target: Relation | None = None
            if anchor is not None:
                window.column = anchor
                window.explicit_column = True
                table = anchor.rpartition(".")[0]
                target = self._relation_for(table) or self._child_relation(table, w.text)
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

    def _year_number(self, w: WindowMatch) -> bool:
        """Compare a window with a column that holds a year as a number.

        "aircraft built before 2005" is ``mfg_yr < 2005``; refused unless it is whole years.
        """
        m = self._before(w.start, ANCHOR_GAP)
        if m is None or m.role not in ("", "verb", "projection") or m.chosen is None:
            return False
        cand = next((c for c in m.candidates if c.kind == "column"
                     and _is_year_number(self.view.column(c.target))), None)  # fmt: skip
        if cand is None or self._temporal_candidate(m) is not None:
            return False
        col = self.view.column(cand.target)
        bounds = [_YEAR.fullmatch(b) if b else None for b in (w.lower, w.upper)]
        if any(b is None and raw for b, raw in zip(bounds, (w.lower, w.upper), strict=True)):
            self.problems.append(f"{w.text!r}: {col.id} holds a year number, and only whole "
                                 "years can be compared with it")  # fmt: skip
            return True
        if m.role == "projection":
            self.intent.projections = [p for p in self.intent.projections if p != cand.target]
        m.role, m.chosen = "comparison", cand
        years = [int(b.group(1)) if b else None for b in bounds]
        if years[0] is not None and years[1] == years[0] + 1:
            conditions = [("=", years[0])]  # "in 2010"
        else:
            conditions = [(op, y) for op, y in zip((">=", "<"), years, strict=True) if y]
        text = f"{m.text} {w.text}"
        for op, year in conditions:
            self.intent.filters.append(Filter(col.id, op, year, table=col.table, text=text))
        self.intent.readings.append((text, " and ".join(f"{col.name} {op} {y}"
                                                        for op, y in conditions)))  # fmt: skip
        return True

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
            if m.chosen.kind == "state" and m.chosen.value != "is not null":
                continue  # "cancelled" as "no departure time" or a flag: not a date to window on
            chosen = self.view.snapshot.column(m.chosen.target)
            if chosen is not None and not chosen.is_temporal:
                continue  # the word was read as something else than this event's date
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
        m = self._before(start, ANCHOR_GAP)
        while m is not None and m.role in ("filter",) and m.chosen and m.chosen.kind == "value":
            m = self._before(m.start, BRIDGE)
        if m is None:
            return None
        if m.fields.get("count_anchor"):
            return str(m.fields["count_anchor"])
        if m.chosen is not None and m.chosen.kind == "table":
            return None  # "vacation requests this year": the table's main date
        chosen = m.chosen
        if chosen is not None and chosen.kind == "state" and chosen.value != "is not null":
            return None  # "cancelled last month" (no departure time): the rows' own date
        if (
            chosen is not None
            and chosen.kind == "column"
            and self.view.column(chosen.target).is_boolean
        ):
            return None
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
            m = self._next_mention(pos + 1, BRIDGE) or self._before(pos, BRIDGE)
            if m is not None:
                col = self._event_date(m)
                if col is not None:
                    anchor = col.id
                    if m.role in ("", "projection", "verb", "anchor"):
                        m.role = "anchor"
                        if not self.intent.measures and col.table:
                            self.entity = self.entity or col.table
            if anchor is None and self.intent.window is not None:
                anchor = self.intent.window.column
            self.intent.grouping.insert(0, GroupKey(column=anchor, grain=grain, text=grain))

"""Time windows in the SQL: the date column a window is on, anchored to the data's latest date.

Relative windows ("last month") on data that ends in the past count back from the latest date
of the column they filter, and say so in a note; rows with no date of their own take the window
through child rows that have one ("products sold last month").
"""

from __future__ import annotations

from neurolake_lab.agents.intent import Intent, Relation, TimeWindow
from neurolake_lab.agents.planner.query import Query
from neurolake_lab.agents.planner.view import PlannerView
from neurolake_lab.exceptions import PlanningError


class WindowSql:
    """The window methods of the SQL generator (``it``, ``view`` and ``notes`` are its own)."""

    it: Intent
    view: PlannerView
    notes: list[str]

    def _window(self, q: Query, w: TimeWindow, table: str) -> list[str]:
        column = w.column or self._window_column(table)
        try:
            col = q.col(column)
        except PlanningError:
            raise PlanningError(
                f"the time window {w.text!r} was read as {column}, which is not a date of "
                f"{q.fact} or of a table it belongs to",
                suggestions=[c for c in [self._dated(q.fact)] if c] + [column],
            ) from None
        w.column = column
        start, end = w.start, w.end
        relative = any("current_date" in b for b in (start, end) if b)
        anchor = self.view.anchor(column) if relative else None
        if anchor is not None:
            today = f"DATE '{anchor.isoformat()}'"
            start = start.replace("current_date", today) if start else start
            end = end.replace("current_date", today) if end else end
            w.start, w.end = start, end  # the explanation shows the dates it was read as
            note = (
                f"{w.text!r} read relative to the latest {_short(column)} in the data, "
                f"{anchor.isoformat()} (the data ends before today)"
            )
            if note not in self.notes:
                self.notes.append(note)
        out = []
        if start:
            out.append(f"{col} >= {start}")
        if end:
            out.append(f"{col} < {end}")
        return out

    def _dated(self, table: str) -> str | None:
        for t in self.view.graph.reachable_up(table):
            main = self.view.main_date(t)
            if main is not None:
                return main.id
        return None

    def _window_through_child(self, window: TimeWindow) -> None:
        """Put a window on rows with no date of their own through child rows that have one.

        Products sold last month are those with order lines in last month's orders.
        """
        entity = self.it.entity or ""
        for edge in self.view.graph.children(entity):
            if self._dated(edge.child) is not None:
                rel = Relation(edge.child, window=window, text=window.text)
                self.it.relations.append(rel)
                self.it.window = None
                self.notes.append(f"{window.text} read through {edge.child}")
                return
        self._window_column(entity)  # raises: nothing dated to read it through

    def _window_column(self, table: str) -> str:
        found = self._dated(table)
        if found is not None:
            return found
        raise PlanningError(
            f"{table} has no date column for the time window",
            suggestions=[c.id for c in self.view.table(table).columns][:6],
        )


def _short(column_id: str) -> str:
    return column_id.rpartition(".")[2]

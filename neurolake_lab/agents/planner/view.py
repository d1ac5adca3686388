"""``PlannerView``: the schema as the planner reads it, built once per schema and definitions.

It bundles the index's tables, the semantic definitions, the phrase index for linking, the
foreign-key graph, and small judgements about tables that the planner makes again and again
(which date column is a table's main one, which column labels its rows, which numeric column
a bare comparison means). A value the index did not sample (a city, a quoted name) can be
looked up in the data itself through :meth:`PlannerView.probe_value`, never for PII columns.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from neurolake_lab.agents.planner.graph import JoinGraph, column_prefix
from neurolake_lab.agents.planner.phrases import PhraseIndex
from neurolake_lab.agents.planner.probe import DataProbe
from neurolake_lab.agents.planner.semantics import Semantics, load_semantics, read_workspace_file
from neurolake_lab.index.model import ColumnInfo, SchemaSnapshot, TableInfo
from neurolake_lab.llm import lexicon

if TYPE_CHECKING:
    from neurolake_lab.context import QueryContext

_LABEL_WORDS = ("name", "title", "label")
_START_WORDS = frozenset(
    {
        "open",
        "opened",
        "create",
        "created",
        "start",
        "started",
        "begin",
        "placed",
        "submitted",
        "requested",
        "received",
        "sent",
        "ordered",
        "signup",
        "registered",
        "hire",
        "hired",
        "issued",
        "logged",
    }
)
#: Data whose latest date is older than this many days "ends in the past".
STALE_DAYS = 7
_MAIN_DATE_AVOID = re.compile(r"birth|dob|expir|deleted|updated|modified|load", re.IGNORECASE)


@dataclass
class PlannerView:
    """The tables, definitions, phrase index and join graph the planner works with."""

    snapshot: SchemaSnapshot
    semantics: Semantics
    phrases: PhraseIndex
    graph: JoinGraph
    query: QueryContext | None = None
    probe: DataProbe | None = None
    _fresh: dict[str, bool] = field(default_factory=dict)

    def table(self, table_id: str) -> TableInfo:
        """The table (it must exist)."""
        found = self.snapshot.table(table_id)
        assert found is not None, table_id
        return found

    def column(self, column_id: str) -> ColumnInfo:
        """The column (it must exist)."""
        found = self.snapshot.column(column_id)
        assert found is not None, column_id
        return found

    def main_date(self, table_id: str) -> ColumnInfo | None:
        """The date column a time window means when none is named ("orders last month").

        The first date/timestamp column that is not PII, not a birth/expiry/audit date, and
        not NULL-able if a non-NULL one exists (a row's creation time is always set).
        """
        cols = [
            c
            for c in self.table(table_id).columns
            if c.is_temporal and not c.is_pii and not _MAIN_DATE_AVOID.search(c.name)
        ]
        required = [c for c in cols if not c.nullable]
        if required:
            return required[0]
        starts = [c for c in cols if any(w in _START_WORDS for w in lexicon.words(c.name))]
        found = starts or cols
        return found[0] if found else None

    def start_column(self, end: ColumnInfo) -> ColumnInfo | None:
        """The column a duration ending at ``end`` starts from (the table's creation time)."""
        others = [
            c
            for c in self.table(end.table).columns
            if c.is_temporal and c.name != end.name and not c.is_pii
        ]
        named = [c for c in others if any(w in _START_WORDS for w in lexicon.words(c.name))]
        required = [c for c in others if not c.nullable]
        found = named or required or others
        return found[0] if found else None

    def duration_columns(self, table_id: str) -> tuple[ColumnInfo, ColumnInfo] | None:
        """(start, end) of a table whose rows last a while, or None when that is not clear.

        Its main date and its one other date or timestamp (a stay's admission and discharge).
        """
        start = self.main_date(table_id)
        if start is None:
            return None
        others = [
            c
            for c in self.table(table_id).columns
            if c.is_temporal and c.name != start.name and not c.is_pii
        ]
        return (start, others[0]) if len(others) == 1 else None

    def column_words(self, col: ColumnInfo) -> list[str]:
        """A column's name as words: table prefix set aside, concatenations split."""
        prefix = column_prefix(self.table(col.table))
        bare = col.name[len(prefix) :] if prefix and col.name.startswith(prefix) else col.name
        return self.phrases.name_words(bare)

    def label(self, table_id: str) -> ColumnInfo | None:
        """A non-PII text column that names a row (``product_name``), if the table has one."""
        for col in self.table(table_id).columns:
            words = lexicon.words(col.name)
            if col.is_text and not col.is_pii and words and words[-1] in _LABEL_WORDS:
                return col
        return None

    def key(self, table_id: str) -> tuple[str, ...]:
        """The table's key (declared or inferred), else a column named ``id``/``<table>_id``."""
        table = self.table(table_id)
        if self.graph.keys.get(table_id):
            return self.graph.keys[table_id]
        for col in table.columns:
            words = lexicon.words(col.name)
            if words and words[-1] == "id":
                return (col.name,)
        return ()

    def probe_value(self, text: str, tables: tuple[str, ...]) -> list[tuple[str, str]]:
        """Columns of ``tables`` whose data holds ``text`` (case-insensitive): (column id, value).

        Looks only at non-PII text columns that the index did not sample (sampled ones are
        matched from the index), with one query per table; results are cached per view.
        """
        if self.probe is None:
            return []
        found: list[tuple[str, str]] = []
        for tid in tables:
            cols = [c for c in self.table(tid).columns if not c.samples]
            found += self.probe.values(text, tid, cols)
        return found

    def anchor(self, column_id: str) -> dt.date | None:
        """The date "today" means for windows on ``column_id`` (None: today itself).

        Its latest date, when the data of its namespace ends in the past (the newest main date
        of its tables is more than :data:`STALE_DAYS` before today).
        """
        if self.probe is None:
            return None
        col = self.column(column_id)
        namespace = col.table.rpartition(".")[0]
        if namespace not in self._fresh:
            newest = [
                self.probe.latest(t.id, main.name)
                for t in self.snapshot.tables.values()
                if t.namespace == namespace and (main := self.main_date(t.id)) is not None
            ]
            dates = [d for d in newest if d is not None]
            today = dt.datetime.now(dt.UTC).date()
            self._fresh[namespace] = not dates or max(dates) >= today - dt.timedelta(STALE_DAYS)
        if self._fresh[namespace]:
            return None
        return self.probe.latest(col.table, col.name)


_CACHE: OrderedDict[tuple[str, str, float], PlannerView] = OrderedDict()


def planner_view(
    snapshot: SchemaSnapshot, workspace: Path | None, query: QueryContext | None = None
) -> PlannerView:
    """The view of ``snapshot`` (cached by its key and the workspace definitions' version)."""
    mtime = 0.0
    if workspace is not None:
        for name in ("semantics.yaml", "semantics.yml", "semantics.json"):
            try:
                mtime = (workspace / name).stat().st_mtime
                break
            except OSError:
                continue
        read_workspace_file(workspace)
    key = (snapshot.key, str(workspace), mtime)
    view = _CACHE.get(key)
    if view is None or view.query is not query:
        semantics = load_semantics(snapshot, workspace)
        probe = DataProbe(query.engine.con, query.governed_sql) if query is not None else None
        view = PlannerView(
            snapshot,
            semantics,
            PhraseIndex(snapshot, semantics),
            JoinGraph(snapshot, probe),
            query,
            probe,
        )
        _CACHE[key] = view
        while len(_CACHE) > 8:
            _CACHE.popitem(last=False)
    return view

"""``PlannerView``: the schema as the planner reads it, built once per schema and definitions.

It bundles the index's tables, the semantic definitions, the phrase index for linking, the
foreign-key graph, and small judgements about tables that the planner makes again and again
(which date column is a table's main one, which column labels its rows, which numeric column
a bare comparison means). A value the index did not sample (a city, a quoted name) can be
looked up in the data itself through :meth:`PlannerView.probe_value`, never for PII columns.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from neurolake_lab.agents.planner.graph import JoinGraph
from neurolake_lab.agents.planner.linker import PhraseIndex
from neurolake_lab.agents.planner.semantics import Semantics, load_semantics, read_workspace_file
from neurolake_lab.index.model import ColumnInfo, SchemaSnapshot, TableInfo
from neurolake_lab.index.samples import quote_ident, table_ref
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
_MAIN_DATE_AVOID = re.compile(r"birth|dob|expir|deleted|updated|modified|load", re.IGNORECASE)


@dataclass
class PlannerView:
    """The tables, definitions, phrase index and join graph the planner works with."""

    snapshot: SchemaSnapshot
    semantics: Semantics
    phrases: PhraseIndex
    graph: JoinGraph
    query: QueryContext | None = None
    _probes: dict[tuple[str, tuple[str, ...]], list[tuple[str, str]]] = field(default_factory=dict)

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

    def label(self, table_id: str) -> ColumnInfo | None:
        """A non-PII text column that names a row (``product_name``), if the table has one."""
        for col in self.table(table_id).columns:
            words = lexicon.words(col.name)
            if col.is_text and not col.is_pii and words and words[-1] in _LABEL_WORDS:
                return col
        return None

    def key(self, table_id: str) -> tuple[str, ...]:
        """The table's primary key, else a column named ``id``/``<table>_id``, else ()."""
        table = self.table(table_id)
        if table.primary_key:
            return table.primary_key
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
        key = (text.casefold(), tables)
        if key in self._probes:
            return self._probes[key]
        found: list[tuple[str, str]] = []
        query = self.query
        if query is not None:
            for tid in tables:
                cols = [
                    c
                    for c in self.table(tid).columns
                    if c.is_text and not c.is_pii and not c.samples
                ]
                if not cols:
                    continue
                conds = " OR ".join(f"lower({quote_ident(c.name)}) = lower($v)" for c in cols)
                picks = ", ".join(
                    f"max(CASE WHEN lower({quote_ident(c.name)}) = lower($v) "
                    f"THEN {quote_ident(c.name)} END)"
                    for c in cols
                )
                row = query.engine.con.execute(
                    f"SELECT {picks} FROM {table_ref(tid)} WHERE {conds}", {"v": text}
                ).fetchone()
                for col, value in zip(cols, row or (), strict=False):
                    if value is not None:
                        found.append((col.id, str(value)))
        self._probes[key] = found
        return found


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
        view = PlannerView(
            snapshot, semantics, PhraseIndex(snapshot, semantics), JoinGraph(snapshot), query
        )
        _CACHE[key] = view
        while len(_CACHE) > 8:
            _CACHE.popitem(last=False)
    return view

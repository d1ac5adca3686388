"""Column PII tags of Iceberg tables: classified on write, stored as a table property.

Classification runs when a table is created or gains columns: a write hook keeps a small sample of
the rows of columns that have no tag yet, and after the commit :meth:`PiiTagger.flush` classifies
the sample with Presidio and stores the tags in the table property ``neurolake.pii`` (JSON,
column → tag), where every kernel, the metadata index and the policies read them. A tag set by a
user (``source="override"``) is never replaced by detection. Columns whose sample held only NULLs
get no tag yet, so the next write with values classifies them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from neurolake_lab.compliance.pii.tags import PiiTag

if TYPE_CHECKING:
    import pyarrow as pa
    from pyiceberg.catalog import Catalog

    from neurolake_lab.lakehouse.statements import TableId
    from neurolake_lab.lakehouse.tables import WriteContext

PROPERTY = "neurolake.pii"
SAMPLE_ROWS = 200


def read_tags(properties: Mapping[str, str]) -> dict[str, PiiTag]:
    """The tags stored in a table's properties (empty when it was never classified)."""
    text = properties.get(PROPERTY)
    if not text:
        return {}
    return {col: PiiTag.from_json(tag) for col, tag in json.loads(text).items()}


def tags_json(tags: Mapping[str, PiiTag]) -> str:
    """The property value for ``tags``."""
    return json.dumps({col: tag.to_json() for col, tag in sorted(tags.items())}, sort_keys=True)


class PiiTagger:
    """Collects samples of untagged columns during writes and tags them after the commit."""

    def __init__(
        self,
        catalog: Callable[[], Catalog],
        current_tags: Callable[[TableId], dict[str, PiiTag]],
    ) -> None:
        self._catalog = catalog
        self._current_tags = current_tags
        self.pending: dict[TableId, tuple[pa.Table, dict[str, str]]] = {}

    def hook(self, tid: TableId, data: pa.Table, ctx: WriteContext) -> pa.Table:
        """A lakehouse write hook: remember a sample of the columns that have no tag yet."""
        from neurolake_lab.compliance.pii.classifier import sample_rows

        known = self._current_tags(tid)
        new = [c for c in data.column_names if c not in known and not c.startswith("_")]
        if new and data.num_rows:
            sample = sample_rows(data.select(new), SAMPLE_ROWS, seed=0)
            previous = self.pending.get(tid)
            if previous is not None:  # two writes in one cell: keep the wider sample
                sample = sample if sample.num_columns >= previous[0].num_columns else previous[0]
            self.pending[tid] = (sample, {})
        return data

    def flush(
        self, docs_of: Callable[[TableId], dict[str, str]]
    ) -> dict[TableId, dict[str, PiiTag]]:
        """Classify the pending samples and store the new tags; the tags added per table."""
        from neurolake_lab.compliance.pii import classify_table

        added: dict[TableId, dict[str, PiiTag]] = {}
        pending, self.pending = self.pending, {}
        for tid, (sample, _) in pending.items():
            found = classify_table(
                sample, column_docs=docs_of(tid), table_name=f"{tid[0]}.{tid[1]}"
            )
            non_empty = {
                c for c in sample.column_names if sample.column(c).null_count < len(sample)
            }
            new = {c: tag for c, tag in found.items() if c in non_empty}
            if new:
                added[tid] = new
                self.store(tid, new, replace_overrides=False)
        return added

    def store(self, tid: TableId, tags: Mapping[str, PiiTag], *, replace_overrides: bool) -> None:
        """Merge ``tags`` into the table's stored tags (overrides win unless replaced)."""
        from pyiceberg.exceptions import NoSuchTableError

        from neurolake_lab.lakehouse.tables import quiet_pyiceberg

        try:
            table = self._catalog().load_table(tid)
        except NoSuchTableError:
            return
        current = read_tags(table.properties)
        for column, tag in tags.items():
            old = current.get(column)
            if old is not None and old.source == "override" and not replace_overrides:
                continue
            current[column] = tag
        columns = {f.name for f in table.schema().fields}
        current = {c: t for c, t in current.items() if c in columns}
        with quiet_pyiceberg():
            table.transaction().set_properties({PROPERTY: tags_json(current)}).commit_transaction()


def tag_rows(tags: Mapping[str, PiiTag]) -> list[dict[str, Any]]:
    """Tags as rows for a table display (``%pii``)."""
    return [
        {
            "column": column,
            "entity": tag.entity,
            "entities": ", ".join(tag.entities) or None,
            "category": tag.category,
            "score": round(tag.score, 3),
            "free_text": tag.free_text,
            "source": tag.source,
        }
        for column, tag in tags.items()
    ]

"""Column PII tags of Iceberg tables: classified on write, stored as a table property.

Classification runs when a table is created or gains columns: the write hook classifies a small
sample of the rows of columns that have no tag yet (Presidio) and the tags go into the table
property ``neurolake.pii`` (JSON, column → tag) in the same commit as the data, where every
kernel, the metadata index and the policies read them. A tag set by a user
(``source="override"``) is never replaced by detection. Columns whose sample held only NULLs get
no tag yet, so the next write with values classifies them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from neurolake_lab.compliance.pii.tags import PiiTag

if TYPE_CHECKING:
    import pyarrow as pa
    from pyiceberg.catalog import Catalog

    from neurolake_lab.lakehouse.statements import TableId
    from neurolake_lab.lakehouse.tables import WriteContext

PROPERTY = "neurolake.pii"
METRICS_PREFIX = "write.metadata.metrics.column."
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
    """Classifies the new columns of every write and stores the tags with the same commit."""

    def __init__(
        self, catalog: Callable[[], Catalog], phone_regions: Sequence[str] | None = None
    ) -> None:
        self._catalog = catalog
        self.phone_regions = phone_regions

    def hook(
        self, tid: TableId, data: pa.Table, ctx: WriteContext, properties: Mapping[str, str]
    ) -> tuple[pa.Table, dict[str, str]]:
        """A lakehouse write hook: tag the columns that have no tag yet, from a sample of ``data``.

        The tags, and a metrics mode that keeps the values of PII columns out of Iceberg's
        manifests (their min/max bounds), are table properties committed with the data.
        """
        from neurolake_lab.compliance.pii import classify_table
        from neurolake_lab.compliance.pii.classifier import sample_rows

        known = read_tags(properties)
        carried = {
            column: PiiTag.from_json(tag)
            for column, tag in ctx.carried_tags.items()
            if column in data.column_names
            and (known.get(column) is None or known[column].source != "override")
            and (known.get(column) is None or known[column].entity != tag.get("entity"))
        }
        new = [c for c in data.column_names if c not in known and not c.startswith("_")]
        new = [c for c in new if c not in carried]
        if (not new or not data.num_rows) and not carried:
            return data, {}
        if not new or not data.num_rows:
            return data, tag_properties({**known, **carried})
        sample = sample_rows(data.select(new), SAMPLE_ROWS, seed=0)
        non_empty = [c for c in new if sample.column(c).null_count < sample.num_rows]
        if not non_empty:  # only NULLs so far: the next write with values decides
            return data, tag_properties({**known, **carried}) if carried else {}
        found = classify_table(
            sample.select(non_empty),
            column_docs=_docs(data, properties),
            table_name=f"{tid[0]}.{tid[1]}",
            phone_regions=self.phone_regions,
        )
        return data, tag_properties({**known, **found, **carried})

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
            table.transaction().set_properties(tag_properties(current)).commit_transaction()


def tag_properties(tags: Mapping[str, PiiTag]) -> dict[str, str]:
    """The table properties that store ``tags``.

    Besides the tags, each PII column gets the metrics mode ``counts``, so that Iceberg's
    manifests never hold its values as min/max bounds.
    """
    props = {PROPERTY: tags_json(tags)}
    for column, tag in tags.items():
        mode = "counts" if tag.entity else "truncate(16)"
        props[f"{METRICS_PREFIX}{column}"] = mode
    return props


def _docs(data: pa.Table, properties: Mapping[str, str]) -> dict[str, str]:
    """Column docs carried in the Arrow schema (a new table's docs are there)."""
    docs = {}
    for f in data.schema:
        doc = (f.metadata or {}).get(b"doc")
        if doc:
            docs[f.name] = doc.decode()
    return docs


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

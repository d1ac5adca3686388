"""Column PII tags of Iceberg tables: classified on write, stored as a table property.

Classification runs when a table is created or gains columns: the write hook classifies a small
sample of the rows of columns that have no tag yet (Presidio) and the tags go into the table
property ``neurolake.pii`` in the same commit as the data, where every kernel, the metadata index
and the policies read them. A tag set by a user (``source="override"``) or carried by a write
from the PII columns it copied (``source="carried"``) is never replaced by detection. Columns
whose sample held only NULLs get no tag yet, so the next write with values classifies them.

Tags are bound to Iceberg field ids (``{"version": 2, "fields": {"<id>": tag}}``), not to names:
a renamed column or one whose type changed keeps its tag, and a dropped column's tag stays for the
old snapshots that still hold it. ``read_tags(properties, field_ids)`` gives the tags by the names
of the schema a statement reads (the current one, or an old snapshot's for time travel). Tags
stored by name (the first format) are read by name until the next write binds them to ids.
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
FORMAT = 2


def stored_tags(properties: Mapping[str, str]) -> tuple[dict[int, PiiTag], dict[str, PiiTag]]:
    """The stored tags: ``(by field id, by name)`` — the second only for the first format."""
    text = properties.get(PROPERTY)
    if not text:
        return {}, {}
    data = json.loads(text)
    if isinstance(data, dict) and data.get("version") == FORMAT:
        return {int(k): PiiTag.from_json(t) for k, t in (data.get("fields") or {}).items()}, {}
    return {}, {col: PiiTag.from_json(tag) for col, tag in data.items()}


def read_tags(
    properties: Mapping[str, str], field_ids: Mapping[str, int] | None = None
) -> dict[str, PiiTag]:
    """The tags of the columns of a schema (``field_ids``: its names → ids), by column name.

    Without ``field_ids`` the names are those the tags were stored under.
    """
    by_id, by_name = stored_tags(properties)
    if field_ids is None:
        names = _stored_names(properties)
        return {**by_name, **{names.get(i, str(i)): t for i, t in by_id.items()}}
    out: dict[str, PiiTag] = {}
    for name, fid in field_ids.items():
        tag = by_id.get(fid, by_name.get(name))
        if tag is not None:
            out[name] = tag
    return out


def bind_tags(properties: Mapping[str, str], field_ids: Mapping[str, int]) -> dict[int, PiiTag]:
    """Every stored tag by field id (tags stored by name bound to the ids of ``field_ids``)."""
    by_id, by_name = stored_tags(properties)
    for name, tag in by_name.items():
        if name in field_ids:
            by_id.setdefault(field_ids[name], tag)
    return by_id


def tags_json(tags: Mapping[int, PiiTag], field_ids: Mapping[str, int]) -> str:
    """The property value for ``tags`` (by field id; each names its column, for people)."""
    names = {fid: name for name, fid in field_ids.items()}
    fields = {}
    for fid, tag in sorted(tags.items()):
        entry = tag.to_json()
        if fid in names:
            entry["column"] = names[fid]
        fields[str(fid)] = entry
    return json.dumps({"version": FORMAT, "fields": fields}, sort_keys=True)


def name_keyed_json(properties: Mapping[str, str], field_ids: Mapping[str, int]) -> str | None:
    """The tags of a schema's columns as ``{column: tag}`` JSON (the first format's shape)."""
    if not properties.get(PROPERTY):
        return None
    tags = read_tags(properties, field_ids)
    return json.dumps({c: t.to_json() for c, t in sorted(tags.items())}, sort_keys=True)


def _stored_names(properties: Mapping[str, str]) -> dict[int, str]:
    data = json.loads(properties.get(PROPERTY) or "{}")
    fields = data.get("fields") or {} if isinstance(data, dict) else {}
    return {int(k): t["column"] for k, t in fields.items() if isinstance(t, dict) and "column" in t}


class PiiTagger:
    """Classifies the new columns of every write and stores the tags with the same commit."""

    def __init__(
        self, catalog: Callable[[], Catalog], phone_regions: Sequence[str] | None = None
    ) -> None:
        self._catalog = catalog
        self.phone_regions = phone_regions

    def hook(
        self,
        tid: TableId,
        data: pa.Table,
        ctx: WriteContext,
        properties: Mapping[str, str],
        field_ids: Mapping[str, int],
    ) -> tuple[pa.Table, dict[str, str]]:
        """A lakehouse write hook: tag the columns that have no tag yet, from a sample of ``data``.

        The tags (bound to the field ids of the table's schema), and a metrics mode that keeps
        the values of PII columns out of Iceberg's manifests (their min/max bounds, under the
        columns' names now), are table properties committed with the data.
        """
        from neurolake_lab.compliance.pii import classify_table
        from neurolake_lab.compliance.pii.classifier import sample_rows

        known = read_tags(properties, field_ids)
        carried = {
            column: PiiTag.from_json(tag)
            for column, tag in {**self._quarantined_from(tid), **ctx.carried_tags}.items()
            if column in data.column_names
            and (known.get(column) is None or known[column].source != "override")
            and (known.get(column) is None or known[column].entity != tag.get("entity"))
        }
        new = [c for c in data.column_names if c not in known and not c.startswith("_")]
        new = [c for c in new if c not in carried]
        found: dict[str, PiiTag] = {}
        if new and data.num_rows:
            sample = sample_rows(data.select(new), SAMPLE_ROWS, seed=0)
            # only NULLs so far: the next write with values decides
            non_empty = [c for c in new if sample.column(c).null_count < sample.num_rows]
            if non_empty:
                found = classify_table(
                    sample.select(non_empty),
                    column_docs=_docs(data, properties),
                    table_name=f"{tid[0]}.{tid[1]}",
                    phone_regions=self.phone_regions,
                )
        tags = bind_tags(properties, field_ids)
        tags.update({field_ids[c]: t for c, t in {**found, **carried}.items() if c in field_ids})
        if not tags:
            return data, {}
        props = tag_properties(tags, field_ids)
        return data, {k: v for k, v in props.items() if properties.get(k) != v}

    def _quarantined_from(self, tid: TableId) -> dict[str, dict[str, Any]]:
        """A quarantine table's rows are its table's rows: they take that table's tags."""
        from pyiceberg.exceptions import NoSuchTableError

        from neurolake_lab.lakehouse.quarantine import parent_of

        parent = parent_of(tid)
        if parent is None:
            return {}
        try:
            table = self._catalog().load_table(parent)
        except NoSuchTableError:
            return {}
        ids = {f.name: f.field_id for f in table.schema().fields}
        return {c: t.to_json() for c, t in read_tags(table.properties, ids).items() if t}

    def store(self, tid: TableId, tags: Mapping[str, PiiTag], *, replace_overrides: bool) -> None:
        """Merge ``tags`` (by column name) into the table's stored tags.

        Overrides win unless replaced; tags of dropped columns stay, for the snapshots that hold
        them.
        """
        from pyiceberg.exceptions import NoSuchTableError

        from neurolake_lab.lakehouse.tables import quiet_pyiceberg

        try:
            table = self._catalog().load_table(tid)
        except NoSuchTableError:
            return
        ids = {f.name: f.field_id for f in table.schema().fields}
        current = bind_tags(table.properties, ids)
        for column, tag in tags.items():
            if column not in ids:
                continue
            old = current.get(ids[column])
            if old is not None and old.pinned and not replace_overrides:
                continue
            current[ids[column]] = tag
        with quiet_pyiceberg():
            table.transaction().set_properties(tag_properties(current, ids)).commit_transaction()

    def bind(self, tid: TableId) -> None:
        """Bind tags stored by name to field ids now (before a schema change renames columns)."""
        from neurolake_lab.lakehouse.tables import quiet_pyiceberg

        table = self._catalog().load_table(tid)
        if not stored_tags(table.properties)[1]:
            return
        ids = {f.name: f.field_id for f in table.schema().fields}
        props = tag_properties(bind_tags(table.properties, ids), ids)
        with quiet_pyiceberg():
            table.transaction().set_properties(props).commit_transaction()


def tag_properties(tags: Mapping[int, PiiTag], field_ids: Mapping[str, int]) -> dict[str, str]:
    """The table properties that store ``tags`` (by field id) for a schema (``field_ids``).

    Besides the tags, each column of the schema with a tag gets a metrics mode: ``counts`` for
    PII, so that Iceberg's manifests never hold its values as min/max bounds.
    """
    props = {PROPERTY: tags_json(tags, field_ids)}
    for column, fid in field_ids.items():
        tag = tags.get(fid)
        if tag is not None:
            props[f"{METRICS_PREFIX}{column}"] = "counts" if tag.entity else "truncate(16)"
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
            "origin": ", ".join(tag.origin) or None,
        }
        for column, tag in tags.items()
    ]

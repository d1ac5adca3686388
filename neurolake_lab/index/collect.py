"""Read what the index stores about a table from its Iceberg metadata (no data is read here).

Names, types, docs, keys, PII verdicts and the semantic definitions come from the metadata file
the catalog points to; :func:`fingerprint` says when any of it (or the snapshot) changed, which is
when the index rewrites the table's rows.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from neurolake_lab.compliance.tagging import name_keyed_json
from neurolake_lab.index.model import ColumnInfo, ForeignKey, TableInfo
from neurolake_lab.index.pii import PII_PROPERTY, PiiHook, column_pii
from neurolake_lab.lakehouse.keys import (
    FOREIGN_KEYS_PROPERTY,
    PRIMARY_KEY_PROPERTY,
    parse_foreign_keys,
)

if TYPE_CHECKING:
    from pyiceberg.table.metadata import TableMetadata

SEMANTICS_PROPERTY = "neurolake.semantics"
#: Properties whose change changes what the index holds.
INDEXED_PROPERTIES = (
    "comment",
    PRIMARY_KEY_PROPERTY,
    FOREIGN_KEYS_PROPERTY,
    PII_PROPERTY,
    SEMANTICS_PROPERTY,
)

_SIMPLE_TYPES = {
    "boolean": "BOOLEAN",
    "int": "INTEGER",
    "long": "BIGINT",
    "float": "FLOAT",
    "double": "DOUBLE",
    "date": "DATE",
    "time": "TIME",
    "timestamp": "TIMESTAMP",
    "timestamptz": "TIMESTAMP WITH TIME ZONE",
    "timestamp_ns": "TIMESTAMP_NS",
    "timestamptz_ns": "TIMESTAMP WITH TIME ZONE",
    "string": "VARCHAR",
    "uuid": "UUID",
    "binary": "BLOB",
}


def sql_type(iceberg_type: str) -> str:
    """DuckDB's name for an Iceberg type string.

    Example:
        >>> sql_type("decimal(10, 2)"), sql_type("long"), sql_type("list<string>")
        ('DECIMAL(10,2)', 'BIGINT', 'LIST<STRING>')
    """
    text = iceberg_type.strip().lower()
    if text in _SIMPLE_TYPES:
        return _SIMPLE_TYPES[text]
    if text.startswith("decimal"):
        return text.upper().replace(" ", "")
    if text.startswith("fixed"):
        return "BLOB"
    return text.upper()


def fingerprint(meta: TableMetadata, extra: str = "") -> str:
    """A short hash of everything the index keeps about a table at its current snapshot.

    ``extra`` folds in what else the rows depend on (the embedding, the index format).
    """
    schema = meta.schema()
    fields = [
        (f.field_id, f.name, str(f.field_type), f.doc or "", f.required) for f in schema.fields
    ]
    props = {k: meta.properties.get(k) for k in INDEXED_PROPERTIES}
    payload = json.dumps([meta.current_snapshot_id, fields, props, extra], sort_keys=True)
    return hashlib.blake2b(payload.encode(), digest_size=10).hexdigest()


def foreign_keys(properties: Mapping[str, str], namespace: str) -> tuple[ForeignKey, ...]:
    """The table's declared foreign keys (JSON or arrow form, see ``lakehouse.keys``).

    A bare referenced name is taken in the table's namespace; an unreadable value declares none.
    """
    raw = properties.get(FOREIGN_KEYS_PROPERTY)
    if not raw:
        return ()
    try:
        keys = parse_foreign_keys(raw, namespace)
    except ValueError:
        return ()
    return tuple(ForeignKey(k.columns, k.references, k.ref_columns) for k in keys)


def semantics(properties: Mapping[str, str]) -> dict[str, Any]:
    """The table's ``neurolake.semantics`` property as a dict ({} when absent or unreadable)."""
    raw = properties.get(SEMANTICS_PROPERTY)
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def collect_table(
    table_id: str, meta: TableMetadata, hook: PiiHook | None, extra: str = "", location: str = ""
) -> TableInfo:
    """The index's view of one table (without sample values, which need a query)."""
    namespace = table_id.rsplit(".", 1)[0]
    props = dict(meta.properties)
    fields = meta.schema().fields
    # PII tags are bound to field ids: read them by the names the columns have now
    tags = name_keyed_json(props, {f.name: f.field_id for f in fields})
    if tags is not None:
        props[PII_PROPERTY] = tags
    verdicts, classified = column_pii(
        table_id, [(f.name, f.doc or "") for f in fields], props, hook
    )
    columns = tuple(
        ColumnInfo(
            table=table_id,
            name=f.name,
            data_type=sql_type(str(f.field_type)),
            description=f.doc or "",
            nullable=not f.required,
            pii_entity=verdicts[f.name][0] if f.name in verdicts else None,
            pii_source=verdicts[f.name][1] if f.name in verdicts else None,
        )
        for f in fields
    )
    snap = meta.current_snapshot()
    summary = snap.summary.additional_properties if snap and snap.summary else {}
    rows = summary.get("total-records")
    pk = tuple(c.strip() for c in props.get(PRIMARY_KEY_PROPERTY, "").split(",") if c.strip())
    return TableInfo(
        id=table_id,
        description=props.get("comment", "") or "",
        columns=columns,
        primary_key=pk,
        foreign_keys=foreign_keys(props, namespace),
        rows=int(rows) if rows is not None else None,
        snapshot_id=meta.current_snapshot_id,
        fingerprint=fingerprint(meta, extra),
        classified=classified,
        semantics=semantics(props),
        location=location,
        index_key=extra,
    )

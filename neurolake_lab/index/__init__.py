"""The metadata and vector index behind ``%%nl`` (LanceDB in ``<workspace>/index/``).

Rows for every table and column of every Iceberg table (names, types, descriptions, PII verdicts,
sample values of low-cardinality non-PII columns, keys, semantic definitions) and the accepted
question→SQL pairs; refreshed when a table changes. LanceDB loads on first use only.
"""

from neurolake_lab.index.index import Hit, MetadataIndex, PairHit, ValueHit, normalize_value
from neurolake_lab.index.model import ColumnInfo, ForeignKey, SchemaSnapshot, TableInfo
from neurolake_lab.index.pii import PII_PROPERTY, PiiHook

__all__ = [
    "PII_PROPERTY",
    "ColumnInfo",
    "ForeignKey",
    "Hit",
    "MetadataIndex",
    "PairHit",
    "PiiHook",
    "SchemaSnapshot",
    "TableInfo",
    "ValueHit",
    "normalize_value",
]

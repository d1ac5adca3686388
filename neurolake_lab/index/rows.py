"""Tables and columns as index rows, and back; and the text each row is embedded from.

The embedded text is metadata only (names, types, descriptions, keys): sample values stay out of
it, because with a remote embeddings endpoint the text leaves the machine (the same rule as the
LLM prompts, :mod:`neurolake_lab.agents.prompts`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from neurolake_lab.index.model import ColumnInfo, ForeignKey, TableInfo
from neurolake_lab.index.store import schema_fields

if TYPE_CHECKING:
    from neurolake_lab.llm.embeddings import Embedder


def words_of(identifier: str) -> str:
    """An identifier as words: ``order_items`` -> ``order items``."""
    from neurolake_lab.llm import lexicon

    return " ".join(lexicon.words(identifier)) or identifier


def table_text(table: TableInfo) -> str:
    """What a table row is embedded from."""
    cols = ", ".join(words_of(c.name) for c in table.columns)
    return f"{words_of(table.name)} table: {table.description} Columns: {cols}."


def column_text(table: TableInfo, column: ColumnInfo) -> str:
    """What a column row is embedded from."""
    return (
        f"{words_of(column.name)} ({column.data_type.lower()}) of {words_of(table.name)}: "
        f"{column.description}"
    )


def to_rows(table: TableInfo, embedder: Embedder) -> pa.Table:
    """The index rows of one table: one for the table, one per column, with vectors."""
    texts = [table_text(table)] + [column_text(table, c) for c in table.columns]
    vectors = embedder.embed(texts)
    base: dict[str, Any] = {
        "table_id": table.id,
        "rows": table.rows,
        "snapshot_id": table.snapshot_id,
        "fingerprint": table.fingerprint,
        "classified": table.classified,
        "location": table.location,
        "index_key": table.index_key,
    }
    rows: list[dict[str, Any]] = [
        {
            **base,
            "id": table.id,
            "kind": "table",
            "column": "",
            "position": -1,
            "data_type": "",
            "description": table.description,
            "nullable": True,
            "pii_entity": None,
            "pii_source": None,
            "samples": "[]",
            "distinct": None,
            "primary_key": json.dumps(list(table.primary_key)),
            "foreign_keys": json.dumps([fk.to_json() for fk in table.foreign_keys]),
            "semantics": json.dumps(dict(table.semantics)),
            "text": texts[0],
            "vector": vectors[0].tolist(),
        }
    ]
    for i, col in enumerate(table.columns):
        rows.append(
            {
                **base,
                "id": col.id,
                "kind": "column",
                "column": col.name,
                "position": i,
                "data_type": col.data_type,
                "description": col.description,
                "nullable": col.nullable,
                "pii_entity": col.pii_entity,
                "pii_source": col.pii_source,
                "samples": json.dumps(list(col.samples)),
                "distinct": col.distinct,
                "primary_key": "[]",
                "foreign_keys": "[]",
                "semantics": "{}",
                "text": texts[i + 1],
                "vector": vectors[i + 1].tolist(),
            }
        )
    return pa.Table.from_pylist(rows, schema=schema_fields(embedder.dim))


def from_rows(rows: Sequence[dict[str, Any]]) -> dict[str, TableInfo]:
    """Tables rebuilt from index rows (a table without its table row is left out)."""
    heads = {r["table_id"]: r for r in rows if r["kind"] == "table"}
    columns: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        if r["kind"] == "column":
            columns.setdefault(r["table_id"], []).append(r)
    out: dict[str, TableInfo] = {}
    for tid, head in heads.items():
        cols = sorted(columns.get(tid, []), key=lambda r: r["position"])
        out[tid] = TableInfo(
            id=tid,
            description=head["description"] or "",
            columns=tuple(
                ColumnInfo(
                    table=tid,
                    name=c["column"],
                    data_type=c["data_type"],
                    description=c["description"] or "",
                    nullable=bool(c["nullable"]),
                    pii_entity=c["pii_entity"],
                    pii_source=c["pii_source"],
                    samples=tuple(json.loads(c["samples"] or "[]")),
                    distinct=c["distinct"],
                )
                for c in cols
            ),
            primary_key=tuple(json.loads(head["primary_key"] or "[]")),
            foreign_keys=tuple(
                ForeignKey(tuple(fk["columns"]), fk["references"], tuple(fk["ref_columns"]))
                for fk in json.loads(head["foreign_keys"] or "[]")
            ),
            rows=head["rows"],
            snapshot_id=head["snapshot_id"],
            fingerprint=head["fingerprint"],
            classified=bool(head["classified"]),
            semantics=json.loads(head["semantics"] or "{}"),
            location=head.get("location") or "",
            index_key=head.get("index_key") or "",
        )
    return out

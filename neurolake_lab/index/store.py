"""The index's LanceDB tables in ``<workspace>/index/``: schema rows and accepted question pairs.

LanceDB (imported on first use, never at kernel start) keeps its own versioned files, so several
kernels can read and write one index: each write is one LanceDB commit, replacing a table's rows
is a single ``merge_insert`` (upsert by id plus removal of the table's stale rows), and writers
take an exclusive ``flock`` on ``index/write.lock`` so two kernels do not rebuild the same table
at once. Readers take no lock; with ``read_consistency_interval=0`` they see the latest commit.

Vectors of different embeddings never mix: each table name carries the embedding's name, so
switching embeddings builds new tables (accepted pairs are re-embedded from the old ones).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import threading
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from neurolake_lab.index.readcache import bump

if TYPE_CHECKING:
    from lancedb.db import DBConnection
    from lancedb.table import Table


SCHEMA_TABLE = "schema"
#: Version of the schema rows' layout; part of the table name, so a new layout starts afresh.
FORMAT = 2
PAIRS_TABLE = "pairs"
LOCK_FILE = "write.lock"


def schema_fields(dim: int) -> pa.Schema:
    """The Arrow schema of the schema-rows table (one row per table and per column)."""
    fields: list[pa.Field[Any]] = [
        pa.field("id", pa.string()),
        pa.field("kind", pa.string()),
        pa.field("table_id", pa.string()),
        pa.field("column", pa.string()),
        pa.field("position", pa.int32()),
        pa.field("data_type", pa.string()),
        pa.field("description", pa.string()),
        pa.field("nullable", pa.bool_()),
        pa.field("pii_entity", pa.string()),
        pa.field("pii_source", pa.string()),
        pa.field("samples", pa.string()),
        pa.field("distinct", pa.int64()),
        pa.field("primary_key", pa.string()),
        pa.field("foreign_keys", pa.string()),
        pa.field("rows", pa.int64()),
        pa.field("snapshot_id", pa.int64()),
        pa.field("fingerprint", pa.string()),
        pa.field("classified", pa.bool_()),
        pa.field("semantics", pa.string()),
        pa.field("location", pa.string()),
        pa.field("index_key", pa.string()),
        pa.field("text", pa.string()),
        pa.field("vector", pa.list_(pa.float32(), dim)),
    ]
    return pa.schema(fields)


def pair_fields(dim: int) -> pa.Schema:
    """The Arrow schema of the accepted question→SQL pairs."""
    return pa.schema(
        [
            pa.field("id", pa.string()),
            pa.field("question", pa.string()),
            pa.field("sql", pa.string()),
            pa.field("tables", pa.string()),
            pa.field("user", pa.string()),
            pa.field("created", pa.string()),
            pa.field("vector", pa.list_(pa.float32(), dim)),
        ]
    )


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]+", "_", name).strip("_")


class IndexStore:
    """The LanceDB tables of one workspace's index for one embedding.

    Args:
        root: ``<workspace>/index``.
        embedding: The embedder's name (part of every table name).
        dim: The embedder's vector length.
    """

    def __init__(self, root: Path, embedding: str, dim: int) -> None:
        self.root = root
        self.embedding = embedding
        self.dim = dim
        self.schema_name = f"{SCHEMA_TABLE}_v{FORMAT}__{_slug(embedding)}"
        self.pairs_name = f"{PAIRS_TABLE}__{_slug(embedding)}"
        self._db: DBConnection | None = None
        self._tables: dict[str, Table] = {}
        self._mutex = threading.RLock()
        self._depth = 0

    def db(self) -> DBConnection:
        """The LanceDB connection (LanceDB is imported here, on first use)."""
        if self._db is None:
            import lancedb

            self.root.mkdir(parents=True, exist_ok=True)
            self._db = lancedb.connect(self.root, read_consistency_interval=timedelta(0))
        return self._db

    def _names(self) -> set[str]:
        return set(self.db().list_tables().tables)

    def _table(self, name: str, schema: pa.Schema) -> Table:
        table = self._tables.get(name)
        if table is not None:
            return table
        db = self.db()
        if name in self._names():
            table = db.open_table(name)
        else:
            with self.locked():
                if name in self._names():
                    table = db.open_table(name)
                else:
                    table = db.create_table(name, schema=schema)
                    bump(self.root, name)
        self._tables[name] = table
        return table

    def schema_table(self) -> Table:
        """The schema rows (created empty on first use)."""
        return self._table(self.schema_name, schema_fields(self.dim))

    def pairs_table(self) -> Table:
        """The accepted pairs (created empty on first use)."""
        return self._table(self.pairs_name, pair_fields(self.dim))

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """An exclusive lock among the processes writing this index (re-entrant in a process).

        ``flock`` locks belong to an open file, so a second ``open`` in the same process would
        wait for the first: nested uses share the one held.
        """
        with self._mutex:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self.root.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.root / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                self._depth = 1
                try:
                    yield
                finally:
                    self._depth = 0
                    fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)

    def read_schema(self) -> pa.Table:
        """Every schema row, vectors included."""
        return self.schema_table().to_arrow()

    def read_pairs(self) -> pa.Table:
        """Every accepted pair, vectors included."""
        return self.pairs_table().to_arrow()

    def replace_table_rows(self, table_id: str, rows: pa.Table) -> None:
        """Make ``rows`` the only rows of ``table_id``, in one commit."""
        table = self.schema_table()
        (
            table.merge_insert("id")
            .when_matched_update_all()
            .when_not_matched_insert_all()
            .when_not_matched_by_source_delete(f"table_id = {_sql_string(table_id)}")
            .execute(rows)
        )
        bump(self.root, self.schema_name)

    def delete_tables(self, table_ids: Sequence[str]) -> None:
        """Remove every row of the given tables (dropped from the lakehouse)."""
        if table_ids:
            listed = ", ".join(_sql_string(t) for t in table_ids)
            self.schema_table().delete(f"table_id IN ({listed})")
            bump(self.root, self.schema_name)

    # -- accepted pairs ---------------------------------------------------------------------

    def add_pair(self, row: dict[str, Any]) -> None:
        """Store one accepted pair (replacing an earlier one with the same id)."""
        self.add_pairs([row])

    def add_pairs(self, rows: Sequence[dict[str, Any]]) -> None:
        """Store several pairs at once (adopting those of another embedding)."""
        if rows:
            data = pa.Table.from_pylist(list(rows), schema=pair_fields(self.dim))
            table = self.pairs_table()
            with self.locked():
                merge = table.merge_insert("id").when_matched_update_all()
                merge.when_not_matched_insert_all().execute(data)
                bump(self.root, self.pairs_name)

    def delete_pairs(self, ids: Sequence[str]) -> None:
        """Forget the accepted pairs with these ids (a rejected answer)."""
        if ids:
            listed = ", ".join(_sql_string(i) for i in ids)
            with self.locked():
                self.pairs_table().delete(f"id IN ({listed})")
                bump(self.root, self.pairs_name)

    def other_embeddings_pairs(self) -> list[dict[str, Any]]:
        """Pairs stored under other embeddings (without vectors), for re-embedding."""
        out: list[dict[str, Any]] = []
        for name in sorted(self._names()):
            if name.startswith(f"{PAIRS_TABLE}__") and name != self.pairs_name:
                table = self.db().open_table(name)
                out.extend(table.to_arrow().drop_columns(["vector"]).to_pylist())
        return out


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"

"""``MetadataIndex``: the workspace's tables, columns and accepted answers, fresh and searchable.

On each use :meth:`MetadataIndex.refresh` compares the catalog's pointers (already read by the
session) with those it last indexed: when nothing moved it returns at once; when a table's
snapshot, schema or indexed properties changed, it rewrites that table's rows (metadata, PII
verdicts, sample values, vectors) in one LanceDB commit, under the index's write lock.

Retrieval: :meth:`relevant` (which tables and columns matter for a question), :meth:`similar_pairs`
(which accepted questions are like this one) and :meth:`find_value` (which column holds a value
such as 'Germany').
"""

from __future__ import annotations

import hashlib
import re
import time
import unicodedata
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from neurolake_lab.index.collect import collect_table
from neurolake_lab.index.model import SchemaSnapshot, TableInfo
from neurolake_lab.index.pii import PiiHook
from neurolake_lab.index.readcache import ReadCache, generation
from neurolake_lab.index.rows import from_rows, to_rows
from neurolake_lab.index.samples import SampleScope, sample_values
from neurolake_lab.index.store import IndexStore

if TYPE_CHECKING:
    from neurolake_lab.context import QueryContext
    from neurolake_lab.llm.embeddings import Embedder, Vectors

#: Bumped when the rows' meaning changes (rebuilds every table's rows).
INDEX_FORMAT = 1


@dataclass(frozen=True)
class Hit:
    """A table or column that matters for a question, with its similarity (0..1)."""

    kind: str
    id: str
    table: str
    column: str | None
    score: float


@dataclass(frozen=True)
class PairHit:
    """An accepted question with its SQL and how similar it is to the asked one (0..1)."""

    question: str
    sql: str
    score: float
    tables: tuple[str, ...] = ()


@dataclass(frozen=True)
class ValueHit:
    """A column whose sample values hold the value looked for (as stored)."""

    column: str
    value: str


def normalize_value(text: str) -> str:
    """How values are compared: case-folded, accents kept, ``_``/``-`` and spaces as one space.

    Example:
        >>> normalize_value("Small_Business"), normalize_value("  united   States ")
        ('small business', 'united states')
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.sub(r"[_\-]+", " ", text).split())


def normalize_question(text: str) -> str:
    """A question as pairs are keyed: lower case, words only."""
    return " ".join(re.findall(r"\w+", unicodedata.normalize("NFKC", text).casefold()))


class MetadataIndex:
    """The metadata and vector index of one workspace, as one session uses it.

    Args:
        root: ``<workspace>/index``.
        embedder: Turns texts into vectors (:func:`neurolake_lab.llm.embedder`).
        pii_hook: ``table_id -> PII column names`` for tables without PII tags (the compliance
            layer's classifier); None: such tables get the conservative name/doc guess.
        scope: Which columns may be sampled (those every user sees whole; the governor);
            None: every non-PII one.
    """

    def __init__(
        self,
        root: Path,
        embedder: Embedder,
        pii_hook: PiiHook | None = None,
        scope: SampleScope | None = None,
    ) -> None:
        self.root = root
        self.embedder = embedder
        self.pii_hook = pii_hook
        self.scope = scope
        self.store = IndexStore(root, embedder.name, embedder.dim)
        self.cache = ReadCache(root.parent / "cache" / "nl-index")
        self._pointers: dict[tuple[str, str], str] | None = None
        self._snapshot: SchemaSnapshot | None = None
        self._stored: dict[str, TableInfo] = {}
        self._schema_rows: pa.Table | None = None
        self._stored_gen: str | None = None
        self._pair_rows: pa.Table | None = None
        self._pairs_gen: str | None = None
        self._values: dict[str, list[ValueHit]] | None = None
        #: what the last refresh did, for tests and benchmarks: tables rebuilt, seconds taken
        self.last_refresh: dict[str, Any] = {}

    # -- freshness --------------------------------------------------------------------------

    def _extra(self) -> str:
        extra = f"{INDEX_FORMAT}|{self.embedder.name}|hook={'on' if self.pii_hook else 'off'}"
        # what may be sampled depends on the policy: a new policy re-samples every table
        return extra + (f"|policy={self.scope.policy_version}" if self.scope is not None else "")

    def refresh(self, query: QueryContext) -> SchemaSnapshot:
        """The index's view of every table, brought up to date with the catalog first.

        Cheap when nothing changed (a comparison of the catalog pointers the session sees);
        otherwise the changed tables are re-read, sampled and re-embedded. The caller refreshes
        the session's lakehouse first (``Session.sql`` and ``Session.ask`` do).
        """
        from neurolake_lab.lakehouse.lakehouse import read_metadata

        pointers = dict(query.lakehouse.pointers)
        if pointers == self._pointers and self._snapshot is not None:
            self.last_refresh = {"rebuilt": [], "removed": [], "seconds": 0.0}
            return self._snapshot
        start = time.perf_counter()
        extra = self._extra()
        stored = self._read_stored()
        locations = {f"{ns}.{t}": loc for (ns, t), loc in pointers.items()}
        rebuilt: list[str] = []
        removed: list[str] = []
        if _stale(locations, stored, extra) or set(stored) - set(locations):
            with self.store.locked():
                stored = self._read_stored(force=True)  # another kernel may have done it
                for tid in _stale(locations, stored, extra):
                    meta = read_metadata(locations[tid])
                    info = collect_table(tid, meta, self.pii_hook, extra, locations[tid])
                    info = self._with_samples(query, info)
                    self.store.replace_table_rows(tid, to_rows(info, self.embedder))
                    rebuilt.append(tid)
                removed = sorted(set(stored) - set(locations))
                self.store.delete_tables(removed)
                self._adopt_pairs()
            stored = self._read_stored(force=True)
            self._pair_table(force=True)  # LanceDB is open: leave a copy for other kernels
        wanted = locations
        tables = {tid: stored[tid] for tid in sorted(wanted) if tid in stored}
        key = hashlib.blake2b(
            "|".join(f"{t}:{i.fingerprint}" for t, i in tables.items()).encode(), digest_size=10
        ).hexdigest()
        self._snapshot = SchemaSnapshot(tables, key)
        self._values = None
        self._pointers = pointers
        self.last_refresh = {
            "rebuilt": rebuilt,
            "removed": removed,
            "seconds": time.perf_counter() - start,
        }
        return self._snapshot

    @property
    def snapshot(self) -> SchemaSnapshot:
        """The tables as of the last :meth:`refresh` (empty before the first)."""
        return self._snapshot if self._snapshot is not None else SchemaSnapshot({})

    def _read_stored(self, force: bool = False) -> dict[str, TableInfo]:
        """The stored tables: from memory, the Arrow copy, or LanceDB, whichever is current."""
        gen = generation(self.root, self.store.schema_name)
        if not force and gen and gen == self._stored_gen:
            return self._stored
        table = None if force else self.cache.load(self.store.schema_name, gen)
        if table is None:
            table = self.store.read_schema()
            self.cache.save(self.store.schema_name, gen, table)
        self._schema_rows = table
        self._stored = from_rows(table.drop_columns(["vector"]).to_pylist())
        self._stored_gen = gen
        return self._stored

    def _with_samples(self, query: QueryContext, info: TableInfo) -> TableInfo:
        found = sample_values(query.engine.con, info.id, info.columns, self.scope)
        if not found:
            return info
        cols = tuple(
            replace(c, distinct=found[c.name][0], samples=found[c.name][1])
            if c.name in found
            else c
            for c in info.columns
        )
        return replace(info, columns=cols)

    # -- PII --------------------------------------------------------------------------------

    def pii_columns(self, table_id: str) -> set[str]:
        """Names of the columns of ``table_id`` that are PII (tags, else the hook, else a guess)."""
        table = self.snapshot.table(table_id)
        return set(table.pii_columns) if table is not None else set()

    # -- retrieval --------------------------------------------------------------------------

    def relevant(self, question: str, limit: int = 12) -> list[Hit]:
        """The tables and columns nearest in meaning to ``question``, best first."""
        if not question.strip() or not self.snapshot.tables:
            return []
        self._read_stored()
        rows = self._schema_rows
        if rows is None or rows.num_rows == 0:
            return []
        vector = self.embedder.embed([question])[0]
        known = self.snapshot.tables
        hits = []
        for i, score in _nearest(rows, vector, limit * 2):
            tid = str(rows["table_id"][i])
            if tid in known:
                hits.append(Hit(kind=str(rows["kind"][i]), id=str(rows["id"][i]), table=tid,
                                column=str(rows["column"][i]) or None, score=score))  # fmt: skip
        return hits[:limit]

    def find_value(self, text: str) -> list[ValueHit]:
        """The columns whose sample values include ``text`` (compared case-insensitively)."""
        return list(self.value_map().get(normalize_value(text), []))

    def value_map(self) -> dict[str, list[ValueHit]]:
        """Every sampled value (normalised) -> the columns that hold it."""
        if self._values is None:
            values: dict[str, list[ValueHit]] = {}
            for col in self.snapshot.columns():
                for v in col.samples:
                    values.setdefault(normalize_value(v), []).append(ValueHit(col.id, v))
            self._values = values
        return self._values

    # -- accepted pairs ---------------------------------------------------------------------

    def _pair_table(self, force: bool = False) -> pa.Table:
        """The accepted pairs with vectors: from memory, the Arrow copy, or LanceDB."""
        gen = generation(self.root, self.store.pairs_name)
        if gen and gen == self._pairs_gen and self._pair_rows is not None and not force:
            return self._pair_rows
        table = None if force else self.cache.load(self.store.pairs_name, gen)
        if table is None:
            table = self.store.read_pairs()
            self.cache.save(self.store.pairs_name, gen, table)
        self._pair_rows, self._pairs_gen = table, gen
        return table

    def _adopt_pairs(self) -> None:
        """Pairs accepted under another embedding, re-embedded into this one's table."""
        if self.store.pairs_table().count_rows() == 0:
            old = self.store.other_embeddings_pairs()
            if old:
                vectors = self.embedder.embed([p["question"] for p in old])
                self.store.add_pairs(
                    [{**p, "vector": v.tolist()} for p, v in zip(old, vectors, strict=True)]
                )

    def add_pair(self, question: str, sql: str, *, user: str, tables: tuple[str, ...] = ()) -> str:
        """Keep an accepted question and its SQL; the same question accepted again replaces it."""
        import json

        key = hashlib.blake2b(normalize_question(question).encode(), digest_size=10).hexdigest()
        vector = self.embedder.embed([question])[0]
        self._adopt_pairs()
        self.store.add_pair(
            {
                "id": key,
                "question": question.strip(),
                "sql": sql.strip(),
                "tables": json.dumps(list(tables)),
                "user": user,
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                "vector": vector.tolist(),
            }
        )
        self._pair_table(force=True)
        return key

    def remove_pairs(self, question: str, sql: str) -> int:
        """Forget the accepted pairs for ``question`` or with exactly ``sql``; how many."""
        wanted_q, wanted_sql = normalize_question(question), sql.strip()
        ids = [
            str(p["id"])
            for p in self.pairs()
            if normalize_question(str(p["question"])) == wanted_q or str(p["sql"]) == wanted_sql
        ]
        self.store.delete_pairs(ids)
        self._pair_table(force=True)
        return len(ids)

    def similar_pairs(self, question: str, limit: int = 3, min_score: float = 0.0) -> list[PairHit]:
        """Accepted questions most like ``question`` (cosine of their embeddings), best first."""
        import json

        if not question.strip():
            return []
        rows = self._pair_table()
        if rows.num_rows == 0:
            return []
        vector = self.embedder.embed([question])[0]
        hits = [
            PairHit(
                question=str(rows["question"][i]),
                sql=str(rows["sql"][i]),
                score=score,
                tables=tuple(json.loads(str(rows["tables"][i]) or "[]")),
            )
            for i, score in _nearest(rows, vector, limit)
        ]
        return [h for h in hits if h.score >= min_score]

    def pairs(self) -> list[dict[str, Any]]:
        """Every accepted pair (question, sql, tables, user, created)."""
        rows: list[dict[str, Any]] = self._pair_table().drop_columns(["vector"]).to_pylist()
        return rows


def _nearest(rows: pa.Table, vector: Vectors, limit: int) -> list[tuple[int, float]]:
    """Row numbers of the ``limit`` rows whose vectors are nearest (cosine), with scores.

    Exact search with numpy over the stored unit vectors: the index holds a few rows per
    column and accepted question, where a scan takes microseconds.
    """
    matrix = np.array(rows["vector"].to_pylist(), dtype=np.float32).reshape(rows.num_rows, -1)
    scores = matrix @ np.asarray(vector, np.float32)
    order = np.argsort(-scores)[:limit]
    return [(int(i), float(max(0.0, scores[i]))) for i in order]


def _stale(locations: dict[str, str], stored: dict[str, TableInfo], extra: str) -> list[str]:
    """Tables whose rows were not made from their current metadata file (or another setup)."""
    return sorted(
        t
        for t, loc in locations.items()
        if t not in stored or stored[t].location != loc or stored[t].index_key != extra
    )

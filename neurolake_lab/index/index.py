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

from neurolake_lab.index.collect import collect_table, fingerprint
from neurolake_lab.index.model import SchemaSnapshot, TableInfo
from neurolake_lab.index.pii import PiiHook
from neurolake_lab.index.rows import from_rows, to_rows
from neurolake_lab.index.samples import sample_values
from neurolake_lab.index.store import IndexStore

if TYPE_CHECKING:
    from neurolake_lab.llm.embeddings import Embedder
    from neurolake_lab.session import Session

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
    """

    def __init__(self, root: Path, embedder: Embedder, pii_hook: PiiHook | None = None) -> None:
        self.root = root
        self.embedder = embedder
        self.pii_hook = pii_hook
        self.store = IndexStore(root, embedder.name, embedder.dim)
        self._pointers: dict[tuple[str, str], str] | None = None
        self._snapshot: SchemaSnapshot | None = None
        self._stored: dict[str, TableInfo] = {}
        self._stored_version: int | None = None
        self._values: dict[str, list[ValueHit]] | None = None
        self._pairs_ready = False
        #: what the last refresh did, for tests and benchmarks: tables rebuilt, seconds taken
        self.last_refresh: dict[str, Any] = {}

    # -- freshness --------------------------------------------------------------------------

    def _extra(self) -> str:
        return f"{INDEX_FORMAT}|{self.embedder.name}|hook={'on' if self.pii_hook else 'off'}"

    def refresh(self, session: Session) -> SchemaSnapshot:
        """The index's view of every table, brought up to date with the catalog first.

        Cheap when nothing changed (a comparison of the session's pointers); otherwise the
        changed tables are re-read, sampled and re-embedded. The caller refreshes the session's
        lakehouse first (``Session.sql`` and ``Session.ask`` do).
        """
        from neurolake_lab.lakehouse.lakehouse import read_metadata

        pointers = dict(session.lakehouse.pointers)
        if pointers == self._pointers and self._snapshot is not None:
            self.last_refresh = {"rebuilt": [], "removed": [], "seconds": 0.0}
            return self._snapshot
        start = time.perf_counter()
        extra = self._extra()
        metas = {f"{ns}.{t}": read_metadata(loc) for (ns, t), loc in pointers.items()}
        wanted = {tid: fingerprint(meta, extra) for tid, meta in metas.items()}
        stored = self._read_stored()
        rebuilt: list[str] = []
        removed: list[str] = []
        if _stale(wanted, stored) or set(stored) - set(wanted):
            with self.store.locked():
                stored = self._read_stored(force=True)  # another kernel may have done it
                for tid in _stale(wanted, stored):
                    info = collect_table(tid, metas[tid], self.pii_hook, extra)
                    info = self._with_samples(session, info)
                    self.store.replace_table_rows(tid, to_rows(info, self.embedder))
                    rebuilt.append(tid)
                removed = sorted(set(stored) - set(wanted))
                self.store.delete_tables(removed)
            stored = self._read_stored(force=True)
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
        version = self.store.version()
        if force or version != self._stored_version:
            rows = self.store.read_schema().drop_columns(["vector"]).to_pylist()
            self._stored = from_rows(rows)
            self._stored_version = version
        return self._stored

    def _with_samples(self, session: Session, info: TableInfo) -> TableInfo:
        found = sample_values(session.engine.con, info.id, info.columns)
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
        vector = self.embedder.embed([question])[0]
        rows = self.store.search_schema(vector, limit)
        known = self.snapshot.tables
        return [
            Hit(
                kind=r["kind"],
                id=r["id"],
                table=r["table_id"],
                column=r["column"] or None,
                score=max(0.0, 1.0 - float(r["_distance"])),
            )
            for r in rows
            if r["table_id"] in known
        ]

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

    def _pairs(self) -> IndexStore:
        if not self._pairs_ready:
            table = self.store.pairs_table()
            if table.count_rows() == 0:
                old = self.store.other_embeddings_pairs()
                if old:  # a new embedding: re-embed the pairs accepted under the old one
                    vectors = self.embedder.embed([p["question"] for p in old])
                    self.store.add_pairs(
                        [{**p, "vector": v.tolist()} for p, v in zip(old, vectors, strict=True)]
                    )
            self._pairs_ready = True
        return self.store

    def add_pair(self, question: str, sql: str, *, user: str, tables: tuple[str, ...] = ()) -> str:
        """Keep an accepted question and its SQL; the same question accepted again replaces it."""
        import json

        key = hashlib.blake2b(normalize_question(question).encode(), digest_size=10).hexdigest()
        vector = self.embedder.embed([question])[0]
        self._pairs().add_pair(
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
        return key

    def similar_pairs(self, question: str, limit: int = 3, min_score: float = 0.0) -> list[PairHit]:
        """Accepted questions most like ``question`` (cosine of their embeddings), best first."""
        import json

        if not question.strip():
            return []
        vector = self.embedder.embed([question])[0]
        rows = self._pairs().search_pairs(vector, limit)
        hits = [
            PairHit(
                question=r["question"],
                sql=r["sql"],
                score=max(0.0, 1.0 - float(r["_distance"])),
                tables=tuple(json.loads(r["tables"] or "[]")),
            )
            for r in rows
        ]
        return [h for h in hits if h.score >= min_score]

    def pairs(self) -> list[dict[str, Any]]:
        """Every accepted pair (question, sql, tables, user, created)."""
        return self._pairs().all_pairs()


def _stale(wanted: dict[str, str], stored: dict[str, TableInfo]) -> list[str]:
    return sorted(t for t, fp in wanted.items() if t not in stored or stored[t].fingerprint != fp)

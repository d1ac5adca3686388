"""What a write into Iceberg does beyond its query: the columns it stores and those it classifies.

A CTAS or INSERT into Iceberg encodes its rows as Parquet (text columns cost more than numbers)
and classifies the columns of its target that have no PII tag yet, in the same commit
(``compliance/tagging.py``: a seeded sample of at most 200 rows, Presidio on text columns,
patterns on integer columns named like phone or card numbers). Classification does not grow with
the rows written: a large share of a small write, nothing of a big one. Which columns it reads:

* a new table (CTAS): every column it gets (with ``CREATE OR REPLACE``, those whose names the
  table had no tag for);
* an existing table (INSERT): its columns without a tag yet (a table created empty, or whose
  sample held only NULLs), of those the INSERT fills.

Columns named with a leading ``_`` are never classified, nor are columns that copy a column
tagged as PII: they carry its tag (read from the statement's lineage, as the write does).
Nothing is classified when the lakehouse runs no PII tagger on writes (a session's always does).
The rates are in ``features.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from neurolake_lab.context import QueryContext
    from neurolake_lab.engine.duckdb_engine import Lookup, Params
    from neurolake_lab.lakehouse.statements import LakeStatement, TableId

#: Iceberg / DuckDB type names of integer columns (read with patterns when named like numbers)
_INTEGER_TYPES = frozenset(
    {"int", "long", "tinyint", "smallint", "integer", "bigint", "hugeint", "utinyint",
     "usmallint", "uinteger", "ubigint", "uhugeint"}
)  # fmt: skip


@dataclass(frozen=True)
class WriteShape:
    """The columns a write stores (all, and of text) and how many it classifies for PII."""

    columns: int
    text_columns: int
    classified: int


def write_shape(
    ctx: QueryContext, stmt: LakeStatement, params: Params = None, lookup: Lookup | None = None
) -> WriteShape | None:
    """The shape of the write ``stmt`` (a CTAS or INSERT into Iceberg; ``None`` for others).

    Classified columns are those classification spends time on: text, and integers whose names
    hint at phone, card, SSN or IBAN numbers (dates, numbers and the rest take microseconds).

    Raises:
        QueryError: DuckDB cannot read the CTAS's query (the error running it would give).
    """
    from neurolake_lab.compliance.tagging import PiiTagger, read_tags
    from neurolake_lab.lakehouse.metadata_files import read_properties
    from neurolake_lab.lakehouse.schemas import schema_fields

    lake = ctx.lakehouse
    if stmt.table is None or stmt.body is None or stmt.kind not in ("ctas", "insert"):
        return None
    location = lake.pointers.get(stmt.table)
    known: set[str] = set()
    if stmt.kind == "insert":
        if location is None:
            return None  # the INSERT fails
        fields = schema_fields(location)
        known = set(read_tags(read_properties(location), {f.name: f.field_id for f in fields}))
        columns = [(f.name, f.type) for f in fields]
        if stmt.columns:  # the columns it does not fill stay NULL: nothing to classify there
            filled = {c.lower() for c in stmt.columns}
            known |= {name for name, _ in columns if name.lower() not in filled}
    else:
        if location is not None:
            if not stmt.replace:
                return None  # IF NOT EXISTS does nothing; without it the CTAS fails
            known = set(read_tags(read_properties(location)))
        ex = ctx.engine.run(f"DESCRIBE {stmt.body}", params, lookup, statement_type="DESCRIBE")
        described = ex.table.to_pylist() if ex.table is not None else []
        columns = [(str(r["column_name"]), str(r["column_type"])) for r in described]
    table_name = f"{stmt.table[0]}.{stmt.table[1]}"
    classified = 0
    if any(isinstance(getattr(h, "__self__", None), PiiTagger) for h in lake.write_hooks):
        new = [(n, t) for n, t in columns if n not in known and not n.startswith("_")]
        if new:
            carried = _carried(ctx, stmt)
            classified = sum(
                1 for n, t in new if n.lower() not in carried and _costly(n, t, table_name)
            )
    return WriteShape(len(columns), sum(1 for _, t in columns if _is_text(t)), classified)


def _is_text(type_name: str) -> bool:
    kind = type_name.strip().lower()
    return kind in ("string", "varchar") or kind.startswith(("varchar(", "enum("))


def _costly(name: str, type_name: str, table_name: str) -> bool:
    """Whether classifying a column of this name and type runs Presidio (text, named numbers)."""
    from neurolake_lab.compliance.pii.classifier import NUMERIC_ENTITIES
    from neurolake_lab.compliance.pii.hints import hints_for

    if _is_text(type_name):
        return True
    if type_name.strip().lower() not in _INTEGER_TYPES:
        return False
    return bool(hints_for(name, None, table_name).entities & NUMERIC_ENTITIES)


def _carried(ctx: QueryContext, stmt: LakeStatement) -> set[str]:
    """Target columns (lower case) that copy a PII column: they carry its tag, unclassified."""
    from neurolake_lab.compliance.policy import carry_tags
    from neurolake_lab.compliance.policy.errors import PolicyError
    from neurolake_lab.compliance.tagging import read_tags
    from neurolake_lab.exceptions import QueryError
    from neurolake_lab.lakehouse.metadata_files import read_properties
    from neurolake_lab.lakehouse.schemas import duckdb_type, schema_fields

    schema: dict[str, dict[str, str]] = {}
    tags: dict[str, dict[str, Any]] = {}
    for tid in _tables_read(ctx, stmt.body or ""):
        location = ctx.lakehouse.pointers[tid]
        fields = schema_fields(location)
        key = f"{tid[0]}.{tid[1]}"
        schema[key] = {f.name: duckdb_type(f.type) for f in fields}
        found = read_tags(read_properties(location), {f.name: f.field_id for f in fields})
        if any(t.entity for t in found.values()):
            tags[key] = dict(found)
    if not tags:
        return set()
    try:
        carried = carry_tags(stmt.text, schema=schema, tags=tags)
    except (PolicyError, ValueError, QueryError):
        return set()
    return {c.lower() for c in carried}


def _tables_read(ctx: QueryContext, body: str) -> set[TableId]:
    """The Iceberg tables a query names (bare names resolved as the lakehouse does)."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    try:
        tree = sqlglot.parse_one(body, read="duckdb")
    except SqlglotError:
        return set()
    lake = ctx.lakehouse
    out: set[TableId] = set()
    for table in tree.find_all(exp.Table):
        tid = (table.db, table.name) if table.db else lake.resolve_bare(table.name)
        if tid is not None and tid in lake.pointers:
            out.add(tid)
    return out


def pii_model_loaded() -> bool:
    """Whether this process has loaded Presidio and the spaCy model (a classification did)."""
    from neurolake_lab.compliance.pii.engine import loaded

    return loaded()

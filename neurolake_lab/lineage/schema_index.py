"""The tables a lineage call may read, as sqlglot needs them and as node ids name them.

The caller's schema is flat: ``{"ns.table": {column: duckdb_type}}``, or ``{"table": {...}}`` for
a table without a namespace. sqlglot's ``MappingSchema`` wants it nested and of one depth, so bare
names are padded with DuckDB's defaults (``main``, then ``memory``) for sqlglot only; node ids keep
the schema's own spelling, lower-cased (DuckDB's identifiers are case-insensitive).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from sqlglot import exp
from sqlglot.schema import MappingSchema

#: Caller's schema: table (``"ns.table"`` or ``"table"``) -> {column: DuckDB type}.
Schema = Mapping[str, Mapping[str, str]]

# DuckDB's default schema and (in-memory) catalog: what a shorter name means next to longer ones.
_PADDING: Final = ("memory", "main")


def fingerprint(schema: Schema) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """A hashable value that changes whenever a table, column or type in ``schema`` changes."""
    return tuple((table, tuple(columns.items())) for table, columns in schema.items())


class TableIndex:
    """Look tables up by the parts a qualified sqlglot ``Table`` carries.

    Attributes:
        known: Lower-cased table id -> {lower-cased column: type}, in the schema's column order.
        sqlglot_schema: The same tables as a ``MappingSchema`` for ``qualify``.
    """

    def __init__(self, schema: Schema, dialect: str) -> None:
        self.known: dict[str, dict[str, str]] = {}
        self._by_name: dict[str, list[str]] = {}
        for table, columns in schema.items():
            key = table.lower()
            self.known[key] = {str(c).lower(): str(t) for c, t in columns.items()}
            self._by_name.setdefault(key.rsplit(".", 1)[-1], []).append(key)
        depth = max((k.count(".") + 1 for k in self.known), default=1)
        # The levels a name of ``depth`` parts has are the last ones of (catalog, db, table).
        defaults = _PADDING[3 - depth :] if depth <= 3 else _PADDING
        nested: dict[str, object] = {}
        for key, columns in self.known.items():
            parts = key.split(".")
            if len(parts) > 3:
                continue  # not a name DuckDB can write; it can only be matched as unknown
            parts = list(defaults[: depth - len(parts)]) + parts
            level = nested
            for part in parts[:-1]:
                child = level.setdefault(part, {})
                assert isinstance(child, dict)
                level = child
            level[parts[-1]] = columns
        self.sqlglot_schema = MappingSchema(nested, dialect=dialect, normalize=False)
        self._cache: dict[tuple[str, ...], tuple[str, dict[str, str] | None]] = {}

    def lookup(self, table: exp.Table) -> tuple[str, dict[str, str] | None]:
        """The id of ``table`` and its columns, or ``(id as written, None)`` if unknown.

        A name matches a schema table with the same trailing parts when exactly one does, so
        ``customers`` finds ``retail.customers`` (as ``qualify`` did when it expanded a star)
        and ``main.t`` finds a bare ``t``.
        """
        parts = tuple(p.lower() for p in (table.catalog, table.db, table.name) if p)
        hit = self._cache.get(parts)
        if hit is not None:
            return hit
        key = ".".join(parts)
        columns = self.known.get(key)
        if columns is None:
            candidates = [
                k
                for k in self._by_name.get(parts[-1], ())
                if k.endswith("." + key) or key.endswith("." + k)
            ]
            if len(candidates) == 1:
                key = candidates[0]
                columns = self.known[key]
        hit = (key, columns)
        self._cache[parts] = hit
        return hit

"""The inputs a query reads: Iceberg tables (at which snapshot), session tables and functions.

The cost model needs each Iceberg input's metadata file to estimate its scan; the result cache
needs each input's snapshot id for its key, and must know when an input cannot be versioned (a
session table, a DataFrame, a file read by a table function). Both read the parsed statement once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from sqlglot import exp

if TYPE_CHECKING:
    from neurolake_lab.lakehouse import Lakehouse

#: Table functions whose output depends on nothing but their arguments.
PURE_FUNCTIONS = frozenset({"range", "generate_series", "unnest", "values"})


@dataclass(frozen=True)
class Source:
    """One input of a query.

    ``kind`` is ``"iceberg"`` (a lakehouse table: ``location`` is its metadata file and
    ``snapshot_id`` the snapshot read), ``"local"`` (a session table, view or DataFrame),
    ``"function"`` (a table function such as ``range`` or ``read_parquet``).
    """

    kind: Literal["iceberg", "local", "function"]
    name: str
    location: str | None = None
    snapshot_id: int | None = None
    #: True when the SQL itself fixes the snapshot (``FOR VERSION AS OF``, rewritten)
    pinned: bool = False

    @property
    def versioned(self) -> bool:
        """True when the input's content is fixed by its name and snapshot (cacheable)."""
        if self.kind == "iceberg":
            return True
        return self.kind == "function" and self.name.lower() in PURE_FUNCTIONS


def cte_names(tree: exp.Expr) -> set[str]:
    """Lower-cased names the statement defines with ``WITH``."""
    return {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}


def query_sources(tree: exp.Expr, lake: Lakehouse) -> list[Source]:
    """Every input of the parsed statement ``tree``, in the order they appear."""
    ctes = cte_names(tree)
    out: list[Source] = []
    seen: set[tuple[str, str, int | None]] = set()
    for table in tree.find_all(exp.Table):
        source = _source(table, lake, ctes)
        if source is None:
            continue
        key = (source.kind, source.name, source.snapshot_id)
        if key not in seen:
            seen.add(key)
            out.append(source)
    return out


def _source(table: exp.Table, lake: Lakehouse, ctes: set[str]) -> Source | None:
    this = table.this
    if isinstance(this, exp.Func):
        return _function_source(this, lake)
    name = table.name
    if not name:
        return None
    db = table.db or None
    if db is None and name.lower() in ctes:
        return None
    if db is not None and db.lower() == "main":
        db = None
    tid = lake.resolve_ref(db, name)
    if tid is None and db is not None:
        tid = _case_insensitive(lake, db, name)
    if tid is None:
        shown = f"{db}.{name}" if db else name
        return Source("local", shown)
    location = lake.pointers[tid]
    return Source("iceberg", f"{tid[0]}.{tid[1]}", location, snapshot_of(location))


def _case_insensitive(lake: Lakehouse, db: str, name: str) -> tuple[str, str] | None:
    wanted = (db.lower(), name.lower())
    for tid in lake.pointers:
        if (tid[0].lower(), tid[1].lower()) == wanted:
            return tid
    return None


def _function_source(func: exp.Func, lake: Lakehouse) -> Source:
    fname = (func.name if isinstance(func, exp.Anonymous) else func.sql_name()).lower()
    if fname != "iceberg_scan":
        return Source("function", fname)
    args = list(func.expressions)
    path = args[0].name if args and isinstance(args[0], exp.Literal) else None
    snapshot: int | None = None
    for arg in args[1:]:
        if isinstance(arg, exp.Kwarg | exp.PropertyEQ | exp.EQ) and arg.this.name.lower() == (
            "snapshot_from_id"
        ):
            value = arg.expression
            if isinstance(value, exp.Literal) and not value.is_string:
                snapshot = int(value.name)
    if path is None:
        return Source("function", fname)
    tid = lake.table_for_file(path)
    location = path if path.endswith(".metadata.json") else None
    if location is None:
        return Source("function", fname)
    if snapshot is None:
        snapshot = snapshot_of(location)
    name = f"{tid[0]}.{tid[1]}" if tid else path
    # a metadata file never changes, so a scan of one (at a snapshot) is pinned
    return Source("iceberg", name, location, snapshot, pinned=True)


@lru_cache(maxsize=1024)
def snapshot_of(location: str) -> int | None:
    """The current snapshot id a metadata file names (files are immutable, so cached).

    A local metadata file is read with the standard library: the result cache asks this for
    every cell, and importing pyiceberg (about half a second) just to read one field would make
    plain SQL cells pay for it. Remote files go through pyiceberg's FileIO.
    """
    from neurolake_lab.lakehouse.naming import local_path

    path = local_path(location)
    if path is None:
        from neurolake_lab.lakehouse.lakehouse import read_metadata

        remote: int | None = read_metadata(location).current_snapshot_id
        return remote
    with open(path, "rb") as fh:
        value: Any = json.load(fh).get("current-snapshot-id")
    # Iceberg's v1 metadata writes -1 for "no snapshot"
    return int(value) if value is not None and int(value) >= 0 else None

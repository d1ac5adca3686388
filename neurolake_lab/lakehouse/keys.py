"""Declared keys: the ``neurolake.primary_key`` and ``neurolake.foreign_keys`` table properties.

Keys are optional: the natural-language planner infers undeclared ones from names, types and the
data. Declaring them (``ALTER TABLE t SET TBLPROPERTIES (...)``, or ``properties=`` when writing)
makes joins certain. Foreign keys are written either as JSON or in a short arrow form::

    ALTER TABLE shop.orders SET TBLPROPERTIES (
      'neurolake.primary_key' = 'order_id',
      'neurolake.foreign_keys' = 'customer_id -> shop.customers(customer_id)')

    'neurolake.foreign_keys' = '[{"columns": ["customer_id"], "references": "shop.customers",
                                  "ref_columns": ["customer_id"]}]'

Several keys in the arrow form are separated by ``;``; a referenced table without a namespace is
taken in the table's own. :func:`check_key_properties` refuses, with one message naming the
problem, keys whose columns or tables do not exist.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from neurolake_lab.exceptions import QueryError

PRIMARY_KEY_PROPERTY = "neurolake.primary_key"
FOREIGN_KEYS_PROPERTY = "neurolake.foreign_keys"
_ARROW = re.compile(r"^\s*([\w\s,\"]+?)\s*->\s*([\w.\"]+)\s*(?:\(([\w\s,\"]*)\))?\s*$")


@dataclass(frozen=True)
class DeclaredKey:
    """``columns`` of a table reference ``ref_columns`` of ``references`` (``ns.table``)."""

    columns: tuple[str, ...]
    references: str
    ref_columns: tuple[str, ...]


def _names(text: str) -> tuple[str, ...]:
    return tuple(n.strip().strip('"') for n in text.split(",") if n.strip())


def parse_foreign_keys(raw: str, namespace: str) -> list[DeclaredKey]:
    """The keys of a ``neurolake.foreign_keys`` value (JSON or arrow form).

    Raises:
        ValueError: The value is neither form (the message says what is wrong).

    Example:
        >>> [k.references for k in parse_foreign_keys("o_custkey -> customer(c_custkey); "
        ...                                          "a, b -> x.t", "tpch")]
        ['tpch.customer', 'x.t']
    """
    text = raw.strip()
    if not text:
        return []
    items: list[DeclaredKey] = []
    if text.startswith("["):
        data = json.loads(text)
        if not isinstance(data, list):
            raise ValueError("the JSON form is a list of {columns, references, ref_columns}")
        for item in data:
            if not isinstance(item, dict):
                raise ValueError("each foreign key is an object {columns, references, ref_columns}")
            cols = tuple(str(c) for c in item.get("columns", []))
            ref = str(item.get("references", ""))
            ref_cols = tuple(str(c) for c in item.get("ref_columns", [])) or cols
            items.append(DeclaredKey(cols, ref, ref_cols))
    else:
        for part in filter(None, (p.strip() for p in text.split(";"))):
            match = _ARROW.match(part)
            if match is None:
                raise ValueError(f"{part!r} is not 'column[, column] -> table(column[, column])'")
            cols = _names(match.group(1))
            ref_cols = _names(match.group(3) or "") or cols
            items.append(DeclaredKey(cols, match.group(2).replace('"', ""), ref_cols))
    out = []
    for key in items:
        if not key.columns or not key.references or len(key.columns) != len(key.ref_columns):
            raise ValueError(f"foreign key {key} needs as many columns as referenced columns")
        ref = key.references if "." in key.references else f"{namespace}.{key.references}"
        out.append(DeclaredKey(key.columns, ref, key.ref_columns))
    return out


def check_key_properties(
    table: str,
    properties: Mapping[str, str],
    columns: set[str],
    columns_of: Callable[[str], set[str] | None],
) -> None:
    """Refuse key properties that name columns or tables that do not exist.

    ``columns`` are the table's own; ``columns_of`` gives another table's (None: no such table).

    Raises:
        QueryError: One message naming the first problem found.
    """
    namespace = table.rpartition(".")[0]
    pk = properties.get(PRIMARY_KEY_PROPERTY)
    if pk is not None:
        missing = [c for c in _names(pk) if c not in columns]
        if missing or not _names(pk):
            raise QueryError(
                f"{PRIMARY_KEY_PROPERTY} of {table}: no column {', '.join(missing) or pk!r}; "
                f"the columns are {', '.join(sorted(columns))}",
                kind="syntax",
            )
    raw = properties.get(FOREIGN_KEYS_PROPERTY)
    if raw is None:
        return
    try:
        keys = parse_foreign_keys(raw, namespace)
    except ValueError as exc:
        raise QueryError(f"{FOREIGN_KEYS_PROPERTY} of {table}: {exc}", kind="syntax") from None
    for key in keys:
        missing = [c for c in key.columns if c not in columns]
        if missing:
            raise QueryError(
                f"{FOREIGN_KEYS_PROPERTY} of {table}: no column {', '.join(missing)}", kind="syntax"
            )
        ref_columns = columns if key.references == table else columns_of(key.references)
        if ref_columns is None:
            raise QueryError(
                f"{FOREIGN_KEYS_PROPERTY} of {table}: no table {key.references}", kind="syntax"
            )
        missing = [c for c in key.ref_columns if c not in ref_columns]
        if missing:
            raise QueryError(
                f"{FOREIGN_KEYS_PROPERTY} of {table}: {key.references} has no column "
                f"{', '.join(missing)}",
                kind="syntax",
            )

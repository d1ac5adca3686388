"""The columns and PII tags a statement reads when it travels in time (``FOR VERSION AS OF``).

The policy rewrites a statement against the columns and tags of the tables it reads. A versioned
reference reads an old snapshot, whose schema may differ from today's: a column renamed or
dropped since. Tags are bound to field ids, so the old snapshot's columns get the tags of their
ids — a dropped ``phone`` stays masked on the snapshots that still hold it, and a renamed column
is masked under its old name there too.

When every versioned reference to a table names one snapshot the governor can resolve (a number
or a time, not a ``$name``) and the statement does not also read the table as it is now, the
table is governed with that snapshot's schema exactly. Otherwise with every schema the table ever
had at once, a column PII if it was PII under any of them: what runs may then fail on a column
the snapshot lacks, which is a refusal, never a leak.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from neurolake_lab.exceptions import NeuroLakeError

if TYPE_CHECKING:
    from collections.abc import Callable

    from neurolake_lab.compliance.pii.tags import PiiTag
    from neurolake_lab.lakehouse import Lakehouse
    from neurolake_lab.lakehouse.schemas import Field
    from neurolake_lab.lakehouse.statements import TableId

Schema = dict[str, dict[str, str]]
Tags = dict[str, dict[str, Any]]


def at_versions(
    sql: str,
    lake: Lakehouse,
    schema: Schema,
    tags: Tags,
    parameter: Callable[[str], Any] | None = None,
) -> tuple[Schema, Tags]:
    """``schema`` and ``tags`` with the tables ``sql`` reads at old snapshots as it reads them.

    ``parameter`` gives the value of a ``$name`` used as a version or a time.
    """
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    from neurolake_lab.lakehouse.time_travel import version_of

    try:
        trees = [t for t in sqlglot.parse(sql, read="duckdb") if t is not None]
    except SqlglotError:  # the policy refuses what it cannot read
        return schema, tags
    versioned: dict[TableId, list[int | None]] = defaultdict(list)
    now: set[TableId] = set()
    for tree in trees:
        for table in tree.find_all(exp.Table):
            tid = lake.resolve_ref(table.db or None, table.name) if table.name else None
            if tid is None:
                continue
            if not isinstance(table.args.get("version"), exp.Version):
                now.add(tid)
                continue
            try:
                asked = version_of(table, lake.evaluate, parameter)
            except NeuroLakeError:  # the time travel itself names the problem when it runs
                asked = None
            versioned[tid].append(_snapshot(lake, tid, asked))
    if not versioned:
        return schema, tags
    schema, tags = dict(schema), dict(tags)
    for tid, snapshots in versioned.items():
        key = f"{tid[0]}.{tid[1]}"
        columns, found = _read_at(lake, tid, snapshots, exact=tid not in now)
        schema[key] = columns
        tags[key] = dict(found)
    return schema, tags


def _snapshot(lake: Lakehouse, tid: TableId, asked: tuple[int | None, Any] | None) -> int | None:
    if asked is None:
        return None
    try:
        return lake.snapshot_at(tid, *asked)
    except NeuroLakeError:
        return None


def _read_at(
    lake: Lakehouse, tid: TableId, snapshots: list[int | None], *, exact: bool
) -> tuple[dict[str, str], dict[str, PiiTag]]:
    from neurolake_lab.compliance.tagging import read_tags
    from neurolake_lab.lakehouse.lakehouse import read_properties
    from neurolake_lab.lakehouse.schemas import all_schemas, duckdb_type, schema_fields

    location = lake.pointers[tid]
    if exact and len(set(snapshots)) == 1 and snapshots[0] is not None:
        schemas = [schema_fields(location, snapshots[0])]
    else:
        schemas = [*all_schemas(location), schema_fields(location)]
    properties = read_properties(location)
    columns: dict[str, str] = {}
    found: dict[str, PiiTag] = {}
    for fields in reversed(schemas):  # the newest type of a name wins
        for f in fields:
            columns.setdefault(f.name, duckdb_type(f.type))
        for name, tag in read_tags(properties, _ids(fields)).items():
            if name not in found or (tag.entity and not found[name].entity):
                found[name] = tag
    return columns, found


def _ids(fields: list[Field]) -> dict[str, int]:
    return {f.name: f.field_id for f in fields}

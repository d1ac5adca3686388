"""``load_retail``: the demo data set, stored as Iceberg tables in the namespace ``retail``.

Every table gets its description (table property ``comment``), a doc on every column, its primary
key and foreign keys as table properties (``neurolake.primary_key``, ``neurolake.foreign_keys``,
which the metadata index and the planner read to join without guessing), and quality checks on
its keys. ``orders`` is partitioned by month of ``order_date``, so time filters skip files.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

from neurolake_lab import progress
from neurolake_lab.demo.retail import DemoTable, generate_retail
from neurolake_lab.demo.semantics import semantics_property
from neurolake_lab.lakehouse.quality import PROPERTY as QUALITY_PROPERTY
from neurolake_lab.lakehouse.quality import QualityRules

if TYPE_CHECKING:
    from neurolake_lab.session import Session

NAMESPACE = "retail"
#: table property: the UTC day the demo's dates are placed around (``demo load --if-stale``)
DEMO_DAY_PROPERTY = "neurolake.demo_day"
PRIMARY_KEY_PROPERTY = "neurolake.primary_key"
FOREIGN_KEYS_PROPERTY = "neurolake.foreign_keys"
#: partition fields of the tables that have them
PARTITIONING = {"orders": ["month(order_date)"]}


def table_properties(
    table: DemoTable, namespace: str = NAMESPACE, today: dt.date | None = None
) -> dict[str, str]:
    """The Iceberg table properties of a demo table: description, keys and quality checks."""
    keys = [
        {
            "columns": list(fk.columns),
            "references": f"{namespace}.{fk.ref_table}",
            "ref_columns": list(fk.ref_columns),
        }
        for fk in table.foreign_keys
    ]
    rules = QualityRules(
        not_null=list(table.primary_key) + [c for fk in table.foreign_keys for c in fk.columns],
        unique=[list(table.primary_key)] if table.primary_key else [],
    )
    props = {
        "comment": table.description,
        PRIMARY_KEY_PROPERTY: ",".join(table.primary_key),
        FOREIGN_KEYS_PROPERTY: json.dumps(keys),
        QUALITY_PROPERTY: rules.to_json(),
        "neurolake.demo": "retail",
        **({DEMO_DAY_PROPERTY: today.isoformat()} if today else {}),
        **semantics_property(table.name),  # business vocabulary for %%nl
    }
    return props


def load_retail(
    session: Session, scale: float = 1, seed: int = 42, today: dt.date | None = None
) -> dict[str, int]:
    """Create (or replace) the ``retail`` namespace with the demo tables; rows per table.

    Deterministic for a ``seed``; dates are placed relative to ``today`` (the UTC date by
    default). Each table is one Iceberg commit.
    """
    from neurolake_lab.lakehouse.statements import parse_layout

    today = today or dt.datetime.now(dt.UTC).date()
    counts: dict[str, int] = {}
    # one step to generate the rows, one per table written (the demo has five)
    with progress.bar(6, "loading the retail demo", unit="step") as step:
        tables = generate_retail(scale=scale, seed=seed, today=today)
        step("generated")
        lake = session.lakehouse
        lake.refresh(session.engine.con)
        _drop_namespace(session)
        lake.refresh(session.engine.con)
        ctx = session.write_context(f"-- neurolake demo load --scale {scale} --seed {seed}")
        try:
            for table in tables:
                partition, _ = parse_layout(PARTITIONING.get(table.name, []), [])
                lake.writer.create(
                    (NAMESPACE, table.name), table.data, ctx, partition_by=partition,
                    properties=table_properties(table, today=today), docs=table.column_docs,
                    operation="demo load",
                )  # fmt: skip
                counts[table.name] = table.data.num_rows
                step(table.name)
        finally:
            lake.refresh(session.engine.con)
    session.record(
        "write", table=NAMESPACE, operation="demo load", scale=scale, seed=seed, rows=counts
    )
    return counts


def demo_day(session: Session) -> dt.date | None:
    """The day the loaded demo's dates are placed around; ``None`` when there is no demo."""
    from pyiceberg.exceptions import NoSuchNamespaceError, NoSuchTableError

    try:
        table = session.lakehouse.catalog.load_table((NAMESPACE, "orders"))
    except (NoSuchNamespaceError, NoSuchTableError):
        return None
    day = table.properties.get(DEMO_DAY_PROPERTY)
    return dt.date.fromisoformat(day) if day else None


def _drop_namespace(session: Session) -> None:
    """Remove an earlier ``retail`` namespace and its tables (the demo replaces it)."""
    from pyiceberg.exceptions import NoSuchNamespaceError

    from neurolake_lab.lakehouse.tables import quiet_pyiceberg

    catalog = session.lakehouse.catalog
    try:
        tables = catalog.list_tables(NAMESPACE)
    except NoSuchNamespaceError:
        return
    with quiet_pyiceberg():
        for ident in tables:
            catalog.purge_table(ident)

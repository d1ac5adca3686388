"""A Daft engine over a session's lakehouse, and the governed SQL a cell would hand it.

This is what the cell pipeline's execution stage does for ``--engine daft`` (the wiring lands
with the pipeline refactor): govern the statement as for DuckDB, rewrite its time travel, then
give the governed text to the chosen engine.
"""

from __future__ import annotations

from typing import Any

from neurolake_lab.engine.daft_engine import DaftEngine
from neurolake_lab.lakehouse.lakehouse import read_metadata
from neurolake_lab.lakehouse.time_travel import has_time_travel
from neurolake_lab.session import Session


def daft_engine_for(
    session: Session, *, local: bool = True, address: str | None = None
) -> DaftEngine:
    lake = session.lakehouse
    con = session.engine.con

    def locate(namespace: str | None, name: str) -> str | None:
        lake.refresh(con)
        tid = lake.resolve_ref(namespace, name)
        return lake.pointers.get(tid) if tid else None

    def columns(location: str, snapshot_id: int | None) -> list[str]:
        meta = read_metadata(location)
        if snapshot_id is None:
            return [f.name for f in meta.schema().fields]
        snapshot = meta.snapshot_by_id(snapshot_id)
        schema = (
            meta.schema_by_id(snapshot.schema_id)
            if snapshot and snapshot.schema_id is not None
            else meta.schema()
        )
        return [f.name for f in schema.fields]

    def user_value(expression: str) -> Any:
        session.policy()  # the user's functions are registered with the policy in force
        row = con.execute(f"SELECT {expression}").fetchone()
        return row[0] if row else None

    def output_names(sql: str) -> list[str]:
        return [row[0] for row in con.execute(f"DESCRIBE {sql}").fetchall()]

    session.policy()
    salt = con.execute("SELECT __nl_salt FROM temp.main.__nl_mask_salt").fetchone()
    assert salt is not None
    return DaftEngine(
        locate=locate,
        columns=columns,
        user_value=user_value,
        salt=str(salt[0]),
        io_properties={k: v for k, v in lake.config.properties.items() if k.startswith("s3.")},
        address=address,
        local=local,
        output_names=output_names,
    )


def governed(session: Session, sql: str) -> str:
    """``sql`` as the cell pipeline runs it: policy applied, time travel rewritten."""
    session.lakehouse.refresh(session.engine.con)
    enforcement = session.govern(sql, "SELECT")
    run_sql = enforcement.sql if enforcement is not None else sql
    if has_time_travel(run_sql):
        run_sql = session.lakehouse.rewrite_time_travel(run_sql)
    return run_sql

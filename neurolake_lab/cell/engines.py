"""Which engine runs a cell's queries: DuckDB in the kernel, or Daft (locally or on Ray).

``%%sql --engine daft|daft-ray`` (``session.sql(..., engine=...)``) picks it per cell, else
``$NEUROLAKE_ENGINE``, else the ``engine`` setting in ``neurolake.toml``, else DuckDB. Every
stage before execution — policy rewrite, lineage, cost prediction, the audit record — is the
same for all engines; only the governed text goes to the engine chosen. Writes commit through
DuckDB and the lakehouse (one Iceberg commit each): on another engine they are refused, never run
on the kernel's DuckDB instead.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from neurolake_lab.engine.backend import DEFAULT, EngineBackend, backend_class, engine_name

if TYPE_CHECKING:
    from neurolake_lab.cell.plan import CellPlan
    from neurolake_lab.services import Services


def chosen(plan: CellPlan, services: Services) -> str:
    """The name of the engine that runs this cell's queries."""
    return engine_name(os.environ if plan.engine is None else {}, plan.engine
                       or services.settings.extra.get("engine"))  # fmt: skip


def audited(plan: CellPlan, services: Services) -> str | None:
    """The engine an audit record names: the one chosen, unless DuckDB by default."""
    name = chosen(plan, services)
    return name if plan.engine is not None or name != DEFAULT else None


def backend_for(plan: CellPlan, services: Services) -> EngineBackend:
    """The engine that runs this cell's queries (made once per session and name)."""
    name = chosen(plan, services)
    if name == "duckdb":
        return services.engine
    if name not in services.backends:
        services.backends[name] = _daft(services, local=name == "daft")
    return services.backends[name]


def _daft(services: Services, *, local: bool) -> EngineBackend:
    """A Daft engine reading this session's lakehouse with this session's governance."""
    from neurolake_lab.compliance.policy.masking import table_key, workspace_salt
    from neurolake_lab.compliance.policy.portable import portable_governance
    from neurolake_lab.lakehouse.lakehouse import read_metadata

    lake, con, governor = services.lakehouse, services.engine.con, services.governor

    def locate(namespace: str | None, name: str) -> str | None:
        tid = lake.resolve_ref(namespace, name)
        return lake.pointers.get(tid) if tid else None

    def columns(location: str, snapshot_id: int | None) -> list[str]:
        meta = read_metadata(location)
        snapshot = meta.snapshot_by_id(snapshot_id) if snapshot_id is not None else None
        if snapshot is not None and snapshot.schema_id is not None:
            return [f.name for f in meta.schema_by_id(snapshot.schema_id).fields]
        return [f.name for f in meta.schema().fields]

    def user_value(expression: str) -> Any:
        governor.policy()  # the user's attribute functions follow the policy in force
        row = con.execute(f"SELECT {expression}").fetchone()
        return row[0] if row else None

    def output_names(sql: str) -> list[str]:
        return [str(row[0]) for row in con.execute(f"DESCRIBE {sql}").fetchall()]

    governor.policy()
    secret = workspace_salt(services.settings.workspace)
    cls = backend_class("daft" if local else "daft-ray")
    store = {k: v for k, v in lake.config.properties.items() if k.startswith("s3.")}
    engine: EngineBackend = cls(  # type: ignore[call-arg]  # the Daft engine's own arguments
        locate=locate, columns=columns, user_value=user_value, governance=portable_governance(),
        table_key=lambda table: table_key(secret, table), io_properties=store, local=local,
        output_names=output_names,
    )  # fmt: skip
    return engine

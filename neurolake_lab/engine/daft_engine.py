"""The Daft engine: governed queries over the lakehouse's Iceberg tables, locally or on Ray.

``daft`` runs on Daft's local runner; ``daft-ray`` on a Ray cluster (``RAY_ADDRESS`` or the
address given; ``ray://host:10001`` for a cluster the kernel is not part of). The statement it
gets is already governed; :mod:`~neurolake_lab.engine.daft_sql` rewrites it for Daft (masks,
row filters, time travel kept) or refuses it naming the construct. Each Iceberg table is read
with ``daft.read_iceberg`` at the snapshot the statement names, so Daft prunes files and columns
itself, on the workers. Daft and Ray are imported on first use (``pip install
'neurolake_lab[daft]'``); Daft's runner is per process, so one process uses one cluster.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pyarrow as pa

from neurolake_lab.engine.backend import EngineBackend, UnsupportedByEngine
from neurolake_lab.engine.daft_sql import (
    DENY_UDF,
    ENGINE,
    HASH_UDF,
    Governance,
    Locate,
    Scan,
    translate,
)
from neurolake_lab.engine.duckdb_engine import Execution, Lookup, Params
from neurolake_lab.exceptions import NeuroLakeError, QueryError

#: How a denied column's error reaches the user through Daft's own error text.
_DENIED_MARK = "NEUROLAKE-DENIED:"


class DaftEngine(EngineBackend):
    """Runs governed SELECTs on Daft over Iceberg tables (the local runner, or Ray).

    Args:
        locate: a table reference's Iceberg metadata file (``None``: not a lakehouse table).
        columns: a table's column names at a snapshot (to spell out governed ``*``).
        user_value: the value of a ``current_user_*()`` function for the session's user.
        governance: the policy rewrite's own constructs as portable SQL
            (``compliance.policy.portable.portable_governance()``).
        table_key: a table's masking key (``ns.t`` → the key DuckDB's ``nl_mask_key`` gives),
            so hash masks equal DuckDB's; it stays in this process, never in the SQL.
        io_properties: pyiceberg FileIO properties of the warehouse (``s3.*``).
        address: the Ray cluster (``None``: ``$RAY_ADDRESS``); ``local=True``: no Ray.
        output_names: the column names DuckDB gives a statement's result (``DESCRIBE``), so a
            cell's columns are named alike on both engines (``count_star()``, ``sum(x)``).
    """

    name = "daft-ray"

    def __init__(
        self,
        *,
        locate: Locate,
        columns: Callable[[str, int | None], Sequence[str]],
        user_value: Callable[[str], Any],
        governance: Governance,
        table_key: Callable[[str], str],
        io_properties: Mapping[str, str] | None = None,
        address: str | None = None,
        local: bool = False,
        output_names: Callable[[str], Sequence[str]] | None = None,
    ) -> None:
        self.locate = locate
        self.output_names = output_names
        self.columns = columns
        self.user_value = user_value
        self.governance = governance
        self.table_key = table_key
        self.io_properties = dict(io_properties or {})
        self.address = address or os.environ.get("RAY_ADDRESS")
        self.local = local
        if local:
            self.name = "daft"
        elif not self.address:
            raise NeuroLakeError(
                "the daft-ray engine needs the Ray cluster's address",
                hint="set RAY_ADDRESS (ray://head:10001 from outside the cluster), or use "
                "--engine daft for Daft's local runner",
            )
        self._daft: Any = None

    # -- Daft, on first use -------------------------------------------------------------------

    def _start(self) -> Any:
        if self._daft is not None:
            return self._daft
        import daft
        from daft.runners import _get_runner

        runner: Any = _get_runner()  # None until this process picked one
        wanted = "native" if self.local else "ray"
        if runner is None:
            if self.local:
                daft.set_runner_native()
            else:
                daft.set_runner_ray(address=self.address, noop_if_initialized=True)
        elif runner.name != wanted:
            raise NeuroLakeError(
                f"this process already runs Daft on its {runner.name} runner; the {self.name} "
                f"engine needs the {wanted} runner",
                hint="Daft has one runner per process: restart the kernel to switch",
            )
        self._daft = daft
        return daft

    def _io_config(self) -> Any:
        props = self.io_properties
        if not any(k.startswith("s3.") for k in props):
            return None
        from daft.io import IOConfig, S3Config

        return IOConfig(
            s3=S3Config(
                endpoint_url=props.get("s3.endpoint"),
                key_id=props.get("s3.access-key-id"),
                access_key=props.get("s3.secret-access-key"),
                session_token=props.get("s3.session-token"),
                region_name=props.get("s3.region"),
                force_virtual_addressing=props.get("s3.force-virtual-addressing", "").lower()
                in ("1", "true", "yes"),
            )
        )

    def _frame(self, daft: Any, scan: Scan) -> Any:
        from pyiceberg.table import StaticTable

        table = StaticTable.from_metadata(scan.metadata_location, properties=self.io_properties)
        return daft.read_iceberg(table, snapshot_id=scan.snapshot_id, io_config=self._io_config())

    def _session(self, daft: Any, scans: list[Scan]) -> Any:
        table_key = self.table_key

        @daft.func(return_dtype=daft.DataType.string())  # type: ignore[untyped-decorator]
        def nl_mask_hash(value: Any, table: Any, column: Any) -> str | None:
            # md5(key || column || 0x1F || value) as DuckDB's nl_mask_hash_keyed: equal
            # pseudonyms on both engines
            if value is None:
                return None
            text = table_key(str(table)) + str(column).lower() + "\x1f" + _text(value)
            return hashlib.md5(text.encode()).hexdigest()

        @daft.func(return_dtype=daft.DataType.string())  # type: ignore[untyped-decorator]
        def nl_denied(message: Any) -> str | None:
            raise ValueError(_DENIED_MARK + str(message))

        session = daft.Session()
        session.attach_function(nl_mask_hash, HASH_UDF)
        session.attach_function(nl_denied, DENY_UDF)
        for scan in scans:
            session.create_temp_table(scan.name, self._frame(daft, scan))
        return session

    # -- running ------------------------------------------------------------------------------

    def run(
        self,
        sql: str,
        params: Params = None,
        lookup: Lookup | None = None,
        statement_type: str = "",
    ) -> Execution:
        """Translate and run one governed query; its rows as Arrow."""
        if params:
            raise UnsupportedByEngine(ENGINE, "bound parameters ($name or ?)")
        translation = translate(sql, self.locate, self.columns, self.user_value, self.governance)
        daft = self._start()
        start = time.perf_counter()
        try:
            frame = self._session(daft, translation.scans).sql(translation.sql)
            planned = time.perf_counter()
            table = frame.to_arrow()
        except Exception as exc:  # Daft's planner and executor raise many kinds
            raise _daft_error(exc) from None
        done = time.perf_counter()
        if self.output_names is not None:
            names = list(self.output_names(sql))
            if len(names) == table.num_columns:
                table = table.rename_columns(names)
        return Execution(
            table, _duck_types(table.schema), statement_type or "SELECT", sql,
            (planned - start) * 1000, (done - planned) * 1000,
        )  # fmt: skip

    def close(self) -> None:
        """Nothing to release: the Ray connection belongs to the process (Daft's runner)."""


def _text(value: Any) -> str:
    """A value as DuckDB's ``CAST(x AS VARCHAR)`` writes the common types."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _duck_types(schema: pa.Schema) -> list[str]:
    import duckdb

    empty = pa.Table.from_batches([], schema=schema)
    return [str(t) for t in duckdb.connect().from_arrow(empty).types]


def _daft_error(exc: Exception) -> QueryError:
    # on Ray, Daft's error arrives wrapped in Ray's task errors (their text is the actor and
    # the remote traceback): the innermost cause is Daft's own
    while isinstance(getattr(exc, "cause", None), Exception):
        exc = exc.cause  # type: ignore[attr-defined]
    text = str(exc)
    if _DENIED_MARK in text:
        message = text.split(_DENIED_MARK, 1)[1].splitlines()[0].strip().strip("'\")")
        return QueryError(message, kind="denied")
    first = next((line.strip() for line in text.splitlines() if line.strip()), type(exc).__name__)
    for prefix in ("DaftError::External ", "DaftError::", "Daft error: "):
        first = first.replace(prefix, "")
    return UnsupportedByEngine(ENGINE, f"this query (Daft: {first[:300]})")

"""Engine backends: one abstract engine, one module per backend, loaded by name.

A cell is governed (policy rewrite, lineage, cost, audit) before it reaches an engine; the engine
only runs the governed SQL and returns Arrow. DuckDB in the kernel is the default; ``daft`` runs
queries on Daft's local runner and ``daft-ray`` on a Ray cluster, reading the same Iceberg tables.
A backend's heavy libraries are imported only when it is chosen, with one clear "pip install"
error when they are missing (the shape of pyiceberg's ``load_catalog``).

Example:
    >>> engine_name({"NEUROLAKE_ENGINE": "daft-ray"})
    'daft-ray'
    >>> engine_name({})
    'duckdb'
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from neurolake_lab.exceptions import NeuroLakeError, QueryError

if TYPE_CHECKING:
    from neurolake_lab.engine.duckdb_engine import Execution, Lookup, Params

#: Backend name → (module, class, the extra that installs what it needs).
BACKENDS: dict[str, tuple[str, str, str | None]] = {
    "duckdb": ("neurolake_lab.engine.duckdb_engine", "DuckDBEngine", None),
    "daft": ("neurolake_lab.engine.daft_engine", "DaftEngine", "daft"),
    "daft-ray": ("neurolake_lab.engine.daft_engine", "DaftEngine", "daft"),
}
DEFAULT = "duckdb"
ENV_VAR = "NEUROLAKE_ENGINE"


class EngineBackend(ABC):
    """What every engine does: run one (governed) statement and return its rows as Arrow."""

    #: the backend's name, as ``NEUROLAKE_ENGINE`` and ``%%sql --engine`` spell it
    name: str = ""

    @abstractmethod
    def run(
        self,
        sql: str,
        params: Params = None,
        lookup: Lookup | None = None,
        statement_type: str = "",
    ) -> Execution:
        """Run one statement; its result as Arrow with the time it took.

        Raises:
            QueryError: the statement failed, or (``UnsupportedByEngine``) uses a construct the
                engine cannot run.
        """

    @abstractmethod
    def close(self) -> None:
        """Release what the engine holds (connections, clusters, spill files)."""


class UnsupportedByEngine(QueryError):
    """A construct the chosen engine cannot run: named, never silently run elsewhere."""

    def __init__(self, engine: str, construct: str, *, hint: str | None = None) -> None:
        super().__init__(
            f"the {engine} engine cannot run {construct}",
            kind="unsupported",
            hint=hint or "run this cell on DuckDB (--engine duckdb) or rewrite the construct",
        )
        self.title = "Not supported by this engine"
        self.engine = engine
        self.construct = construct


def engine_name(environ: Mapping[str, str], setting: Any = None) -> str:
    """The engine a session uses: ``$NEUROLAKE_ENGINE``, else the ``engine`` setting, else DuckDB.

    Raises:
        NeuroLakeError: the name is not a known backend.
    """
    name = str(environ.get(ENV_VAR) or setting or DEFAULT).strip().lower()
    if name not in BACKENDS:
        raise NeuroLakeError(
            f"unknown engine {name!r}",
            hint=f"{ENV_VAR} (or --engine) is one of {', '.join(sorted(BACKENDS))}",
        )
    return name


def backend_class(name: str) -> type[EngineBackend]:
    """The class of backend ``name``, imported now (a clear error when its extra is missing).

    Raises:
        NeuroLakeError: unknown name, or the backend's libraries are not installed.
    """
    engine_name({}, name)
    module_name, class_name, extra = BACKENDS[name]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        missing = exc.name or str(exc)
        raise NeuroLakeError(
            f"the {name} engine needs {missing}, which is not installed",
            hint=f"pip install 'neurolake_lab[{extra}]'" if extra else None,
        ) from None
    cls: type[EngineBackend] = getattr(module, class_name)
    return cls

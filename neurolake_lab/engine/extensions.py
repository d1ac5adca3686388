"""Load DuckDB extensions shipped as Python packages (``duckdb-extension-<name>``), offline.

DuckDB's wheels link only core_functions, icu, json and parquet; ``iceberg`` (which needs
``avro``) and ``tpch`` come from PyPI packages that hold the built extension file. Loading that
file by path needs no extension server, so nothing is downloaded at run time.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import duckdb

from neurolake_lab.exceptions import NeuroLakeError

#: Extensions another one needs loaded first.
_REQUIRES = {"iceberg": ("avro",)}


def extension_file(name: str) -> Path:
    """The ``.duckdb_extension`` file of ``name`` for the running DuckDB version."""
    spec = importlib.util.find_spec(f"duckdb_extension_{name}")
    if spec is None or spec.origin is None:
        raise NeuroLakeError(
            f"the DuckDB extension {name!r} is not installed",
            hint=f"pip install duckdb-extension-{name}=={duckdb.__version__}",
        )
    path = Path(spec.origin).parent / "extensions" / f"v{duckdb.__version__}"
    path /= f"{name}.duckdb_extension"
    if not path.exists():
        raise NeuroLakeError(
            f"the installed DuckDB extension {name!r} does not match DuckDB {duckdb.__version__}",
            hint=f"pip install duckdb-extension-{name}=={duckdb.__version__}",
        )
    return path


def load_extension(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Load ``name`` (and what it needs) into ``con`` from its package; a no-op once loaded."""
    for dep in (*_REQUIRES.get(name, ()), name):
        loaded = con.execute(
            "SELECT loaded FROM duckdb_extensions() WHERE extension_name = ?", [dep]
        ).fetchone()
        if loaded and loaded[0]:
            continue
        path = str(extension_file(dep)).replace("'", "''")
        con.execute(f"LOAD '{path}'")

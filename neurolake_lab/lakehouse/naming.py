"""Names and paths: quoting identifiers, table ids for messages, ``iceberg_scan`` calls."""

from __future__ import annotations

from urllib.parse import unquote, urlparse

from neurolake_lab.exceptions import LakehouseError
from neurolake_lab.lakehouse.statements import TableId


def quote_ident(name: str) -> str:
    """A DuckDB identifier, always quoted."""
    return '"' + name.replace('"', '""') + '"'


def qualified(tid: TableId) -> str:
    """``"ns"."table"`` for SQL."""
    return f"{quote_ident(tid[0])}.{quote_ident(tid[1])}"


def display_name(tid: TableId) -> str:
    """``ns.table`` for messages."""
    return f"{tid[0]}.{tid[1]}"


def local_path(location: str) -> str | None:
    """The local path of a ``file://`` location (or a plain path), else ``None``."""
    if location.startswith("file:"):
        return unquote(urlparse(location).path)
    if "://" not in location:
        return location
    return None


def scan_sql(metadata_location: str, snapshot_id: int | None = None) -> str:
    """The ``iceberg_scan(...)`` call reading a table's metadata file (at a snapshot)."""
    from neurolake_lab.lakehouse.storage import is_remote

    path = metadata_location if is_remote(metadata_location) else local_path(metadata_location)
    if path is None:
        raise LakehouseError(
            f"cannot read {metadata_location}: data files must be in a local folder or on an "
            "S3-compatible object store (s3://)"
        )
    arg = "'" + path.replace("'", "''") + "'"
    if snapshot_id is not None:
        return f"iceberg_scan({arg}, snapshot_from_id => {int(snapshot_id)})"
    return f"iceberg_scan({arg})"

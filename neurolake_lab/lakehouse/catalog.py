"""The workspace's Iceberg catalog: which one to open, and a fast read of its table pointers.

pyiceberg takes about a second to import, so plain SQL never imports it: the default SQLite
catalog's pointers (namespace, table → current metadata file) are read with the standard library,
and pyiceberg is loaded only to write, travel in time or inspect history.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from neurolake_lab.config import Settings, Workspace
from neurolake_lab.exceptions import LakehouseError
from neurolake_lab.lakehouse.storage import (
    ObjectStore,
    object_store_properties,
    uses_object_store,
)

if TYPE_CHECKING:
    from pyiceberg.catalog import Catalog

CATALOG_NAME = "neurolake"

#: (namespace, table) → the metadata file of the table's current snapshot.
Pointers = dict[tuple[str, str], str]


@dataclass(frozen=True)
class CatalogConfig:
    """Where the catalog and the data files are."""

    uri: str
    #: a location, or (REST) the warehouse to ask the server for; ``None``: the server's default
    warehouse: str | None
    properties: dict[str, str]

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite file when the catalog is SQLite, else ``None``."""
        if not self.uri.startswith("sqlite:"):
            return None
        path = urlparse(self.uri).path
        return Path(unquote(path)) if path else None

    @property
    def is_sql(self) -> bool:
        """True for pyiceberg's SQL catalog (SQLite or PostgreSQL through SQLAlchemy)."""
        return not self.is_rest

    @property
    def is_rest(self) -> bool:
        """True for an Iceberg REST catalog."""
        return self.uri.startswith(("http://", "https://"))

    @property
    def store(self) -> ObjectStore | None:
        """The S3-compatible store data files are on, when one is configured."""
        if uses_object_store(self.properties, self.warehouse):
            return ObjectStore.from_properties(self.properties)
        return None


def catalog_config(settings: Settings) -> CatalogConfig:
    """The catalog of a session: configured, or SQLite and a local folder in the workspace.

    A REST catalog decides where its tables live: it is asked for a warehouse only when one is
    configured (a local folder becomes a ``file:`` location, anything else such as a warehouse
    name goes as given), never for the workspace's own folder, so that every workspace pointed at
    one server sees the same tables.
    """
    ws = Workspace(settings.workspace)
    uri = settings.catalog_uri or f"sqlite:///{ws.catalog_db}"
    props = dict(settings.catalog_properties)
    if uses_object_store(props, settings.warehouse):
        props.update(object_store_properties(props))
    if uri.startswith(("http://", "https://")):
        wanted = settings.warehouse
        if wanted and "://" not in wanted and wanted.startswith(("/", "~", ".")):
            wanted = Path(wanted).expanduser().resolve().as_uri()
        return CatalogConfig(uri=uri, warehouse=wanted or None, properties=props)
    warehouse = settings.warehouse or ws.warehouse.as_uri()
    if "://" not in warehouse:
        warehouse = Path(warehouse).expanduser().resolve().as_uri()
    return CatalogConfig(uri=uri, warehouse=warehouse, properties=props)


def open_catalog(config: CatalogConfig) -> Catalog:
    """Open the pyiceberg catalog (SQL on SQLite/PostgreSQL, or REST)."""
    warehouse = {"warehouse": config.warehouse} if config.warehouse else {}
    props = {**warehouse, **config.properties}
    if config.is_rest:
        try:
            return _rest_catalog_class()(CATALOG_NAME, uri=config.uri, **props)
        except Exception as exc:  # requests' and pyiceberg's errors: one line naming the server
            raise rest_failure(config, exc, "cannot open") from None
    try:
        from pyiceberg.catalog.sql import SqlCatalog

        uri = config.uri
        if config.sqlite_path is not None:
            config.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
            if config.warehouse and config.warehouse.startswith("file:"):
                Path(unquote(urlparse(config.warehouse).path)).mkdir(parents=True, exist_ok=True)
            _enable_wal(config.sqlite_path)
            # several kernels commit to one file: wait for its lock instead of failing at once
            uri += ("&" if "?" in uri else "?") + "timeout=30"
        return SqlCatalog(CATALOG_NAME, uri=uri, **props)
    except LakehouseError:
        raise
    except Exception as exc:  # pyiceberg/SQLAlchemy raise many kinds; name the catalog
        raise LakehouseError(f"cannot open the Iceberg catalog {config.uri}: {exc}") from None


def rest_failure(config: CatalogConfig, exc: BaseException, doing: str) -> LakehouseError:
    """The error for a REST catalog call that failed: the server's URI and why, in one line."""
    import requests

    hint = None
    if isinstance(exc, requests.ConnectionError):
        why = "the server does not answer"
        hint = "is it running, and is the catalog URI (NEUROLAKE_CATALOG_URI) right?"
    elif isinstance(exc, requests.Timeout):
        why = "the server did not answer in time"
    else:
        why = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return LakehouseError(f"{doing} the Iceberg REST catalog {config.uri}: {why}", hint=hint)


@cache
def _rest_catalog_class() -> type[Catalog]:
    """The ``RestCatalog`` class of pyiceberg, counting the changes made through it (``changes``).

    The REST catalog's table listing is cached for a second; a change this session made must
    show in its next statement at once, so the listing is redone whenever the count moved.
    """
    from pyiceberg.catalog.rest import RestCatalog

    def counted(method: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(method)
        def run(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            finally:  # a failed call may have changed the catalog too
                self.changes += 1

        return run

    class CountingRestCatalog(RestCatalog):  # type: ignore[misc]  # pyiceberg is untyped here
        changes = 0
        commit_table = counted(RestCatalog.commit_table)
        create_table = counted(RestCatalog.create_table)
        register_table = counted(RestCatalog.register_table)
        drop_table = counted(RestCatalog.drop_table)  # purge_table calls it as well
        rename_table = counted(RestCatalog.rename_table)
        create_namespace = counted(RestCatalog.create_namespace)
        drop_namespace = counted(RestCatalog.drop_namespace)

    return CountingRestCatalog


def _enable_wal(path: Path) -> None:
    """Write-ahead logging lets readers in other kernels go on while one kernel commits."""
    con = sqlite3.connect(path, timeout=30)
    try:
        con.execute("PRAGMA journal_mode=WAL")
    finally:
        con.close()


class PointerReader:
    """Reads every table's current metadata file, as cheaply as the catalog allows."""

    def __init__(self, config: CatalogConfig, catalog: Callable[[], Catalog]) -> None:
        self.config = config
        self._catalog = catalog
        self._con: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        #: (when, the catalog's change count then, pointers, namespaces) of the last listing
        self._cached: tuple[float, int, Pointers, set[str]] | None = None

    def read(self) -> tuple[Pointers, set[str]]:
        """``(pointers, namespaces)`` as committed right now."""
        path = self.config.sqlite_path
        if path is not None:
            return self._read_sqlite(path)
        if self.config.is_sql:
            return self._read_sql()
        # a REST catalog: list at most once a second (each listing is a round trip per table),
        # and again as soon as this session changed something
        now = time.monotonic()
        changes = int(getattr(self._catalog(), "changes", 0))
        cached = self._cached
        if cached is not None and now - cached[0] < 1.0 and cached[1] == changes:
            return cached[2], cached[3]
        try:
            pointers, namespaces = self._read_catalog()
        except LakehouseError:
            raise
        except Exception as exc:  # the server went away, or answered with an error
            raise rest_failure(self.config, exc, "cannot list the tables of") from None
        self._cached = (now, changes, pointers, namespaces)
        return pointers, namespaces

    def _read_sqlite(self, path: Path) -> tuple[Pointers, set[str]]:
        if not path.exists():
            return {}, set()
        if self._con is None:
            # the kernel reads from its shell thread and from the comm thread (preflight):
            # one read-only connection, used by one thread at a time
            self._con = sqlite3.connect(
                f"{path.as_uri()}?mode=ro", uri=True, timeout=30, check_same_thread=False
            )
        try:
            with self._lock:
                rows = self._con.execute(
                    "SELECT table_namespace, table_name, metadata_location FROM iceberg_tables "
                    "WHERE catalog_name = ?",
                    (CATALOG_NAME,),
                ).fetchall()
                spaces = self._con.execute(
                    "SELECT DISTINCT namespace FROM iceberg_namespace_properties "
                    "WHERE catalog_name = ?",
                    (CATALOG_NAME,),
                ).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):  # the catalog file exists but has no tables yet
                return {}, set()
            raise LakehouseError(f"cannot read the Iceberg catalog {path}: {exc}") from None
        pointers = {(ns, name): loc for ns, name, loc in rows if loc}
        namespaces = {ns for (ns,) in spaces} | {ns for ns, _ in pointers}
        return pointers, namespaces

    def _read_sql(self) -> tuple[Pointers, set[str]]:
        """The same two indexed reads as for SQLite, through the SQL catalog's own engine."""
        from sqlalchemy import text

        engine = getattr(self._catalog(), "engine", None)
        if engine is None:
            return self._read_catalog()
        try:
            with engine.connect() as con:
                rows = con.execute(
                    text(
                        "SELECT table_namespace, table_name, metadata_location "
                        "FROM iceberg_tables WHERE catalog_name = :c"
                    ),
                    {"c": CATALOG_NAME},
                ).fetchall()
                spaces = con.execute(
                    text(
                        "SELECT DISTINCT namespace FROM iceberg_namespace_properties "
                        "WHERE catalog_name = :c"
                    ),
                    {"c": CATALOG_NAME},
                ).fetchall()
        except Exception as exc:  # SQLAlchemy's errors: a missing table on a fresh catalog
            if "iceberg_tables" in str(exc) or "does not exist" in str(exc):
                return {}, set()
            raise LakehouseError(
                f"cannot read the Iceberg catalog {self.config.uri}: {exc}"
            ) from None
        pointers = {(ns, name): loc for ns, name, loc in rows if loc}
        namespaces = {ns for (ns,) in spaces} | {ns for ns, _ in pointers}
        return pointers, namespaces

    def _read_catalog(self) -> tuple[Pointers, set[str]]:
        catalog = self._catalog()
        pointers: Pointers = {}
        namespaces: set[str] = set()
        for ns_tuple in catalog.list_namespaces():
            ns = ".".join(ns_tuple)
            namespaces.add(ns)
            for ident in catalog.list_tables(ns_tuple):
                table = catalog.load_table(ident)
                pointers[(ns, ident[-1])] = table.metadata_location
        return pointers, namespaces

    def close(self) -> None:
        """Close the SQLite connection (kernel shutdown runs on another thread than the reads)."""
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None

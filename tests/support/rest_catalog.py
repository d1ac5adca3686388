"""A real Iceberg REST catalog server on 127.0.0.1, for tests.

The Iceberg REST catalog is an OpenAPI spec (``open-api/rest-catalog-open-api.yaml`` in
apache/iceberg) whose reference server is Java; this machine has no Java, no Docker and no
network. So this module serves the spec's HTTP API from Python, with a real catalog behind it:
pyiceberg's ``SqlCatalog`` on a SQLite file in a folder the server owns. Requests are parsed with
pyiceberg's own pydantic models of the spec (``CreateTableRequest``, ``CommitTableRequest`` with
its ``TableRequirement``/``TableUpdate`` unions, ``TableMetadata``), and every answer is what that
catalog did: metadata files are written, a commit whose requirements no longer hold is refused
(409 ``CommitFailedException``), a purge deletes the table's files. Nothing is faked.

Covered — the table and namespace endpoints pyiceberg 0.12's ``RestCatalog`` calls:

* ``GET /v1/config``: the ``warehouse`` query parameter (the spec's "warehouse location or
  identifier") picks a catalog of its own — a ``file:`` location, or a name kept in the server's
  folder; without it, the server's default warehouse. The answer's ``prefix`` override routes
  every later request (``/v1/{prefix}/...``) to that catalog, as multi-warehouse servers do.
* namespaces: list (``?parent=``), create, load, exists (``HEAD``), drop, update properties.
* tables: list, create (and ``stage-create``, what ``create_table_transaction`` sends), load,
  exists (``HEAD``), commit (requirements and updates; an ``assert-create`` commit creates the
  table), drop (``?purgeRequested=``), rename.
* errors in the spec's model ``{"error": {"message", "type", "code"}}``: 400 bad request, 404
  ``NoSuchNamespaceException``/``NoSuchTableException``, 409 ``AlreadyExistsException``/
  ``NamespaceNotEmptyException``/``CommitFailedException``, 422 overlapping property changes, 500.

Not covered: views, register-table, vended credentials, server-side scan planning, OAuth2 tokens,
multi-table transactions, metrics reports, pagination (each listing is one page), and
``snapshots=refs`` (all snapshots are always returned). Writes (POST/DELETE) run one at a time
under a lock; a commit prepared from stale metadata is still refused, by its requirements.

Usage::

    with RestCatalogServer(tmp_path / "rest") as server:
        session = neurolake_lab.connect(ws, catalog_uri=server.uri)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import socket
import sqlite3
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from pyiceberg import exceptions as ice
from pyiceberg.catalog import MetastoreCatalog
from pyiceberg.catalog.rest import CreateTableRequest, TableResponse
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.io import load_file_io
from pyiceberg.partitioning import UNPARTITIONED_PARTITION_SPEC
from pyiceberg.table import CommitTableRequest, Table
from pyiceberg.table.sorting import UNSORTED_SORT_ORDER
from pyiceberg.table.update import AssertCreate

#: The spec's default separator of namespace levels in a path (``%1F``).
SEPARATOR = "\x1f"

#: What ``GET /v1/config`` announces; pyiceberg calls only the endpoints a server lists.
ENDPOINTS = (
    "GET /v1/{prefix}/namespaces",
    "POST /v1/{prefix}/namespaces",
    "GET /v1/{prefix}/namespaces/{namespace}",
    "HEAD /v1/{prefix}/namespaces/{namespace}",
    "DELETE /v1/{prefix}/namespaces/{namespace}",
    "POST /v1/{prefix}/namespaces/{namespace}/properties",
    "GET /v1/{prefix}/namespaces/{namespace}/tables",
    "POST /v1/{prefix}/namespaces/{namespace}/tables",
    "GET /v1/{prefix}/namespaces/{namespace}/tables/{table}",
    "HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}",
    "POST /v1/{prefix}/namespaces/{namespace}/tables/{table}",
    "DELETE /v1/{prefix}/namespaces/{namespace}/tables/{table}",
    "POST /v1/{prefix}/tables/rename",
)

_WAREHOUSE_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")

#: pyiceberg's exceptions → (HTTP status, the spec's error type), most specific first.
_ERRORS: tuple[tuple[type[Exception], int, str], ...] = (
    (ice.NoSuchNamespaceError, 404, "NoSuchNamespaceException"),
    (ice.NoSuchTableError, 404, "NoSuchTableException"),
    (ice.NamespaceAlreadyExistsError, 409, "AlreadyExistsException"),
    (ice.TableAlreadyExistsError, 409, "AlreadyExistsException"),
    (ice.NamespaceNotEmptyError, 409, "NamespaceNotEmptyException"),
    (ice.CommitFailedException, 409, "CommitFailedException"),
    (PydanticValidationError, 400, "BadRequestException"),
    (json.JSONDecodeError, 400, "BadRequestException"),
    (ice.ValidationError, 400, "BadRequestException"),
    (ValueError, 400, "BadRequestException"),
)


class RestError(Exception):
    """An answer in the spec's error model."""

    def __init__(self, code: int, kind: str, message: str) -> None:
        super().__init__(message)
        self.code, self.kind, self.message = code, kind, message

    def body(self) -> dict[str, Any]:
        """``{"error": {"message", "type", "code"}}``."""
        return {"error": {"message": self.message, "type": self.kind, "code": self.code}}


@dataclass(frozen=True)
class Reply:
    """A successful answer: a status and a JSON body (a pydantic model, plain JSON, or none)."""

    status: int = 200
    body: BaseModel | dict[str, Any] | None = None


@dataclass(frozen=True)
class Recorded:
    """One request the server answered."""

    method: str
    path: str
    status: int


class RestCatalogServer:
    """The server; start it with ``with`` (or :meth:`start` / :meth:`close`).

    Args:
        root: A folder the server owns: its SQLite catalog and its default warehouse live there.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.requests: list[Recorded] = []
        self._catalogs: dict[str, SqlCatalog] = {}
        self._write_lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None

    # -- life cycle -------------------------------------------------------------------------------

    def start(self) -> RestCatalogServer:
        """Bind 127.0.0.1 on a free port and serve in a background thread."""
        self.root.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.db_path)
        try:  # readers go on while a commit writes
            con.execute("PRAGMA journal_mode=WAL")
        finally:
            con.close()
        server = _Server(("127.0.0.1", 0), _make_handler(self))
        self._server, self._port = server, int(server.server_address[1])
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="rest-catalog",
            daemon=True,
        )  # fmt: skip
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving (open connections are cut) and release the catalogs' databases."""
        server, thread, self._server, self._thread = self._server, self._thread, None, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        for catalog in self._catalogs.values():
            catalog.close()
        self._catalogs.clear()

    def __enter__(self) -> RestCatalogServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def uri(self) -> str:
        """``http://127.0.0.1:<port>``: what a client takes as the catalog URI (kept after close)."""
        assert self._port is not None, "server not started"
        return f"http://127.0.0.1:{self._port}"

    @property
    def db_path(self) -> Path:
        """The SQLite file holding every warehouse's catalog."""
        return self.root / "catalog.db"

    @property
    def default_warehouse(self) -> Path:
        """Where tables go when a client asks for no warehouse."""
        return self.root / "warehouse"

    # -- warehouses -------------------------------------------------------------------------------

    def warehouse_location(self, requested: str | None) -> str:
        """The location a client's ``warehouse`` names: itself (``file:``), or a folder of ours."""
        if not requested:
            return self.default_warehouse.as_uri()
        if requested.startswith("file:"):
            return requested.rstrip("/")
        if _WAREHOUSE_NAME.fullmatch(requested):
            return (self.root / "warehouses" / requested).as_uri()
        raise RestError(
            400, "BadRequestException",
            f"warehouse {requested!r} is neither a file: location nor a warehouse name",
        )  # fmt: skip

    def prefix_for(self, requested: str | None) -> str:
        """The URL prefix of the catalog for ``requested`` (opened on first use)."""
        location = self.warehouse_location(requested)
        prefix = "wh-" + hashlib.sha1(location.encode()).hexdigest()[:12]
        with self._write_lock:
            if prefix not in self._catalogs:
                self._catalogs[prefix] = SqlCatalog(
                    prefix, uri=f"sqlite:///{self.db_path}", warehouse=location
                )
        return prefix

    def catalog(self, prefix: str) -> SqlCatalog:
        """The catalog a prefix names (one a ``GET /v1/config`` handed out)."""
        found = self._catalogs.get(prefix)
        if found is None:
            raise RestError(404, "NotFoundException", f"no warehouse with prefix {prefix!r}")
        return found

    # -- requests ---------------------------------------------------------------------------------

    def handle(self, method: str, target: str, body: bytes) -> Reply:
        """Answer one request (``target`` is the request line's path and query)."""
        split = urlsplit(target)
        query = {k: v[-1] for k, v in parse_qs(split.query).items()}
        # split before unquoting: a namespace or table name may hold an encoded "/"
        parts = [unquote(p) for p in split.path.strip("/").split("/")]
        if parts == ["v1", "config"] and method == "GET":
            prefix = self.prefix_for(query.get("warehouse"))
            return Reply(body={"defaults": {}, "overrides": {"prefix": prefix},
                               "endpoints": list(ENDPOINTS)})  # fmt: skip
        if len(parts) < 3 or parts[0] != "v1":
            raise RestError(400, "BadRequestException", f"no route for {method} {split.path}")
        catalog, rest = self.catalog(parts[1]), parts[2:]
        if method in ("POST", "DELETE"):
            with self._write_lock:
                return self._route(catalog, method, rest, query, body, split.path)
        return self._route(catalog, method, rest, query, body, split.path)

    def _route(
        self, catalog: SqlCatalog, method: str, rest: list[str], query: dict[str, str],
        body: bytes, path: str,
    ) -> Reply:  # fmt: skip
        match method, rest:
            case "GET", ["namespaces"]:
                return _list_namespaces(catalog, query.get("parent"))
            case "POST", ["namespaces"]:
                return _create_namespace(catalog, _json(body))
            case "GET", ["namespaces", ns]:
                return _load_namespace(catalog, _namespace(ns))
            case "HEAD", ["namespaces", ns]:
                return Reply(204 if catalog.namespace_exists(_namespace(ns)) else 404)
            case "DELETE", ["namespaces", ns]:
                catalog.drop_namespace(_namespace(ns))
                return Reply(204)
            case "POST", ["namespaces", ns, "properties"]:
                return _update_namespace(catalog, _namespace(ns), _json(body))
            case "GET", ["namespaces", ns, "tables"]:
                return _list_tables(catalog, _namespace(ns))
            case "POST", ["namespaces", ns, "tables"]:
                return _create_table(catalog, _namespace(ns), _json(body))
            case "GET", ["namespaces", ns, "tables", name]:
                return _table_reply(catalog.load_table((*_namespace(ns), name)))
            case "HEAD", ["namespaces", ns, "tables", name]:
                return Reply(204 if catalog.table_exists((*_namespace(ns), name)) else 404)
            case "POST", ["namespaces", ns, "tables", name]:
                return _commit(catalog, (*_namespace(ns), name), _json(body))
            case "DELETE", ["namespaces", ns, "tables", name]:
                ident = (*_namespace(ns), name)
                if query.get("purgeRequested", "false").lower() == "true":
                    catalog.purge_table(ident)
                else:
                    catalog.drop_table(ident)
                return Reply(204)
            case "POST", ["tables", "rename"]:
                return _rename(catalog, _json(body))
        raise RestError(400, "BadRequestException", f"no route for {method} {path}")


# -- endpoint bodies (the spec's request and response shapes) ---------------------------------------


def _namespace(segment: str) -> tuple[str, ...]:
    levels = tuple(segment.split(SEPARATOR))
    if not all(levels):
        raise RestError(400, "BadRequestException", f"invalid namespace {segment!r}")
    return levels


def _json(body: bytes) -> dict[str, Any]:
    data = json.loads(body or b"{}")
    if not isinstance(data, dict):
        raise RestError(400, "BadRequestException", "the request body must be a JSON object")
    return data


def _list_namespaces(catalog: SqlCatalog, parent: str | None) -> Reply:
    found = catalog.list_namespaces(_namespace(parent) if parent else ())
    return Reply(body={"namespaces": sorted(list(ns) for ns in found)})


def _create_namespace(catalog: SqlCatalog, data: dict[str, Any]) -> Reply:
    levels = data.get("namespace")
    props = data.get("properties") or {}
    if not isinstance(levels, list) or not levels or not all(isinstance(x, str) for x in levels):
        raise RestError(400, "BadRequestException", "namespace must be a non-empty list of strings")
    catalog.create_namespace(tuple(levels), {str(k): str(v) for k, v in props.items()})
    return _load_namespace(catalog, tuple(levels))


def _load_namespace(catalog: SqlCatalog, ns: tuple[str, ...]) -> Reply:
    return Reply(body={"namespace": list(ns), "properties": catalog.load_namespace_properties(ns)})


def _update_namespace(catalog: SqlCatalog, ns: tuple[str, ...], data: dict[str, Any]) -> Reply:
    removals = set(data.get("removals") or [])
    updates = {str(k): str(v) for k, v in (data.get("updates") or {}).items()}
    if overlap := removals & set(updates):
        raise RestError(
            422, "UnprocessableEntityException",
            f"properties both removed and updated: {', '.join(sorted(overlap))}",
        )  # fmt: skip
    summary = catalog.update_namespace_properties(ns, removals, updates)
    return Reply(body={"removed": summary.removed, "updated": summary.updated,
                       "missing": summary.missing})  # fmt: skip


def _list_tables(catalog: SqlCatalog, ns: tuple[str, ...]) -> Reply:
    idents = sorted(catalog.list_tables(ns))
    return Reply(body={"identifiers": [{"namespace": list(i[:-1]), "name": i[-1]} for i in idents]})


def _table_reply(table: Table, *, staged: bool = False) -> Reply:
    """The spec's ``LoadTableResult`` (a staged table has no metadata file yet)."""
    location = None if staged else table.metadata_location
    return Reply(body=TableResponse(metadata_location=location, metadata=table.metadata, config={}))


def _create_table(catalog: SqlCatalog, ns: tuple[str, ...], data: dict[str, Any]) -> Reply:
    # the client leaves out a location it does not set; the model wants the key
    req = CreateTableRequest.model_validate({"location": None, **data})
    ident = (*ns, req.name)
    if not catalog.namespace_exists(ns):
        raise ice.NoSuchNamespaceError(f"Namespace does not exist: {'.'.join(ns)}")
    if catalog.table_exists(ident):
        raise ice.TableAlreadyExistsError(f"Table already exists: {'.'.join(ident)}")
    args: dict[str, Any] = {
        "schema": req.table_schema,
        "location": req.location,
        "partition_spec": req.partition_spec or UNPARTITIONED_PARTITION_SPEC,
        "sort_order": req.write_order or UNSORTED_SORT_ORDER,
        "properties": req.properties,
    }
    if req.stage_create:
        # the new table's metadata, not stored: the client commits it with assert-create
        tx = catalog.create_table_transaction(ident, **args)
        staged = Table(ident, tx.table_metadata, "", load_file_io(), catalog)
        return _table_reply(staged, staged=True)
    return _table_reply(catalog.create_table(ident, **args))


def _commit(catalog: SqlCatalog, ident: tuple[str, ...], data: dict[str, Any]) -> Reply:
    data.setdefault("identifier", {"namespace": list(ident[:-1]), "name": ident[-1]})
    req = CommitTableRequest.model_validate(data)
    if any(isinstance(r, AssertCreate) for r in req.requirements):
        if not catalog.namespace_exists(ident[:-1]):
            raise ice.NoSuchNamespaceError(f"Namespace does not exist: {'.'.join(ident[:-1])}")
        # SqlCatalog.commit_table reads only the identifier of a table it has to create; the
        # empty metadata is the base it builds new tables from
        base = Table(ident, MetastoreCatalog._empty_table_metadata(), "", load_file_io(), catalog)
    else:
        base = catalog.load_table(ident)  # NoSuchTableError → 404
    done = catalog.commit_table(base, req.requirements, req.updates)
    return Reply(body=done)


def _rename(catalog: SqlCatalog, data: dict[str, Any]) -> Reply:
    def ident(key: str) -> tuple[str, ...]:
        part = data.get(key)
        if not isinstance(part, dict) or not part.get("name"):
            raise RestError(400, "BadRequestException", f"{key} must be a table identifier")
        return (*[str(x) for x in part.get("namespace") or []], str(part["name"]))

    catalog.rename_table(ident("source"), ident("destination"))
    return Reply(204)


def _error(exc: Exception) -> RestError:
    if isinstance(exc, RestError):
        return exc
    for kind, code, name in _ERRORS:
        if isinstance(exc, kind):
            return RestError(code, name, str(exc))
    return RestError(500, type(exc).__name__, str(exc) or repr(exc))


# -- HTTP ----------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    """Keeps its open connections, so that closing the server really ends every one of them."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self.connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def server_close(self) -> None:
        super().server_close()
        with self._connections_lock:
            open_now = list(self.connections)
        for conn in open_now:  # a kept-alive client must find the server gone, as after a crash
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


def _make_handler(owner: RestCatalogServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: pyiceberg reuses one connection

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            try:
                reply = owner.handle(self.command, self.path, body)
                status = reply.status
                if isinstance(reply.body, BaseModel):
                    payload = reply.body.model_dump_json().encode()
                elif reply.body is not None:
                    payload = json.dumps(reply.body).encode()
                else:
                    payload = b""
            except Exception as exc:  # every failure becomes an answer in the spec's error model
                err = _error(exc)
                status, payload = err.code, json.dumps(err.body()).encode()
            owner.requests.append(Recorded(self.command, self.path, status))
            self.send_response(status)
            if payload:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(0 if self.command == "HEAD" else len(payload)))
            self.end_headers()
            if payload and self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_POST = do_DELETE = do_HEAD = _serve

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test output is not the place for an access log."""

    return Handler

"""The REST API under ``/neurolake/api/`` that the Lakehouse and Governance panels read.

Documented in ``openapi.yaml`` beside this file (served at ``/neurolake/api/openapi.json``); the
tests check every answer against it. Every handler requires an authenticated Jupyter user
(anonymous requests get 403; requests authenticated by cookie must carry the XSRF token, as
jupyter-server checks for every non-GET request), works on that user's session (see
``sessions.py``), and answers a bad parameter with 400 and a reason naming it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import tornado
from jupyter_server.base.handlers import APIHandler

from neurolake_lab.config import current_user
from neurolake_lab.exceptions import NeuroLakeError, UsageError
from neurolake_lab.server import views

if TYPE_CHECKING:
    from neurolake_lab.server.sessions import SessionPool
    from neurolake_lab.session import Session

#: the largest page any list endpoint returns
MAX_LIMIT = 500
TABLE = r"(?P<table>[^/.]+\.[^/]+)"


class ApiError(Exception):
    """An answer other than 200: its HTTP status and the reason shown to the caller."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@cache
def openapi_spec() -> dict[str, Any]:
    """The API's OpenAPI document (``openapi.yaml``), parsed."""
    import yaml  # type: ignore[import-untyped]

    text = resources.files("neurolake_lab.server").joinpath("openapi.yaml").read_text()
    spec: dict[str, Any] = yaml.safe_load(text)
    return spec


def identity(handler: APIHandler) -> str:
    """Who the request acts as, for the policies: the Jupyter user's name.

    With jupyter-server's own token or password login nobody is named (the identity provider
    makes up an anonymous user per browser); the only person such a server lets in is the one
    who started it, so the request acts as the same user its kernels do (``current_user()``).
    Under JupyterHub or any other identity provider, the user it names.
    """
    from jupyter_server.auth.identity import IdentityProvider, PasswordIdentityProvider

    provider = handler.identity_provider
    if type(provider) in (IdentityProvider, PasswordIdentityProvider):
        return current_user()
    user = handler.current_user
    return str(user.username)


class NeuroLakeAPIHandler(APIHandler):
    """Base of every API handler: parameters, the user's session, JSON answers and errors."""

    #: query parameters the endpoint accepts (any other is a 400)
    params: tuple[str, ...] = ()

    @property
    def pool(self) -> SessionPool:
        """The server's session pool (made when the extension loads)."""
        pool: SessionPool = self.settings["neurolake_pool"]
        return pool

    def check_params(self) -> None:
        """Refuse a query parameter the endpoint does not know (a typo should not be ignored)."""
        for name in self.request.query_arguments:
            if name.isdigit():
                continue  # JupyterLab's ServerConnection adds ?<timestamp> to defeat caches
            if name not in self.params:
                known = ", ".join(self.params) or "none"
                raise ApiError(400, f"unknown parameter {name!r} (this endpoint takes: {known})")

    def text_param(self, name: str, choices: tuple[str, ...] | None = None) -> str | None:
        """A string parameter, or None when absent; one of ``choices`` when given."""
        value = self.get_query_argument(name, None)
        if value is None:
            return None
        value = value.strip()
        if not value:
            raise ApiError(400, f"parameter {name!r} is empty")
        if choices is not None and value not in choices:
            allowed = ", ".join(choices)
            raise ApiError(400, f"parameter {name!r} must be one of {allowed}, not {value!r}")
        return value

    def int_param(self, name: str, default: int, low: int, high: int) -> int:
        """An integer parameter within ``[low, high]``."""
        text = self.get_query_argument(name, None)
        if text is None:
            return default
        try:
            value = int(text)
        except ValueError:
            raise ApiError(400, f"parameter {name!r} must be an integer, not {text!r}") from None
        if not low <= value <= high:
            raise ApiError(400, f"parameter {name!r} must be between {low} and {high}, not {value}")
        return value

    def paging(self) -> tuple[int, int]:
        """``offset`` and ``limit`` (defaults 0 and 50)."""
        return self.int_param("offset", 0, 0, 10**9), self.int_param("limit", 50, 1, MAX_LIMIT)

    async def answer(self, work: Callable[[Session], Any]) -> None:
        """Run ``work`` on the user's session and write its result as JSON."""
        self.check_params()
        try:
            result = await self.pool.run(identity(self), work)
        except ApiError:
            raise
        except views.NotFound as err:
            raise ApiError(404, err.message) from None
        except UsageError as err:
            raise ApiError(400, err.message) from None
        except NeuroLakeError as err:
            status = 403 if err.title == "Policy violation" else 500
            raise ApiError(status, f"{err.title}: {err.message}") from None
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(result))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Errors as ``{"message", "reason"}``; ``reason`` says what was wrong."""
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, ApiError):
            self.set_status(exc.status)
            self.set_header("Content-Type", "application/json")
            message = _STATUS.get(exc.status, "Error")
            self.finish(json.dumps({"message": message, "reason": exc.reason}))
            return
        super().write_error(status_code, **kwargs)

    def _handle_request_exception(self, e: BaseException) -> None:
        if isinstance(e, ApiError):
            self.log.info("NeuroLake API %s %s: %s", e.status, self.request.path, e.reason)
            self.send_error(e.status, exc_info=(type(e), e, e.__traceback__))
            return
        super()._handle_request_exception(e)


_STATUS = {400: "Bad Request", 403: "Forbidden", 404: "Not Found", 500: "Internal Server Error"}


class NamespacesHandler(NeuroLakeAPIHandler):
    """``GET /neurolake/api/namespaces``."""

    params = ("offset", "limit")

    @tornado.web.authenticated
    async def get(self) -> None:
        """The namespaces and how many tables each holds."""
        offset, limit = self.paging()
        await self.answer(lambda s: views.page(views.namespaces(s), offset, limit))


class TablesHandler(NeuroLakeAPIHandler):
    """``GET /neurolake/api/tables``."""

    params = ("namespace", "offset", "limit")

    @tornado.web.authenticated
    async def get(self) -> None:
        """The tables, optionally of one namespace."""
        namespace = self.text_param("namespace")
        offset, limit = self.paging()
        await self.answer(lambda s: views.page(views.tables(s, namespace), offset, limit))


class TableHandler(NeuroLakeAPIHandler):
    """``GET /neurolake/api/tables/{table}``."""

    @tornado.web.authenticated
    async def get(self, table: str) -> None:
        """One table: columns with types, descriptions and PII tags; rows; last commit."""
        await self.answer(lambda s: views.table_detail(s, table))


class SnapshotsHandler(NeuroLakeAPIHandler):
    """``GET /neurolake/api/tables/{table}/snapshots``."""

    params = ("offset", "limit")

    @tornado.web.authenticated
    async def get(self, table: str) -> None:
        """The table's snapshots, newest first."""
        offset, limit = self.paging()
        await self.answer(lambda s: views.page(views.snapshots(s, table), offset, limit))


class LineageHandler(NeuroLakeAPIHandler):
    """``GET /neurolake/api/tables/{table}/lineage``."""

    params = ("direction", "depth")

    @tornado.web.authenticated
    async def get(self, table: str) -> None:
        """Tables upstream or downstream of this one, as recorded by writes."""
        direction = self.text_param("direction", ("upstream", "downstream")) or "upstream"
        depth = self.int_param("depth", 5, 1, 20)
        await self.answer(lambda s: views.table_lineage(s, table, direction, depth))


class SampleHandler(NeuroLakeAPIHandler):
    """``GET /neurolake/api/tables/{table}/sample``."""

    params = ("limit",)

    @tornado.web.authenticated
    async def get(self, table: str) -> None:
        """The first rows as this user may see them (masked for whom the policy masks)."""
        limit = self.int_param("limit", 20, 1, 200)
        await self.answer(lambda s: views.sample(s, table, limit))


class PiiHandler(NeuroLakeAPIHandler):
    """``GET /neurolake/api/tables/{table}/pii``."""

    @tornado.web.authenticated
    async def get(self, table: str) -> None:
        """Each column's PII classification with its confidence."""
        await self.answer(lambda s: {"table": table, "columns": views.pii(s, table)})


class PiiOverrideHandler(NeuroLakeAPIHandler):
    """``PUT /neurolake/api/tables/{table}/pii/{column}``: the owner overrides a PII tag."""

    @tornado.web.authenticated
    async def put(self, table: str, column: str) -> None:
        """Set the column's entity (``{"entity": "EMAIL_ADDRESS"}``, or null for not PII)."""
        try:
            body = json.loads(self.request.body or b"{}")
        except json.JSONDecodeError as err:
            raise ApiError(400, f"the body is not JSON: {err}") from None
        if not isinstance(body, dict) or set(body) != {"entity"}:
            raise ApiError(400, 'the body must be {"entity": "<ENTITY>"} or {"entity": null}')
        entity = body["entity"]
        if entity is not None and (not isinstance(entity, str) or not entity.strip()):
            raise ApiError(400, "entity must be a non-empty string or null")

        def work(session: Session) -> dict[str, Any]:
            owner = session.settings.owner
            if session.user != owner:
                raise ApiError(403, f"only the workspace owner ({owner}) can override PII tags")
            return views.set_pii(session, table, column, entity)

        await self.answer(work)


class SearchHandler(NeuroLakeAPIHandler):
    """``GET /neurolake/api/search``."""

    params = ("q", "limit")

    @tornado.web.authenticated
    async def get(self) -> None:
        """Tables and columns matching ``q`` by name, then by meaning (the metadata index)."""
        query = self.text_param("q")
        if query is None:
            raise ApiError(400, "parameter 'q' is required")
        limit = self.int_param("limit", 20, 1, 100)
        await self.answer(lambda s: {"query": query, "items": views.search(s, query, limit)})


class AuditHandler(NeuroLakeAPIHandler):
    """``GET /neurolake/api/audit``."""

    params = ("user", "table", "decision", "offset", "limit")

    @tornado.web.authenticated
    async def get(self) -> None:
        """Audit records, latest first, filtered by user, table and decision."""
        user = self.text_param("user")
        table = self.text_param("table")
        decided = self.text_param("decision", views.DECISIONS)
        offset, limit = self.paging()
        await self.answer(
            lambda s: views.page(
                list(views.audit(s, user=user, table=table, decided=decided)), offset, limit
            )
        )


class VerifyHandler(NeuroLakeAPIHandler):
    """``POST /neurolake/api/audit/verify``."""

    @tornado.web.authenticated
    async def post(self) -> None:
        """Check the audit log's hash chain (as ``%audit --verify``)."""
        await self.answer(views.verify)


class PoliciesHandler(NeuroLakeAPIHandler):
    """``GET /neurolake/api/policies``."""

    @tornado.web.authenticated
    async def get(self) -> None:
        """The policy in force and ``policies.yaml`` as text, with its validation errors."""
        await self.answer(views.policies)


class SpecHandler(NeuroLakeAPIHandler):
    """``GET /neurolake/api/openapi.json``."""

    @tornado.web.authenticated
    def get(self) -> None:
        """The OpenAPI document of the API."""
        self.check_params()
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(openapi_spec()))


#: Every API endpoint, relative to ``<base_url>/neurolake/``.
API_ROUTES: list[tuple[str, type[APIHandler]]] = [
    ("api/namespaces", NamespacesHandler),
    ("api/tables", TablesHandler),
    (f"api/tables/{TABLE}/snapshots", SnapshotsHandler),
    (f"api/tables/{TABLE}/lineage", LineageHandler),
    (f"api/tables/{TABLE}/sample", SampleHandler),
    (f"api/tables/{TABLE}/pii/(?P<column>[^/]+)", PiiOverrideHandler),
    (f"api/tables/{TABLE}/pii", PiiHandler),
    (f"api/tables/{TABLE}", TableHandler),
    ("api/search", SearchHandler),
    ("api/audit/verify", VerifyHandler),
    ("api/audit", AuditHandler),
    ("api/policies", PoliciesHandler),
    ("api/openapi.json", SpecHandler),
]

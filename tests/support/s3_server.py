"""A real S3-compatible object store on 127.0.0.1 for tests: moto's server, with a request log.

moto (PyPI) implements the S3 HTTP API, including SigV4 signature checks against IAM access keys
once authentication is switched on. This module serves moto's own WSGI application with
werkzeug (what ``moto_server`` does) in a thread of the test process, and adds what the tests
need around it:

* a request log (method, path, ``Range`` header, status, bytes sent), to check that readers
  fetch only the columns and files a query needs;
* credentials: an IAM user with an access key allowed ``s3:*``, created before authentication is
  switched on, so that a wrong secret is refused as a real S3 server refuses it
  (``SignatureDoesNotMatch``);
* :meth:`S3Server.stop` and :meth:`S3Server.start`: the HTTP listener goes away (connections are
  refused) and comes back on the same port with the objects it held, as a store with durable
  disks does after a restart.

Usage::

    with S3Server() as s3:
        s3.create_bucket("lake")
        settings = s3.catalog_properties()   # s3.endpoint, s3.access-key-id, ...
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import boto3
from werkzeug.serving import BaseWSGIServer, make_server

REGION = "us-east-1"


@dataclass(frozen=True)
class Request:
    """One request the server answered."""

    method: str
    path: str
    range: str | None
    status: int
    bytes_sent: int


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class S3Server:
    """moto's S3 (and IAM) on ``http://127.0.0.1:<port>``, with authentication on."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or _free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._app: Any = None
        self.access_key_id = ""
        self.secret_access_key = ""
        #: called with each request before it is answered (a test can stop the server there)
        self.on_request: Callable[[str, str], None] | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    def __enter__(self) -> S3Server:
        self.start()
        self._create_credentials()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
        from moto.core.authorization import ActionAuthenticatorMixin
        from moto.moto_api import _internal  # noqa: F401  (registers the reset API)
        from moto.moto_api._internal.models import moto_api_backend

        moto_api_backend.reset()  # the next server in this process starts empty
        ActionAuthenticatorMixin.request_count = 0

    def start(self) -> None:
        """Serve (again) on the same port, with whatever objects the store held."""
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )

        if self._app is None:
            self._app = DomainDispatcherApplication(create_backend_app)
        self._server = make_server(
            "127.0.0.1", self.port, self._logged, threaded=True, request_handler=MotoRequestHandler
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop answering: the listening socket is closed, new connections are refused."""
        server, self._server = self._server, None
        if server is None:
            return
        # shutdown() waits for serve_forever, which must not be the calling thread
        threading.Thread(target=server.shutdown).start()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)
        server.server_close()

    @property
    def running(self) -> bool:
        """True while the server accepts connections."""
        return self._server is not None

    # -- the request log ------------------------------------------------------------------------

    def _logged(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "")
        if self.on_request is not None:
            self.on_request(method, path)
        status: list[int] = []

        def recording_start(code: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            status.append(int(code.split()[0]))
            return start_response(code, headers, *rest)

        body = list(self._app(environ, recording_start))
        with self._lock:
            self.requests.append(
                Request(method, path, environ.get("HTTP_RANGE"), status[0] if status else 0,
                        sum(len(chunk) for chunk in body))
            )  # fmt: skip
        return body

    def clear_log(self) -> None:
        """Forget the requests logged so far."""
        with self._lock:
            self.requests.clear()

    def gets(self, suffix: str = "") -> list[Request]:
        """The GET requests for objects whose path ends with ``suffix``."""
        with self._lock:
            return [r for r in self.requests if r.method == "GET" and r.path.endswith(suffix)]

    # -- credentials and buckets ----------------------------------------------------------------

    def client(self, service: str = "s3", secret: str | None = None) -> Any:
        """A boto3 client of this server (with this server's key unless told otherwise)."""
        return boto3.client(
            service, endpoint_url=self.endpoint, region_name=REGION,
            aws_access_key_id=self.access_key_id or "setup",
            aws_secret_access_key=secret if secret is not None else (self.secret_access_key or "x"),
        )  # fmt: skip

    def _create_credentials(self) -> None:
        """An IAM user allowed everything on S3, then authentication on for every request."""
        import requests

        iam = self.client("iam")
        iam.create_user(UserName="lake")
        key = iam.create_access_key(UserName="lake")["AccessKey"]
        everything = {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}
        iam.put_user_policy(
            UserName="lake", PolicyName="s3",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [everything]}),
        )  # fmt: skip
        self.access_key_id, self.secret_access_key = key["AccessKeyId"], key["SecretAccessKey"]
        # moto's switch: after 0 more unauthenticated requests, every request must be signed
        # with a known key (and its signature must match)
        requests.post(f"{self.endpoint}/moto-api/reset-auth", data=b"0", timeout=10)

    def create_bucket(self, name: str) -> None:
        """Create a bucket with this server's credentials."""
        self.client().create_bucket(Bucket=name)

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        """Every object key in ``bucket`` under ``prefix``."""
        pages = (
            self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        )
        return [obj["Key"] for page in pages for obj in page.get("Contents", [])]

    def catalog_properties(self) -> dict[str, str]:
        """The pyiceberg properties (``[catalog]`` in ``neurolake.toml``) for this store."""
        return {
            "s3.endpoint": self.endpoint,
            "s3.access-key-id": self.access_key_id,
            "s3.secret-access-key": self.secret_access_key,
            "s3.region": REGION,
        }

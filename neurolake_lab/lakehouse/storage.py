"""Where data files live when the warehouse is an S3-compatible object store.

Writes go through pyiceberg's FileIO (pyarrow's S3 client) and reads through DuckDB's ``httpfs``
extension (shipped as the ``duckdb-extension-httpfs`` package, loaded by path like ``iceberg``).
Both are configured from one place: the ``s3.*`` pyiceberg properties under ``[catalog]`` in
``neurolake.toml``, overridden by ``NEUROLAKE_S3_*`` environment variables, with the standard
``AWS_*`` variables as the fallback. Credentials never appear in SQL a user sees, in the audit log
or in an error message: DuckDB gets them as a temporary secret (which ``duckdb_secrets()``
redacts), pyiceberg as FileIO properties.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from neurolake_lab.exceptions import LakehouseError

if TYPE_CHECKING:
    from pyiceberg.io import FileIO

#: pyiceberg property → the NEUROLAKE_* variable that overrides it → the AWS_* fallbacks.
_SOURCES: dict[str, tuple[str, tuple[str, ...]]] = {
    "s3.endpoint": ("NEUROLAKE_S3_ENDPOINT", ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")),
    "s3.access-key-id": ("NEUROLAKE_S3_ACCESS_KEY_ID", ("AWS_ACCESS_KEY_ID",)),
    "s3.secret-access-key": ("NEUROLAKE_S3_SECRET_ACCESS_KEY", ("AWS_SECRET_ACCESS_KEY",)),
    "s3.session-token": ("NEUROLAKE_S3_SESSION_TOKEN", ("AWS_SESSION_TOKEN",)),
    "s3.region": ("NEUROLAKE_S3_REGION", ("AWS_REGION", "AWS_DEFAULT_REGION")),
}
REMOTE_SCHEMES = ("s3://", "s3a://", "s3n://")
#: The name of the DuckDB secret that holds the store's credentials in every session.
SECRET_NAME = "neurolake_object_store"

#: The object store every remote location of this process is read with (see :func:`configure`).
_PROCESS_PROPERTIES: dict[str, str] = {}


def is_remote(location: str | None) -> bool:
    """True for a location on an S3-compatible store."""
    return bool(location) and str(location).startswith(REMOTE_SCHEMES)


def uses_object_store(properties: Mapping[str, str], warehouse: str | None) -> bool:
    """True when a store is configured: a remote warehouse, ``s3.*`` properties or variables."""
    return (
        is_remote(warehouse)
        or any(k.startswith("s3.") for k in properties)
        or any(os.environ.get(ours) for ours, _ in _SOURCES.values())
    )


def object_store_properties(
    properties: Mapping[str, str], environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The ``s3.*`` FileIO properties: ``NEUROLAKE_S3_*`` > ``[catalog]`` > ``AWS_*``."""
    env = os.environ if environ is None else environ
    out = {k: v for k, v in properties.items() if k.startswith("s3.")}
    for prop, (ours, fallbacks) in _SOURCES.items():
        if env.get(ours):
            out[prop] = env[ours]
        elif prop not in out:
            found = next((env[name] for name in fallbacks if env.get(name)), None)
            if found:
                out[prop] = found
    return out


@dataclass(frozen=True)
class ObjectStore:
    """An S3-compatible store: its endpoint (``None``: AWS itself), region and credentials."""

    endpoint: str | None
    region: str | None
    access_key_id: str | None
    secret_access_key: str | None
    session_token: str | None
    virtual_addressing: bool

    @classmethod
    def from_properties(cls, props: Mapping[str, str]) -> ObjectStore:
        """The store the ``s3.*`` properties describe."""
        flag = str(props.get("s3.force-virtual-addressing", "false")).lower()
        return cls(
            endpoint=props.get("s3.endpoint") or None,
            region=props.get("s3.region") or None,
            access_key_id=props.get("s3.access-key-id") or None,
            secret_access_key=props.get("s3.secret-access-key") or None,
            session_token=props.get("s3.session-token") or None,
            virtual_addressing=flag in ("1", "true", "yes"),
        )

    @property
    def where(self) -> str:
        """The store as messages name it (never with credentials)."""
        return f"the object store at {self.endpoint}" if self.endpoint else "Amazon S3"

    def secret_sql(self) -> str:
        """``CREATE TEMPORARY SECRET`` giving DuckDB's httpfs this store and its credentials."""
        options = ["TYPE s3"]
        if self.access_key_id:
            options.append(f"KEY_ID {_literal(self.access_key_id)}")
            options.append(f"SECRET {_literal(self.secret_access_key or '')}")
        if self.session_token:
            options.append(f"SESSION_TOKEN {_literal(self.session_token)}")
        options.append(f"REGION {_literal(self.region or 'us-east-1')}")
        if self.endpoint:
            url = urlparse(self.endpoint if "://" in self.endpoint else f"https://{self.endpoint}")
            options.append(f"ENDPOINT {_literal(url.netloc)}")
            options.append(f"USE_SSL {'true' if url.scheme == 'https' else 'false'}")
            # pyiceberg addresses a custom endpoint by path unless told otherwise; so does DuckDB
            style = "vhost" if self.virtual_addressing else "path"
            options.append(f"URL_STYLE {_literal(style)}")
        return f"CREATE OR REPLACE TEMPORARY SECRET {SECRET_NAME} ({', '.join(options)})"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def configure(props: Mapping[str, str]) -> None:
    """Make ``props`` the FileIO properties remote metadata files of this process are read with.

    Metadata files are read by location from many places (lineage, cost, the index), all through
    :func:`file_io_properties`; one process talks to one object store configuration, the one
    its workspace names, so the properties are kept once per process rather than threaded
    through every caller.
    """
    _PROCESS_PROPERTIES.clear()
    _PROCESS_PROPERTIES.update(props)


def file_io_properties(location: str) -> dict[str, str]:
    """The FileIO properties to read ``location`` with (none for a local file)."""
    return dict(_PROCESS_PROPERTIES) if is_remote(location) else {}


def file_io(location: str, table_properties: Mapping[str, str] | None = None) -> FileIO:
    """The FileIO of pyiceberg for ``location``, with the configured store's properties."""
    from pyiceberg.io import load_file_io

    props = {**(table_properties or {}), **file_io_properties(location)}
    return load_file_io(properties=props, location=location)


def current_store() -> ObjectStore | None:
    """The object store this process is configured for (``None``: none)."""
    return ObjectStore.from_properties(_PROCESS_PROPERTIES) if _PROCESS_PROPERTIES else None


def storage_failure(exc: BaseException, doing: str) -> LakehouseError:
    """One clear error for an object-store failure (pyarrow's or DuckDB's), naming the store."""
    text = str(exc)
    lowered = text.lower()
    store = current_store()
    where = store.where if store is not None else "the object store"
    hint: str | None = None
    if any(
        marker in lowered
        for marker in ("signaturedoesnotmatch", "invalidaccesskeyid", "access_denied",
                       "accessdenied", "403", "forbidden", "invalidclienttokenid")
    ):  # fmt: skip
        why = "refused the credentials"
        hint = (
            "check s3.access-key-id and s3.secret-access-key under [catalog] in neurolake.toml "
            "(or NEUROLAKE_S3_ACCESS_KEY_ID / NEUROLAKE_S3_SECRET_ACCESS_KEY)"
        )
    elif any(
        marker in lowered
        for marker in ("connection refused", "couldn't connect", "could not connect",
                       "failed to connect", "connection reset", "curlcode: 7", "timed out",
                       "network_connection", "unable to connect")
    ):  # fmt: skip
        why = "does not answer"
        hint = "is it running, and is s3.endpoint (NEUROLAKE_S3_ENDPOINT) right?"
    elif "nosuchbucket" in lowered or "bucket does not exist" in lowered:
        why = "has no such bucket"
        hint = "create the bucket, or fix the warehouse location (NEUROLAKE_WAREHOUSE)"
    else:
        why = "failed: " + (text.strip().splitlines() or [type(exc).__name__])[0][:300]
    return LakehouseError(f"{doing}: {where} {why}", hint=hint)


def is_storage_error(exc: BaseException) -> bool:
    """True for errors that come from talking to an object store (not from the data)."""
    text = str(exc)
    return isinstance(exc, OSError) and (
        "AWS Error" in text or "S3" in text or "curl" in text.lower()
    )

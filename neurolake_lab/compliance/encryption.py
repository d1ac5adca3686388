"""Field-level encryption: marked columns are stored encrypted (AES-GCM).

They are decrypted on read only for users allowed to see them in clear.

A table marks columns with the property ``neurolake.encrypt`` (``"ssn,card"``). Every write to
it encrypts those columns' values (strings) before the commit; the table's DuckDB view decrypts
them with ``nl_decrypt`` for a session whose user may see them, and shows the ciphertext to any
other. Each value gets its own random nonce, and the table and column name are authenticated with
it, so a ciphertext copied into another column does not decrypt. The key is the workspace's
(``keys/fields.key``, created on first use, readable only by its owner) or
``$NEUROLAKE_FIELD_KEY`` (64 hex characters).
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from neurolake_lab.exceptions import NeuroLakeError
from neurolake_lab.keyfiles import key_file, read_secret

if TYPE_CHECKING:
    import duckdb

    from neurolake_lab.lakehouse.statements import TableId
    from neurolake_lab.lakehouse.tables import WriteContext

PROPERTY = "neurolake.encrypt"
PREFIX = "nlenc1:"
ENV_VAR = "NEUROLAKE_FIELD_KEY"
_NONCE = 12


class EncryptionError(NeuroLakeError):
    """A marked column cannot be encrypted or decrypted as asked."""

    title = "Encryption error"


def encrypted_columns(properties: Mapping[str, str]) -> list[str]:
    """The columns a table's properties mark for encryption."""
    return [c.strip() for c in properties.get(PROPERTY, "").split(",") if c.strip()]


def load_key(workspace: Path) -> bytes:
    """The field key: ``$NEUROLAKE_FIELD_KEY``, else the workspace keyring (created once)."""
    env = os.environ.get(ENV_VAR)
    if env:
        try:
            key = bytes.fromhex(env)
        except ValueError:
            raise EncryptionError(f"${ENV_VAR} must be 64 hex characters (a 256-bit key)") from None
        if len(key) != 32:
            raise EncryptionError(f"${ENV_VAR} must be 64 hex characters (a 256-bit key)")
        return key
    text = read_secret(
        key_file(workspace, "fields.key"), create=True, what="field key", error=EncryptionError
    )
    assert text is not None
    return bytes.fromhex(text)


class FieldCipher:
    """Encrypts and decrypts column values with one AES-256-GCM key."""

    def __init__(self, key: bytes) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self._aead = AESGCM(key)

    def encrypt_array(self, values: pa.Array[Any], column: str) -> pa.Array[Any]:
        """Each non-null string of ``values`` as ``nlenc1:<base64(nonce + ciphertext)>``."""
        aad = column.encode()
        out = []
        for value in values.to_pylist():
            if value is None or (isinstance(value, str) and value.startswith(PREFIX)):
                out.append(value)  # NULL, or already encrypted (a copy of a stored value)
                continue
            nonce = secrets.token_bytes(_NONCE)
            sealed = self._aead.encrypt(nonce, str(value).encode(), aad)
            out.append(PREFIX + base64.b64encode(nonce + sealed).decode())
        return pa.array(out, pa.string())

    def decrypt_array(self, values: pa.Array[Any], column: str) -> pa.Array[Any]:
        """The clear strings of ``values`` (values that are not ciphertext pass through)."""
        from cryptography.exceptions import InvalidTag

        aad = column.encode()
        out = []
        for value in values.to_pylist():
            if not isinstance(value, str) or not value.startswith(PREFIX):
                out.append(value)
                continue
            raw = base64.b64decode(value[len(PREFIX) :])
            try:
                out.append(self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], aad).decode())
            except InvalidTag:
                raise EncryptionError(
                    f"a value of {column} does not decrypt with this workspace's key "
                    "(a different key, or a value moved from another column)"
                ) from None
        return pa.array(out, pa.string())


class FieldEncryptor:
    """The write hook that encrypts marked columns, and the DuckDB function that decrypts."""

    def __init__(self, workspace: Path) -> None:
        self.workspace = workspace
        self._cipher: FieldCipher | None = None

    @property
    def cipher(self) -> FieldCipher:
        """The cipher, with the key loaded on first use."""
        if self._cipher is None:
            self._cipher = FieldCipher(load_key(self.workspace))
        return self._cipher

    def hook(
        self,
        tid: TableId,
        data: pa.Table,
        ctx: WriteContext,
        properties: Mapping[str, str],
        field_ids: Mapping[str, int],
    ) -> tuple[pa.Table, dict[str, str]]:
        """A lakehouse write hook: encrypt the table's marked columns of ``data``."""
        columns = [c for c in encrypted_columns(properties) if c in data.column_names]
        for column in columns:
            i = data.column_names.index(column)
            values = data.column(i)
            if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
                raise EncryptionError(
                    f"column {column} of {tid[0]}.{tid[1]} is marked for encryption but is "
                    f"{values.type}; store it as VARCHAR (CAST it in the query)"
                )
            encrypted = self.cipher.encrypt_array(
                pc.cast(values.combine_chunks(), pa.string()), _aad(tid, column)
            )
            data = data.set_column(i, pa.field(column, pa.string()), encrypted)
        return data, {}

    def register(self, con: duckdb.DuckDBPyConnection) -> None:
        """Register ``nl_decrypt(value, 'ns.table.column')`` in a session's DuckDB."""
        import duckdb as _duckdb
        from duckdb.func import PythonUDFType

        def decrypt(values: Any, columns: Any) -> Any:  # DuckDB reads these hints at run time
            names = columns.to_pylist()
            column = str(names[0]) if names else ""
            return self.cipher.decrypt_array(values, column)

        varchar = _duckdb.sqltype("VARCHAR")
        con.create_function(
            "nl_decrypt", decrypt, [varchar, varchar], varchar, type=PythonUDFType.ARROW,
            side_effects=False,
        )  # fmt: skip


def _aad(tid: TableId, column: str) -> str:
    return f"{tid[0]}.{tid[1]}.{column}"


def decrypting_view_columns(
    tid: TableId, properties: Mapping[str, str], may_decrypt: Callable[[str], bool]
) -> dict[str, str]:
    """Column → SQL expression for the table's view: ``nl_decrypt`` where the user may see."""
    out = {}
    for column in encrypted_columns(properties):
        if not may_decrypt(column):
            continue
        quoted = '"' + column.replace('"', '""') + '"'
        label = _aad(tid, column).replace("'", "''")
        out[column] = f"nl_decrypt({quoted}, '{label}')"
    return out

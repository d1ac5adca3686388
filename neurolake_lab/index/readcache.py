"""A read-through copy of the index's LanceDB tables, so that asking needs no LanceDB import.

LanceDB is the index's store: every write goes to it, under the index's write lock, and then
bumps the table's *generation* token (``index/<table>.generation``). A reader compares that
token (one small file read) with the one its copy was made at: when they match, the Arrow copy in
``<workspace>/cache/nl-index/`` is the table's current content and is read instead of opening
LanceDB (whose import alone takes 1.5-2.5 s here, more than a whole question should). When they
differ, the reader goes to LanceDB and refreshes the copy. Copies are rebuilt from LanceDB at
any time, are written atomically, and are readable by the owner only.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

import pyarrow as pa

GENERATION_SUFFIX = ".generation"
_META_KEY = b"neurolake.generation"


def generation(root: Path, table: str) -> str:
    """The table's current generation token ('' when it was never written)."""
    try:
        return (root / f"{table}{GENERATION_SUFFIX}").read_text().strip()
    except OSError:
        return ""


def bump(root: Path, table: str) -> str:
    """A new generation token for ``table``, written atomically (hold the write lock)."""
    token = secrets.token_hex(8)
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".{table}{GENERATION_SUFFIX}.{os.getpid()}"
    tmp.write_text(token)
    os.replace(tmp, root / f"{table}{GENERATION_SUFFIX}")
    return token


class ReadCache:
    """Arrow copies of LanceDB tables, each labelled with the generation it was read at."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, name: str) -> Path:
        return self.folder / f"{name}.arrow"

    def load(self, name: str, token: str) -> pa.Table | None:
        """The copy of ``name`` made at generation ``token``, or None."""
        if not token:
            return None
        try:
            with pa.memory_map(str(self._path(name))) as source:
                table = pa.ipc.open_file(source).read_all()
        except (OSError, pa.ArrowInvalid):
            return None
        meta = table.schema.metadata or {}
        return table if meta.get(_META_KEY) == token.encode() else None

    def save(self, name: str, token: str, table: pa.Table) -> None:
        """Keep ``table`` as the copy of ``name`` at generation ``token`` (best effort)."""
        if not token:
            return
        labelled = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                                  _META_KEY: token.encode()})  # fmt: skip
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = self.folder / f".{name}.{os.getpid()}.arrow"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as fh, pa.ipc.new_file(fh, labelled.schema) as writer:
                writer.write_table(labelled)
            os.replace(tmp, self._path(name))
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()

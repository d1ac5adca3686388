"""A throwaway PostgreSQL cluster on 127.0.0.1 for tests (Debian's ``postgresql`` package).

``initdb`` makes a cluster in a fresh folder and ``postgres`` serves it on a free port, as the
``postgres`` user when the tests run as root (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def running_postgres() -> Iterator[str]:
    """A running cluster: yields its SQLAlchemy URI (user ``postgres``, trust authentication)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    assert found, "PostgreSQL is not installed: apt-get install postgresql (make test does)"
    bindir = Path(found[-1]).parent
    # not under pytest's tmp folder: that is private to root, and the server runs as postgres
    base = Path(tempfile.mkdtemp(prefix="neurolake-pg-"))
    data = base / "data"
    run_as: list[str] = []
    if os.geteuid() == 0:
        base.chmod(0o777)
        run_as = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [*run_as, str(bindir / "initdb"), "-D", str(data), "--auth=trust", "-U", "postgres"],
        check=True, capture_output=True,
    )  # fmt: skip
    port = _free_port()
    proc = subprocess.Popen(
        [*run_as, str(bindir / "postgres"), "-D", str(data), "-p", str(port),
         "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={data}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline and proc.poll() is None, (
                    "PostgreSQL did not start"
                )
                time.sleep(0.2)
        time.sleep(0.3)
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/postgres"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(base, ignore_errors=True)

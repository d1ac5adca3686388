"""The shared deployment's governance: policies and the audit log in the PostgreSQL catalog.

Every user's kernel (a process of its own, with its own workspace folder) reads the one policy
published in the database and appends to the one hash-chained audit log there.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import neurolake_lab
from neurolake_lab.compliance.audit import SqlAuditLog
from neurolake_lab.compliance.authorize import NotAuthorized
from tests.support.postgres import running_postgres

pytestmark = pytest.mark.slow

POLICY = """\
users:
  ana: {roles: [steward]}
  bob: {roles: [analyst], attributes: {country: FR}}
roles:
  steward: {}
  analyst: {}
row_filters:
  - name: own-country
    tables: [shop.customers]
    roles: [analyst]
    predicate: country = current_user_country()
"""


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    with running_postgres() as uri:
        yield uri


@pytest.fixture
def shared(postgres: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict]:
    """A fresh database on the cluster, a shared warehouse, the owner ``root-admin``."""
    import sqlalchemy

    name = f"db_{os.getpid()}_{abs(hash(tmp_path)) % 10**8}"
    admin = sqlalchemy.create_engine(postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(sqlalchemy.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    uri = postgres.rsplit("/", 1)[0] + f"/{name}"
    monkeypatch.setenv("NEUROLAKE_CATALOG_URI", uri)
    monkeypatch.setenv("NEUROLAKE_WAREHOUSE", str(tmp_path / "warehouse"))
    monkeypatch.setenv("NEUROLAKE_OWNER", "root-admin")
    monkeypatch.setenv("JUPYTERHUB_USER", "root-admin")
    with neurolake_lab.connect(tmp_path / "admin") as owner:
        owner.sql(
            "CREATE TABLE shop.customers AS SELECT range AS id, "
            "['FR', 'DE', 'JP'][range % 3 + 1] AS country FROM range(30)"
        )
        owner.publish_policy(POLICY)
    monkeypatch.delenv("JUPYTERHUB_USER")
    yield {"uri": uri, "root": tmp_path}


def kernel(user: str, root: Path, code: str) -> subprocess.Popen[str]:
    """A user's kernel under JupyterHub: its own workspace, the deployment's environment."""
    env = {**os.environ, "JUPYTERHUB_USER": user, "NEUROLAKE_WORKSPACE": str(root / user)}
    script = "import neurolake_lab\nsession = neurolake_lab.connect()\n" + textwrap.dedent(code)
    return subprocess.Popen(
        [sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def finish(proc: subprocess.Popen[str]) -> str:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    return out.strip()


def test_every_kernel_obeys_the_published_policy(shared: dict) -> None:
    count = "print(session.sql('SELECT count(*) FROM shop.customers').arrow()[0][0].as_py())"
    root = shared["root"]
    # bob's own policies.yaml (he can write his workspace) is not the policy in force
    (root / "bob").mkdir()
    (root / "bob" / "policies.yaml").write_text("users:\n  bob: {roles: [steward]}\n")
    ana, bob = kernel("ana", root, count), kernel("bob", root, count)
    assert finish(ana) == "30"
    assert finish(bob) == "10"  # France only


def test_only_the_owner_publishes(shared: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTERHUB_USER", "bob")
    with (
        neurolake_lab.connect(shared["root"] / "bob") as bob,
        pytest.raises(NotAuthorized, match=r"bob may not publish a policy .*'policy' privilege"),
    ):
        bob.publish_policy("users: {}\n")
    assert bob.audit.tail(1)[0].kind == "refusal"


def test_a_grant_lets_a_steward_publish(shared: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    """The shared store accepts the grants of policies.yaml: ana (steward) may publish."""
    granted = POLICY + "grants:\n  - {name: publish, roles: [steward], privileges: [policy]}\n"
    monkeypatch.setenv("JUPYTERHUB_USER", "root-admin")
    with neurolake_lab.connect(shared["root"] / "admin") as owner:
        owner.publish_policy(granted)
    monkeypatch.setenv("JUPYTERHUB_USER", "ana")
    with neurolake_lab.connect(shared["root"] / "ana") as ana:
        assert ana.publish_policy(granted + "# reviewed\n") > 1
    monkeypatch.setenv("JUPYTERHUB_USER", "bob")
    with neurolake_lab.connect(shared["root"] / "bob") as bob, pytest.raises(NotAuthorized):
        bob.publish_policy(granted)


def test_kernels_appending_at_once_share_one_intact_chain(shared: dict) -> None:
    code = """
        for i in range(25):
            session.sql(f"SELECT {i} AS n")
    """
    procs = [kernel(user, shared["root"], code) for user in ("ana", "bob", "ana")]
    for proc in procs:
        finish(proc)
    log = SqlAuditLog(shared["uri"])
    try:
        result = log.verify()
        assert result.ok, result.reason
        records = list(log.records())
    finally:
        log.close()
    assert [r.seq for r in records] == list(range(1, len(records) + 1))
    queries = [
        r for r in records if r.kind == "query" and r.data.get("sql", "").startswith("SELECT ")
    ]
    by_user = {
        u: sum(1 for r in queries if r.user == u and "AS n" in r.data["sql"])
        for u in ("ana", "bob")
    }
    assert by_user == {"ana": 50, "bob": 25}
    # no workspace has an audit file: the chain is in the database only
    assert not list(shared["root"].rglob("audit.jsonl"))


def test_audit_verify_command_finds_tampering(shared: dict) -> None:
    import sqlalchemy

    env = {**os.environ, "NEUROLAKE_WORKSPACE": str(shared["root"] / "admin")}
    cli = [sys.executable, "-m", "neurolake_lab.cli", "audit", "verify"]
    ok = subprocess.run(cli, env=env, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "audit log intact" in ok.stdout and "neurolake_audit" in ok.stdout
    engine = sqlalchemy.create_engine(shared["uri"])
    with engine.begin() as con:
        con.execute(
            sqlalchemy.text(
                "UPDATE neurolake_audit SET line = replace(line, 'root-admin', 'eve') WHERE seq = 1"
            )
        )
    engine.dispose()
    bad = subprocess.run(cli, env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and "NOT intact" in bad.stdout
    assert "first bad record: 1" in bad.stdout

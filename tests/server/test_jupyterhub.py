"""Many users on a real JupyterHub (from PyPI) on 127.0.0.1: the Hub's user is the identity.

The test starts JupyterHub with its dummy authenticator, the local-process spawner and
configurable-http-proxy (the Python implementation from PyPI), two users with different roles in
the policy published to the shared PostgreSQL catalog, and runs ``%%sql`` cells in each user's
NeuroLake kernel through the Hub (REST to start the server and the kernel, the kernel's websocket
through the proxy), as a browser would.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import neurolake_lab
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
TOKEN = uuid.uuid4().hex
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def api(url: str, method: str = "GET", body: Any = None, token: str = TOKEN) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method,
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            raw = r.read()
            return r.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as err:
        return err.code, None
    except urllib.error.URLError:  # not listening (yet)
        return 0, None


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("hub")
    with running_postgres() as catalog:
        warehouse = root / "warehouse"
        env = {"NEUROLAKE_CATALOG_URI": catalog, "NEUROLAKE_WAREHOUSE": str(warehouse),
               "NEUROLAKE_OWNER": "admin"}  # fmt: skip
        # the owner loads a table and publishes the policy, as the Hub's admin would
        saved = {k: os.environ.get(k) for k in (*env, "JUPYTERHUB_USER")}
        os.environ.update({**env, "JUPYTERHUB_USER": "admin"})
        try:
            with neurolake_lab.connect(root / "admin") as owner:
                owner.sql(
                    "CREATE TABLE shop.customers AS SELECT range AS id, "
                    "['FR', 'DE', 'JP'][range % 3 + 1] AS country FROM range(30)"
                )
                owner.publish_policy(POLICY)
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        port, hub_port, proxy_port = _free_port(), _free_port(), _free_port()
        config = root / "jupyterhub_config.py"
        config.write_text(
            f"""
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.JupyterHub.db_url = "sqlite:///{root}/hub.sqlite"
c.JupyterHub.cookie_secret_file = "{root}/cookie_secret"
c.JupyterHub.pid_file = "{root}/hub.pid"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_port}"
c.ConfigurableHTTPProxy.command = ["{BIN / "configurable-http-proxy"}"]
c.ConfigurableHTTPProxy.pid_file = "{root}/proxy.pid"
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allowed_users = {{"ana", "bob"}}
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = "{root}/home/{{username}}"
c.Spawner.cmd = ["{BIN / "jupyterhub-singleuser"}"]
c.Spawner.args = ["--allow-root"]
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.Spawner.environment = {{
    **{env!r},
    "NEUROLAKE_WORKSPACE": lambda spawner: "{root}/home/" + spawner.user.name + "/ws",
    "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": "",
}}
c.JupyterHub.services = [{{"name": "tester", "api_token": "{TOKEN}"}}]
c.JupyterHub.load_roles = [{{
    "name": "tester",
    "scopes": ["admin:users", "admin:servers", "tokens", "access:servers"],
    "services": ["tester"],
}}]
"""
        )
        log = (root / "hub.log").open("w")
        proc = subprocess.Popen(
            [str(BIN / "jupyterhub"), "-f", str(config)], cwd=root, stdout=log,
            stderr=subprocess.STDOUT, env={**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"},
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while api(f"{url}/hub/api/")[0] != 200:
                assert proc.poll() is None, (root / "hub.log").read_text()[-3000:]
                assert time.monotonic() < deadline, "JupyterHub did not start"
                time.sleep(0.5)
            yield {"url": url, "root": root, "log": root / "hub.log"}
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()


def user_token(hub: dict[str, Any], user: str) -> str:
    """Start ``user``'s server through the Hub's API; a token acting as that user."""
    url = hub["url"]
    assert api(f"{url}/hub/api/users/{user}", "POST")[0] in (201, 409)
    code, _ = api(f"{url}/hub/api/users/{user}/server", "POST")
    assert code in (201, 202, 400), code
    deadline = time.monotonic() + 120
    while True:
        _, model = api(f"{url}/hub/api/users/{user}")
        server = (model or {}).get("servers", {}).get("")
        if server and server.get("ready"):
            break
        assert time.monotonic() < deadline, hub["log"].read_text()[-3000:]
        time.sleep(0.5)
    _, made = api(f"{url}/hub/api/users/{user}/tokens", "POST", {"note": "test"})
    return str(made["token"])


def run_cells(hub: dict[str, Any], user: str, token: str, cells: list[str]) -> list[dict]:
    """Run cells in a new NeuroLake kernel of ``user`` over its websocket, through the proxy."""
    import asyncio

    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    base = f"{hub['url']}/user/{user}"
    code, kernel = api(f"{base}/api/kernels", "POST", {"name": "neurolake"}, token=token)
    assert code == 201, code

    async def talk() -> list[dict]:
        ws_url = base.replace("http://", "ws://") + f"/api/kernels/{kernel['id']}/channels"
        conn = await websocket_connect(
            HTTPRequest(ws_url, headers={"Authorization": f"token {token}"})
        )
        outputs: list[dict] = []
        for cell in cells:
            msg_id = uuid.uuid4().hex
            await conn.write_message(json.dumps({
                "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": user,
                           "session": uuid.uuid4().hex, "version": "5.3"},
                "parent_header": {}, "metadata": {}, "channel": "shell",
                "content": {"code": cell, "silent": False, "store_history": True,
                            "user_expressions": {}, "allow_stdin": False},
            }))  # fmt: skip
            out: dict[str, Any] = {"text": "", "errors": [], "data": []}
            while True:
                raw = await asyncio.wait_for(conn.read_message(), timeout=120)
                assert raw is not None, "the kernel's websocket closed"
                msg = json.loads(raw)
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind, content = msg["msg_type"], msg["content"]
                if kind == "stream":
                    out["text"] += content["text"]
                elif kind == "error":
                    out["errors"].append(f"{content['ename']}: {content['evalue']}")
                elif kind in ("display_data", "execute_result"):
                    out["data"].append(content["data"])
                elif kind == "status" and content["execution_state"] == "idle":
                    break
            outputs.append(out)
        conn.close()
        return outputs

    try:
        return asyncio.run(talk())
    finally:
        api(f"{base}/api/kernels/{kernel['id']}", "DELETE", token=token)


def test_each_user_sees_what_the_policy_allows(hub: dict[str, Any]) -> None:
    cells = [
        "%%sql -o r\nSELECT count(*) AS n FROM shop.customers",
        "print(int(r.arrow()[0][0].as_py()), neurolake_lab.current_session().user)",
    ]
    seen = {}
    for user in ("ana", "bob"):
        out = run_cells(hub, user, user_token(hub, user), ["import neurolake_lab", *cells])
        assert not any(o["errors"] for o in out), out
        report = next(d for d in out[1]["data"] if "application/vnd.neurolake.report+json" in d)
        assert report["application/vnd.neurolake.report+json"]["result"]["row_count"] == 1
        seen[user] = out[2]["text"].split()
    assert seen == {"ana": ["30", "ana"], "bob": ["10", "bob"]}  # bob: France only


def test_a_kernel_cannot_claim_another_identity(hub: dict[str, Any]) -> None:
    token = user_token(hub, "bob")
    out = run_cells(hub, "bob", token, [
        "import neurolake_lab\nneurolake_lab.connect(user='ana')",
    ])  # fmt: skip
    assert out[0]["errors"] and "identity is the Hub's user 'bob'" in out[0]["errors"][0]


def test_rest_api_answers_as_the_hub_user(hub: dict[str, Any]) -> None:
    ana, bob = user_token(hub, "ana"), user_token(hub, "bob")
    code, status = api(f"{hub['url']}/user/ana/neurolake/status", token=ana)
    assert code == 200 and status["user"] == "ana"
    assert status["workspace"].endswith("/home/ana/ws")
    # bob's token opens nothing on ana's server
    code, _ = api(f"{hub['url']}/user/ana/neurolake/status", token=bob)
    assert code in (302, 403, 404)
    # the REST API governs as the Hub user, by the shared policy in the catalog's database
    code, policy = api(f"{hub['url']}/user/bob/neurolake/api/policies", token=bob)
    assert code == 200 and policy["text"] == POLICY and "neurolake_policies" in policy["path"]
    code, verified = api(f"{hub['url']}/user/bob/neurolake/api/audit/verify", "POST", {}, bob)
    assert code == 200 and verified["ok"] and verified["records"] > 0


def test_shared_audit_log_names_each_hub_user(hub: dict[str, Any]) -> None:
    from neurolake_lab.compliance.audit import SqlAuditLog

    log = SqlAuditLog(os.environ.get("NEUROLAKE_CATALOG_URI") or _catalog_of(hub))
    try:
        assert log.verify().ok
        users = {r.user for r in log.records() if r.kind == "query"}
    finally:
        log.close()
    assert {"ana", "bob"} <= users


def _catalog_of(hub: dict[str, Any]) -> str:
    text = (hub["root"] / "jupyterhub_config.py").read_text()
    start = text.index("postgresql+psycopg2://")
    return text[start : text.index("'", start)]

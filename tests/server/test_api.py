"""The REST API under /neurolake/api/ on a real jupyter-server, checked against openapi.yaml.

The workspace holds the retail demo (small scale) and a table made from it by SQL; two Jupyter
identities reach it: the owner and ``mallory``, whom the default policy shows PII hashed.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

import neurolake_lab
from neurolake_lab.config import current_user
from neurolake_lab.server.api import API_ROUTES, openapi_spec
from neurolake_lab.server.handlers import ROUTES

pytestmark = pytest.mark.slow
TOKEN = "api-test-token"
OWNER = current_user()
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def api(launch_jupyter: Any, tmp_path_factory: pytest.TempPathFactory) -> str:
    from neurolake_lab.demo import load_retail

    workspace = tmp_path_factory.mktemp("api-ws")
    with neurolake_lab.connect(workspace) as s:
        load_retail(s, scale=0.1, seed=3)
        s.sql(
            "CREATE TABLE retail.vip AS SELECT customer_id, email, country FROM retail.customers "
            "WHERE segment = 'enterprise'"
        )
    env = {
        "NEUROLAKE_WORKSPACE": str(workspace),
        "JUPYTER_RUNTIME_DIR": str(tmp_path_factory.mktemp("rt")),
        "NEUROLAKE_TEST_USERS": f"{OWNER},mallory",
        "PYTHONPATH": str(REPO),
    }
    url = launch_jupyter(
        "jupyter_server",
        TOKEN,
        env,
        f"--ServerApp.root_dir={workspace}",
        "--ServerApp.identity_provider_class=tests.support.identities.TokenUsers",
    )
    return f"{url}/neurolake"


def call(
    url: str,
    user: str | None = OWNER,
    method: str = "GET",
    body: Any = None,
    headers: dict[str, str] | None = None,
    opener: Any = None,
) -> tuple[int, Any]:
    head = {"Content-Type": "application/json", **(headers or {})}
    if user is not None:
        head["Authorization"] = f"token {user}-token"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=head, method=method)
    try:
        with (opener or urllib.request.build_opener()).open(request, timeout=60) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as err:
        text = err.read()
        return err.code, json.loads(text) if text.startswith(b"{") else text


def template(path: str) -> str:
    """The OpenAPI path of a route regex: ``api/tables/(?P<table>...)`` → ``/api/tables/{table}``."""
    return "/" + re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", path)


def check(path: str, method: str, status: int, answer: Any) -> None:
    """``answer`` is what openapi.yaml promises for ``method path`` with ``status``."""
    spec = openapi_spec()
    response = spec["paths"][path][method.lower()]["responses"][str(status)]
    if "$ref" in response:
        response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    schema = response["content"]["application/json"]["schema"]
    Draft202012Validator({**schema, "components": spec["components"]}).validate(answer)


def test_the_openapi_document_is_valid_and_lists_every_route() -> None:
    from openapi_spec_validator import validate

    spec = openapi_spec()
    validate(spec)
    routes = {template(path) for path, _ in ROUTES}
    assert routes == set(spec["paths"]), "openapi.yaml and the routes differ"
    for path, handler in ROUTES:
        documented = set(spec["paths"][template(path)])
        implemented = {m for m in ("get", "post", "put", "delete") if m in vars(handler)}
        assert documented == implemented, path


def test_lakehouse_endpoints(api: str) -> None:
    status, body = call(f"{api}/api/namespaces?1796396528019")  # JupyterLab's cache buster
    assert status == 200
    check("/api/namespaces", "GET", 200, body)
    assert body["items"] == [{"name": "retail", "tables": 6}]

    status, body = call(f"{api}/api/tables?namespace=retail&limit=2")
    assert status == 200
    check("/api/tables", "GET", 200, body)
    assert body["total"] == 6 and len(body["items"]) == 2 and body["limit"] == 2
    second = call(f"{api}/api/tables?namespace=retail&limit=2&offset=2")[1]
    assert {t["id"] for t in second["items"]}.isdisjoint({t["id"] for t in body["items"]})

    status, body = call(f"{api}/api/tables/retail.customers")
    assert status == 200
    check("/api/tables/{table}", "GET", 200, body)
    email = next(c for c in body["columns"] if c["name"] == "email")
    assert email["pii"] == "EMAIL_ADDRESS" and email["type"] == "VARCHAR" and email["description"]
    assert body["rows"] == 500 and body["last_commit"]["committed_at"].endswith("Z")

    status, body = call(f"{api}/api/tables/retail.vip/snapshots")
    assert status == 200
    check("/api/tables/{table}/snapshots", "GET", 200, body)
    snap = body["items"][0]
    assert snap["current"] and snap["query"] == (
        f"SELECT * FROM retail.vip FOR VERSION AS OF {snap['snapshot_id']}"
    )

    status, body = call(f"{api}/api/tables/retail.customers/lineage?direction=downstream")
    assert status == 200
    check("/api/tables/{table}/lineage", "GET", 200, body)
    assert body["tables"] == ["retail.vip"]
    assert {"source": "retail.customers", "target": "retail.vip"} in body["links"]
    status, body = call(f"{api}/api/tables/retail.vip/lineage")
    assert body["tables"] == ["retail.customers"]
    # a demo table nothing was written from: empty lineage, not an error
    status, body = call(f"{api}/api/tables/retail.products/lineage?direction=downstream")
    assert status == 200 and body["tables"] == [] and body["edges"] == []

    status, body = call(f"{api}/api/search?q=email")
    assert status == 200
    check("/api/search", "GET", 200, body)
    assert body["items"][0]["id"] in {"retail.customers.email", "retail.vip.email"}
    assert all(hit["pii"] == "EMAIL_ADDRESS" for hit in body["items"][:2])

    status, body = call(f"{api}/api/openapi.json")
    assert status == 200 and body["openapi"].startswith("3.1")


def test_a_non_owner_sees_masked_samples_and_the_owner_clear_ones(api: str) -> None:
    status, mine = call(f"{api}/api/tables/retail.customers/sample?limit=5")
    assert status == 200
    check("/api/tables/{table}/sample", "GET", 200, mine)
    status, theirs = call(f"{api}/api/tables/retail.customers/sample?limit=5", user="mallory")
    assert status == 200
    check("/api/tables/{table}/sample", "GET", 200, theirs)
    col = [c["name"] for c in mine["columns"]].index("email")
    clear = [row[col] for row in mine["rows"]]
    hidden = [row[col] for row in theirs["rows"]]
    assert all("@" in v for v in clear) and mine["masked"] == []
    assert not any("@" in str(v) for v in hidden) and not set(clear) & set(hidden)
    assert "retail.customers.email" in theirs["masked"]
    # both reads are audited under the Jupyter identity that made them, latest first
    status, audit = call(f"{api}/api/audit?table=retail.customers&limit=2")
    assert status == 200
    check("/api/audit", "GET", 200, audit)
    assert [r["user"] for r in audit["items"]] == ["mallory", OWNER]
    assert audit["items"][0]["decision"] == "masked" and audit["items"][1]["decision"] == "allowed"
    assert audit["items"][0]["id"] == theirs["audit_id"]
    masked = call(f"{api}/api/audit?decision=masked&user=mallory")[1]
    assert masked["total"] >= 1 and {r["user"] for r in masked["items"]} == {"mallory"}


def test_pii_classification_and_the_owner_override(api: str) -> None:
    status, body = call(f"{api}/api/tables/retail.customers/pii")
    assert status == 200
    check("/api/tables/{table}/pii", "GET", 200, body)
    tags = {c["column"]: c for c in body["columns"]}
    assert tags["email"]["entity"] == "EMAIL_ADDRESS" and 0 < tags["email"]["confidence"] <= 1
    url = f"{api}/api/tables/retail.customers/pii/segment"
    status, err = call(url, user="mallory", method="PUT", body={"entity": "PERSON"})
    assert status == 403 and "owner" in err["reason"], err
    status, err = call(url, method="PUT", body={"entity": 3})
    assert status == 400 and "entity" in err["reason"]
    status, err = call(url, method="PUT", body={"kind": "PERSON"})
    assert status == 400 and "body" in err["reason"]
    status, tag = call(url, method="PUT", body={"entity": "location"})
    assert status == 200
    check("/api/tables/{table}/pii/{column}", "PUT", 200, tag)
    assert tag == {
        "column": "segment",
        "entity": "LOCATION",
        "source": "override",
        "confidence": 1.0,
    }
    after = {c["column"]: c for c in call(f"{api}/api/tables/retail.customers/pii")[1]["columns"]}
    assert after["segment"]["source"] == "override"
    # a copy made by CTAS says where its tag came from, and is no owner's override
    copied = {c["column"]: c for c in call(f"{api}/api/tables/retail.vip/pii")[1]["columns"]}
    assert copied["email"]["source"] == "carried", copied["email"]
    assert copied["email"]["origin"] == ["retail.customers.email"]
    assert copied["customer_id"]["source"] == "detected" and copied["customer_id"]["origin"] == []
    status, err = call(
        f"{api}/api/tables/retail.customers/pii/nope", method="PUT", body={"entity": None}
    )
    assert status == 400 and "nope" in err["reason"]


@pytest.mark.parametrize(
    ("path", "needle"),
    [
        ("api/tables?limit=0", "'limit' must be between 1 and 500"),
        ("api/tables?limit=ten", "'limit' must be an integer"),
        ("api/namespaces?offset=-1", "'offset' must be between"),
        ("api/tables?colour=red", "unknown parameter 'colour'"),
        ("api/tables/retail.customers/lineage?direction=sideways", "'direction' must be one of"),
        ("api/tables/retail.customers/lineage?depth=99", "'depth' must be between 1 and 20"),
        ("api/tables/retail.customers/sample?limit=1000", "'limit' must be between 1 and 200"),
        ("api/audit?decision=maybe", "'decision' must be one of allowed, masked"),
        ("api/audit?user=", "'user' is empty"),
        ("api/search", "'q' is required"),
    ],
)
def test_a_bad_parameter_is_a_400_with_a_reason(api: str, path: str, needle: str) -> None:
    status, body = call(f"{api}/{path}")
    assert status == 400 and needle in body["reason"], body
    check(re.sub(r"retail\.customers", "{table}", "/" + path.split("?")[0]), "GET", 400, body)


def test_an_unknown_table_is_a_404(api: str) -> None:
    status, body = call(f"{api}/api/tables/retail.nope")
    assert status == 404 and body["reason"] == "no table retail.nope in this workspace"
    check("/api/tables/{table}", "GET", 404, body)


@pytest.mark.parametrize(("path", "handler"), API_ROUTES)
def test_every_endpoint_refuses_anonymous_access(api: str, path: str, handler: Any) -> None:
    concrete = re.sub(r"\(\?P<table>[^)]*\)", "retail.customers", path)
    concrete = re.sub(r"\(\?P<column>[^)]*\)", "email", concrete)
    for method in ("get", "post", "put"):
        if method in vars(handler):
            body = {"entity": None} if method == "put" else ({} if method == "post" else None)
            status, _ = call(f"{api}/{concrete}", user=None, method=method.upper(), body=body)
            assert status == 403, (path, method, status)
            status, _ = call(f"{api}/{concrete}", user="wrong", method=method.upper(), body=body)
            assert status == 403


def test_a_cookie_session_needs_the_xsrf_token(api: str) -> None:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = api.removesuffix("/neurolake")
    # the token in the URL logs the browser in and sets the login and _xsrf cookies
    opener.open(f"{base}/api/status?token={TOKEN}", timeout=30).read()
    opener.open(f"{base}/login", timeout=30).read()  # a page: sets the _xsrf cookie
    xsrf = next((c.value for c in jar if c.name == "_xsrf"), None)
    status, _ = call(f"{api}/api/policies", user=None, opener=opener)
    assert status == 200, "the login cookie authenticates a GET"
    status, body = call(f"{api}/api/audit/verify", user=None, method="POST", body={}, opener=opener)
    assert status == 403, "a cookie-authenticated POST without the XSRF header is refused"
    assert xsrf is not None
    status, body = call(
        f"{api}/api/audit/verify", user=None, method="POST", body={}, opener=opener,
        headers={"X-XSRFToken": xsrf},
    )  # fmt: skip
    assert status == 200
    check("/api/audit/verify", "POST", 200, body)
    assert body["ok"] is True and body["records"] > 0


def test_policies_show_the_file_and_its_validation_errors(api: str) -> None:
    status, body = call(f"{api}/api/policies")
    assert status == 200
    check("/api/policies", "GET", 200, body)
    assert body["source"] == "default" and body["errors"] == [] and body["owner"] == OWNER
    path = Path(body["path"])
    path.write_text("rules:\n  - name: broken\n    action: explode\n")
    try:
        status, body = call(f"{api}/api/policies", user="mallory")
        assert status == 200
        check("/api/policies", "GET", 200, body)
        assert body["source"] == "fail-closed" and body["text"].startswith("rules:")
        assert body["errors"] and "line 2: rules[0]" in body["errors"][0]["message"]
        assert "fails closed" in body["errors"][0]["hint"]
    finally:
        path.unlink()

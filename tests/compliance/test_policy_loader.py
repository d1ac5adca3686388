"""Reading policies.yaml: defaults, validation with file/line/reason, failing closed, changes."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from neurolake_lab.compliance.policy import (
    PolicyFileError,
    PolicyStore,
    enforce,
    load_policy,
    parse_policy,
    policy_path,
    policy_schema,
)
from tests.compliance.policy_support import EXAMPLE_POLICY, OWNER, TAGS, retail_db, schema_of


def _error(text: str, tmp_path: Path) -> PolicyFileError:
    path = tmp_path / "policies.yaml"
    with pytest.raises(PolicyFileError) as info:
        parse_policy(text, path=path, owner=OWNER)
    assert info.value.path == path
    return info.value


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_the_schema_is_a_valid_json_schema_and_accepts_the_example() -> None:
    schema = policy_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(yaml.safe_load(EXAMPLE_POLICY), schema)
    shipped = Path(__file__).parents[2] / "neurolake_lab" / "schema" / "policies.schema.json"
    assert json.loads(shipped.read_text()) == schema


def test_no_file_gives_the_default_policy(workspace: Path) -> None:
    policy = load_policy(workspace, owner=OWNER)
    assert (policy.source, policy.version, policy.error) == ("default", "default", None)
    assert policy.identity(OWNER).sees_all and policy.identity(OWNER).exempt
    bob = policy.identity("bob")
    assert not bob.sees_all and not bob.exempt and not bob.is_owner
    assert policy.guards.protected_paths == (str(workspace.resolve()),)


def test_the_example_policy_resolves_roles_attributes_and_rules(tmp_path: Path) -> None:
    policy = parse_policy(EXAMPLE_POLICY, path=tmp_path / "p.yaml", owner=OWNER)
    assert policy.source == "file" and policy.version.startswith("sha256:")
    bob = policy.identity("bob")
    assert bob.roles == {"analyst", "viewer"} and bob.attributes == {
        "country": "DE",
        "region": "EU",
    }
    assert policy.identity("stranger").roles == {"viewer"}  # defaults.roles
    assert policy.identity(OWNER).roles == {"owner", "viewer"} and policy.identity(OWNER).exempt
    assert policy.identity("erin").exempt and not policy.identity("dave").exempt
    assert [r.name for r in policy.rules][:3] == ["admin-sees-all", "no-ssn", "support-contact"]
    assert policy.rules[1].line == _line_of(EXAMPLE_POLICY, "name: no-ssn")
    assert [f.name for f in policy.row_filters] == ["own-country", "own-orders"]
    assert policy.attribute_names == {"country", "region"}


def test_the_version_follows_the_bytes(tmp_path: Path) -> None:
    a = parse_policy(EXAMPLE_POLICY, owner=OWNER)
    b = parse_policy(EXAMPLE_POLICY, owner=OWNER)
    c = parse_policy(EXAMPLE_POLICY.replace("method: hash", "method: redact"), owner=OWNER)
    assert a.version == b.version != c.version


def test_an_empty_file_is_the_default_rules(tmp_path: Path) -> None:
    policy = parse_policy("", owner=OWNER)
    assert policy.rules == () and policy.default_pii == "mask" and policy.source == "file"


@pytest.mark.parametrize(
    ("text", "needle", "reason"),
    [
        ("rules:\n  - name: a\n    tags: [pii]\n   action: deny\n", "action: deny", "invalid YAML"),
        ("rules: [\n  {name: a, tags: [pii], action: deny}\n", None, "invalid YAML"),
        ("mode: enforce\nmode: remediate\n", "mode: remediate", "duplicate key 'mode'"),
        (
            "rules:\n  - name: a\n    tags: [pii]\n    actoin: deny\n",
            "actoin",
            "unknown key 'actoin'",
        ),
        (
            "rules:\n  - name: a\n    tags: [pii]\n    action: hide\n",
            "action: hide",
            "'hide' is not one of",
        ),
        ("rules:\n  - tags: [pii]\n    action: deny\n", "tags: [pii]", "'name' is required"),
        ("rules:\n  - name: a\n    action: deny\n", "name: a", "needs 'columns' or 'tags'"),
        ("defaults:\n  method: scramble\n", "method: scramble", "'scramble' is not one of"),
        ("users:\n  bob: {roles: [analyst]}\n", "bob:", "unknown role 'analyst'"),
        (
            "purposes: {}\nrules:\n  - name: a\n    tags: [pii]\n    purposes: [audit]\n    action: allow\n",
            "purposes: [audit]",
            "unknown purpose 'audit'",
        ),
        ("roles:\n  a: {inherits: [b]}\n  b: {inherits: [a]}\n", "a: {inherits", "inherits itself"),
        (
            "rules:\n  - {name: a, tags: [pii], action: deny}\n  - {name: a, tags: [pii], action: allow}\n",
            "action: allow",
            "used twice",
        ),
        (
            "rules:\n  - name: a\n    tags: [pii]\n    action: allow\n    method: hash\n",
            "method: hash",
            "method only goes with",
        ),
        (
            "row_filters:\n  - name: f\n    tables: [retail.customers]\n    predicate: country = = 'DE'\n",
            "predicate",
            "not a SQL condition",
        ),
        (
            'row_filters:\n  - name: f\n    tables: [t]\n    predicate: "1 = 1; DROP TABLE t"\n',
            "predicate",
            "not a SQL condition",
        ),
        (
            "users:\n  bob: {attributes: {country: DE}}\nrow_filters:\n  - name: f\n    tables: [t]\n"
            "    predicate: region = current_user_region()\n",
            "predicate",
            "no user has",
        ),
        ("guards:\n  file_reads: none\n", "file_reads", "'none' is not one of"),
        ("- just\n- a list\n", "- just", "is not of type 'object'"),
    ],
)
def test_malformed_policies_name_file_line_and_reason(
    tmp_path: Path, text: str, needle: str | None, reason: str
) -> None:
    error = _error(text, tmp_path)
    assert reason in error.reason
    if needle is not None:
        assert error.line == _line_of(text, needle), (error.line, error.reason)
    else:
        assert error.line is not None
    assert str(tmp_path / "policies.yaml") in error.message
    assert f"line {error.line}" in error.message
    assert "masked for everyone" in str(error)


def test_a_malformed_file_fails_closed(workspace: Path) -> None:
    policy_path(workspace).write_text("rules:\n  - name: a\n    tags: [pii]\n    action: hide\n")
    policy = load_policy(workspace, owner=OWNER)
    assert policy.source == "fail-closed" and policy.version.startswith("fail-closed:")
    assert policy.error is not None and policy.error.line == 4
    owner = policy.identity(OWNER)
    assert not owner.sees_all and not owner.exempt  # the owner too

    con = retail_db(10)
    e = enforce(
        "SELECT email, ssn, city FROM retail.customers",
        schema=schema_of(con),
        tags=TAGS,
        user=OWNER,
        policy=policy,
    )
    assert {m["column"] for m in e.masked} == {"retail.customers.email", "retail.customers.ssn"}
    assert all(m["policy"] == "fail-closed" for m in e.masked)
    assert any("line 4" in w and "fixed" in w for w in e.warnings)
    rows = con.execute(e.sql).fetchall()
    assert rows and not any("@example.com" in r[0] or r[1].startswith("900-") for r in rows)

    e = enforce(
        f"SELECT * FROM read_text('{workspace}/policies.yaml')",
        schema=schema_of(con),
        tags=TAGS,
        user=OWNER,
        policy=policy,
    )
    assert e.blocked and e.refusals[0].rule == "file-read"


def test_unreadable_and_non_utf8_files_fail_closed(workspace: Path) -> None:
    policy_path(workspace).write_bytes(b"mode: \xff\xfe\n")
    policy = load_policy(workspace, owner=OWNER)
    assert policy.source == "fail-closed" and policy.error is not None
    assert "UTF-8" in policy.error.reason


def test_the_store_rereads_only_changes_and_records_them(workspace: Path) -> None:
    store = PolicyStore(workspace, owner=OWNER)
    first = store.current()
    assert first.source == "default" and store.current() is first
    [change] = store.take_changes()
    assert (change.old_version, change.new_version) == (None, "default")

    policy_path(workspace).write_text(EXAMPLE_POLICY)
    second = store.current()
    assert second.source == "file" and store.current() is second

    policy_path(workspace).write_text("mode: [\n")
    broken = store.current()
    assert broken.source == "fail-closed"

    policy_path(workspace).write_text(EXAMPLE_POLICY + "\n# a comment\n")
    fixed = store.current()
    assert fixed.source == "file" and fixed.version != second.version

    changes = store.take_changes()
    assert [c.new_version for c in changes] == [second.version, broken.version, fixed.version]
    assert changes[1].error is not None and "line 2: invalid YAML" in changes[1].error
    assert [c.old_version for c in changes] == ["default", second.version, broken.version]
    assert store.take_changes() == []

    policy_path(workspace).unlink()
    assert store.current().source == "default"

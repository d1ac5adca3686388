"""The masking macros in a real DuckDB, the per-column keys and the workspace's secret."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import duckdb
import pytest

from neurolake_lab.compliance.policy import (
    PolicyError,
    register_masking_functions,
    workspace_salt,
)
from neurolake_lab.compliance.policy.masking import REDACTED, SALT_ENV, salt_path, table_key

SALT_A = "a" * 32
SALT_B = "b" * 32


def _con(salt: str = SALT_A) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    register_masking_functions(con, salt)
    return con


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    row = con.execute(sql).fetchone()
    assert row is not None
    return row[0]


EMAIL = "'crm.people', 'email'"


def test_hash_is_stable_for_a_salt_and_differs_between_salts() -> None:
    a1, a2, b = _con(SALT_A), _con(SALT_A), _con(SALT_B)
    h1 = _one(a1, f"SELECT nl_mask_hash('alice@example.com', {EMAIL})")
    assert h1 == _one(a2, f"SELECT nl_mask_hash('alice@example.com', {EMAIL})")
    assert h1 != _one(b, f"SELECT nl_mask_hash('alice@example.com', {EMAIL})")
    assert h1 != _one(a1, f"SELECT nl_mask_hash('bob@example.com', {EMAIL})")
    assert isinstance(h1, str) and len(h1) == 32 and "alice" not in h1
    # keyed: the unsalted digests of the value are not the pseudonym
    assert h1 not in (
        _one(a1, "SELECT md5('alice@example.com')"),
        _one(a1, "SELECT sha256('alice@example.com')"),
    )


def test_hash_keeps_equal_values_equal_across_rows_and_types() -> None:
    con = _con()
    rows = con.execute(
        f"SELECT nl_mask_hash(v, {EMAIL}) FROM (VALUES (1, 'x'), (2, 'y'), (3, 'x')) t(k, v) "
        "ORDER BY k"
    ).fetchall()
    assert rows[0] == rows[2] != rows[1]
    assert _one(con, "SELECT nl_mask_hash(42, 'a.b', 'c')") == _one(
        con, "SELECT nl_mask_hash('42', 'a.b', 'c')"
    )
    assert _one(con, "SELECT typeof(nl_mask_hash(DATE '2000-01-02', 'a.b', 'c'))") == "VARCHAR"


def test_each_column_has_its_own_key() -> None:
    """A table of guesses cannot be joined to a masked column: its column has another key."""
    con = _con()
    row = con.execute(
        "SELECT nl_mask_hash('1980-01-02', 'crm.people', 'date_of_birth'), "
        "nl_mask_hash('1980-01-02', 'sandbox.guesses', 'date_of_birth'), "
        "nl_mask_hash('1980-01-02', 'crm.people', 'signup_date'), "
        "nl_mask_hash('1980-01-02', 'CRM.People', 'Date_Of_Birth')"
    ).fetchone()
    assert row is not None and len(set(row[:3])) == 3 and row[3] == row[0]


@pytest.mark.parametrize("method", ["hash", "redact", "partial", "null"])
def test_null_stays_null(method: str) -> None:
    column = ", 'a.b', 'c'" if method == "hash" else ""
    assert _one(_con(), f"SELECT nl_mask_{method}(NULL::VARCHAR{column})") is None


def test_redact_is_a_constant_whatever_the_value() -> None:
    con = _con()
    assert _one(con, "SELECT nl_mask_redact('4111 1111 1111 1111')") == REDACTED
    assert _one(con, "SELECT nl_mask_redact(12345)") == REDACTED
    assert _one(con, "SELECT count(DISTINCT nl_mask_redact(v)) FROM range(100) t(v)") == 1


def test_partial_keeps_the_last_four_characters_of_long_values() -> None:
    con = _con()
    assert _one(con, "SELECT nl_mask_partial('4111111111111111')") == "************1111"
    assert _one(con, "SELECT nl_mask_partial('+1-555-0123')") == "*******0123"
    assert _one(con, "SELECT nl_mask_partial(12345678)") == "****5678"
    # short values would show too much of themselves: fully starred, length kept
    assert _one(con, "SELECT nl_mask_partial('1234567')") == "*******"
    assert _one(con, "SELECT nl_mask_partial('ab')") == "**"


def test_null_method_keeps_the_column_type() -> None:
    con = _con()
    row = con.execute(
        "SELECT typeof(nl_mask_null(1.5::DECIMAL(9,2))), typeof(nl_mask_null(DATE '2000-01-01')),"
        " nl_mask_null(7), nl_mask_null('x')"
    ).fetchone()
    assert row == ("DECIMAL(9,2)", "DATE", None, None)


def test_the_secret_and_keys_show_neither_in_explain_nor_in_the_catalog() -> None:
    secret = "SECRETSALT" + "x" * 20
    con = _con(secret)
    con.execute("CREATE TABLE t AS SELECT 'a@example.com' AS email")
    key = table_key(secret, "crm.people")
    for sql in [
        "SELECT nl_mask_hash(email, 'crm.people', 'email') FROM t",
        "SELECT nl_mask_hash_keyed(email, k.k, 'email') FROM t, "
        "(SELECT system.main.nl_mask_key('crm.people') AS k) AS k",
    ]:
        plan = "\n".join(r[1] for r in con.execute(f"EXPLAIN {sql}").fetchall())
        assert "SECRETSALT" not in plan and key not in plan and key[:8] not in plan
    definitions = con.execute(
        "SELECT string_agg(coalesce(macro_definition, ''), ' ') FROM duckdb_functions() "
        "WHERE function_name LIKE 'nl_mask_%'"
    ).fetchone()
    assert definitions is not None and definitions[0]
    assert "SECRETSALT" not in definitions[0] and key not in definitions[0]
    tables = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '%nl%'")
    assert tables.fetchone() == (0,)  # nothing holds the secret where a query could read it


def test_masks_call_built_ins_by_their_full_name() -> None:
    """A user macro named like a built-in the masks use changes nothing they compute."""
    con, plain = _con(), _con()
    for name, params in [("md5", "x"), ("concat", "a, b"), ("length", "x"), ("repeat", "a, b"),
                         ("right", "a, b"), ("subtract", "a, b"), ("||", "a, b"), ("-", "a, b"),
                         ("chr", "x"), ("lower", "x")]:  # fmt: skip
        con.execute(f"CREATE OR REPLACE TEMP MACRO \"{name}\"({params}) AS 'x'")
    for sql in [
        "SELECT nl_mask_hash('alice@example.com', 'crm.people', 'email')",
        "SELECT nl_mask_partial('4111111111111111')",
        "SELECT nl_mask_partial('123')",
    ]:
        assert _one(con, sql) == _one(plain, sql), sql


def test_registering_again_changes_the_salt() -> None:
    con = _con(SALT_A)
    sql = "SELECT nl_mask_hash('v', 'a.b', 'c')"
    before = _one(con, sql)
    register_masking_functions(con, SALT_B)
    assert _one(con, sql) == _one(_con(SALT_B), sql)
    assert _one(con, sql) != before


def test_a_short_salt_is_refused() -> None:
    with pytest.raises(PolicyError, match="too short"):
        register_masking_functions(duckdb.connect(), "short")


def test_masking_vectorises_over_many_rows() -> None:
    con = _con()
    row = con.execute(
        "SELECT count(DISTINCT nl_mask_hash(i, 'a.b', 'c')), "
        "count(DISTINCT nl_mask_partial(10000000 + i)), "
        "count(DISTINCT nl_mask_redact(i)) FROM range(20000) t(i)"
    ).fetchone()
    assert row == (20000, 10000, 1)  # partial keeps 4 digits: 10,000 distinct tails


def test_workspace_salt_is_created_private_and_stable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SALT_ENV, raising=False)
    first = workspace_salt(tmp_path)
    assert len(first) == 64 and first == workspace_salt(tmp_path)
    mode = stat.S_IMODE(os.stat(salt_path(tmp_path)).st_mode)
    assert mode == 0o600


def test_workspace_salt_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SALT_ENV, "env-salt-0123456789")
    assert workspace_salt(tmp_path) == "env-salt-0123456789"
    assert not salt_path(tmp_path).exists()
    monkeypatch.setenv(SALT_ENV, "short")
    with pytest.raises(PolicyError, match=SALT_ENV):
        workspace_salt(tmp_path)


def test_the_joined_key_and_the_macro_give_the_same_pseudonym() -> None:
    con = _con()
    keyed = _one(
        con,
        "SELECT nl_mask_hash_keyed('alice@example.com', k.k, 'email') "
        "FROM (SELECT system.main.nl_mask_key('crm.people') AS k) AS k",
    )
    assert keyed == _one(con, f"SELECT nl_mask_hash('alice@example.com', {EMAIL})")

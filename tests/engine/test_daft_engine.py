"""The Daft engine on Daft's local runner: governed results equal DuckDB's, refusals are named.

The Ray cluster version of these checks is ``test_daft_ray.py``; Daft's runner is per process,
so this module uses the local runner only.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import neurolake_lab
from neurolake_lab.engine.backend import UnsupportedByEngine, backend_class, engine_name
from neurolake_lab.exceptions import NeuroLakeError
from neurolake_lab.session import Session
from tests.support.daft_engine import both, daft_engine
from tests.support.tpch_lake import load_tpch, rows, same_rows

pytestmark = pytest.mark.slow

POLICY = """\
users:
  bob: {roles: [analyst], attributes: {country: FR}}
roles:
  analyst: {}
rules:
  - name: contact
    columns: [shop.customers.phone]
    roles: [analyst]
    action: mask
    method: partial
  - name: secret
    columns: [shop.customers.note]
    roles: [analyst]
    action: mask
    method: redact
  - name: no-birth
    columns: [shop.customers.birth]
    roles: [analyst]
    action: mask
    method: "null"
row_filters:
  - name: own-country
    tables: [shop.customers]
    roles: [analyst]
    predicate: country = current_user_country()
"""


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    ws = tmp_path_factory.mktemp("daft")
    with neurolake_lab.connect(ws) as owner:
        owner.sql(
            "CREATE TABLE shop.customers AS SELECT range AS id, "
            "'user' || range || '@example.com' AS email, '+33 6 12 34 ' || (1000 + range) AS phone, "
            "['FR', 'DE', 'JP'][range % 3 + 1] AS country, 'note ' || range AS note, "
            "DATE '1990-01-01' + range::INTEGER AS birth, range * 1.25 AS amount FROM range(60)"
        )
        owner.sql("INSERT INTO shop.customers VALUES (999, NULL, NULL, 'FR', NULL, NULL, 1.0)")
        first = owner.snapshots("shop.customers").arrow().column("snapshot_id").to_pylist()[-1]
        queries = load_tpch(owner, 0.01)
    (ws / "policies.yaml").write_text(POLICY)
    yield {"ws": ws, "first": first, "tpch": queries}


@pytest.fixture(scope="module")
def sessions(lake: dict) -> Iterator[dict[str, Session]]:
    with (
        neurolake_lab.connect(lake["ws"]) as owner,
        neurolake_lab.connect(lake["ws"], user="bob") as bob,
    ):
        yield {"owner": owner, "bob": bob}


QUERIES = [
    "SELECT country, count(*) AS n, sum(amount) AS total FROM shop.customers GROUP BY ALL ORDER BY 1",
    "SELECT id, email, phone, note, birth FROM shop.customers ORDER BY id",
    "SELECT count(*), count(DISTINCT email) FROM shop.customers WHERE amount > 10",
    "SELECT substring(email, 1, 6) || '…' AS head, upper(country) FROM shop.customers ORDER BY id LIMIT 5",
    "SELECT c.country, count(*) FROM shop.customers c JOIN shop.customers d ON c.id = d.id + 1 GROUP BY 1 ORDER BY 1",
]


@pytest.mark.parametrize("user", ["owner", "bob"])
@pytest.mark.parametrize("sql", QUERIES)
def test_governed_results_equal_duckdb(sessions: dict[str, Session], user: str, sql: str) -> None:
    got, expected = both(sessions[user], sql)
    assert same_rows(got, expected), (got, expected)


def test_masks_and_row_filters_apply_on_daft(sessions: dict[str, Session]) -> None:
    got, _ = both(
        sessions["bob"], "SELECT country, email, phone, note, birth FROM shop.customers ORDER BY id"
    )
    assert {r[0] for r in got} == {"FR"}
    assert all(r[1] is None or "@" not in r[1] for r in got)  # hashed
    assert all(r[2] is None or r[2].startswith("*") for r in got)  # partial
    assert {r[3] for r in got} <= {"[REDACTED]", None} and all(r[4] is None for r in got)


def test_time_travel_on_daft(sessions: dict[str, Session], lake: dict) -> None:
    got, expected = both(
        sessions["bob"], f"SELECT count(*) FROM shop.customers FOR VERSION AS OF {lake['first']}"
    )
    assert got == expected == [(20,)]


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        ("SELECT trim(email) FROM shop.customers", "the function trim()"),
        ("SELECT * FROM range(3)", "the table function range"),
        ("INSERT INTO shop.customers (id) VALUES (1)", "INSERT statements"),
        ("CREATE TABLE shop.copy AS SELECT * FROM shop.customers", "statements: writes commit"),
        ("SELECT strftime(birth, '%Y') FROM shop.customers", "the function"),
        # Daft 0.7 drops the ORDER BY of a query with a window function: refused, not wrong
        ("SELECT id, row_number() OVER (ORDER BY id) FROM shop.customers ORDER BY id", "Window"),
    ],
)
def test_unsupported_constructs_are_named(
    sessions: dict[str, Session], sql: str, named: str
) -> None:
    with pytest.raises(UnsupportedByEngine) as info:
        sessions["owner"].sql(sql, engine="daft")
    assert named in info.value.message and "aft" in info.value.message
    assert sessions["owner"].sql("SELECT count(*) FROM shop.customers").arrow()[0][0].as_py() == 61


def test_a_session_table_is_not_sent_to_daft(sessions: dict[str, Session]) -> None:
    owner = sessions["owner"]
    owner.sql("CREATE TABLE scratch AS SELECT 1 AS x")
    with pytest.raises(UnsupportedByEngine, match="scratch: it reads only lakehouse"):
        owner.sql("SELECT * FROM scratch", engine="daft")


def test_denied_column_fails_when_evaluated_as_on_duckdb(sessions: dict[str, Session]) -> None:
    # what the policy rewrite makes of a denied column (governance itself refuses a query that
    # names it; the rewrite is the second line of defence, kept on Daft)
    owner = sessions["owner"]
    denied = (
        "(SELECT * REPLACE (CAST(error('column shop.customers.email is denied by policy "
        '"no-email"\') AS TEXT) AS email) FROM shop.customers) AS c'
    )
    engine = daft_engine(owner)
    assert rows(engine.run(f"SELECT count(id) FROM {denied}").table) == [(61,)]
    for run in (engine.run, owner.sql):
        with pytest.raises(NeuroLakeError, match="email is denied"):
            run(f"SELECT email FROM {denied}")


SUPPORTED_TPCH = [n for n in range(1, 23) if n != 21]


@pytest.mark.parametrize("number", SUPPORTED_TPCH)
def test_tpch_on_daft_equals_duckdb(sessions: dict[str, Session], lake: dict, number: int) -> None:
    got, expected = both(sessions["owner"], lake["tpch"][number])
    assert same_rows(got, expected), (got[:3], expected[:3])


def test_tpch_q21_is_refused_with_daft_reason(sessions: dict[str, Session], lake: dict) -> None:
    owner = sessions["owner"]
    with pytest.raises(UnsupportedByEngine, match="Outer reference"):
        owner.sql(lake["tpch"][21], engine="daft")


def test_backend_names_and_missing_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    from neurolake_lab.engine import backend

    assert engine_name({"NEUROLAKE_ENGINE": "Daft-Ray"}) == "daft-ray"
    with pytest.raises(NeuroLakeError, match="unknown engine 'spark'"):
        engine_name({}, "spark")
    assert backend_class("daft").__name__ == "DaftEngine"
    monkeypatch.setitem(
        backend.BACKENDS, "daft", ("neurolake_lab.engine.no_such_module", "X", "daft")
    )
    with pytest.raises(NeuroLakeError) as info:
        backend_class("daft")
    assert "pip install 'neurolake_lab[daft]'" in (info.value.hint or "")


def test_sql_magic_engine_option_runs_the_governed_cell_on_daft(ip) -> None:
    from neurolake_lab.magics import get_magics

    session = get_magics(ip).session
    session.sql("CREATE TABLE m.t AS SELECT range AS id, range % 3 AS g FROM range(30)")
    ip.run_cell_magic(
        "sql", "--engine daft -o r", "SELECT g, count(*) AS n FROM m.t GROUP BY g ORDER BY g"
    )
    result = ip.user_ns["r"]
    assert result.arrow().to_pylist() == [{"g": 0, "n": 10}, {"g": 1, "n": 10}, {"g": 2, "n": 10}]
    record = session.audit.tail(1)[0]
    assert record.kind == "query" and record.data["engine"] == "daft"
    assert record.data["tables"] == {"m.t": session.lakehouse.current_snapshot_id(("m", "t"))}
    with pytest.raises(Exception, match="unknown engine 'spark'"):
        ip.run_cell_magic("sql", "--engine spark", "SELECT 1")

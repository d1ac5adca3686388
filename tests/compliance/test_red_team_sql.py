"""Red team: plain-SQL ways around the masks (issue 17), kept as regression tests.

A second identity (``analyst``) works on the retail demo in a kernel whose working folder is
``<workspace>/notebooks`` (where ``neurolake lab`` starts kernels) and tries, with nothing but SQL,
to read what the policy masks. Each test names the hole it keeps closed; each also checks that
the legitimate version of the same work still runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from sqlglot import exp

import neurolake_lab
from neurolake_lab.compliance.policy import PolicyViolation
from neurolake_lab.session import Session
from tests.compliance.red_team_support import assert_no_clear_value, retail_demo

POLICY = """\
users:
  analyst: {roles: [analyst], attributes: {country: united kingdom}}
roles:
  analyst: {}
rules:
  - {name: phone-tail, columns: ["*.phone"], action: mask, method: partial}
  - {name: no-ip, columns: ["*.last_login_ip"], action: mask, method: redact}
  - {name: no-card, columns: ["*.credit_card_number"], action: mask, method: "null"}
row_filters:
  - name: own-country
    tables: [retail.customers]
    roles: [analyst]
    predicate: upper(country) = upper(current_user_country())
"""
HEX32 = re.compile(r"^[0-9a-f]{32}$")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The retail demo, its clear values (what the red team is after) and the policy above."""
    with retail_demo(tmp_path_factory.mktemp("redteam"), POLICY) as found:
        yield found


@pytest.fixture
def analyst(demo: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[Session]:
    monkeypatch.chdir(demo["ws"] / "notebooks")
    with neurolake_lab.connect(demo["ws"], user="analyst") as session:
        yield session


def _refused(session: Session, sql: str, rule: str) -> PolicyViolation:
    with pytest.raises(PolicyViolation) as info:
        session.sql(sql)
    assert f'rule "{rule}"' in info.value.message, info.value.message
    return info.value


def _masked_rows(session: Session) -> list[dict[str, Any]]:
    session.result_cache.clear()  # computed afresh, never an earlier answer
    return (
        session.sql(
            "SELECT customer_id, full_name, email, phone, credit_card_number, last_login_ip, "
            "country FROM retail.customers ORDER BY customer_id"
        )
        .arrow()
        .to_pylist()
    )


# -- hole 1: shadowing a built-in the masks or the row filters call ---------------------------


def test_hole1_a_macro_named_like_a_builtin_is_refused_for_everyone(
    demo: dict[str, Any], analyst: Session
) -> None:
    before = _masked_rows(analyst)
    assert before and all(HEX32.match(r["email"]) for r in before)
    for sql in [
        "CREATE OR REPLACE TEMP MACRO md5(x) AS x",
        "CREATE OR REPLACE TEMP MACRO upper(x) AS 'UNITED KINGDOM'",
        'CREATE OR REPLACE TEMP MACRO "right"(x, n) AS x',
        'CREATE TEMP MACRO "||"(a, b) AS a',
    ]:
        _refused(analyst, sql, "reserved-name")
        _refused(demo["owner"], sql, "reserved-name")
    assert analyst.audit.tail(1)[0].kind == "refusal"
    after = _masked_rows(analyst)
    assert after == before
    assert_no_clear_value(str(after), demo)
    # the analyst's own macros with their own names still work
    twice = analyst.sql("CREATE MACRO twice(x) AS x * 2; SELECT twice(21) AS v").arrow()
    assert twice.column("v").to_pylist() == [42]


def _functions_in(sql: str) -> dict[str, int]:
    """Every function (and operator) name ``sql`` calls, with the number of arguments."""
    out: dict[str, int] = {}
    for node in sqlglot.parse_one(sql, read="duckdb").walk():
        if isinstance(node, exp.Anonymous):
            out[node.name.lower()] = len(node.expressions)
        elif isinstance(node, exp.Func) and not isinstance(node, exp.Binary | exp.Cast | exp.Case):
            match = re.match(r"^([A-Za-z_]\w*)\(", node.sql("duckdb"))
            if match:
                out[match.group(1).lower()] = len([a for a in node.args.values() if a])
    return out


def test_hole1_no_function_the_masks_and_filters_use_can_be_shadowed(
    demo: dict[str, Any], analyst: Session
) -> None:
    """Every function a mask or row filter calls: defining it is refused, and even a definition
    made around the policy (straight on the connection) changes nothing the masks compute."""
    result = analyst.sql("SELECT * FROM retail.customers")
    executed = result.report["executed_sql"]
    con = analyst.engine.con
    used = _functions_in(executed)
    for (definition,) in con.execute(
        "SELECT macro_definition FROM duckdb_functions() WHERE function_name LIKE 'nl_mask_%' "
        "AND macro_definition IS NOT NULL"
    ).fetchall():
        used.update(_functions_in(f"SELECT {definition}"))
    assert {"md5", "concat", "upper", "right", "length", "repeat", "nl_mask_key"} <= set(used)
    before = _masked_rows(analyst)
    for name, arity in sorted(used.items()):
        params = ", ".join(f"p{i}" for i in range(arity))
        with pytest.raises(PolicyViolation, match="reserved-name"):
            analyst.sql(f'CREATE OR REPLACE TEMP MACRO "{name}"({params}) AS NULL')
        if name.startswith("nl_mask") or name.startswith("current_user"):
            continue
        # around the policy: the masks call system.main.<name>, which no macro shadows
        con.execute(f"CREATE OR REPLACE TEMP MACRO \"{name}\"({params}) AS 'shadowed'")
    after = _masked_rows(analyst)
    assert after == before, "a user macro changed what a mask or a row filter computes"
    assert {r["country"] for r in after} == {"United Kingdom"}


# -- hole 2: relative paths, resolved from the kernel's working folder ------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_parquet('../warehouse/retail/customers/data/*.parquet')",
        "SELECT * FROM '../warehouse/retail/customers/data/*.parquet'",
        "SELECT * FROM read_text('../keys/mask.salt')",
        "SELECT * FROM read_text('../audit/audit.jsonl')",
        "SELECT * FROM read_text('../*/mask.salt')",
        "SELECT * FROM read_blob('/proc/self/cwd/../keys/mask.salt')",
        "SELECT * FROM read_csv('./../catalog.db')",
    ],
)
def test_hole2_relative_paths_into_the_workspace_are_refused(
    demo: dict[str, Any], analyst: Session, sql: str
) -> None:
    assert Path.cwd() == (demo["ws"] / "notebooks").resolve()
    _refused(analyst, sql, "file-read")
    assert analyst.audit.tail(1)[0].kind == "refusal"


def test_hole2_files_outside_the_workspace_still_read(analyst: Session, tmp_path: Path) -> None:
    (tmp_path / "mine.csv").write_text("a,b\n1,2\n")
    assert analyst.sql(f"SELECT * FROM read_csv('{tmp_path}/mine.csv')").arrow().num_rows == 1


# -- hole 7: the hash as a dictionary ---------------------------------------------------------


def test_hole7_guessed_values_cannot_be_joined_to_a_masked_column(
    demo: dict[str, Any], analyst: Session
) -> None:
    """A table of guesses (here: every real date of birth and e-mail, and more) is masked with
    its own key, so joining it to the customers' masked columns matches nothing."""
    import pyarrow as pa

    owner = demo["owner"]
    dates = sorted({r["date_of_birth"] for r in demo["clear"]})
    emails = [r["email"] for r in demo["clear"]]
    n = max(len(dates), len(emails))
    guesses = pa.table(
        {
            "date_of_birth": dates + dates[:1] * (n - len(dates)),
            "email": emails + emails[:1] * (n - len(emails)),
        }
    )
    owner.write("sandbox.guesses", guesses)
    owner.set_pii("sandbox.guesses", "date_of_birth", "DATE_OF_BIRTH")
    owner.set_pii("sandbox.guesses", "email", "EMAIL_ADDRESS")
    clear_join = "SELECT count(*) FROM sandbox.guesses g JOIN retail.customers c USING ({})"
    for column in ("date_of_birth", "email"):
        assert owner.sql(clear_join.format(column)).arrow()[0][0].as_py() > 0  # the control
        masked = analyst.sql(f"SELECT {column} FROM sandbox.guesses LIMIT 3").arrow()
        assert all(HEX32.match(v) for v in masked.column(0).to_pylist())
        assert analyst.sql(clear_join.format(column)).arrow()[0][0].as_py() == 0
    # within one column equal values keep equal pseudonyms: counting and grouping still work
    distinct = analyst.sql("SELECT count(DISTINCT date_of_birth) FROM retail.customers")
    rows = owner.sql(
        "SELECT count(DISTINCT date_of_birth) FROM retail.customers "
        "WHERE upper(country) = 'UNITED KINGDOM'"
    )
    assert distinct.arrow()[0][0].as_py() == rows.arrow()[0][0].as_py()


def test_hole7_the_session_views_of_lakehouse_tables_cannot_be_replaced(
    demo: dict[str, Any], analyst: Session
) -> None:
    """Chosen values fed through the masks of retail.customers would be a dictionary."""
    guesses = "SELECT 'ann@example.com' AS email"
    _refused(analyst, f"CREATE OR REPLACE VIEW retail.customers AS {guesses}", "lakehouse-object")
    _refused(analyst, "DROP VIEW retail.customers", "lakehouse-object")
    _refused(
        analyst, f"CREATE OR REPLACE TEMP MACRO iceberg_scan(x) AS TABLE {guesses}", "reserved-name"
    )
    # a session table may take a bare name: it is the analyst's own, shown as it is, and the
    # lakehouse table stays governed under its full name
    rows = analyst.sql(f"CREATE TEMP TABLE customers AS {guesses}; SELECT email FROM customers")
    assert rows.arrow().column("email").to_pylist() == ["ann@example.com"]
    masked = analyst.sql("SELECT email FROM retail.customers").arrow().column("email").to_pylist()
    assert masked and all(HEX32.match(e) for e in masked)


# -- legitimate work that must keep working, for the owner and for the analyst ------------------


@pytest.fixture(params=["owner", "analyst"])
def either(request: pytest.FixtureRequest, demo: dict[str, Any]) -> Iterator[Session]:
    if request.param == "owner":
        yield demo["owner"]
        return
    with neurolake_lab.connect(demo["ws"], user="analyst") as session:
        yield session


def _is_analyst(session: Session) -> bool:
    return session.services.user == "analyst"


def _shown(session: Session, sql: str) -> list[dict[str, Any]]:
    session.result_cache.clear()
    return session.sql(sql).arrow().to_pylist()


@pytest.mark.parametrize(
    "sql",
    [
        "PIVOT retail.orders ON status USING count(*)",
        "PIVOT retail.orders ON status USING count(*) GROUP BY customer_id",
        "SELECT * FROM (PIVOT retail.orders ON status USING sum(total_amount) GROUP BY channel)",
        "WITH p AS (PIVOT retail.orders ON channel USING count(*) GROUP BY status) SELECT * FROM p",
        "FROM retail.orders PIVOT (count(*) FOR status IN ('delivered', 'cancelled'))",
        "SELECT * FROM retail.orders PIVOT (count(*) FOR status IN ('delivered', 'cancelled') "
        "GROUP BY customer_id)",
        "UNPIVOT (SELECT customer_id, email, phone FROM retail.customers) ON email, phone "
        "INTO NAME k VALUE v",
        "PIVOT retail.customers ON country USING count(*) GROUP BY city",
        "PIVOT retail.customers ON email USING count(*)",
    ],
)
def test_pivot_in_every_form(demo: dict[str, Any], either: Session, sql: str) -> None:
    rows = _shown(either, sql)
    assert rows
    if _is_analyst(either):  # pivoted names and values come from the governed rows
        assert_no_clear_value(str(rows), demo)


def test_macros_over_a_pii_table(demo: dict[str, Any], either: Session) -> None:
    prefix = "a" if _is_analyst(either) else "o"
    either.sql(
        f"CREATE OR REPLACE MACRO {prefix}_mail(id) AS "
        "(SELECT email FROM retail.customers WHERE customer_id = id)"
    )
    either.sql(
        f"CREATE OR REPLACE MACRO {prefix}_people(n) AS TABLE "
        "SELECT customer_id, email, country FROM retail.customers ORDER BY customer_id LIMIT n"
    )
    people = _shown(either, f"SELECT * FROM {prefix}_people(3)")
    [mail] = _shown(either, f"SELECT {prefix}_mail({people[0]['customer_id']}) AS m")
    assert len(people) == 3
    clear = {r["customer_id"]: r["email"] for r in demo["clear"]}
    if _is_analyst(either):
        assert {r["country"] for r in people} == {"United Kingdom"}
        assert all(HEX32.match(r["email"]) for r in people) and mail["m"] == people[0]["email"]
        assert_no_clear_value(str(people), demo)
    else:
        assert [r["email"] for r in people] == [clear[i] for i in (1, 2, 3)]
        assert mail["m"] == clear[1]


def test_table_show_explain_describe_profile(demo: dict[str, Any], either: Session) -> None:
    table = _shown(either, "TABLE retail.customers")
    assert len(table) == (
        sum(r["country"] == "United Kingdom" for r in demo["clear"])
        if _is_analyst(either)
        else len(demo["clear"])
    )
    shown = _shown(either, "SHOW retail.orders")
    assert [r["column_name"] for r in shown][:2] == ["order_id", "customer_id"]
    explained = either.sql("EXPLAIN (FORMAT JSON) SELECT email FROM retail.customers")
    [plan] = explained.arrow().to_pylist()
    assert plan["explain_value"].lstrip().startswith("[")  # JSON, as asked
    executed = explained.report["executed_sql"]  # the analyst's plan is the masked query's
    assert executed.startswith("EXPLAIN (FORMAT JSON)")
    assert ("nl_mask" in executed) == _is_analyst(either)
    described = either.describe("retail.customers").arrow().to_pylist()
    assert "email" in [r["column_name"] for r in described]
    profile = either.profile("retail.customers").arrow().to_pylist()
    assert "email" in [r["column_name"] for r in profile]
    if _is_analyst(either):
        assert_no_clear_value(str(table) + str(profile), demo)


def test_unnamed_row_fields(demo: dict[str, Any], either: Session) -> None:
    rows = _shown(
        either,
        "SELECT row(customer_id, 'x') AS r, (1, 2) AS pair, [row(3, 'y')] AS l "
        "FROM retail.customers ORDER BY customer_id LIMIT 1",
    )
    assert rows[0]["r"]["f2"] == "x" and rows[0]["pair"] == {"f1": 1, "f2": 2}
    assert rows[0]["l"] == [{"f1": 3, "f2": "y"}]
    report = either.sql("SELECT row(1, 'a') AS r").report
    assert report["result"]["rows_preview"] == [[{"f1": 1, "f2": "a"}]]

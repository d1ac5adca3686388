"""Red team: writes, and the strings a write runs (issue 17, holes 3, 5 and 6), as regressions.

An analyst with a write grant on ``retail.customers`` (masked PII, a row filter to the UK) tries
to read clear values through what a write evaluates: its own WHERE over the rows it stages
(hole 3), the quality checks and erase predicates it runs (hole 5), and what a refused write
returns (hole 6). Nothing may reach the analyst — not the error, not an exception attribute, not
the audit record — and the analyst's legitimate writes still work.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

import neurolake_lab
from neurolake_lab.compliance.authorize import NotAuthorized
from neurolake_lab.compliance.policy import PolicyViolation
from neurolake_lab.exceptions import LakehouseError, NeuroLakeError, QualityError, QueryError
from neurolake_lab.session import Session
from tests.compliance.red_team_support import assert_no_clear_value, retail_demo

POLICY = """\
users:
  analyst: {roles: [analyst], attributes: {country: united kingdom}}
roles:
  analyst: {}
grants:
  - {name: upkeep, roles: [analyst], tables: [retail.customers], privileges: [write, erase]}
row_filters:
  - name: own-country
    tables: [retail.customers]
    roles: [analyst]
    predicate: upper(country) = upper(current_user_country())
"""
T = "retail.customers"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with retail_demo(tmp_path_factory.mktemp("redteam-writes"), POLICY) as found:
        uk = [r for r in found["clear"] if r["country"] == "United Kingdom"]
        found["uk"], found["abroad"] = (
            uk[0],
            next(r for r in found["clear"] if r["country"] != "United Kingdom"),
        )
        yield found


@pytest.fixture
def analyst(demo: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[Session]:
    monkeypatch.chdir(demo["ws"] / "notebooks")
    with neurolake_lab.connect(demo["ws"], user="analyst") as session:
        yield session


def _snapshot(demo: dict[str, Any]) -> list[dict[str, Any]]:
    owner: Session = demo["owner"]
    return owner.sql(f"SELECT * FROM {T} ORDER BY customer_id").arrow().to_pylist()


def _audited(session: Session, n: int = 5) -> str:
    return json.dumps([r.data for r in session.audit.tail(n)], default=str)


# -- hole 3: the rows a write stages are not the statement's to read --------------------------

PROBES = [
    # the staging tables by name
    f"DELETE FROM {T} WHERE customer_id = 1 AND "
    "error((SELECT string_agg(email, ';') FROM __nl_target)) IS NULL",
    f"UPDATE {T} SET city = city WHERE error((SELECT string_agg(email, ';') FROM __nl_old_rows)) "
    "IS NULL",
    f"DELETE FROM {T} WHERE error((SELECT string_agg(email, ';') FROM \"__NL_TARGET\")) IS NULL",
    f"DELETE FROM {T} WHERE error((SELECT string_agg(email, ';') FROM temp.main.__nl_target)) "
    "IS NULL",
    f"DELETE FROM {T} WHERE customer_id IN (SELECT customer_id FROM query_table('__nl_target'))",
    # the target's own row, whole, in the statement's expressions
    f"DELETE FROM {T} WHERE error(customers::VARCHAR) IS NULL",
    f"DELETE FROM {T} AS c WHERE error(to_json(c)::VARCHAR) IS NULL",
    f"UPDATE {T} AS c SET city = city WHERE error(c::VARCHAR) IS NULL",
    f"UPDATE {T} AS c SET city = c::VARCHAR",
    f"UPDATE {T} AS c SET city = (SELECT string_agg(x::VARCHAR, ';') FROM (SELECT c) t(x))",
    f"DELETE FROM {T} AS c USING (SELECT 1) AS o(one) WHERE error(c::VARCHAR || o.one) IS NULL",
    # columns of rows the row filter hides, through the WHERE
    f"DELETE FROM {T} WHERE upper(country) <> 'UNITED KINGDOM' AND error(email) IS NULL",
]


@pytest.mark.parametrize("sql", PROBES)
def test_hole3_a_write_reads_only_the_rows_and_values_the_writer_sees(
    demo: dict[str, Any], analyst: Session, sql: str
) -> None:
    before = _snapshot(demo)
    try:
        shown = str(analyst.sql(sql).arrow().to_pylist())
    except (PolicyViolation, QueryError) as err:
        shown = str(err)
    assert_no_clear_value(shown, demo)
    assert_no_clear_value(_audited(analyst), demo)
    assert_no_clear_value(str(analyst.sql(f"SELECT city FROM {T}").arrow().to_pylist()), demo)
    after = _snapshot(demo)
    changed = [a for a, b in zip(after, before, strict=True) if a != b]
    assert all(r["country"] == "United Kingdom" for r in changed)
    if changed:  # an UPDATE that ran: restore the owner's values for the next probe
        demo["owner"].sql(
            f"UPDATE {T} AS c SET city = o.city FROM (VALUES "
            + ", ".join(f"({r['customer_id']}, '{r['city']}')" for r in before)
            + ") o(id, city) WHERE c.customer_id = o.id"
        )


def test_hole3_the_whole_row_a_where_sees_is_the_governed_row(
    demo: dict[str, Any], analyst: Session
) -> None:
    uk = demo["uk"]
    with pytest.raises(QueryError) as info:
        analyst.sql(f"DELETE FROM {T} AS c WHERE customer_id = {uk['customer_id']} "
                    "AND error(to_json(c)::VARCHAR) IS NULL")  # fmt: skip
    shown = json.loads(info.value.message[info.value.message.index("{") :].splitlines()[0])
    assert shown["customer_id"] == uk["customer_id"] and shown["city"] == uk["city"]
    assert shown["email"] != uk["email"] and len(shown["email"]) == 32  # the pseudonym
    assert "error" in _audited(analyst, 1)


def test_hole3_legitimate_writes_change_the_visible_rows_only(
    demo: dict[str, Any], analyst: Session
) -> None:
    uk, abroad = demo["uk"], demo["abroad"]
    for row, expected in ((uk, 1), (abroad, 0)):
        out = analyst.sql(
            f"UPDATE {T} SET city = upper(city) WHERE customer_id = {row['customer_id']}"
        )
        assert out.arrow().to_pylist()[0]["rows_added"] == expected
    rows = {r["customer_id"]: r for r in _snapshot(demo)}
    assert rows[uk["customer_id"]]["city"] == uk["city"].upper()
    assert rows[abroad["customer_id"]]["city"] == abroad["city"]
    # a WHERE on a masked column means what it means on the masked values: no match by clear
    out = analyst.sql(f"DELETE FROM {T} WHERE email = '{uk['email']}'").arrow().to_pylist()
    assert out[0]["rows_removed"] == 0
    demo["owner"].sql(
        f"UPDATE {T} SET city = '{uk['city']}' WHERE customer_id = {uk['customer_id']}"
    )


# -- hole 5: strings a user turns into executed SQL ---------------------------------------------

LEAKY = "error((SELECT string_agg(email, ';') FROM retail.customers)) IS NULL"


def test_hole5_a_check_with_a_subquery_is_refused_however_it_is_set(demo: dict[str, Any]) -> None:
    owner: Session = demo["owner"]
    with pytest.raises(LakehouseError, match=r"calls error\(\)|holds a subquery"):
        owner.set_quality(T, checks=[LEAKY])
    refusal = owner.audit.tail(1)[0]
    assert refusal.kind == "refusal" and refusal.data["rule"] == "quality-check"
    rules = json.dumps({"checks": [LEAKY]}).replace("'", "''")
    for sql in (
        f"ALTER TABLE {T} SET ('neurolake.quality' = '{rules}')",
        f"CREATE TABLE sandbox.checked (a INTEGER, CHECK ({LEAKY.replace('email', 'a')}))",
        f"CREATE TABLE sandbox.checked WITH ('neurolake.quality' = '{rules}') AS SELECT 1 AS a",
        "CREATE TABLE sandbox.checked (a INTEGER CHECK (error(a::VARCHAR) IS NULL))",
    ):
        with pytest.raises(NeuroLakeError, match=r"quality check|subqueries prohibited"):
            owner.sql(sql)
        assert owner.audit.tail(1)[0].data.get("error")  # the failure is audited
    assert owner.quality(T).checks == []
    assert "sandbox.checked" not in str(owner.tables().arrow().to_pylist())


def test_hole5_a_check_planted_around_the_api_never_runs(
    demo: dict[str, Any], analyst: Session
) -> None:
    """Properties written by another tool (or an older version): the write that would run the
    check is refused, naming it, and the refusal is audited without a clear value."""
    from neurolake_lab.lakehouse.tables import quiet_pyiceberg

    owner: Session = demo["owner"]
    table = owner.lakehouse.writer.load(("retail", "customers"))
    with quiet_pyiceberg():
        table.transaction().set_properties(
            {"neurolake.quality": json.dumps({"checks": [LEAKY]})}
        ).commit_transaction()
    owner.lakehouse.refresh(owner.services.engine.con)
    try:
        uk = demo["uk"]
        for sql in (
            f"INSERT INTO {T} (customer_id, country) VALUES (999001, 'United Kingdom')",
            f"UPDATE {T} SET city = city WHERE customer_id = {uk['customer_id']}",
        ):
            with pytest.raises(LakehouseError, match=r"calls error\(\)|holds a subquery") as info:
                analyst.sql(sql)
            assert_no_clear_value(str(info.value), demo)
            record = analyst.audit.tail(1)[0]
            assert record.user == "analyst" and "may not call" in record.data["error"]
            assert_no_clear_value(_audited(analyst), demo)
    finally:
        owner.set_quality(T)
    assert len(_snapshot(demo)) == len(demo["clear"])


def test_hole5_erase_predicates_are_governed(demo: dict[str, Any], analyst: Session) -> None:
    uk = demo["uk"]
    for predicate in (
        LEAKY,
        f"customer_id = {uk['customer_id']} AND error(customers::VARCHAR) IS NULL",
        "customer_id IN (SELECT customer_id FROM __nl_target)",
    ):
        with pytest.raises(NotAuthorized) as info:
            analyst.erase(T, predicate)
        assert_no_clear_value(str(info.value), demo)
        assert analyst.audit.tail(1)[0].kind == "refusal"
    assert len(_snapshot(demo)) == len(demo["clear"])


def test_hole5_the_owners_legitimate_checks_run(demo: dict[str, Any], analyst: Session) -> None:
    owner: Session = demo["owner"]
    owner.set_quality(T, checks=["length(city) > 1", "regexp_matches(email, '@')"])
    try:
        with pytest.raises(QualityError, match=r"check\(length\(city\) > 1\): 1 rows"):
            analyst.sql(f"INSERT INTO {T} (customer_id, email, city, country) "
                        "VALUES (999002, 'me@x.org', 'X', 'United Kingdom')")  # fmt: skip
        analyst.sql(f"INSERT INTO {T} (customer_id, email, city, country) "
                    "VALUES (999002, 'me@x.org', 'York', 'United Kingdom')")  # fmt: skip
    finally:
        owner.set_quality(T)
        owner.sql(f"DELETE FROM {T} WHERE customer_id = 999002")


# -- hole 6: what a refused write returns ---------------------------------------------------------


def test_hole6_a_unique_rule_on_a_masked_column_is_no_oracle(
    demo: dict[str, Any], analyst: Session
) -> None:
    owner: Session = demo["owner"]
    taken = demo["abroad"]["email"]  # someone's real address, hidden from the analyst
    insert = (f"INSERT INTO {T} (customer_id, email, country) "
              "VALUES (999003, '{}', 'United Kingdom')")  # fmt: skip
    for mode in ("refuse", "quarantine"):
        owner.set_quality(T, unique=["email"], on_failure=mode)
        answers = []
        for guess in (taken, "nobody.at.all@example.org"):
            try:
                answers.append(analyst.sql(insert.format(guess)).arrow().to_pylist())
            except NeuroLakeError as err:
                answers.append([type(err).__name__, err.message, err.hint])
                assert getattr(err, "rows", None) is None
        assert answers[0] == answers[1], "the answer tells whether the address exists"
        assert "before its checks ran" in str(answers[0])
    owner.set_quality(T, unique=["customer_id"])
    try:  # a key the analyst sees: checked as usual
        with pytest.raises(QualityError, match="unique"):
            analyst.sql(f"INSERT INTO {T} (customer_id, country) VALUES "
                        f"({demo['uk']['customer_id']}, 'United Kingdom')")  # fmt: skip
    finally:
        owner.set_quality(T)
    assert len(_snapshot(demo)) == len(demo["clear"])


def test_hole6_no_refused_row_carries_a_hidden_value(
    demo: dict[str, Any], analyst: Session
) -> None:
    owner: Session = demo["owner"]
    owner.set_quality(T, checks=["city <> 'Nowhere'"])
    try:
        uk = demo["uk"]
        with pytest.raises(QualityError) as info:
            analyst.sql(f"UPDATE {T} SET city = 'Nowhere' WHERE customer_id = {uk['customer_id']}")
        assert info.value.rows is None  # the row holds the analyst's hidden values
        assert_no_clear_value(str(info.value) + _audited(analyst), demo)
        with pytest.raises(QualityError) as info:  # the owner sees the offending rows
            owner.sql(f"UPDATE {T} SET city = 'Nowhere' WHERE customer_id = {uk['customer_id']}")
        assert info.value.rows is not None and info.value.rows.num_rows == 1
    finally:
        owner.set_quality(T)


# -- hole 4: table properties by SQL; hole 8: the quarantine that emptied a table ----------------


@pytest.mark.parametrize(
    "sql",
    [
        f"ALTER TABLE {T} SET ('neurolake.pii' = '{{}}')",
        f"ALTER TABLE {T} SET TBLPROPERTIES ('neurolake.pii' = '{{}}')",
        f"ALTER TABLE {T} SET ('neurolake.quality' = '{{}}')",
        f"ALTER TABLE {T} SET ('write.metadata.metrics.default' = 'full')",
    ],
)
def test_hole4_tags_and_rules_are_not_a_writers_to_change(
    demo: dict[str, Any], analyst: Session, sql: str
) -> None:
    with pytest.raises(NotAuthorized, match="privilege"):
        analyst.sql(sql)
    assert analyst.audit.tail(1)[0].kind == "refusal"
    masked = analyst.sql(f"SELECT email FROM {T} LIMIT 3").arrow().column(0).to_pylist()
    assert masked and all(len(e) == 32 for e in masked)


def test_hole8_a_quarantining_update_of_the_demo_loses_no_row(
    demo: dict[str, Any], analyst: Session
) -> None:
    """The report: quarantine on retail.customers + an UPDATE left 0 rows and no quarantine."""
    owner: Session = demo["owner"]
    uk = [r for r in demo["clear"] if r["country"] == "United Kingdom"]
    before = _snapshot(demo)
    owner.set_quality(T, checks=["length(city) > 40"], on_failure="quarantine")  # all break it
    try:
        out = analyst.sql(f"UPDATE {T} SET city = city").arrow().to_pylist()[0]
        assert out["quarantined"] == len(uk) and out["rows_added"] == 0
        assert _snapshot(demo) == before  # every row, as it was
        quarantined = owner.sql(f"SELECT customer_id FROM {T}__quarantine ORDER BY 1")
        assert quarantined.arrow().column(0).to_pylist() == [r["customer_id"] for r in uk]
        out = owner.sql(f"UPDATE {T} SET city = city").arrow().to_pylist()[0]
        assert out["quarantined"] == len(before) and _snapshot(demo) == before
    finally:
        owner.set_quality(T)
        owner.sql(f"DROP TABLE IF EXISTS {T}__quarantine")

import decimal
from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import neurolake_lab
from neurolake_lab.exceptions import QueryError, SnippetError, UsageError
from neurolake_lab.session import Session


def test_connect_uses_env_workspace(workspace: Path) -> None:
    with neurolake_lab.connect() as s:
        assert s.settings.workspace == workspace.resolve()
        assert (workspace / "neurolake.toml").exists()


def test_sql_result_as_arrow_pandas_polars(session: Session) -> None:
    r = session.sql("SELECT range AS n, range * 2 AS m FROM range(5)")
    assert len(r) == 5
    assert r.columns == ["n", "m"]
    assert isinstance(r.arrow(), pa.Table)
    assert r.df()["m"].tolist() == [0, 2, 4, 6, 8]
    assert isinstance(r.pl(), pl.DataFrame) and r.pl()["n"].sum() == 10
    assert r.sql == "SELECT range AS n, range * 2 AS m FROM range(5)"
    # a result is itself scannable (Arrow C stream)
    assert pl.DataFrame(r).shape == (5, 2)


def test_several_statements_last_result(session: Session) -> None:
    r = session.sql(
        "CREATE TABLE t AS SELECT 1 AS x; INSERT INTO t VALUES (2); SELECT sum(x) AS s FROM t"
    )
    assert r.arrow().to_pylist() == [{"s": 3}]
    assert r.executed_sql.count(";") == 2
    assert r.statement_type == "SELECT"


def test_ddl_result_has_no_columns(session: Session) -> None:
    r = session.sql("CREATE TABLE empty_t (a INT)")
    assert len(r) == 0 and r.columns == []
    assert r.report["statement_type"] == "CREATE"


def test_named_params_bound_not_pasted(session: Session) -> None:
    name = "O'Brien; DROP TABLE x --"
    r = session.sql("SELECT $name AS a, :name AS b", {"name": name})
    assert r.arrow().to_pylist() == [{"a": name, "b": name}]
    assert name not in r.executed_sql


def test_params_from_caller_namespace(session: Session) -> None:
    limit_value = 3
    r = session.sql("SELECT count(*) AS c FROM range(10) WHERE range < $limit_value")
    assert r.arrow().column("c")[0].as_py() == limit_value


def test_positional_params(session: Session) -> None:
    assert session.sql("SELECT ? + ? AS s", [2, 3]).arrow().column("s")[0].as_py() == 5
    with pytest.raises(QueryError, match="single statement"):
        session.sql("SELECT ?; SELECT ?", [1])


def test_missing_param_is_a_clear_error(session: Session) -> None:
    with pytest.raises(QueryError) as info:
        session.sql("SELECT $nowhere_defined", namespace={})
    assert info.value.kind == "parameter"
    assert "$nowhere_defined" in info.value.message


def test_dataframes_in_namespace_are_tables(session: Session) -> None:
    pdf = pd.DataFrame({"k": [1, 2], "v": ["a", "b"]})
    plf = pl.DataFrame({"k": [2, 3], "w": [True, False]})  # noqa: F841 - queried by name
    arr = pa.table({"k": [2], "z": [1.5]})  # noqa: F841
    r = session.sql("SELECT pdf.k, v, w, z FROM pdf JOIN plf USING (k) JOIN arr USING (k)")
    assert r.arrow().to_pylist() == [{"k": 2, "v": "b", "w": True, "z": 1.5}]
    # CREATE TABLE AS from a DataFrame copies it
    session.sql("CREATE TABLE copied AS SELECT * FROM pdf")
    del pdf
    assert len(session.sql("SELECT * FROM copied", namespace={})) == 2


def test_snippets_compose_as_ctes(session: Session) -> None:
    session.sql("CREATE TABLE nums AS SELECT range AS n FROM range(100)")
    session.save_snippet("evens", "SELECT n FROM nums WHERE n % 2 = 0")
    session.save_snippet("big_evens", "SELECT n FROM evens WHERE n >= 90")
    r = session.sql(
        "WITH x AS (SELECT 1 AS one) SELECT count(*) AS c, min(one) AS o FROM big_evens, x"
    )
    assert r.arrow().to_pylist() == [{"c": 5, "o": 1}]
    assert r.executed_sql.startswith("WITH evens AS")
    session.sql("CREATE TABLE from_snippet AS SELECT * FROM big_evens")
    assert len(session.sql("SELECT * FROM from_snippet")) == 5


def test_snippet_errors(session: Session) -> None:
    with pytest.raises(SnippetError, match="itself"):
        session.save_snippet("loop", "SELECT * FROM loop")
    with pytest.raises(SnippetError, match="exactly one"):
        session.save_snippet("two", "SELECT 1; SELECT 2")
    with pytest.raises(SnippetError, match="identifier"):
        session.save_snippet("bad name", "SELECT 1")


def test_explore_tables_describe_profile(session: Session) -> None:
    session.sql("CREATE TABLE people AS SELECT range AS id, 'p' || range AS name FROM range(20)")
    tables = session.tables().arrow().to_pylist()
    assert {
        "schema": "main",
        "name": "people",
        "kind": "table",
        "columns": 2,
        "rows": 20,
        "description": None,
    } in tables
    desc = session.describe("people").arrow()
    assert desc.column("column_name").to_pylist() == ["id", "name"]
    prof = session.profile("people").arrow().to_pylist()
    assert prof[0]["column_name"] == "id" and prof[0]["max"] == "19"
    with pytest.raises(QueryError) as info:
        session.describe("peeple")
    assert info.value.suggestion == "people"


def test_lakehouse_tables_describe_and_profile_for_the_owner_and_others(
    session: Session, workspace: Path
) -> None:
    """Qualified Iceberg names work for describe/profile (issue 10: 'does not exist' for the
    owner too); another user's profile shows PII masked; %tables lists no internal object."""
    session.sql(
        "CREATE TABLE retail.customers AS SELECT range AS id, "
        "'user' || range || '@example.com' AS email FROM range(20)"
    )
    desc = session.describe("retail.customers").arrow()
    assert desc.column("column_name").to_pylist() == ["id", "email"]
    prof = session.profile("retail.customers").arrow().to_pylist()
    assert prof[1]["column_name"] == "email" and "@" in prof[1]["min"]
    names = [r["name"] for r in session.tables().arrow().to_pylist()]
    assert "customers" in names and not [n for n in names if n.startswith("__nl_")]
    with neurolake_lab.connect(workspace, user="analyst") as other:
        assert other.describe("retail.customers").arrow().num_rows == 2
        email = other.profile("retail.customers").arrow().to_pylist()[1]
        assert "@" not in email["min"] and "@" not in email["max"]
        assert not [r for r in other.tables().arrow().to_pylist() if r["name"].startswith("__nl")]


def test_empty_sql_is_usage_error(session: Session) -> None:
    with pytest.raises(UsageError):
        session.sql("   ")


def test_large_result_preview_is_bounded(session: Session, report_validator) -> None:
    r = session.sql("SELECT range AS n FROM range(2000000)")
    assert len(r) == 2_000_000
    report = r.report
    report_validator.validate(report)
    assert report["result"]["row_count"] == 2_000_000
    assert len(report["result"]["rows_preview"]) == 50
    assert report["result"]["truncated"] is True
    html = r._repr_mimebundle_()["text/html"]
    assert html.count("<tr>") == 51  # header + 50 rows
    assert "showing 50 of 2,000,000 rows" in html


def test_report_value_encoding(session: Session, report_validator) -> None:
    r = session.sql(
        "SELECT 1.50::DECIMAL(10,2) AS d, DATE '2026-01-02' AS day, "
        "TIMESTAMP '2026-01-02 03:04:05' AS ts, 'nan'::DOUBLE AS nan, "
        "9007199254740993::BIGINT AS big, 170141183460469231731687303715884105727::HUGEINT AS huge, "
        "[1, 2] AS l, {'a': 1} AS s, NULL AS nothing, '\\x01ab'::BLOB AS blob"
    )
    report_validator.validate(r.report)
    (row,) = r.report["result"]["rows_preview"]
    assert row[:4] == ["1.50", "2026-01-02", "2026-01-02T03:04:05", None]
    assert row[4] == "9007199254740993"
    assert row[5] == "170141183460469231731687303715884105727"
    assert row[6:9] == [[1, 2], {"a": 1}, None]
    assert isinstance(row[9], str)
    types = [c["type"] for c in r.report["result"]["columns"]]
    assert types[:3] == ["DECIMAL(10,2)", "DATE", "TIMESTAMP"]
    assert isinstance(r.arrow().column("d")[0].as_py(), decimal.Decimal)


def test_session_usable_after_error_and_close(session: Session) -> None:
    session.sql("CREATE TABLE keep AS SELECT 42 AS v")
    with pytest.raises(QueryError):
        session.sql("SELECT * FROM keep WHERE")
    assert session.sql("SELECT v FROM keep").arrow().column("v")[0].as_py() == 42
    spill = session.engine.spill_dir
    session.close()
    assert not spill.exists()
    assert len(session.sql("SELECT 1")) == 1  # reopens a fresh engine

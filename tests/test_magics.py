from typing import Any

import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell

from neurolake_lab.exceptions import UsageError
from neurolake_lab.magics import SqlOptions, parse_sql_line
from neurolake_lab.report import REPORT_MIME
from neurolake_lab.result import QueryResult


def run(ip: InteractiveShell, code: str) -> Any:
    result = ip.run_cell(code, silent=False, store_history=False)
    return result


def test_parse_sql_line() -> None:
    assert parse_sql_line("") == (SqlOptions(), "")
    assert parse_sql_line("--out=r SELECT 1") == (SqlOptions(out="r"), "SELECT 1")
    assert parse_sql_line("--save s --no-execute") == (SqlOptions(save="s", no_execute=True), "")
    assert parse_sql_line("SELECT '-o x'") == (SqlOptions(), "SELECT '-o x'")
    with pytest.raises(UsageError, match="unknown option -x"):
        parse_sql_line("-x SELECT 1")
    with pytest.raises(UsageError, match="needs a name"):
        parse_sql_line("-o")
    with pytest.raises(UsageError, match="only makes sense with --save"):
        parse_sql_line("--no-execute")


def test_cell_magic_last_result_and_out(ip: InteractiveShell) -> None:
    r = run(
        ip,
        "%%sql -o res\nCREATE TABLE t AS SELECT range AS n FROM range(4);\nSELECT sum(n) AS s FROM t",
    )
    assert r.success
    assert isinstance(r.result, QueryResult)
    assert ip.user_ns["res"] is r.result
    assert r.result.arrow().to_pylist() == [{"s": 6}]
    bundle = r.result._repr_mimebundle_()
    assert REPORT_MIME in bundle and "text/html" in bundle and "text/plain" in bundle


def test_line_magic_dollar_is_bound_not_expanded(ip: InteractiveShell) -> None:
    ip.user_ns["who"] = "O'Brien"
    r = run(ip, "%sql SELECT $who AS a, :who AS b, length($who) AS n")
    assert r.success, r.error_in_exec
    assert r.result.arrow().to_pylist() == [{"a": "O'Brien", "b": "O'Brien", "n": 7}]
    assert "O'Brien" not in r.result.executed_sql


def test_cell_params_and_dataframes_from_notebook(ip: InteractiveShell) -> None:
    ip.user_ns["df"] = pd.DataFrame({"x": [1, 5, 10]})
    ip.user_ns["threshold"] = 4
    r = run(ip, "%%sql\nSELECT count(*) AS c FROM df WHERE x > :threshold")
    assert r.result.arrow().to_pylist() == [{"c": 2}]


def test_save_and_use_snippet(ip: InteractiveShell) -> None:
    assert (
        run(
            ip, "%%sql --save small --no-execute\nSELECT range AS n FROM range(10) WHERE range < 3"
        ).result
        is None
    )
    r = run(ip, "%sql SELECT count(*) AS c FROM small")
    assert r.result.arrow().to_pylist() == [{"c": 3}]
    assert run(ip, "%snippets").result == {
        "small": "SELECT range AS n FROM range(10) WHERE range < 3"
    }


def test_explain_shows_plan(ip: InteractiveShell, capsys: pytest.CaptureFixture[str]) -> None:
    r = run(ip, "%%sql --explain\nSELECT sum(range) FROM range(10)")
    assert r.success and r.result is None
    assert "RANGE" in capsys.readouterr().out.upper()


def test_errors_are_short_and_session_survives(
    ip: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    run(ip, "%sql CREATE TABLE kept AS SELECT 1 AS v")
    capsys.readouterr()
    r = run(ip, "%sql SELECT * FROM kepd")
    assert not r.success
    shown = capsys.readouterr()
    text = shown.out + shown.err
    assert "Unknown table" in text and 'Did you mean "kept"?' in text
    assert "Traceback" not in text and "neurolake_lab/" not in text
    assert run(ip, "%sql SELECT v FROM kept").result.arrow().to_pylist() == [{"v": 1}]


def test_usage_error_for_text_after_cell_options(
    ip: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    r = run(ip, "%%sql SELECT 1\nSELECT 2")
    assert not r.success and isinstance(r.error_in_exec, UsageError)
    assert "Usage error" in capsys.readouterr().out


def test_explore_magics(ip: InteractiveShell) -> None:
    run(ip, "%sql CREATE TABLE explored AS SELECT range AS id FROM range(3)")
    assert "explored" in run(ip, "%tables").result.arrow().column("name").to_pylist()
    assert run(ip, "%describe explored").result.arrow().column("column_name").to_pylist() == ["id"]
    assert run(ip, "%profile explored").result.arrow().column("count").to_pylist() == [3]

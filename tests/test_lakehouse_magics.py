"""The lakehouse and PII magics in a real IPython shell: %snapshots, %rollback, %maintain,
%layout, %pii, and the cell context recorded with each write."""

from IPython.core.interactiveshell import InteractiveShell


def cell(ip: InteractiveShell, code: str):
    result = ip.run_cell(code, store_history=True)
    if result.error_in_exec is not None:
        raise result.error_in_exec
    return result.result


def test_snapshots_rollback_and_cell_context(ip: InteractiveShell) -> None:
    cell(ip, "%%sql\nCREATE TABLE lab.t AS SELECT range AS id FROM range(3)")
    count_before = ip.execution_count
    cell(ip, "%sql INSERT INTO lab.t VALUES (3)")
    hist = cell(ip, "hist = %snapshots lab.t\nhist")
    rows = hist.arrow().to_pylist()
    assert [r["operation"] for r in rows] == ["insert", "create table as"]
    assert rows[0]["cell"] == f"In [{count_before}]"  # the cell that wrote it
    first = rows[-1]["snapshot_id"]
    ip.user_ns["first"] = first
    out = cell(ip, "%rollback lab.t $first")
    assert out.arrow().to_pylist()[0]["operation"] == "rollback"
    assert cell(ip, "%sql SELECT count(*) AS n FROM lab.t").arrow().to_pylist() == [{"n": 3}]
    result = ip.run_cell("%rollback lab.t")
    assert "usage: %rollback" in str(result.error_in_exec)


def test_maintain_layout_and_pii(ip: InteractiveShell, capsys) -> None:
    cell(
        ip,
        "%sql CREATE TABLE lab.m AS SELECT range AS id, 'user' || range || '@example.com' AS email FROM range(50)",
    )
    cell(ip, "%sql INSERT INTO lab.m VALUES (50, 'x@example.org')")
    report = cell(
        ip, "%maintain lab.m --retain-last 1 --expire-older-than 0s --orphans-older-than 0s"
    )
    steps = {r["step"]: r["count"] for r in report.arrow().to_pylist()}
    # the compaction's own snapshot is the one kept
    assert steps["expire snapshots"] == 2 and steps["compact files"] == 2
    assert "unrecognized arguments" in str(ip.run_cell("%maintain lab.m --bogus").error_in_exec)
    for magic in ("%maintain", "%lineage"):  # an unclosed quote is a usage error, not a crash
        error = ip.run_cell(f"{magic} 'lab.m").error_in_exec
        assert type(error).__name__ == "UsageError" and "No closing quotation" in str(error)
        assert f"usage: {magic}" in str(error)
    cell(ip, "%layout lab.m")
    assert "no layout change suggested" in capsys.readouterr().out
    tags = {r["column"]: r for r in cell(ip, "%pii lab.m").arrow().to_pylist()}
    assert tags["email"]["entity"] == "EMAIL_ADDRESS" and tags["id"]["entity"] is None
    cell(ip, "%pii lab.m.id US_SSN")
    tags = {r["column"]: r for r in cell(ip, "%pii lab.m").arrow().to_pylist()}
    assert tags["id"]["entity"] == "US_SSN" and tags["id"]["source"] == "override"


def test_describe_and_profile_take_lakehouse_names(ip: InteractiveShell) -> None:
    ip.run_cell(
        "%sql CREATE TABLE shop.items AS SELECT range AS id, 'x' || range AS name FROM range(5)"
    )
    for name in ("shop.items", "items"):
        described = ip.run_line_magic("describe", name)
        assert described.arrow().column("column_name").to_pylist() == ["id", "name"], name
        assert len(ip.run_line_magic("profile", name)) == 2
    error = ip.run_cell("%describe shop.itms").error_in_exec
    assert error is not None and 'Did you mean "items"?' in str(error)

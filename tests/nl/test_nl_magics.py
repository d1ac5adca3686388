"""``%%nl`` in an IPython shell: what it shows, -o, --sql-only, --confirm, follow-ups, --new,
accepting answers (button and ``%nl_accept``), and errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.testing.globalipapp import start_ipython
from IPython.utils.capture import capture_output

import neurolake_lab
from neurolake_lab.agents import orchestrator_for
from neurolake_lab.agents.answer import NLResult
from neurolake_lab.exceptions import UsageError
from neurolake_lab.magics import get_magics
from neurolake_lab.nl_magics import NLMagics, NLOptions, parse_nl_line
from neurolake_lab.report import REPORT_MIME

WIDGET = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from neurolake_lab.demo import load_retail

    root = tmp_path_factory.mktemp("magics")
    with neurolake_lab.connect(root) as s:
        load_retail(s, scale=0.05, seed=7)
    return root


@pytest.fixture
def ip(small: Path) -> Iterator[InteractiveShell]:
    shell = start_ipython() or InteractiveShell.instance()
    assert shell is not None
    shell.run_line_magic("load_ext", "neurolake_lab")
    magics = get_magics(shell)
    assert magics is not None
    magics.session = neurolake_lab.connect(small)
    yield shell
    orchestrator_for(magics.session).reset()
    magics.session.close()
    for name in ("ans", "draft", "edited"):
        shell.user_ns.pop(name, None)


def cell(ip: InteractiveShell, code: str) -> tuple[Any, list[dict[str, Any]]]:
    with capture_output() as cap:
        result = ip.run_cell(code, store_history=False)
    return result, [o.data for o in cap.outputs]


def nl_magics(ip: InteractiveShell) -> NLMagics:
    found = ip.magics_manager.registry.get("NLMagics")
    assert isinstance(found, NLMagics)
    return found


def test_parse_nl_line() -> None:
    assert parse_nl_line("") == (NLOptions(), "")
    assert parse_nl_line("-o a --sql-only how many?") == (
        NLOptions(out="a", sql_only=True),
        "how many?",
    )
    assert parse_nl_line("--follow-up --llm") == (NLOptions(follow_up=True, mode="llm"), "")
    assert parse_nl_line("customer's orders") == (NLOptions(), "customer's orders")
    with pytest.raises(UsageError, match="contradict"):
        parse_nl_line("--new --follow-up")
    with pytest.raises(UsageError, match="unknown option"):
        parse_nl_line("--bogus")
    with pytest.raises(UsageError, match="identifier"):
        parse_nl_line("-o 1x")


def test_a_question_shows_reading_sql_and_result(ip: InteractiveShell) -> None:
    result, shown = cell(ip, "%%nl -o ans\nNumber of customers per country")
    assert result.success, result.error_in_exec
    answer = result.result
    assert isinstance(answer, NLResult) and ip.user_ns["ans"] is answer
    understood, sql, button = shown[:3]
    assert (
        understood["text/plain"].startswith("Understood: ")
        and "offline planner" in (understood["text/plain"])
    )
    assert sql["text/markdown"] == f"```sql\n{answer.sql}\n```"
    assert "<span" in sql["text/html"]  # highlighted by pygments
    assert WIDGET in button  # the Accept button
    bundle = answer._repr_mimebundle_()
    assert bundle[REPORT_MIME]["kind"] == "nl"
    assert bundle[REPORT_MIME]["question"] == "Number of customers per country"


def test_sql_only(ip: InteractiveShell) -> None:
    result, shown = cell(ip, "%%nl --sql-only -o draft\nTotal revenue")
    assert result.success and result.result is None
    draft = ip.user_ns["draft"]
    assert draft.result is None and "sum(" in draft.sql.lower()
    assert [set(s) for s in shown] == [
        {"text/markdown", "text/html", "text/plain"},
        {"text/markdown", "text/html", "text/plain"},
    ]


def test_confirm_runs_nothing_until_run(ip: InteractiveShell) -> None:
    session = get_magics(ip).session  # type: ignore[union-attr]
    orch = orchestrator_for(session)
    with capture_output() as shown:
        result = ip.run_cell("%%nl --confirm -o edited\nOrders per status", store_history=False)
    assert result.success and result.result is None
    understood, panel_out, placeholder = shown.outputs
    assert "Understood:" in understood.data["text/plain"]
    assert WIDGET in panel_out.data and "Waiting for Run" in panel_out.data["text/plain"]
    assert "Not run yet" in placeholder.data["text/plain"]
    ids = [o.transient["display_id"] for o in (panel_out, placeholder)]
    assert len(set(ids)) == 2
    panel = nl_magics(ip).last_panel
    assert panel is not None and panel.state == "waiting"
    assert "edited" not in ip.user_ns
    panel.editor.value = panel.editor.value + "\nLIMIT 2"
    with capture_output() as pressed:
        panel.run_button.click()
    assert panel.state == "done" and panel.answer is not None
    assert len(panel.answer.result) == 2 and panel.answer.source == "edited"
    assert ip.user_ns["edited"] is panel.answer
    assert orch.last is panel.answer
    assert panel.run_button.disabled and panel.editor.disabled
    # Run replaces the panel by what was decided and the placeholder by the answer's report
    record, report = pressed.outputs
    assert record.update and report.update
    assert [o.transient["display_id"] for o in (record, report)] == ids
    assert WIDGET not in record.data and "Ran after confirmation" in record.data["text/plain"]
    assert (
        "edited before it ran" in record.data["text/plain"]
        and "LIMIT 2" in record.data["text/plain"]
    )
    assert (
        report.data[REPORT_MIME]["kind"] == "nl"
        and report.data[REPORT_MIME]["result"]["row_count"] == 2
    )
    assert {"text/html", "text/plain"} <= set(report.data)
    # a second panel, cancelled: the record says so and nothing else is shown
    cell(ip, "%%nl --confirm\nOrders per status")
    second = nl_magics(ip).last_panel
    assert second is not None and second is not panel
    with capture_output() as cap:
        second.cancel_button.click()
    assert second.state == "cancelled" and second.answer is None
    record, empty = cap.outputs
    assert "Cancelled: nothing ran." in record.data["text/plain"] and WIDGET not in record.data
    assert empty.data == {"text/plain": ""}
    assert second.run_button.disabled and second.cancel_button.disabled
    # bad SQL in the editor is reported in the placeholder, not raised
    cell(ip, "%%nl --confirm\nOrders per status")
    third = nl_magics(ip).last_panel
    assert third is not None
    third.editor.value = "SELECT nope FROM retail.orders"
    with capture_output() as cap:
        third.confirm()
    assert third.state == "failed" and third.error is not None
    record, error = cap.outputs
    assert "failed" in record.data["text/plain"]
    assert "nope" in error.data["text/plain"] and "nope" in error.data["text/html"]
    with capture_output() as again:
        assert third.confirm() is None  # decided once: pressing again changes nothing
    assert again.outputs == []


def test_follow_ups_and_new(ip: InteractiveShell) -> None:
    cell(ip, "%%nl\nHow many customers churned last month?")
    refined, shown = cell(ip, "%%nl\nonly for Germany")
    assert "refining the previous question" in shown[0]["text/plain"]
    assert "country = 'Germany'" in refined.result.sql
    assert "churned_at" in refined.result.sql
    by_month, _ = cell(ip, "%%nl\nnow by month")
    assert "date_trunc('month'" in by_month.result.sql and "'Germany'" in by_month.result.sql
    fresh, shown = cell(ip, "%%nl --new\nNumber of customers per country")
    assert "refining" not in shown[0]["text/plain"] and "churned" not in fresh.result.sql
    forced, shown = cell(ip, "%%nl --follow-up\nin France")
    assert "country = 'France'" in forced.result.sql


def test_accepting(ip: InteractiveShell) -> None:
    session = get_magics(ip).session  # type: ignore[union-attr]
    orch = orchestrator_for(session)
    before = len(orch.index.pairs())
    result, _ = cell(ip, "%%nl\nHow many orders were cancelled last month?")
    with capture_output() as cap:
        ip.run_line_magic("nl_accept", "")
    assert "similar questions will use its SQL" in cap.stdout
    assert len(orch.index.pairs()) == before + 1
    result, _ = cell(ip, "%%nl\nHow many orders were returned last month?")
    assert result.result.source == "template"
    # the Accept button does the same
    from neurolake_lab.nl_widgets import AcceptButton

    answer = session.ask("Average discount on order lines")
    button = AcceptButton(lambda: orch.accept(answer))
    button.button.click()
    assert button.accepted_id is not None and button.button.disabled
    assert any(p["question"] == "Average discount on order lines" for p in orch.index.pairs())


def test_errors_are_short(ip: InteractiveShell) -> None:
    result, _ = cell(ip, "%%nl\nHow many wombats live here?")
    assert not result.success
    lines = result.error_in_exec._render_traceback_()
    assert "Could not read the question" in lines[0] and "wombats" in lines[0]
    result, _ = cell(ip, "%%nl\n   ")
    assert isinstance(result.error_in_exec, UsageError)

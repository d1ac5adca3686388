"""%%sql and the cost model: --optimize runs a cheaper equivalent, expensive cells ask first."""

from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from neurolake_lab.magics import get_magics

WIDGET = "application/vnd.jupyter.widget-view+json"


def test_expensive_cells_ask_before_running(ip: InteractiveShell, monkeypatch) -> None:
    ip.run_cell("%sql CREATE TABLE big.t AS SELECT range AS id FROM range(200000)")
    monkeypatch.setenv("NEUROLAKE_COST_CONFIRM_BYTES", "1000")  # a tiny threshold
    result = ip.run_cell("%%sql -o r\nSELECT sum(id) AS s FROM big.t")
    assert result.result is None and "r" not in ip.user_ns  # nothing ran yet
    panel = get_magics(ip).last_confirm
    assert panel is not None and panel.state == "waiting"
    with capture_output() as pressed:
        answer = panel.confirm()  # what the Run button does
    assert answer.arrow()[0][0].as_py() == sum(range(200000)) and ip.user_ns["r"] is answer
    # the panel's output becomes the decision (why it asked), the placeholder the cell report
    record, report = pressed.outputs
    assert record.update and report.update
    assert record.data["text/plain"].startswith("Ran after confirmation.\nAsked first: ")
    assert "predicted to read" in record.data["text/plain"] and WIDGET not in record.data
    assert report.data == answer._repr_mimebundle_()
    # --yes runs at once; cancel runs nothing
    assert ip.run_cell("%%sql --yes\nSELECT count(*) FROM big.t").result is not None
    ip.run_cell("%sql SELECT max(id) FROM big.t")
    panel = get_magics(ip).last_confirm
    panel.cancel()
    assert panel.state == "cancelled" and panel.answer is None
    # the cell that ran after confirmation again: the result cache answers it, so it is neither
    # predicted nor asked about (issue 18)
    magics = get_magics(ip)
    magics.last_confirm = None
    model = magics.session.services.cost_model
    model.clear_cache()
    again = ip.run_cell("%%sql\nSELECT sum(id) AS s FROM big.t").result
    assert again is not None and again.cached and magics.last_confirm is None
    assert again.cost is None and len(model.predictions) == 0


def test_optimize_runs_the_equivalent_rewrite(ip: InteractiveShell) -> None:
    ip.run_cell(
        "%sql CREATE TABLE big.s PARTITIONED BY (month(day)) AS SELECT range AS id, DATE '2025-01-01' + INTERVAL (range % 300) DAY AS day FROM range(50000)"
    )
    plain = ip.run_cell(
        "%%sql --yes\nSELECT count(*) AS n FROM big.s WHERE year(day) = 2025 AND month(day) = 3"
    ).result
    optimized = ip.run_cell(
        "%%sql --yes --optimize\nSELECT count(*) AS n FROM big.s WHERE year(day) = 2025 AND month(day) = 3"
    ).result
    assert optimized.arrow().to_pylist() == plain.arrow().to_pylist()
    assert optimized.notices[0].startswith("optimized:")
    assert "year(" in plain.executed_sql and "year(" not in optimized.executed_sql

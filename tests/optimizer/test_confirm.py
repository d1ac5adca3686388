"""When a cell asks before running: predicted cost against the configured thresholds."""

from __future__ import annotations

import pytest

from neurolake_lab.cost import CostModel, Prediction, speed
from neurolake_lab.exceptions import UsageError
from neurolake_lab.optimizer import needs_confirmation, thresholds
from neurolake_lab.session import Session


def prediction(ms: float, size: int) -> Prediction:
    return Prediction(ms, 10, size, 0.5)


def test_defaults_ask_above_thirty_seconds_or_ten_gigabytes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NEUROLAKE_COST_CONFIRM_MS", raising=False)
    monkeypatch.delenv("NEUROLAKE_COST_CONFIRM_BYTES", raising=False)
    assert thresholds({}) == (30_000.0, 10 * 1024**3)
    assert not needs_confirmation(prediction(29_000, 10**8)).needed
    slow = needs_confirmation(prediction(45_000, 10**8))
    assert slow.needed and slow.reason and "45.0 s" in slow.reason and "50%" in slow.reason
    assert needs_confirmation(prediction(10, 20 * 1024**3)).needed


def test_settings_environment_and_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    extra = {"cost": {"confirm_above_ms": 500, "confirm_above_bytes": 0}}
    assert thresholds(extra) == (500.0, None)  # 0 switches the byte check off
    assert needs_confirmation(prediction(600, 10**15), extra).needed
    assert not needs_confirmation(prediction(400, 10**15), extra).needed
    monkeypatch.setenv("NEUROLAKE_COST_CONFIRM_MS", "1000")
    assert not needs_confirmation(prediction(600, 10**6), extra).needed
    assert needs_confirmation(prediction(600, 10**6), extra, threshold_ms=100).needed
    with pytest.raises(UsageError, match="confirm_above_bytes"):
        thresholds({"cost": {"confirm_above_bytes": "lots"}})


def test_a_real_prediction_against_a_threshold(session: Session) -> None:
    session.sql("CREATE TABLE c.t AS SELECT range AS id FROM range(300000)")
    pred = CostModel(session.settings.workspace).predict(
        session.query, "SELECT * FROM c.t ORDER BY id"
    )
    assert pred.predicted_ms is not None and pred.interval_ms is not None
    low, high = pred.interval_ms
    assert low < pred.predicted_ms < high
    assert needs_confirmation(pred, threshold_ms=pred.predicted_ms / 2).needed
    assert not needs_confirmation(pred, threshold_ms=high * 1.1).needed
    # predicted under the threshold, but its interval reaches above it: it asks, and says why
    unsure = needs_confirmation(pred, threshold_ms=(pred.predicted_ms + high) / 2)
    assert unsure.needed and unsure.reason is not None and "may take up to" in unsure.reason
    assert needs_confirmation(Prediction(None, None, None, None)).needed is False


def test_a_wide_interval_above_the_threshold_asks_a_narrow_one_does_not() -> None:
    sure = Prediction(20_000, 10, 100_000_000, 0.9, spread=0.1)
    unsure = Prediction(20_000, 10, 100_000_000, 0.2, spread=1.2)
    assert not needs_confirmation(sure, threshold_ms=30_000).needed
    decision = needs_confirmation(unsure, threshold_ms=30_000)
    assert decision.needed and decision.reason is not None
    assert "20.0 s" in decision.reason and "may take up to 1.6 min" in decision.reason


def test_an_uncertain_statement_that_reads_almost_nothing_does_not_ask() -> None:
    # a one-row INSERT whose learnt time came from a slow first write: unsure, but reads nothing
    tiny = Prediction(8_000, 1, 0, 0.18, spread=1.5)
    assert not needs_confirmation(tiny, threshold_ms=30_000).needed
    # above the threshold it asks only when it took that long itself before (its own runs)
    guessed = Prediction(40_000, 1, 0, 0.18, spread=1.5, basis="model")
    assert not needs_confirmation(guessed, threshold_ms=30_000).needed
    measured = Prediction(40_000, 1, 0, 0.18, spread=1.5, basis="repeat")
    assert needs_confirmation(measured, threshold_ms=30_000).needed
    # the same times over enough data ask: 40 s over 100 MB is the data's
    assert needs_confirmation(Prediction(40_000, 1, 10**8, 0.18), threshold_ms=30_000).needed


def test_a_busy_machine_does_not_make_a_small_statement_ask(session: Session) -> None:
    """Whether a cell asks depends on the data it reads and produces, not on the speed probe
    (issue 18): a demo-sized CTAS predicted while the machine is 400 times slower than a quiet
    one does not stop at Run or Cancel; a statement whose data is large does."""
    session.sql("CREATE TABLE crm.people AS SELECT range AS id, range % 7 AS k FROM range(20000)")
    session.sql("CREATE TABLE crm.big AS SELECT range AS id, range % 7 AS k FROM range(3000000)")
    model = CostModel(session.settings.workspace)
    row = session.engine.con.execute("SELECT current_setting('threads')").fetchone()
    assert row is not None
    speed.forget()
    for _ in range(20):  # the workspace's recent readings: a machine 400x slower than quiet
        model.speed.add(int(row[0]), 400.0)
    small = model.predict(
        session.query, "CREATE OR REPLACE TABLE crm.contacts AS SELECT id, k FROM crm.people"
    )
    assert small.predicted_ms is not None and small.interval_ms is not None
    assert small.interval_ms[1] > 30_000  # the busy probe scales the prediction past 30 s
    assert not needs_confirmation(small, threshold_ms=30_000).needed
    big = model.predict(session.query, "SELECT a.k, count(*) FROM crm.big a, crm.big b GROUP BY 1")
    decision = needs_confirmation(big, threshold_ms=30_000)
    assert decision.needed and decision.reason is not None and "cross join" in decision.reason
    speed.forget()

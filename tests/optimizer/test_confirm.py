"""When a cell asks before running: predicted cost against the configured thresholds."""

from __future__ import annotations

import pytest

from neurolake_lab.cost import CostModel, Prediction
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
    assert not needs_confirmation(prediction(29_000, 10**6)).needed
    slow = needs_confirmation(prediction(45_000, 10**6))
    assert slow.needed and slow.reason and "45.0 s" in slow.reason and "50%" in slow.reason
    assert needs_confirmation(prediction(10, 20 * 1024**3)).needed


def test_settings_environment_and_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    extra = {"cost": {"confirm_above_ms": 500, "confirm_above_bytes": 0}}
    assert thresholds(extra) == (500.0, None)  # 0 switches the byte check off
    assert needs_confirmation(prediction(600, 10**15), extra).needed
    assert not needs_confirmation(prediction(400, 10**15), extra).needed
    monkeypatch.setenv("NEUROLAKE_COST_CONFIRM_MS", "1000")
    assert not needs_confirmation(prediction(600, 1), extra).needed
    assert needs_confirmation(prediction(600, 1), extra, threshold_ms=100).needed
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
    sure = Prediction(20_000, 10, 10_000_000, 0.9, spread=0.1)
    unsure = Prediction(20_000, 10, 10_000_000, 0.2, spread=1.2)
    assert not needs_confirmation(sure, threshold_ms=30_000).needed
    decision = needs_confirmation(unsure, threshold_ms=30_000)
    assert decision.needed and decision.reason is not None
    assert "20.0 s" in decision.reason and "may take up to 1.6 min" in decision.reason


def test_an_uncertain_statement_that_reads_almost_nothing_does_not_ask() -> None:
    # a one-row INSERT whose learnt time came from a slow first write: unsure, but reads nothing
    tiny = Prediction(8_000, 1, 0, 0.18, spread=1.5)
    assert not needs_confirmation(tiny, threshold_ms=30_000).needed
    # above the threshold itself it still asks
    assert needs_confirmation(
        Prediction(40_000, 1, 0, 0.18, spread=1.5), threshold_ms=30_000
    ).needed

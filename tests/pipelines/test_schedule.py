"""Pipeline schedules: intervals, times of day, cron, and clear errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from neurolake_lab.exceptions import UsageError
from neurolake_lab.pipelines.schedule import Schedule

T0 = datetime(2026, 3, 1, 10, 17, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "gap"),
    [
        ("every 1h", timedelta(hours=1)),
        ("every 15m", timedelta(minutes=15)),
        ("every 2 hours", timedelta(hours=2)),
        ("Every 30 Minutes", timedelta(minutes=30)),
        ("every day", timedelta(days=1)),
        ("hourly", timedelta(hours=1)),
        ("daily", timedelta(days=1)),
        ("every 90s", timedelta(seconds=90)),
    ],
)
def test_intervals(text: str, gap: timedelta) -> None:
    schedule = Schedule.parse(text)
    assert schedule.next_after(T0) == T0 + gap
    assert schedule.period(T0) == gap


def test_a_time_of_day_is_utc_and_always_ahead() -> None:
    at = Schedule.parse("daily at 02:00")
    assert at.next_after(T0) == datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    assert Schedule.parse("every day at 23:45").next_after(T0) == T0.replace(
        hour=23, minute=45, second=0
    )
    assert at.period(T0) == timedelta(days=1)


def test_cron_expressions() -> None:
    cron = Schedule.parse("*/20 * * * *")
    assert cron.next_after(T0) == T0.replace(minute=20, second=0)
    assert cron.period(T0) == timedelta(minutes=20)
    weekdays = Schedule.parse("0 6 * * 1-5")
    assert weekdays.next_after(T0).weekday() == 0  # 1 March 2026 is a Sunday


@pytest.mark.parametrize("text", ["every", "every 0h", "sometimes", "every 5 fortnights",
                                  "daily at 25:00", "61 * * * *", "every 10s"])  # fmt: skip
def test_bad_schedules_are_one_clear_error(text: str) -> None:
    with pytest.raises(UsageError, match="schedule"):
        Schedule.parse(text)

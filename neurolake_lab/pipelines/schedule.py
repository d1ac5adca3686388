"""Pipeline schedules: ``every 1h``, ``every 15 minutes``, ``daily at 02:00``, or cron.

A schedule only answers "when is the next run after this moment" (and how long a normal gap
between runs is, for the freshness check); running is the scheduler's job. Times are UTC, as the
session's are. Cron expressions are read by ``croniter``.

>>> Schedule.parse("every 90m").interval
datetime.timedelta(seconds=5400)
>>> Schedule.parse("daily at 02:30").next_after(datetime(2026, 1, 1, 3, 0, tzinfo=UTC))
datetime.datetime(2026, 1, 2, 2, 30, tzinfo=datetime.timezone.utc)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from neurolake_lab.exceptions import UsageError

_UNITS = {
    "s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60,
    "h": 3600, "hr": 3600, "hour": 3600, "d": 86400, "day": 86400, "w": 604800, "week": 604800,
}  # fmt: skip
_EVERY = re.compile(r"^every\s+(?:(\d+)\s*)?([a-z]+?)s?$")
_AT = re.compile(r"^(?:daily|every\s+day)\s+at\s+(\d{1,2}):(\d{2})$")
_ALIASES = {"hourly": "every 1h", "daily": "every 1d", "weekly": "every 1w"}
#: No schedule runs more often than this: the scheduler looks for due pipelines about this often.
MIN_INTERVAL = timedelta(minutes=1)
USAGE = (
    'a schedule is "every N minutes|hours|days" (also "every 15m", "every 1h"), "hourly", '
    '"daily", "daily at HH:MM" (UTC) or a cron expression such as "0 2 * * *"'
)


@dataclass(frozen=True)
class Schedule:
    """When a pipeline runs: a fixed interval, a time of day, or a cron expression."""

    text: str
    interval: timedelta | None = None
    at: tuple[int, int] | None = None  # (hour, minute) UTC, daily
    cron: str | None = None

    @classmethod
    def parse(cls, text: str) -> Schedule:
        """Read a schedule; one clear error names what is wrong."""
        raw = " ".join(text.strip().split())
        spec = _ALIASES.get(raw.lower(), raw.lower())
        match = _EVERY.match(spec)
        if match:
            count = int(match.group(1) or 1)
            unit = _UNITS.get(match.group(2))
            if unit is None or count <= 0:
                raise UsageError(f"cannot read the schedule {text!r}: {USAGE}")
            interval = timedelta(seconds=count * unit)
            if interval < MIN_INTERVAL:
                raise UsageError(f"schedule {text!r} is too frequent: at most once a minute")
            return cls(raw, interval=interval)
        match = _AT.match(spec)
        if match:
            hour, minute = int(match.group(1)), int(match.group(2))
            if hour > 23 or minute > 59:
                raise UsageError(f"schedule {text!r}: {hour:02d}:{minute:02d} is not a time of day")
            return cls(raw, at=(hour, minute))
        if len(raw.split()) in (5, 6):
            from croniter import croniter

            if croniter.is_valid(raw):
                return cls(raw, cron=raw)
        raise UsageError(f"cannot read the schedule {text!r}: {USAGE}")

    def next_after(self, moment: datetime) -> datetime:
        """The first run time strictly after ``moment`` (an aware datetime)."""
        moment = moment.astimezone(UTC)
        if self.interval is not None:
            return moment + self.interval
        if self.at is not None:
            hour, minute = self.at
            candidate = moment.replace(hour=hour, minute=minute, second=0, microsecond=0)
            return candidate if candidate > moment else candidate + timedelta(days=1)
        from croniter import croniter

        assert self.cron is not None
        found: datetime = croniter(self.cron, moment).get_next(datetime)
        return found.astimezone(UTC)

    def latest_slot(self, due: datetime, moment: datetime) -> datetime:
        """The last run time from ``due`` up to ``moment``: a late scheduler catches up once."""
        slot = due
        for _ in range(100_000):  # a minute-by-minute schedule missed for ten weeks
            following = self.next_after(slot)
            if following > moment:
                return slot
            slot = following
        return slot

    def period(self, around: datetime) -> timedelta:
        """The normal gap between two runs near ``around`` (what "fresh" is measured against)."""
        if self.interval is not None:
            return self.interval
        first = self.next_after(around)
        return self.next_after(first) - first

    def __str__(self) -> str:
        return self.text

"""Schedule maths for the monthly cycle: working days, local times and DST. No I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Final, Protocol
from zoneinfo import ZoneInfo

from bot.config import ScheduleConfig
from bot.periods import Period

__all__ = [
    "CycleTimes",
    "WeekendCalendar",
    "WorkingCalendar",
    "add_working_days",
    "cycle_times",
    "due_periods",
    "last_working_day",
    "nth_working_day",
    "to_utc",
]

MAX_NON_WORKING_RUN: Final = 366
"""A calendar with more consecutive days off than this is treated as broken."""

_ONE_DAY: Final = timedelta(days=1)
_RESOLUTION: Final = timedelta(microseconds=1)


class WorkingCalendar(Protocol):
    """Decides which dates are working days (weekends, public holidays, make-up days)."""

    def is_working_day(self, d: date) -> bool:
        """Return True if ``d`` is a working day."""
        ...


class WeekendCalendar:
    """Monday to Friday are working days; no holidays."""

    def is_working_day(self, d: date) -> bool:
        """Return True from Monday to Friday."""
        return d.weekday() < 5


@dataclass(frozen=True, slots=True)
class CycleTimes:
    """When one period's cycle opens, reminds and closes; all aware UTC datetimes."""

    period: Period
    opens_at: datetime
    deadline: datetime
    reminders: tuple[datetime, ...]


def last_working_day(period: Period, cal: WorkingCalendar) -> date:
    """The last working day of ``period``."""
    for day in reversed(list(period.dates())):
        if cal.is_working_day(day):
            return day
    raise ValueError(f"{period} has no working days")


def nth_working_day(period: Period, n: int, cal: WorkingCalendar) -> date:
    """The ``n``-th (1-based) working day of ``period``."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    working = [day for day in period.dates() if cal.is_working_day(day)]
    if n > len(working):
        raise ValueError(f"{period} has only {len(working)} working days, asked for day {n}")
    return working[n - 1]


def add_working_days(d: date, n: int, cal: WorkingCalendar) -> date:
    """Move ``n`` working days from ``d``: forward if positive, back if negative.

    ``n == 0`` means "the same day" and returns ``d`` even if it is not a working day.
    Otherwise ``d`` itself is not counted: one working day after Friday is Monday.
    """
    step = _ONE_DAY if n > 0 else -_ONE_DAY
    for _ in range(abs(n)):
        d = _next_working_day(d, step, cal)
    return d


def _next_working_day(d: date, step: timedelta, cal: WorkingCalendar) -> date:
    """The first working day strictly after ``d`` in the direction of ``step``."""
    for _ in range(MAX_NON_WORKING_RUN):
        d += step
        if cal.is_working_day(d):
            return d
    raise ValueError(f"no working day within {MAX_NON_WORKING_RUN} days of {d}")


def to_utc(local_date: date, local_time: time, tz: tzinfo) -> datetime:
    """Convert a wall-clock date and time in ``tz`` to an aware UTC datetime.

    An ambiguous time (clocks going back) takes its first occurrence. A nonexistent time
    (clocks going forward) moves to the first valid instant, the end of the gap.
    """
    if local_time.tzinfo is not None:
        raise ValueError(f"expected a local time without a zone, got {local_time.isoformat()}")
    naive = datetime.combine(local_date, local_time)
    first = naive.replace(tzinfo=tz, fold=0)
    if _exists(first):
        return first.astimezone(UTC)
    # In a gap, fold=1 maps to an instant before the transition and fold=0 to one after it.
    before = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    return _transition_instant(before, first.astimezone(UTC), tz)


def _exists(local: datetime) -> bool:
    """True if the wall-clock time of ``local`` really occurs in its zone."""
    round_trip = local.astimezone(UTC).astimezone(local.tzinfo)
    return round_trip.replace(tzinfo=None) == local.replace(tzinfo=None)


def _transition_instant(before: datetime, after: datetime, tz: tzinfo) -> datetime:
    """The first UTC instant in ``(before, after]`` that has ``after``'s offset."""
    offset = after.astimezone(tz).utcoffset()
    while after - before > _RESOLUTION:
        middle = before + (after - before) / 2
        if middle.astimezone(tz).utcoffset() == offset:
            after = middle
        else:
            before = middle
    return after


def cycle_times(
    period: Period, rules: ScheduleConfig, tz: ZoneInfo, cal: WorkingCalendar
) -> CycleTimes:
    """Compute when ``period``'s cycle opens, closes and reminds, following ``rules``.

    Reminders are sorted, deduplicated, and kept only if strictly after the opening and
    not after the deadline.
    """
    open_day = add_working_days(
        last_working_day(period, cal), -rules.open_working_days_before_month_end, cal
    )
    opens_at = to_utc(open_day, rules.open_at, tz)
    deadline_day = nth_working_day(period.next(), rules.deadline_working_day_of_next_month, cal)
    deadline = to_utc(deadline_day, rules.deadline_at, tz)
    reminders = {
        to_utc(add_working_days(deadline_day, -rule.working_days_before_deadline, cal), rule.at, tz)
        for rule in rules.reminders
    }
    return CycleTimes(
        period=period,
        opens_at=opens_at,
        deadline=deadline,
        reminders=tuple(sorted(t for t in reminders if opens_at < t <= deadline)),
    )


def due_periods(now: datetime, tz: tzinfo) -> tuple[Period, Period]:
    """The previous and the current month at instant ``now`` as seen in ``tz``.

    A scheduler checks both: last month's cycle may still be running early in a month.
    """
    if now.tzinfo is None:
        raise ValueError(f"naive datetime {now.isoformat()} has no time zone")
    current = Period.of(now.astimezone(tz).date())
    return current.previous(), current

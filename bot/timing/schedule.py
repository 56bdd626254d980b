"""Schedule maths for the monthly cycle: working days, local times and DST. No I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Final, Protocol
from zoneinfo import ZoneInfo

from bot.config import ScheduleConfig
from bot.timing.cron import first_in_month
from bot.timing.periods import Period

__all__ = [
    "CycleTimes",
    "DepartmentSchedule",
    "WeekendCalendar",
    "WorkingCalendar",
    "add_working_days",
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


class DepartmentSchedule:
    """A department's schedule rules, read in its time zone and on its working calendar.

    Quiet hours and (unless allowed) days off are never a moment to send: every moment this
    class gives out is moved to the next allowed one.
    """

    def __init__(self, rules: ScheduleConfig, zone: ZoneInfo, calendar: WorkingCalendar) -> None:
        self.rules = rules
        self.zone = zone
        self.calendar = calendar
        self._quiet = rules.quiet_window
        self._times: dict[Period, CycleTimes] = {}
        self._ladders: dict[tuple[datetime, datetime], tuple[datetime, ...]] = {}

    def cycle_times(self, period: Period) -> CycleTimes:
        """When ``period``'s cycle opens, reminds and closes; worked out once for each period
        (the scheduler asks on every tick)."""
        if (times := self._times.get(period)) is None:
            opens_at = self.opening(period)
            deadline = self.deadline(period)
            reminders = self.reminders(deadline, opens_at)
            times = self._times[period] = CycleTimes(period, opens_at, deadline, reminders)
        return times

    def opening(self, period: Period) -> datetime:
        """When ``period``'s cycle opens: by ``open_cron``, or working days before month end."""
        rules = self.rules
        if rules.open_cron:
            fire = first_in_month(rules.open_cron, period)
            if fire is None:
                raise ValueError(f"open_cron {rules.open_cron!r} does not match in {period}")
            day, at = fire
        else:
            last = last_working_day(period, self.calendar)
            day = add_working_days(last, -rules.open_working_days_before_month_end, self.calendar)
            at = rules.open_at
        return self.next_allowed(to_utc(day, at, self.zone))

    def deadline(self, period: Period) -> datetime:
        """``period``'s deadline: a working day of the next month at a local time."""
        rules = self.rules
        day = nth_working_day(
            period.next(), rules.deadline_working_day_of_next_month, self.calendar
        )
        return to_utc(day, rules.deadline_at, self.zone)

    def report_times(self, period: Period, team_deadline: datetime | None = None) -> CycleTimes:
        """When the department's report on ``period`` opens, reminds and closes: so many
        working days after the team's deadline (``team_deadline``, when it was moved) at
        ``open_at``, never before that deadline, and due so many working days later at
        ``deadline_at``."""
        rules = self.rules
        after = team_deadline or self.deadline(period)
        day = add_working_days(
            after.astimezone(self.zone).date(),
            rules.report_open_working_days_after_deadline,
            self.calendar,
        )
        opens_at = self.next_allowed(max(to_utc(day, rules.open_at, self.zone), after))
        deadline = self.due_after(opens_at, rules.report_deadline_working_days)
        return CycleTimes(period, opens_at, deadline, self.reminders(deadline, opens_at))

    def due_after(self, opens_at: datetime, working_days: int) -> datetime:
        """A deadline `working_days` working days after ``opens_at``, at ``deadline_at``: a
        department's report's, a year-end questionnaire's."""
        due = add_working_days(opens_at.astimezone(self.zone).date(), working_days, self.calendar)
        return to_utc(due, self.rules.deadline_at, self.zone)

    def reminders(self, deadline: datetime, opens_at: datetime) -> tuple[datetime, ...]:
        """The reminder moments before ``deadline``, sorted and distinct, each moved out of
        quiet time; those not strictly between ``opens_at`` and ``deadline`` are dropped.
        Worked out once for each month end (the scheduler asks on every tick)."""
        if (ladder := self._ladders.get((deadline, opens_at))) is None:
            ladder = self._ladders[deadline, opens_at] = self._reminders(deadline, opens_at)
        return ladder

    def _reminders(self, deadline: datetime, opens_at: datetime) -> tuple[datetime, ...]:
        deadline_day = deadline.astimezone(self.zone).date()
        moments = set()
        for rule in self.rules.reminders:
            if rule.hours_before_deadline:
                moment = deadline - timedelta(hours=rule.hours_before_deadline)
            else:
                back = -rule.working_days_before_deadline
                moment = to_utc(
                    add_working_days(deadline_day, back, self.calendar), rule.at, self.zone
                )
            moments.add(self.next_allowed(moment))
        return tuple(sorted(m for m in moments if opens_at < m < deadline))

    def review_reminder(self, deadline: datetime) -> datetime | None:
        """When managers are reminded of the reports they have not marked reviewed:
        ``review_reminder_working_days`` working days after ``deadline``, at its local time,
        moved out of quiet time; None when they are not."""
        days = self.rules.review_reminder_working_days
        if not days:
            return None
        local = deadline.astimezone(self.zone)
        day = add_working_days(local.date(), days, self.calendar)
        return self.next_allowed(to_utc(day, local.time().replace(tzinfo=None), self.zone))

    def allows(self, moment: datetime) -> bool:
        """Whether messages may be sent at ``moment`` (not in quiet hours, not on a day off)."""
        local = moment.astimezone(self.zone)
        return not self._day_off(local.date()) and not self._in_quiet_hours(local.time())

    def next_allowed(self, moment: datetime) -> datetime:
        """``moment`` if sending is allowed then, else the first allowed moment after it."""
        local = moment.astimezone(self.zone)
        for _ in range(MAX_NON_WORKING_RUN + 2):
            day = local.date()
            if self._day_off(day):
                local = self._local(day + _ONE_DAY, time())
            elif self._quiet is not None and self._in_quiet_hours(local.time()):
                end = self._quiet[1]
                local = self._local(day if local.time() < end else day + _ONE_DAY, end)
            else:
                return local.astimezone(UTC)
        raise ValueError(f"no moment to send within {MAX_NON_WORKING_RUN} days of {moment}")

    def next_working_morning(self, after: datetime) -> datetime:
        """The first ``remind_later_at`` on a working day after ``after`` ("remind me later")."""
        morning = self.rules.remind_later_at
        today = after.astimezone(self.zone).date()
        if self.calendar.is_working_day(today) and to_utc(today, morning, self.zone) > after:
            day = today
        else:
            day = add_working_days(today, 1, self.calendar)
        return self.next_allowed(to_utc(day, morning, self.zone))

    def _day_off(self, day: date) -> bool:
        return self.rules.quiet_on_days_off and not self.calendar.is_working_day(day)

    def _in_quiet_hours(self, at: time) -> bool:
        if self._quiet is None:
            return False
        start, end = self._quiet
        return start <= at < end if start < end else at >= start or at < end

    def _local(self, day: date, at: time) -> datetime:
        return to_utc(day, at, self.zone).astimezone(self.zone)


def due_periods(now: datetime, tz: tzinfo) -> tuple[Period, Period]:
    """The previous and the current month at instant ``now`` as seen in ``tz``.

    A scheduler checks both: last month's cycle may still be running early in a month.
    """
    if now.tzinfo is None:
        raise ValueError(f"naive datetime {now.isoformat()} has no time zone")
    current = Period.of(now.astimezone(tz).date())
    return current.previous(), current

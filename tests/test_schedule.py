"""Schedule maths: working days, local times across DST, and a cycle's times."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.config import ReminderRule, ScheduleConfig
from bot.timing.clock import ManualClock, SystemClock
from bot.timing.periods import Period
from bot.timing.schedule import (
    CycleTimes,
    DepartmentSchedule,
    WeekendCalendar,
    WorkingCalendar,
    add_working_days,
    due_periods,
    last_working_day,
    nth_working_day,
    to_utc,
)

WEEKENDS = WeekendCalendar()
SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


class HolidayCalendar:
    """Weekends plus a fixed set of holidays: shows the protocol takes other calendars."""

    def __init__(self, *holidays: date) -> None:
        self.holidays = frozenset(holidays)

    def is_working_day(self, d: date) -> bool:
        return WEEKENDS.is_working_day(d) and d not in self.holidays


class NoWorkingDays:
    def is_working_day(self, d: date) -> bool:
        return False


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# --- working days ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 11, 27), True),  # Friday
        (date(2026, 11, 28), False),  # Saturday
        (date(2026, 11, 29), False),  # Sunday
        (date(2026, 11, 30), True),  # Monday
    ],
)
def test_weekend_calendar(day: date, working: bool) -> None:
    assert WEEKENDS.is_working_day(day) is working


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        (Period(2026, 11), date(2026, 11, 30)),  # Monday
        (Period(2026, 5), date(2026, 5, 29)),  # Friday; 30 and 31 are the weekend
        (Period(2026, 10), date(2026, 10, 30)),  # Friday
    ],
)
def test_last_working_day(period: Period, expected: date) -> None:
    assert last_working_day(period, WEEKENDS) == expected


def test_last_working_day_respects_holidays() -> None:
    calendar = HolidayCalendar(date(2026, 11, 30))
    assert last_working_day(Period(2026, 11), calendar) == date(2026, 11, 27)


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, date(2026, 12, 1)),  # Tuesday
        (2, date(2026, 12, 2)),  # Wednesday
        (4, date(2026, 12, 4)),  # Friday
        (5, date(2026, 12, 7)),  # Monday
        (23, date(2026, 12, 31)),
    ],
)
def test_nth_working_day(n: int, expected: date) -> None:
    assert nth_working_day(Period(2026, 12), n, WEEKENDS) == expected


def test_nth_working_day_skips_holidays() -> None:
    calendar = HolidayCalendar(date(2027, 1, 1))
    assert nth_working_day(Period(2027, 1), 1, WEEKENDS) == date(2027, 1, 1)
    assert nth_working_day(Period(2027, 1), 1, calendar) == date(2027, 1, 4)


@pytest.mark.parametrize("n", [0, -1, 24])
def test_nth_working_day_out_of_range(n: int) -> None:
    with pytest.raises(ValueError, match=r"working day|at least 1"):
        nth_working_day(Period(2026, 12), n, WEEKENDS)


def test_a_month_without_working_days_is_an_error() -> None:
    with pytest.raises(ValueError, match="no working days"):
        last_working_day(Period(2026, 12), NoWorkingDays())


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 11, 27), 1, date(2026, 11, 30)),  # Friday + 1 = Monday
        (date(2026, 11, 30), -1, date(2026, 11, 27)),  # Monday - 1 = Friday
        (date(2026, 11, 25), 2, date(2026, 11, 27)),
        (date(2026, 11, 28), 0, date(2026, 11, 28)),  # 0 is the same day, even a Saturday
        (date(2026, 11, 30), 0, date(2026, 11, 30)),
        (date(2026, 11, 28), 2, date(2026, 12, 1)),  # from a Saturday
        (date(2026, 11, 29), -1, date(2026, 11, 27)),  # back from a Sunday
        (date(2026, 12, 2), -10, date(2026, 11, 18)),
    ],
)
def test_add_working_days(start: date, n: int, expected: date) -> None:
    assert add_working_days(start, n, WEEKENDS) == expected


def test_add_working_days_gives_up_on_a_calendar_without_working_days() -> None:
    with pytest.raises(ValueError, match="no working day"):
        add_working_days(date(2026, 1, 1), 1, NoWorkingDays())


# --- local times to UTC ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "day", "at", "expected"),
    [
        (SHANGHAI, date(2026, 11, 30), time(10, 0), utc(2026, 11, 30, 2, 0)),
        (SHANGHAI, date(2026, 12, 1), time(7, 0), utc(2026, 11, 30, 23, 0)),
        (BERLIN, date(2026, 1, 15), time(10, 0), utc(2026, 1, 15, 9, 0)),  # CET
        (BERLIN, date(2026, 7, 15), time(10, 0), utc(2026, 7, 15, 8, 0)),  # CEST
        (ZoneInfo("UTC"), date(2026, 7, 15), time(10, 0), utc(2026, 7, 15, 10, 0)),
    ],
)
def test_to_utc(zone: ZoneInfo, day: date, at: time, expected: datetime) -> None:
    result = to_utc(day, at, zone)
    assert result == expected
    assert result.tzinfo is UTC


@pytest.mark.parametrize(
    ("zone", "day", "at", "expected"),
    [
        # Berlin springs forward 02:00 -> 03:00: 02:30 does not exist; 03:00 CEST is 01:00 UTC.
        (BERLIN, date(2026, 3, 29), time(2, 30), utc(2026, 3, 29, 1, 0)),
        (BERLIN, date(2026, 3, 29), time(2, 0), utc(2026, 3, 29, 1, 0)),
        (BERLIN, date(2026, 3, 29), time(3, 0), utc(2026, 3, 29, 1, 0)),
        (BERLIN, date(2026, 3, 29), time(1, 59), utc(2026, 3, 29, 0, 59)),
        # New York springs forward 02:00 -> 03:00 EDT (07:00 UTC).
        (NEW_YORK, date(2026, 3, 8), time(2, 30), utc(2026, 3, 8, 7, 0)),
        # Lord Howe moves by half an hour: 02:00 -> 02:30 (+11:00).
        (ZoneInfo("Australia/Lord_Howe"), date(2026, 10, 4), time(2, 15), utc(2026, 10, 3, 15, 30)),
    ],
)
def test_to_utc_moves_a_nonexistent_time_to_the_end_of_the_gap(
    zone: ZoneInfo, day: date, at: time, expected: datetime
) -> None:
    assert to_utc(day, at, zone) == expected


@pytest.mark.parametrize(
    ("zone", "day", "at", "expected"),
    [
        # New York falls back 02:00 EDT -> 01:00 EST: 01:30 happens twice; the first is EDT.
        (NEW_YORK, date(2026, 11, 1), time(1, 30), utc(2026, 11, 1, 5, 30)),
        # Berlin falls back 03:00 CEST -> 02:00 CET: the first 02:30 is CEST.
        (BERLIN, date(2026, 10, 25), time(2, 30), utc(2026, 10, 25, 0, 30)),
    ],
)
def test_to_utc_takes_the_first_occurrence_of_an_ambiguous_time(
    zone: ZoneInfo, day: date, at: time, expected: datetime
) -> None:
    assert to_utc(day, at, zone) == expected
    assert to_utc(day, at.replace(fold=1), zone) == expected


def test_to_utc_rejects_an_aware_time() -> None:
    with pytest.raises(ValueError, match="without a zone"):
        to_utc(date(2026, 1, 1), time(10, 0, tzinfo=UTC), SHANGHAI)


# --- a cycle's times -------------------------------------------------------------------------


def test_cycle_times_with_the_defaults_in_shanghai() -> None:
    times = DepartmentSchedule(ScheduleConfig(), SHANGHAI, WEEKENDS).cycle_times(Period(2026, 11))
    assert times == CycleTimes(
        period=Period(2026, 11),
        opens_at=utc(2026, 11, 30, 2, 0),  # Mon 30 Nov 10:00
        deadline=utc(2026, 12, 2, 10, 0),  # Wed 2 Dec 18:00
        reminders=(
            utc(2026, 12, 1, 2, 0),  # Tue 1 Dec 10:00, one working day before
            utc(2026, 12, 2, 1, 0),  # Wed 2 Dec 09:00, the morning of the deadline
        ),
    )


def test_cycle_times_in_berlin_after_the_clocks_go_back() -> None:
    times = DepartmentSchedule(ScheduleConfig(), BERLIN, WEEKENDS).cycle_times(Period(2026, 10))
    assert times.opens_at == utc(2026, 10, 30, 9, 0)  # Fri 30 Oct 10:00 CET
    assert times.deadline == utc(2026, 11, 3, 17, 0)  # Tue 3 Nov: 1 Nov is a Sunday
    assert times.reminders == (utc(2026, 11, 2, 9, 0), utc(2026, 11, 3, 8, 0))


def test_cycle_times_across_the_year_end_with_a_holiday() -> None:
    calendar = HolidayCalendar(date(2027, 1, 1))
    times = DepartmentSchedule(ScheduleConfig(), SHANGHAI, calendar).cycle_times(Period(2026, 12))
    assert times.opens_at == utc(2026, 12, 31, 2, 0)
    assert times.deadline == utc(2027, 1, 5, 10, 0)  # Mon 4 and Tue 5 Jan
    assert times.reminders == (utc(2027, 1, 4, 2, 0), utc(2027, 1, 5, 1, 0))


def test_cycle_times_with_custom_rules() -> None:
    rules = ScheduleConfig(
        open_at=time(9, 30),
        open_working_days_before_month_end=1,
        deadline_at=time(12, 0),
        deadline_working_day_of_next_month=3,
        reminders=(
            ReminderRule(working_days_before_deadline=0, at=time(12, 0)),  # at the deadline
            ReminderRule(working_days_before_deadline=0, at=time(13, 0)),  # after it: dropped
            ReminderRule(working_days_before_deadline=2, at=time(8, 0)),
            ReminderRule(working_days_before_deadline=2, at=time(8, 0)),  # duplicate
            ReminderRule(working_days_before_deadline=4, at=time(9, 30)),  # = opening: dropped
            ReminderRule(working_days_before_deadline=9, at=time(8, 0)),  # before opening
        ),
    )
    times = DepartmentSchedule(rules, SHANGHAI, WEEKENDS).cycle_times(Period(2026, 11))
    assert times.opens_at == utc(2026, 11, 27, 1, 30)  # Fri 27 Nov 09:30
    assert times.deadline == utc(2026, 12, 3, 4, 0)  # Thu 3 Dec 12:00
    # A reminder at the deadline or after it is of no use: only one remains.
    assert times.reminders == (utc(2026, 12, 1, 0, 0),)


def test_cycle_times_without_reminders() -> None:
    rules = ScheduleConfig(reminders=())
    assert (
        DepartmentSchedule(rules, SHANGHAI, WEEKENDS).cycle_times(Period(2026, 11)).reminders == ()
    )


def test_cycle_times_accepts_any_working_calendar() -> None:
    calendar: WorkingCalendar = HolidayCalendar(date(2026, 11, 30))
    times = DepartmentSchedule(ScheduleConfig(), SHANGHAI, calendar).cycle_times(Period(2026, 11))
    assert times.opens_at == utc(2026, 11, 27, 2, 0)


# --- which periods are due -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "zone", "expected"),
    [
        (utc(2026, 11, 30, 20, 0), SHANGHAI, (Period(2026, 11), Period(2026, 12))),
        (utc(2026, 11, 30, 20, 0), ZoneInfo("UTC"), (Period(2026, 10), Period(2026, 11))),
        (utc(2027, 1, 1, 0, 30), BERLIN, (Period(2026, 12), Period(2027, 1))),
        (utc(2027, 1, 1, 0, 30), NEW_YORK, (Period(2026, 11), Period(2026, 12))),
    ],
)
def test_due_periods(now: datetime, zone: ZoneInfo, expected: tuple[Period, Period]) -> None:
    assert due_periods(now, zone) == expected


def test_due_periods_rejects_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="naive"):
        due_periods(datetime(2026, 11, 30, 20, 0), SHANGHAI)


# --- clocks ------------------------------------------------------------------------------------


def test_manual_clock_moves_only_when_told() -> None:
    clock = ManualClock(datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI))
    assert clock.now() == utc(2026, 11, 30, 2, 0)
    assert clock.now().tzinfo is UTC
    clock.advance(timedelta(hours=1, minutes=30))
    assert clock.now() == utc(2026, 11, 30, 3, 30)
    clock.set(utc(2026, 12, 2, 10, 0))
    assert clock.now() == utc(2026, 12, 2, 10, 0)


def test_manual_clock_rejects_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        ManualClock(datetime(2026, 11, 30, 10, 0))
    clock = ManualClock(utc(2026, 11, 30, 10, 0))
    with pytest.raises(ValueError, match="naive"):
        clock.set(datetime(2026, 11, 30, 11, 0))


def test_system_clock_is_aware_utc() -> None:
    now = SystemClock().now()
    assert now.tzinfo is UTC
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)


# --- quiet hours, days off, hour offsets, cron openings and DST --------------------------------


def test_quiet_hours_and_days_off_move_a_moment_to_the_next_allowed_one() -> None:
    schedule = DepartmentSchedule(ScheduleConfig(quiet_hours="21:00-08:00"), SHANGHAI, WEEKENDS)
    assert schedule.next_allowed(utc(2026, 11, 30, 2, 0)) == utc(2026, 11, 30, 2, 0)  # Mon 10:00
    assert schedule.next_allowed(utc(2026, 11, 30, 13, 0)) == utc(2026, 12, 1, 0, 0)  # 21:00
    assert schedule.next_allowed(utc(2026, 11, 30, 18, 0)) == utc(2026, 12, 1, 0, 0)  # 02:00
    assert schedule.next_allowed(utc(2026, 11, 27, 14, 0)) == utc(2026, 11, 30, 0, 0)  # Fri 22:00
    assert schedule.next_allowed(utc(2026, 11, 28, 4, 0)) == utc(2026, 11, 30, 0, 0)  # Saturday
    assert not schedule.allows(utc(2026, 11, 29, 4, 0))
    assert schedule.allows(utc(2026, 11, 30, 0, 0))  # 08:00: the quiet hours have ended


def test_daytime_quiet_hours_and_sending_on_days_off() -> None:
    rules = ScheduleConfig(quiet_hours="12:00-14:00", quiet_on_days_off=False)
    schedule = DepartmentSchedule(rules, SHANGHAI, WEEKENDS)
    assert schedule.next_allowed(utc(2026, 11, 28, 4, 30)) == utc(2026, 11, 28, 6, 0)  # Sat 12:30
    assert schedule.allows(utc(2026, 11, 28, 15, 0))  # Saturday 23:00
    no_quiet = DepartmentSchedule(ScheduleConfig(quiet_hours=""), SHANGHAI, WEEKENDS)
    assert no_quiet.allows(utc(2026, 11, 30, 19, 0))  # Tuesday 03:00


def test_reminders_in_quiet_hours_are_moved_and_hour_offsets_count_real_hours() -> None:
    rules = ScheduleConfig(
        reminders=(
            ReminderRule(working_days_before_deadline=1, at=time(22, 30)),  # -> 08:00 next day
            ReminderRule(hours_before_deadline=3),  # 15:00 on the deadline day
            ReminderRule(hours_before_deadline=30),  # Tue 12:00
        )
    )
    times = DepartmentSchedule(rules, SHANGHAI, WEEKENDS).cycle_times(Period(2026, 11))
    assert times.reminders == (
        utc(2026, 12, 1, 4, 0),  # Tue 1 Dec 12:00
        utc(2026, 12, 2, 0, 0),  # Wed 08:00, the end of the quiet hours
        utc(2026, 12, 2, 7, 0),  # Wed 15:00
    )


def test_new_york_cycle_across_the_end_of_daylight_saving() -> None:
    # Clocks go back on Sunday 1 November 2026: the cycle opens in EDT and closes in EST.
    rules = ScheduleConfig(
        reminders=(*ScheduleConfig().reminders, ReminderRule(hours_before_deadline=48))
    )
    times = DepartmentSchedule(rules, NEW_YORK, WEEKENDS).cycle_times(Period(2026, 10))
    assert times.opens_at == utc(2026, 10, 30, 14, 0)  # Fri 30 Oct 10:00 EDT
    assert times.deadline == utc(2026, 11, 3, 23, 0)  # Tue 3 Nov 18:00 EST
    assert times.reminders == (
        # 48 hours before is Sunday 18:00 EST, a day off: Monday 08:00 EST.
        utc(2026, 11, 2, 13, 0),
        utc(2026, 11, 2, 15, 0),  # Mon 10:00 EST
        utc(2026, 11, 3, 14, 0),  # Tue 09:00 EST
    )


def test_berlin_cycle_across_the_start_of_summer_time() -> None:
    # Clocks go forward on Sunday 29 March 2026; February's deadline is still in CET.
    schedule = DepartmentSchedule(ScheduleConfig(), BERLIN, WEEKENDS)
    february = schedule.cycle_times(Period(2026, 2))
    assert february.deadline == utc(2026, 3, 3, 17, 0)  # Tue 3 Mar 18:00 CET
    march = schedule.cycle_times(Period(2026, 3))
    assert march.opens_at == utc(2026, 3, 31, 8, 0)  # Tue 31 Mar 10:00 CEST
    assert march.deadline == utc(2026, 4, 2, 16, 0)  # Thu 2 Apr 18:00 CEST
    # Quiet hours end at 08:00 local on either side of the change.
    assert schedule.next_allowed(utc(2026, 3, 27, 22, 0)) == utc(2026, 3, 30, 6, 0)


def test_a_quiet_hours_end_in_a_dst_gap_moves_to_the_end_of_the_gap() -> None:
    rules = ScheduleConfig(quiet_hours="23:00-02:30", quiet_on_days_off=False)
    schedule = DepartmentSchedule(rules, BERLIN, WEEKENDS)
    # Saturday 23:30 CET; 02:30 on Sunday 29 March does not exist: 03:00 CEST.
    assert schedule.next_allowed(utc(2026, 3, 28, 22, 30)) == utc(2026, 3, 29, 1, 0)


@pytest.mark.parametrize(
    ("cron", "opens_at"),
    [
        ("0 10 L * *", utc(2026, 11, 30, 2, 0)),  # the last day of November, 10:00
        ("30 9 25 * *", utc(2026, 11, 25, 1, 30)),
        ("0 16 * * 5", utc(2026, 11, 6, 8, 0)),  # the first Friday (5 is Friday, as in cron)
        ("0 10 28 * *", utc(2026, 11, 30, 0, 0)),  # Sat 28th: Monday 08:00, after the weekend
        ("0 23 20 * *", utc(2026, 11, 23, 0, 0)),  # Fri 20th 23:00: quiet, then the weekend
    ],
)
def test_a_cron_expression_opens_the_cycle(cron: str, opens_at: datetime) -> None:
    schedule = DepartmentSchedule(ScheduleConfig(open_cron=cron), SHANGHAI, WEEKENDS)
    times = schedule.cycle_times(Period(2026, 11))
    assert times.opens_at == opens_at
    assert times.deadline == utc(2026, 12, 2, 10, 0)


def test_a_cron_opening_in_new_york_follows_its_time_zone_across_dst() -> None:
    schedule = DepartmentSchedule(ScheduleConfig(open_cron="0 10 L * *"), NEW_YORK, WEEKENDS)
    # Saturday 31 October is a day off: Monday 2 November 08:00 EST, after the change.
    assert schedule.opening(Period(2026, 10)) == utc(2026, 11, 2, 13, 0)
    assert schedule.opening(Period(2026, 9)) == utc(2026, 9, 30, 14, 0)  # Wed 10:00 EDT


def test_remind_me_later_is_the_next_working_morning() -> None:
    schedule = DepartmentSchedule(ScheduleConfig(remind_later_at=time(9, 30)), SHANGHAI, WEEKENDS)
    assert schedule.next_working_morning(utc(2026, 11, 30, 3, 0)) == utc(2026, 12, 1, 1, 30)
    assert schedule.next_working_morning(utc(2026, 11, 30, 0, 0)) == utc(2026, 11, 30, 1, 30)
    assert schedule.next_working_morning(utc(2026, 11, 27, 3, 0)) == utc(2026, 11, 30, 1, 30)
    assert schedule.next_working_morning(utc(2026, 11, 28, 3, 0)) == utc(2026, 11, 30, 1, 30)

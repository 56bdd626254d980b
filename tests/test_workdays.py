"""Working days from the holidays package and the config: China's 调休, other countries by ISO
code, the company's own days; and cycles computed on them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.config import CalendarConfig, DepartmentConfig, ScheduleConfig
from bot.timing.periods import Period
from bot.timing.workdays import CountryCalendar, department_schedule

CHINA = CountryCalendar(CalendarConfig(country="CN"))


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def test_china_national_day_2025_is_off_and_its_make_up_weekends_are_worked() -> None:
    assert not any(CHINA.is_working_day(d) for d in days(date(2025, 10, 1), date(2025, 10, 8)))
    assert CHINA.is_working_day(date(2025, 9, 28))  # a Sunday, worked (调休)
    assert CHINA.is_working_day(date(2025, 10, 11))  # a Saturday, worked (调休)
    assert CHINA.is_working_day(date(2025, 10, 9))  # Thursday, back to work
    assert not CHINA.is_working_day(date(2025, 10, 12))  # an ordinary Sunday


def test_china_new_year_and_spring_festival_2026() -> None:
    assert not CHINA.is_working_day(date(2026, 1, 1))
    assert not CHINA.is_working_day(date(2026, 1, 2))  # Friday, moved from Sunday the 4th
    assert CHINA.is_working_day(date(2026, 1, 4))  # Sunday, worked
    assert CHINA.is_working_day(date(2026, 2, 14))  # Saturday before the Spring Festival
    assert not any(CHINA.is_working_day(d) for d in days(date(2026, 2, 15), date(2026, 2, 23)))
    assert CHINA.is_working_day(date(2026, 2, 28))  # Saturday, worked


@pytest.mark.parametrize(
    ("config", "day", "working"),
    [
        (CalendarConfig(country="DE", subdivision="BE"), date(2026, 3, 9), True),
        (CalendarConfig(country="DE", subdivision="BE"), date(2027, 3, 8), False),  # Women's Day
        (CalendarConfig(country="DE", subdivision="BY"), date(2027, 3, 8), True),  # not Bavaria
        (CalendarConfig(country="DE"), date(2026, 10, 3), False),  # Unity Day (a Saturday)
        (CalendarConfig(country="DE"), date(2026, 12, 25), False),
        (CalendarConfig(country="US"), date(2026, 7, 3), False),  # the 4th observed on Friday
        (CalendarConfig(country="US"), date(2026, 11, 26), False),  # Thanksgiving
        (CalendarConfig(country="GB", subdivision="ENG"), date(2026, 8, 31), False),
        (CalendarConfig(country=""), date(2026, 10, 1), True),  # no country: Monday-Friday
        (CalendarConfig(country=""), date(2026, 10, 3), False),
    ],
)
def test_other_countries_by_iso_code(config: CalendarConfig, day: date, working: bool) -> None:
    assert CountryCalendar(config).is_working_day(day) is working


def test_company_days_off_and_extra_working_days_take_precedence() -> None:
    calendar = CountryCalendar(
        CalendarConfig(
            country="CN",
            days_off=(date(2025, 12, 31), date(2025, 9, 28)),
            working_days=(date(2025, 10, 8), date(2025, 12, 27)),
        )
    )
    assert not calendar.is_working_day(date(2025, 12, 31))  # a company day off
    assert not calendar.is_working_day(date(2025, 9, 28))  # the company skips this make-up day
    assert calendar.is_working_day(date(2025, 10, 8))  # worked although a public holiday
    assert calendar.is_working_day(date(2025, 12, 27))  # an extra working Saturday
    assert calendar.is_working_day(date(2025, 12, 30))  # otherwise as the country's


def _china(**rules: object) -> DepartmentConfig:
    return DepartmentConfig(
        name="销售部",
        timezone="Asia/Shanghai",
        schedule=ScheduleConfig.model_validate(rules),
        calendar=CalendarConfig(country="CN"),
    )


def test_a_cycle_around_national_day_follows_the_chinese_calendar() -> None:
    schedule = department_schedule(_china(open_working_days_before_month_end=2))
    times = schedule.cycle_times(Period(2025, 9))
    # Two working days before Tue 30 Sep is Sun 28 Sep, a make-up working day.
    assert times.opens_at == utc(2025, 9, 28, 2, 0)
    # 1-8 October are off; Thu 9 is the first working day, Fri 10 the second.
    assert times.deadline == utc(2025, 10, 10, 10, 0)
    assert times.reminders == (utc(2025, 10, 9, 2, 0), utc(2025, 10, 10, 1, 0))


def test_a_deadline_on_a_make_up_sunday() -> None:
    schedule = department_schedule(_china(deadline_working_day_of_next_month=1))
    times = schedule.cycle_times(Period(2025, 12))
    assert times.opens_at == utc(2025, 12, 31, 2, 0)  # Wed 31 Dec
    assert times.deadline == utc(2026, 1, 4, 10, 0)  # Sun 4 Jan, worked: 1-3 Jan are off
    # The morning of the deadline only: one working day before it is the opening day itself.
    assert times.reminders == (utc(2026, 1, 4, 1, 0),)


def test_nothing_is_sent_on_a_public_holiday_or_at_night() -> None:
    schedule = department_schedule(_china())
    national_day = utc(2025, 10, 3, 2, 0)
    assert not schedule.allows(national_day)
    assert schedule.next_allowed(national_day) == utc(2025, 10, 9, 0, 0)  # 08:00 on the 9th
    assert schedule.allows(utc(2025, 9, 28, 2, 0))  # the make-up Sunday is a working day
    assert schedule.next_allowed(utc(2025, 9, 30, 14, 0)) == utc(2025, 10, 9, 0, 0)  # 22:00

"""Working days of a department: a country's calendar from the holidays package, corrected by
the company's own days off and extra working days; and the department's schedule on them."""

from __future__ import annotations

from datetime import date

import holidays

from bot.config import CalendarConfig, DepartmentConfig
from bot.timing.schedule import DepartmentSchedule


class CountryCalendar:
    """Weekends, public holidays and make-up working days (such as China's 调休 weekends) of
    ``config.country``; without a country, Monday to Friday. The company's ``days_off`` and
    ``working_days`` take precedence."""

    def __init__(self, config: CalendarConfig) -> None:
        self._public = (
            holidays.country_holidays(config.country, subdiv=config.subdivision or None)
            if config.country
            else None
        )
        self._days_off = frozenset(config.days_off)
        self._working_days = frozenset(config.working_days)

    def is_working_day(self, d: date) -> bool:
        """Return True if people work on ``d``."""
        if d in self._working_days:
            return True
        if d in self._days_off:
            return False
        if self._public is None:
            return d.weekday() < 5
        return self._public.is_working_day(d)


def department_schedule(department: DepartmentConfig) -> DepartmentSchedule:
    """The schedule of `department`: its rules in its time zone, on its working calendar."""
    return DepartmentSchedule(
        department.schedule, department.zone, CountryCalendar(department.calendar)
    )

"""时间进度: how much of a year has gone by at the end of a month, counted in the department's
working days or in calendar days, to set a year-to-date completion against."""

from __future__ import annotations

import enum
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from bot.timing.periods import Period

if TYPE_CHECKING:  # the schedule reads the config, whose sections name a TimeBasis
    from bot.timing.schedule import WorkingCalendar


class TimeBasis(enum.StrEnum):
    """What 时间进度 counts: the department's working days, or every day of the year."""

    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def year_progress(period: Period, calendar: WorkingCalendar | None) -> Decimal:
    """The share of `period`'s year gone by at the end of `period`: its working days on
    `calendar` so far over the year's, or calendar days without one (100% in December)."""
    year = _days(date(period.year, 1, 1), date(period.year, 12, 31))
    if calendar is not None:
        year = [d for d in year if calendar.is_working_day(d)]
    gone = sum(d <= period.last_day for d in year)
    return Decimal(gone) / Decimal(len(year)) if year else Decimal(1)

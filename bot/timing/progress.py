"""时间进度: how much of a year has gone by at the end of a month, counted in the department's
working days or in calendar days, to set a year-to-date completion against."""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from bot.timing.periods import Period


class TimeBasis(enum.StrEnum):
    """What 时间进度 counts: the department's working days, or every day of the year."""

    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def year_progress(period: Period, working: Callable[[date], bool] | None) -> Decimal:
    """The share of `period`'s year gone by at the end of `period`: its `working` days so far
    over the year's (a calendar's ``is_working_day``), or calendar days without (100% in
    December either way)."""
    year = _days(date(period.year, 1, 1), date(period.year, 12, 31))
    if working is not None:
        year = [d for d in year if working(d)]
    gone = sum(d <= period.last_day for d in year)
    return Decimal(gone) / Decimal(len(year)) if year else Decimal(1)

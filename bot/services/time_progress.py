"""时间进度 of a department's month: how much of the year has gone by at its end, counted as
the department's configuration says (working days on its calendar, or calendar days)."""

from __future__ import annotations

from bot.digest.gather.year_to_date import TimeProgress
from bot.services.context import Services
from bot.timing.periods import Period
from bot.timing.progress import TimeBasis, year_progress


def time_progress(services: Services, department: str, period: Period) -> TimeProgress:
    """时间进度 at the end of `period` for the configured `department` (its key)."""
    basis = services.department(department).time_progress
    calendar = services.schedule(department).calendar
    working = calendar.is_working_day if basis is TimeBasis.WORKING_DAYS else None
    return TimeProgress(year_progress(period, working), basis)

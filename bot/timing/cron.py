"""Cron expressions that open a monthly cycle, read with croniter (standard cron semantics)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Final

from croniter import croniter

from bot.timing.periods import Period

FIELDS: Final = 5
"""minute hour day-of-month month day-of-week; no seconds or years."""
CHECKED_MONTHS: Final = 48
"""How many months a rule is tried on when checked: four years, so a leap year is among them."""
_FIRST_CHECKED: Final = Period(2024, 1)


def first_in_month(expression: str, period: Period) -> tuple[date, time] | None:
    """The first local date and time in ``period`` that ``expression`` matches, if any."""
    start = datetime.combine(period.first_day, time()) - timedelta(seconds=1)
    fire: datetime = croniter(expression, start).get_next(datetime)
    if Period.of(fire.date()) != period:
        return None
    return fire.date(), fire.time()


def check_monthly(expression: str) -> str:
    """Return ``expression`` if it is a five-field cron expression that matches in every month.

    Raises ValueError saying what is wrong, e.g. a day that not every month has.
    """
    fields = expression.split()
    if len(fields) != FIELDS or not croniter.is_valid(expression):
        raise ValueError(
            f"not a valid cron expression {expression!r} "
            "(five fields: minute hour day-of-month month day-of-week, e.g. '0 10 L * *')"
        )
    if fields[3] != "*":
        raise ValueError(f"the month field of {expression!r} must be '*': a cycle opens monthly")
    for offset in range(CHECKED_MONTHS):
        period = _FIRST_CHECKED.shift(offset)
        if first_in_month(expression, period) is None:
            raise ValueError(
                f"{expression!r} does not match any day of {period}; every month needs an "
                "opening (use 'L' for the last day of the month)"
            )
    return expression

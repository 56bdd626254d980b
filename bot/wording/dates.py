"""Months and moments as a reader reads them, in their language (Babel): ``November 2026`` and
``2026年11月``; ``Nov 30, 2026, 6:00 PM`` and ``2026年11月30日 18:00``."""

from __future__ import annotations

from datetime import date, datetime, time, tzinfo
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_skeleton, format_time, get_datetime_format

from bot.timing.periods import Period
from bot.timing.spans import Quarter, Span
from bot.wording.i18n import babel_locale


def month_text(period: Period | str, locale: Locale | str) -> str:
    """A month (a period or its ``YYYY-MM``): ``November 2026``, ``2026年11月``."""
    month = period if isinstance(period, Period) else Period.parse(period)
    return format_skeleton("yMMMM", month.first_day, locale=locale)


def span_text(span: Span, locale: Locale | str) -> str:
    """A month, quarter or year a target is for: ``November 2026``, ``Q1 2026``, ``2026``;
    ``2026年11月``, ``2026年第1季度``, ``2026年``."""
    if isinstance(span, Period):
        return month_text(span, locale)
    if isinstance(span, Quarter):
        return format_skeleton("yQQQ", date(span.year, span.quarter * 3, 1), locale=locale)
    return format_skeleton("y", date(span.year, 1, 1), locale=locale)


def moment_text(moment: datetime, zone: tzinfo | str, locale: Locale | str) -> str:
    """A date and time as read in time zone `zone`: ``Nov 30, 2026, 6:00 PM``,
    ``2026年11月30日 18:00``."""
    local, parsed = _local(moment, zone), _locale(locale)
    time_of_day = _time(local.hour, local.minute, parsed)
    return _joined(parsed).format(time_of_day, _day(local.date(), parsed))


def day_text(moment: datetime, zone: tzinfo | str, locale: Locale | str) -> str:
    """The day of a moment as read in time zone `zone`: ``Nov 30, 2026``, ``2026年11月30日``."""
    return _day(_local(moment, zone).date(), _locale(locale))


def _local(moment: datetime, zone: tzinfo | str) -> datetime:
    return moment.astimezone(ZoneInfo(zone) if isinstance(zone, str) else zone)


@lru_cache(maxsize=4096)
def _day(day: date, locale: Locale) -> str:
    """A day in the medium format (a big digest shows the few days around a deadline by the
    thousand, and Babel takes some 10 µs each time)."""
    return format_date(day, "medium", locale=locale)


@lru_cache(maxsize=4096)
def _time(hour: int, minute: int, locale: Locale) -> str:
    """A time of day in the short format (hours and minutes)."""
    return format_time(time(hour, minute), "short", locale=locale)


def _locale(locale: Locale | str) -> Locale:
    return locale if isinstance(locale, Locale) else babel_locale(locale)


@cache
def _joined(locale: Locale) -> str:
    """How `locale` puts a date and a time together: ``{1}, {0}`` (asked for every member of
    a big digest)."""
    return str(get_datetime_format("medium", locale=locale))


def short_month_text(period: Period, locale: Locale | str) -> str:
    """A month as a column heading next to others of the same year: ``Jul``, ``7月``."""
    return format_skeleton("MMM", period.first_day, locale=locale)

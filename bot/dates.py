"""Months and moments as a reader reads them, in their language (Babel): ``November 2026`` and
``2026年11月``; ``Nov 30, 2026, 6:00 PM`` and ``2026年11月30日 18:00``."""

from __future__ import annotations

from datetime import datetime, tzinfo
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_skeleton, format_time, get_datetime_format

from bot.i18n import babel_locale
from bot.periods import Period


def month_text(period: Period | str, locale: Locale | str) -> str:
    """A month (a period or its ``YYYY-MM``): ``November 2026``, ``2026年11月``."""
    month = period if isinstance(period, Period) else Period.parse(period)
    return format_skeleton("yMMMM", month.first_day, locale=locale)


def moment_text(moment: datetime, zone: tzinfo | str, locale: Locale | str) -> str:
    """A date and time as read in time zone `zone`: ``Nov 30, 2026, 6:00 PM``,
    ``2026年11月30日 18:00``."""
    local = moment.astimezone(ZoneInfo(zone) if isinstance(zone, str) else zone)
    parsed = _locale(locale)
    time = format_time(local, "short", locale=parsed)
    return _joined(parsed).format(time, format_date(local, "medium", locale=parsed))


def _locale(locale: Locale | str) -> Locale:
    return locale if isinstance(locale, Locale) else babel_locale(locale)


@cache
def _joined(locale: Locale) -> str:
    """How `locale` puts a date and a time together: ``{1}, {0}`` (asked for every member of
    a big digest)."""
    return str(get_datetime_format("medium", locale=locale))

"""Months and moments in the reader's language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date, format_time, get_datetime_format

from bot.timing.periods import Period
from bot.wording.dates import day_text, moment_text, month_text
from bot.wording.i18n import LANGUAGES, babel_locale

DEADLINE = datetime(2027, 1, 5, 10, 0, tzinfo=UTC)  # 18:00 in Shanghai


@pytest.mark.parametrize(
    ("language", "month", "moment", "day"),
    [
        ("en", "December 2026", "Jan 5, 2027, 6:00\u202fPM", "Jan 5, 2027"),
        ("zh_Hans", "2026年12月", "2027年1月5日 18:00", "2027年1月5日"),
        ("de", "Dezember 2026", "05.01.2027, 18:00", "05.01.2027"),
    ],
)
def test_a_month_and_a_moment_read_as_the_reader_reads_them(
    language: str, month: str, moment: str, day: str
) -> None:
    assert month_text("2026-12", language) == month
    assert month_text(Period(2026, 12), babel_locale(language)) == month
    assert moment_text(DEADLINE, "Asia/Shanghai", language) == moment
    assert moment_text(DEADLINE, ZoneInfo("Asia/Shanghai"), babel_locale(language)) == moment
    assert day_text(DEADLINE, "Asia/Shanghai", language) == day
    yesterday = day_text(DEADLINE - timedelta(days=1), "Asia/Shanghai", language)
    assert day_text(DEADLINE, "Pacific/Pago_Pago", language) == yesterday  # 23:00 on Jan 4


def test_a_moment_is_shown_in_the_departments_zone() -> None:
    assert moment_text(DEADLINE, "Europe/Berlin", "en") == "Jan 5, 2027, 11:00\u202fAM"


def test_a_period_that_is_not_a_month_is_refused() -> None:
    with pytest.raises(ValueError, match="expected YYYY-MM"):
        month_text("December", "en")


@pytest.mark.parametrize("language", [*LANGUAGES, "de", "ja"])
def test_moments_read_as_babel_writes_them_whole(language: str) -> None:
    """Days and times of day are formatted once each and kept: the moment reads as Babel's
    formatting of the whole moment, whatever its seconds."""
    locale = babel_locale(language)
    joined = str(get_datetime_format("medium", locale=locale))
    for moment in (DEADLINE, datetime(2026, 11, 30, 23, 59, 59, 999, tzinfo=UTC)):
        for seconds in (0, 17, 59):
            local = moment.replace(second=seconds).astimezone(ZoneInfo("Asia/Shanghai"))
            whole = joined.format(
                format_time(local, "short", locale=locale),
                format_date(local, "medium", locale=locale),
            )
            assert moment_text(local, "Asia/Shanghai", language) == whole

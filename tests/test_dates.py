"""Months and moments in the reader's language."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.dates import moment_text, month_text
from bot.i18n import babel_locale
from bot.periods import Period

DEADLINE = datetime(2027, 1, 5, 10, 0, tzinfo=UTC)  # 18:00 in Shanghai


@pytest.mark.parametrize(
    ("language", "month", "moment"),
    [
        ("en", "December 2026", "Jan 5, 2027, 6:00\u202fPM"),
        ("zh_Hans", "2026年12月", "2027年1月5日 18:00"),
        ("de", "Dezember 2026", "05.01.2027, 18:00"),
    ],
)
def test_a_month_and_a_moment_read_as_the_reader_reads_them(
    language: str, month: str, moment: str
) -> None:
    assert month_text("2026-12", language) == month
    assert month_text(Period(2026, 12), babel_locale(language)) == month
    assert moment_text(DEADLINE, "Asia/Shanghai", language) == moment
    assert moment_text(DEADLINE, ZoneInfo("Asia/Shanghai"), babel_locale(language)) == moment


def test_a_moment_is_shown_in_the_departments_zone() -> None:
    assert moment_text(DEADLINE, "Europe/Berlin", "en") == "Jan 5, 2027, 11:00\u202fAM"


def test_a_period_that_is_not_a_month_is_refused() -> None:
    with pytest.raises(ValueError, match="expected YYYY-MM"):
        month_text("December", "en")

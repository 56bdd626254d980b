"""Reporting periods."""

from __future__ import annotations

from datetime import date

import pytest

from bot.timing.periods import Period


def test_parse_and_str_round_trip() -> None:
    period = Period.parse("2026-11")
    assert period == Period(2026, 11)
    assert str(period) == "2026-11"
    assert str(Period(987, 3)) == "0987-03"


def test_parse_tolerates_surrounding_spaces() -> None:
    assert Period.parse(" 2026-01 ") == Period(2026, 1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-13", "month must be 01..12"),
        ("2026-00", "month must be 01..12"),
        ("Nov", "expected YYYY-MM"),
        ("2026-1", "expected YYYY-MM"),
        ("2026/11", "expected YYYY-MM"),
        ("2026-11-01", "expected YYYY-MM"),
        ("", "expected YYYY-MM"),
        ("２０２６-１１", "expected YYYY-MM"),
    ],
)
def test_parse_rejects(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        Period.parse(text)
    assert repr(text) in str(caught.value)


@pytest.mark.parametrize(("year", "month"), [(2026, 0), (2026, 13), (0, 5)])
def test_constructor_validates(year: int, month: int) -> None:
    with pytest.raises(ValueError, match="must be"):
        Period(year, month)


@pytest.mark.parametrize(
    ("period", "following"),
    [
        (Period(2026, 11), Period(2026, 12)),
        (Period(2026, 12), Period(2027, 1)),
        (Period(2027, 1), Period(2027, 2)),
    ],
)
def test_next_and_previous(period: Period, following: Period) -> None:
    assert period.next() == following
    assert following.previous() == period


def test_shift() -> None:
    assert Period(2026, 11).shift(14) == Period(2028, 1)
    assert Period(2026, 2).shift(-14) == Period(2024, 12)
    assert Period(2026, 2).shift(0) == Period(2026, 2)


@pytest.mark.parametrize(
    ("period", "last"),
    [
        (Period(2026, 11), date(2026, 11, 30)),
        (Period(2026, 12), date(2026, 12, 31)),
        (Period(2026, 2), date(2026, 2, 28)),
        (Period(2028, 2), date(2028, 2, 29)),
    ],
)
def test_first_and_last_day(period: Period, last: date) -> None:
    assert period.first_day == date(period.year, period.month, 1)
    assert period.last_day == last


def test_dates_cover_the_month() -> None:
    dates = list(Period(2028, 2).dates())
    assert len(dates) == 29
    assert dates[0] == date(2028, 2, 1)
    assert dates[-1] == date(2028, 2, 29)


def test_of_date() -> None:
    assert Period.of(date(2026, 5, 31)) == Period(2026, 5)


def test_ordering_and_hashing() -> None:
    periods = [Period(2027, 1), Period(2026, 12), Period(2026, 2)]
    assert sorted(periods) == [Period(2026, 2), Period(2026, 12), Period(2027, 1)]
    assert Period(2026, 12) < Period(2027, 1)
    assert len({Period(2026, 1), Period.parse("2026-01")}) == 1


def test_is_immutable() -> None:
    period = Period(2026, 11)
    with pytest.raises(AttributeError):
        period.month = 12  # type: ignore[misc]

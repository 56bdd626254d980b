"""The span a target covers: a year, a quarter or a month."""

from __future__ import annotations

import pytest

from bot.timing.periods import Period
from bot.timing.spans import Quarter, Year, parse_span


@pytest.mark.parametrize(
    ("text", "span", "written"),
    [
        ("2026", Year(2026), "2026"),
        ("2026-Q1", Quarter(2026, 1), "2026-Q1"),
        (" 2026-q4 ", Quarter(2026, 4), "2026-Q4"),
        ("2026-03", Period(2026, 3), "2026-03"),
        ("0987", Year(987), "0987"),
    ],
)
def test_parse_and_str_round_trip(text: str, span: object, written: str) -> None:
    parsed = parse_span(text)
    assert parsed == span
    assert str(parsed) == written


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-Q5", "invalid period '2026-Q5': quarter must be Q1..Q4"),
        ("2026-Q0", "invalid period '2026-Q0': quarter must be Q1..Q4"),
        ("2026-13", "invalid period '2026-13': month must be 01..12"),
        ("0000", "year must be 1..9999, got 0"),
        ("26", "invalid period '26': expected YYYY, YYYY-Qn or YYYY-MM"),
        ("2026-H1", "invalid period '2026-H1': expected YYYY, YYYY-Qn or YYYY-MM"),
        ("", "invalid period '': expected YYYY, YYYY-Qn or YYYY-MM"),
    ],
)
def test_anything_else_is_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(")):
        parse_span(text)

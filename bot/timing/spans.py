"""The span a target covers: a month (``YYYY-MM``), a quarter (``YYYY-Qn``) or a year
(``YYYY``), as companies break an annual target down (目标分解)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from bot.timing.periods import Period

_QUARTER_RE: Final = re.compile(r"(?P<year>[0-9]{4})-[Qq](?P<quarter>[0-9])")
_YEAR_RE: Final = re.compile(r"[0-9]{4}")


@dataclass(frozen=True, order=True, slots=True)
class Year:
    """A calendar year."""

    year: int

    def __post_init__(self) -> None:
        if not 1 <= self.year <= 9999:
            raise ValueError(f"year must be 1..9999, got {self.year}")

    def __str__(self) -> str:
        return f"{self.year:04d}"


@dataclass(frozen=True, order=True, slots=True)
class Quarter:
    """A calendar quarter: Q1 is January to March."""

    year: int
    quarter: int

    def __post_init__(self) -> None:
        if not 1 <= self.quarter <= 4:
            raise ValueError(f"quarter must be 1..4, got {self.quarter}")
        Year(self.year)

    def __str__(self) -> str:
        return f"{self.year:04d}-Q{self.quarter}"


Span = Period | Quarter | Year
"""What a target is set for."""


def parse_span(text: str) -> Span:
    """Parse ``YYYY``, ``YYYY-Qn`` or ``YYYY-MM``; raise ValueError on anything else."""
    text = text.strip()
    if _YEAR_RE.fullmatch(text):
        return Year(int(text))
    if (match := _QUARTER_RE.fullmatch(text)) is not None:
        try:
            return Quarter(int(match["year"]), int(match["quarter"]))
        except ValueError:
            raise ValueError(f"invalid period {text!r}: quarter must be Q1..Q4") from None
    try:
        return Period.parse(text)
    except ValueError as exc:
        if "expected YYYY-MM" not in str(exc):
            raise
        raise ValueError(
            f"invalid period {text!r}: expected YYYY, YYYY-Qn or YYYY-MM, e.g. 2026, 2026-Q1 "
            "or 2026-03"
        ) from None


def span_months(span: Span) -> tuple[Period, ...]:
    """The months `span` covers, in order: itself, a quarter's three or a year's twelve."""
    if isinstance(span, Period):
        return (span,)
    if isinstance(span, Quarter):
        first = Period(span.year, span.quarter * 3 - 2)
        return tuple(first.shift(n) for n in range(3))
    return tuple(Period(span.year, month) for month in range(1, 13))


def ended_by(month: Period) -> tuple[Quarter | Year, ...]:
    """The quarter and the year whose last month `month` is, if any: March ends Q1, December
    ends Q4 and the year."""
    if month.month % 3:
        return ()
    quarter = Quarter(month.year, month.month // 3)
    return (quarter, Year(month.year)) if month.month == 12 else (quarter,)

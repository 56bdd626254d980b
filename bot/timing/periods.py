"""Reporting periods: one calendar month, written ``YYYY-MM``."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Final, Self

_PERIOD_RE: Final = re.compile(r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})")


@dataclass(frozen=True, order=True, slots=True)
class Period:
    """A calendar month; ordered chronologically."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month must be 1..12, got {self.month}")
        if not 1 <= self.year <= 9999:
            raise ValueError(f"year must be 1..9999, got {self.year}")

    @classmethod
    def parse(cls, text: str) -> Self:
        """Parse ``YYYY-MM`` (e.g. ``2026-11``); raise ValueError on anything else."""
        match = _PERIOD_RE.fullmatch(text.strip())
        if match is None:
            raise ValueError(f"invalid period {text!r}: expected YYYY-MM, e.g. 2026-11")
        year, month = int(match["year"]), int(match["month"])
        if not 1 <= month <= 12:
            raise ValueError(f"invalid period {text!r}: month must be 01..12")
        return cls(year, month)

    @classmethod
    def of(cls, d: date) -> Self:
        """Return the period containing the date ``d``."""
        return cls(d.year, d.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def next(self) -> Period:
        """Return the following month."""
        return self.shift(1)

    def previous(self) -> Period:
        """Return the preceding month."""
        return self.shift(-1)

    def shift(self, months: int) -> Period:
        """Return the period ``months`` months later (earlier if negative)."""
        year, index = divmod(self.year * 12 + self.month - 1 + months, 12)
        return Period(year, index + 1)

    @property
    def first_day(self) -> date:
        """The first day of the month."""
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        """The last day of the month."""
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def dates(self) -> Iterator[date]:
        """Every date of the month, in order."""
        first = self.first_day
        return (first.replace(day=day) for day in range(1, self.last_day.day + 1))

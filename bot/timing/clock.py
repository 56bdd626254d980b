"""Time sources: everything that needs "now" takes a :class:`Clock`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """A source of the current time."""

    def now(self) -> datetime:
        """Return the current instant as a timezone-aware UTC datetime."""
        ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        """Return the current instant in UTC."""
        return datetime.now(UTC)


def _require_aware(dt: datetime) -> datetime:
    """Return ``dt`` converted to UTC, rejecting naive datetimes."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"naive datetime {dt.isoformat()} has no time zone")
    return dt.astimezone(UTC)


class ManualClock:
    """A clock that only moves when told to; for tests and demos."""

    def __init__(self, start: datetime) -> None:
        self._now = _require_aware(start)

    def now(self) -> datetime:
        """Return the clock's current instant in UTC."""
        return self._now

    def set(self, dt: datetime) -> None:
        """Move the clock to ``dt`` (which must be timezone-aware)."""
        self._now = _require_aware(dt)

    def advance(self, delta: timedelta) -> None:
        """Move the clock by ``delta`` (may be negative)."""
        self._now += delta

    def __repr__(self) -> str:
        return f"ManualClock({self._now.isoformat()})"

"""Riding out a database that is away (a restart, a lost network, a full disk).

The scheduler's tick and the outbox sender use the database on their own, over and over; while
it is away each try fails the same way. They share one :class:`DatabaseOutage`, which logs an
outage once when it begins and once when it ends, and spaces the tries out: each waits twice
as long as the one before, up to MAX_PAUSE_SECONDS.
"""

from __future__ import annotations

import logging
import time
from typing import Final

from storage.db import reason, unavailable

log = logging.getLogger(__name__)

MAX_PAUSE_SECONDS: Final = 30.0
"""Longest pause between tries while the database is away: how late it is noticed back."""


class DatabaseOutage:
    """Whether the database is away, and when to try it again; pauses start at `first_pause`
    seconds."""

    def __init__(self, first_pause: float) -> None:
        self._first_pause = first_pause
        self._since: float | None = None
        self._failures = 0
        self._retry_at = 0.0

    def wait(self) -> float:
        """Seconds until the database may be tried again (0 unless it is away)."""
        return max(self._retry_at - time.monotonic(), 0.0)

    def failed(self, exc: BaseException) -> bool:
        """Take a failure: whether it was the database being away, which is then handled
        (logged at the first failure of an outage only). Other failures are the caller's to
        log."""
        if not unavailable(exc):
            return False
        now = time.monotonic()
        if self._since is None:
            self._since = now
            log.error(
                "the database is unreachable (%s); scheduled work and sending wait until it "
                "is back, trying again at growing intervals",
                reason(exc),
            )
        self._failures += 1
        pause = min(self._first_pause * 2.0 ** (self._failures - 1), MAX_PAUSE_SECONDS)
        self._retry_at = now + pause
        log.debug("the database is still unreachable; next try in %.2f s", pause)
        return True

    def succeeded(self) -> None:
        """The database answered: the outage, if there was one, is over."""
        if self._since is not None:
            log.info("the database is back after %.0f s", time.monotonic() - self._since)
        self._since = None
        self._failures = 0
        self._retry_at = 0.0

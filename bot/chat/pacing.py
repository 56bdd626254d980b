"""Keeping under Telegram's flood limits: messages per second in all, per chat and per group,
and a pause for everything when Telegram answers 429 (or the network fails).

Each limit is a sliding window (see :class:`Window`) that counts a request until some time
after its answer came back, so however long a request spends on its way (a slow database
write, a busy process), Telegram never sees more than the limit: at most that many requests
in any second in all (a fraction of a message rounded down, so that several instances' shares
add up to no more than their sum in any second), and one per interval in a chat or group. A
starting process sends nothing for a second (a chat's interval, if longer): what it, or the
process it replaces, sent just before a crash still counts at Telegram. The outbox sender
waits until it may send before it claims a message, so that a claimed message never waits,
takes its places right after the claim and sends with ``rate_limit_args=PACED``; every other
request with a ``chat_id`` (a reply to someone who wrote) waits for its places here, and goes
before the queued messages when both wait for a place in all. Queued messages go evenly spread
(a few at once at most), so that during a month end's fan-out places come free all the time
and a reply does not wait for the next second's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any, Final

from aiolimiter import AsyncLimiter
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.config import SendingConfig
from bot.services.outbox_delivery import Spacing

log = logging.getLogger(__name__)

PACED: Final = True
"""``rate_limit_args`` of a request whose permits were taken already."""
SPREAD: Final = 3
"""Queued messages that may go at once to make up for time lost on the way; the others go
one every 1/rate seconds."""
RETRIES: Final = 3
"""How often a request (not a queued message) is tried again after a 429."""
TELEGRAM_SECONDS: Final = 1.0
"""The window in which Telegram counts messages in all."""

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]


class Window:
    """At most `limit` requests in any `seconds`, as the receiving end counts them.

    A request takes a place when it is let through and keeps it until `seconds` after its
    block ends (its answer has come back by then), so no `limit` + 1 requests can arrive
    within `seconds` however long each spent on the way; a request that took long does not
    hold back the ones after it longer than the window needs. Urgent requests (someone is
    waiting for them) get a place before the others.
    """

    def __init__(self, limit: int, seconds: float) -> None:
        self._limit = limit
        self._seconds = seconds
        self._open = 0
        self._ended: deque[float] = deque()
        self._changed = asyncio.Event()
        self._waiting = 0
        self._urgent = 0

    def _wait(self, now: float) -> float:
        """Seconds until a place may be free (0: one is free now)."""
        while self._ended and self._ended[0] <= now - self._seconds:
            self._ended.popleft()
        if self._open + len(self._ended) < self._limit:
            return 0.0
        return self._ended[0] + self._seconds - now if self._ended else math.inf

    def free(self) -> bool:
        """Whether a place is free now for a request that is not urgent."""
        return not self._urgent and not self._wait(asyncio.get_running_loop().time())

    def idle(self) -> bool:
        """Whether nothing holds, awaits or recently held a place (the window is as new)."""
        return not (self._waiting or self._open or self._wait(asyncio.get_running_loop().time()))

    async def room(self, *, urgent: bool = False) -> None:
        """Wait until a place is free (it stays free until another task takes it); one that
        is not `urgent` also waits while an urgent request does."""
        loop = asyncio.get_running_loop()
        self._waiting += 1
        self._urgent += urgent
        try:
            while (wait := self._wait(loop.time())) or (self._urgent and not urgent):
                self._changed.clear()
                timeout = None if wait in (0.0, math.inf) else wait  # 0: an urgent one goes
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), timeout)
        finally:
            self._waiting -= 1
            if urgent:
                self._urgent -= 1
                self._changed.set()  # the others may go once it has taken its place

    @asynccontextmanager
    async def place(self, *, urgent: bool = False) -> AsyncIterator[None]:
        """Wait for a place and hold it for the block (and `seconds` after it)."""
        await self.room(urgent=urgent)
        self._open += 1
        try:
            yield
        finally:
            self._open -= 1
            self._ended.append(asyncio.get_running_loop().time())
            self._changed.set()


class Pacer(BaseRateLimiter[bool]):
    """The bot's rate limiter, shared by the outbox sender and every other request."""

    def __init__(self, config: SendingConfig) -> None:
        per_window = max(1, math.floor(config.messages_per_second))
        seconds = max(TELEGRAM_SECONDS, per_window / config.messages_per_second)
        self._overall = Window(per_window, seconds)
        spread = min(SPREAD, per_window)
        self._spread = AsyncLimiter(spread, spread / config.messages_per_second)
        self.spacing = Spacing(
            timedelta(seconds=1 / config.chat_messages_per_second),
            timedelta(seconds=60 / config.group_messages_per_minute),
        )
        self._chats: dict[int, Window] = {}
        self._resume_at = 0.0

    async def initialize(self) -> None:
        """Start paused for as long as Telegram still counts what was sent before the start
        (this process knows nothing of it)."""
        self.pause(max(TELEGRAM_SECONDS, self.spacing.chat.total_seconds()))

    async def shutdown(self) -> None:
        """Nothing to release."""

    def _chat(self, chat_id: int) -> Window:
        window = self._chats.get(chat_id)
        if window is None:
            interval = self.spacing.group if chat_id < 0 else self.spacing.chat
            window = self._chats[chat_id] = Window(1, interval.total_seconds())
        return window

    def busy_chats(self) -> list[int]:
        """Chats that cannot take a message right now (the idle ones' windows are dropped: a
        new one is the same)."""
        self._chats = {c: window for c, window in self._chats.items() if not window.idle()}
        return [c for c, window in self._chats.items() if not window.free()]

    def pause(self, seconds: float) -> None:
        """Send nothing for `seconds`."""
        resume_at = asyncio.get_running_loop().time() + seconds
        self._resume_at = max(self._resume_at, resume_at)

    async def ready(self) -> None:
        """Wait until a queued message may go: its turn in the spread (queued messages go
        evenly, so that places in the rate in all come free all the time and a reply never
        waits long for one), any pause, then room in the rate in all (the room is there for
        whatever runs before the next ``await``)."""
        await self._spread.acquire()
        await self._pause_over()
        await self._overall.room()

    @asynccontextmanager
    async def sending(self, *, urgent: bool = False) -> AsyncIterator[None]:
        """Hold a place in the rate in all for the block (one request to Telegram): at once
        after :meth:`ready` with no ``await`` in between; an `urgent` request (a reply) takes
        the next free place before any queued message."""
        await self._pause_over()
        async with self._overall.place(urgent=urgent):
            yield

    async def _pause_over(self) -> None:
        loop = asyncio.get_running_loop()
        for _ in range(RETRIES + 1):  # a pause may be extended while it is waited out
            wait = self._resume_at - loop.time()
            if wait <= 0:
                break
            await asyncio.sleep(wait)

    @asynccontextmanager
    async def chat(self, chat_id: int) -> AsyncIterator[None]:
        """Hold a chat's place for the block (one message to it): at once, without
        yielding, for a chat that is not busy."""
        async with self._chat(chat_id).place():
            yield

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: bool | None,
    ) -> JSONResult:
        """Send one request when its limits allow; pause everything on a 429."""
        chat_id = data.get("chat_id")
        for attempt in range(RETRIES + 1):
            try:
                if isinstance(chat_id, int) and rate_limit_args is not PACED:
                    async with self.chat(chat_id), self.sending(urgent=True):
                        return await callback(*args, **kwargs)
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                self.pause(retry_seconds(exc))
                if rate_limit_args is PACED or attempt == RETRIES:
                    raise
                log.info("Telegram asked to wait %s s before %s", retry_seconds(exc), endpoint)
        raise AssertionError("unreachable")


def retry_seconds(exc: RetryAfter) -> float:
    """How long Telegram asked to wait (the public property warns about its future type)."""
    return exc._retry_after.total_seconds()

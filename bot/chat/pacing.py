"""Keeping under Telegram's flood limits: messages per second in all, per chat and per group,
and a pause for everything when Telegram answers 429 (or the network fails).

The limit in all is a sliding window (see :class:`Window`): at most that many requests reach
Telegram in any second, and time one request loses on its way (a slow database write, a busy
process) is made up by the next ones. The limits per chat and per group are a minimum
interval between messages (an aiolimiter bucket with room for one). The outbox sender waits
until it may send before it claims a message, so that a claimed message never waits, takes
its place right after the claim and sends with ``rate_limit_args=PACED``; every other request
with a ``chat_id`` waits for its permits here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any, Final

from aiolimiter import AsyncLimiter
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.config import SendingConfig

log = logging.getLogger(__name__)

PACED: Final = True
"""``rate_limit_args`` of a request whose permits were taken already."""
RETRIES: Final = 3
"""How often a request (not a queued message) is tried again after a 429."""

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]


class Window:
    """At most `limit` requests in any `seconds`, as the receiving end counts them.

    A request takes a place when it is let through and keeps it until `seconds` after its
    block ends (its answer has come back by then), so no `limit` + 1 requests can arrive
    within `seconds` however long each spent on the way; a request that took long does not
    hold back the ones after it longer than the window needs.
    """

    def __init__(self, limit: int, seconds: float) -> None:
        self._limit = limit
        self._seconds = seconds
        self._open = 0
        self._ended: deque[float] = deque()
        self._changed = asyncio.Event()

    def _wait(self, now: float) -> float:
        """Seconds until a place may be free (0: one is free now)."""
        while self._ended and self._ended[0] <= now - self._seconds:
            self._ended.popleft()
        if self._open + len(self._ended) < self._limit:
            return 0.0
        return self._ended[0] + self._seconds - now if self._ended else math.inf

    async def room(self) -> None:
        """Wait until a place is free (it stays free until another task takes it)."""
        loop = asyncio.get_running_loop()
        while wait := self._wait(loop.time()):
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), None if wait == math.inf else wait)

    @asynccontextmanager
    async def place(self) -> AsyncIterator[None]:
        """Wait for a place and hold it for the block (and `seconds` after it)."""
        await self.room()
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
        self._overall = Window(per_window, per_window / config.messages_per_second)
        self._chat_interval = 1 / config.chat_messages_per_second
        self._group_interval = 60 / config.group_messages_per_minute
        self._chats: dict[int, AsyncLimiter] = {}
        self._resume_at = 0.0

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    def _chat(self, chat_id: int) -> AsyncLimiter:
        limiter = self._chats.get(chat_id)
        if limiter is None:
            interval = self._group_interval if chat_id < 0 else self._chat_interval
            limiter = self._chats[chat_id] = AsyncLimiter(1, interval)
        return limiter

    def busy_chats(self) -> list[int]:
        """Chats that cannot take a message right now (the others' limiters are dropped: a
        new one, with room for one message, is the same)."""
        self._chats = {c: lim for c, lim in self._chats.items() if not lim.has_capacity()}
        return list(self._chats)

    def pause(self, seconds: float) -> None:
        """Send nothing for `seconds`."""
        resume_at = asyncio.get_running_loop().time() + seconds
        self._resume_at = max(self._resume_at, resume_at)

    async def ready(self) -> None:
        """Wait out any pause, then until there is room in the rate in all (the room is
        there for whatever runs before the next ``await``)."""
        loop = asyncio.get_running_loop()
        for _ in range(RETRIES + 1):  # a pause may be extended while it is waited out
            wait = self._resume_at - loop.time()
            if wait <= 0:
                break
            await asyncio.sleep(wait)
        await self._overall.room()

    @asynccontextmanager
    async def sending(self) -> AsyncIterator[None]:
        """Hold a place in the rate in all for the block (one request to Telegram), once
        ready: right away after :meth:`ready` with no ``await`` in between."""
        await self.ready()
        async with self._overall.place():
            yield

    async def enter_chat(self, chat_id: int) -> None:
        """Wait for a chat's permit (at once, without yielding, for a chat that is not busy)."""
        await self._chat(chat_id).acquire()

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
                    await self.enter_chat(chat_id)
                    async with self.sending():
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

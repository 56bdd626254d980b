"""Keeping under Telegram's flood limits: messages per second in all, per chat and per group,
and a pause for everything when Telegram answers 429 (or the network fails).

Every limit is kept as a minimum interval between messages (an aiolimiter bucket with room
for one), so no burst goes over a limit in any window. The outbox sender takes its permits
before it claims a message and sends with ``rate_limit_args=PACED``; every other request with
a ``chat_id`` waits for its permits here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
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


class Pacer(BaseRateLimiter[bool]):
    """The bot's rate limiter, shared by the outbox sender and every other request."""

    def __init__(self, config: SendingConfig) -> None:
        self._overall = AsyncLimiter(1, 1 / config.messages_per_second)
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
        """Wait out any pause, then for a slot of the overall rate."""
        loop = asyncio.get_running_loop()
        for _ in range(RETRIES + 1):  # a pause may be extended while it is waited out
            wait = self._resume_at - loop.time()
            if wait <= 0:
                break
            await asyncio.sleep(wait)
        await self._overall.acquire()

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
            if isinstance(chat_id, int) and rate_limit_args is not PACED:
                await self.enter_chat(chat_id)
                await self.ready()
            try:
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

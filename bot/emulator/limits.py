"""Telegram's limits: the sizes of texts, captions and button data, how long a request may
wait, and the flood control that refuses a bot sending too fast (429 with ``retry_after``)."""

from __future__ import annotations

import math
import time
from collections import deque

from bot.emulator.errors import ApiError
from bot.emulator.state import State

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
CALLBACK_ANSWER_LIMIT = 200
MAX_LONG_POLL = 60.0
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


class RateLimiter:
    """Telegram's flood limits: messages per second overall and per chat."""

    def __init__(self, overall: int, per_chat: int) -> None:
        self._overall = overall
        self._per_chat = per_chat
        self._sent: deque[float] = deque()
        self._chat_sent: dict[int, deque[float]] = {}

    def retry_after(self, chat_id: int) -> int | None:
        """Record a send to ``chat_id``, or return the seconds to wait if it is over a limit."""
        now = time.monotonic()
        chat_sent = self._chat_sent.setdefault(chat_id, deque())
        for window, limit in ((self._sent, self._overall), (chat_sent, self._per_chat)):
            while window and now - window[0] >= 1.0:
                window.popleft()
            if len(window) >= limit:
                return max(1, math.ceil(window[0] + 1.0 - now))
        self._sent.append(now)
        chat_sent.append(now)
        return None


def refuse_flood(state: State, limiter: RateLimiter | None, chat_id: int) -> None:
    """Answer a send 429 while flood control holds the bot back (a sticky injected failure)
    or while it is over a rate limit; otherwise count the send."""
    flood_wait = state.flood_until - time.monotonic()
    if flood_wait > 0:
        raise ApiError.too_many_requests(math.ceil(flood_wait))
    if limiter is not None:
        retry_after = limiter.retry_after(chat_id)
        if retry_after is not None:
            state.rate_limited += 1
            raise ApiError.too_many_requests(retry_after)

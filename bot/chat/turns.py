"""One person's updates one at a time, in the order they came; different people's at once.

A handler may wait a second or more for Telegram's pace in its chat (one message a second per
chat): a manager's ``/digest`` sends several messages in a row, and a reply to someone who
answered within a second of the bot's last message waits for their chat. Handled one at a
time, such a wait held up everyone behind it; here it holds up only the same person's next
updates, which must wait anyway so that their answers are taken in order.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from telegram import Update


def sender_key(update: Update) -> int | None:
    """Whose turn an update takes: its sender's user id (else its chat's id, else None)."""
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return None


class Turns:
    """A first-come, first-served turn for each sender."""

    def __init__(self) -> None:
        self._locks: dict[int | None, asyncio.Lock] = {}
        self._users: dict[int | None, int] = {}

    @asynccontextmanager
    async def turn(self, update: Update) -> AsyncIterator[None]:
        """Wait until the sender's earlier updates (those whose turn began before) are
        handled; the block is this update's turn."""
        key = sender_key(update)
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:  # asyncio's lock is taken in the order it was asked for
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:  # nobody else waits: forget the sender
                del self._users[key], self._locks[key]
